"""Merging staged pings into a dataset's partitions, with each month's context pings.

A partition is written from its month's own pings (the existing ones and the staged ones,
sorted by unit, time, file and row; a staged ping already merged by a killed run is known by
its file and row and dropped silently, a repeat of unit and time is a duplicate) plus its
*halo*: the context the presence kernel needs at the month's edges, taken from every month's
*edges* (each unit's first pings and last pings), so that a neighbour's halo never needs a
whole partition read. A partition is rewritten only when its pings or its halo change.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from geo.inputs.dataset import partition_path, write_atomic
from geo.inputs.validate import rejects_names

__all__ = ["SCHEMA", "DICTIONARY", "DUPLICATE", "merge_staged"]

_CONTEXT_PINGS = 3  # geo.analysis.partials.CONTEXT_PINGS (analysis is a room above)
_CONTEXT_US = 17 * 60 * 1_000_000  # geo.analysis.partials.CONTEXT_US
SCHEMA = pa.schema([("unit", pa.string()), ("time", pa.timestamp("us", tz="UTC")),
                     ("lat", pa.float64()), ("lng", pa.float64()), ("cell", pa.uint64()),
                     ("source", pa.int32()), ("row", pa.int64()), ("halo", pa.int8())])
DICTIONARY = ["unit", "cell"]
"""Columns written with a dictionary: a unit's name, and its cell, repeat ping after ping."""
DUPLICATE = "duplicate ping (same unit and time)"


# ------------------------------------------------------------------ merging into partitions

def _read(path: Path, *, owned_only: bool = True) -> pa.Table:
    """A partition's (or staged piece's) pings; only the month's own with ``owned_only``."""
    if not path.is_file():
        return SCHEMA.empty_table()
    table = pq.read_table(path).cast(SCHEMA)
    if owned_only:
        table = table.filter(pc.equal(table["halo"], 0))
    return table


def _by_unit_time(table: pa.Table, *last: str) -> pa.Table:
    return table.sort_by([("unit", "ascending"), ("time", "ascending"),
                          *((k, "ascending") for k in last)])


def _keys(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Integer unit codes (equal for equal units) and times (µs) of a table's rows."""
    unit = pc.dictionary_encode(table["unit"]).combine_chunks().indices
    return (np.asarray(unit, dtype=np.int64),
            table["time"].combine_chunks().cast(pa.int64()).to_numpy())


def _repeats(table: pa.Table, *extra: str) -> np.ndarray:
    """Rows (sorted by unit and time) that repeat the row before in unit, time and extra."""
    code, t_us = _keys(table)
    same = (code[1:] == code[:-1]) & (t_us[1:] == t_us[:-1])
    for name in extra:
        values = table[name].combine_chunks().to_numpy()
        same &= values[1:] == values[:-1]
    return np.r_[False, same] if len(code) else np.zeros(0, dtype=bool)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["unit", "time", "source", "row"], kind="stable",
                             ignore_index=True)


