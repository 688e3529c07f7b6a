"""Whole runs on files in the shapes real services publish: weights, no times, a period, a
national boundary, reported patrol visits, and byte-identical reruns."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyproj
import pytest
from conftest import INSIDE_LATLNG, write_text

from geo.analysis.cells import points_to_cells
from geo.analysis.steps import Settings
from geo.cli import main
from geo.i18n import LANGUAGES, t
from geo.inputs.validate import Options
from geo.pipeline import build, load_inputs
from geo.privacy.gate import SMALL

FAST = Settings(res=9, permutations=99)


def _payload(html: Path) -> dict:
    text = html.read_text(encoding="utf-8")
    found = re.search(r'<script type="application/json" id="pm-data">(.*?)</script>', text, re.S)
    return json.loads(found.group(1))


def _weighted_file(tmp_path: Path) -> Path:
    """A point file with a ``Count`` column: one row of 7 at one place, seven rows of 1 at
    another, two rows of 1, a row of 0, and bad counts."""
    rows = []
    spots = {0: [1] * 7, 1: [7], 2: [1, 1], 3: [0], 4: [5, 4], 5: [3, 3]}
    for place, counts in spots.items():
        lat, lng = INSIDE_LATLNG[place]
        rows += [f"{lat};{lng};0{1 + i % 8}.06.2025 20:{10 + i:02d};Theft;{c}"
                 for i, c in enumerate(counts)]
    lat, lng = INSIDE_LATLNG[0]
    rows += [f"{lat};{lng};01.06.2025 21:00;theft;1,5", f"{lat};{lng};01.06.2025 21:00;theft;-2"]
    return write_text(tmp_path / "aggregated.csv",
                      "lat;lon;datum i vreme;kategorija;Count\n" + "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def weighted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("weighted")
    inputs = load_inputs(_weighted_file(tmp))
    result = build(inputs, tmp / "w.html", settings=FAST, report_pdf=False)
    return inputs, result


def test_weights_are_the_counts_of_every_output(weighted):
    inputs, result = weighted
    checked = inputs.incidents[0]
    assert checked.weighted_total == 31 and checked.judged.rejected == 2
    frame = result.table.frame
    expected = {0: 7, 1: 7, 2: 2, 3: 0, 4: 9, 5: 6}
    cells = result.table.cells
    for place, total in expected.items():
        cell = points_to_cells(np.array([INSIDE_LATLNG[place][0]]),
                               np.array([INSIDE_LATLNG[place][1]]), res=9)[0]
        assert frame.loc[cell, "incidents_all"] == total
        # 20:10-20:20 local in June is the evening band
        assert frame.loc[cell, "incidents_evening"] == total
    assert frame["incidents_all"].sum() == 31 == frame["cat_theft_all"].sum()
    assert result.analysis.week["incidents"].sum() == 31
    assert result.analysis.by_category.loc["Theft", "all"] == 31
    published = result.published
    assert published.totals["all"] == 31
    one_row_of_seven = int(np.searchsorted(cells, points_to_cells(
        np.array([INSIDE_LATLNG[1][0]]), np.array([INSIDE_LATLNG[1][1]]), res=9)[0]))
    two_rows = int(np.searchsorted(cells, points_to_cells(
        np.array([INSIDE_LATLNG[2][0]]), np.array([INSIDE_LATLNG[2][1]]), res=9)[0]))
    # suppression sees incidents, not rows: 7 from one row is no small count, 2 from two is
    assert published.reason["all"][one_row_of_seven] != SMALL
    assert published.reason["all"][two_rows] == SMALL
    shown = ~np.isnan(published.incidents["all"])
    assert (published.incidents["all"][shown] == frame["incidents_all"].to_numpy()[shown]).all()
    assert "(31 incidents by count)" in result.summary


def test_title_reaches_the_report(tmp_path):
    inputs = load_inputs(_weighted_file(tmp_path))
    result = build(inputs, tmp_path / "t.html", settings=FAST, report_pdf=False,
                   title="Severna Mitrovica, jun 2025")
    report = result.reports[0].read_text(encoding="utf-8")
    assert "<h1>Severna Mitrovica, jun 2025</h1>" in report
    assert "<title>Severna Mitrovica, jun 2025</title>" in report


def test_the_console_never_prints_nan(weighted):
    from geo._summary import analysis_text

    inputs, _ = weighted
    from geo.analysis.bands import parse_bands

    quiet = Settings(res=9, permutations=99, bands=parse_bands("late=03-04"),
                     posts_band="late")
    result = build(inputs, Path(inputs.incidents[0].path).with_name("n.html"), settings=quiet,
                   report=False)
    text = analysis_text(result.analysis) + result.summary
    assert "late" in text and "nan" not in text.lower()


def test_two_identical_runs_write_identical_files(tmp_path):
    inputs = load_inputs(_weighted_file(tmp_path))
    written = []
    for run in ("a", "b"):
        folder = tmp_path / run
        result = build(inputs, folder / "m.html", settings=FAST, gis=folder / "cells.gpkg")
        written.append(sorted(p for p in folder.rglob("*") if p.is_file()  # the hidden
                              and not p.name.startswith(".")))  # release record names a time
    names = [p.relative_to(tmp_path / "a") for p in written[0]]
    assert {str(n) for n in names} >= {"m.html", "m_report.html", "m_report.pdf", "cells.gpkg"}
    for first, second in zip(*written, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    assert 'id="pm-map"' in (tmp_path / "a" / "m.html").read_text()  # a fixed element id
    assert result.gis_path is not None


def test_analyst_geopackage_is_identical_too(tmp_path):
    inputs = load_inputs(_weighted_file(tmp_path))
    blobs = []
    for run in ("a", "b"):
        result = build(inputs, tmp_path / run / "m.html", settings=FAST, audience="analyst", k=1,
                       gis=tmp_path / run / "cells.gpkg", report=False)
        blobs.append(result.gis_path.read_bytes())
    assert blobs[0] == blobs[1]


def _philadelphia_shapefile(folder: Path) -> Path:
    """A US city's incident shapefile in state-plane feet (EPSG:2272), ids only, no times."""
    import geopandas as gpd

    rng = np.random.default_rng(7)
    centres = np.array([[39.9526, -75.1652], [39.9600, -75.1400], [39.9400, -75.1750]])
    latlng = np.concatenate([c + rng.normal(0, 0.002, (60, 2)) for c in centres]
                            + [rng.uniform([39.935, -75.19], [39.97, -75.13], (120, 2))])
    x, y = pyproj.Transformer.from_crs(4326, 2272, always_xy=True).transform(latlng[:, 1],
                                                                           latlng[:, 0])
    path = folder / "incidents_part1.shp"
    gpd.GeoDataFrame({"objectid": np.arange(len(x)), "dc_key": [f"2017{i:06d}" for i in
                                                                 range(len(x))]},
                     geometry=gpd.points_from_xy(x, y), crs=2272).to_file(path)
    return path


