"""The planner's report: its numbers are the cell table's, it hides what the map hides, and it
reads in every language, in HTML and as PDF."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.analysis.bands import DEFAULT_BANDS, HOURS_OF_WEEK, hour_of_week, parse_bands
from geo.analysis.change import split_periods
from geo.analysis.presence import posts_week_hours
from geo.analysis.steps import Settings
from geo.cli import main
from geo.i18n import LANGUAGES, REPORT_TEXT, check_complete, to_latin
from geo.outputs.report import render_report, report_blocks
from geo.pipeline import build, load_inputs
from geo.privacy._report_facts import _week_facts, _week_groups, sum_is_safe, suppress_linked
from geo.privacy._suppression import SHOWN, SMALL, _pinned
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
    facts = result.published.report
    assert facts.wdd[0]["wdd"] == pytest.approx(wdd["wdd"])


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


def test_noise_leaves_out_what_needs_exact_counts(run, tmp_path):
    inputs, _ = run
    result = build(inputs, tmp_path / "noisy.html", epsilon=1.0, noise_seed=3,
                   settings=Settings(change_date=PLAN_DATE, permutations=99), report_pdf=False)
    facts = result.published.report
    assert facts.noisy and facts.change == () and facts.wdd == () and facts.siting is None
    text = result.reports[0].read_text(encoding="utf-8")
    assert "Left out: with added noise" in text and "ε = 1.0" in text


def test_posts_week_hours_known_answer():
    posts = pd.DataFrame({"start_min": [22 * 60], "end_min": [6 * 60],
                          "active_from": [pd.NaT], "active_to": [pd.NaT]})
    period = (pd.Timestamp("2025-06-02 00:00", tz="Europe/Belgrade").tz_convert("UTC"),
              pd.Timestamp("2025-06-08 23:00", tz="Europe/Belgrade").tz_convert("UTC"))
    week = posts_week_hours(posts, period=period).reshape(7, 24)
    assert week.sum() == 7 * 8
    assert (week[:, 22:] == 1).all() and (week[:, :6] == 1).all() and (week[:, 6:22] == 0).all()


def test_week_groups_follow_whole_hours():
    groups = _week_groups(DEFAULT_BANDS, {b.name: 10 for b in DEFAULT_BANDS})
    sizes = sorted(len(members) for members, _ in groups)
    assert sizes == [28, 48, 56, 84, 120, 168]  # evening, weekend, night, day, weekday, all
    odd = _week_groups(parse_bands("late=22:30-02"), {"all": 10, "late": 3})
    assert len(odd) == 1  # a band edge inside an hour is no sum of hour counts


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=HOURS_OF_WEEK, max_size=HOURS_OF_WEEK),
       st.sampled_from([3, 5]))
def test_no_published_sum_pins_a_hidden_hour(counts, k):
    week = pd.DataFrame({"incidents": np.array(counts)})
    totals = {b.name: int(week["incidents"].to_numpy()[m].sum())
              for b, (m, _) in zip(DEFAULT_BANDS, _week_groups(DEFAULT_BANDS, {}), strict=True)}
    totals = {b: (t if t == 0 or t >= k else None) for b, t in totals.items()}
    values, reason, hours, hour_reason = _week_facts(week, DEFAULT_BANDS, totals, k)
    counts = np.array(counts, dtype=float)
    assert not ((reason == SHOWN) & (counts > 0) & (counts < k)).any()
    sums = counts.reshape(7, 24).sum(axis=0)
    groups = _week_groups(DEFAULT_BANDS, totals)
    groups += [(np.arange(h, HOURS_OF_WEEK, 24), sums[h]) for h in range(24)
               if hour_reason[h] == SHOWN]
    for members, total in groups:
        if total is not None:
            assert not _pinned(total, counts[members], reason[members].copy(), k)
    if totals["all"] is not None:
        assert not _pinned(totals["all"], sums, hour_reason.copy(), k)
    for h in np.flatnonzero(hour_reason != SHOWN):  # a hidden hour sum cannot be added up
        column = np.arange(h, HOURS_OF_WEEK, 24)
        assert sums[h] == 0 or (reason[column] != SHOWN).any()
    assert np.isnan(values[reason != SHOWN]).all()


def test_a_band_total_over_only_small_hours_does_not_pin_them():
    counts = np.zeros(HOURS_OF_WEEK)
    counts[5 * 24 + 20:5 * 24 + 24] = 1  # four single Saturday evening incidents ...
    counts[6 * 24 + 20:6 * 24 + 24] = 1  # ... and four on Sunday: a weekend total of 8
    counts[:5 * 24:3] = 9  # weekdays busy enough
    week = pd.DataFrame({"incidents": counts})
    groups = _week_groups(DEFAULT_BANDS, {})
    totals = {b.name: int(counts[m].sum()) for b, (m, _) in
              zip(DEFAULT_BANDS, groups, strict=True)}
    totals = {b: (v if v == 0 or v >= K else None) for b, v in totals.items()}
    _, reason, _, _ = _week_facts(week, DEFAULT_BANDS, totals, K)
    weekend = groups[5][0]
    assert totals["weekend"] == 8
    assert not _pinned(8, counts[weekend], reason[weekend].copy(), K)


def test_suppress_linked_hides_the_partner_of_a_small_count():
    reason, withheld = suppress_linked(np.array([9, 2, 7]), [(np.array([0, 1, 2]), 18)], 5)
    assert reason.tolist() == [SHOWN, SMALL, 2] and withheld == []
    # two hidden 4s under a published 8: nothing left to hide, so the 8 must go
    reason, withheld = suppress_linked(np.array([4, 4]), [(np.array([0, 1]), 8)], 5)
    assert withheld == [0]


def test_a_sum_over_some_cells_may_not_give_a_hidden_cell_back():
    from types import SimpleNamespace

    published = SimpleNamespace(k=5, reason={"all": np.array([SHOWN, SMALL, SHOWN])},
                                incidents={"all": np.array([10.0, np.nan, 7.0])})
    every = np.ones(3, dtype=bool)
    assert not sum_is_safe(published, "all", every, 19)  # 19 - 10 - 7 = 2
    assert sum_is_safe(published, "all", np.array([True, False, True]), 17)
    published.reason["all"][2] = 2  # its partner hidden too: 19 - 10 = 9 = 2 + 7, or 4 + 5 ...
    assert sum_is_safe(published, "all", every, 19)


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
