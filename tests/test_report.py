"""The planner's report: its numbers are the cell table's, it hides what the map hides, and it
reads in every language, in HTML and as PDF."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.analysis.bands import HOURS_OF_WEEK, hour_of_week
from geo.analysis.change import split_periods
from geo.analysis.presence import posts_week_hours
from geo.analysis.steps import Settings
from geo.cli import main
from geo.i18n import LANGUAGES, REPORT_TEXT, check_complete, to_latin
from geo.outputs.report import render_report, report_blocks
from geo.pipeline import build, load_inputs
from geo.privacy.release import SHOWN
from geo.sample import PLAN_DATE, write_sample

K = 5


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    files = write_sample(folder / "s", start="2025-04-01", days=120)
    inputs = load_inputs(files["incidents"], patrols=files["patrols"], posts=files["posts"])
    result = build(inputs, folder / "maps" / "town.html", synthetic=True,
                   settings=Settings(change_date=PLAN_DATE, permutations=999))
    return inputs, result


def _block(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'id="pm-report">(.*?)</script>', text, re.S).group(1))


def test_report_is_written_beside_the_map_as_html_and_pdf(run):
    _, result = run
    html, pdf = result.reports
    assert html == result.map_path.with_name("town_report.html")
    assert pdf.suffix == ".pdf" and pdf.read_bytes().startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes())) >= 4
    text = html.read_text(encoding="utf-8")
    assert "<script src" not in text and "http" not in text.replace("http://www.w3.org", "")
    for heading in ("Headline figures", "When: incidents", "Top gap cells, Night",
                    "Before and after 2025-05-29", "Weighted displacement difference",
                    "emerging hot spots", "Where the next posts help most, Night",
                    "Data quality", "Methods and references"):
        assert heading in text, heading


def test_report_numbers_are_the_cell_tables(run):
    inputs, result = run
    frame = result.table.frame
    facts = result.published.report
    data = _block(result.reports[0])
    for band in result.published.bands:
        assert facts.figures[band]["total"] == frame[f"incidents_{band}"].sum()
    assert data["counts"]["totals"][0] == frame["incidents_all"].sum()
    # the week grid adds up to the same incidents, hour by hour
    incidents = inputs.accepted("incidents")
    expected = np.bincount(hour_of_week(incidents["time"]), minlength=HOURS_OF_WEEK)
    shown = facts.week_reason == SHOWN
    assert np.array_equal(facts.week_incidents[shown], expected[shown])
    assert expected.sum() == frame["incidents_all"].sum()
    hours = expected.reshape(7, 24).sum(axis=0)
    assert np.array_equal(facts.hour_incidents[facts.hour_reason == SHOWN],
                          hours[facts.hour_reason == SHOWN])
    # gap cells: the map's numbers, in the report's table
    text = result.reports[0].read_text(encoding="utf-8")
    for gap in facts.top_gaps:
        cell = int(gap["cell"], 16)
        assert frame.loc[cell, "gap_class_night"] == "3-1"
        if gap["reason"] == SHOWN:
            assert gap["incidents"] == frame.loc[cell, "incidents_night"]
            assert re.search(rf"{gap['cell']}</td><td class=\"n\">{int(gap['incidents'])}<",
                             text)
    # before/after: the incidents on each side of the change date
    before, after, _, _ = split_periods(incidents["time"], change_date=PLAN_DATE)
    change = {row["band"]: row for row in facts.change}
    assert (change["all"]["before"], change["all"]["after"]) == (before.sum(), after.sum())
    # coverage: the share of night incidents in covered cells
    covered = frame["covered_night"].to_numpy()
    share = frame["incidents_night"][covered].sum() / frame["incidents_night"].sum()
    assert facts.figures["night"]["coverage"] == pytest.approx(share, abs=5e-4)


def test_wdd_in_the_main_job_targets_the_new_posts(run):
    _, result = run
    decisions = result.analysis.decisions
    assert decisions.target.startswith("cells within 400 m of the posts active from")
    wdd = decisions.wdd.loc["all"]
    assert wdd["target_before"] + wdd["buffer_before"] + wdd["control_before"] == \
        decisions.change.loc["all", "before"]
    weight = wdd["target_before"] / wdd["control_before"]
    assert wdd["expected_change"] == pytest.approx(weight * wdd["control_change"])
    shown = [row for row in result.published.report.wdd if row["shown"]]
    assert shown, "some band's WDD should be publishable on four months of the sample"
    for row in shown:  # the report's counts are the analysis' (its periods: whole months)
        exact = decisions.wdd.loc[row["band"]]
        for key in ("target_before", "target_after", "buffer_before", "buffer_after",
                    "control_before", "control_after"):
            assert row[key] == exact[key], (row["band"], key)


def test_report_reads_in_every_language(run, tmp_path):
    _, result = run
    assert check_complete() == []
    for lang in LANGUAGES:
        path = render_report(result.published, tmp_path / f"r_{lang}.html", lang=lang)
        text = path.read_text(encoding="utf-8")
        assert f'lang="{lang}"' in text
        if lang != "en":
            for key in ("sec_headline", "sec_when", "sec_quality", "col_incidents"):
                assert REPORT_TEXT[key]["en"] not in text, (lang, key)
    assert "Ноћ" in (tmp_path / "r_sr-Cyrl.html").read_text(encoding="utf-8")
    assert "Noć" in (tmp_path / "r_sr-Latn.html").read_text(encoding="utf-8")
    assert to_latin("Љубљана, Џеп, ђак") == "Ljubljana, Džep, đak"


def test_report_refuses_anything_but_the_gates_output(run):
    _, result = run
    import dataclasses

    forged = object.__new__(type(result.published))
    with pytest.raises(TypeError):
        report_blocks(forged)
    copy = dataclasses.replace(result.published)  # looks the same, was never issued
    with pytest.raises(TypeError):
        report_blocks(copy)


def test_report_on_the_command_line_and_its_audit(tmp_path, capsys):
    files = write_sample(tmp_path / "s", start="2025-04-01", days=60)
    out = tmp_path / "m.html"
    assert main(["build", "--recipe", str(files["recipe"]), "--out", str(out), "--lang", "sq",
                 "--no-report-pdf"]) == 0
    printed = capsys.readouterr().out
    report = tmp_path / "m_report.html"
    assert f"report: {report}" in printed and not (tmp_path / "m_report.pdf").exists()
    assert "Shifrat kryesore" in report.read_text(encoding="utf-8")
    assert main(["audit", str(report)]) == 0
    assert "HTML report: ok" in capsys.readouterr().out
    assert main(["build", "--recipe", str(files["recipe"]), "--out", str(tmp_path / "n.html"),
                 "--no-report"]) == 0
    assert not (tmp_path / "n_report.html").exists()


def test_noise_derives_every_figure_from_noisy_counts(run, tmp_path):
    inputs, _ = run
    runs = [build(inputs, tmp_path / f"noisy{i}.html", epsilon=1.0, ledger=tmp_path / "l.db",
                  epsilon_budget=10, settings=Settings(change_date=PLAN_DATE, permutations=99),
                  report_pdf=False) for i in range(2)]
    facts = [r.published.report for r in runs]
    assert all(f.noisy for f in facts)
    text = runs[0].reports[0].read_text(encoding="utf-8")
    assert "ε = 1" in text
    published = runs[0].published
    # totals are the sums of their parts: everything comes from the same noisy atoms
    total = published.totals["all"]
    shown = published.incidents["all"][published.reason["all"] == SHOWN].sum()
    assert total is not None and total >= shown
    assert facts[0].change and all(row["shown"] for row in facts[0].change)
    # no seed: two builds draw different noise
    assert not np.array_equal(np.nan_to_num(runs[0].published.incidents["all"]),
                              np.nan_to_num(runs[1].published.incidents["all"]))


def test_posts_week_hours_known_answer():
    posts = pd.DataFrame({"start_min": [22 * 60], "end_min": [6 * 60],
                          "active_from": [pd.NaT], "active_to": [pd.NaT]})
    period = (pd.Timestamp("2025-06-02 00:00", tz="Europe/Belgrade").tz_convert("UTC"),
              pd.Timestamp("2025-06-08 23:00", tz="Europe/Belgrade").tz_convert("UTC"))
    week = posts_week_hours(posts, period=period).reshape(7, 24)
    assert week.sum() == 7 * 8
    assert (week[:, 22:] == 1).all() and (week[:, :6] == 1).all() and (week[:, 6:22] == 0).all()


def test_siting_sums_and_wdd_areas_are_the_cells_the_report_checks(run):
    _, result = run
    decisions = result.analysis.decisions
    frame = result.table.frame
    s = decisions.siting
    night = frame["incidents_night"].to_numpy()
    assert night[s.covered_cells[0]].sum() == pytest.approx(s.baseline_coverage * night.sum())
    for mask, gain in zip(s.covered_cells[1:], s.sites["covered_incidents_added"], strict=True):
        assert night[mask].sum() == gain
    target, buffer, control = decisions.wdd_areas
    assert not (target & buffer).any() and (target | buffer | control).all()
    row = decisions.wdd.loc["all"]
    assert frame["incidents_all"].to_numpy()[target].sum() == \
        row["target_before"] + row["target_after"]


def test_every_reject_reason_the_checks_give_is_translated():
    import ast

    from geo.i18n import REASONS
    from geo.inputs import _clock, _times

    found = set()
    for path in (Path(__file__).parents[1] / "geo" / "inputs").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "fail":
                reason = node.args[2]
                if isinstance(reason, ast.Constant):
                    found.add(reason.value)
    # reasons the time parsers hand the checks
    found |= {getattr(module, name) for module in (_clock, _times) for name in dir(module)
              if name.endswith(("_REASON", "_ORDER", "_OFFSET", "ZONE_NAME"))
              and isinstance(getattr(module, name), str)}
    assert len(found) >= 40 and found <= set(REASONS), found - set(REASONS)


def test_the_map_shows_no_post_coverage_the_report_hides(run):
    from geo.outputs.maps import map_payload

    _, result = run
    published = result.published
    sites = published.report.siting["sites"]
    payload = map_payload(published)
    assert len(payload["suggested"]) == len(sites) > 0
    for shown, site in zip(payload["suggested"], sites, strict=True):
        expected = site["coverage_after"]
        assert shown["after"] == (None if expected is None else round(expected * 100))
        if site["gain"] is None:
            assert shown["after"] is None
