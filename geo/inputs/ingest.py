"""``patrolmap ingest``: ping files in, a checked, partitioned Parquet dataset out.

Each input file is read in chunks (Parquet by row groups, every other format whole), every
row checked as ``patrolmap check`` does, and the accepted pings written out by unit bucket and
UTC month (:mod:`geo.inputs.dataset`). A ping that repeats another of the same unit and time
(in the same chunk, another chunk or another file) is rejected as a duplicate; the first kept
is the first by file, then row. Rows read always equal rows accepted plus rows rejected, per
file.

Ingest is resumable and idempotent. A run first writes its plan (the new files and their
numbers) and stages each file's checked pings under ``_staging/``; then it merges the staged
pings into the partitions, each written beside its place and renamed in; the manifest is
written last. A killed run is finished by the next one, which loses and duplicates nothing
(a staged ping already merged is recognised by its file and row); inputs already in the
manifest are skipped, so a second run over the same files changes no byte, and a new month's
files append.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from geo._errors import InputError
from geo.inputs._judge import Options
from geo.inputs.area import StudyArea
from geo.inputs.dataset import (
    FORMAT,
    MANIFEST,
    partition_path,
    unit_bucket,
    write_atomic,
)
from geo.inputs.readers import RawTable, read_table
from geo.inputs.validate import check_pings, rejects_names

__all__ = ["ingest_pings", "IngestResult", "DEFAULT_BUCKETS", "ping_files"]

DEFAULT_BUCKETS = 16
CHUNK_ROWS = 2_000_000
_CONTEXT_PINGS = 3  # geo.analysis.partials.CONTEXT_PINGS (analysis is a room above)
_CONTEXT_US = 17 * 60 * 1_000_000  # geo.analysis.partials.CONTEXT_US
_PING_SUFFIXES = {".csv", ".txt", ".tsv", ".parquet", ".pq", ".geoparquet", ".gpx", ".kml",
                  ".geojson", ".json", ".gpkg", ".shp", ".fgb", ".xlsx", ".xls"}
_SCHEMA = pa.schema([("unit", pa.string()), ("time", pa.timestamp("us", tz="UTC")),
                     ("lat", pa.float64()), ("lng", pa.float64()), ("source", pa.int32()),
                     ("row", pa.int64()), ("halo", pa.int8())])
DUPLICATE = "duplicate ping (same unit and time)"


@dataclass
class IngestResult:
    """What one ingest run did."""

    path: Path
    new_files: int
    skipped_files: int
    partitions_written: int
    rows: int
    """Accepted pings in the dataset after the run."""
    lines: list[str]

    def summary(self) -> str:
        return "\n".join(self.lines)


def ping_files(paths: Sequence[str | Path]) -> list[Path]:
    """Files named, with folders replaced by the ping files inside them (sorted)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*")
                            if p.is_file() and p.suffix.lower() in _PING_SUFFIXES
                            and not any(part.startswith((".", "_")) for part in
                                        p.relative_to(path).parts))
            if not inside:
                msg = f"{path}: no ping files in the folder (CSV, Parquet, GPX, GIS files)"
                raise InputError(msg)
            found.extend(inside)
        elif not path.exists():
            msg = f"{path}: file not found"
            raise InputError(msg)
        else:
            found.append(path)
    return found


def _identity(path: Path) -> dict:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _key(identity: dict) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def _fingerprint(area: StudyArea | None, options: Options, buckets: int) -> dict:
    return {"area": None if area is None else
            {"name": area.name, "wkb": hashlib.sha256(area.geometry.wkb).hexdigest()},
            "options": {k: v for k, v in asdict(options).items() if v is not None},
            "buckets": buckets}


