"""The HTML map as a document: translations, lean shared geometry, escaping, the gate."""

from __future__ import annotations

import dataclasses
import json
import re
from importlib.resources import files

import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo import i18n
from geo.analysis.cells import area_to_cells
from geo.analysis.steps import Settings, analyse
from geo.inputs.area import default_area
from geo.outputs.maps import encode_cells, map_payload, render_map
from geo.privacy.gate import publish

AREA = default_area()


def test_every_language_has_every_key():
    assert i18n.check_complete() == []


def test_a_missing_translation_is_caught(monkeypatch):
    broken = {key: dict(texts) for key, texts in i18n.TEXT.items()}
    del broken["layer_gaps"]["sq"]
    broken["north"]["sr-Cyrl"] = " "
    monkeypatch.setattr(i18n, "TEXT", broken)
    assert i18n.check_complete() == ["layer_gaps: sq", "north: sr-Cyrl"]


def test_every_word_the_page_asks_for_exists():
    script = files("geo.outputs.static").joinpath("map.js").read_text(encoding="utf-8")
    asked = set(re.findall(r'\btr\("([a-z_]+)"[,)]', script))
    asked |= set(re.findall(r'"(layer_[a-z]+)"', script))
    asked |= {f"hot_{b}" for b in range(-3, 4)} | {f"band_{b}" for b in
                                                    ("all", "day", "evening", "night",
                                                     "weekday", "weekend")}
    assert asked - set(i18n.TEXT) == set()
    assert len(asked) > 40


def _decode(geom: dict) -> list[np.ndarray]:
    """The page script's decoding, in Python (the audit's)."""
    from geo.privacy._audit_files import _decode_rings

    return _decode_rings(geom)


@pytest.mark.parametrize("res", [9, 11])
def test_geometry_decodes_to_h3_boundaries_within_a_decimetre(res):
    cells = area_to_cells(AREA, res=res)[:400]
    geom = json.loads(json.dumps(encode_cells(cells)))
    for cell, ring in zip(cells, _decode(geom), strict=True):
        expected = np.array(h3.cell_to_boundary(format(int(cell), "x")))
        assert np.abs(ring - expected).max() <= 0.51e-6  # 1e-6 degrees is ~0.1 m


def test_geometry_is_written_once_and_layers_hold_only_values(published, tmp_path):
    payload = map_payload(published)
    assert set(payload["layers"]) == {"incidents", "hotspots", "clusters", "presence", "gaps"}
    for layer in payload["layers"].values():
        assert "coordinates" not in json.dumps(layer) and "geom" not in layer
        assert set(layer["values"]) == set(published.bands)
    page = render_map(published, tmp_path / "m.html").read_text(encoding="utf-8")
    assert page.count('"geom":') == 1
    assert "style_function" not in page and "L.geoJson" not in page


def test_the_cluster_layer_is_the_published_classes(published):
    layer = map_payload(published)["layers"]["clusters"]
    names = [key.removeprefix("lisa_") for key in layer["classes"]]
    for band in published.bands:
        shown = [names[ord(ch) - 48] for ch in layer["values"][band]]
        assert shown == [str(c) for c in published.clusters[band]]


def test_suppressed_counts_never_reach_the_page(published):
    payload = map_payload(published)
    for band, values in payload["layers"]["incidents"]["values"].items():
        shown = np.array(values)
        assert not ((shown > 0) & (shown < published.k)).any(), band
        assert (shown[published.reason[band] == 1] == -1).all()  # "fewer than k"
        assert (shown[published.reason[band] == 2] == -2).all()  # "not shown"
        assert min(payload["layers"]["incidents"]["breaks"][band] or [published.k]) >= 5


