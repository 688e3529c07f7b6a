"""The planner's report: its numbers are the cell table's, it hides what the map hides, and it
reads in every language, in HTML and as PDF."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

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
    # a ledger of its own: another module's release of an overlapping period would be
    # protected together with this one and hide its before/after
    result = build(inputs, folder / "maps" / "town.html", synthetic=True,
                   ledger=folder / "ledger.db",
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
            # checks listed as (column, reason) and failed in a loop (the positions)
            if isinstance(node, (ast.Assign, ast.AugAssign)) and getattr(
                    node.targets[0] if isinstance(node, ast.Assign) else node.target,
                    "id", "") == "checks":
                for pair in ast.walk(node.value):
                    if isinstance(pair, ast.Tuple) and len(pair.elts) == 2 and isinstance(
                            pair.elts[1], ast.Constant) and isinstance(pair.elts[1].value, str):
                        found.add(pair.elts[1].value)
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


# ---------------------------------------------------------------- residents, visits, language

CENTRE = (42.8938, 20.8652)
FAR = (42.9010, 20.8712)  # a post about 950 m north-east of the centre, near 1 incident


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    """A small release made in code with residents in two cells, reported patrol visits in
    two cells and posts whose officers speak Serbian (centre, evenings and nights) or
    Albanian (far from the centre, one morning hour)."""
    import geopandas as gpd
    import h3

    from geo.analysis.cells import cells_to_polygons, str_to_cells
    from geo.analysis.steps import analyse
    from geo.inputs import read_patrol_points, read_posts
    from geo.inputs.area import default_area
    from geo.privacy.gate import ReportInputs, publish

    folder = tmp_path_factory.mktemp("people")
    area = default_area()
    rng = np.random.default_rng(11)
    n = 900
    incidents = pd.DataFrame({
        "lat": CENTRE[0] + rng.normal(0, 0.002, n), "lng": CENTRE[1] + rng.normal(0, 0.003, n),
        "time": pd.Timestamp("2025-03-01", tz="UTC") + pd.to_timedelta(
            rng.integers(0, 61 * 86400, n), unit="s"),
        "category": rng.choice(["fight", "theft"], n)})
    incidents = incidents[area.contains_latlng(incidents["lat"].to_numpy(),
                                               incidents["lng"].to_numpy())]
    posts = folder / "posts.csv"
    posts.write_text(
        "post_id,name,latitude,longitude,staffed_from,staffed_to,languages\n"
        f"A,Centre,{CENTRE[0]},{CENTRE[1]},18:00,02:00,sr\n"
        f"B,North,{FAR[0]},{FAR[1]},07:00,08:00,sq;en\n", encoding="utf-8")
    visits = folder / "visits.csv"
    busy, quiet = h3.cell_to_latlng(h3.latlng_to_cell(*CENTRE, 9)), FAR
    visits.write_text("unit,lat,lon,time,duration\n" + "".join(
        f"P1,{lat},{lng},{when},15\n" for (lat, lng), when in (
            (busy, "2025-03-03 13:00"), (busy, "2025-03-10 21:10"),
            (busy, "2025-03-11 23:40"), (quiet, "2025-03-12 23:30"))), encoding="utf-8")
    # residents: few in the busiest cell (a high rate), many in a quieter one two rings out
    dense, sparse = h3.latlng_to_cell(*CENTRE, 9), h3.grid_ring(h3.latlng_to_cell(*CENTRE, 9),
                                                                2)[0]
    population = gpd.GeoDataFrame({"population": [60.0, 3000.0]}, crs=4326,
                                  geometry=list(cells_to_polygons(str_to_cells([dense, sparse]))))
    result = analyse(incidents.reset_index(drop=True), area,
                     posts=read_posts(posts, area=area).accepted,
                     patrol_points=read_patrol_points(visits, area=area).accepted,
                     population=population,
                     settings=Settings(res=9, language="sq", permutations=99, new_posts=0))
    published = publish(result.table, k=K, posts=read_posts(posts, area=area).accepted,
                        report=ReportInputs(week=result.week))
    return published, result, {"dense": dense, "sparse": sparse, "busy": h3.latlng_to_cell(
        *busy, 9), "quiet": h3.latlng_to_cell(*quiet, 9)}


def _section(blocks, heading: str) -> list:
    """The blocks from the h2 ``heading`` to the next h2."""
    start = next(i for i, b in enumerate(blocks) if b.kind == "h2" and b.text == heading)
    end = next((i for i in range(start + 1, len(blocks)) if blocks[i].kind == "h2"),
               len(blocks))
    return blocks[start:end]


def test_rates_list_the_highest_smoothed_rates_by_place(people):
    from geo.inputs.context import bundled_context

    published, _, cells = people
    blocks = report_blocks(published, lang="en", context=bundled_context())
    section = _section(blocks, "Incidents per 1,000 residents")
    text = " ".join(b.text for b in section)
    assert "empirical Bayes" in text and "bus station" in text and "at night" in text
    table = next(b for b in section if b.kind == "table")
    assert table.head == ["Time band", "#", "Near", "Residents",
                          "Per 1,000 residents (smoothed)", "Cell (H3)"]
    rows = [r for r in table.rows if r[0] == "All hours"]
    # only the two cells where people live have a rate; the few residents of the busy
    # centre give the higher one
    assert [r[5] for r in rows] == [cells["dense"], cells["sparse"]]
    assert [r[3] for r in rows] == ["60", "3,000"]
    ids = list(published.cell_ids())
    rate = published.rates["all"][ids.index(cells["dense"])]
    assert rate > published.rates["all"][ids.index(cells["sparse"])] > 0
    assert rows[0][4] == (f"{rate:,.1f}" if rate < 100 else f"{rate:,.0f}")
    assert rows[0][2].startswith("near ")
    assert {r[0] for r in table.rows} == {"All hours", "Day", "Evening", "Night", "Weekdays",
                                          "Weekend"}


def test_reported_visits_per_band_and_the_cells_with_most(people):
    published, _, cells = people
    blocks = report_blocks(published, lang="en")
    section = _section(blocks, "When: incidents and patrol presence by hour and weekday")
    note = next(b.text for b in section if b.text.startswith("Reported patrol visits"))
    # 13:00 is day, 21:10 evening, 23:40 and 23:30 night; three on weekdays, none at weekends
    assert "All hours: 4; Day: 1; Evening: 1; Night: 2; Weekdays: 4; Weekend: 0." in note
    table = [b for b in section if b.kind == "table"][-1]
    assert table.head == ["#", "All hours", "Day", "Evening", "Night", "Weekdays", "Weekend",
                          "Cell (H3)"]
    assert table.rows == [["1", "3", "1", "1", "1", "3", "0", cells["busy"]],
                          ["2", "1", "0", "0", "1", "1", "0", cells["quiet"]]]


def test_coverage_in_the_chosen_language_beside_coverage(people):
    published, result, _ = people
    blocks = report_blocks(published, lang="en")
    section = _section(blocks, "Within reach of officers who speak Albanian")
    table = next(b for b in section if b.kind == "table")
    assert table.head[1:3] == ["Coverage (patrols or posts)",
                               "Within reach of a post with officers who speak Albanian"]
    assert any(b.kind == "chart" and b.name == "language" for b in section)
    exact = result.language_coverage
    by_band = {row[0]: row for row in table.rows}
    # the Albanian post is staffed 07-08 only: nothing of the night is within its reach;
    # in all hours one incident is, a share the release leaves out
    assert by_band["Night"][2] == "0 %"
    assert exact.loc["night", "covered"] == 0
    assert exact.loc["all", "covered"] == 1 and by_band["All hours"][2] == "not shown"
    assert section[-1].kind == "caption" and section[-1].text.startswith("Not shown: the")
    for band in published.bands:
        figure = published.report.figures[band]
        row = by_band[report_band(band)]
        if figure["coverage_lang"] is None:
            assert row[2].startswith("not shown")
        else:
            assert row[2] == f"{round(exact.loc[band, 'share'] * 100):.0f} %"
        assert row[3] == str(exact.loc[band, "cells_covered"])


def report_band(band: str) -> str:
    from geo.outputs._report_blocks import band_label

    return band_label(band, "en")


def test_people_sections_in_every_language_and_absent_without_their_inputs(people, run,
                                                                          tmp_path):
    from geo.i18n import t

    full, _, _ = people
    for lang in LANGUAGES:
        text = render_report(full, tmp_path / f"p_{lang}.html", lang=lang).read_text("utf-8")
        for key, fields in (("sec_rates", {}), ("rates_caveat", {}),
                            ("sec_language", {"language": t("language_sq", lang)}),
                            ("col_residents", {})):
            assert html_text(t(key, lang, **fields)) in text, (lang, key)
        assert t("report_visits_note", lang, totals="").split(":")[0] in text
        if lang != "en":
            for key in ("sec_rates", "rates_caveat", "visits_top", "language_note"):
                assert html_text(t(key, "en", band="", language="Albanian", m="400",
                                   totals=""))[:30] not in text, (lang, key)
    assert "Albanian" not in (tmp_path / "p_sq.html").read_text("utf-8")
    assert "shqip" in (tmp_path / "p_sq.html").read_text("utf-8")
    plain = render_report(run[1].published, tmp_path / "plain.html").read_text("utf-8")
    for words in ("Incidents per 1,000 residents", "Reported patrol visits",
                  "officers who speak", "Residents are the wrong denominator"):
        assert words not in plain


def html_text(text: str) -> str:
    import html

    return html.escape(text)


# ---------------------------------------------------------------- A4 pages

def _pdf_pages(path: Path) -> list[dict]:
    """Each page of a report PDF as pypdf reads it: its texts top to bottom (y of the
    baseline in points, font size, bold) and the bottoms of its pictures."""
    from pypdf import PdfReader

    pages = []
    for page in PdfReader(path).pages:
        texts, pictures = [], []

        def text(words, cm, tm, font, size, texts=texts):
            if words.strip():
                y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
                bold = "Bold" in str((font or {}).get("/BaseFont", ""))
                texts.append((round(y, 1), float(size), bold, words))

        def operand(op, _args, cm, _tm, pictures=pictures):
            if op == b"Do":
                pictures.append((cm[5], cm[5] + cm[3]))

        page.extract_text(visitor_text=text, visitor_operand_before=operand)
        pages.append({"texts": texts, "pictures": pictures})
    return pages


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check_pages(pages: list[dict], blocks) -> None:
    """No page ends with a heading; every table's head is on the page of its first rows, and
    a table led in by a heading (with only words between) is on the heading's page."""
    headings = 0
    for number, page in enumerate(pages, start=1):
        lowest_text = min(y for y, *_ in page["texts"])
        lowest = min([lowest_text, *(bottom for bottom, _ in page["pictures"])])
        last = [t for t in page["texts"] if t[0] == lowest_text]
        assert lowest < lowest_text or all(size < 13 for _, size, _, _ in last), \
            (number, last)
        headings += sum(1 for _, size, _, _ in page["texts"] if size == 13)
    assert headings >= sum(1 for b in blocks if b.kind == "h2")
    tables = [i for i, b in enumerate(blocks) if b.kind == "table"]
    heads = []  # (page, y of the head, y of the first row after it) in drawing order
    for number, page in enumerate(pages):
        texts = page["texts"]
        for j, (y, size, bold, _) in enumerate(texts):
            if size == 8 and bold and (j == 0 or not (texts[j - 1][1] == 8 and texts[j - 1][2])):
                rows = [t for t in texts[j:] if t[1] == 8 and not t[2]]
                assert rows and rows[0][0] < y, (number + 1, texts[j])
                heads.append((number, y))
    # a table that runs on repeats its head: more heads than tables, each table's first head
    # on its own page is found in order
    assert len(heads) >= len(tables)
    for i in tables:
        # the words that lead into the table, and the heading over them
        leads, j = [], i - 1
        while j >= 0 and blocks[j].kind in ("p", "note"):
            leads.append(blocks[j])
            j -= 1
        if j >= 0 and blocks[j].kind == "h2":
            leads.append(blocks[j])
        first = _squash(blocks[i].head[0] + blocks[i].head[1])[:12]
        for lead in leads:
            words = _squash(lead.text)[-24:]
            found = [page for page in pages
                     if words in _squash("".join(t[3] for t in page["texts"]))]
            assert found, lead.text
            head_texts = _squash("".join(t[3] for t in found[0]["texts"] if t[1] == 8 and t[2]))
            assert first in head_texts, (lead.text, blocks[i].head)