def ingest_pings(paths: Sequence[str | Path], out: str | Path, *,
                 area: StudyArea | None = None, options: Options | None = None,
                 buckets: int = DEFAULT_BUCKETS, chunk_rows: int = CHUNK_ROWS,
                 on_file: Callable[[str], None] | None = None) -> IngestResult:
    """Check ping files and add them to the dataset in ``out`` (made when missing).

    Parameters
    ----------
    area
        Pings outside it are rejected (None: no area check, as ``check --area extent``).
    buckets
        Unit buckets of a new dataset; an existing one keeps its own.
    chunk_rows
        Rows of a Parquet file checked at a time.
    """
    opts = options or Options()
    if opts.date_from or opts.date_to:
        msg = "ingest keeps every ping: give --from/--to to build, not to ingest"
        raise InputError(msg)
    root = Path(out)
    files = ping_files(paths)
    manifest_path = root / MANIFEST
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        buckets = manifest["checked_with"]["buckets"]
        if manifest["checked_with"] != _fingerprint(area, opts, buckets):
            msg = (f"{root}: this dataset was checked with another study area or other column "
                   "options; give the same ones, or ingest into a new folder")
            raise InputError(msg)
    else:
        if root.exists() and any(root.iterdir()):
            msg = f"{root}: the folder exists and is not a ping dataset; choose a new folder"
            raise InputError(msg)
        if not 1 <= buckets <= 4096:
            msg = f"--buckets {buckets}: give 1 to 4096"
            raise InputError(msg)
        manifest = {"format": FORMAT, "checked_with": _fingerprint(area, opts, buckets),
                    "files": [], "partitions": {}, "span": None, "bounds": None}
        write_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True).encode())
    staging = root / "_staging"
    plan_path = staging / "plan.json"
    if root.is_dir():  # what a killed run left half-written
        for stray in root.rglob(".*.tmp"):
            stray.unlink()
    written = new = 0
    for _ in range(2):  # a killed run's plan first, then the files new to this run
        if plan_path.is_file():
            merged = {f["key"] for f in manifest["files"]}
            plan = [i for i in json.loads(plan_path.read_text(encoding="utf-8"))
                    if i["key"] not in merged]
            if not plan:  # killed after its manifest was written
                shutil.rmtree(staging)
                continue
        else:
            plan = _plan(files, manifest)
            if not plan:
                break
            write_atomic(plan_path, json.dumps(plan, indent=1).encode())
        for item in plan:
            if on_file:
                on_file(Path(item["identity"]["path"]).name)
            _stage(item, staging / item["key"], area=area, options=opts, buckets=buckets,
                   chunk_rows=chunk_rows)
        written += _merge(root, manifest, plan, staging)
        new += len(plan)
        write_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True).encode())
        shutil.rmtree(staging)
    rows = sum(p["rows"] for p in manifest["partitions"].values())
    report = []
    for file in manifest["files"][len(manifest["files"]) - new:]:
        report.append(f"{file['name']}: pings: {file['rows_read']:,} rows read, "
                      f"{file['accepted']:,} accepted, {file['rejected']:,} rejected")
        report.extend(f"  rejected {n:,}: {reason}" for reason, n in file["reasons"].items())
    skipped = len(files) - new
    if skipped > 0:
        report.append(f"{skipped} file(s) already in the dataset: skipped")
    report.append(f"{root}: {rows:,} pings in {len(manifest['partitions']):,} partitions from "
                  f"{len(manifest['files']):,} file(s); this run added {new} file(s) and "
                  f"wrote {written} partition(s)")
    return IngestResult(root, new, max(skipped, 0), written, rows, report)


def _plan(files: list[Path], manifest: dict) -> list[dict]:
    """The files this run adds, numbered after the dataset's own; a changed file is refused."""
    known = {f["identity"]["path"]: f for f in manifest["files"]}
    plan, seen = [], set()
    for path in files:
        identity = _identity(path)
        if identity["path"] in seen:
            continue
        seen.add(identity["path"])
        old = known.get(identity["path"])
        if old is not None and old["identity"] != identity:
            msg = (f"{path}: changed since it was ingested (size or time differs); its "
                   "old pings are in the dataset: ingest the new version into a new folder")
            raise InputError(msg)
        if old is not None:
            continue
        plan.append({"key": _key(identity), "identity": identity,
                     "id": len(manifest["files"]) + len(plan)})
    return plan


# ------------------------------------------------------------------ staging one file

def _chunks(path: Path, options: Options, chunk_rows: int):
    """RawTables of a file, a chunk at a time (Parquet without geometry by row groups)."""
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            handle = pq.ParquetFile(path)
            geo = b"geo" in (handle.schema_arrow.metadata or {})
        except Exception:  # let the reader say what is wrong with it
            handle, geo = None, True
        if not geo and handle.metadata.num_rows > chunk_rows:
            offset = 0
            for batch in handle.iter_batches(batch_size=chunk_rows):
                frame = batch.to_pandas(split_blocks=True, self_destruct=True)
                yield RawTable(path=path, frame=frame,
                               row=np.arange(offset + 1, offset + len(frame) + 1))
                offset += len(frame)
            return
    yield read_table(path, encoding=options.encoding, delimiter=options.delimiter,
                     sheet=options.sheet, layer=options.layer)


