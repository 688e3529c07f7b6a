"""What one community release publishes, as definitions a model and an audit can rebuild.

A release is fixed by its :class:`ReleaseSpec` (area cells and resolution, period, change date,
bands with their hours, category groups over the taxonomy, k) and by its *rows*: every count it
shows or hides, each a sum of incidents over a set of cells, band, calendar part and categories:

=========  ===========================================================  =================
table      one row per                                                   sum of incidents
=========  ===========================================================  =================
cell       cell x band                                                   in that cell
total      band                                                          in the area
category   category group x band                                         in the area
week       hour of the week (0 = Monday 00-01)                           in the area
hour       hour of the day                                               in the area
period     band x (before, after) the change date                        in the area
area       named set of cells x band x (all, before, after)              in those cells
=========  ===========================================================  =================

Rows are plain dictionaries (JSON-ready), so the same definitions are stored in the release
ledger and written beside the numbers in every published file.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import h3
import numpy as np

from geo.privacy._page_numbers import COMPACT_FROM, decode_ints, encode_ints

__all__ = ["BandSpec", "ReleaseSpec", "SHOWN", "SMALL", "COMPLEMENT", "UNKNOWN",
           "MINUTES_OF_WEEK", "band_minutes", "area_key", "cell_rows", "area_rows",
           "compact_spec", "expand_spec", "pack_cells", "spec_cells", "unpack_cells"]

SHOWN, SMALL, COMPLEMENT, UNKNOWN = 0, 1, 2, 3
"""Labels of a published row: its value; "fewer than k" (0..k-1: a count of 1..k-1, or a zero
hidden so that another small count cannot be worked out); "not shown" (k or more, hidden to
protect another count); or not published at all."""

MINUTES_OF_WEEK = 7 * 24 * 60


@dataclass(frozen=True)
class BandSpec:
    """A band as a model needs it: local hours ``[start, end)`` (may wrap) on weekdays."""

    name: str
    start_hour: float = 0.0
    end_hour: float = 0.0
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)

    @classmethod
    def of(cls, band) -> BandSpec:
        """From an analysis :class:`~geo.analysis.bands.Band`."""
        return cls(band.name, float(band.start_hour), float(band.end_hour),
                   tuple(sorted(band.days)))

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"name": self.name, "start": self.start_hour, "end": self.end_hour,
                "days": list(self.days)}

    @classmethod
    def from_dict(cls, data: dict) -> BandSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(str(data["name"]), float(data["start"]), float(data["end"]),
                   tuple(int(d) for d in data["days"]))


def breaks_label(label: np.ndarray, new: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Where published rows whose value a move changes to ``new`` no longer read as
    labelled: a shown value changed at all, a "fewer than k" left 0..k-1, a "not shown" fell
    below k. The one rule every check of a move applies (give only rows the move changes).

    >>> breaks_label(np.array([SHOWN, SMALL, SMALL, COMPLEMENT]), np.array([9, 4, 5, 4]), 5)
    array([ True, False,  True,  True])
    """
    return (label == SHOWN) | ((label == SMALL) & ((new < 0) | (new > k - 1))) \
        | ((label == COMPLEMENT) & (new < k))


def band_minutes(band: BandSpec) -> np.ndarray:
    """Whether each local minute of the week (Monday 00:00 = 0) lies in the band (read-only:
    made once per hours and days, as every row of a model asks again)."""
    return _minutes(float(band.start_hour), float(band.end_hour), tuple(band.days))


@functools.lru_cache(maxsize=256)
def _minutes(start_hour: float, end_hour: float, days: tuple[int, ...]) -> np.ndarray:
    minute = np.arange(MINUTES_OF_WEEK)
    hour = (minute % 1440) / 60.0
    day = minute // 1440
    if start_hour == end_hour:
        in_hours = np.ones(MINUTES_OF_WEEK, bool)
    elif start_hour < end_hour:
        in_hours = (hour >= start_hour) & (hour < end_hour)
    else:
        in_hours = (hour >= start_hour) | (hour < end_hour)
    out = in_hours & np.isin(day, days)
    out.flags.writeable = False
    return out


