"""Study areas and H3 cells: known answers and properties."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import INSIDE_LATLNG
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, box

from geo._errors import InputError
from geo.analysis.cells import (
    area_to_cells,
    cells_to_str,
    count_in_cells,
    points_to_cells,
    str_to_cells,
)
from geo.analysis.table import count_cells
from geo.inputs.area import default_area, extent_area, read_area

AREA = default_area()


def test_default_area_is_north_mitrovica_and_approximate():
    assert AREA.name == "North Mitrovica"
    assert AREA.approximate
    assert 4.5 < AREA.area_km2 < 5.5
    assert AREA.names["sr-Cyrl"] == "Северна Митровица"
    # the centre on King Petar I street, north of the main bridge, is inside; the south bank
    # of the Ibar (the southern municipality) is not, nor is the far side of the river's bend
    assert AREA.contains_latlng(np.array([42.8938]), np.array([20.8652])).tolist() == [True]
    south_and_east = (np.array([42.8895, 42.8800, 42.8960]), np.array([20.8665, 20.8650, 20.8820]))
    assert AREA.contains_latlng(*south_and_east).tolist() == [False, False, False]


def test_default_area_follows_the_bundled_river():
    import json
    from importlib.resources import files

    from shapely.geometry import shape

    water = json.loads(files("geo.data").joinpath("north_mitrovica_water.geojson")
                       .read_text(encoding="utf-8"))
    ibar = shape(next(f for f in water["features"] if f["properties"]["name:sr"] == "Ibar")
                 ["geometry"])
    # every edge east of the hand-drawn west side lies on the river (within 10 m)
    edge = AREA.geometry.exterior
    east = [p for p in edge.coords if p[0] > 20.853]
    assert len(east) > 10
    assert max(ibar.distance(shapely.Point(p)) for p in east) < 10 / 111_000
    assert "Ibar" in AREA.note and "hand-drawn" in AREA.note


def test_known_cells_of_real_points():
    # main bridge, north approach; and the city centre, checked against h3.latlng_to_cell
    lat = np.array([42.8872, 42.8895])
    lng = np.array([20.8676, 20.8665])
    assert cells_to_str(points_to_cells(lat, lng, res=9)).tolist() == [
        "891ef14a5c7ffff", "891ef14a5c7ffff"]
    assert cells_to_str(points_to_cells(lat, lng, res=10)).tolist() == [
        "8a1ef14a5c5ffff", "8a1ef14a5c77fff"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.floats(-89.9, 89.9), st.floats(-179.9, 179.9)), min_size=1,
                max_size=200), st.integers(0, 15))
def test_bulk_cells_equal_the_per_point_function(points, res):
    lat = np.array([p[0] for p in points])
    lng = np.array([p[1] for p in points])
    expected = [h3.latlng_to_cell(a, b, res) for a, b in points]
    assert cells_to_str(points_to_cells(lat, lng, res=res)).tolist() == expected


def test_bulk_cells_in_parallel_chunks_equal_single_call():
    rng = np.random.default_rng(1)
    lat = rng.uniform(42.88, 42.92, 2_100_000)
    lng = rng.uniform(20.83, 20.90, 2_100_000)
    cells = points_to_cells(lat, lng, res=10)
    pick = rng.choice(len(lat), 500, replace=False)
    assert cells_to_str(cells[pick]).tolist() == [
        h3.latlng_to_cell(lat[i], lng[i], 10) for i in pick]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(42.886, 42.912), st.floats(20.835, 20.893)), min_size=1,
                max_size=300), st.sampled_from([8, 9, 10]))
def test_every_point_in_the_area_lands_in_exactly_one_area_cell(points, res):
    lat = np.array([p[0] for p in points])
    lng = np.array([p[1] for p in points])
    inside = AREA.contains_latlng(lat, lng)
    cells = area_to_cells(AREA, res=res)
    counts = count_in_cells(points_to_cells(lat[inside], lng[inside], res=res), cells)
    assert counts.sum() == inside.sum()
    assert len(np.unique(cells)) == len(cells)


def test_area_cells_keep_edge_cells_and_zeros():
    for res, expected in ((8, 14), (9, 60), (10, 352)):
        assert len(area_to_cells(AREA, res=res)) == expected
    centre_only = h3.h3shape_to_cells(h3.geo_to_h3shape(AREA.geometry), 9)
    assert len(area_to_cells(AREA, res=9)) > len(centre_only)


def test_count_cells_counts_sum_to_accepted_rows():
    df = pd.DataFrame({"lat": [p[0] for p in INSIDE_LATLNG] * 3,
                       "lng": [p[1] for p in INSIDE_LATLNG] * 3,
                       "time": pd.Timestamp("2025-06-01", tz="UTC"),
                       "category": ["fight", "theft", "fight"] * 6})
    table = count_cells(df, AREA, res=10)
    assert table.frame["incidents_all"].sum() == 18
    assert (table.frame["cat_fight_all"] + table.frame["cat_theft_all"]).equals(
        table.frame["incidents_all"])
    assert (table.frame["incidents_all"] == 0).sum() == len(table.frame) - 6
    assert table.categories == {"fight": "fight", "theft": "theft"}
    assert str_to_cells(table.to_frame()["cell"]).tolist() == table.cells.tolist()


def test_read_area_picks_a_named_feature(tmp_path):
    gdf = gpd.GeoDataFrame({"NAME": ["Zvečan", "Severna Mitrovica", "Leposavić"]},
                           geometry=[box(20.80, 42.90, 20.83, 42.93), AREA.geometry,
                                     box(20.7, 43.0, 20.8, 43.1)], crs=4326).to_crs(32634)
    path = tmp_path / "municipalities.gpkg"
    gdf.to_file(path)
    area = read_area(path, name="severna mitrovica")
    assert area.name == "Severna Mitrovica"
    assert abs(area.area_km2 - AREA.area_km2) < 0.05
    with pytest.raises(InputError, match=r"no feature named 'Mitrovica'; column 'NAME' has, "
                                         r"closest first: 'Severna Mitrovica', 'Leposavić', "
                                         r"'Zvečan'"):
        read_area(path, name="Mitrovica")


def test_read_area_rejects_bad_polygons(tmp_path):
    bowtie = Polygon([(20.84, 42.89), (20.88, 42.91), (20.88, 42.89), (20.84, 42.91)])
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[bowtie], crs=4326).to_file(
        tmp_path / "bowtie.geojson")
    with pytest.raises(InputError, match="invalid .*Fix Geometries"):
        read_area(tmp_path / "bowtie.geojson")
    gpd.GeoDataFrame({"name": ["p"]}, geometry=gpd.points_from_xy([20.86], [42.89]),
                     crs=4326).to_file(tmp_path / "points.geojson")
    with pytest.raises(InputError, match=r"holds no polygons \(found Point\)"):
        read_area(tmp_path / "points.geojson")


def test_extent_area_pads_the_data():
    lat = np.array([44.81, 44.82, 44.80])
    lng = np.array([20.45, 20.47, 20.46])
    area = extent_area(lat, lng, pad_m=250)
    assert area.contains_latlng(lat, lng).all()
    assert area.source == "extent"
    with pytest.raises(InputError, match="too wide"):
        extent_area(np.array([42.0, 48.0]), np.array([19.0, 25.0]))


def test_edge_cells_carry_their_share_inside_the_area():
    import pandas as pd
    import pyproj
    import shapely

    from geo.analysis.cells import area_to_cells, inside_areas_km2
    from geo.analysis.table import count_cells
    from geo.inputs.area import default_area

    area = default_area()
    cells = area_to_cells(area, res=9)
    whole, inside = inside_areas_km2(cells, area.geometry)
    to_m = pyproj.Transformer.from_crs(4326, 32634, always_xy=True)
    area_m = shapely.transform(area.geometry, lambda xy: np.column_stack(
        to_m.transform(xy[:, 0], xy[:, 1])))
    assert inside.sum() == pytest.approx(area_m.area / 1e6, rel=1e-6)
    share = inside / whole
    assert ((share > 0) & (share <= 1 + 1e-12)).all()
    assert 15 <= (share < 0.5).sum() <= 40  # the overlap fill keeps many edge cells
    table = count_cells(pd.DataFrame({"lat": [], "lng": [], "time": pd.to_datetime([], utc=True),
                                      "category": []}), area, res=9)
    np.testing.assert_allclose(table.frame["inside_share"], share)
    np.testing.assert_allclose(table.frame["area_km2"], inside)


def test_pai_of_a_cluster_on_the_edge_counts_only_the_inside_area():
    import h3
    import pandas as pd
    import shapely

    from geo.analysis.cells import area_to_cells, cells_to_latlng, inside_areas_km2
    from geo.analysis.steps import Settings, analyse
    from geo.inputs.area import default_area

    area = default_area()
    cells = area_to_cells(area, res=9)
    whole, inside = inside_areas_km2(cells, area.geometry)
    edge = np.argsort(inside / whole)[len(cells) // 10]  # an edge cell, mostly outside
    lat, lng = cells_to_latlng(cells)
    inside_pts = []
    rng = np.random.default_rng(1)
    boundary = h3.cell_to_boundary(format(int(cells[edge]), "x"))
    poly = shapely.Polygon([(b, a) for a, b in boundary]).intersection(area.geometry)
    while len(inside_pts) < 60:  # the edge cluster: 60 incidents in the inside part
        x = rng.uniform(*poly.bounds[0::2])
        y = rng.uniform(*poly.bounds[1::2])
        if poly.contains(shapely.Point(x, y)):
            inside_pts.append((y, x))
    spread = [(lat[i], lng[i]) for i in range(len(cells)) if i != edge]
    points = inside_pts + spread
    incidents = pd.DataFrame({"lat": [p[0] for p in points], "lng": [p[1] for p in points],
                              "time": pd.Timestamp("2025-06-01 10:00", tz="UTC"),
                              "category": "fight"})
    result = analyse(incidents, area, settings=Settings(decisions=False))
    first_cell_pai = (60 / len(points)) / (inside[edge] / inside.sum())
    from geo.analysis.figures import pai

    mask = np.arange(len(cells)) == edge
    assert pai(result.table.frame["incidents_all"].to_numpy(), mask,
               areas=result.table.frame["area_km2"].to_numpy()) == pytest.approx(first_cell_pai)
    assert first_cell_pai > (60 / len(points)) / (whole[edge] / whole.sum())
def test_a_national_boundary_file_never_silently_becomes_the_country(tmp_path):
    from conftest import KOSOVO_MUNICIPALITIES, national_boundaries

    path = national_boundaries(tmp_path / "kosovo.gpkg")
    with pytest.raises(InputError) as err:
        read_area(path)
    message = str(err.value)
    assert "holds 38 features" in message and "--area-name" in message
    assert "--area-all" in message
    assert all(repr(name) in message for name in KOSOVO_MUNICIPALITIES)  # every name
    north = read_area(path, name="mitrovice e veriut")
    assert north.name == "Mitrovicë e Veriut" and abs(north.area_km2 - AREA.area_km2) < 0.1
    every = read_area(path, all_features=True)
    assert every.area_km2 > 200 * AREA.area_km2 and "union of all 38 features" in every.note
    with pytest.raises(InputError, match="not both"):
        read_area(path, name="Zveçan", all_features=True)


def test_an_unknown_area_name_lists_every_name_closest_first(tmp_path):
    from conftest import KOSOVO_MUNICIPALITIES, national_boundaries

    path = national_boundaries(tmp_path / "kosovo.gpkg")
    with pytest.raises(InputError) as err:
        read_area(path, name="Mitrovica")
    listed = str(err.value).split("closest first: ", 1)[1].split(", ")
    assert [n.strip("'") for n in listed[:2]] == ["Mitrovicë e Jugut", "Mitrovicë e Veriut"]
    assert len(listed) == len(KOSOVO_MUNICIPALITIES)
    assert read_area(path, name="ZVECAN").name == "Zveçan"  # case and accents aside


def test_an_area_far_larger_than_the_data_is_refused_without_large_area(tmp_path):
    from conftest import national_boundaries

    from geo.inputs.area import check_area_size

    every = read_area(national_boundaries(tmp_path / "kosovo.gpkg"), all_features=True)
    lat, lng = np.array(INSIDE_LATLNG).T
    with pytest.raises(InputError, match=r"km² .* but the data cover .*--large-area"):
        check_area_size(every, lat, lng)
    check_area_size(every, lat, lng, allow_large=True)
    check_area_size(AREA, lat, lng)  # the town for the town's data


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-89.9, 89.9), st.floats(-180, 180)), min_size=1,
                max_size=30), st.integers(0, 12))
def test_cell_polygons_are_the_h3_boundaries(points, res):
    from geo.analysis.cells import cells_to_polygons

    cells = np.unique(points_to_cells(np.array([p[0] for p in points]),
                                      np.array([p[1] for p in points]), res=res))
    cells = np.concatenate([cells, str_to_cells(h3.get_pentagons(res)[:2])])
    polygons = cells_to_polygons(cells)
    for cell, polygon in zip(cells, polygons, strict=True):
        ring = [(lng, lat) for lat, lng in h3.cell_to_boundary(format(int(cell), "x"))]
        assert shapely.equals_exact(polygon, Polygon(ring), tolerance=0)
        assert list(polygon.exterior.coords) == [*ring, ring[0]]
    assert cells_to_polygons(np.zeros(0, dtype=np.uint64)).shape == (0,)


def _inside_by_intersecting_every_cell(cells, geometry):
    """Each cell's area inside ``geometry`` (km², its UTM zone), every cell intersected."""
    import pyproj

    from geo.analysis.cells import cells_to_polygons
    from geo.inputs.area import utm_crs_for

    centre = shapely.centroid(geometry)
    to_m = pyproj.Transformer.from_crs(4326, utm_crs_for(centre.y, centre.x), always_xy=True)

    def metres(geom):
        return shapely.transform(geom, lambda xy: np.column_stack(to_m.transform(*xy.T)))

    return shapely.area(shapely.intersection(metres(cells_to_polygons(cells)),
                                             metres(geometry))) / 1e6


