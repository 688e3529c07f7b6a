"""Tests for geo.inputs.context: reference layers from OpenStreetMap extracts and GIS files,
the bundled North Mitrovica layers, and what reaches the page and its audit."""

import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import LineString, Point

from geo._errors import InputError
from geo._page import MAP_DATA, encode_context
from geo.inputs.area import default_area
from geo.inputs.context import OSM_ATTRIBUTION, bundled_context, read_context
from geo.privacy._audit_files import audit_map

AREA = default_area()
STAMP = {"version": 1, "changeset": 1, "timestamp": "2024-01-01T00:00:00Z", "uid": 1,
         "user": "test"}


def write_osm_pbf(path):
    """A tiny OpenStreetMap extract: a river, a main street, a footpath and a named school."""
    osmium = pytest.importorskip("osmium", reason="pip install osmium to build .osm.pbf files")
    from osmium.osm.mutable import Node, Way

    nodes = {1: (20.850, 42.895), 2: (20.855, 42.896), 3: (20.860, 42.8975),
             4: (20.845, 42.890), 5: (20.850, 42.8915), 6: (20.856, 42.892),
             7: (20.852, 42.8935), 8: (20.853, 42.8940), 9: (20.8535, 42.8942),
             10: (20.70, 42.70)}
    writer = osmium.SimpleWriter(str(path))
    for i, (lng, lat) in nodes.items():
        tags = {}
        if i == 7:
            tags = {"amenity": "school", "name": "Sveti Sava school",
                    "name:sr": "Школа Свети Сава"}
        if i == 10:
            tags = {"amenity": "school", "name": "Far away school"}
        writer.add_node(Node(id=i, location=(lng, lat), tags=tags, **STAMP))
    writer.add_way(Way(id=100, nodes=[1, 2, 3], tags={"highway": "primary",
                                                      "name": "Kralja Petra I"}, **STAMP))
    writer.add_way(Way(id=101, nodes=[4, 5, 6], tags={"waterway": "river", "name": "Ibar"},
                       **STAMP))
    writer.add_way(Way(id=102, nodes=[8, 9], tags={"highway": "footway"}, **STAMP))
    writer.close()
    return path


def test_an_osm_extract_gives_streets_water_and_named_landmarks(tmp_path):
    context = read_context(write_osm_pbf(tmp_path / "town.osm.pbf"), area=AREA)
    found = {(f.group, f.kind, f.name) for f in context.features}
    assert found == {("streets", "major", "Kralja Petra I"), ("water", "river", "Ibar"),
                     ("landmarks", "school", "Sveti Sava school")}  # no footpath, nothing far
    school = context.of("landmarks")[0]
    assert school.name_in("sr-Cyrl") == "Школа Свети Сава" and school.name_in("sq") == school.name
    assert context.attribution == (OSM_ATTRIBUTION,)
    assert context.nearest_name(42.8937, 20.8522) == "Sveti Sava school"
    assert context.nearest_name(42.8937, 20.8522, lang="sr-Cyrl") == "Школа Свети Сава"


def test_a_gis_file_is_clipped_and_simplified_with_its_attribution(tmp_path):
    wiggly = LineString([(20.80 + i * 0.0005, 42.895 + (i % 2) * 1e-6) for i in range(400)])
    gdf = gpd.GeoDataFrame({"name": ["Long road", "Kiosk", ""],
                            "highway": ["residential", None, None],
                            "amenity": [None, "police", "police"]},
                           geometry=[wiggly, Point(20.86, 42.894), Point(20.861, 42.894)],
                           crs=4326)
    path = tmp_path / "streets.gpkg"
    gdf.to_file(path)
    context = read_context(path, area=AREA, attribution="City of Mitrovica, CC BY 4.0")
    road = context.of("streets")[0]
    minx, _, maxx, _ = AREA.geometry.bounds
    assert minx - 0.004 < road.geometry.bounds[0] and road.geometry.bounds[2] < maxx + 0.004
    assert len(road.geometry.coords) < 10  # a straight line for the page, not 400 vertices
    assert [f.name for f in context.of("landmarks")] == ["Kiosk"]  # unnamed points are left
    assert context.attribution == ("City of Mitrovica, CC BY 4.0",)


def test_a_file_without_context_or_missing_is_one_line(tmp_path):
    gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(20.86, 42.894)], crs=4326)
    gdf.to_file(tmp_path / "plain.gpkg")
    with pytest.raises(InputError, match="no water, street or named landmark"):
        read_context(tmp_path / "plain.gpkg", area=AREA)
    with pytest.raises(InputError, match="context file not found"):
        read_context(tmp_path / "missing.gpkg", area=AREA)
    (tmp_path / "bad.gpkg").write_text("not a database")
    with pytest.raises(InputError, match="not a readable context file"):
        read_context(tmp_path / "bad.gpkg", area=AREA)


def test_the_bundled_layers_hold_the_rivers_and_landmarks_with_attribution():
    context = bundled_context()
    rivers = {f.name_in("sr-Latn") for f in context.of("water") if f.kind == "river"}
    assert rivers == {"Ibar", "Sitnica"}
    assert len(context.of("landmarks")) > 20
    assert context.attribution == (OSM_ATTRIBUTION,) and context.source == "bundled"
    # the main bridge: the Ibar crosses the main street near 42.8915 N, 20.8660 E
    ibar = next(f for f in context.of("water") if f.name_in("sr-Latn") == "Ibar")
    assert ibar.geometry.distance(Point(20.8660, 42.8915)) < 30 / 111_000


