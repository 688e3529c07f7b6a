"""The decision analyses wired into the main job: before/after, emerging, new posts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom, binomtest

from geo.analysis.decisions import change_summary
from geo.analysis.steps import Settings, analyse
from geo.cli import main
from geo.inputs.area import default_area
from geo.inputs.validate import read_incidents, read_posts
from geo.sample import write_sample

AREA = default_area()


def test_area_change_is_the_exact_conditional_binomial():
    out = change_summary(np.array([10, 0]), np.array([2, 0]), 30.0, 30.0)
    expected = 2 * binom.cdf(2, 12, 0.5)
    assert out["p"] == pytest.approx(expected)
    assert out["ratio"] == pytest.approx(0.2)
    assert change_summary(np.array([5]), np.array([10]), 10.0, 20.0)["p"] == pytest.approx(1.0)


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    files = write_sample(tmp_path_factory.mktemp("y"), days=365)
    return (read_incidents(files["incidents"], area=AREA).accepted,
            read_posts(files["posts"], area=AREA).accepted)


def test_decisions_answer_the_planners_questions(year):
    incidents, posts = year
    result = analyse(incidents, AREA, posts=posts,
                     settings=Settings(change_date="2025-05-29", new_posts=2))
    change = result.decisions.change
    assert change.loc["all", "before"] + change.loc["all", "after"] == len(incidents)
    day_evening_night = change.loc[["day", "evening", "night"], "before"].sum()
    assert day_evening_night == change.loc["all", "before"]
    for band, cells in result.decisions.change_cells.items():
        assert cells["before"].sum() == change.loc[band, "before"]
    emerging = result.decisions.emerging
    assert len(emerging.slices) == 12 and len(emerging.frame) == len(result.table.frame)
    siting = result.decisions.siting
    assert siting.band == "night" and len(siting.sites) == 2
    assert siting.coverage == sorted(siting.coverage)
    assert siting.coverage[-1] > siting.baseline_coverage


def test_decision_options_on_the_command_line(tmp_path, capsys):
    files = write_sample(tmp_path / "s", days=120)
    out = tmp_path / "m.html"
    assert main(["build", "--recipe", str(files["recipe"]), "--out", str(out),
                 "--change-date", "2025-03-01", "--new-posts", "1", "--posts-band",
                 "evening"]) == 0
    text = capsys.readouterr().out
    assert "before/after" in text and "new posts for evening" in text
    assert main(["build", "--recipe", str(files["recipe"]), "--out", str(out),
                 "--posts-band", "lunch"]) == 2
    assert main(["build", "--recipe", str(files["recipe"]), "--out", str(out),
                 "--change-date", "2030-01-01"]) == 2


def test_a_scaled_control_says_what_the_target_would_have_done():
    from geo.analysis.change import wdd

    # the control doubled; scaled to a target a tenth its size it predicts +10, not +100
    r = wdd(100, 95, None, None, 1000, 2000, control_weight=0.1)
    assert r["expected_change"] == pytest.approx(100)
    assert r["wdd"] == pytest.approx(-5 - 100)
    assert r["se"] ** 2 == pytest.approx(195 + 0.01 * 3000)
    plain = wdd(100, 95, None, None, 1000, 2000)
    assert plain["wdd"] == pytest.approx(-1005) and plain["se"] ** 2 == pytest.approx(3195)


def test_the_default_target_is_the_reach_of_posts_started_on_the_change_date(year):
    from geo.analysis.cells import area_to_cells
    from geo.analysis.decisions import plan_target
    from geo.analysis.presence import cells_within

    _, posts = year
    cells = area_to_cells(AREA)
    target = plan_target(posts, cells, change_date="2025-05-29", reach_m=400)
    new = posts[posts["active_from"] >= "2025-05-29"]
    assert len(new) == 2
    near = cells_within(cells, new["lat"].to_numpy(), new["lng"].to_numpy(), reach_m=400)
    assert np.array_equal(target, near.any(axis=0)) and 0 < target.sum() < len(cells) / 4
    assert plan_target(posts, cells, change_date="2026-01-01", reach_m=400) is None


def test_target_and_candidate_files_on_the_command_line(tmp_path, capsys):
    files = write_sample(tmp_path / "s", start="2025-04-01", days=90)
    target = tmp_path / "target.geojson"
    target.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Bridge area"},
        "geometry": {"type": "Polygon", "coordinates": [[
            [20.862, 42.885], [20.872, 42.885], [20.872, 42.892], [20.862, 42.892],
            [20.862, 42.885]]]}}]}), encoding="utf-8")
    candidates = tmp_path / "candidates.csv"
    candidates.write_text("name,lat,lon\nschool,42.8935,20.8650\nmarket,42.9003,20.8451\n",
                          encoding="utf-8")
    out = tmp_path / "m.html"
    assert main(["build", "--recipe", str(files["recipe"]), "--out", str(out), "--no-report",
                 "--change-date", "2025-05-29", "--target", str(target), "--buffer-rings", "2",
                 "--candidates", str(candidates), "--new-posts", "1"]) == 0
    text = capsys.readouterr().out
    assert "WDD: target Bridge area" in text
    assert "post 1: near 42.90030, 20.84510" in text  # the candidate that reaches a gap
    candidates.write_text("name,lat,lon\nschool,42.8935,20.8650\nnowhere,,20.87\n",
                          encoding="utf-8")
    assert main(["build", "--recipe", str(files["recipe"]), "--out", str(out), "--no-report",
                 "--candidates", str(candidates)]) == 2
    err = capsys.readouterr().err
    assert "candidates.csv: row 3" in err and len(err.strip().splitlines()) == 1


def test_two_explicit_periods_and_per_cell_columns_for_the_analyst(year):
    incidents, posts = year
    settings = Settings(before=("2025-03-01", "2025-05-28"), after=("2025-05-29", "2025-08-25"))
    result = analyse(incidents, AREA, posts=posts, settings=settings)
    change = result.decisions.change
    days = incidents["time"].dt.tz_convert("Europe/Belgrade").dt.strftime("%Y-%m-%d")
    in_before = days.between("2025-03-01", "2025-05-28").sum()
    in_after = days.between("2025-05-29", "2025-08-25").sum()
    assert (change.loc["all", "before"], change.loc["all", "after"]) == (in_before, in_after)
    assert (change.loc["all", "days_before"], change.loc["all", "days_after"]) == (89, 89)
    frame = result.table.frame
    assert frame["before_all"].sum() == in_before and frame["after_all"].sum() == in_after
    assert set(frame["change_night"]) <= {"up", "down", "none"}
    assert frame["emerging"].notna().all()


def test_periods_on_the_command_line(tmp_path):
    files = write_sample(tmp_path / "s", start="2025-04-01", days=90)
    out = tmp_path / "m.html"
    base = ["build", "--recipe", str(files["recipe"]), "--out", str(out), "--no-report"]
    assert main([*base, "--after", "2025-05-29,2025-06-28", "--before",
                 "2025-04-28,2025-05-28"]) == 0
    assert main([*base, "--before", "2025-04-28,2025-05-28"]) == 2
    assert main([*base, "--after", "2025-05-29"]) == 2


def _weekend_incidents(days: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"lat": 42.8938, "lng": 20.8652, "category": "fight",
                         "time": pd.to_datetime(days, utc=True)})


def test_weekend_before_after_uses_the_weekend_days_of_each_period():
    # before: Mon 2 - Sun 8 June (7 days, 2 weekend days), 5 weekend incidents;
    # after: Fri 13 - Mon 16 June (4 days, 2 weekend days), 5 weekend incidents
    days = ["2025-06-07 10:00"] * 3 + ["2025-06-08 10:00"] * 2 + \
        ["2025-06-14 10:00"] * 2 + ["2025-06-15 10:00"] * 3 + \
        ["2025-06-03 10:00", "2025-06-13 10:00", "2025-06-16 10:00"]
    result = analyse(_weekend_incidents(days), AREA, settings=Settings(
        before=("2025-06-02", "2025-06-08"), after=("2025-06-13", "2025-06-16"),
        new_posts=0))
    change = result.decisions.change
    weekend = change.loc["weekend"]
    assert (weekend["before"], weekend["after"]) == (5, 5)
    # by hand: 5 in 2 weekend days against 5 in 2: the same rate, not 5/7 against 5/4
    assert weekend["ratio"] == pytest.approx(1.0)
    assert weekend["p"] == pytest.approx(1.0)
    assert weekend["rate_before"] == pytest.approx(5 / 2 * 30 * 2 / 7)
    weekday = change.loc["weekday"]  # 1 in 5 weekdays against 2 in 2 weekdays
    assert weekday["ratio"] == pytest.approx((2 / 2) / (1 / 5))
    assert weekday["p"] == pytest.approx(binomtest(2, 3, 2 / 7).pvalue)
    assert change.loc["all", "ratio"] == pytest.approx((7 / 4) / (6 / 7))
    assert change.loc["all", "days_before"] == 7 and change.loc["all", "days_after"] == 4
    assert weekend["exposure_before"] == 7 and weekend["exposure_after"] == 7


def test_hot_spots_are_scored_on_a_later_period(year):
    incidents, posts = year
    result = analyse(incidents, AREA, posts=posts,
                     settings=Settings(evaluate_from="2025-07-01", new_posts=0))
    prediction = result.decisions.prediction
    assert result.decisions.prediction_split == "2025-07-01"
    night = prediction.loc["night"]
    assert set(night.index) == {"top_5", "top_10", "top_20", "hot_spots"}
    assert (night["pai"] > 1).all() and (night["pei"] <= 1.0 + 1e-9).all()
    assert (night["rri"] > 0).all()
    assert night.loc["top_20", "area_share"] >= 0.2
