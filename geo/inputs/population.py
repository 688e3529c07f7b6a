"""Residents: a population layer read from a polygon file, an H3 table or a GeoTIFF.

Three shapes of population data are common: polygons with a population column (census
districts, a municipality's blocks), an H3 table (Kontur's population at resolution 8: an
``h3`` and a ``population`` column, as CSV, Parquet or GeoPackage), and a raster of residents
per pixel (WorldPop, GHS-POP) read through rasterio. Each becomes polygons in WGS84 with a
``population`` column; :func:`geo.analysis.rates.population_to_cells` spreads them over the
analysis cells by area. A population file is chosen by hand and short, so a bad value is an
error naming its row, not a reject.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.inputs._columns import find_column, shown_columns

__all__ = ["Population", "read_population", "POPULATION", "H3_INDEX"]

POPULATION = ("population", "pop", "residents", "inhabitants", "total_pop", "pop_total",
              "stanovnici", "broj_stanovnika", "stanovnistvo", "popullsia", "banore",
              "становници", "број_становника", "становништво")
H3_INDEX = ("h3", "h3_index", "h3index", "hex_id", "hex", "h3_cell", "cell", "cell_id")
_RASTER = (".tif", ".tiff", ".geotiff")
_VECTOR = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".geoparquet")


@dataclass
class Population:
    """Residents as polygons: ``frame`` is a GeoDataFrame in WGS84 (lng, lat) with a
    ``population`` column; ``kind`` is ``polygons``, ``h3`` or ``raster``."""

    frame: object
    kind: str
    path: Path
    column: str

    @property
    def total(self) -> float:
        """Residents in the whole layer."""
        return float(self.frame["population"].sum())


def read_population(path: str | Path, *, column: str | None = None, area=None,
                    layer: str | None = None) -> Population:
    """Read a population layer.

    Parameters
    ----------
    column
        The population column (found by name when not given: ``population``, ``pop``,
        ``stanovnici``, ``popullsia`` ...). Not used for a raster.
    area
        A :class:`~geo.inputs.area.StudyArea`; a raster is read only around it.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: population file not found"
        raise InputError(msg)
    if path.suffix.lower() in _RASTER:
        return _read_raster(path, area)
    if path.suffix.lower() in _VECTOR:
        import geopandas as gpd

        try:
            frame = gpd.read_file(path, layer=layer)
        except Exception as err:  # GDAL raises many kinds for a broken file
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            msg = f"{path}: not a readable population layer ({first})"
            raise InputError(msg) from None
        rows = np.arange(1, len(frame) + 1)
        word = "feature"
    else:
        from geo.inputs.readers import read_table

        table = read_table(path, layer=layer)
        frame, rows, word = table.frame, table.row, table.row_word
    return _from_table(path, frame, rows, word, column)


def _from_table(path: Path, frame: pd.DataFrame, rows: np.ndarray, word: str,
                column: str | None) -> Population:
    import geopandas as gpd

    columns = [c for c in frame.columns if c != "geometry"]
    pop_c = find_column(columns, POPULATION, given=column, path=path, option="--population-col")
    if pop_c is None:
        msg = (f"{path}: no population column found; columns are {shown_columns(columns)}. "
               "Name it 'population'")
        raise InputError(msg)
    values = pd.to_numeric(frame[pop_c].astype("string").str.replace(",", ".", regex=False)
                           .str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        msg = (f"{path}: {word} {rows[i]}, column {pop_c!r}: {frame[pop_c].iloc[i]!r} is not a "
               f"number of residents ({int(bad.sum())} such {word}s)")
        raise InputError(msg)
    h3_c = find_column(columns, H3_INDEX)
    if h3_c is not None:
        geometry = _h3_polygons(path, frame[h3_c], rows, word, h3_c)
        kind = "h3"
    elif isinstance(frame, gpd.GeoDataFrame) and frame.geometry is not None:
        if frame.crs is None:
            msg = f"{path}: the population layer has no CRS; save it with one (e.g. GeoPackage)"
            raise InputError(msg)
        geometry = frame.geometry.to_crs(4326).to_numpy()
        kind = "polygons"
    else:
        msg = (f"{path}: neither polygons nor an H3 column ({', '.join(H3_INDEX[:4])} ...); a "
               "population table needs one of them")
        raise InputError(msg)
    out = gpd.GeoDataFrame({"population": values}, geometry=geometry, crs=4326)
    areal = out.geometry.geom_type.isin(["Polygon", "MultiPolygon"])
    if not areal.all():
        i = int(np.flatnonzero(~areal.to_numpy())[0])
        msg = f"{path}: {word} {rows[i]} is not a polygon; population must be given by area"
        raise InputError(msg)
    return Population(frame=out, kind=kind, path=path, column=pop_c)


def _h3_polygons(path: Path, ids: pd.Series, rows: np.ndarray, word: str, column: str):
    import h3
    import shapely

    polygons = []
    for i, value in enumerate(ids.astype("string").fillna("").str.strip()):
        text = value
        if text.isdigit():  # an integer H3 index
            text = format(int(text), "x")
        if not h3.is_valid_cell(text):
            msg = f"{path}: {word} {rows[i]}, column {column!r}: {value!r} is not an H3 cell"
            raise InputError(msg)
        polygons.append(shapely.Polygon([(b, a) for a, b in h3.cell_to_boundary(text)]))
    return np.array(polygons, dtype=object)


def _read_raster(path: Path, area) -> Population:
    try:
        import rasterio
        from rasterio.windows import from_bounds
    except ImportError:
        msg = ("rasterio is needed to read a GeoTIFF population file: "
               "pip install 'patrolmap[raster]'")
        raise ImportError(msg) from None
    import geopandas as gpd
    import shapely

    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                msg = f"{path}: the raster has no CRS"
                raise InputError(msg)
            window = None
            if area is not None:
                box = gpd.GeoSeries([area.geometry], crs=4326).to_crs(src.crs).total_bounds
                pad = 2 * max(abs(src.transform.a), abs(src.transform.e))  # whole edge pixels
                window = from_bounds(box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad,
                                     transform=src.transform).round_offsets().round_lengths()
                window = window.intersection(rasterio.windows.Window(0, 0, src.width,
                                                                     src.height))
            data = src.read(1, window=window, masked=True).astype(float)
            transform = src.window_transform(window) if window is not None else src.transform
            crs = src.crs
    except InputError:
        raise
    except Exception as err:  # rasterio raises its own kinds for a broken file
        msg = f"{path}: not a readable GeoTIFF ({str(err).strip().splitlines()[0]})"
        raise InputError(msg) from None
    values = data.filled(0.0)
    values[~np.isfinite(values) | (values < 0)] = 0.0  # nodata and fill values hold no one
    row, col = np.nonzero(values > 0)
    t = transform
    x0, y0 = t.a * col + t.b * row + t.c, t.d * col + t.e * row + t.f
    x1, y1 = x0 + t.a + t.b, y0 + t.d + t.e
    pixels = shapely.box(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1),
                         np.maximum(y0, y1))
    out = gpd.GeoDataFrame({"population": values[row, col]}, geometry=pixels, crs=crs)
    return Population(frame=out.to_crs(4326), kind="raster", path=path, column="band 1")
