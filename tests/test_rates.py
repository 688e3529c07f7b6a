"""Population layers and incident rates: readers of every shape, areal weighting, EB."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
from esda.smoothing import Empirical_Bayes
from hypothesis import given, settings
from hypothesis import strategies as st

from geo._errors import InputError
from geo.analysis.cells import area_to_cells, cells_to_str, inside_areas_km2
from geo.analysis.rates import RATE_CAVEAT, incident_rates, population_to_cells
from geo.analysis.steps import Settings, analyse
from geo.inputs.area import default_area
from geo.inputs.population import read_population

AREA = default_area()
CELLS = area_to_cells(AREA, res=9)
WHOLE, INSIDE = inside_areas_km2(CELLS, AREA.geometry)


def kontur_like() -> pd.DataFrame:
    """Residents per res-8 cell over the area, as Kontur's population dataset gives them."""
    parents = sorted({h3.cell_to_parent(c, 8) for c in cells_to_str(CELLS)})
    rng = np.random.default_rng(4)
    return pd.DataFrame({"h3": parents, "population": rng.integers(50, 3000, len(parents))})


def test_res9_h3_table_maps_cell_to_cell(tmp_path):
    table = pd.DataFrame({"h3": cells_to_str(CELLS), "population": np.arange(len(CELLS)) + 1})
    path = tmp_path / "pop.csv"
    table.to_csv(path, index=False)
    population = read_population(path)
    assert population.kind == "h3" and population.total == table["population"].sum()
    residents = population_to_cells(population.frame, CELLS, AREA.geometry)
    # each cell keeps the share of its own residents that lives inside the area
    expected = table["population"].to_numpy() * INSIDE / WHOLE
    np.testing.assert_allclose(residents, expected, rtol=1e-6, atol=1e-6)


def test_kontur_res8_cells_spread_over_their_children(tmp_path):
    table = kontur_like()
    path = tmp_path / "kontur.parquet"
    table.to_parquet(path)
    population = read_population(path)
    residents = population_to_cells(population.frame, CELLS, AREA.geometry)
    # an independent computation: parent hexagon x (child cell inside the area), by area
    import geopandas as gpd
    import shapely

    def hexagons(ids):
        return [shapely.Polygon([(b, a) for a, b in h3.cell_to_boundary(c)]) for c in ids]

    parents = gpd.GeoDataFrame(table, geometry=hexagons(table["h3"]), crs=4326).to_crs(32634)
    parents["full"] = parents.area
    children = gpd.GeoDataFrame({"i": range(len(CELLS))}, geometry=hexagons(
        cells_to_str(CELLS)), crs=4326).to_crs(32634)
    area = gpd.GeoDataFrame(geometry=[AREA.geometry], crs=4326).to_crs(32634)
    children = gpd.overlay(children, area, how="intersection")
    pieces = gpd.overlay(children, parents, how="intersection")
    pieces["share"] = pieces.area / pieces["full"] * pieces["population"]
    expected = pieces.groupby("i")["share"].sum().reindex(range(len(CELLS)), fill_value=0)
    np.testing.assert_allclose(residents, expected.to_numpy(), rtol=1e-6, atol=1e-6)
    assert residents.sum() < table["population"].sum()  # parents reach past the area


def test_polygon_layer_and_geotiff(tmp_path):
    import geopandas as gpd
    import shapely

    minx, miny, maxx, maxy = AREA.geometry.bounds
    halves = [shapely.box(minx, miny, (minx + maxx) / 2, maxy),
              shapely.box((minx + maxx) / 2, miny, maxx, maxy)]
    gdf = gpd.GeoDataFrame({"Stanovnici": [6000, 4000]}, geometry=halves, crs=4326)
    path = tmp_path / "districts.gpkg"
    gdf.to_crs(32634).to_file(path)  # another CRS than the cells'

    population = read_population(path)
    assert population.kind == "polygons" and population.column == "Stanovnici"
    residents = population_to_cells(population.frame, CELLS, AREA.geometry)
    boxes_m = gpd.GeoSeries(halves, crs=4326).to_crs(32634)
    area_m = gpd.GeoSeries([AREA.geometry], crs=4326).to_crs(32634).iloc[0]
    inside = sum(n * b.intersection(area_m).area / b.area
                 for n, b in zip((6000, 4000), boxes_m, strict=True))
    assert residents.sum() == pytest.approx(inside, rel=1e-4)

    rasterio = pytest.importorskip("rasterio")
    from rasterio.transform import from_origin

    pixels = np.full((40, 60), 25.0)
    pixels[0, 0] = -9999  # nodata
    tif = tmp_path / "worldpop.tif"
    step = 0.0015
    with rasterio.open(tif, "w", driver="GTiff", height=40, width=60, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(minx - 0.005, maxy + 0.005, step,
                                                              step), nodata=-9999) as dst:
        dst.write(pixels.astype("float32"), 1)
    raster = read_population(tif, area=AREA)
    assert raster.kind == "raster" and (raster.frame["population"] == 25).all()
    cells_pop = population_to_cells(raster.frame, CELLS, AREA.geometry)
    # uniform 25 a pixel: residents follow the inside area
    density = cells_pop / INSIDE
    np.testing.assert_allclose(density[INSIDE / WHOLE > 0.99], np.median(density), rtol=0.05)