@pytest.fixture(scope="module")
def no_times_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("no_times")
    shp = _philadelphia_shapefile(tmp)
    code = main(["-q", "build", "--incidents", str(shp), "--area", "extent", "--no-times",
                 "--out", str(tmp / "philadelphia.html"), "--permutations", "99", "--gis",
                 str(tmp / "cells.gpkg")])
    assert code == 0
    return tmp


def test_a_file_without_times_maps_all_hours_and_says_what_is_left_out(no_times_run):
    payload = _payload(no_times_run / "philadelphia.html")
    assert [b["key"] for b in payload["bands"]] == ["all"]
    assert payload["meta"]["no_times"] is True
    assert "emerging" not in payload["layers"]
    for lang in LANGUAGES:
        assert payload["i18n"][lang]["no_times_note"] == t("no_times_note", lang)
    report = (no_times_run / "philadelphia_report.html").read_text(encoding="utf-8")
    for key in ("no_times_note", "sec_no_times", "no_times_left_out"):
        assert t(key, "en") in report
    for key in ("sec_when", "sec_emerging", "no_change"):
        assert t(key, "en").split("{")[0] not in report
    assert (no_times_run / "cells.gpkg").exists()


def test_the_no_times_report_says_it_in_every_language(no_times_run):
    from geo.cli import main as run

    for lang in LANGUAGES:
        out = no_times_run / lang / "m.html"
        assert run(["-q", "build", "--incidents", str(no_times_run / "incidents_part1.shp"),
                    "--area", "extent", "--no-times", "--out", str(out), "--lang", lang,
                    "--permutations", "99", "--no-report-pdf"]) == 0
        report = out.with_name("m_report.html").read_text(encoding="utf-8")
        assert t("no_times_note", lang) in report and t("no_times_left_out", lang) in report


def test_the_console_says_times_are_left_out(tmp_path, capsys):
    shp = _philadelphia_shapefile(tmp_path)
    assert main(["build", "--incidents", str(shp), "--area", "extent", "--no-times", "--out",
                 str(tmp_path / "p.html"), "--permutations", "99", "--no-report"]) == 0
    out = capsys.readouterr().out
    assert "times of day not used (--no-times)" in out and "left out" in out
    assert "resolution: " in out and "(auto;" in out
    assert main(["build", "--incidents", str(shp), "--area", "extent", "--out",
                 str(tmp_path / "p.html")]) == 2
    assert "--no-times" in capsys.readouterr().err
    assert main(["build", "--incidents", str(shp), "--area", "extent", "--no-times",
                 "--change-date", "2025-05-29", "--out", str(tmp_path / "p.html")]) == 2
    assert "--change-date need times of day" in capsys.readouterr().err