def _grid_points(geometry, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random points over a polygon's bounds, plus its vertices and points on the edges of
    the grid's boxes (where a point's box number is decided by rounding)."""
    from geo.inputs.area import _Grid

    grid = _Grid.over(geometry)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = geometry.bounds
    lng = np.r_[minx + rng.random(n) * (maxx - minx), shapely.get_coordinates(geometry)[:, 0],
                grid.minx + grid.dx * rng.integers(0, 129, 500)]
    lat = np.r_[miny + rng.random(n) * (maxy - miny), shapely.get_coordinates(geometry)[:, 1],
                grid.miny + grid.dy * rng.integers(0, 129, 500)]
    return lat, lng


@pytest.mark.parametrize("geometry", [
    AREA.geometry,
    box(20.84, 42.88, 20.90, 42.91),
    box(20.84, 42.88, 20.90, 42.91).difference(box(20.86, 42.89, 20.87, 42.895)),
    shapely.MultiPolygon([box(20.84, 42.88, 20.85, 42.885), box(20.87, 42.89, 20.9, 42.9)]),
], ids=["north-mitrovica", "box", "box-with-hole", "two-parts"])
def test_inside_areas_equal_intersecting_every_cell(geometry):
    from geo.analysis.cells import cells_to_polygons, inside_areas_km2
    from geo.inputs.area import StudyArea

    cells = area_to_cells(StudyArea(name="t", geometry=geometry), res=10)
    whole, inside = inside_areas_km2(cells, geometry)
    want = np.minimum(_inside_by_intersecting_every_cell(cells, geometry), whole)
    np.testing.assert_allclose(inside, want, rtol=1e-12, atol=0)
    hexes = cells_to_polygons(cells)
    far_inside = shapely.within(hexes, geometry) & (
        shapely.distance(hexes, geometry.boundary) > 1e-4)  # some 10 m clear of the edge
    assert far_inside.sum() > len(cells) / 3
    assert (inside[far_inside] == whole[far_inside]).all()  # whole cells: share exactly 1
    across = shapely.intersects(hexes, geometry.boundary) & (want < whole * (1 - 1e-6))
    assert across.sum() > 10 and (inside[across] < whole[across]).all()


@pytest.mark.parametrize("geometry", [
    AREA.geometry,
    Polygon([(20.0, 42.0), (20.4, 42.0), (20.4, 42.3), (20.0, 42.3)],  # a hole, and a spike
            [[(20.1, 42.1), (20.3, 42.1), (20.2, 42.25)]]).union(
        Polygon([(20.4, 42.1), (20.9, 42.12), (20.4, 42.13)])),
])
def test_many_points_in_an_area_get_what_shapely_gives_each(geometry):
    from geo.inputs.area import StudyArea

    area = StudyArea("test", geometry)
    lat, lng = _grid_points(geometry, 120_000, seed=4)
    expected = shapely.intersects_xy(geometry, lng, lat)
    got = area.contains_latlng(lat, lng)  # past _GRID_FROM points: the grid answers
    assert len(lat) >= 100_000 and 0 < expected.sum() < len(lat)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(area.contains_latlng(lat[:50], lng[:50]), expected[:50])
