"""A checked ping dataset on disk: its layout, its manifest, and reading its partitions.

``patrolmap ingest`` (:mod:`geo.inputs.ingest`) writes it; ``build --patrols DATASET`` reads
it. A dataset is a folder:

- ``unit_bucket=NN/month=YYYY-MM/pings.parquet``: the checked pings of the units whose
  name hashes to bucket NN, for one UTC month, sorted by unit and time. Columns ``unit``,
  ``time`` (UTC), ``lat``, ``lng``, ``cell`` (the ping's H3 cell at the dataset's
  resolution, ``res`` in the manifest, so that a build at that resolution converts no
  position again), ``source`` (the input file's number in the manifest),
  ``row`` (its row there) and ``halo``: 0 for the month's own pings, -1 and 1 for the
  neighbours before and after the month that its first and last pings' dwell, visits and
  stops depend on (:data:`geo.analysis.partials.CONTEXT_PINGS`); a unit never spans two
  buckets.
- ``_manifest.json``: the input files with their counts (rows read, accepted, rejected and
  why), the partitions with their rows, the study area and options the rows were checked
  with, and the period and bounds of the pings.
- ``_edges/``: each partition's first and last pings per unit, to make neighbours' halos
  without reading whole partitions; ``_rejects/``: the rejected rows, per input file.

Every file is written beside its place and renamed in, so a reader never sees half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError

__all__ = ["MANIFEST", "PingDataset", "is_dataset", "open_dataset", "unit_bucket",
           "write_atomic", "partition_path"]

MANIFEST = "_manifest.json"
FORMAT = 2
"""Format 2 added each ping's ``cell``."""
COLUMNS = ("unit", "time", "lat", "lng", "cell", "source", "row", "halo")


def is_dataset(path: str | Path) -> bool:
    """Whether ``path`` is a folder written by ``patrolmap ingest``."""
    return (Path(path) / MANIFEST).is_file()


def unit_bucket(units, buckets: int) -> np.ndarray:
    """The bucket of each unit name: a stable hash (the same in every process and run).

    >>> unit_bucket(["V1", "V2", "V1"], 16).tolist()
    [9, 11, 9]
    """
    names = pd.Index(pd.Series(units, dtype="string").fillna(""))
    code, distinct = pd.factorize(names)
    per = np.array([int.from_bytes(hashlib.blake2b(str(u).encode(), digest_size=8).digest(),
                                   "little") % buckets for u in distinct], dtype=np.int64)
    return per[code] if len(per) else np.zeros(len(code), np.int64)


def partition_path(root: Path, bucket: int, month: str) -> Path:
    """Where the pings of one bucket and month live."""
    return root / f"unit_bucket={bucket:02d}" / f"month={month}" / "pings.parquet"


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file and a rename; leave a file that
    already holds exactly these bytes untouched. Returns whether anything was written."""
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    return True


@dataclass
class PingDataset:
    """A ping dataset as ``build`` uses it: where it is and what its manifest says."""

    path: Path
    manifest: dict

    @property
    def partitions(self) -> list[Path]:
        """Partition files, in bucket then month order."""
        keys = sorted(self.manifest["partitions"])
        return [self.path / key / "pings.parquet" for key in keys]

    @property
    def res(self) -> int:
        """The H3 resolution of the pings' stored cells."""
        return int(self.manifest["checked_with"]["res"])

    @property
    def rows(self) -> int:
        """Accepted pings in the dataset."""
        return sum(p["rows"] for p in self.manifest["partitions"].values())

    @property
    def span(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """First and last ping time (UTC), or None when empty."""
        span = self.manifest.get("span")
        return None if not span else (pd.Timestamp(span[0]), pd.Timestamp(span[1]))

    @property
    def bounds(self) -> tuple[float, float, float, float] | None:
        """(min lat, min lng, max lat, max lng) of the pings, or None when empty."""
        bounds = self.manifest.get("bounds")
        return None if not bounds else tuple(bounds)

    # what a build's summary, report and release need of an input (as a Checked has)
    kind = "pings"

    @property
    def rows_read(self) -> int:
        return sum(f["rows_read"] for f in self.manifest["files"])

    @property
    def rejected(self) -> int:
        return sum(f["rejected"] for f in self.manifest["files"])

    def reasons(self) -> pd.Series:
        """Rejected rows counted by reason over every input file, most common first."""
        counts: dict[str, int] = {}
        for file in self.manifest["files"]:
            for reason, n in file["reasons"].items():
                counts[reason] = counts.get(reason, 0) + n
        return pd.Series(counts, dtype=np.int64).sort_values(ascending=False, kind="stable")

    def summary(self) -> str:
        """A few lines a person reads, as for a checked file."""
        files = self.manifest["files"]
        lines = [f"{self.path.name}: ping dataset of {len(files):,} file(s): "
                 f"{self.rows_read:,} rows read, {self.rows:,} accepted, "
                 f"{self.rejected:,} rejected"]
        lines.extend(f"  rejected {n:,}: {reason}" for reason, n in self.reasons().items())
        return "\n".join(lines)

    def quality(self) -> dict:
        """Counts for the report's data quality table (no row numbers, no values)."""
        return {"file": self.path.name, "kind": "pings", "rows_read": self.rows_read,
                "accepted": self.rows, "rejected": self.rejected, "outside": 0,
                "reasons": tuple((str(r), int(n)) for r, n in self.reasons().items())}

    def write_rejects(self, folder, *, name=None) -> None:  # noqa: ARG002 (the Checked API)
        """Nothing: the rejects of a dataset were written at ingest, into ``_rejects/``."""
        return None


def open_dataset(path: str | Path) -> PingDataset:
    """The dataset in ``path``, or an input error saying how to make one."""
    path = Path(path)
    if not is_dataset(path):
        msg = (f"{path}: not a ping dataset (no {MANIFEST}); make one with "
               f"'patrolmap ingest FILES --out {path}'")
        raise InputError(msg)
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        msg = (f"{path}: a ping dataset of format {manifest.get('format')}, not {FORMAT}; "
               "ingest its files again into a new folder")
        raise InputError(msg)
    return PingDataset(path, manifest)


def read_partition(path: str | Path, *, period: tuple | None = None, cells: bool = False
                   ) -> dict[str, np.ndarray]:
    """One partition as arrays the presence kernel takes: ``unit`` (codes), ``t_us``, ``lat``,
    ``lng``, ``owned`` and with ``cells`` the stored ``cell``; pings outside ``period``
    ((first, last) UTC, either None) are left out, context included, as a build from files
    leaves them out."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["unit", "time", "lat", "lng", "halo",
                                         *(["cell"] if cells else [])])
    code = np.asarray(pc.dictionary_encode(table.column("unit")).combine_chunks().indices,
                      dtype=np.int64)  # equal for the pings of one unit
    t_us = table.column("time").combine_chunks().cast("int64").to_numpy()
    out = {"unit": code, "t_us": t_us, "lat": table.column("lat").to_numpy(),
           "lng": table.column("lng").to_numpy(),
           "owned": table.column("halo").to_numpy() == 0}
    if cells:
        out["cell"] = table.column("cell").to_numpy()
    if period is not None and (period[0] is not None or period[1] is not None):
        keep = np.ones(len(t_us), dtype=bool)
        if period[0] is not None:
            keep &= t_us >= pd.Timestamp(period[0]).value // 1000
        if period[1] is not None:
            keep &= t_us <= pd.Timestamp(period[1]).value // 1000
        out = {key: value[keep] for key, value in out.items()}
    return out