def test_the_sample_places_sit_north_of_the_river():
    from geo._sample_places import PLACES_LATLNG
    from geo.sample import make_posts

    ibar = next(f for f in bundled_context().of("water") if f.name_in("sr-Latn") == "Ibar")
    for name, (lat, lng) in PLACES_LATLNG.items():
        assert AREA.geometry.contains(Point(lng, lat)), name
    bridge = make_posts().set_index("post_id").loc["POST-1"]
    point = Point(float(bridge["longitude"]), float(bridge["latitude"]))
    assert AREA.geometry.contains(point)
    assert ibar.geometry.distance(point) < 80 / 111_000  # at the bridge, on the north bank


def test_the_page_carries_the_context_compactly():
    context = bundled_context()
    encoded = encode_context(context)
    assert len(json.dumps(encoded)) < 8_000
    assert {f["g"] for f in encoded["features"]} == {"water", "landmarks"}
    ibar = next(f for f in encoded["features"] if f.get("ns", {}).get("sr-Latn") == "Ibar")
    first = ibar["l"][0][:2]
    assert all(isinstance(v, int) for v in first)


def _page_with(tmp_path, context, published):
    from geo.outputs import render_map

    path = render_map(published, tmp_path / "map.html", context=context)
    return path.read_text(encoding="utf-8")


def _with_data(text: str, change) -> str:
    from geo._page import map_page

    block = MAP_DATA.search(text).group(1)
    data = json.loads(block)
    change(data)
    new = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    title = text.split("<title>")[1].split("</title>")[0]
    return map_page(title, data["lang"], new)


def test_audit_accepts_the_declared_context_and_flags_anything_else(tmp_path, published):
    text = _page_with(tmp_path, bundled_context(), published)
    found = audit_map(text)
    assert found.problems == [], found.problems
    assert any("reference geography" in n for n in found.notes)

    def move_a_landmark(data):  # a "bundled" layer must be the package's own
        data["context"]["features"][-1]["p"][0] += 3
    assert any("differs from the bundled" in p
               for p in audit_map(_with_data(text, move_a_landmark)).problems)

    def add_points(data):  # points outside the declared layer are still flagged
        data["incidents_xy"] = [[42.8938, 20.8652]]
    problems = audit_map(_with_data(text, add_points)).problems
    assert any("unexpected data keys" in p for p in problems)

    def coordinate_name(data):
        data["context"]["source"] = "file"
        data["context"]["features"][-1]["n"] = "42.89381, 20.86522"
    assert any("not a name" in p for p in audit_map(_with_data(text, coordinate_name)).problems)

    def no_attribution(data):
        data["context"]["source"] = "file"
        data["context"]["attribution"] = []
    assert any("attribution" in p for p in audit_map(_with_data(text, no_attribution)).problems)


def test_osm_context_reaches_the_page(tmp_path, published):
    context = read_context(write_osm_pbf(tmp_path / "town.osm.pbf"), area=AREA)
    text = _page_with(tmp_path, context, published)
    data = json.loads(MAP_DATA.search(text).group(1))
    names = {f["n"] for f in data["context"]["features"]}
    assert names == {"Kralja Petra I", "Ibar", "Sveti Sava school"}
    assert data["context"]["attribution"] == [OSM_ATTRIBUTION]
    assert audit_map(text).problems == []
    assert shapely.Point(20.852, 42.8935).within(AREA.geometry)


def test_serbian_names_reach_both_scripts():
    """OSM here tags name:sr in Latin letters only: the Cyrillic page gets the same name in
    Cyrillic; an Albanian name is never forced into Serbian letters."""
    from geo.inputs.context import bundled_context

    ibar = next(f for f in bundled_context().of("water") if f.names.get("sq") == "Ibër")
    assert ibar.name_in("sr-Latn") == "Ibar" and ibar.name_in("sr-Cyrl") == "Ибар"
    assert ibar.name_in("sq") == "Ibër"


def test_a_name_written_only_in_cyrillic_is_shown_in_latin_letters_on_latin_maps():
    """An OpenStreetMap extract of a Serbian town often names a place in Cyrillic only:
    the English, Albanian and Serbian Latin maps show its Serbian Latin form, the Cyrillic
    map the name itself; a name given for the language wins."""
    from geo.inputs.context import Context, ContextFeature

    church = ContextFeature("landmarks", "worship", "Црква Светог Димитрија", Point(20.86, 42.89))
    market = ContextFeature("landmarks", "market", "Пијаца", Point(20.87, 42.89),
                            names={"en": "Green market"})
    assert [church.name_in(lang) for lang in ("en", "sq", "sr-Latn", "sr-Cyrl")] == [
        "Crkva Svetog Dimitrija", "Crkva Svetog Dimitrija", "Crkva Svetog Dimitrija",
        "Црква Светог Димитрија"]
    assert market.name_in("en") == "Green market" and market.name_in("sq") == "Pijaca"
    encoded = encode_context(Context((church, market)))["features"]
    assert encoded[0]["n"] == "Црква Светог Димитрија"
    assert encoded[0]["ns"] == {"en": "Crkva Svetog Dimitrija", "sr-Latn": "Crkva Svetog Dimitrija",
                                "sq": "Crkva Svetog Dimitrija"}
    assert encoded[1]["ns"]["en"] == "Green market"
