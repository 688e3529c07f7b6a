"""The study area: bundled North Mitrovica, a boundary file, or the data's own extent."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from importlib.resources import files
from pathlib import Path

import numpy as np
import pyproj
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo._arrays import in_chunks
from geo._errors import InputError
from geo.inputs._columns import fold

__all__ = ["StudyArea", "default_area", "read_area", "extent_area", "utm_crs_for",
           "check_area_size", "closest_names", "LARGE_AREA_RATIO"]

LARGE_AREA_RATIO = 25.0
"""An area this many times larger than the data's padded extent (and over 50 km²) is refused
without ``--large-area``: a country for one town's data is a mistake, not a map."""

_GEOD = pyproj.Geod(ellps="WGS84")
NAME_FIELDS = ("name", "naziv", "emri", "name_en", "name_sr", "name_sq", "municipality",
               "opstina", "komuna", "shapename", "name_2", "name_1", "nam", "label")


@dataclass(frozen=True)
class StudyArea:
    """A study area polygon in WGS84 (shapely order: lng, lat).

    ``names`` holds the area's name per language code when the file gives them.
    """

    name: str
    geometry: BaseGeometry
    approximate: bool = False
    source: str = "file"
    note: str = ""
    names: dict[str, str] = field(default_factory=dict)

    @property
    def area_km2(self) -> float:
        """Geodesic area in square kilometres."""
        return abs(_GEOD.geometry_area_perimeter(self.geometry)[0]) / 1e6

    @property
    def bounds_lnglat(self) -> tuple[float, float, float, float]:
        """(min lng, min lat, max lng, max lat)."""
        return tuple(self.geometry.bounds)  # type: ignore[return-value]

    def contains_latlng(self, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
        """Whether each point lies inside (or on the edge of) the area; vectorized, a
        million points a thread."""
        lat = np.asarray(lat, dtype=float)
        lng = np.asarray(lng, dtype=float)
        if lat.shape != lng.shape or lat.ndim != 1:
            return self._contains(lat, lng)
        shapely.prepare(self.geometry)  # once, before threads share it
        return in_chunks(self._contains, lat, lng)

    def _contains(self, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
        inside = np.zeros(lat.shape, dtype=bool)
        finite = np.isfinite(lat) & np.isfinite(lng)
        minx, miny, maxx, maxy = self.geometry.bounds
        near = finite & (lng >= minx) & (lng <= maxx) & (lat >= miny) & (lat <= maxy)
        if np.count_nonzero(near) >= _GRID_FROM and maxx > minx and maxy > miny:
            inside[near] = self._grid.contains(lat[near], lng[near])
        elif near.any():
            shapely.prepare(self.geometry)
            inside[near] = shapely.intersects_xy(self.geometry, lng[near], lat[near])
        return inside

    @cached_property
    def _grid(self) -> _Grid:
        return _Grid.over(self.geometry)


_GRID_FROM = 50_000
"""Points near an area from which :class:`_Grid` answers most of them (fewer: shapely)."""


@dataclass(frozen=True)
class _Grid:
    """A grid of boxes over a polygon's bounds, each known to lie inside it, outside it, or
    across its edge, so that only the points in edge boxes need an exact test.

    Boxes are judged a hair larger than they are (:data:`_GRID_PAD` degrees, far above the
    rounding of a point's box number), so a point judged by its box gets exactly the
    answer ``shapely.intersects_xy`` gives it.
    """

    geometry: BaseGeometry
    minx: float
    miny: float
    dx: float
    dy: float
    kind: np.ndarray
    """Per box (row: latitude, column: longitude): 0 outside, 1 inside, 2 across the edge."""

    @classmethod
    def over(cls, geometry: BaseGeometry, size: int = 128) -> _Grid:
        minx, miny, maxx, maxy = geometry.bounds
        dx, dy = (maxx - minx) / size, (maxy - miny) / size
        x0, y0 = np.meshgrid(minx + dx * np.arange(size), miny + dy * np.arange(size))
        boxes = shapely.box(x0 - _GRID_PAD, y0 - _GRID_PAD, x0 + dx + _GRID_PAD,
                            y0 + dy + _GRID_PAD)
        shapely.prepare(geometry)
        kind = np.where(shapely.covers(geometry, boxes), 1,
                        np.where(shapely.intersects(geometry, boxes), 2, 0)).astype(np.uint8)
        return cls(geometry, minx, miny, dx, dy, kind)

    def contains(self, lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
        """Whether each point (within the bounds) intersects the polygon."""
        size = self.kind.shape[0]
        col = np.clip(((lng - self.minx) / self.dx).astype(np.int64), 0, size - 1)
        row = np.clip(((lat - self.miny) / self.dy).astype(np.int64), 0, size - 1)
        kind = self.kind[row, col]
        inside = kind == 1
        edge = np.flatnonzero(kind == 2)
        if len(edge):
            shapely.prepare(self.geometry)
            inside[edge] = shapely.intersects_xy(self.geometry, lng[edge], lat[edge])
        return inside


_GRID_PAD = 1e-9


def default_area() -> StudyArea:
    """The bundled, approximate North Mitrovica study area.

    >>> area = default_area()
    >>> area.name, area.approximate, 4.5 < area.area_km2 < 5.5
    ('North Mitrovica', True, True)
    """
    text = files("geo.data").joinpath("north_mitrovica.geojson").read_text(encoding="utf-8")
    feature = json.loads(text)["features"][0]
    props = feature["properties"]
    return StudyArea(
        name=props["name"],
        geometry=shape(feature["geometry"]),
        approximate=bool(props.get("approximate")),
        source="bundled",
        note=props.get("note", ""),
        names={"en": props["name"], "sr-Cyrl": props["name_sr_cyrl"],
               "sr-Latn": props["name_sr_latn"], "sq": props["name_sq"]},
    )


def read_area(path: str | Path, *, name: str | None = None, layer: str | None = None,
              all_features: bool = False) -> StudyArea:
    """Read a boundary file (any format GDAL reads) as a study area.

    Parameters
    ----------
    name
        Pick the feature whose name (in any name-like column) equals this, ignoring case and
        accents. An unknown name is an error listing every name, closest first.
    layer
        Layer of a multi-layer file; the first by default.
    all_features
        Use the union of every feature. A file of several differently named features needs
        ``name`` or this.
    """
    import geopandas as gpd
    import pyogrio

    path = Path(path)
    if not path.exists():
        msg = f"{path}: study area file not found"
        raise InputError(msg)
    try:
        layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        if layer is not None and layer not in layers:
            msg = f"{path}: no layer {layer!r}; layers are {layers}"
            raise InputError(msg)
        gdf = gpd.read_file(path, layer=layer or layers[0])
        if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None:
            msg = f"{path}: holds no geometry; a study area must be a polygon file"
            raise InputError(msg)
    except InputError:
        raise
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        msg = f"{path}: not a readable boundary file ({first})"
        raise InputError(msg) from None
    if gdf.crs is None:
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            msg = (
                f"{path}: the boundary file has no CRS and is not in lat/lon degrees; "
                "save it with its CRS (e.g. as GeoPackage)"
            )
            raise InputError(msg)
        gdf = gdf.set_crs(4326)
    gdf = gdf.to_crs(4326)
    polygonal = gdf[gdf.geometry.notna()
                    & gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygonal.empty:
        kinds = sorted(set(gdf.geometry.geom_type.dropna())) or ["no geometry"]
        msg = (
            f"{path}: holds no polygons (found {', '.join(kinds)}); "
            "a study area must be a polygon"
        )
        raise InputError(msg)
    label = None
    names: dict[str, str] = {}
    note = "Boundary from a user-supplied file."
    if name is not None and all_features:
        msg = "--area-name and --area-all: pick one feature or use them all, not both"
        raise InputError(msg)
    if name is not None:
        polygonal, label = _pick_named(path, polygonal, name)
    elif all_features:
        label = _feature_name(polygonal) if _one_name(polygonal) else None
        if len(polygonal) > 1:
            note = (f"The union of all {len(polygonal):,} features of {path.name} "
                    "(--area-all).")
    elif len(polygonal) == 1 or _one_name(polygonal):
        label = _feature_name(polygonal)
    else:
        column, values = _listed_names(polygonal)
        shown = (f"{column!r} has {', '.join(repr(v) for v in values)}" if values
                 else "the file names none of them")
        msg = (f"{path}: holds {len(polygonal):,} features; pass --area-name NAME to pick "
               f"one ({shown}) or --area-all to use their union")
        raise InputError(msg)
    parts = polygonal.geometry.to_numpy()
    invalid = ~shapely.is_valid(parts)
    if invalid.any():
        reason = shapely.is_valid_reason(parts[invalid][0])
        msg = (
            f"{path}: the study area polygon is invalid ({reason}); repair it, "
            "e.g. in QGIS with Vector > Geometry Tools > Fix Geometries"
        )
        raise InputError(msg)
    geometry = shapely.union_all(parts)
    if geometry.is_empty or geometry.area == 0:
        msg = f"{path}: the study area polygon is empty"
        raise InputError(msg)
    if label:
        names = {"en": label}
    return StudyArea(name=label or "Study area", geometry=geometry, source="file", names=names,
                     note=note)


def _name_columns(gdf) -> list[str]:
    text_cols = [c for c in gdf.columns if c != gdf.geometry.name and gdf[c].dtype == object
                 or str(gdf[c].dtype).startswith("str")]
    preferred = [c for c in text_cols if fold(c) in NAME_FIELDS]
    return preferred + [c for c in text_cols if c not in preferred]


def _feature_name(gdf) -> str | None:
    for column in _name_columns(gdf):
        value = gdf[column].iloc[0]
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _listed_names(gdf) -> tuple[str | None, list[str]]:
    """The name column that tells features apart best (most distinct names, preferred
    name-like columns first), and its names sorted."""
    best, values = None, []
    for column in _name_columns(gdf):
        found = sorted({str(v).strip() for v in gdf[column].dropna() if str(v).strip()})
        if len(found) > len(values):
            best, values = column, found
    return best, values


def _one_name(gdf) -> bool:
    """Whether every feature carries one and the same name (parts of one area)."""
    column, values = _listed_names(gdf)
    return column is not None and len(values) == 1 and gdf[column].notna().all()


def _pick_named(path: Path, gdf, name: str):
    wanted = fold(name)
    finest, _ = _listed_names(gdf)
    columns = _name_columns(gdf)
    columns = ([finest] if finest else []) + [c for c in columns if c != finest]
    for column in columns:
        values = gdf[column].astype("string").fillna("")
        hits = gdf[values.map(fold) == wanted]
        if len(hits):
            return hits, str(hits[column].iloc[0]).strip()
    if not columns:
        msg = (
            f"{path}: --area-name {name!r} given but the file has no text columns "
            "to match it against"
        )
        raise InputError(msg)
    values = closest_names(name, _listed_names(gdf)[1])
    shown = ", ".join(repr(v) for v in values)
    msg = f"{path}: no feature named {name!r}; column {finest!r} has, closest first: {shown}"
    raise InputError(msg)


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions); a dozen lines, so no
    dependency for it."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def closest_names(name: str, names: list[str]) -> list[str]:
    """Every name, closest to ``name`` first: names holding it (or held in it) ignoring case
    and accents, then by edit distance of the folded names, their words or their beginnings
    (``Mitrovica`` is one letter from ``Mitrovicë e Veriut``).

    >>> closest_names("zvecan", ["Leposavić", "Zvečan", "Zubin Potok", "Zveçani"])
    ['Zvečan', 'Zveçani', 'Zubin Potok', 'Leposavić']
    """
    wanted = fold(name)

    def key(candidate: str) -> tuple[int, int, str]:
        folded = fold(candidate)
        holds = bool(wanted) and (wanted in folded or folded in wanted)
        parts = [folded, folded[:len(wanted)], *folded.split("_")]
        return (0 if holds else 1, min(_edit_distance(wanted, p) for p in parts), folded)

    return sorted(names, key=key)


def extent_area(lat: np.ndarray, lng: np.ndarray, *, pad_m: float = 250.0,
                limit_km2: float | None = 5000.0) -> StudyArea:
    """An area from the points' own extent: their bounding box padded by ``pad_m`` metres,
    refused above ``limit_km2``."""
    lat = np.asarray(lat, dtype=float)
    lng = np.asarray(lng, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lng) & (np.abs(lat) <= 90) & (np.abs(lng) <= 180)
    if not ok.any():
        msg = "--area extent: no valid coordinates to take the extent from"
        raise InputError(msg)
    lat, lng = lat[ok], lng[ok]
    crs = utm_crs_for(float(np.median(lat)), float(np.median(lng)))
    to_metric = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x, y = to_metric.transform(lng, lat)
    padded = shapely.box(x.min() - pad_m, y.min() - pad_m, x.max() + pad_m, y.max() + pad_m)
    padded = shapely.segmentize(padded, 100.0)  # keep the edges true after reprojection
    back = pyproj.Transformer.from_crs(crs, 4326, always_xy=True)
    geometry = shapely.transform(
        padded, lambda xy: np.column_stack(back.transform(xy[:, 0], xy[:, 1])))
    area = StudyArea(name="Study area (data extent)", geometry=geometry, source="extent",
                     approximate=True, note=f"The data's own extent padded by {pad_m:.0f} m.")
    if limit_km2 is not None and area.area_km2 > limit_km2:
        msg = (
            f"--area extent: the data spread over {area.area_km2:,.0f} km2, too wide "
            "for a city map; pass --area FILE with a boundary, or fix stray points"
        )
        raise InputError(msg)
    return area


def check_area_size(area: StudyArea, lat: np.ndarray, lng: np.ndarray, *,
                    allow_large: bool = False) -> None:
    """Refuse a study area far larger than the data's extent (padded by 1 km), unless
    ``allow_large``: a national boundary file for one town's data would make a map of the
    whole country."""
    lat = np.asarray(lat, dtype=float)
    lng = np.asarray(lng, dtype=float)
    ok = np.isfinite(lat) & np.isfinite(lng)
    if allow_large or not ok.any() or area.area_km2 <= 50:
        return
    extent = extent_area(lat[ok], lng[ok], pad_m=1000.0, limit_km2=None).area_km2
    if area.area_km2 <= LARGE_AREA_RATIO * extent:
        return
    import h3

    cells = area.area_km2 / h3.average_hexagon_area(9, unit="km^2")
    msg = (f"study area {area.name!r} is {area.area_km2:,.0f} km² (about {cells:,.0f} cells at "
           f"res 9) but the data cover {extent:,.0f} km²; pick the place with --area-name, "
           "use --area extent, or pass --large-area to map the whole area")
    raise InputError(msg)


def utm_crs_for(lat: float, lng: float) -> pyproj.CRS:
    """The WGS84 UTM zone CRS for a point (EPSG:32634 for North Mitrovica)."""
    zone = int((lng + 180) // 6) + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)
