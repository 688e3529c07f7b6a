"""Adversarial tests of a community release, read as an attacker reads it: every file of a
folder together, beside earlier releases, and tampered with."""

from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
from conftest import write_text

from geo.cli import main
from geo.privacy.audit import audit_file, audit_paths
from geo.privacy.gate import clean_text

K = 5
CENTRE = [(42.8938, 20.8652), (42.8941, 20.8649), (42.8936, 20.8655)]
LONELY = (42.9050, 20.8500)  # a quiet residential cell in the north-west


def _payload(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'id="pm-data">(.*?)</script>', text, re.S).group(1))


def _joint(folder: Path) -> list[str]:
    """What the audit's attacker pins when it reads the whole folder."""
    return [p for r in audit_paths([folder]) if r.kind == "disclosure model"
            for p in r.problems]


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
                 "--gis", str(out / "cells.gpkg"), "--title", hostile, "--note", hostile,
                 "--ledger", str(folder / "ledger.sqlite")])
    assert code == 0
    return out, hostile


def test_every_output_and_the_folder_pass_the_audit(adversarial):
    out, _ = adversarial
    results = audit_paths([out])
    assert {r.kind for r in results} >= {"HTML map", "HTML report", "PNG picture",
                                         "PDF document", "GIS cell table", "disclosure model"}
    for result in results:
        assert result.ok, result.report()
    assert main(["audit", str(out)]) == 0


def test_a_single_incident_in_a_cell_is_hidden_everywhere(adversarial):
    out, _ = adversarial
    values = _payload(out / "map.html")["layers"]["incidents"]["values"]
    for band, shown in values.items():
        assert not any(0 < v < K for v in shown), band
    assert -1 in values["all"]
    gis = gpd.read_file(out / "cells.gpkg")
    lonely = gis[gis["incidents_all_shown_as"] == f"fewer than {K}"]
    assert len(lonely) >= 1 and lonely["incidents_all"].isna().all()


def test_categories_are_taxonomy_words_and_small_ones_are_merged(adversarial):
    out, hostile = adversarial
    data = _payload(out / "map.html")
    names = [n["en"] for n in data["categories"]["names"]]
    assert names == ["fight", "other"]  # 4 domestic violence cases join the hostile text
    other = data["categories"]["totals"]["all"][names.index("other")]
    assert other == 20
    from geo.inputs.taxonomy import default_taxonomy

    groups = data["release"]["spec"]["groups"]
    words = set(default_taxonomy().keys)
    assert set(groups) <= words and all(set(m) <= words for m in groups.values())


def test_nothing_else_leaks(adversarial):
    out, hostile = adversarial
    for path in out.glob("*.*"):
        data = path.read_bytes()
        if path.suffix == ".pdf":
            data += zlib.decompress(data) if data.startswith(b"x\x9c") else b""
        for secret in (b"SECRET_FOLDER_NAME", b"OFFICER_JOVANOVIC", "Petrović".encode(),
                       b"Kralja Petra", b"the only one here"):
            assert secret not in data, (path.name, secret)
        assert not re.search(rb"42\.905(?!\d)|20\.85(?!\d)", data), path.name
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html and "\u202e" not in html
    # the period is the whole month, not the first and last incident's days
    assert _payload(out / "map.html")["meta"]["period"] == ["2025-06-01", "2025-06-30"]


def test_the_outputs_of_one_run_agree_cell_by_cell(adversarial):
    out, _ = adversarial
    values = _payload(out / "map.html")["layers"]["incidents"]["values"]
    gis = gpd.read_file(out / "cells.gpkg")
    for band, shown in values.items():
        column = gis[f"incidents_{band}"].fillna(-1).astype(int).tolist()
        assert [v if v >= 0 else -1 for v in shown] == column, band


