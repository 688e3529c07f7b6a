"""Positions of input rows: find the coordinate columns, reproject, and judge each point."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj

from geo._arrays import in_chunks, in_threads
from geo._errors import InputError
from geo.inputs import _columns as names
from geo.inputs._columns import find_column, shown_columns
from geo.inputs._judge import Judge, Options
from geo.inputs.area import StudyArea
from geo.inputs.readers import RawTable


def to_float(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from a column (decimal comma allowed); returns (values, blank mask)."""
    if values.dtype == np.float64:  # Parquet's and most numeric columns: the column itself,
        arr = values.to_numpy()  # not a copy (tens of millions of pings); never written to
        return arr, np.isnan(arr)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        return arr, np.isnan(arr)
    text = values.astype("string").str.strip().fillna("")
    blank = (text == "").to_numpy()
    arr = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    return arr.to_numpy(dtype=float, na_value=np.nan), blank


def _transformer(crs: str, path: Path) -> pyproj.Transformer:
    try:
        source = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        msg = (
            f"{path}: unknown CRS {crs!r}; give one pyproj knows, e.g. EPSG:32634 "
            "(UTM 34N) or EPSG:9141 (KOSOVAREF01)"
        )
        raise InputError(msg) from None
    return pyproj.Transformer.from_crs(source, 4326, always_xy=True)


def locate(table: RawTable, opts: Options, judge: Judge, used: dict[str, str]):
    """WGS84 (lat, lng) for every row; rows that fail get a reason in ``judge``."""
    frame, path = table.frame, table.path
    cols = list(frame.columns)
    lat_c = find_column(cols, names.LAT, given=opts.lat_col, path=path, option="--lat-col")
    lng_c = find_column(cols, names.LNG, given=opts.lng_col, path=path, option="--lon-col")
    x_c = find_column(cols, names.X, given=opts.x_col, path=path, option="--x-col")
    y_c = find_column(cols, names.Y, given=opts.y_col, path=path, option="--y-col")
    crs = opts.crs
    if opts.x_col or opts.y_col or not (lat_c and lng_c):
        if "_x" in frame and not (opts.x_col or opts.y_col):
            x_c, y_c, crs = "_x", "_y", opts.crs or table.crs or "EPSG:4326"
            judge.fail(frame["_geom_type"].to_numpy() == "missing", "geometry", "missing geometry")
            judge.fail(frame["_geom_type"].to_numpy() != "Point", "geometry",
                       "geometry is not a point", frame["_geom_type"])
        elif x_c and y_c:
            pass
        else:
            wkt_c = find_column(cols, names.WKT)
            if wkt_c is None:
                msg = (
                    f"{path}: no coordinate columns found (latitude/longitude, x/y or WKT); "
                    f"columns are {shown_columns(cols)}. Pass --lat-col and --lon-col to name them"
                )
                raise InputError(
                    msg
                )
            return _locate_wkt(table, wkt_c, crs, judge, used)
        lat_c = lng_c = None
    if lat_c and lng_c:
        used.update(latitude=lat_c, longitude=lng_c)
        lat, lat_blank = to_float(frame[lat_c])
        lng, lng_blank = to_float(frame[lng_c])
        judge.fail(lat_blank, lat_c, "missing latitude")
        judge.fail(lng_blank, lng_c, "missing longitude")
        judge.fail(np.isnan(lat), lat_c, "latitude is not a number", frame[lat_c])
        judge.fail(np.isnan(lng), lng_c, "longitude is not a number", frame[lng_c])
        if crs and pyproj.CRS.from_user_input(crs).to_epsg() != 4326:
            lng, lat = _transformer(crs, path).transform(lng, lat)
            used["crs"] = crs
        _looks_projected(path, lat, lng, judge.ok, (lat_c, lng_c))
        return lat, lng, (lat_c, lng_c)
    # x/y columns, or point geometry
    if x_c != "_x":
        used.update(x=x_c, y=y_c)
    x, x_blank = to_float(frame[x_c])
    y, y_blank = to_float(frame[y_c])
    shown_x = x_c if x_c != "_x" else "geometry"
    shown_y = y_c if y_c != "_y" else "geometry"
    judge.fail(x_blank, shown_x, "missing x coordinate")
    judge.fail(y_blank, shown_y, "missing y coordinate")
    judge.fail(np.isnan(x), shown_x, "x is not a number", frame[x_c])
    judge.fail(np.isnan(y), shown_y, "y is not a number", frame[y_c])
    if crs is None:
        ok = judge.ok
        if ok.any() and (np.abs(x[ok]) <= 180).all() and (np.abs(y[ok]) <= 90).all():
            crs = "EPSG:4326"
        else:
            sample = x[ok][0] if ok.any() else float("nan")
            msg = (
                f"{path}: columns {x_c!r}/{y_c!r} hold projected coordinates "
                f"(e.g. {sample:.1f}) and no CRS is known; pass --crs, e.g. "
                "EPSG:32634 (UTM 34N) or EPSG:9141 (KOSOVAREF01)"
            )
            raise InputError(msg)
    used["crs"] = crs
    lng, lat = _transformer(crs, path).transform(x, y)
    judge.fail(judge.ok & ~(np.isfinite(lat) & np.isfinite(lng)), shown_x,
               f"coordinates cannot be transformed from {crs}")
    return lat, lng, (shown_y, shown_x)


