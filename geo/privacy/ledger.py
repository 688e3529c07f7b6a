"""The release ledger: what every community release of a study area published, in SQLite.

Each community build records its definition (area, resolution, period, bands, category
groups, k), every count it published with its label, the privacy budget it spent, and the
incidents it was made from grouped by cell, minute of the week, day and category. A later
release of the same area is protected together with every earlier one it overlaps, so
comparing them gives nothing back. Analyst output is never recorded.

The ledger holds exact counts by cell and day: it is restricted, like the incident files,
and lives in the user's data directory (``$XDG_DATA_HOME/patrolmap/ledgers``, by default
``~/.local/share/patrolmap/ledgers``), one file per study area, or where ``--ledger FILE``
says. Deleting it (``patrolmap ledger --delete``, or the file) forgets every release: the
next one is then protected as if nothing had been published before, so do it only when no
earlier release is in anyone's hands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import sqlite3
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo.privacy.disclosure import Earlier
from geo.privacy.release import ReleaseSpec

__all__ = ["Ledger", "LedgerEntry", "default_ledger_path", "area_slug"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS releases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    made TEXT NOT NULL,
    area TEXT NOT NULL,
    res INTEGER NOT NULL,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    k INTEGER NOT NULL,
    epsilon REAL,
    files TEXT NOT NULL,
    spec TEXT NOT NULL,
    rows BLOB NOT NULL,
    labels BLOB NOT NULL,
    shown BLOB NOT NULL,
    events BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
"""


def area_slug(name: str, geometry_wkb: bytes) -> str:
    """A file name for a study area: its name's letters and a digest of its outline."""
    letters = "".join(ch if ch.isalnum() else "_" for ch in name.casefold())[:40].strip("_")
    return f"{letters or 'area'}-{hashlib.sha256(geometry_wkb).hexdigest()[:12]}"


def default_ledger_path(slug: str) -> Path:
    """Where the ledger of a study area lives unless ``--ledger`` says otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "patrolmap" / "ledgers" / f"{slug}.sqlite"


def _pack(obj) -> bytes:
    return zlib.compress(json.dumps(obj, separators=(",", ":")).encode())


def _unpack(blob: bytes):
    return json.loads(zlib.decompress(blob))


@dataclass(frozen=True)
class LedgerEntry:
    """One recorded release, as ``patrolmap ledger`` lists it."""

    ident: int
    made: str
    area: str
    res: int
    first_day: str
    last_day: str
    k: int
    epsilon: float | None
    files: tuple[str, ...]
    counts: int

    def line(self) -> str:
        """One line for a person."""
        noise = f", epsilon {self.epsilon:g}" if self.epsilon else ""
        return (f"#{self.ident}  {self.made[:16].replace('T', ' ')}  {self.first_day} .. "
                f"{self.last_day}  res {self.res}, k {self.k}{noise}, {self.counts:,} counts"
                f"  {', '.join(self.files)}")


class Ledger:
    """An SQLite ledger file (created on first record)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _connect(self, *, create: bool) -> sqlite3.Connection | None:
        if not self.path.exists() and not create:
            return None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path)
        con.executescript(_SCHEMA)
        return con

    def entries(self) -> list[LedgerEntry]:
        """Every recorded release, oldest first."""
        con = self._connect(create=False)
        if con is None:
            return []
        with con:
            rows = con.execute("SELECT id, made, area, res, first_day, last_day, k, epsilon, "
                               "files, labels FROM releases ORDER BY id").fetchall()
        con.close()
        return [LedgerEntry(ident=r[0], made=r[1], area=r[2], res=r[3], first_day=r[4],
                            last_day=r[5], k=r[6], epsilon=r[7], files=tuple(json.loads(r[8])),
                            counts=len(_unpack(r[9]))) for r in rows]

    def earlier(self) -> list[Earlier]:
        """Every recorded release, ready to join a new one's model."""
        con = self._connect(create=False)
        if con is None:
            return []
        with con:
            rows = con.execute("SELECT id, made, spec, rows, labels, shown, events "
                               "FROM releases ORDER BY id").fetchall()
        con.close()
        out = []
        for ident, made, spec, rows_blob, labels, shown, events in rows:
            out.append(Earlier(spec=ReleaseSpec.from_dict(json.loads(spec)),
                               rows=_unpack(rows_blob),
                               labels=np.asarray(_unpack(labels), np.int8),
                               values=np.asarray([np.nan if v is None else v
                                                  for v in _unpack(shown)], float),
                               events=pd.read_parquet(io.BytesIO(zlib.decompress(events))),
                               ident=int(ident), made=made))
        return out

    def spent(self, area: str, year: int) -> float:
        """Privacy budget the recorded releases of ``area`` spent on incidents of ``year``."""
        con = self._connect(create=False)
        if con is None:
            return 0.0
        with con:
            rows = con.execute("SELECT first_day, last_day, epsilon FROM releases "
                               "WHERE area = ? AND epsilon IS NOT NULL", (area,)).fetchall()
        con.close()
        return float(sum(e for first, last, e in rows
                         if int(first[:4]) <= year <= int(last[:4])))

    def record(self, spec: ReleaseSpec, rows: list[dict], labels: np.ndarray,
               shown: np.ndarray, events: pd.DataFrame, *, epsilon: float | None,
               files: list[str]) -> int:
        """Add a release; returns its number. A release identical to a recorded one (same
        definition, counts and labels, without noise) is not recorded twice."""
        packed_labels = _pack([int(v) for v in labels])
        packed_shown = _pack([None if not np.isfinite(v) else float(v) for v in shown])
        spec_text = json.dumps(spec.to_dict())
        if epsilon is None:
            con = self._connect(create=False)
            if con is not None:
                with con:
                    same = con.execute("SELECT id FROM releases WHERE spec = ? AND labels = ? "
                                       "AND shown = ? AND epsilon IS NULL",
                                       (spec_text, packed_labels, packed_shown)).fetchone()
                con.close()
                if same:
                    return int(same[0])
        buffer = io.BytesIO()
        events.reset_index(drop=True).to_parquet(buffer, index=False)
        con = self._connect(create=True)
        made = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with con:
            cur = con.execute(
                "INSERT INTO releases (made, area, res, first_day, last_day, k, epsilon, files,"
                " spec, rows, labels, shown, events) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (made, spec.area, spec.res, spec.first_day.isoformat(),
                 spec.last_day.isoformat(), spec.k, epsilon, json.dumps(files),
                 spec_text, _pack(rows), packed_labels, packed_shown,
                 zlib.compress(buffer.getvalue())))
            ident = int(cur.lastrowid)
        con.close()
        return ident

    def delete(self) -> bool:
        """Remove the ledger file; True when there was one."""
        if self.path.exists():
            self.path.unlink()
            return True
        return False
