"""Adversarial tests of the privacy gate: small counts, differencing, leaks, markup, the audit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from conftest import write_text
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.cli import main
from geo.privacy._suppression import COMPLEMENT, SHOWN, SMALL, _pinned, suppress_table
from geo.privacy.audit import audit_file
from geo.privacy.gate import PARTITIONS, clean_text

K = 5
CENTRE = [(42.8895, 20.8665), (42.8898, 20.8662), (42.8893, 20.8668)]
LONELY = (42.9050, 20.8500)  # a quiet residential cell in the north-west


def _payload(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    block = re.search(r'id="pm-data">(.*?)</script>', text, re.S).group(1)
    return json.loads(block)


def _attack(values: dict[str, list], totals: dict, k: int) -> list[str]:
    """Every additive relation a reader can form from a published map: what it pins down."""
    found = []
    reason = {b: np.where(np.array(v) == -1, SMALL, np.where(np.array(v) == -2, COMPLEMENT,
                                                             SHOWN)) for b, v in values.items()}
    shown = {b: np.where(np.array(v) < 0, 0, np.array(v)).astype(float)
             for b, v in values.items()}
    for band in values:  # area total minus the shown cells
        if totals.get(band) is not None and _pinned(totals[band], shown[band], reason[band], k):
            found.append(f"band {band}: area total pins a hidden cell")
    for group in PARTITIONS:  # a cell's all minus its other bands
        n = len(values["all"])
        for cell in range(n):
            if reason["all"][cell] != SHOWN:
                continue
            vals = np.array([shown[b][cell] for b in group])
            rs = np.array([reason[b][cell] for b in group])
            if _pinned(shown["all"][cell], vals, rs, k):
                found.append(f"cell {cell}: {group} pins a hidden band")
    return found


@pytest.fixture(scope="module")
def adversarial(tmp_path_factory):
    """One incident alone in a cell, a category with exactly k-1 cases, hostile text
    everywhere, a victim's note, an officer's unit id and a secret folder name."""
    folder = tmp_path_factory.mktemp("SECRET_FOLDER_NAME")
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>\u202eevil'
    rows = []
    for i in range(60):
        lat, lng = CENTRE[i % 3]
        category = "fight" if i < 40 else ("domestic violence" if i < 44 else hostile)
        rows.append(f"{lat},{lng},2025-06-{1 + i % 28:02d} {20 + i % 4}:10,{category},"
                    f"Ana Petrović lives at Kralja Petra 12")
    rows.append(f"{LONELY[0]},{LONELY[1]},2025-06-15 23:40,fight,the only one here")
    incidents = write_text(folder / "incidents.csv",
                           "lat,lon,time,category,note\n" + "\n".join(rows) + "\n")
    pings = write_text(folder / "pings.csv", "unit_id,timestamp,lat,lon\n" + "\n".join(
        f"OFFICER_JOVANOVIC,2025-06-01T20:{m:02d}:00Z,{CENTRE[0][0]},{CENTRE[0][1]}"
        for m in range(50)) + "\n")
    posts = write_text(folder / "posts.csv", "name,latitude,longitude,staffed_from,staffed_to\n"
                       f'"{hostile}",{CENTRE[1][0]},{CENTRE[1][1]},18:00,02:00\n')
    out = folder / "out"
    code = main(["-q", "build", "--incidents", str(incidents), "--patrols", str(pings),
                 "--posts", str(posts), "--out", str(out / "map.html"), "--png", "--pdf",
                 "--gis", str(out / "cells.gpkg"), "--title", hostile, "--note", hostile])
    assert code == 0
    return out, hostile


def test_every_output_passes_the_audit(adversarial):
    out, _ = adversarial
    for path in sorted(out.glob("[!.]*.*")):  # as a shell glob: no hidden record
        result = audit_file(path)
        assert result.ok, result.report()


def test_a_single_incident_in_a_cell_is_hidden_everywhere(adversarial):
    out, _ = adversarial
    data = _payload(out / "map.html")
    values = data["layers"]["incidents"]["values"]
    for band, shown in values.items():
        assert not any(0 < v < K for v in shown), band
    assert -1 in values["all"]
    gis = gpd.read_file(out / "cells.gpkg")
    lonely = gis[gis["incidents_all_shown_as"] == f"fewer than {K}"]
    assert len(lonely) >= 1 and lonely["incidents_all"].isna().all()


def test_no_small_count_can_be_recovered_by_subtraction(adversarial):
    out, _ = adversarial
    data = _payload(out / "map.html")
    assert _attack(data["layers"]["incidents"]["values"], data["meta"]["totals"], K) == []


def test_a_category_with_k_minus_one_cases_is_protected(adversarial):
    out, _ = adversarial
    data = _payload(out / "map.html")
    names = [n["en"] for n in data["categories"]["names"]]
    totals = data["categories"]["totals"]["all"]
    assert totals[names.index("domestic violence")] == -1  # 4 cases: fewer than 5
    rest = data["meta"]["totals"]["all"]
    if rest is not None:  # the area total minus the other categories must not give 4 back
        shown = np.array([max(v, 0) for v in totals], dtype=float)
        reason = np.array([SMALL if v == -1 else COMPLEMENT if v == -2 else SHOWN
                           for v in totals])
        assert not _pinned(rest, shown, reason, K)


def test_nothing_else_leaks(adversarial):
    out, hostile = adversarial
    for path in out.glob("*.*"):
        data = path.read_bytes()
        for secret in (b"SECRET_FOLDER_NAME", b"OFFICER_JOVANOVIC", "Petrović".encode(),
                       b"Kralja Petra", b"the only one here"):
            assert secret not in data, (path.name, secret)
        # the lone incident's own coordinates (cell centres nearby are fine)
        assert not re.search(rb"42\.905(?!\d)|20\.85(?!\d)", data), path.name
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "\u202e" not in html


def test_clean_text_strips_controls_and_overrides():
    assert clean_text("a\u202eb\u2066c\x00d\u200be\nf") == "abcde f"
    assert len(clean_text("x" * 500)) == 200


def test_analyst_output_is_restricted_and_the_audit_says_so(tmp_path, adversarial):
    folder = adversarial[0].parent
    out = tmp_path / "analyst.html"
    assert main(["-q", "build", "--incidents", str(folder / "incidents.csv"), "--out", str(out),
                 "--audience", "analyst", "--gis", str(tmp_path / "full.gpkg")]) == 0
    values = _payload(out)["layers"]["incidents"]["values"]["all"]
    assert 1 in values  # exact small counts, for analysts only
    report = tmp_path / "analyst_report.html"
    assert "Restricted: analyst view" in report.read_text(encoding="utf-8")
    for path in (out, tmp_path / "full.gpkg", report):
        result = audit_file(path)
        assert not result.ok and any("restricted" in p for p in result.problems)
    assert main(["-q", "build", "--incidents", str(folder / "incidents.csv"), "--out",
                 str(tmp_path / "x.html"), "--k", "2"]) == 2


def _assert_caught(cases: dict[str, tuple[str, str]], folder: Path) -> None:
    """Write each tampered page and check the audit names the expected problem."""
    for name, (text, problem) in cases.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        result = audit_file(path)
        assert any(problem in p for p in result.problems), (name, result.problems)


def test_the_audit_catches_tampered_files(adversarial, tmp_path):
    out, _ = adversarial
    html = (out / "map.html").read_text(encoding="utf-8")
    data = _payload(out / "map.html")
    data["layers"]["incidents"]["values"]["all"][0] = 2
    tampered = html.replace(re.search(r'id="pm-data">(.*?)</script>', html, re.S).group(1),
                            json.dumps(data).replace("<", "\\u003c"))
    cases = {
        "small.html": (tampered, "below k=5"),
        "markup.html": (html.replace("</body>", '<img src=x onerror="alert(1)"></body>'),
                        "event handler"),
        "point.html": (html.replace("</body>", "<div>42.905012, 20.850044</div></body>"),
                       "coordinate-like"),
        "path.html": (html.replace("</body>", "<div>/home/ana/incidents.csv</div></body>"),
                      "file path"),
    }
    _assert_caught(cases, tmp_path)
    assert main(["audit", str(out / "map.html")]) == 0
    assert main(["audit", str(tmp_path / "small.html")]) == 1
    assert main(["audit", str(tmp_path / "missing.html")]) == 2


def test_noise_is_stated_seeded_for_tests_and_random_otherwise(adversarial, tmp_path):
    from geo.analysis.steps import analyse
    from geo.inputs.area import default_area
    from geo.inputs.validate import read_incidents
    from geo.privacy.gate import publish

    folder = adversarial[0].parent
    inc = read_incidents(folder / "incidents.csv", area=default_area()).accepted
    table = analyse(inc, default_area()).table

    def counts(**kw):
        return publish(table, k=5, epsilon=1.0, **kw).incidents["all"]

    a, b = counts(noise_seed=1), counts(noise_seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(np.nan_to_num(counts(noise_seed=1)),
                              np.nan_to_num(counts(noise_seed=2)))
    runs = [np.nan_to_num(counts()) for _ in range(3)]
    assert not all(np.array_equal(runs[0], r) for r in runs[1:])
    out = tmp_path / "noisy.html"
    assert main(["-q", "build", "--incidents", str(folder / "incidents.csv"), "--out",
                 str(out), "--epsilon", "0.5"]) == 0
    assert _payload(out)["meta"]["epsilon"] == 0.5
    assert audit_file(out).ok


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8), st.integers(0, 8),
                          st.integers(0, 8), st.integers(0, 8)), min_size=1, max_size=12),
       st.integers(3, 6))
def test_suppression_leaves_no_sum_that_pins_a_small_count(rows, k):
    day = np.array([r[0] for r in rows])
    evening = np.array([r[1] for r in rows])
    night = np.array([r[2] for r in rows])
    weekday = np.array([r[3] for r in rows])
    total = day + evening + night
    weekday = np.minimum(weekday, total)
    counts = {"all": total, "day": day, "evening": evening, "night": night,
              "weekday": weekday, "weekend": total - weekday}
    reason, totals = suppress_table(counts, k, PARTITIONS)
    values = {b: np.where(reason[b] == SMALL, -1, np.where(reason[b] == COMPLEMENT, -2,
                                                           counts[b])).tolist()
              for b in counts}
    assert _attack(values, totals, k) == []
    for band, c in counts.items():
        assert ((reason[band] == SMALL) == ((c > 0) & (c < k))).all()
        assert totals[band] is None or totals[band] == c.sum()


def test_the_outputs_of_one_run_agree_cell_by_cell(adversarial):
    out, _ = adversarial
    values = _payload(out / "map.html")["layers"]["incidents"]["values"]
    gis = gpd.read_file(out / "cells.gpkg")
    for band, shown in values.items():
        column = gis[f"incidents_{band}"].fillna(-1).astype(int).tolist()
        assert [v if v >= 0 else -1 for v in shown] == column, band


def test_the_report_hides_what_the_map_hides(adversarial):
    out, hostile = adversarial
    html = (out / "map_report.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="pm-report">(.*?)</script>', html, re.S).group(1))
    for where, counts in data["counts"].items():
        assert not any(0 < c < K for c in counts), where
    assert "<script>alert" not in html and "<img src=x" not in html and "\u202e" not in html
    assert "fewer than 5" in html  # the lone night incident's hour, at least, is hidden


def test_the_audit_catches_tampered_reports(adversarial, tmp_path):
    out, _ = adversarial
    html = (out / "map_report.html").read_text(encoding="utf-8")
    block = re.search(r'id="pm-report">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    data["counts"]["week"].append(2)
    cases = {
        "small.html": (html.replace(block, json.dumps(data)), "below k=5 in week"),
        "script.html": (html.replace("</main>", "<script>fetch('x')</script></main>"),
                        "<script>"),
        "handler.html": (html.replace("<h2>", '<h2 onclick="alert(1)">', 1), "event handler"),
        "point.html": (html.replace("</main>", "<p>42.905012, 20.850044</p></main>"),
                       "neither a cell centre"),
        "lone.html": (html.replace("</main>", "<p>at 42.905012</p></main>"),
                      "coordinate-like"),
        "path.html": (html.replace("</main>", "<p>/home/ana/incidents.csv</p></main>"),
                      "file path"),
        "link.html": (html.replace("</main>", '<div><a href="http://x.org">x</a></div></main>'),
                      "<a>"),
    }
    _assert_caught(cases, tmp_path)
