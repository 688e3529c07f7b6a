"""Reference layers drawn under the cells: water, streets and named landmarks.

Context data are public geography, not incident data: they go to a page as given, clipped to
the study area and simplified, with the attribution their licence asks for. They never mix
with counts; renderers take a :class:`Context` beside the published cells.

Sources: any file GDAL reads (GeoPackage, GeoJSON, FlatGeobuf, Shapefile) and OpenStreetMap
extracts (``.osm.pbf``, GDAL's OSM driver), or the bundled OpenStreetMap water and landmarks
of North Mitrovica.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

import shapely
import shapely.ops
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geo._errors import InputError
from geo._text import clean_text
from geo.i18n import to_cyrillic, to_latin

__all__ = ["Context", "ContextFeature", "read_context", "bundled_context", "OSM_ATTRIBUTION",
           "WATER_KINDS", "STREET_KINDS", "LANDMARK_KINDS"]

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
WATER_KINDS = ("river", "stream", "canal", "lake", "water")
STREET_KINDS = ("major", "minor", "synthetic")
"""Street classes: ``major`` (motorway to secondary), ``minor`` (tertiary to living street),
``synthetic`` (a sample's hand-drawn streets, never real ones)."""
LANDMARK_KINDS = ("school", "university", "health", "police", "worship", "square",
                  "bus_station", "townhall", "museum", "monument", "park", "market",
                  "castle", "fuel", "place")

_MAJOR = {"motorway", "trunk", "primary", "secondary", "motorway_link", "trunk_link",
          "primary_link", "secondary_link"}
_MINOR = {"tertiary", "tertiary_link", "residential", "unclassified", "living_street",
          "pedestrian"}
_LANDMARK_TAGS = {
    "school": "school", "kindergarten": "school", "college": "university",
    "university": "university", "hospital": "health", "clinic": "health", "doctors": "health",
    "police": "police", "place_of_worship": "worship", "church": "worship",
    "mosque": "worship", "bus_station": "bus_station", "townhall": "townhall",
    "museum": "museum", "gallery": "museum", "monument": "monument", "memorial": "monument",
    "attraction": "monument", "artwork": "monument", "ruins": "monument", "park": "park",
    "garden": "park", "marketplace": "market", "castle": "castle", "fuel": "fuel",
    "square": "square", "neighbourhood": "place", "suburb": "place", "quarter": "place",
    "village": "place", "hamlet": "place", "place_village": "place",
    "place_neighbourhood": "place", "place_suburb": "place",
}
_LANG_COLUMNS = {"sr-Latn": ("name:sr-Latn", "name_sr_latn"), "sr-Cyrl": ("name:sr",),
                 "sq": ("name:sq", "name_sq"), "en": ("name:en", "name_en")}
_TAG = re.compile(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"')
_SIMPLIFY_M = 4.0
_PAD_M = 250.0
_M_PER_DEG = 111_320.0
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True)
class ContextFeature:
    """One reference feature: a group (water, streets, landmarks), a kind, a name (with its
    names per language where the source gives them) and a geometry in (lng, lat) order."""

    group: str
    kind: str
    name: str
    geometry: BaseGeometry
    names: dict[str, str] = field(default_factory=dict)

    def name_in(self, lang: str) -> str:
        """The feature's name in ``lang``; without one, its own name, in Latin letters on a
        map in a Latin script when it is written in Cyrillic (OpenStreetMap's ``name`` here
        is often Serbian Cyrillic only: a reader of English or Albanian gets the Serbian
        Latin form)."""
        found = self.names.get(lang)
        if found:
            return found
        if lang != "sr-Cyrl" and _CYRILLIC.search(self.name):
            return self.names.get("sr-Latn") or to_latin(self.name)
        return self.name


@dataclass(frozen=True)
class Context:
    """Reference layers for a map, with the attribution their licences ask for."""

    features: tuple[ContextFeature, ...]
    attribution: tuple[str, ...] = ()
    source: str = "file"
    """``bundled`` for the package's own North Mitrovica layers, ``file`` otherwise."""

    def __len__(self) -> int:
        return len(self.features)

    def of(self, group: str) -> tuple[ContextFeature, ...]:
        """The features of one group."""
        return tuple(f for f in self.features if f.group == group)

    def nearest(self, lat: float, lng: float, *, within_m: float = 400.0) -> int | None:
        """The index of the nearest named landmark (else street) within ``within_m``."""
        scale = math.cos(math.radians(lat))
        here = shapely.Point(lng, lat)
        for group in ("landmarks", "streets"):
            best, best_d = None, within_m
            for i, feature in enumerate(self.features):
                if (feature.group != group or not feature.name
                        or feature.kind in ("fuel", "synthetic")):
                    continue
                near = shapely.ops.nearest_points(feature.geometry, here)[0]
                d = math.hypot((near.x - lng) * scale, near.y - lat) * _M_PER_DEG
                if d < best_d:
                    best, best_d = i, d
            if best is not None:
                return best
        return None

    def nearest_name(self, lat: float, lng: float, *, lang: str = "en",
                     within_m: float = 400.0) -> str | None:
        """The name of the nearest named landmark (else street) within ``within_m``."""
        found = self.nearest(lat, lng, within_m=within_m)
        return None if found is None else self.features[found].name_in(lang)

    def merged(self, other: Context) -> Context:
        """Both contexts' features, each attribution once."""
        attribution = tuple(dict.fromkeys([*self.attribution, *other.attribution]))
        return Context(self.features + other.features, attribution,
                       source="bundled" if self.source == other.source == "bundled"
                       else "file")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _names(row: dict) -> dict[str, str]:
    out = {}
    for lang, columns in _LANG_COLUMNS.items():
        for column in columns:
            value = row.get(column)
            if isinstance(value, str) and value.strip():
                text = clean_text(value, limit=80)
                if lang == "sr-Cyrl" and not _CYRILLIC.search(text):
                    out.setdefault("sr-Latn", text)  # OSM name:sr is often Latin here
                    continue
                out[lang] = text
                break
    # Serbian in the other script: OSM here often has one of them only
    if "sr-Latn" in out and "sr-Cyrl" not in out and (cyrillic := to_cyrillic(out["sr-Latn"])):
        out["sr-Cyrl"] = cyrillic
    if "sr-Cyrl" in out and "sr-Latn" not in out:
        out["sr-Latn"] = to_latin(out["sr-Cyrl"])
    return out


def _classify(row: dict, geom_type: str) -> tuple[str, str] | None:
    """(group, kind) of a source row, or None when it is not reference geography."""
    kind = str(row.get("kind") or "").strip().lower()
    waterway = str(row.get("waterway") or "").lower()
    natural = str(row.get("natural") or "").lower()
    highway = str(row.get("highway") or "").lower()
    lines = geom_type in ("LineString", "MultiLineString")
    polygons = geom_type in ("Polygon", "MultiPolygon")
    if lines and (waterway in ("river", "stream", "canal") or kind in ("river", "stream",
                                                                        "canal")):
        return "water", waterway or kind
    if polygons and (natural == "water" or waterway == "riverbank" or
                     kind in ("lake", "water", "reservoir")):
        return "water", "lake" if kind in ("lake", "reservoir") else "water"
    if lines and (highway in _MAJOR or kind == "major"):
        return "streets", "major"
    if lines and (highway in _MINOR or kind == "minor"):
        return "streets", "minor"
    if lines and kind == "synthetic":
        return "streets", "synthetic"
    if polygons and highway == "pedestrian" or str(row.get("place") or "") == "square":
        return "landmarks", "square"
    for tag in ("amenity", "tourism", "historic", "leisure", "building", "place"):
        value = str(row.get(tag) or "").lower()
        if value in _LANDMARK_TAGS:
            return "landmarks", _LANDMARK_TAGS[value]
    if kind in _LANDMARK_TAGS:
        return "landmarks", _LANDMARK_TAGS[kind]
    if kind in LANDMARK_KINDS:
        return "landmarks", kind
    return None


def _rows(path: Path):
    """Every feature of every layer of a file, as (properties, geometry)."""
    import geopandas as gpd
    import pyogrio

    try:
        layers = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        msg = f"{path}: not a readable context file ({first})"
        raise InputError(msg) from None
    osm = path.name.lower().endswith((".osm.pbf", ".osm"))
    for layer in layers:
        if osm and layer not in ("points", "lines", "multipolygons"):
            continue
        try:
            gdf = gpd.read_file(path, layer=layer)
        except Exception as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            msg = f"{path}: layer {layer!r} is not readable ({first})"
            raise InputError(msg) from None
        if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry is None or gdf.empty:
            continue
        if gdf.crs is None:
            minx, miny, maxx, maxy = gdf.total_bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                msg = f"{path}: no CRS and not in lat/lon degrees; save it with its CRS"
                raise InputError(msg)
            gdf = gdf.set_crs(4326)
        gdf = gdf.to_crs(4326)
        columns = [c for c in gdf.columns if c != gdf.geometry.name]
        for values, geom in zip(gdf[columns].itertuples(index=False), gdf.geometry,
                                strict=True):
            if geom is None or geom.is_empty:
                continue
            row = dict(zip(columns, values, strict=True))
            tags = row.pop("other_tags", None)
            if isinstance(tags, str):
                for key, value in _TAG.findall(tags):
                    row.setdefault(key, value)
            yield row, geom


def _clip_box(area_geometry: BaseGeometry) -> BaseGeometry:
    minx, miny, maxx, maxy = area_geometry.bounds
    lat = (miny + maxy) / 2
    pad_lat = _PAD_M / _M_PER_DEG
    pad_lng = pad_lat / math.cos(math.radians(lat))
    return shapely.box(minx - pad_lng, miny - pad_lat, maxx + pad_lng, maxy + pad_lat)


def _features(rows, box: BaseGeometry) -> list[ContextFeature]:
    tolerance = _SIMPLIFY_M / _M_PER_DEG
    out = []
    for row, geom in rows:
        found = _classify(row, geom.geom_type)
        if found is None:
            continue
        group, kind = found
        name = row.get("name")
        name = clean_text(name, limit=80) if isinstance(name, str) else ""
        if group == "landmarks":
            if not name:
                continue
            point = geom if geom.geom_type == "Point" else geom.representative_point()
            if not box.contains(point):
                continue
            geom = shapely.Point(round(point.x, 5), round(point.y, 5))
        else:
            if not geom.intersects(box):
                continue
            geom = geom.intersection(box).simplify(tolerance, preserve_topology=False)
            if geom.is_empty:
                continue
        out.append(ContextFeature(group, kind, _fold(name), geom, _names(row)))
    return out


def read_context(paths, *, area, attribution: str | None = None) -> Context:
    """Read reference layers from files, clipped to the area (padded by 250 m).

    Parameters
    ----------
    paths
        Files GDAL reads; an OpenStreetMap extract (``.osm.pbf``) is read through its points,
        lines and multipolygons layers.
    area
        The :class:`geo.inputs.area.StudyArea` the map shows.
    attribution
        The credit the data's licence asks for; OpenStreetMap extracts get
        "© OpenStreetMap contributors" without it.
    """
    paths = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
    box = _clip_box(area.geometry)
    features: list[ContextFeature] = []
    given = []
    for path in paths:
        if not path.exists():
            msg = f"{path}: context file not found"
            raise InputError(msg)
        found = _features(_rows(path), box)
        if not found:
            msg = (f"{path}: no water, street or named landmark near the study area; a "
                   "context file needs waterway, highway or amenity features (or a 'kind' "
                   "column) inside the area")
            raise InputError(msg)
        features.extend(found)
        if path.name.lower().endswith((".osm.pbf", ".osm")):
            given.append(OSM_ATTRIBUTION)
    if attribution:
        given.append(clean_text(attribution, limit=120))
    return Context(tuple(features), tuple(dict.fromkeys(given)))


def bundled_context(area=None) -> Context:
    """The bundled OpenStreetMap water and landmarks of North Mitrovica (ODbL)."""
    rows = []
    for name in ("north_mitrovica_water.geojson", "north_mitrovica_landmarks.geojson"):
        text = files("geo.data").joinpath(name).read_text(encoding="utf-8")
        for feature in json.loads(text)["features"]:
            rows.append((feature["properties"], shape(feature["geometry"])))
    if area is None:
        from geo.inputs.area import default_area

        area = default_area()
    return Context(tuple(_features(rows, _clip_box(area.geometry))), (OSM_ATTRIBUTION,),
                   source="bundled")