def _stage(item: dict, folder: Path, *, area, options: Options, buckets: int,
           chunk_rows: int) -> None:
    """Check one file and stage its accepted pings by bucket and month, unless staged."""
    done = folder / "done.json"
    if done.is_file():
        return
    if folder.exists():
        shutil.rmtree(folder)  # a half-staged file from a killed run: stage it again
    folder.mkdir(parents=True)
    path = Path(item["identity"]["path"])
    rows_read = accepted = 0
    reasons: dict[str, int] = {}
    rejects = []
    used: dict[str, str] = {}
    for part, table in enumerate(_chunks(path, options, chunk_rows)):
        checked = check_pings(table, area=area, options=options)
        used = used or checked.used
        rows_read += checked.rows_read
        accepted += len(checked.accepted)
        for reason, n in checked.reasons().items():
            reasons[reason] = reasons.get(reason, 0) + int(n)
        if checked.judged.rejected:
            rejects.append(checked.rejects)
        frame = checked.accepted
        del checked, table
        if not len(frame):
            continue
        unit = frame["unit"]
        if not isinstance(unit.dtype, pd.CategoricalDtype):
            unit = unit.astype("category")
        code = unit.cat.codes.to_numpy()
        bucket = unit_bucket(unit.cat.categories, buckets)[code]
        t_us = pd.DatetimeIndex(frame["time"]).as_unit("us").asi8
        month_of = t_us.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
        key = bucket.astype(np.int64) * 100_000 + month_of
        order = np.argsort(key, kind="stable")
        table = pa.table({
            "unit": pa.array(unit.cat.categories.astype(str).to_numpy(object)[code],
                             pa.string()),
            "time": pa.array(t_us, pa.timestamp("us", tz="UTC")),
            "lat": frame["lat"].to_numpy(float), "lng": frame["lng"].to_numpy(float),
            "source": np.full(len(frame), item["id"], np.int32),
            "row": frame["row"].to_numpy(np.int64), "halo": np.zeros(len(frame), np.int8)},
            schema=_SCHEMA).take(order)
        key = key[order]
        bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            month = str(np.datetime64(int(month_of[order[lo]]), "M"))
            target = folder / f"{int(bucket[order[lo]]):02d}_{month}_{part:05d}.parquet"
            pq.write_table(table.slice(lo, hi - lo), target, compression="none",
                           use_dictionary=["unit"])  # read once, soon
    if rejects:
        from geo._csv import write_csv

        write_csv(pd.concat(rejects, ignore_index=True), folder / "rejects.csv")
    write_atomic(done, json.dumps({"rows_read": rows_read, "checked": accepted,
                                   "reasons": reasons, "used": used}).encode())


# ------------------------------------------------------------------ merging into partitions

def _read(path: Path, *, owned_only: bool = True) -> pa.Table:
    """A partition's (or staged piece's) pings; only the month's own with ``owned_only``."""
    if not path.is_file():
        return _SCHEMA.empty_table()
    table = pq.read_table(path).cast(_SCHEMA)
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


def _merge(root: Path, manifest: dict, plan: list[dict], staging: Path) -> int:
    """Merge every staged file of the plan into the partitions; update the manifest."""
    pieces: dict[tuple[int, str], list[Path]] = {}
    for item in plan:
        for piece in sorted((staging / item["key"]).glob("*.parquet")):
            b, m, _ = piece.stem.split("_")
            pieces.setdefault((int(b), m), []).append(piece)
    written = 0
    dropped_by_source: dict[int, int] = {}
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
            _write_duplicates(root, bucket, month, duplicates)
            for source, n in duplicates["source"].value_counts().items():
                dropped_by_source[int(source)] = dropped_by_source.get(int(source), 0) + int(n)
            kept = both.filter(pa.array(~repeat))
            del both
            _write_edges(root, bucket, month, kept)
            owned[month] = staging / f"owned_{bucket:02d}_{month}.parquet"  # one in memory
            pq.write_table(kept, owned[month], compression="none", use_dictionary=["unit"])
            del kept
        written += _write_bucket(root, manifest, bucket, owned)
    span, bounds = manifest.get("span"), manifest.get("bounds")
    for key, entry in manifest["partitions"].items():
        del key
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
            shutil.copyfile(staged_rejects, root / "_rejects" / name)
        manifest["files"].append({
            "id": item["id"], "key": item["key"], "identity": item["identity"],
            "name": Path(item["identity"]["path"]).name, "rows_read": done["rows_read"],
            "accepted": accepted, "rejected": rejected,
            "reasons": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
            "columns": done["used"]})
    return written


def _write_duplicates(root: Path, bucket: int, month: str, found: pd.DataFrame) -> None:
    """Rejects of pings that repeat one in another chunk or file, for one partition."""
    if not len(found):
        return
    from geo._csv import write_csv

    path = root / "_rejects" / "duplicates" / f"unit_bucket={bucket:02d}_month={month}.csv"
    rows = pd.DataFrame({"file": found["source"].to_numpy(), "row": found["row"].to_numpy(),
                         "column": "time", "reason": DUPLICATE,
                         "value": found["time"].astype(str).to_numpy()})
    if path.is_file():
        rows = pd.concat([pd.read_csv(path, dtype={"value": str}), rows], ignore_index=True)
    rows = rows.drop_duplicates(["file", "row"]).sort_values(["file", "row"])
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
        out[month] = halo[list(_SCHEMA.names)]
    return out


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(_parquet_bytes(frame[list(_SCHEMA.names)], _SCHEMA)).hexdigest()[:16]


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
        table = pa.concat_tables([rows, pa.Table.from_pandas(halo, schema=_SCHEMA,
                                                             preserve_index=False)])
        table = _by_unit_time(table, "halo")
        sink = io.BytesIO()
        pq.write_table(table, sink, use_dictionary=["unit"])
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
