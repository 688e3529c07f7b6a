"""Read input files of any supported format into a raw table with source row numbers.

One reader per format family: delimited text, Excel, vector GIS files (GeoJSON, GeoPackage,
Shapefile, GeoParquet), plain Parquet and GPX. Readers do not judge rows; they only make a
table. Files that cannot be read as a table at all raise :class:`~geo._errors.InputError` with
a one-line message naming the file and the fix. Row checks live in :mod:`geo.inputs.validate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo._text import first_line as _first_line
from geo.inputs._columns import header_row, unique_names
from geo.inputs._delimited import detect_encoding, text_chunks
from geo.inputs._excel import read_sheet
from geo.inputs._gpx import gpx_chunks
from geo.inputs._limits import Limits, check_xml

__all__ = ["RawTable", "Limits", "read_table", "read_table_chunks", "detect_encoding"]

_FORMATS = {
    ".csv": "text", ".txt": "text", ".tsv": "text",
    ".xlsx": "excel", ".xlsm": "excel",
    ".geojson": "vector", ".json": "vector", ".gpkg": "vector", ".shp": "vector",
    ".fgb": "vector", ".kml": "vector",
    ".parquet": "parquet", ".geoparquet": "parquet", ".pq": "parquet",
    ".gpx": "gpx",
}


@dataclass
class RawTable:
    """A table as read from a file, before any row is judged.

    ``frame`` holds the file's columns; ``row`` holds the number a user sees for each row (the
    spreadsheet row, counting the header as row 1, or the feature or track-point number).
    Vector files add ``_x`` and ``_y`` columns with point coordinates in ``crs``.
    """

    path: Path
    frame: pd.DataFrame
    row: np.ndarray
    crs: str | None = None
    row_word: str = "row"
    note: str = ""


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    layer: str | None = None,
    limits: Limits | None = None,
) -> RawTable:
    """Read any supported file into a :class:`RawTable`.

    Parameters
    ----------
    path
        The file. Its format comes from the extension, or from its first bytes when the
        extension is unknown.
    encoding, delimiter
        For delimited text; guessed when not given (UTF-8, else Windows-1250 or -1251).
    sheet
        Excel sheet name; the first sheet with data by default.
    layer
        Layer of a GeoPackage or other multi-layer file; the first by default.
    limits
        What a file may ask of a parser (columns, rows, XML size and depth, shared strings);
        by default :meth:`Limits.from_env`, the ``PATROLMAP_MAX_*`` environment variables.
    """
    return next(read_table_chunks(path, encoding=encoding, delimiter=delimiter, sheet=sheet,
                                  layer=layer, limits=limits))


def read_table_chunks(
    path: str | Path,
    *,
    chunk_rows: int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    layer: str | None = None,
    limits: Limits | None = None,
) -> Iterator[RawTable]:
    """Read a file as :func:`read_table` does, ``chunk_rows`` rows at a time (None: whole).

    Delimited text is parsed in one pass and GPX streamed, a chunk in memory at a time;
    plain Parquet is read by record batches; other formats are read whole, as one chunk.
    The chunks' rows and row numbers, in order, are those of the whole table.
    """
    path = Path(path)
    limits = limits or Limits.from_env()
    if not path.exists():
        msg = f"{path}: file not found"
        raise InputError(msg)
    if path.is_dir():
        msg = f"{path}: is a folder, not a file"
        raise InputError(msg)
    if path.stat().st_size == 0:
        msg = f"{path}: the file is empty"
        raise InputError(msg)
    kind = _FORMATS.get(path.suffix.lower()) or _sniff_format(path)
    if kind == "text":
        tables = _text_tables(path, encoding=encoding, delimiter=delimiter, limits=limits,
                              chunk_rows=chunk_rows)
    elif kind == "excel":
        tables = iter([_read_excel(path, sheet=sheet, limits=limits)])
    elif kind == "vector":
        tables = iter([_read_vector(path, layer=layer, limits=limits)])
    elif kind == "parquet":
        tables = _parquet_tables(path, chunk_rows=chunk_rows)
    else:
        tables = _gpx_tables(path, limits=limits, chunk_rows=chunk_rows)
    for n, table in enumerate(tables):
        if n == 0 and len(table.frame) == 0:
            msg = f"{path}: the table has a header but no data rows"
            raise InputError(msg)
        yield table


def _numbered(path: Path, frames, **table) -> Iterator[RawTable]:
    """RawTables of consecutive frames, rows numbered from 1 across them."""
    offset = 0
    for frame in frames:
        yield RawTable(path=path, frame=frame, row=np.arange(offset + 1, offset + len(frame) + 1),
                       **table)
        offset += len(frame)


def _sniff_format(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(512)
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SQLite format 3"):
        return "vector"
    if path.suffix.lower() == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        msg = f"{path}: old Excel .xls files are not supported; save it as .xlsx or CSV"
        raise InputError(msg)
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"{"):
        return "vector"
    if stripped.startswith(b"<?xml") or stripped.startswith(b"<gpx"):
        return "gpx"
    return "text"


# ---------------------------------------------------------------- delimited text

def _text_tables(path: Path, *, encoding: str | None, delimiter: str | None, limits: Limits,
                 chunk_rows: int | None) -> Iterator[RawTable]:
    for frame, lines, note in text_chunks(path, encoding=encoding, delimiter=delimiter,
                                          limits=limits, chunk_rows=chunk_rows):
        yield RawTable(path=path, frame=frame, row=lines, note=note)


# ---------------------------------------------------------------- Excel

def _read_excel(path: Path, *, sheet: str | None, limits: Limits) -> RawTable:
    name, grid = read_sheet(path, sheet=sheet, limits=limits)  # index = spreadsheet row - 1
    if grid.empty:
        msg = f"{path}: sheet {name!r} is empty"
        raise InputError(msg)
    at = header_row(grid.head(10).to_numpy().tolist())
    header = ["" if pd.isna(v) else str(v).strip() for v in grid.iloc[at]]
    frame = grid.iloc[at + 1:]
    row = frame.index.to_numpy(dtype=np.int64) + 1
    frame = frame.reset_index(drop=True)
    frame.columns = unique_names(header)
    keep = [c for c, h in zip(frame.columns, header, strict=True)
            if h or frame[c].notna().any()]  # drop empty unnamed columns
    frame = frame[keep]
    return RawTable(path=path, frame=frame, row=row, note=f"sheet {name!r}")


# ---------------------------------------------------------------- GIS files

_XML_VECTORS = (".kml", ".gml", ".xml")


def _read_vector(path: Path, *, layer: str | None, limits: Limits) -> RawTable:
    import pyogrio

    if path.suffix.lower() in _XML_VECTORS:
        with path.open("rb") as fh:
            check_xml(fh, path, limits, size=path.stat().st_size)

    try:
        layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as err:
        msg = f"{path}: not a readable GIS file ({_first_line(err)})"
        raise InputError(msg) from None
    if layer is not None and layer not in layers:
        msg = f"{path}: no layer {layer!r}; layers are {layers}"
        raise InputError(msg)
    try:
        gdf = pyogrio.read_dataframe(path, layer=layer or layers[0])
    except Exception as err:
        msg = f"{path}: not a readable GIS file ({_first_line(err)})"
        raise InputError(msg) from None
    return _from_geodataframe(path, gdf, row_word="feature")


def _from_geodataframe(path: Path, gdf, *, row_word: str) -> RawTable:
    import shapely

    crs = gdf.crs.to_string() if gdf.crs is not None else None
    geom = gdf.geometry.to_numpy()
    single = (shapely.get_type_id(geom) == 4) & (shapely.get_num_geometries(geom) == 1)
    geom = np.where(single, shapely.get_geometry(geom, 0), geom)  # a one-point MultiPoint
    is_point = shapely.get_type_id(geom) == 0
    frame = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    frame["_x"] = np.where(is_point, shapely.get_x(np.where(is_point, geom, None)), np.nan)
    frame["_y"] = np.where(is_point, shapely.get_y(np.where(is_point, geom, None)), np.nan)
    frame["_geom_type"] = [
        "missing" if g is None or shapely.is_empty(g) else g.geom_type for g in geom
    ]
    return RawTable(path=path, frame=frame.reset_index(drop=True),
                    row=np.arange(1, len(frame) + 1), crs=crs, row_word=row_word)


def _parquet_tables(path: Path, *, chunk_rows: int | None) -> Iterator[RawTable]:
    """A Parquet file (GeoParquet whole, plain Parquet ``chunk_rows`` at a time)."""
    import pyarrow.parquet as pq

    try:
        handle = pq.ParquetFile(path)
        meta = handle.schema_arrow.metadata or {}
    except Exception as err:
        msg = f"{path}: not a readable Parquet file ({_first_line(err)})"
        raise InputError(msg) from None
    if b"geo" in meta:
        import geopandas as gpd

        yield _from_geodataframe(path, gpd.read_parquet(path), row_word="row")
        return
    if chunk_rows is None or handle.metadata.num_rows <= chunk_rows:
        # convert column by column, letting Arrow free each as it goes (millions of pings)
        arrow = pq.read_table(path, pre_buffer=False)
        frame = arrow.to_pandas(self_destruct=True, split_blocks=True)
        del arrow
        yield RawTable(path=path, frame=frame, row=np.arange(1, len(frame) + 1))
        return
    frames = (batch.to_pandas(split_blocks=True, self_destruct=True)
              for batch in handle.iter_batches(batch_size=chunk_rows))
    yield from _numbered(path, frames)


def _gpx_tables(path: Path, *, limits: Limits, chunk_rows: int | None) -> Iterator[RawTable]:
    yield from _numbered(path, gpx_chunks(path, limits=limits, chunk_rows=chunk_rows),
                         row_word="point")
