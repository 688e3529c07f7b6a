"""Read input files of any supported format into a raw table with source row numbers.

One reader per format family: delimited text, Excel, vector GIS files (GeoJSON, GeoPackage,
Shapefile, GeoParquet), plain Parquet and GPX. Readers do not judge rows; they only make a
table. Files that cannot be read as a table at all raise :class:`~geo._errors.InputError` with
a one-line message naming the file and the fix. Row checks live in :mod:`geo.inputs.validate`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo._text import strip_controls
from geo.inputs._columns import header_row
from geo.inputs._delimited import sniff_delimiter
from geo.inputs._excel import read_sheet
from geo.inputs._limits import Limits, check_xml

__all__ = ["RawTable", "Limits", "read_table", "detect_encoding"]

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
        table = _read_text(path, encoding=encoding, delimiter=delimiter, limits=limits)
    elif kind == "excel":
        table = _read_excel(path, sheet=sheet, limits=limits)
    elif kind == "vector":
        table = _read_vector(path, layer=layer, limits=limits)
    elif kind == "parquet":
        table = _read_parquet(path)
    else:
        table = _read_gpx(path, limits=limits)
    if len(table.frame) == 0:
        msg = f"{path}: the table has a header but no data rows"
        raise InputError(msg)
    return table


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

_LATIN_LETTERS = set("čćšžđČĆŠŽĐëçËÇáéíóúýöüäőűąęłńśźżěřůťďňľĺŕ")
_SERBIAN_ALBANIAN = set("čćšžđČĆŠŽĐëçËÇ")


def detect_encoding(data: bytes) -> str:
    """Guess the encoding of a text file: UTF-8, else Windows-1250 (Latin) or -1251 (Cyrillic).

    Serbian Latin and Albanian text read as Windows-1250 is mostly the letters č ć š ž đ ë ç
    among its non-ASCII ones; Cyrillic bytes read as Windows-1250 give a spread of other
    accented letters, or bytes Windows-1250 does not define at all.

    >>> detect_encoding("Митровица".encode("cp1251"))
    'cp1251'
    >>> detect_encoding("Kneginje Milice, Zvečan".encode("cp1250"))
    'cp1250'
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        latin = data.decode("cp1250")
    except UnicodeDecodeError:
        return "cp1251"
    high = [ch for ch in latin if ord(ch) > 0x7F]
    if not high:
        return "cp1250"
    share = sum(ch in _SERBIAN_ALBANIAN for ch in high) / len(high)
    return "cp1250" if share >= 0.5 else "cp1251"


def _read_text(path: Path, *, encoding: str | None, delimiter: str | None,
               limits: Limits) -> RawTable:
    data = path.read_bytes()
    if b"\x00" in data[:65536]:
        msg = (
            f"{path}: not a text table (it holds binary data); "
            "give a CSV, Excel, GeoJSON, GeoPackage, Parquet or GPX file"
        )
        raise InputError(
            msg
        )
    enc = encoding or detect_encoding(data)
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError) as err:
        line = data[: getattr(err, "start", 0)].count(b"\n") + 1
        where = f" at line {line}" if isinstance(err, UnicodeDecodeError) else ""
        msg = (
            f"{path}: cannot decode the file as {enc}{where}; "
            "pass --encoding utf-8, cp1250 (Latin) or cp1251 (Cyrillic)"
        )
        raise InputError(
            msg
        ) from None
    text = text.lstrip("\ufeff")
    if not text.strip():
        msg = f"{path}: the file is empty"
        raise InputError(msg)
    sep = delimiter or sniff_delimiter(text)
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    problems: list[str] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    skip = _title_lines(text, sep)
    try:
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue  # a blank line is not a row
            if skip:
                skip -= 1
                continue
            if header is None:
                if len(fields) > limits.columns:
                    limits.over(path, "columns in the header", len(fields), "columns")
                header = [f.strip() for f in fields]
                continue
            problem = ""
            if len(fields) > len(header):
                extra = fields[len(header):]
                if any(f.strip() for f in extra):
                    problem = f"row has {len(fields)} fields, the header has {len(header)}"
                fields = fields[: len(header)]
            elif len(fields) < len(header):
                fields = fields + [""] * (len(header) - len(fields))
            records.append(fields)
            lines.append(reader.line_num)
            problems.append(problem)
    except csv.Error as err:
        msg = f"{path}: not a readable table at line {reader.line_num} ({err})"
        raise InputError(msg) from None
    if header is None:
        msg = f"{path}: the file is empty"
        raise InputError(msg)
    if len(header) < 2:
        msg = (
            f"{path}: not a table: found one column with delimiter {sep!r}; "
            "pass --delimiter if the file uses another separator"
        )
        raise InputError(
            msg
        )
    frame = pd.DataFrame(records, columns=_unique(header), dtype=object)
    if any(problems):
        frame["_problem"] = problems
    return RawTable(path=path, frame=frame, row=np.asarray(lines, dtype=np.int64),
                    note=f"{enc}, delimiter {sep!r}")


def _title_lines(text: str, sep: str) -> int:
    """Non-blank lines above the header (a report title, a date line)."""
    first = []
    for fields in csv.reader(io.StringIO(text[:20000], newline=""), delimiter=sep):
        if any(f.strip() for f in fields):
            first.append(fields)
        if len(first) >= 10:
            break
    return header_row(first)


def _unique(names: list[str]) -> list[str]:
    """Column names without controls or direction marks, blank ones named, repeats numbered."""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = strip_controls(name) or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _first_line(err: Exception) -> str:
    """A library's error as a short line (it names what failed; the file's text stays out)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    text = strip_controls(text)
    return text if len(text) <= 120 else text[:117] + "..."


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
    frame.columns = _unique(header)
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


def _read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception as err:
        msg = f"{path}: not a readable Parquet file ({_first_line(err)})"
        raise InputError(msg) from None
    if b"geo" in meta:
        import geopandas as gpd

        return _from_geodataframe(path, gpd.read_parquet(path), row_word="row")
    # convert column by column, letting Arrow free each as it goes (millions of pings)
    arrow = pq.read_table(path, pre_buffer=False)
    frame = arrow.to_pandas(self_destruct=True, split_blocks=True)
    del arrow
    return RawTable(path=path, frame=frame, row=np.arange(1, len(frame) + 1))


def _read_gpx(path: Path, *, limits: Limits) -> RawTable:
    import gpxpy
    import gpxpy.gpx

    with path.open("rb") as fh:  # before gpxpy builds a tree: depth, size, no DTD
        check_xml(fh, path, limits, size=path.stat().st_size)
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            gpx = gpxpy.parse(fh)
    except Exception as err:
        msg = f"{path}: not a readable GPX file ({_first_line(err)})"
        raise InputError(msg) from None
    units, times, lats, lons = [], [], [], []
    for t_index, track in enumerate(gpx.tracks, start=1):
        unit = track.name or f"{path.stem}-{t_index}"
        for segment in track.segments:
            for p in segment.points:
                units.append(unit)
                times.append(p.time.isoformat() if p.time else "")
                lats.append(p.latitude)
                lons.append(p.longitude)
    if not units:  # a device may record waypoints only
        for p in gpx.waypoints:
            units.append(path.stem)
            times.append(p.time.isoformat() if p.time else "")
            lats.append(p.latitude)
            lons.append(p.longitude)
    if not units:
        msg = f"{path}: the GPX file has no track points or waypoints"
        raise InputError(msg)
    frame = pd.DataFrame({"unit": units, "time": times, "lat": lats, "lon": lons})
    return RawTable(path=path, frame=frame, row=np.arange(1, len(frame) + 1), row_word="point")