def _locate_wkt(table: RawTable, column: str, crs: str | None, judge: Judge, used):
    import shapely

    text = table.frame[column].astype("string").fillna("").str.strip()
    judge.fail((text == "").to_numpy(), column, "missing geometry")
    geom = shapely.from_wkt(text.where(text != "", None).to_numpy(dtype=object),
                            on_invalid="ignore")
    is_point = shapely.get_type_id(geom) == 0
    judge.fail(~is_point, column, "geometry is not a WKT point", table.frame[column])
    x = np.where(is_point, shapely.get_x(geom), np.nan)
    y = np.where(is_point, shapely.get_y(geom), np.nan)
    used["geometry"] = column
    if crs and pyproj.CRS.from_user_input(crs).to_epsg() != 4326:
        x, y = _transformer(crs, table.path).transform(x, y)
    _looks_projected(table.path, y, x, judge.ok, (column, column))
    return y, x, (column, column)


def _looks_projected(path: Path, lat, lng, ok, cols) -> None:
    # boolean masks only, combined in place: no float temporaries of the file's size (on a
    # file of millions, fresh memory costs more than the comparisons)
    ok = ok & np.isfinite(lat)
    ok &= np.isfinite(lng)
    n_ok = np.count_nonzero(ok)
    if n_ok >= 3:
        beyond = lat > 90
        beyond |= lat < -90
        beyond |= lng > 180
        beyond |= lng < -180
        beyond &= ok
        out = np.count_nonzero(beyond)
        if out / n_ok > 0.9:
            msg = (
                f"{path}: columns {cols[0]!r}/{cols[1]!r} hold values like "
                f"{lat[np.argmax(ok)]:.1f}, not degrees; name the projected columns with "
                "--x-col/--y-col and pass --crs, e.g. EPSG:32634"
            )
            raise InputError(msg)


_PAIRS_AT_ONCE = 1_000_000