def test_the_report_hides_what_the_map_hides(adversarial):
    out, _ = adversarial
    html = (out / "map_report.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="pm-report">(.*?)</script>', html, re.S).group(1))
    for where, counts in data["counts"].items():
        assert not any(0 < c < K for c in counts), where
    assert "<script>alert" not in html and "<img src=x" not in html and "\u202e" not in html


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


# ---------------------------------------------------------------- places and words

def test_places_are_cells(adversarial, tmp_path, capsys):
    folder = adversarial[0].parent
    incidents = str(folder / "incidents.csv")
    # an extent area: the outline is whole cells, never the data's padded box
    assert main(["-q", "build", "--incidents", incidents, "--area", "extent", "--out",
                 str(tmp_path / "e" / "m.html"), "--no-report"]) == 0
    data = _payload(tmp_path / "e" / "m.html")
    from geo.privacy._audit_files import _cells_of

    cells, ok = _cells_of(data["geom"], 9)
    corners = np.array([(a / 1e6, b / 1e6) for ring in data["area"] for a, b in ring])
    cell_corners = np.array([p for cell in cells for p in h3.cell_to_boundary(cell)])
    nearest = np.abs(corners[:, None, :] - cell_corners[None, :, :]).max(axis=2).min(axis=1)
    assert ok and nearest.max() < 2e-6
    assert audit_file(tmp_path / "e" / "m.html").ok
    # a grid finer than street blocks is refused for community output
    assert main(["-q", "build", "--incidents", incidents, "--res", "11", "--out",
                 str(tmp_path / "f.html")]) == 2
    assert "street-block" in capsys.readouterr().err
    # candidate sites are published at cell centres, never as given
    cands = write_text(tmp_path / "cands.csv", "name,latitude,longitude\nA,42.89382,20.86521\n"
                       "B,42.90481,20.85012\n")
    assert main(["-q", "build", "--incidents", incidents, "--candidates", str(cands),
                 "--out", str(tmp_path / "c" / "m.html")]) == 0
    text = "".join(p.read_text(errors="replace") for p in (tmp_path / "c").glob("*.html"))
    assert "42.89382" not in text and "42.90481" not in text


# ---------------------------------------------------------------- tampering

def _tamper_map(html: str, data: dict, edit) -> str:
    block = re.search(r'id="pm-data">(.*?)</script>', html, re.S).group(1)
    edit(data)
    return html.replace(block, json.dumps(data, ensure_ascii=False).replace("<", "\\u003c"))


def _assert_caught(cases: dict[str, tuple[str | bytes, str]], folder: Path) -> None:
    for name, (content, problem) in cases.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        result = audit_paths([path])[0]
        assert any(problem in p for p in result.problems), (name, result.problems)


def test_the_audit_catches_tampered_maps(adversarial, tmp_path):
    out, _ = adversarial
    html = (out / "map.html").read_text(encoding="utf-8")
    fresh = lambda: _payload(out / "map.html")  # noqa: E731

    def small(d):
        d["layers"]["incidents"]["values"]["all"][0] = 2

    def lower_k(d):
        d["meta"]["k"] = 3

    cases = {
        "small.html": (_tamper_map(html, fresh(), small), "below k=5"),
        "lower_k.html": (_tamper_map(html, fresh(), lower_k), "differs from the release"),
        "script.html": (html.replace("</body>", "<script>fetch('//x')</script></body>"),
                        "differs from what the renderer writes"),
        "refresh.html": (html.replace("<head>", '<head><meta http-equiv="refresh" '
                                      'content="0;url=http://x.org">'), "differs"),
        "css.html": (html.replace("</head>", "<style>body{background:url(http://x/a)}</style>"
                                  "</head>"), "differs"),
        "hidden.html": (html.replace("</body>", '<div hidden>cell 8928: 2</div></body>'),
                        "differs"),
        "decoy.html": (html.replace("</body>", "<!-- " + html[html.index('<script type="app'):
                                                          html.index("</script>", html.index(
                                                              '<script type="app')) + 9]
                                    + " --></body>"), "not one patrolmap data block"),
        "dms.html": (html.replace("<title>", "<title>42°54'18\"N ", 1), "coordinate-like"),
        "path.html": (html.replace("</body>", "<div>/home/ana/incidents.csv</div></body>"),
                      "differs"),
    }
    _assert_caught(cases, tmp_path)
    assert main(["audit", str(out / "map.html")]) == 0
    assert main(["audit", str(tmp_path / "small.html")]) == 1
    assert main(["audit", str(tmp_path / "missing.html")]) == 2


def test_the_audit_catches_tampered_reports_pictures_and_gis(adversarial, tmp_path):
    out, _ = adversarial
    html = (out / "map_report.html").read_text(encoding="utf-8")
    block = re.search(r'id="pm-report">(.*?)</script>', html, re.S).group(1)
    data = json.loads(block)
    data["counts"]["week"].append(2)
    png = (out / "map.png").read_bytes()
    pdf = (out / "map.pdf").read_bytes()
    end = png.rindex(b"IEND") - 4
    extra = b"tEXt" + b"Author\x00ana"
    chunk = len(extra[4:]).to_bytes(4, "big") + extra + zlib.crc32(extra).to_bytes(4, "big")
    cases = {
        "small.html": (html.replace(block, json.dumps(data)), "below k=5 in week"),
        "script.html": (html.replace("</main>", "<script>fetch('x')</script></main>"),
                        "<script>"),
        "refresh.html": (html.replace("<head>", '<head><meta http-equiv="refresh" '
                                      'content="0">'), "<meta>"),
        "handler.html": (html.replace("<h2>", '<h2 onclick="alert(1)">', 1), "attribute"),
        "hidden.html": (html.replace("</main>", '<p style="display:none">cell: 2</p></main>'),
                        "hides"),
        "css.html": (html.replace("</style>", "p{background:url(http://x)}</style>", 1),
                     "style sheet"),
        "comment.html": (html.replace("</main>", "<!-- counts: 1 2 --></main>"), "comment"),
        "point.html": (html.replace("</main>", "<p>42.905012, 20.850044</p></main>"),
                       "neither a cell centre"),
        "link.html": (html.replace("</main>", '<div><a href="http://x.org">x</a></div></main>'),
                      "<a>"),
        "meta.png": (png[:end] + chunk + png[end:], "metadata"),
        "stuffed.png": (_stuffed(png, b"SECRET 42.88951,20.86652"), "not exactly its pixels"),
        "crc.png": (png[:end - 5] + bytes([png[end - 5] ^ 1]) + png[end - 4:],
                    "wrong checksum"),
        "fetch.html": (html.replace("<h2>", '<h2><svg><rect fill="url(https://x.org/a#b)"/>'
                                    "</svg>", 1), "fetches"),
        "image.html": (html.replace("<h2>", '<h2><svg><image width="0" height="5" '
                                    'xlink:href="data:image/png;base64,' +
                                    base64.b64encode(png).decode() + '"/></svg>', 1),
                       "not a chart's picture"),
        "faded.html": (html.replace("<h2>", '<h2><svg><g opacity="0"><text>cell: 2</text>'
                                    "</g></svg>", 1), "invisible"),
        "cut.png": (png[: len(png) // 2], "truncated"),
        "cut.pdf": (pdf[: len(pdf) // 2], "truncated"),
    }
    _assert_caught(cases, tmp_path)
    gis = gpd.read_file(out / "cells.gpkg")
    gis["latitude"] = 42.9
    gis.to_file(tmp_path / "lat.gpkg", driver="GPKG")
    assert any("latitude" in p for p in audit_file(tmp_path / "lat.gpkg").problems)


def _stuffed(png: bytes, secret: bytes) -> bytes:
    """The PNG with ``secret`` hidden after its pixels inside the compressed image data."""
    pos, parts, pixels = 8, [png[:8]], b""
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        if kind == b"IDAT":
            pixels += body
        elif kind == b"IEND":
            data = zlib.compress(zlib.decompress(pixels) + secret)
            parts.append(len(data).to_bytes(4, "big") + b"IDAT" + data
                         + zlib.crc32(b"IDAT" + data).to_bytes(4, "big"))
            parts.append(png[pos:pos + 12 + length])
        else:
            parts.append(png[pos:pos + 12 + length])
        pos += 12 + length
    return b"".join(parts)


def test_restricted_files_do_not_belong_in_a_meeting_folder(adversarial, tmp_path):
    out, _ = adversarial
    rejects = out.parent / "out-restricted" / "rejects"
    assert not (out / "rejects").exists()
    meeting = tmp_path / "meeting"
    meeting.mkdir()
    for name in ("map.html", "map_report.html"):
        (meeting / name).write_bytes((out / name).read_bytes())
    assert main(["audit", str(meeting)]) == 0
    (meeting / "incidents_rejects.csv").write_text("row,column,reason,value\n")
    assert main(["audit", str(meeting)]) == 1
    del rejects


# ---------------------------------------------------------------- releases compared

def _sample_incidents(tmp_path, days=181):
    from geo.sample import write_sample

    files = write_sample(tmp_path / "s", start="2025-01-01", days=days)
    frame = pd.read_csv(files["incidents"], sep=";")
    return files, frame


def _write(frame, path):
    frame.to_csv(path, sep=";", index=False)
    return path


@pytest.mark.slow
def test_a_longer_period_beside_an_earlier_one(tmp_path):
    from geo.pipeline import build, load_inputs

    files, frame = _sample_incidents(tmp_path, days=59)
    january = frame[pd.to_datetime(frame["date_time"], errors="coerce") < "2025-02-01"]
    folder = tmp_path / "meeting"
    ledger = tmp_path / "ledger.sqlite"
    first = load_inputs(_write(january, tmp_path / "jan.csv"))
    build(first, folder / "jan.html", ledger=ledger, report=False,
          period=("2025-01-01", "2025-01-31"))
    both = load_inputs(files["incidents"])
    try:
        build(both, folder / "jan_feb.html", ledger=ledger, report=False,
              period=("2025-01-01", "2025-02-28"))
    except Exception as refused:  # refusing is one safe answer
        assert "overlaps" in str(refused) and "2025-02-01" in str(refused)
    assert _joint(folder) == []
    # the same second map made without the ledger gives February's small counts back
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "jan.html").write_bytes((folder / "jan.html").read_bytes())
    build(both, alone / "jan_feb.html", ledger=tmp_path / "other.sqlite", report=False,
          period=("2025-01-01", "2025-02-28"))
    assert _joint(alone), "differencing should pin February counts without the ledger"


@pytest.mark.slow
def test_a_re_export_with_one_more_record_gives_nothing_back(tmp_path):
    from geo.pipeline import build, load_inputs

    files, frame = _sample_incidents(tmp_path, days=31)
    ledger = tmp_path / "ledger.sqlite"
    folder = tmp_path / "meeting"
    first = load_inputs(_write(frame.iloc[1:], tmp_path / "a.csv"))
    build(first, folder / "a.html", ledger=ledger, report=False)
    second = load_inputs(_write(frame, tmp_path / "b.csv"))
    try:
        build(second, folder / "b.html", ledger=ledger, report=False)
    except Exception as refused:  # refusing is one safe answer
        assert "overlaps" in str(refused)
        return
    # else every count both maps show is the same, or differs by k or more: the late record
    # cannot be found by subtraction
    a, b = _payload(folder / "a.html"), _payload(folder / "b.html")
    for band, values in a["layers"]["incidents"]["values"].items():
        for x, y in zip(values, b["layers"]["incidents"]["values"][band], strict=True):
            assert x < 0 or y < 0 or x == y or abs(x - y) >= K
    for band, total in a["meta"]["totals"].items():
        other = b["meta"]["totals"][band]
        assert total is None or other is None or total == other or abs(total - other) >= K
    for band, cats in a["categories"]["totals"].items():
        for x, y in zip(cats, b["categories"]["totals"][band], strict=True):
            assert x < 0 or y < 0 or x == y or abs(x - y) >= K


@pytest.mark.slow
def test_all_categories_beside_all_but_one(tmp_path):
    from geo.analysis.steps import Settings
    from geo.pipeline import build, load_inputs

    files, frame = _sample_incidents(tmp_path, days=61)
    ledger = tmp_path / "ledger.sqlite"
    folder = tmp_path / "meeting"
    inputs = load_inputs(files["incidents"])
    build(inputs, folder / "all.html", ledger=ledger, report=False)
    rest = [c for c in sorted(frame["category"].dropna().unique())
            if c != "verbal sexual harassment"][:5]
    try:
        build(inputs, folder / "rest.html", ledger=ledger, report=False,
              settings=Settings(categories=tuple(rest)))
    except Exception as refused:
        assert "overlaps" in str(refused)
    assert _joint(folder) == []


def test_noise_spends_a_budget_that_the_ledger_adds_up(adversarial, tmp_path, capsys):
    folder = adversarial[0].parent
    args = ["-q", "build", "--incidents", str(folder / "incidents.csv"), "--no-report",
            "--ledger", str(tmp_path / "l.sqlite"), "--epsilon", "1"]
    assert main([*args, "--out", str(tmp_path / "a.html")]) == 0
    assert main([*args, "--out", str(tmp_path / "b.html")]) == 0
    a = _payload(tmp_path / "a.html")["layers"]["incidents"]["values"]["all"]
    b = _payload(tmp_path / "b.html")["layers"]["incidents"]["values"]["all"]
    assert a != b  # no seed: every release draws fresh noise
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path / "c.html")]) == 2  # 3 > the budget of 2
    assert "budget" in capsys.readouterr().err
    for bad in ("inf", "1e-300", "0", "-1", "nan"):
        assert main([*args, "--epsilon", bad, "--out", str(tmp_path / "x.html")]) == 2
    assert main(["ledger", "--ledger", str(tmp_path / "l.sqlite")]) == 0
    listing = capsys.readouterr().out
    assert "2 release(s)" in listing and "epsilon 1" in listing
    assert main(["ledger", "--ledger", str(tmp_path / "l.sqlite"), "--delete"]) == 0
    assert not (tmp_path / "l.sqlite").exists()


def test_noise_keeps_totals_equal_to_their_parts(adversarial, tmp_path):
    folder = adversarial[0].parent
    assert main(["-q", "build", "--incidents", str(folder / "incidents.csv"), "--no-report",
                 "--ledger", str(tmp_path / "l.sqlite"), "--epsilon", "0.5",
                 "--out", str(tmp_path / "n.html")]) == 0
    data = _payload(tmp_path / "n.html")
    assert data["meta"]["epsilon"] == 0.5 and audit_file(tmp_path / "n.html").ok
    names = [n["en"] for n in data["categories"]["names"]]
    totals = data["meta"]["totals"]
    for band in ("all", "night"):
        cats = data["categories"]["totals"][band]
        if totals[band] is not None and min(cats) >= 0:
            assert sum(cats) == totals[band], (band, names)
    values = np.array(data["layers"]["incidents"]["values"]["all"])
    assert (values >= -2).all()