@dataclass(frozen=True)
class ReleaseSpec:
    """The definition of one release; everything a model needs beside its rows."""

    area: str
    res: int
    cells: tuple[str, ...]
    first_day: dt.date
    last_day: dt.date
    bands: tuple[BandSpec, ...]
    groups: dict[str, tuple[str, ...]]
    """Published category group -> the taxonomy categories it holds (in display order)."""
    k: int
    windows: dict[str, tuple[dt.date, dt.date]] = field(default_factory=dict)
    """Named parts of the period that rows may sum over: ``before`` and ``after`` a change."""
    areas: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Named sets of cells some rows sum over (WDD target, buffer, control; covered cells)."""

    @property
    def categories(self) -> tuple[str, ...]:
        """Every taxonomy category the release counts."""
        return tuple(c for members in self.groups.values() for c in members)

    def band(self, name: str) -> BandSpec:
        """The band called ``name``."""
        for band in self.bands:
            if band.name == name:
                return band
        msg = f"the release has no band {name!r}"
        raise KeyError(msg)

    def days(self, part: str = "all") -> tuple[dt.date, dt.date]:
        """First and last day of the period, or of one of its windows."""
        if part == "all":
            return self.first_day, self.last_day
        return self.windows[part]

    def to_dict(self) -> dict:
        """JSON-ready form (stored in the ledger and written in published files)."""
        return {"area": self.area, "res": self.res, "cells": list(self.cells),
                "first_day": self.first_day.isoformat(), "last_day": self.last_day.isoformat(),
                "windows": {n: [a.isoformat(), b.isoformat()]
                            for n, (a, b) in self.windows.items()},
                "bands": [b.to_dict() for b in self.bands],
                "groups": {g: list(m) for g, m in self.groups.items()}, "k": self.k,
                "areas": {n: list(c) for n, c in self.areas.items()}}

    @classmethod
    def from_dict(cls, data: dict) -> ReleaseSpec:
        """Inverse of :meth:`to_dict`."""
        day = dt.date.fromisoformat
        return cls(area=str(data["area"]), res=int(data["res"]),
                   cells=tuple(str(c) for c in data["cells"]),
                   first_day=day(data["first_day"]), last_day=day(data["last_day"]),
                   windows={str(n): (day(a), day(b))
                            for n, (a, b) in data.get("windows", {}).items()},
                   bands=tuple(BandSpec.from_dict(b) for b in data["bands"]),
                   groups={str(g): tuple(str(c) for c in m) for g, m in data["groups"].items()},
                   k=int(data["k"]),
                   areas={str(n): tuple(str(c) for c in m)
                          for n, m in data.get("areas", {}).items()})

    def fingerprint(self) -> str:
        """A short digest of the definition (not of any number)."""
        text = repr(sorted(self.to_dict().items())).encode()
        return hashlib.sha256(text).hexdigest()[:16]


def compact_spec(spec: dict, *, with_cells: bool) -> dict:
    """A spec for a file: cell sets as bitmasks over the spec's cells, and the cells listed
    only ``with_cells`` (a map carries them as geometry already).

    >>> c = compact_spec({"cells": ["a", "b", "c"], "areas": {"t": ["c"]}}, with_cells=False)
    >>> c["areas"], "cells" in c, expand_spec(c, ["a", "b", "c"])["areas"]
    ({'t': 'BA=='}, False, {'t': ['c']})
    """
    cells = spec["cells"]
    index = {c: i for i, c in enumerate(cells)}
    areas = {}
    for name, members in spec.get("areas", {}).items():
        bits = np.zeros(len(cells), bool)
        bits[[index[c] for c in members]] = True
        areas[name] = base64.b64encode(np.packbits(bits, bitorder="little").tobytes()).decode()
    out = {k: v for k, v in spec.items() if k not in ("cells", "areas")}
    out["areas"] = areas
    if with_cells:
        packed = pack_cells(cells) if len(cells) >= COMPACT_FROM else None
        out.update({"cells_packed": packed} if packed else {"cells": list(cells)})
    return out


def pack_cells(cells) -> dict | None:
    """Many H3 cells of one resolution in a few bytes each: the first as written, then the
    steps from each to the next in units of the resolution's last digit (a country's 100,000
    cells are some 1.9 MB as a list and a tenth of that packed). None when they do not pack
    (mixed resolutions, or steps too long to write).

    >>> cells = ["891ef024003ffff", "891ef024007ffff", "891ef02401bffff"]
    >>> packed = pack_cells(cells)
    >>> packed["first"], unpack_cells(packed) == cells
    ('891ef024003ffff', True)
    """
    if not len(cells):
        return None
    ids = np.array([int(c, 16) for c in cells], dtype=object)
    res = {h3.get_resolution(c) for c in cells}
    if len(res) != 1:
        return None
    unit = 1 << (3 * (15 - res.pop()))
    steps = np.diff(ids)
    if any(int(d) % unit or abs(int(d) // unit) >= 2**49 for d in steps):
        return None
    return {"first": cells[0], "steps": encode_ints([int(d) // unit for d in steps],
                                                    compact_from=0)}


def unpack_cells(packed: dict) -> list[str]:
    """The cells :func:`pack_cells` wrote."""
    first = str(packed["first"])
    unit = 1 << (3 * (15 - h3.get_resolution(first)))
    ids = int(first, 16) + unit * np.cumsum([0, *decode_ints(packed["steps"])], dtype=object)
    return [format(int(i), "x") for i in ids]


def spec_cells(data: dict) -> list[str] | None:
    """The cells a file's spec lists (plain or packed), or None when it lists none."""
    if "cells_packed" in data:
        return unpack_cells(data["cells_packed"])
    return list(data["cells"]) if "cells" in data else None


def expand_spec(data: dict, cells) -> dict:
    """Inverse of :func:`compact_spec`, given the cells (from the file's geometry)."""
    listed = spec_cells(data)
    cells = list(cells if listed is None else listed)
    data = {k: v for k, v in data.items() if k != "cells_packed"}
    areas = {}
    for name, bits in data.get("areas", {}).items():
        flags = np.unpackbits(np.frombuffer(base64.b64decode(bits), np.uint8),
                              bitorder="little")[: len(cells)].astype(bool)
        areas[name] = [c for c, f in zip(cells, flags, strict=True) if f]
    return {**data, "cells": cells, "areas": areas}


def area_key(cells: Iterable[str], res: int) -> str:
    """The identity of a study area on the grid: a digest of its cells."""
    digest = hashlib.sha256((f"{res}:" + ",".join(sorted(cells))).encode()).hexdigest()
    return digest[:16]


def cell_rows(spec: ReleaseSpec) -> list[dict]:
    """The map's rows: every cell in every band, cells in the spec's order, bands inner."""
    return [{"t": "cell", "cell": cell, "band": band.name}
            for cell in spec.cells for band in spec.bands]


def area_rows(spec: ReleaseSpec, *, week: bool) -> list[dict]:
    """Area totals per band and per category group and band, and (``week``) the week grid
    and its hour-of-day sums."""
    rows = [{"t": "total", "band": b.name} for b in spec.bands]
    rows += [{"t": "category", "group": g, "band": b.name}
             for g in spec.groups for b in spec.bands]
    if week:
        rows += [{"t": "week", "hour": h} for h in range(168)]
        rows += [{"t": "hour", "hour": h} for h in range(24)]
    return rows
