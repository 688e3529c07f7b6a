"""``patrolmap ingest``: ping files in, a checked, partitioned Parquet dataset out.

Each input file is read in chunks (Parquet by record batches, CSV and GPX streamed, every
other format whole), every row checked as ``patrolmap check`` does, and the accepted pings
written out by unit bucket and UTC month (:mod:`geo.inputs.dataset`). A ping that repeats
another of the same unit and time (in the same chunk, another chunk or another file) is
rejected as a duplicate; the first kept is the first by file, then row. Rows read always
equal rows accepted plus rows rejected, per file.

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
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from geo._arrays import in_chunks, worker_threads
from geo._errors import InputError
from geo._h3 import latlng_to_cells
from geo.inputs._judge import Options
from geo.inputs._partitions import DICTIONARY, SCHEMA, merge_staged
from geo.inputs.area import StudyArea
from geo.inputs.dataset import (
    FORMAT,
    MANIFEST,
    unit_bucket,
    write_atomic,
)
from geo.inputs.readers import read_table_chunks
from geo.inputs.validate import check_pings

__all__ = ["ingest_pings", "IngestResult", "DEFAULT_BUCKETS", "DEFAULT_RES", "ping_files"]

DEFAULT_BUCKETS = 16
DEFAULT_RES = 10
"""The resolution whose cell each ping keeps in the dataset: the finest ``--res auto`` picks."""
CHUNK_ROWS = 2_000_000
_PING_SUFFIXES = {".csv", ".txt", ".tsv", ".parquet", ".pq", ".geoparquet", ".gpx", ".kml",
                  ".geojson", ".json", ".gpkg", ".shp", ".fgb", ".xlsx", ".xls"}


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


def _fingerprint(area: StudyArea | None, options: Options, buckets: int, res: int) -> dict:
    return {"area": None if area is None else
            {"name": area.name, "wkb": hashlib.sha256(area.geometry.wkb).hexdigest()},
            "options": {k: v for k, v in asdict(options).items() if v is not None},
            "buckets": buckets, "res": res}


def ingest_pings(paths: Sequence[str | Path], out: str | Path, *,
                 area: StudyArea | None = None, options: Options | None = None,
                 buckets: int = DEFAULT_BUCKETS, res: int = DEFAULT_RES,
                 chunk_rows: int = CHUNK_ROWS,
                 on_file: Callable[[str], None] | None = None) -> IngestResult:
    """Check ping files and add them to the dataset in ``out`` (made when missing).

    Parameters
    ----------
    area
        Pings outside it are rejected (None: no area check, as ``check --area extent``).
    buckets
        Unit buckets of a new dataset; an existing one keeps its own.
    res
        The H3 resolution whose cell each ping keeps (a build at this resolution reads the
        cells, at any other converts the positions); an existing dataset keeps its own.
    chunk_rows
        Rows of a Parquet, CSV or GPX file checked at a time.
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
        buckets, res = manifest["checked_with"]["buckets"], manifest["checked_with"]["res"]
        if manifest["checked_with"] != _fingerprint(area, opts, buckets, res):
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
        if not 0 <= res <= 15:
            msg = f"--res {res}: give an H3 resolution 0 to 15"
            raise InputError(msg)
        manifest = {"format": FORMAT, "checked_with": _fingerprint(area, opts, buckets, res),
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
                   res=res, chunk_rows=chunk_rows)
        written += merge_staged(root, manifest, plan, staging)
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
    """RawTables of a file, a chunk at a time (see :func:`geo.inputs.readers.read_table_chunks`)."""
    return read_table_chunks(path, chunk_rows=chunk_rows, encoding=options.encoding,
                             delimiter=options.delimiter, sheet=options.sheet,
                             layer=options.layer)


def _stage(item: dict, folder: Path, *, area, options: Options, buckets: int, res: int,
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
        lat, lng = frame["lat"].to_numpy(float), frame["lng"].to_numpy(float)
        order = np.argsort(key, kind="stable")
        table = pa.table({
            "unit": pa.array(unit.cat.categories.astype(str).to_numpy(object)[code],
                             pa.string()),
            "time": pa.array(t_us, pa.timestamp("us", tz="UTC")),
            "lat": lat, "lng": lng,
            "cell": in_chunks(partial(latlng_to_cells, res=res), lat, lng,
                              size=max(1, -(-len(lat) // worker_threads()))),
            "source": np.full(len(frame), item["id"], np.int32),
            "row": frame["row"].to_numpy(np.int64), "halo": np.zeros(len(frame), np.int8)},
            schema=SCHEMA).take(order)
        key = key[order]
        bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            month = str(np.datetime64(int(month_of[order[lo]]), "M"))
            target = folder / f"{int(bucket[order[lo]]):02d}_{month}_{part:05d}.parquet"
            pq.write_table(table.slice(lo, hi - lo), target, compression="none",
                           use_dictionary=DICTIONARY)  # read once, soon
    if rejects:
        from geo._csv import write_csv

        write_csv(pd.concat(rejects, ignore_index=True), folder / "rejects.csv")
    write_atomic(done, json.dumps({"rows_read": rows_read, "checked": accepted,
                                   "reasons": reasons, "used": used}).encode())
