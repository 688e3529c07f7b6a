"""The whole analysis on realistic synthetic data: one table, consistent figures, GIS files."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo._errors import UsageError
from geo.analysis.cells import area_to_cells
from geo.analysis.gaps import (
    GAP_ORDER,
    bivariate_classes,
    demand_weighted_coverage,
    tercile_classes,
)
from geo.analysis.steps import Settings, analyse
from geo.inputs.area import default_area
from geo.inputs.validate import read_incidents, read_pings, read_posts
from geo.sample import make_incidents, make_pings, make_posts, write_sample

AREA = default_area()


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    files = write_sample(tmp_path_factory.mktemp("s"), days=90, start="2025-04-01")
    return (read_incidents(files["incidents"], area=AREA),
            read_pings(files["patrols"], area=AREA), read_posts(files["posts"], area=AREA))


@pytest.fixture(scope="module")
def analysis(checked):
    inc, pings, posts = checked
    return analyse(inc.accepted, AREA, pings=pings.accepted, posts=posts.accepted,
                   settings=Settings())


def test_one_row_per_area_cell_and_counts_reconcile(analysis, checked):
    table = analysis.table
    assert table.cells.tolist() == area_to_cells(AREA, res=9).tolist()
    assert table.frame["incidents_all"].sum() == len(checked[0].accepted)
    for band in ("day", "evening", "night"):
        assert f"presence_min_{band}" in table.frame and f"gi_bin_{band}" in table.frame
    parts = table.frame[["incidents_day", "incidents_evening", "incidents_night"]].sum(axis=1)
    assert parts.equals(table.frame["incidents_all"])
    assert (table.frame["incidents_weekday"] + table.frame["incidents_weekend"]).equals(
        table.frame["incidents_all"])
    assert analysis.by_category["all"].sum() == table.frame["incidents_all"].sum()
    assert set(analysis.by_category.index) == set(checked[0].accepted["category"])


def test_figures_match_the_table(analysis):
    table, figures = analysis.table, analysis.figures
    for band in table.band_names:
        counts = table.frame[f"incidents_{band}"].to_numpy()
        assert figures.loc[band, "incidents"] == counts.sum()
        covered = table.frame[f"covered_{band}"].to_numpy()
        assert figures.loc[band, "coverage"] == pytest.approx(
            counts[covered].sum() / counts.sum())
        assert 0 <= figures.loc[band, "gini"] <= 1
        assert figures.loc[band, "pai_5"] >= figures.loc[band, "pai_20"] >= 1
    assert figures.loc["all", "share_cells_50"] < 0.25  # incidents concentrate in the centre


def test_hot_spots_sit_where_the_sample_concentrates(analysis):
    frame = analysis.table.frame
    hot = frame[frame["gi_bin_all"] >= 2]
    assert len(hot) >= 1
    assert hot["incidents_all"].mean() > 3 * frame["incidents_all"].mean()


def test_gaps_are_ranked_worst_first(analysis):
    gaps = analysis.gaps
    assert set(gaps["gap_class"]) <= set(GAP_ORDER)
    night = gaps[gaps["band"] == "night"]
    order = night["gap_class"].map({c: i for i, c in enumerate(GAP_ORDER)}).to_numpy()
    assert (np.diff(order) >= 0).all()
    frame = analysis.table.to_frame().set_index("cell")
    for row in night.head(5).itertuples():
        assert frame.loc[row.cell, "incidents_night"] == row.incidents


def test_bivariate_classes_known_answer():
    need = np.array([0, 1, 5, 9, 9, 2])
    presence = np.array([0, 50, 0, 10, 90, 5])
    need_c, pres_c, label = bivariate_classes(need, presence, hot_bin=np.array([0, 3, 0, 0, 0, 0]))
    assert need_c.tolist() == [1, 3, 2, 3, 3, 1]
    assert pres_c.tolist() == [1, 2, 1, 1, 3, 1]  # terciles of 5, 10, 50, 90 are 10 and 50
    assert label.tolist() == ["1-1", "3-2", "2-1", "3-1", "3-3", "1-1"]
    assert tercile_classes(np.zeros(4)).tolist() == [1, 1, 1, 1]
    assert demand_weighted_coverage(np.array([0, 0]), np.array([True, False])) != 0


def test_category_filter_and_custom_bands(checked):
    inc = checked[0].accepted
    settings = Settings(categories=("Verbal sexual harassment",),
                        bands=(Settings().bands[0],), permutations=99)
    result = analyse(inc, AREA, settings=settings)
    assert result.table.frame["incidents_all"].sum() == (
        inc["category"] == "verbal sexual harassment").sum()
    with pytest.raises(UsageError, match="not in the data; categories are"):
        analyse(inc, AREA, settings=Settings(categories=("burglary",)))


@pytest.mark.parametrize("suffix", [".gpkg", ".parquet"])
def test_cell_table_exports_for_qgis(analysis, tmp_path, suffix):
    path = analysis.table.write_gis(tmp_path / f"cells{suffix}")
    back = gpd.read_parquet(path) if suffix == ".parquet" else gpd.read_file(path)
    assert len(back) == len(analysis.table.frame)
    assert back.crs.to_epsg() == 4326
    assert back["incidents_all"].sum() == analysis.table.frame["incidents_all"].sum()
    assert back.geometry.geom_type.eq("Polygon").all()


def test_hostile_category_names_make_safe_columns():
    inc = pd.DataFrame({"lat": [42.8938] * 3, "lng": [20.8652] * 3,
                        "time": pd.Timestamp("2025-06-01 20:00", tz="UTC"),
                        "category": ['<script>alert(1)</script>', "крађа", "a b"]})
    table = analyse(inc, AREA, settings=Settings(permutations=99)).table
    assert all(c.replace("_", "").isalnum() for c in table.frame.columns)
    assert "<script>alert(1)</script>" in table.categories.values()


def test_synthetic_plan_adds_night_patrols():
    pings = make_pings(start="2025-05-15", days=30).rename(
        columns={"unit_id": "unit", "timestamp": "time", "lon": "lng"}).drop_duplicates(
        ["unit", "time"])
    inc = make_incidents(start="2025-05-15", days=30).dropna()
    assert len(make_posts()) >= 4 and len(inc) > 0
    before = pings[pings["time"] < pd.Timestamp("2025-05-29", tz="Europe/Belgrade")]
    after = pings[pings["time"] >= pd.Timestamp("2025-05-29", tz="Europe/Belgrade")]
    from geo.analysis.presence import pings_to_presence

    cells = area_to_cells(AREA, res=9)
    night_before = pings_to_presence(before, cells).minutes["night"].sum() / 14
    night_after = pings_to_presence(after, cells).minutes["night"].sum() / 16
    assert night_after > 1.3 * night_before


def test_without_patrol_data_there_are_no_gaps_or_coverage(checked):
    result = analyse(checked[0].accepted, AREA, settings=Settings(permutations=99))
    columns = result.table.frame.columns
    assert not any(c.startswith(("covered_", "gap_class_", "presence_min_")) for c in columns)
    assert "coverage" not in result.figures.columns and result.gaps.empty


def test_coverage_in_a_language_by_hand(checked):
    inc, _, posts = checked
    posts = posts.accepted
    assert set(posts["languages"]) == {"sr;sq;en", "sr", "sr;sq", "sr;en"}
    result = analyse(inc.accepted, AREA, posts=posts,
                     settings=Settings(language="sq", decisions=False))
    frame = result.table.frame
    from geo.analysis.presence import posts_to_presence

    albanian = posts[posts["languages"].str.split(";").map(lambda x: "sq" in x)]
    _, covered = posts_to_presence(albanian, result.table.cells, period=result.table.period)
    for band in ("all", "day", "night"):
        mask = covered[band].to_numpy()
        assert frame[f"covered_lang_{band}"].tolist() == mask.tolist()
        counts = frame[f"incidents_{band}"].to_numpy()
        row = result.language_coverage.loc[band]
        assert row["covered"] == counts[mask].sum()
        assert row["share"] == pytest.approx(counts[mask].sum() / counts.sum())
    # the bridge post (sr;sq;en, 18-02) and the bus station (sr;sq, 07-19): both in the evening
    assert result.language_coverage.loc["night", "share"] <= result.language_coverage.loc[
        "all", "share"]
    everyone = analyse(inc.accepted, AREA, posts=posts,
                       settings=Settings(language="sr", decisions=False))
    lang = everyone.table.frame["covered_lang_night"].to_numpy()
    assert (~lang | everyone.table.frame["covered_night"].to_numpy()).all()  # a part of covered
    with pytest.raises(UsageError, match="languages column"):
        analyse(inc.accepted, AREA, posts=posts.drop(columns="languages"),
                settings=Settings(language="sr", decisions=False))


def test_covered_rule_counts_a_weekend_band_per_weekend_day():
    # two weeks; a unit patrols one cell 1 minute each weekend day and never on weekdays
    from geo.analysis.steps import add_presence
    from geo.analysis.table import count_cells

    start = pd.Timestamp("2025-06-02 08:00", tz="UTC")  # a Monday
    incidents = pd.DataFrame({"lat": [42.8938, 42.8938], "lng": [20.8652, 20.8652],
                              "category": "fight",
                              "time": [start, start + pd.Timedelta(days=13)]})
    table = count_cells(incidents, AREA, res=9)
    days = [pd.Timestamp(d, tz="UTC") for d in ("2025-06-07 10:00", "2025-06-08 10:00",
                                                "2025-06-14 10:00", "2025-06-15 10:00")]
    times = [t + pd.Timedelta(seconds=s) for t in days for s in (0, 30, 60)]
    units = [f"A{i // 3}" for i in range(len(times))]  # one unit a day: no interval between
    pings = pd.DataFrame({"unit": units, "time": times, "lat": 42.8938, "lng": 20.8652})
    add_presence(table, pings, None)
    cell = table.frame["presence_min_weekend"].idxmax()
    assert table.frame.loc[cell, "presence_min_weekend"] == pytest.approx(4.0)
    assert table.band_days(table.bands[-1]) == 4
    assert table.frame.loc[cell, "covered_weekend"]  # 1 minute per weekend day
    assert not table.frame.loc[cell, "covered_all"]  # 4 minutes over 14 days


def test_permutation_inference_through_the_settings(checked):
    inc = checked[0].accepted
    analytic = analyse(inc, AREA, settings=Settings(decisions=False)).table.frame
    shuffled = analyse(inc, AREA, settings=Settings(decisions=False, inference="permutation",
                                                    permutations=999)).table.frame
    np.testing.assert_allclose(shuffled["gi_z_all"], analytic["gi_z_all"])
    assert not np.allclose(shuffled["gi_p_all"], analytic["gi_p_all"], equal_nan=True)
    hot = shuffled["gi_bin_all"] != 0
    assert (np.sign(shuffled.loc[hot, "gi_bin_all"]) == np.sign(shuffled.loc[hot,
                                                                             "gi_z_all"])).all()