def test_from_and_to_keep_a_period_that_the_table_carries(tmp_path, capsys):
    lat, lng = INSIDE_LATLNG[0]
    days = ["1994-03-01 10:00"] + [f"2025-06-{d:02d} 21:00" for d in range(1, 29)] + [
        "2025-07-02 10:00"]
    path = write_text(tmp_path / "inc.csv", "lat,lon,time\n" + "\n".join(
        f"{INSIDE_LATLNG[i % 6][0]},{INSIDE_LATLNG[i % 6][1]},{d}" for i, d in enumerate(days))
        + "\n")
    assert main(["build", "--incidents", str(path), "--from", "2025-06-01", "--to",
                 "2025-06-30", "--out", str(tmp_path / "june.html"), "--permutations", "99",
                 "--no-report-pdf"]) == 0
    out = capsys.readouterr().out
    assert "30 rows read, 28 accepted, 0 rejected, 2 outside the period 2025-06-01 – 2025-06-30" \
        in out
    assert "period: 2025-06-01 – 2025-06-30 (--from/--to)" in out
    payload = _payload(tmp_path / "june.html")
    assert payload["meta"]["period"] == ["2025-06-01", "2025-06-30"]
    inputs = load_inputs(path, options=Options(date_from="2025-06-01", date_to="2025-06-30"))
    result = build(inputs, tmp_path / "j.html", report=False,
                   settings=Settings(res=9, permutations=99, period=("2025-06-01", "2025-06-30")))
    first, last = result.table.period
    assert str(first) == "2025-05-31 22:00:00+00:00"
    assert str(last) == "2025-06-30 21:59:59.999999+00:00"
    assert round(result.table.days, 3) == 30.0
    # without a period, the stray 1994 date is pointed out
    assert main(["check", str(path)]) == 0
    assert "pass --from 2025-06-01" in capsys.readouterr().out


def test_a_national_boundary_file_needs_a_name_or_area_all(tmp_path, capsys, incidents_csv):
    from conftest import national_boundaries

    kosovo = national_boundaries(tmp_path / "kosovo.gpkg")
    base = ["build", "--incidents", str(incidents_csv), "--area", str(kosovo), "--out",
            str(tmp_path / "m.html"), "--permutations", "99", "--no-report"]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "holds 38 features" in err and "--area-all" in err and "'Zveçan'" in err
    assert main([*base, "--area-all"]) == 2
    assert "--large-area" in capsys.readouterr().err
    assert main([*base, "--area-name", "Mitrovica e Veriut"]) == 2
    assert "closest first: 'Mitrovicë e Veriut'" in capsys.readouterr().err
    assert main([*base, "--area-name", "Mitrovicë e Veriut"]) == 0
    assert "study area: Mitrovicë e Veriut" in capsys.readouterr().out


def test_reported_patrol_points_join_presence_from_the_command_line(tmp_path, capsys,
                                                                    incidents_csv):
    lat, lng = INSIDE_LATLNG[0]
    log = write_text(tmp_path / "dnevnik.csv", "patrola;vreme;lat;lon;trajanje\n" + "\n".join(
        f"P{i % 2};0{1 + i}.06.2025 22:{10 + i};{lat};{lng};{10 + i}" for i in range(6)) + "\n")
    out = tmp_path / "m.html"
    assert main(["build", "--incidents", str(incidents_csv), "--patrol-points", str(log),
                 "--out", str(out), "--permutations", "99", "--no-report-pdf", "--gis",
                 str(tmp_path / "cells.gpkg")]) == 0
    text = capsys.readouterr().out
    assert "dnevnik.csv: reported patrol visits: 6 rows read, 6 accepted" in text
    payload = _payload(out)
    hours = payload["layers"]["presence"]["values"]["all"]
    assert sum(hours) == round((10 + 11 + 12 + 13 + 14 + 15) / 60 * 10)  # tenths of hours
    assert "gaps" in payload["layers"]