def test_bytes_per_cell_stay_small(tmp_path):
    cells = area_to_cells(AREA, res=10)
    rng = np.random.default_rng(1)
    inc = pd.DataFrame({"lat": rng.uniform(42.887, 42.910, 20000),
                        "lng": rng.uniform(20.840, 20.890, 20000),
                        "time": pd.Timestamp("2025-05-01", tz="UTC"), "category": "x"})
    inc = inc[AREA.contains_latlng(inc["lat"].to_numpy(), inc["lng"].to_numpy())]
    from geo.analysis.steps import add_gaps, add_hot_spots
    from geo.analysis.table import count_cells

    table = count_cells(inc.reset_index(drop=True), AREA, res=10)
    for band in table.band_names:
        table.frame[f"presence_min_{band}"] = rng.gamma(0.5, 100, len(cells)).round()
    add_hot_spots(table, settings=Settings(permutations=99))
    add_gaps(table)
    big = render_map(publish(table, k=5), tmp_path / "big.html").stat().st_size
    few = count_cells(inc.head(50).reset_index(drop=True), AREA, res=9)
    small = render_map(publish(few, k=5), tmp_path / "small.html").stat().st_size
    per_cell = (big - small) / (len(cells) - len(few.frame))
    assert per_cell < 200


def test_payload_cannot_close_its_script_element(published, tmp_path):
    hostile = "</script><script>alert(1)</script><!--"
    page = render_map(published, tmp_path / "h.html", title=hostile, note=hostile)
    text = page.read_text(encoding="utf-8")
    block = text.split('id="pm-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block
    assert json.loads(block)["title"] == hostile
    assert "<title>&lt;/script&gt;" in text


def test_only_published_cells_are_drawn(published, tmp_path):
    with pytest.raises(TypeError, match="publish"):
        render_map(dataclasses.replace(published, k=2), tmp_path / "x.html")
    with pytest.raises(TypeError):
        render_map(object(), tmp_path / "x.html")  # type: ignore[arg-type]


def test_unknown_language_is_refused(published, tmp_path):
    with pytest.raises(ValueError, match="choose one of en, sr-Cyrl, sr-Latn, sq"):
        render_map(published, tmp_path / "x.html", lang="de")


def test_emerging_patterns_and_suggested_posts_reach_the_page(tmp_path):
    from geo.inputs.validate import read_incidents, read_posts
    from geo.sample import write_sample

    files = write_sample(tmp_path / "s", days=120)
    inc = read_incidents(files["incidents"], area=AREA).accepted
    posts = read_posts(files["posts"], area=AREA).accepted
    result = analyse(inc, AREA, posts=posts, settings=Settings(new_posts=2))
    analyst = publish(result.table, k=1, audience="analyst", posts=posts,
                      decisions=result.decisions)
    emerging = map_payload(analyst)["layers"]["emerging"]
    assert len(emerging["values"]) == len(analyst.cells)
    assert all(key in i18n.TEXT for key in emerging["patterns"])
    published = publish(result.table, k=5, posts=posts, decisions=result.decisions)
    payload = map_payload(published)
    # community output: monthly cell counts are too small to publish, so no emerging layer
    assert "emerging" not in payload["layers"] and "emerging_left_out" in published.notes
    assert [s["rank"] for s in payload["suggested"]] == [1, 2]
    for site in payload["suggested"]:  # at cell centres
        centre = h3.cell_to_latlng(h3.latlng_to_cell(site["lat"], site["lng"], 9))
        assert abs(centre[0] - site["lat"]) < 1e-6 and abs(centre[1] - site["lng"]) < 1e-6
    for pattern in ("new hot spot", "persistent cold spot"):
        from geo.outputs.maps import _pattern_key

        assert _pattern_key(pattern) in i18n.TEXT


# ---------------------------------------------------------------- visits, rates, language

def build_layered(folder, *, lang: str = "en"):
    """A community build of two months of the sample with residents (none in two res-8
    parents), 40 reported patrol visits and coverage in Serbian, with its own release ledger;
    returns the build result."""
    from geo.analysis.cells import cells_to_str
    from geo.pipeline import build, load_inputs
    from geo.sample import write_sample

    files = write_sample(folder / "sample", days=61, start="2025-05-01")
    parents = sorted({h3.cell_to_parent(c, 8) for c in cells_to_str(area_to_cells(AREA, res=9))})
    rng = np.random.default_rng(4)
    residents = rng.integers(100, 2500, len(parents))
    residents[:2] = 0
    population = folder / "kontur_population.csv"
    pd.DataFrame({"h3": parents, "population": residents}).to_csv(population, index=False)
    visits = folder / "reported_visits.csv"
    n = VISITS
    pd.DataFrame({"unit": ["P1", "P2"] * (n // 2),
                  "lat": 42.8938 + rng.normal(0, 0.002, n),
                  "lon": 20.8652 + rng.normal(0, 0.003, n),
                  "time": pd.Timestamp("2025-05-03 21:10") + pd.to_timedelta(
                      rng.integers(0, 50 * 86400, n), unit="s"),
                  "duration": 15}).to_csv(visits, index=False)
    inputs = load_inputs(files["incidents"], patrols=[files["patrols"]], posts=[files["posts"]],
                         population=population, patrol_points=[visits])
    # its own ledger, so that no other test's release of the area is published beside it
    return build(inputs, folder / "maps" / "layers.html", synthetic=True, report_pdf=False,
                 lang=lang, settings=Settings(language="sr", permutations=99),
                 ledger=folder / "ledger.sqlite")


VISITS = 40


@pytest.fixture(scope="module")
def layered(tmp_path_factory):
    result = build_layered(tmp_path_factory.mktemp("layered"))
    return result, map_payload(result.published)


def _page_data(path) -> dict:
    from geo._page import MAP_DATA

    return json.loads(MAP_DATA.findall(path.read_text(encoding="utf-8"))[0])


def test_reported_visits_are_a_colour_layer_of_whole_visits_per_cell(layered):
    from geo.outputs.style import VISIT_COLOURS, class_breaks

    result, payload = layered
    layer = payload["layers"]["visits"]
    published = result.published
    assert set(layer) == {"values", "breaks", "palette"}
    for band in published.bands:
        assert layer["values"][band] == published.reported_visits[band].tolist()
        assert layer["breaks"][band] == class_breaks(published.reported_visits[band])
        assert layer["palette"][band] == list(VISIT_COLOURS[-len(layer["breaks"][band]):])
    inside = sum(layer["values"]["all"])
    assert 0.8 * VISITS <= inside <= VISITS  # a few random visits fall outside the area
    assert sum(sum(layer["values"][b]) for b in ("day", "evening", "night")) == inside


def test_rates_are_hundredths_of_the_published_rates_and_none_without_residents(layered):
    result, payload = layered
    layer = payload["layers"]["rates"]
    published = result.published
    residents = np.asarray(layer["residents"]) / 10
    np.testing.assert_allclose(residents, published.residents, atol=0.05)
    assert (residents == 0).sum() >= 1 and (residents > 0).sum() >= 10
    for band in published.bands:
        values = layer["values"][band]
        assert [v is None for v in values] == (residents == 0).tolist()
        shown = np.array([np.nan if v is None else v / 100 for v in values])
        np.testing.assert_allclose(shown, published.rates[band], atol=0.005, equal_nan=True)
        breaks = layer["breaks"][band]
        assert breaks == sorted(breaks) and np.isfinite(breaks).all()
        assert breaks[-1] == pytest.approx(np.nanmax(published.rates[band]))
    assert layer["no_data_colour"] == "#ffffff"


def test_language_coverage_is_the_released_cells_and_the_reports_share(layered):
    from geo.privacy.release import expand_spec

    result, payload = layered
    coverage = payload["coverage"]
    assert coverage["language"] == "sr" and set(coverage["share"]) == set(result.published.bands)
    figures = result.published.report.figures
    for band, share in coverage["share"].items():
        expected = figures[band]["coverage_lang"]
        assert share == (None if expected is None else round(expected * 100))
    assert any(share is not None for share in coverage["share"].values())
    cells = list(result.published.cell_ids())
    areas = expand_spec(payload["release"]["spec"], cells)["areas"]
    frame = result.analysis.table.frame
    for band in result.published.bands:
        mask = frame[f"covered_lang_{band}"].to_numpy(bool)
        assert set(areas[f"covered_lang_{band}"]) == set(np.asarray(cells)[mask])
    assert result.published.area_share("covered_lang_all", "nowhere") is None
    assert result.published.area_share("no such area", "all") is None


def test_without_residents_visits_or_a_language_the_layers_are_absent(published):
    payload = map_payload(published)
    assert not {"visits", "rates"} & set(payload["layers"])
    assert payload["coverage"] is None


def _retell(path, change) -> str:
    """The page at ``path`` with its data block changed by ``change``, in the renderer's own
    frame (so only the data differ)."""
    import html as html_module

    from geo._page import MAP_LANG, MAP_TITLE, map_page
    from geo.outputs.maps import _json_for_script

    text = path.read_text(encoding="utf-8")
    data = _page_data(path)
    change(data)
    return map_page(html_module.unescape(MAP_TITLE.findall(text)[0]), MAP_LANG.findall(text)[0],
                    _json_for_script(data))


def _first_lived(data) -> int:
    return next(i for i, r in enumerate(data["layers"]["rates"]["residents"]) if r > 0)


def _first_empty(data) -> int:
    return data["layers"]["rates"]["residents"].index(0)


def _first_shown_share(data) -> str:
    return next(b for b, s in data["coverage"]["share"].items() if s is not None)


TAMPERED = {
    "rate": (lambda d: d["layers"]["rates"]["values"]["all"].__setitem__(
        _first_lived(d), d["layers"]["rates"]["values"]["all"][_first_lived(d)] + 150),
        "not the smoothed rates"),
    "residents": (lambda d: d["layers"]["rates"]["residents"].__setitem__(
        _first_lived(d), d["layers"]["rates"]["residents"][_first_lived(d)] * 3),
        "not the smoothed rates"),
    "rate without residents": (lambda d: d["layers"]["rates"]["values"]["night"].__setitem__(
        _first_empty(d), 1234), "for a cell without residents"),
    "key in a layer": (lambda d: d["layers"]["visits"].__setitem__("lat", [42.89]),
                       "holds other keys"),
    "key on the page": (lambda d: d.__setitem__("points", [[42.8938, 20.8652]]),
                        "unexpected data keys"),
    "fractional visits": (lambda d: d["layers"]["visits"]["values"]["all"].__setitem__(0, 0.5),
                          "reported visits layer"),
    "share": (lambda d: d["coverage"]["share"].__setitem__(
        _first_shown_share(d), d["coverage"]["share"][_first_shown_share(d)] + 3),
        "published count over the total"),
    "language": (lambda d: d["coverage"].__setitem__("language", "Serbian at Kralja Petra 12"),
                 "not the renderer's"),
}


def test_the_page_with_every_new_layer_passes_the_audit(layered):
    from geo.privacy._audit_files import audit_map

    result, _ = layered
    found = audit_map(result.map_path.read_text(encoding="utf-8"))
    assert found.problems == []
    data = _page_data(result.map_path)
    assert {"visits", "rates"} <= set(data["layers"]) and data["coverage"]["language"] == "sr"


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_the_audit_fails_a_tampered_layer(layered, case):
    from geo.privacy._audit_files import audit_map

    result, _ = layered
    change, message = TAMPERED[case]
    problems = audit_map(_retell(result.map_path, change)).problems
    assert any(message in p for p in problems), problems


@given(st.lists(st.tuples(st.floats(0, 5000, allow_nan=False), st.floats(0, 20000)),
                min_size=1, max_size=60))
@settings(max_examples=60, deadline=None)
def test_rates_and_residents_keep_their_published_values(pairs):
    """Rates as hundredths and residents as tenths lose nothing of the published values
    (rounded to 0.01 and 0.1), and a rate is missing exactly where no one lives."""
    from geo.outputs.maps import _rates_layer

    residents = np.round(np.array([p[1] for p in pairs]), 1)
    rates = np.where(residents > 0, np.round([p[0] for p in pairs], 2), np.nan)
    layer = _rates_layer({"all": rates}, residents)
    values = layer["values"]["all"]
    assert [v is None for v in values] == (residents == 0).tolist()
    shown = np.array([np.nan if v is None else v / 100 for v in values])
    np.testing.assert_allclose(shown, rates, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(np.array(layer["residents"]) / 10, residents, atol=1e-9)
    assert all(isinstance(v, int) for v in layer["residents"])
    assert len(layer["palette"]["all"]) == len(layer["breaks"]["all"]) <= 5