@pytest.mark.parametrize("which", ["people", "run"])
def test_pdf_pages_keep_headings_with_their_tables(which, request, tmp_path):
    from geo.inputs.context import bundled_context
    from geo.outputs.report import render_report_pdf

    made = request.getfixturevalue(which)
    published = made[0] if which == "people" else made[1].published
    context = bundled_context()
    path = render_report_pdf(published, tmp_path / "r.pdf", synthetic=True, context=context)
    pages = _pdf_pages(path)
    blocks = report_blocks(published, synthetic=True, context=context)
    assert len(pages) >= 4
    _check_pages(pages, blocks)
    # the first page holds the small map of incidents, with the river and landmarks drawn in
    assert pages[0]["pictures"]
    first = _squash("".join(t[3] for t in pages[0]["texts"]))
    assert _squash("Headline figures") in first
    # the gap cells by place name, on the page of their locator map
    gaps = next(n for n, page in enumerate(pages)
                if "Topgapcells" in _squash("".join(t[3] for t in page["texts"])))
    assert pages[gaps]["pictures"] and "near" in "".join(t[3] for t in pages[gaps]["texts"])
    every = "".join(t[3] for page in pages for t in page["texts"])
    assert not re.search(r"(?<![\w-])--[a-z]", every)  # no command-line text