def merge_staged(root: Path, manifest: dict, plan: list[dict], staging: Path) -> int:
    """Merge every staged file of the plan into the partitions; update the manifest."""
    pieces: dict[tuple[int, str], list[Path]] = {}
    for item in plan:
        for piece in sorted((staging / item["key"]).glob("*.parquet")):
            b, m, _ = piece.stem.split("_")
            pieces.setdefault((int(b), m), []).append(piece)
    written = 0
    file_names = {f["id"]: f["name"] for f in manifest["files"]}
    file_names.update({i["id"]: Path(i["identity"]["path"]).name for i in plan})
    for bucket in sorted({b for b, _ in pieces}):
        months = sorted(m for b, m in pieces if b == bucket)
        owned: dict[str, Path] = {}
        for month in months:
            part = partition_path(root, bucket, month)
            both = pa.concat_tables([_read(part), *(_read(p, owned_only=False)
                                                    for p in pieces[(bucket, month)])])
            both = _by_unit_time(both, "source", "row")
            both = both.filter(pa.array(~_repeats(both, "source", "row")))  # merged before
            repeat = _repeats(both)
            duplicates = both.filter(pa.array(repeat)).to_pandas()
            _write_duplicates(root, bucket, month, duplicates, file_names)
            kept = both.filter(pa.array(~repeat))
            del both
            _write_edges(root, bucket, month, kept)
            owned[month] = staging / f"owned_{bucket:02d}_{month}.parquet"  # one in memory
            pq.write_table(kept, owned[month], compression="none", use_dictionary=DICTIONARY)
            del kept
        written += _write_bucket(root, manifest, bucket, owned)
    span, bounds = manifest.get("span"), manifest.get("bounds")
    for entry in manifest["partitions"].values():
        if entry["rows"]:
            lo, hi = entry["span"]
            span = [min(span[0], lo), max(span[1], hi)] if span else [lo, hi]
            box = entry["bounds"]
            bounds = ([min(bounds[0], box[0]), min(bounds[1], box[1]),
                       max(bounds[2], box[2]), max(bounds[3], box[3])] if bounds else box)
    manifest["span"], manifest["bounds"] = span, bounds
    per_source: dict[int, int] = {}
    for entry in manifest["partitions"].values():
        for source, n in entry["sources"].items():
            per_source[int(source)] = per_source.get(int(source), 0) + n
    (root / "_rejects").mkdir(parents=True, exist_ok=True)
    names = rejects_names([f["identity"]["path"] for f in manifest["files"]]
                          + [i["identity"]["path"] for i in plan])[len(manifest["files"]):]
    for item, name in zip(plan, names, strict=True):
        done = json.loads((staging / item["key"] / "done.json").read_text(encoding="utf-8"))
        reasons = dict(done["reasons"])
        accepted = per_source.get(item["id"], 0)
        dropped = done["checked"] - accepted
        if dropped:
            reasons[DUPLICATE] = reasons.get(DUPLICATE, 0) + dropped
        rejected = done["rows_read"] - accepted
        staged_rejects = staging / item["key"] / "rejects.csv"
        if staged_rejects.is_file():
            write_atomic(root / "_rejects" / name, staged_rejects.read_bytes())
        manifest["files"].append({
            "id": item["id"], "key": item["key"], "identity": item["identity"],
            "name": Path(item["identity"]["path"]).name, "rows_read": done["rows_read"],
            "accepted": accepted, "rejected": rejected,
            "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            "columns": done["used"]})
    return written


def _write_duplicates(root: Path, bucket: int, month: str, found: pd.DataFrame,
                      file_names: dict[int, str]) -> None:
    """Rejects of pings that repeat one in another chunk or file, for one partition: the
    input's number in the manifest and name, its row, and the time repeated."""
    if not len(found):
        return
    from geo._csv import write_csv

    path = root / "_rejects" / "duplicates" / f"unit_bucket={bucket:02d}_month={month}.csv"
    rows = pd.DataFrame({"file_id": found["source"].to_numpy(np.int64),
                         "file": [file_names[int(i)] for i in found["source"]],
                         "row": found["row"].to_numpy(np.int64),
                         "column": "time", "reason": DUPLICATE,
                         "value": found["time"].astype(str).to_numpy()})
    if path.is_file():
        rows = pd.concat([pd.read_csv(path, dtype={"file": str, "value": str}), rows],
                         ignore_index=True)
    rows = rows.drop_duplicates(["file_id", "row"]).sort_values(["file_id", "row"])
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(rows, path)


def _edges_path(root: Path, bucket: int, month: str) -> Path:
    return root / "_edges" / f"unit_bucket={bucket:02d}" / f"month={month}.parquet"


def _write_edges(root: Path, bucket: int, month: str, owned: pa.Table) -> None:
    """Each unit's first pings (its first 17 minutes, plus three) and last three."""
    code, t_us = _keys(owned)
    n = len(code)
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if n else np.zeros(0, int)
    group = np.cumsum(np.r_[True, code[1:] != code[:-1]]) - 1 if n else np.zeros(0, int)
    last = np.r_[first[1:], n] - 1 if n else np.zeros(0, int)
    start_us = pd.Timestamp(f"{month}-01", tz="UTC").value // 1000
    early = t_us < start_us + _CONTEXT_US
    past = np.cumsum(~early)  # pings past the window, counted per unit from here
    if n:
        past -= np.r_[0, past][first][group]
    head = early | ((past >= 1) & (past <= _CONTEXT_PINGS))
    tail = (last[group] - np.arange(n)) < _CONTEXT_PINGS if n else np.zeros(0, bool)
    pick = head | tail
    edges = owned.filter(pa.array(pick)).append_column(
        "head", pa.array(head[pick])).append_column("tail", pa.array(tail[pick]))
    sink = io.BytesIO()
    pq.write_table(edges, sink)
    write_atomic(_edges_path(root, bucket, month), sink.getvalue())


def _parquet_bytes(frame: pd.DataFrame, schema: pa.Schema | None = None) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, schema=schema, preserve_index=False), sink)
    return sink.getvalue()