def test_a_recipe_takes_the_new_keys(tmp_path):
    from geo.cli import _options, _settings
    from geo.recipe import load_recipe

    recipe = write_text(tmp_path / "r.toml", "\n".join([
        "[inputs]", 'incidents = "a.csv"', 'patrol_points = ["v.csv"]', "visit_minutes = 20",
        "[area]", 'file = "kosovo.gpkg"', "all = true", "large = true",
        "[map]", 'res = "auto"',
        "[analysis]", 'from = "2025-01-01"', 'to = "2025-03-31"', "no_times = true",
        "[columns]", 'date_col = "occurrencedate"', 'hour_col = "occurrencehour"',
        'count_col = "Count"', 'duration_col = "minutes"', ""]))
    values = load_recipe(recipe)
    assert values["patrol_points"] == [str(tmp_path / "v.csv")]
    assert values["area_all"] and values["large_area"]
    options, settings = _options(values), _settings(values)
    assert (options.date_col, options.hour_col, options.count_col, options.duration_col) == (
        "occurrencedate", "occurrencehour", "Count", "minutes")
    assert (options.date_from, options.date_to, options.no_times, options.visit_minutes) == (
        "2025-01-01", "2025-03-31", True, 20.0)
    assert settings.res == "auto" and settings.no_times
    assert [b.name for b in settings.bands] == ["all"]
    assert settings.period == ("2025-01-01", "2025-03-31")


def test_posts_without_times_count_only_within_a_given_period(tmp_path):
    from geo.analysis.steps import analyse
    from geo.inputs.area import default_area
    from geo.inputs.validate import read_incidents, read_posts

    area = default_area()
    lat, lng = INSIDE_LATLNG[0]
    posts = read_posts(write_text(tmp_path / "posts.csv", "name,lat,lon,staffed_from,staffed_to\n"
                                  f"Bridge,{lat},{lng},18:00,02:00\n"), area=area).accepted
    rows = "\n".join(f"{INSIDE_LATLNG[i % 6][0]},{INSIDE_LATLNG[i % 6][1]},2025-06-{1 + i:02d}"
                     for i in range(20))
    path = write_text(tmp_path / "inc.csv", "lat,lon,date\n" + rows + "\n")
    plain = read_incidents(path, area=area, options=Options(no_times=True)).accepted
    result = analyse(plain, area, posts=posts, settings=Settings(res=9, permutations=99,
                                                                 no_times=True))
    assert result.table.period is None and "post_min_all" not in result.table.frame
    assert any("no period to count their staffed hours" in w for w in result.warnings)
    assert result.decisions.siting is not None and result.decisions.emerging is None
    june = read_incidents(path, area=area, options=Options(
        no_times=True, date_from="2025-06-01", date_to="2025-06-30")).accepted
    result = analyse(june, area, posts=posts, settings=Settings(
        res=9, permutations=99, no_times=True, period=("2025-06-01", "2025-06-30")))
    assert result.table.frame["post_min_all"].max() == 30 * 8 * 60  # 8 hours a day in June
    assert result.week is None and result.decisions.change is None


def test_the_pings_of_one_file_or_several_are_sorted_by_unit_and_time(tmp_path):
    """One file's accepted pings go on as its check left them (sorted by unit, in the order
    units first appear, then time), and what the analysis adds to them leaves the check as
    it was; several files' pings are joined and sorted."""
    from geo.pipeline import load_inputs

    inc = write_text(tmp_path / "inc.csv", "lat,lon,time\n" + "\n".join(
        f"{a},{b},2025-06-01 2{i % 4}:00" for i, (a, b) in enumerate(INSIDE_LATLNG)) + "\n")
    (lat, lng), (lat2, lng2) = INSIDE_LATLNG[:2]
    first = write_text(tmp_path / "a.csv", "unit,time,lat,lon\n"
                       f"B,2025-06-01T20:05:00Z,{lat},{lng}\nA,2025-06-01T20:00:00Z,{lat},{lng}\n"
                       f"B,2025-06-01T20:01:00Z,{lat2},{lng2}\n")
    second = write_text(tmp_path / "b.csv", "unit,time,lat,lon\n"
                        f"A,2025-06-01T19:00:00Z,{lat2},{lng2}\n")
    one = load_inputs(inc, patrols=first)
    pings = one.patrols
    assert pings["row"].tolist() == [4, 2, 3]  # B (first seen) by time, then A
    assert np.shares_memory(pings["lat"].to_numpy(), one.pings[0].accepted["lat"].to_numpy())
    pings["extra"] = 1
    assert "extra" not in one.pings[0].accepted
    both = load_inputs(inc, patrols=[first, second]).patrols
    assert list(zip(both["unit"].astype(str), both["time"].dt.strftime("%H:%M"),
                    strict=True)) == [("A", "19:00"), ("A", "20:00"), ("B", "20:01"),
                                      ("B", "20:05")]
