"""Write GeoPackages that are the same bytes for the same data.

A GeoPackage records when each table last changed (``gpkg_contents.last_change``, which the
standard requires). GDAL writes the current time there unless ``OGR_CURRENT_DATE`` is set;
a fixed date keeps two runs on the same data byte-identical and says nothing about when a
release was made.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FIXED_DATE", "write_gpkg"]

FIXED_DATE = "2000-01-01T00:00:00.000Z"


def write_gpkg(frame, path: str | Path, *, layer: str) -> Path:
    """Write a GeoDataFrame as one GeoPackage layer, with :data:`FIXED_DATE` as its time."""
    import pyogrio

    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
    try:
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})
    return Path(path)
