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
    cells_to_polygons,
    cells_to_str,
    count_in_cells,
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
                period: tuple[pd.Timestamp | None, pd.Timestamp | None] | None = None
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
    point_cells = points_to_cells(incidents["lat"].to_numpy(), incidents["lng"].to_numpy(),
                                  res=res)
    idx = np.searchsorted(cells, point_cells)
    count_in_cells(point_cells, cells)  # raises if a point lies outside the area's cells
    masks = band_masks(incidents["time"], bands, tz=tz)
    names = sorted(incidents["category"].unique().tolist())
    keys = _category_keys(names)
    codes = pd.Categorical(incidents["category"], categories=names).codes
    weights = incident_weights(incidents).astype(float)
    columns: dict[str, np.ndarray] = {}
    for band in bands:
        mask = masks[band.name]
        columns[f"incidents_{band.name}"] = np.bincount(idx[mask], weights=weights[mask],
                                                        minlength=len(cells))
    for i, key in enumerate(keys):
        for band in bands:
            pick = masks[band.name] & (codes == i)
            columns[f"cat_{key}_{band.name}"] = np.bincount(idx[pick], weights=weights[pick],
                                                            minlength=len(cells))
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
                     events=incident_events(incidents, res=res, tz=tz))


def incident_events(incidents: pd.DataFrame, *, res: int, tz: str = "Europe/Belgrade"
                    ) -> pd.DataFrame:
    """Incidents grouped by H3 cell (hexadecimal), local minute of the week (Monday 00:00 is
    0), local day (proleptic Gregorian ordinal; day 1 for a row without a time) and category
    as written, with their ``count`` (a ``count`` column's weights, else 1 each). No position
    finer than the cell is kept.

    >>> df = pd.DataFrame({"lat": [42.8895], "lng": [20.8665], "category": ["fight"],
    ...                    "time": pd.to_datetime(["2025-06-02 21:30"], utc=True)})
    >>> incident_events(df, res=9)[["minute", "day", "count"]].values.tolist()
    [[1410, 739404, 1]]
    """
    columns = ["cell", "minute", "day", "category", "count"]
    if not len(incidents):
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("cell", "category") else
                                          np.int64) for c in columns})
    cells = cells_to_str(points_to_cells(incidents["lat"].to_numpy(),
                                         incidents["lng"].to_numpy(), res=res))
    index = pd.DatetimeIndex(incidents["time"])
    if index.tz is None:
        index = index.tz_localize("UTC")
    wall = index.tz_convert(tz).tz_localize(None).to_numpy().astype("datetime64[m]")
    undated = np.isnat(wall)  # files without times: one notional day, minute 0
    minutes = np.where(undated, 0, wall.astype(np.int64))
    days = np.where(undated, 1 - 719_163, minutes // 1440)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    count = incident_weights(incidents)
    frame = pd.DataFrame({"cell": cells, "minute": weekday * 1440 + minutes % 1440,
                          "day": days + 719_163, "category": incidents["category"].astype(str)
                          .to_numpy(), "count": count})
    return frame.groupby(columns[:4], as_index=False, sort=True)["count"].sum()


def _category_keys(names: list[str]) -> list[str]:
    keys, seen = [], set()
    for i, name in enumerate(names):
        key = slug(name) or f"category{i + 1}"
        while key in seen:
            key += "_"
        seen.add(key)
        keys.append(key)
    return keys
