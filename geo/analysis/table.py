"""The cell table: one row per H3 cell of the study area, the one product of analysis.

Columns are named ``<measure>_<band>``: ``incidents_night``, ``presence_min_day`` and so on,
and ``cat_<category>_<band>`` for each incident category. Zero-count cells are rows too: a gap
is a cell with nothing in it. ``inside_share`` is the part of each cell inside the study area
and ``area_km2`` that inside area: edge cells of the overlap fill are partly outside, and
where area matters (PAI, rates) only the inside part counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo._gpkg import write_gpkg
from geo.analysis.bands import DEFAULT_BANDS, Band, band_days, band_masks
from geo.analysis.cells import (
    DEFAULT_RES,
    area_to_cells,
    cell_positions,
    cells_to_polygons,
    cells_to_str,
    inside_areas_km2,
    points_to_cells,
)
from geo.inputs.area import StudyArea

__all__ = ["CellTable", "count_cells", "incident_events", "incident_weights", "slug"]


def incident_weights(incidents: pd.DataFrame) -> np.ndarray:
    """Incidents each row stands for: its ``count`` (aggregated exports), else 1."""
    if "count" in incidents:
        return incidents["count"].to_numpy(dtype=np.int64)
    return np.ones(len(incidents), dtype=np.int64)


def slug(text: str) -> str:
    """A column-safe name: ASCII letters, digits and ``_``.

    >>> slug("Verbal sexual harassment"), slug("Крађа / theft")
    ('verbal_sexual_harassment', 'theft')
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")


@dataclass
class CellTable:
    """Figures per cell. ``frame`` is indexed by ``uint64`` cell; ``categories`` maps each
    category's column key to its name as given in the data."""

    frame: pd.DataFrame
    res: int
    area: StudyArea
    bands: tuple[Band, ...]
    categories: dict[str, str]
    period: tuple[pd.Timestamp, pd.Timestamp] | None
    notes: list[str] = field(default_factory=list)
    events: pd.DataFrame | None = None
    """Incidents grouped by cell, local minute of the week, local day and category (see
    :func:`incident_events`): what the privacy gate builds every published count from."""
    tz: str = "Europe/Belgrade"
    """The local time zone of the bands and of the period's days."""
    language: str | None = None
    """The language of the ``covered_lang_<band>`` columns, when coverage in one was asked."""
    months: tuple[str, ...] = ()
    """The period's local months (``YYYY-MM``) when presence per month was asked for."""
    month_presence_min: np.ndarray | None = None
    """Patrol and post presence minutes per month, band and cell (months x bands x cells)."""

    @property
    def cells(self) -> np.ndarray:
        """The table's cells as sorted ``uint64``."""
        return self.frame.index.to_numpy(dtype=np.uint64)

    @property
    def band_names(self) -> list[str]:
        """Names of the table's bands, ``all`` first."""
        return [b.name for b in self.bands]

    @property
    def days(self) -> float:
        """Length of the period in days (at least 1)."""
        if self.period is None:
            return 1.0
        return max(1.0, (self.period[1] - self.period[0]).total_seconds() / 86400)

    def band_days(self, band: Band) -> int:
        """Local calendar days of the period that are the band's days (0 without a period)."""
        if self.period is None:
            return 0
        first, last = (pd.Timestamp(t).tz_convert(self.tz).tz_localize(None)
                       for t in self.period)
        return band_days(first, last, band)

    def to_frame(self) -> pd.DataFrame:
        """The table with hexadecimal ``cell`` ids as the first column."""
        out = self.frame.reset_index(drop=True)
        out.insert(0, "cell", cells_to_str(self.cells))
        return out

    def to_geodataframe(self):
        """The table as a GeoDataFrame of hexagons in WGS84."""
        import geopandas as gpd

        return gpd.GeoDataFrame(self.to_frame(), geometry=cells_to_polygons(self.cells),
                                crs=4326)

    def write_gis(self, path: str | Path, *, restricted: bool = True) -> Path:
        """Write the whole analysis table for QGIS: GeoPackage (``.gpkg``) or GeoParquet
        (``.parquet``). It holds exact small counts and categories per cell: analyst use only
        (a ``restricted`` column says so); :func:`geo.outputs.gis.write_published` writes the
        community version."""
        path = Path(path)
        gdf = self.to_geodataframe()
        gdf["restricted"] = restricted
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".gpkg":
            write_gpkg(gdf, path, layer="cells")
        elif path.suffix.lower() in (".parquet", ".geoparquet"):
            gdf.to_parquet(path)
        else:
            from geo._errors import UsageError

            msg = f"--gis {path}: use a .gpkg or .parquet file name"
            raise UsageError(msg)
        return path