def _made_chart(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, facecolor="white")
    FigureCanvasAgg(fig)
    fig.add_axes((0, 0, 1, 1)).plot([0, 1], [0, 1])
    return fig


_WORDS = ("patrol", "night", "bridge", "residents", "coverage", "incidents", "market")


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(5, 60), st.integers(0, 30),
                          st.sampled_from(["none", "map", "chart"]), st.floats(2.5, 7.0)),
                min_size=2, max_size=6))
@example([(0, 5, 0, "none", 3.0), (0, 53, 0, "none", 3.0), (2, 46, 11, "map", 3.0)])
@settings(max_examples=8, deadline=None)
def test_pages_keep_their_parts_together_whatever_the_sizes(sections):
    """Headings, words, tables of any length and their maps: no page ends with a heading, a
    table's head and heading are on the page of its first rows, and a short table is on the
    page of the map after it."""
    import tempfile

    from geo.outputs._report_blocks import Block
    from geo.outputs._report_pdf import write_pdf

    blocks = [Block("h1", "A report")]
    for k, (paragraphs, words, rows, after, height) in enumerate(sections):
        blocks.append(Block("h2", f"Heading {k}"))
        if not rows and after == "none":  # a heading always has something under it
            paragraphs = max(paragraphs, 1)
        blocks += [Block("p", f"Section {k} words {j}: " + " ".join(
            _WORDS[(k + j + n) % len(_WORDS)] for n in range(words)) + f" end {k}.{j}")
            for j in range(paragraphs)]
        if rows:
            blocks.append(Block("table", head=["Place", "Incidents"], rows=[
                [f"place_{k}_{r}_end " + " ".join(_WORDS[: r % 5]), str(r)]
                for r in range(rows)]))
        if after != "none":
            blocks += [Block("chart", chart=_made_chart(7.5, height), name=f"c{k}"),
                       Block("caption", f"Caption {k} of the chart above.")]
    with tempfile.TemporaryDirectory() as folder:
        path = write_pdf(blocks, Path(folder) / "r.pdf")
        pages = _pdf_pages(path)
    _check_pages(pages, blocks)
    for i, block in enumerate(blocks):
        if block.kind == "table" and len(block.rows) <= 12 and i + 1 < len(blocks) and \
                blocks[i + 1].kind == "chart":
            last = block.rows[-1][0].split()[0]
            page, y = next((p, t[0]) for p in pages for t in p["texts"] if last in t[3])
            assert any(top < y for _, top in page["pictures"]), (i, len(block.rows))


