"""The decision analyses wired into the main job: before/after, emerging, new posts."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from geo.analysis import Settings, analyse
from geo.area import default_area
from geo.cli import main
from geo.decisions import change_summary
from geo.sample import write_sample
from geo.validate import read_incidents, read_posts

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