def count_cells(incidents: pd.DataFrame, area: StudyArea, *, res: int = DEFAULT_RES,
                bands: Sequence[Band] = DEFAULT_BANDS, tz: str = "Europe/Belgrade",
                period: tuple[pd.Timestamp | None, pd.Timestamp | None] | None = None,
                point_cells: np.ndarray | None = None, events: pd.DataFrame | None = None
                ) -> CellTable:
    """Count incidents per cell, band and category over the whole study area.

    Parameters
    ----------
    incidents
        Accepted incidents with ``lat``, ``lng``, ``time`` (UTC) and ``category`` columns,
        and optionally ``count`` (incidents the row stands for; 1 without it).
    period
        The (first, last) UTC instants asked for (``--from``/``--to``); an end that is None
        comes from the incidents. Without it the period runs from the first to the last
        incident.

    Examples
    --------
    >>> from geo.inputs.area import default_area
    >>> df = pd.DataFrame({"lat": [42.8938, 42.8939], "lng": [20.8652, 20.8651],
    ...                    "time": pd.to_datetime(["2025-06-01 20:00", "2025-06-02 08:00"],
    ...                                           utc=True), "category": ["fight", "theft"]})
    >>> table = count_cells(df, default_area(), res=9)
    >>> int(table.frame["incidents_all"].sum()), int(table.frame["incidents_night"].sum())
    (2, 1)
    """
    cells = area_to_cells(area, res=res)
    if point_cells is None:
        point_cells = points_to_cells(incidents["lat"].to_numpy(),
                                      incidents["lng"].to_numpy(), res=res)
    idx = cell_positions(point_cells, cells)  # raises if a point lies outside the area's cells
    masks = band_masks(incidents["time"], bands, tz=tz)
    found, distinct = pd.factorize(incidents["category"])
    names = sorted(distinct.tolist())
    keys = _category_keys(names)
    rank = np.array([names.index(name) for name in distinct.tolist()], dtype=np.int64)
    codes = np.append(rank, -1)[found]  # -1: no category
    weights = incident_weights(incidents).astype(float)
    # one count per cell and category slot (slot 0: no category) in each band
    slots = idx * (len(names) + 1) + (codes + 1)
    columns: dict[str, np.ndarray] = {}
    by_category = {}
    for band in bands:
        mask = masks[band.name]
        summed = np.bincount(slots[mask], weights=weights[mask],
                             minlength=len(cells) * (len(names) + 1))
        by_category[band.name] = summed.reshape(len(cells), len(names) + 1)
        columns[f"incidents_{band.name}"] = by_category[band.name].sum(axis=1)
    for i, key in enumerate(keys):
        for band in bands:
            columns[f"cat_{key}_{band.name}"] = by_category[band.name][:, i + 1]
    frame = pd.DataFrame(columns, index=pd.Index(cells, name="cell_id")).round().astype(np.int64)
    whole, inside = inside_areas_km2(cells, area.geometry)
    frame.insert(0, "area_km2", inside)
    frame.insert(0, "inside_share", np.divide(inside, whole, out=np.zeros(len(cells)),
                                              where=whole > 0))
    start, end = period if period is not None else (None, None)
    times = incidents["time"].dropna() if len(incidents) else incidents["time"]
    start = start if start is not None else (times.min() if len(times) else None)
    end = end if end is not None else (times.max() if len(times) else None)
    period = (start, end) if start is not None and end is not None else None
    return CellTable(frame=frame, res=res, area=area, bands=tuple(bands),
                     categories=dict(zip(keys, names, strict=True)), period=period, tz=tz,
                     events=events if events is not None else incident_events(
                         incidents, res=res, tz=tz, point_cells=point_cells))


def incident_events(incidents: pd.DataFrame, *, res: int, tz: str = "Europe/Belgrade",
                    point_cells: np.ndarray | None = None) -> pd.DataFrame:
    """Incidents grouped by H3 cell (hexadecimal), local minute of the week (Monday 00:00 is
    0), local day (proleptic Gregorian ordinal; day 1 for a row without a time) and category
    as written, with their ``count`` (a ``count`` column's weights, else 1 each). No position
    finer than the cell is kept. Rows come sorted by cell, minute, day and category (text
    order); a row without a category is left out.

    ``point_cells`` are the rows' cells at ``res`` when the caller has them already.

    The rows are grouped on integer codes (each distinct cell and category numbered in text
    order) in one sort: grouping ten million rows on text columns took tens of seconds.

    >>> df = pd.DataFrame({"lat": [42.8895], "lng": [20.8665], "category": ["fight"],
    ...                    "time": pd.to_datetime(["2025-06-02 21:30"], utc=True)})
    >>> incident_events(df, res=9)[["minute", "day", "count"]].values.tolist()
    [[1410, 739404, 1]]
    """
    columns = ["cell", "minute", "day", "category", "count"]
    if not len(incidents):
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("cell", "category") else
                                          np.int64) for c in columns})
    if point_cells is None:
        point_cells = points_to_cells(incidents["lat"].to_numpy(),
                                      incidents["lng"].to_numpy(), res=res)
    minute, day = _minute_and_day(incidents["time"], tz=tz)
    count = incident_weights(incidents)
    cat_index, categories = _category_codes(incidents["category"])
    named = cat_index >= 0
    if not named.all():
        point_cells, minute, day, count, cat_index = (
            a[named] for a in (point_cells, minute, day, count, cat_index))
    cat_code, cat_names = _text_codes(categories.to_numpy(dtype=object), cat_index)
    cell_index, cells = pd.factorize(point_cells)
    cell_code, cell_names = _text_codes(cells_to_str(cells), cell_index)
    first_day = int(day.min()) if len(day) else 0
    order, starts = _sorted_groups([cell_code, minute, day - first_day, cat_code],
                                   [len(cell_names), 7 * 1440,
                                    int(day.max()) - first_day + 1 if len(day) else 1,
                                    len(cat_names)])
    first = order[starts]
    text = categories.dtype  # as the text columns of a groupby over the rows would be
    return pd.DataFrame({"cell": _take_text(cell_names, cell_code[first], text),
                         "minute": minute[first], "day": day[first],
                         "category": _take_text(cat_names, cat_code[first], text),
                         "count": np.add.reduceat(count[order], starts) if len(starts)
                         else count[:0]})