@pytest.mark.parametrize(("text", "message"), [
    ("h3,population\n891ef14a4bbffff,12\n891ef14a4bbffff,lots\n",
     "row 3, column 'population': 'lots'"),
    ("h3,population\nnot-a-cell,12\n", "row 2, column 'h3'"),
    ("district,people\nnorth,12\n", "no population column"),
    ("district,population\nnorth,12\n", "neither polygons nor an H3 column"),
])
def test_bad_population_files_name_the_row(tmp_path, text, message):
    path = tmp_path / "pop.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        read_population(path)
    with pytest.raises(InputError, match="not found"):
        read_population(tmp_path / "missing.gpkg")


def test_rates_equal_esda_empirical_bayes_and_the_formula():
    rng = np.random.default_rng(2)
    residents = rng.integers(5, 4000, 80).astype(float)
    counts = rng.poisson(residents * 0.004 * rng.gamma(2, 0.5, 80))
    raw, eb = incident_rates(counts, residents)
    np.testing.assert_allclose(raw, counts / residents * 1000)
    np.testing.assert_allclose(eb, Empirical_Bayes(counts, residents).r.ravel() * 1000)
    # Marshall (1991), by hand
    m = counts.sum() / residents.sum()
    s2 = np.sum(residents * (counts / residents - m) ** 2) / residents.sum() - m / residents.mean()
    w = s2 / (s2 + m / residents)
    np.testing.assert_allclose(eb, (w * counts / residents + (1 - w) * m) * 1000)
    small = np.argmin(residents)
    assert abs(eb[small] - m * 1000) <= abs(raw[small] - m * 1000)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3000)), min_size=2, max_size=50))
def test_rates_are_nan_without_residents_and_between_raw_and_mean(pairs):
    counts = np.array([c for c, _ in pairs], dtype=float)
    residents = np.array([b for _, b in pairs], dtype=float)
    raw, eb = incident_rates(counts, residents)
    empty = residents == 0
    assert np.isnan(raw[empty]).all() and np.isnan(eb[empty]).all()
    if (~empty).any() and counts[~empty].sum():
        mean = counts[~empty].sum() / residents[~empty].sum() * 1000
        lo, hi = np.minimum(raw, mean), np.maximum(raw, mean)
        assert ((eb[~empty] >= lo[~empty] - 1e-9) & (eb[~empty] <= hi[~empty] + 1e-9)).all()


def test_analyse_adds_rates_per_band_with_the_caveat():
    table = kontur_like()
    import geopandas as gpd
    import shapely

    frame = gpd.GeoDataFrame(table, geometry=[shapely.Polygon(
        [(b, a) for a, b in h3.cell_to_boundary(c)]) for c in table["h3"]], crs=4326)
    lat, lng = h3.cell_to_latlng(cells_to_str(CELLS)[40])
    incidents = pd.DataFrame({"lat": [lat] * 30, "lng": [lng] * 30, "category": "fight",
                              "time": pd.date_range("2025-06-01 20:00", periods=30, freq="7h",
                                                    tz="UTC")})
    result = analyse(incidents, AREA, population=frame, settings=Settings(decisions=False))
    cell_table = result.table.frame
    for band in ("all", "night", "weekend"):
        assert f"rate_{band}" in cell_table and f"rate_eb_{band}" in cell_table
    assert result.rates.loc["all", "incidents"] == 30
    assert result.rates.loc["all", "rate"] == pytest.approx(
        30 / cell_table["population"].sum() * 1000)
    assert RATE_CAVEAT in result.warnings
    busy = cell_table.index[40]
    assert cell_table.loc[busy, "rate_all"] == pytest.approx(
        30 / cell_table.loc[busy, "population"] * 1000)