def pair_text(a: np.ndarray, b: np.ndarray):
    """``f"{x}, {y}"`` of each pair of floats, as Python writes them (the shortest text that
    reads back), as an Arrow string array; made by Arrow where it writes the same: numbers
    that are not whole, between 1e-4 and 1e7 in size (coordinates in degrees or metres), and
    whole numbers under 1e9 in size, which Arrow writes without Python's ".0" (whole
    degrees, projected coordinates in whole metres or feet); Python writes the others.

    >>> pair_text(np.array([42.8938, 42.0, 1e300]), np.array([20.8652, -1e-05, 5e5])).to_pylist()
    ['42.8938, 20.8652', '42.0, -1e-05', '1e+300, 500000.0']
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(a) > _PAIRS_AT_ONCE:  # millions (the positions outside an area): over the cores
        starts = range(0, len(a), _PAIRS_AT_ONCE)
        return pa.concat_arrays(in_threads(
            lambda lo: pair_text(a[lo:lo + _PAIRS_AT_ONCE], b[lo:lo + _PAIRS_AT_ONCE]), starts))

    def written(v: np.ndarray):
        """Arrow's text of ``v``, and where it is Python's."""
        size = np.abs(v)
        whole = (v == np.round(v)) & (size < 1e9)
        text = pc.cast(pa.array(v), pa.string())
        text = pc.if_else(pa.array(whole), pc.binary_join_element_wise(text, ".0", ""), text)
        return text, whole | ((size >= 1e-4) & (size < 1e7) & (v != np.round(v)))

    (text_a, same_a), (text_b, same_b) = written(a), written(b)
    text = pc.binary_join_element_wise(text_a, text_b, ", ")
    other = np.flatnonzero(~(same_a & same_b))
    if not len(other):
        return text
    out = text.to_numpy(zero_copy_only=False)
    for i in other:  # rare: numbers outside the ranges above
        out[i] = f"{float(a[i])}, {float(b[i])}"
    return pa.array(out, pa.string())


def judge_position(lat, lng, cols, area: StudyArea | None, judge: Judge, frame) -> None:
    lat_c, lng_c = cols

    def pair(rows: np.ndarray):
        if lat_c in frame and lng_c in frame:
            a, b = frame[lat_c], frame[lng_c]
            if a.dtype == np.float64 and b.dtype == np.float64:  # millions outside an area
                return pair_text(a.to_numpy()[rows], b.to_numpy()[rows])
            a, b = a.iloc[rows], b.iloc[rows]
            return [f"{x}, {y}" for x, y in zip(a, b, strict=True)]
        return [f"{a:.6f}, {b:.6f}" for a, b in zip(lat[rows], lng[rows], strict=True)]
    checks = [(lat_c, "latitude and longitude look swapped"),
              (lat_c, "latitude out of range (-90..90)"),
              (lng_c, "longitude out of range (-180..180)"),
              (lat_c, "coordinates are 0, 0 (no position)")]
    if area is not None:
        checks += [(lat_c, "latitude and longitude look swapped"),
                   (lat_c, "outside the study area")]
    problem = in_chunks(partial(_position_problem, area=area), np.asarray(lat, dtype=float),
                        np.asarray(lng, dtype=float))
    for number, (column, reason) in enumerate(checks, start=1):
        judge.fail(problem == number, column, reason, pair)


def _position_problem(lat: np.ndarray, lng: np.ndarray, *, area: StudyArea | None
                      ) -> np.ndarray:
    """The first position check each point fails, numbered from 1 in the order
    :func:`judge_position` names them (0: none): swapped (out of range, but inside the area
    read the other way round), latitude, longitude, 0, 0, swapped (outside the area, but
    inside it the other way round), outside the area."""
    finite = np.isfinite(lat) & np.isfinite(lng)
    swapped_inside = np.zeros(len(lat), dtype=bool)
    if area is not None:
        swapped_ok = finite & (np.abs(lng) <= 90) & (np.abs(lat) <= 180)
        swapped_inside = swapped_ok & area.contains_latlng(lng, lat)
    masks = [~(finite & (np.abs(lat) <= 90) & (np.abs(lng) <= 180)) & swapped_inside,
             np.abs(lat) > 90, np.abs(lng) > 180, (lat == 0) & (lng == 0)]
    if area is not None:
        inside = area.contains_latlng(lat, lng)
        masks += [~inside & swapped_inside, ~inside]
    problem = np.zeros(len(lat), dtype=np.uint8)
    for number, mask in reversed(list(enumerate(masks, start=1))):  # the first one wins
        problem[mask] = number
    return problem


def outside_note(judge: Judge, area: StudyArea | None) -> list[str]:
    if area is None or judge.n == 0:
        return []
    outside = sum(int((judge.code == i).sum()) for i, (_, r) in enumerate(judge.reasons)
                  if r == "outside the study area")
    if outside / judge.n <= 0.5:
        return []
    return [f"{outside:,} of {judge.n:,} rows fall outside the study area ({area.name}). "
            "If the data are from another place, pass --area FILE (a boundary file, with "
            "--area-name NAME to pick one feature) or --area extent (the data's own extent)"]


# ------------------------------------------------------------------ times