def _category_codes(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's position among the distinct category texts (``astype(str)`` of each
    value; -1 where that leaves a value missing) and those texts."""
    if values.hasnans:  # what a missing value becomes is astype(str)'s own word
        codes, names = pd.factorize(values.astype(str))
        return codes, pd.Series(names)
    codes, distinct = pd.factorize(values)  # text only for the few distinct values
    texts = pd.Series(distinct).astype(str)
    merged, names = pd.factorize(texts)  # 1 and "1" are one text
    return merged[codes], pd.Series(names, dtype=texts.dtype)


def _take_text(names: np.ndarray, codes: np.ndarray, dtype) -> pd.Series:
    """``names[codes]`` as a column of ``dtype``, taken in Arrow when the text is Arrow's."""
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        taken = pa.array(names, type=pa.large_string()).take(pa.array(codes))
        return pd.Series(pd.array(taken, dtype=dtype))
    return pd.Series(names[codes], dtype=dtype)


def _minute_and_day(times_utc: pd.Series, *, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """Local minute of the week (Monday 00:00 is 0) and local day (proleptic Gregorian
    ordinal) of UTC times; minute 0 of day 1 for a missing time."""
    index = pd.DatetimeIndex(times_utc)
    if index.tz is None:
        index = index.tz_localize("UTC")
    wall = index.tz_convert(tz).tz_localize(None).to_numpy().astype("datetime64[m]")
    undated = np.isnat(wall)  # files without times: one notional day, minute 0
    minutes = np.where(undated, 0, wall.astype(np.int64))
    days = np.where(undated, 1 - 719_163, minutes // 1440)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    return weekday * 1440 + minutes % 1440, days + 719_163


def _text_codes(names: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Renumber ``codes`` (positions in ``names``) so that code order is text order; return
    the new codes and the names sorted."""
    order = np.argsort(names)
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names))
    return rank[codes], names[order]


def _sorted_groups(keys: Sequence[np.ndarray], sizes: Sequence[int]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted by several non-negative integer keys (the first one first) and where each
    run of equal keys starts in that order: ``(order, starts)``.

    ``sizes`` bound the keys (each key lies in ``0..size-1``). When their product fits in 63
    bits the keys are folded into one integer and sorted once; otherwise they are sorted
    together by :func:`numpy.lexsort`.

    >>> a, b = np.array([1, 0, 1]), np.array([2, 5, 2])
    >>> order, starts = _sorted_groups([a, b], [2, 6])
    >>> a[order[starts]].tolist(), b[order[starts]].tolist(), np.diff([*starts, 3]).tolist()
    ([0, 1], [5, 2], [1, 2])
    """
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if float(np.prod([max(1, s) for s in sizes], dtype=float)) < 2.0**62:
        folded = np.zeros(n, dtype=np.int64)
        for key, size in zip(keys, sizes, strict=True):
            folded = folded * max(1, size) + key
        order = np.argsort(folded)
        ordered = folded[order]
        changed = ordered[1:] != ordered[:-1]
    else:
        order = np.lexsort(keys[::-1])
        changed = np.zeros(n - 1, dtype=bool)
        for key in keys:
            ordered = key[order]
            changed |= ordered[1:] != ordered[:-1]
    return order, np.concatenate([[0], np.flatnonzero(changed) + 1])


def _category_keys(names: list[str]) -> list[str]:
    keys, seen = [], set()
    for i, name in enumerate(names):
        key = slug(name) or f"category{i + 1}"
        while key in seen:
            key += "_"
        seen.add(key)
        keys.append(key)
    return keys
