"""Write published cells for QGIS users: GeoPackage or GeoParquet, one hexagon per row."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import UsageError
from geo._gpkg import write_gpkg
from geo.privacy.gate import COMPLEMENT, SMALL, PublishedCells, check_published

__all__ = ["published_frame", "write_published"]


def published_frame(published: PublishedCells) -> gpd.GeoDataFrame:
    """The published cells as a GeoDataFrame in WGS84.

    Hidden counts are empty (NaN) with ``incidents_<band>_shown_as`` saying why; the
    ``suppression_k`` column records k for the audit; ``restricted`` marks analyst output.
    """
    check_published(published, "published_frame")
    columns: dict[str, object] = {"cell": published.cell_ids()}
    for band in published.bands:
        reason = published.reason[band]
        columns[f"incidents_{band}"] = published.incidents[band]
        columns[f"incidents_{band}_shown_as"] = np.where(
            reason == SMALL, f"fewer than {published.k}",
            np.where(reason == COMPLEMENT, "not shown", ""))
        if published.presence_hours is not None:
            columns[f"presence_hours_{band}"] = published.presence_hours[band]
        columns[f"hot_bin_{band}"] = published.hot_bin[band].astype(np.int16)
        if published.gap_class is not None:
            columns[f"gap_class_{band}"] = published.gap_class[band].astype(str)
        if published.clusters is not None:
            columns[f"cluster_{band}"] = published.clusters[band].astype(str)
        if published.rates is not None:
            columns[f"rate_eb_{band}"] = published.rates[band]
        if published.reported_visits is not None:
            columns[f"reported_visits_{band}"] = published.reported_visits[band]
    if published.residents is not None:
        columns["residents"] = published.residents
    columns["suppression_k"] = np.full(len(published.cells), published.k, dtype=np.int16)
    columns["release"] = np.full(len(published.cells),
                                 published.release_record(with_cells=False)["fingerprint"])
    columns["restricted"] = np.full(len(published.cells), published.audience == "analyst")
    return gpd.GeoDataFrame(pd.DataFrame(columns), geometry=published.cell_polygons(),
                            crs=4326)


def write_published(published: PublishedCells, path: str | Path) -> Path:
    """Write published cells as GeoPackage (``.gpkg``) or GeoParquet (``.parquet``)."""
    path = Path(path)
    frame = published_frame(published)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        write_gpkg(frame, path, layer="cells")
    elif suffix in (".parquet", ".geoparquet"):
        frame.to_parquet(path)
    else:
        msg = f"--gis {path}: use a .gpkg or .parquet file name"
        raise UsageError(msg)
    return path