def _month_end(month: str) -> pd.Timestamp:
    return pd.Timestamp(f"{month}-01", tz="UTC") + pd.offsets.MonthBegin(1)


def _halos(root: Path, bucket: int, months: list[str]) -> dict[str, pd.DataFrame]:
    """The context pings of every month of a bucket, from every month's edges."""
    edges = []
    for month in months:
        frame = pd.read_parquet(_edges_path(root, bucket, month))
        frame["unit"] = frame["unit"].astype(object)
        edges.append(frame)
    every = pd.concat(edges, ignore_index=True) if edges else pd.DataFrame()
    out = {}
    for month, own in zip(months, edges, strict=True):
        units = set(own["unit"])
        start, end = pd.Timestamp(f"{month}-01", tz="UTC"), _month_end(month)
        mine = every[every["unit"].isin(units)]
        before = mine[mine["tail"].to_numpy() & (mine["time"] < start).to_numpy()]
        before = _sorted(before).groupby("unit", sort=False).tail(_CONTEXT_PINGS)
        later = _sorted(mine[mine["head"].to_numpy() & (mine["time"] >= end).to_numpy()])
        early = (later["time"] < end + pd.Timedelta(microseconds=_CONTEXT_US)).to_numpy()
        past = pd.Series(np.where(early, 0, 1)).groupby(later["unit"].to_numpy(),
                                                         sort=False).cumsum().to_numpy()
        later = later[early | ((past >= 1) & (past <= _CONTEXT_PINGS))]
        halo = pd.concat([before.assign(halo=np.int8(-1)), later.assign(halo=np.int8(1))],
                         ignore_index=True)
        out[month] = halo[list(SCHEMA.names)]
    return out


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(_parquet_bytes(frame[list(SCHEMA.names)], SCHEMA)).hexdigest()[:16]


def _write_bucket(root: Path, manifest: dict, bucket: int, owned: dict[str, Path]) -> int:
    """Write the bucket's partitions whose pings or context changed; returns how many."""
    prefix = f"unit_bucket={bucket:02d}/"
    months = sorted({*owned, *(k.split("month=")[1] for k in manifest["partitions"]
                               if k.startswith(prefix))})
    halos = _halos(root, bucket, months)
    written = 0
    for month in months:
        key = f"{prefix}month={month}"
        entry = manifest["partitions"].get(key)
        halo = halos[month]
        digest = _digest(halo)
        if month not in owned and entry is not None and entry["halo"] == digest:
            continue
        rows = _read(owned[month] if month in owned else partition_path(root, bucket, month))
        table = pa.concat_tables([rows, pa.Table.from_pandas(halo, schema=SCHEMA,
                                                             preserve_index=False)])
        table = _by_unit_time(table, "halo")
        sink = io.BytesIO()
        pq.write_table(table, sink, use_dictionary=DICTIONARY)
        written += write_atomic(partition_path(root, bucket, month), sink.getvalue())
        del table
        sources = pc.value_counts(rows["source"]).to_pylist() if rows.num_rows else []
        box = {c: pc.min_max(rows[c]).as_py() for c in ("time", "lat", "lng")}
        manifest["partitions"][key] = {
            "rows": rows.num_rows, "halo": digest,
            "sources": {str(v["values"]): int(v["counts"])
                        for v in sorted(sources, key=lambda v: v["values"])},
            "span": ([str(pd.Timestamp(box["time"]["min"])),
                      str(pd.Timestamp(box["time"]["max"]))] if rows.num_rows else None),
            "bounds": ([box["lat"]["min"], box["lng"]["min"], box["lat"]["max"],
                        box["lng"]["max"]] if rows.num_rows else None)}
    return written