def test_a_many_cell_report_draws_its_cells_as_one_picture(tmp_path):
    """The first page's small map of a 3,500-cell city stays small: its cells are one embedded
    picture, not a vector path each."""
    from geo.analysis.steps import analyse
    from geo.inputs.area import extent_area
    from geo.privacy.gate import ReportInputs, publish

    rng = np.random.default_rng(4)
    lat, lng = rng.uniform(42.80, 42.98, 40_000), rng.uniform(20.74, 20.98, 40_000)
    area = extent_area(np.array([42.80, 42.98]), np.array([20.74, 20.98]), pad_m=0)
    incidents = pd.DataFrame({"lat": lat, "lng": lng, "category": "theft",
                              "time": pd.Timestamp("2025-03-01", tz="UTC")
                              + pd.to_timedelta(rng.integers(0, 30 * 86400, len(lat)), "s")})
    analysis = analyse(incidents, area, settings=Settings(res=9, permutations=99))
    assert len(analysis.table.frame) > 3_500
    published = publish(analysis.table, k=5, report=ReportInputs(week=analysis.week))
    page = render_report(published, tmp_path / "report.html").read_text()
    overview = re.search(r'<svg[^>]*>.*?id="overview-figure_1".*?</svg>', page, re.S).group(0)
    assert "<image" in overview and overview.count("<path") < 200
    assert len(page) < 2 * 2**20
    assert '"cells_packed"' in page  # the release's cells, packed, for the audit
    from geo.privacy.audit import audit_paths

    assert [p for r in audit_paths([tmp_path]) for p in r.problems] == []
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "report.html").write_text(page.replace('"first":"89', '"first":"zz', 1))
    found = [p for r in audit_paths([broken]) for p in r.problems]
    assert any("release block is not the renderer's" in p for p in found)
    from geo.outputs.maps import render_map
    from geo.privacy._page_numbers import decode_ints, encode_ints

    pair = tmp_path / "pair"  # a report that lists one cell more than its map draws
    render_map(published, pair / "map.html")
    steps = re.search(r'"cells_packed":\{"first":"\w+","steps":"([^"]+)"', page).group(1)
    more = encode_ints([*decode_ints(steps), 1], compact_from=0)
    (pair / "report.html").write_text(page.replace(steps, more, 1))
    found = [p for r in audit_paths([pair]) for p in r.problems]
    assert any("release" in p for p in found), found  # a finding, not a crash
    (broken / "report.html").write_text(page.replace("data:image/png;base64,",
                                                     "https://example.org/x.png#", 1))
    found = [p for r in audit_paths([broken]) for p in r.problems]
    assert "<image> links outside the page" in found
