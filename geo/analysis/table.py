"""The cell table: one row per H3 cell of the study area, the one product of analysis.

Columns are named ``<measure>_<band>``: ``incidents_night``, ``presence_min_day`` and so on,
and ``cat_<category>_<band>`` for each incident category. Zero-count cells are rows too: a gap
is a cell with nothing in it.
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
from geo.analysis.bands import DEFAULT_BANDS, Band, band_masks
from geo.analysis.cells import (
    DEFAULT_RES,
    area_to_cells,
    cells_to_polygons,
    cells_to_str,
    count_in_cells,
    points_to_cells,
)
from geo.inputs.area import StudyArea

__all__ = ["CellTable", "count_cells", "slug", "incident_weights"]


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
    tz: str = "Europe/Belgrade"
    """The local time zone of the bands and of the period's days."""

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
    >>> df = pd.DataFrame({"lat": [42.8895, 42.8896], "lng": [20.8665, 20.8664],
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
    start, end = period if period is not None else (None, None)
    times = incidents["time"].dropna() if len(incidents) else incidents["time"]
    start = start if start is not None else (times.min() if len(times) else None)
    end = end if end is not None else (times.max() if len(times) else None)
    period = (start, end) if start is not None and end is not None else None
    return CellTable(frame=frame, res=res, area=area, bands=tuple(bands),
                     categories=dict(zip(keys, names, strict=True)), period=period, tz=tz)


def _category_keys(names: list[str]) -> list[str]:
    keys, seen = [], set()
    for i, name in enumerate(names):
        key = slug(name) or f"category{i + 1}"
        while key in seen:
            key += "_"
        seen.add(key)
        keys.append(key)
    return keys
