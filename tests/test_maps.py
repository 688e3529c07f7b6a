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
    """The page script's decoding, in Python."""
    rings, lat, lng, v = [], 0, 0, 0
    for i in range(geom["n"]):
        lat += geom["c"][2 * i]
        lng += geom["c"][2 * i + 1]
        if str(i) in geom["x"] or i in geom["x"]:
            offsets = np.array(geom["x"].get(i, geom["x"].get(str(i))))
        else:
            offsets = np.array(geom["tpl"]) + geom["v"][v:v + 12]
            v += 12
        rings.append((offsets.reshape(-1, 2) + [lat, lng]) / geom["scale"])
    return rings


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
