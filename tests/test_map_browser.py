"""The maps in a real browser (Debian's Chromium), with the network cut off."""

from __future__ import annotations

import re
from pathlib import Path

import h3
import pytest

from geo.cli import main
from geo.i18n import LANGUAGES

SCREENSHOTS = Path(__file__).resolve().parents[1] / "maps" / "screenshots"
pytestmark = pytest.mark.browser

_CANVAS = """(name) => {
  const layer = window.patrolmap.layers[name];
  return layer && layer._canvas && layer._map ? layer._canvas.toDataURL() : null;
}"""


@pytest.fixture(scope="module")
def demo_map(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["-q", "demo", "--days", "60", "--out", str(out)]) == 0
    return out / "north_mitrovica.html"


@pytest.fixture
def page(browser):
    """A page that records console errors and blocks (and records) every network request."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.errors, page.requests, page.dialogs = [], [], []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))

    def block(route):
        page.requests.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith(("file:", "data:")), block)
    yield page
    page.close()


def _open(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_function("() => window.patrolmap !== undefined", timeout=15000)


def test_demo_map_works_offline_with_every_layer_and_legend(page, demo_map):
    _open(page, demo_map)
    assert page.errors == [] and page.requests == []
    assert "North Mitrovica" in page.inner_text("#pm-title")
    assert "synthetic" in page.inner_text("#pm-note").lower()
    radios = page.locator(".leaflet-control-layers-base label")
    colours = [radios.nth(i).inner_text().strip() for i in range(radios.count())]
    assert colours == ["Incidents per cell", "Hot spots (Gi*)",
                       "Clusters and outliers (Local Moran)",
                       "Patrol and post hours, where officers are", "Coverage gaps"]
    labels = page.locator(".leaflet-control-layers-overlays label")
    names = [labels.nth(i).inner_text().strip() for i in range(labels.count())]
    assert names == ["River, streets and landmarks", "Fixed posts", "Suggested new posts",
                     "Study area"]
    legend_of = {"Incidents per cell": "incidents", "Hot spots (Gi*)": "hotspots",
                 "Clusters and outliers (Local Moran)": "clusters",
                 "Patrol and post hours, where officers are": "presence", "Coverage gaps": "gaps",
                 "River, streets and landmarks": "context", "Fixed posts": "posts",
                 "Suggested new posts": "suggested"}
    painted = """() => Object.keys(window.patrolmap.layers).filter(
      (n) => window.patrolmap.map.hasLayer(window.patrolmap.layers[n]))"""
    for i, name in enumerate(colours):  # a choice of one: one colour layer, one legend
        radios.nth(i).locator("input").click()
        assert page.evaluate(painted) == [legend_of[name]]
        shown = [legend_of[c] for c in colours
                 if page.locator(f'#pm-legends [data-layer="{legend_of[c]}"]').count()]
        assert shown == [legend_of[name]]
    assert page.locator('#pm-legends [data-layer="gaps"] .pm-bicell').count() == 9
    clusters = page.locator('#pm-legends [data-layer="clusters"]')
    assert clusters.count() == 0  # only while its layer is chosen
    radios.nth(colours.index("Clusters and outliers (Local Moran)")).locator("input").click()
    assert clusters.locator(".pm-row").count() == 5  # four classes and "not significant"
    assert "High among high" in clusters.inner_text()
    for i, name in enumerate(names):
        box = labels.nth(i).locator("input")
        before = box.is_checked()
        box.click()
        assert box.is_checked() != before
        if name in legend_of:
            shown = page.locator(f'#pm-legends [data-layer="{legend_of[name]}"]').count() == 1
            assert shown == (not before), name
        box.click()
    assert page.errors == []


_PANES = """() => ["pm-context", "overlayPane", "pm-area", "pm-posts", "pm-labels"].map(
  (n) => +getComputedStyle(window.patrolmap.map.getPane(n)).zIndex)"""


def test_river_landmarks_and_post_names_are_on_the_map(page, demo_map):
    _open(page, demo_map)
    z = page.evaluate(_PANES)
    assert z == sorted(z)  # context under the cells, outline and posts above, labels on top
    assert "© OpenStreetMap contributors" in page.inner_text(".leaflet-control-attribution")
    labels = page.locator(".pm-label-post")
    posts = {labels.nth(i).inner_text() for i in range(labels.count())}
    assert {"Main bridge (north)", "Bus station", "Hospital"} <= posts  # always, not on hover
    page.locator(".leaflet-control-layers-overlays label", has_text="Suggested new posts") \
        .locator("input").click()
    assert page.locator(".pm-label-suggested").first.inner_text() == "+1"
    water = page.locator(".pm-label-water")
    assert "Ibër" in {water.nth(i).inner_text() for i in range(water.count())}
    page.select_option("#pm-lang", "sr-Latn")
    assert "Ibar" in {water.nth(i).inner_text() for i in range(water.count())}
    page.evaluate("() => window.patrolmap.map.setZoom(16, {animate: false})")
    marks = page.locator(".pm-label-landmark:visible")
    assert marks.count() >= 3
    # switching the colour layer keeps the context under it and the posts above it
    page.locator(".leaflet-control-layers-base input").nth(3).click()
    assert page.evaluate(_PANES) == z
    assert page.errors == []


def test_posts_not_staffed_in_the_band_are_hollow(page, demo_map):
    _open(page, demo_map)
    hollow = "() => document.querySelectorAll('.pm-hollow').length"
    assert page.evaluate(hollow) == 0  # all hours: every post is staffed some time
    page.click('#pm-switch button[data-band="night"]')
    assert page.evaluate(hollow) >= 2  # bus station and hospital close before night
    assert "Not staffed" in page.inner_text('#pm-legends [data-layer="posts"]')


@pytest.mark.parametrize("size", [(1600, 900), (1280, 720)])
def test_first_view_fits_the_area_and_the_title_leaves_the_controls_free(browser, demo_map,
                                                                          size):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.route(lambda url: not url.startswith(("file:", "data:")), lambda r: r.abort())
    _open(page, demo_map)
    inside = page.evaluate("""() => {
      const m = window.patrolmap.map, b = m.getBounds();
      return [b.contains([42.8876, 20.835]), b.contains([42.9113, 20.8728])];
    }""")
    assert inside == [True, True]
    for lang in LANGUAGES:
        page.select_option("#pm-lang", lang)
        title = page.locator("#pm-title").bounding_box()
        for other in (".leaflet-control-layers", "#pm-switch", ".pm-buttons"):
            box = page.locator(other).bounding_box()
            assert (title["x"] + title["width"] <= box["x"] or box["x"] + box["width"] <= title["x"]
                    or title["y"] + title["height"] <= box["y"]
                    or box["y"] + box["height"] <= title["y"]), (lang, other)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"north_mitrovica_{size[0]}.png"))
    page.close()


_SITE_NAMES = """() => {
  const frame = window.patrolmap.map.getContainer().getBoundingClientRect();
  const box = (n) => {
    const r = n.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const over = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
  const names = [...document.querySelectorAll('.pm-label-post, .pm-label-suggested')];
  const panels = [...document.querySelectorAll('.leaflet-control, #pm-note')]
    .map(box).filter((r) => r[2] > r[0] && r[3] > r[1]);
  const dots = names.map((n) => { const r = n.parentNode.getBoundingClientRect();
    return [r.left - 5, r.top - 5, r.left + 5, r.top + 5]; });
  const problems = [];
  names.forEach((n, i) => {
    const r = box(n), text = n.textContent;
    if (getComputedStyle(n).display === 'none') { problems.push(text + ' hidden'); }
    if (r[0] < frame.left || r[1] < frame.top || r[2] > frame.right || r[3] > frame.bottom) {
      problems.push(text + ' off the map'); }
    names.slice(i + 1).forEach((m) => {
      if (over(r, box(m))) { problems.push(text + ' / ' + m.textContent); }
    });
    panels.forEach((p) => { if (over(r, p)) { problems.push(text + ' under a panel'); } });
    dots.forEach((d, j) => {
      if (j !== i && over(r, d)) { problems.push(text + ' covers a dot'); }
    });
  });
  return {names: names.map((n) => n.textContent), problems: problems};
}"""


@pytest.mark.parametrize("size", [(1600, 900), (1280, 720), (400, 760)])
def test_every_post_name_is_readable_in_every_language_and_band(browser, demo_map, size):
    """No post's name covers another name, a post's dot or a panel, nor leaves the map."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.route(lambda url: not url.startswith(("file:", "data:")), lambda r: r.abort())
    _open(page, demo_map)
    page.evaluate("""() => [...document.querySelectorAll('.leaflet-control-layers-overlays label')]
      .filter((l) => l.textContent.includes('Suggested new posts'))[0].querySelector('input')
      .click()""")  # on a phone the layer list is folded away
    for lang in LANGUAGES:
        page.select_option("#pm-lang", lang)
        for band in ("all", "night"):
            page.click(f'#pm-switch button[data-band="{band}"]')
            found = page.evaluate(_SITE_NAMES)
            assert found["problems"] == [], (lang, band)
            assert {"Main bridge (north)", "Bus station", "Hospital", "+1"} <= set(found["names"])
    page.close()


def test_band_switch_recolours_without_reloading(page, demo_map):
    _open(page, demo_map)
    page.evaluate("() => { window.__same_page = true; }")
    before = page.evaluate(_CANVAS, "incidents")
    legend_before = page.inner_text('#pm-legends [data-layer="incidents"]')
    page.click('#pm-switch button[data-band="night"]')
    after = page.evaluate(_CANVAS, "incidents")
    assert before and after and before != after
    assert page.inner_text('#pm-legends [data-layer="incidents"]') != legend_before
    assert "Night" in page.inner_text("#pm-title")
    assert page.evaluate("() => window.__same_page") is True


def test_language_switch_translates_every_panel(page, demo_map):
    _open(page, demo_map)
    english = {sel: page.inner_text(sel) for sel in ("#pm-title", "#pm-legends", "#pm-switch")}
    for lang in LANGUAGES[1:]:
        page.select_option("#pm-lang", lang)
        for selector, text in english.items():
            assert page.inner_text(selector) != text, (lang, selector)
    page.select_option("#pm-lang", "sr-Cyrl")
    assert "Северна Митровица" in page.inner_text("#pm-title")
    assert page.evaluate("() => document.documentElement.lang") == "sr-Cyrl"
    assert page.errors == []


def test_hovering_a_cell_shows_its_numbers_per_band(page, demo_map):
    _open(page, demo_map)
    point = page.evaluate("""() => {
      const m = window.patrolmap.map;
      const p = m.latLngToContainerPoint([42.8938, 20.8652]);
      return [p.x, p.y];
    }""")
    page.mouse.move(*point)
    tip = page.inner_text("#pm-tip")
    for band in ("All hours", "Day (06–18)", "Night (22–06)", "Weekend"):
        assert band in tip
    assert "Hot spot" in tip and "Patrol and post hours" in tip
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "north_mitrovica.png"))


def test_hostile_text_never_runs(page, tmp_path):
    hostile = '"><img src=x onerror="window.__pwned=1;alert(1)"><script>alert(2)</script>'
    rows = "\n".join(
        f'{lat},{lng},2025-06-0{1 + i % 7} 21:00,"{hostile}"'
        for i, (lat, lng) in enumerate([(42.8938, 20.8652)] * 9 + [(42.8950, 20.8600)] * 9))
    csv = tmp_path / "h.csv"
    csv.write_text("lat,lon,time,category\n" + rows + "\n", encoding="utf-8")
    out = tmp_path / "h.html"
    rtl = "\u202eevil\u202c javascript:alert(3)"
    posts = tmp_path / "posts.csv"
    posts.write_text(f'name,latitude,longitude\n"{hostile}",42.8938,20.8652\n', encoding="utf-8")
    import geopandas as gpd

    from geo.inputs.area import default_area

    gpd.GeoDataFrame({"name": [hostile]}, geometry=[default_area().geometry],
                     crs=4326).to_file(tmp_path / "area.geojson")
    assert main(["-q", "build", "--incidents", str(csv), "--out", str(out), "--posts",
                 str(posts), "--area", str(tmp_path / "area.geojson"),
                 "--title", hostile, "--note", rtl]) == 0
    _open(page, out)
    assert page.evaluate("() => window.__pwned === undefined")
    assert page.dialogs == [] and page.requests == []
    assert hostile in page.inner_text("#pm-title")  # shown as text, not run
    assert page.locator("#pm-title img, #pm-note img, #pm-title script").count() == 0
    page.click(".pm-info")  # a category outside the taxonomy is "other", never its text
    methods = page.inner_text("#pm-methods")
    assert "onerror" not in methods and "alert" not in methods and "other" in methods
    page.select_option("#pm-lang", "sq")
    page.mouse.move(640, 400)
    assert page.evaluate("() => window.__pwned === undefined") and page.dialogs == []


def test_methods_panel_and_full_screen_button(page, demo_map):
    _open(page, demo_map)
    assert page.is_hidden("#pm-methods")
    page.click(".pm-info")
    text = page.inner_text("#pm-methods")
    assert "Getis-Ord Gi*" in text and "H3" in text and "normal p-value" in text
    page.click(".pm-info")
    assert page.is_hidden("#pm-methods")
    page.click(".pm-full")  # headless Chromium may refuse full screen; it must not error
    assert page.errors == []


def test_tiles_only_when_asked(tmp_path):
    assert main(["-q", "demo", "--days", "14", "--out", str(tmp_path / "a")]) == 0
    assert main(["-q", "demo", "--days", "14", "--tiles", "--out", str(tmp_path / "b")]) == 0
    offline = (tmp_path / "a" / "north_mitrovica.html").read_text(encoding="utf-8")
    online = (tmp_path / "b" / "north_mitrovica.html").read_text(encoding="utf-8")
    assert '"tiles":false' in offline and '"tiles":true' in online
    for page in (offline, online):
        assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', page)


def test_on_a_phone_the_panels_do_not_cover_each_other(browser, demo_map):
    page = browser.new_page(viewport={"width": 400, "height": 760})
    page.route(lambda url: not url.startswith(("file:", "data:")), lambda r: r.abort())
    _open(page, demo_map)
    boxes = {sel: page.locator(sel).bounding_box()
             for sel in ("#pm-title", "#pm-switch", "#pm-legends")}

    def overlap(a, b):
        return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                    or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])

    assert not overlap(boxes["#pm-title"], boxes["#pm-switch"])
    assert not overlap(boxes["#pm-switch"], boxes["#pm-legends"])
    assert page.locator(".leaflet-control-layers-toggle").is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "north_mitrovica_phone.png"))
    page.close()


@pytest.mark.parametrize("width", [1280, 400])
def test_the_report_reads_offline_on_a_laptop_and_a_phone(browser, demo_map, width):
    report = demo_map.with_name("north_mitrovica_report.html")
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route(lambda url: not url.startswith(("file:", "data:")),
               lambda r: (requests.append(r.request.url), r.abort()))
    page.goto(report.as_uri())
    assert errors == [] and requests == []
    assert page.locator("h2").count() >= 8
    charts = page.locator("figure svg")
    assert charts.count() >= 4
    for i in range(charts.count()):  # every chart is drawn, wide ones readable on a phone
        box = charts.nth(i).bounding_box()
        assert box["width"] > 300 and box["height"] > 150
        assert page.locator("figure").nth(i).bounding_box()["width"] <= width
    # the page itself never scrolls sideways; wide tables scroll in their own box
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert re.fullmatch(r"[\d,]+", page.locator(".figures dd").first.inner_text())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"north_mitrovica_report_{width}.png"),
                    full_page=True)
    page.close()


def test_a_map_without_times_has_one_band_and_says_so(page, tmp_path, incidents_csv):
    from geo.i18n import t

    out = tmp_path / "no_times.html"
    assert main(["-q", "build", "--incidents", str(incidents_csv), "--no-times", "--out",
                 str(out), "--permutations", "99", "--no-report"]) == 0
    _open(page, out)
    assert page.errors == [] and page.requests == []
    assert page.locator(".pm-band").count() == 1
    assert t("no_times_note", "en") in page.inner_text("#pm-note")
    page.select_option("#pm-lang", "sq")
    assert t("no_times_note", "sq") in page.inner_text("#pm-note")


def test_an_osm_extract_draws_streets_water_and_labels_offline(page, tmp_path, incidents_csv):
    from test_context import write_osm_pbf

    pbf = write_osm_pbf(tmp_path / "town.osm.pbf")
    out = tmp_path / "osm.html"
    assert main(["-q", "build", "--incidents", str(incidents_csv), "--context", str(pbf),
                 "--out", str(out), "--permutations", "99", "--no-report"]) == 0
    _open(page, out)
    assert page.errors == [] and page.requests == []
    page.evaluate("() => window.patrolmap.map.setView([42.8935, 20.853], 16, {animate: false})")
    texts = page.evaluate("""() => Array.from(document.querySelectorAll('.pm-label'))
      .filter((n) => n.style.display !== 'none').map((n) => n.textContent)""")
    assert {"Ibar", "Kralja Petra I", "Sveti Sava school"} <= set(texts)
    page.select_option("#pm-lang", "sr-Cyrl")
    texts = page.evaluate("""() => Array.from(document.querySelectorAll('.pm-label-landmark'))
      .map((n) => n.textContent)""")
    assert "Школа Свети Сава" in texts
    assert "© OpenStreetMap contributors" in page.inner_text(".leaflet-control-attribution")


# ---------------------------------------------------------------- visits, rates, language, print

@pytest.fixture(scope="module")
def layered_map(tmp_path_factory) -> tuple[Path, dict]:
    """A page with reported visits, rates and coverage in Serbian, and its data block."""
    from test_maps import _page_data, build_layered

    result = build_layered(tmp_path_factory.mktemp("layered"))
    return result.map_path, _page_data(result.map_path)


def _centres(data: dict) -> list[tuple[float, float]]:
    """Cell centres (lat, lng) as the page decodes them."""
    from geo.privacy._page_numbers import decode_ints

    geom, lat, lng, out = data["geom"], 0, 0, []
    steps = decode_ints(geom["c"])
    for i in range(geom["n"]):
        lat += steps[2 * i]
        lng += steps[2 * i + 1]
        out.append((lat / geom["scale"], lng / geom["scale"]))
    return out


def _hover(page, latlng) -> str:
    """Move the pointer onto a cell's centre and read the tooltip."""
    # a panel (the legend, the layer list) may cover the cell: then bring the cell to the
    # middle of the map; and the last cell's tooltip may lie over it: put that away
    point = page.evaluate("""(ll) => {
      const m = window.patrolmap.map;
      let p = m.latLngToContainerPoint(ll);
      const box = m.getContainer().getBoundingClientRect();
      const hit = document.elementFromPoint(box.left + p.x, box.top + p.y);
      if (!hit || hit.closest(".leaflet-control, .pm-panel, .leaflet-marker-icon")) {
        m.panTo(ll, {animate: false});
        p = m.latLngToContainerPoint(ll);
      }
      document.getElementById("pm-tip").hidden = true;
      return [p.x, p.y];
    }""", list(latlng))
    for step in (0.5, 1.5, 2.5):  # a loaded machine may drop a move: try again nearby
        page.mouse.move(point[0] + step, point[1] + step)
        page.mouse.move(*point)
        try:
            page.wait_for_function("() => !document.getElementById('pm-tip').hidden",
                                   timeout=1500)
            break
        except Exception:  # noqa: BLE001, S112 - Playwright's timeout: move again
            continue
    return page.inner_text("#pm-tip")


def _choose(page, label: str) -> None:
    page.locator(".leaflet-control-layers-base label", has_text=label).locator("input").click()


def _number(value: float) -> str:
    """A number as the page writes it in English (at most one decimal)."""
    text = f"{value:,.1f}"
    return text[:-2] if text.endswith(".0") else text


_PAINTED = """() => Object.keys(window.patrolmap.layers).filter(
  (n) => window.patrolmap.map.hasLayer(window.patrolmap.layers[n]))"""
_COLOURS = """(name) => window.patrolmap.layers[name]._canvas.getAttribute('data-colours')"""


def test_reported_visits_layer_has_its_legend_and_tooltip(page, layered_map):
    path, data = layered_map
    _open(page, path)
    layer = data["layers"]["visits"]
    busiest = max(range(data["geom"]["n"]), key=lambda i: layer["values"]["all"][i])
    _choose(page, "Reported patrol visits per cell")
    assert page.evaluate(_PAINTED) == ["visits"]
    legend = page.locator('#pm-legends [data-layer="visits"]')
    assert legend.locator(".pm-row").count() == len(layer["breaks"]["all"]) + 1  # and "0"
    assert "Reported patrol visits per cell" in legend.inner_text()
    assert "patrol data, not incidents" in legend.inner_text()
    assert set(page.evaluate(_COLOURS, "visits").split(",")) <= set(layer["palette"]["all"])
    tip = _hover(page, _centres(data)[busiest])
    assert f"Reported patrol visits: {layer['values']['all'][busiest]}" in tip
    page.select_option("#pm-lang", "sr-Cyrl")
    assert "Пријављене посете патрола по ћелији" in legend.inner_text()
    assert "Пријављене посете патрола:" in _hover(page, _centres(data)[busiest])
    assert page.errors == [] and page.requests == []


def test_rates_layer_has_breaks_no_data_the_caveat_and_a_tooltip(page, layered_map):
    path, data = layered_map
    _open(page, path)
    layer = data["layers"]["rates"]
    rates, residents = layer["values"]["all"], layer["residents"]
    lived = max((i for i in range(len(rates)) if rates[i] is not None), key=lambda i: rates[i])
    _choose(page, "Incidents per 1,000 residents (smoothed)")
    assert page.evaluate(_PAINTED) == ["rates"]
    legend = page.locator('#pm-legends [data-layer="rates"]').inner_text()
    assert "Incidents per 1,000 residents (smoothed)" in legend
    assert "No residents: no rate" in legend
    assert "wrong denominator at night and for visitors" in legend
    assert f"–{_number(layer['breaks']['all'][-1])}" in legend
    assert layer["no_data_colour"] in page.evaluate(_COLOURS, "rates").split(",")
    tip = _hover(page, _centres(data)[lived])
    assert (f"{_number(rates[lived] / 100)} per 1,000 residents; "
            f"{int(residents[lived] / 10 + 0.5):,} residents") in tip
    page.select_option("#pm-lang", "sr-Cyrl")
    legend = page.locator('#pm-legends [data-layer="rates"]').inner_text()
    assert "Инциденти на 1.000 становника (изглађено)" in legend
    assert "погрешан именилац ноћу" in legend
    assert "на 1.000 становника" in _hover(page, _centres(data)[lived])
    assert page.errors == []


def _language_box(page):
    return page.locator(".leaflet-control-layers-overlays label",
                        has_text="officers speak").locator("input")


def test_coverage_in_serbian_is_an_overlay_with_its_share_per_band(page, layered_map):
    path, data = layered_map
    _open(page, path)
    share = data["coverage"]["share"]
    box = _language_box(page)
    assert not box.is_checked()  # off at first
    assert page.locator('#pm-legends [data-layer="language"]').count() == 0
    box.click()
    legend = page.locator('#pm-legends [data-layer="language"]')
    assert legend.locator("b").inner_text() == "Reach of posts whose officers speak Serbian"
    page.click('#pm-switch button[data-band="night"]')
    assert share["night"] is not None
    assert legend.locator(".pm-row").inner_text() == (
        "Within reach of a post with officers who speak Serbian, Night (22–06): "
        f"{share['night']} % of incidents")
    assert page.evaluate("""() => window.patrolmap.language._canvas
      .getAttribute('data-colours')""") == data["coverage"]["colour"]
    from geo.privacy.release import expand_spec

    cells = [h3.latlng_to_cell(a, b, data["meta"]["methods"]["res"]) for a, b in _centres(data)]
    covered = set(expand_spec(data["release"]["spec"], cells)["areas"]["covered_lang_night"])
    inside = next(i for i, c in enumerate(cells) if c in covered)
    outside = next(i for i, c in enumerate(cells) if c not in covered)
    line = "Within reach of a post with officers who speak Serbian, Night (22–06)"
    assert line in _hover(page, _centres(data)[inside])
    assert line not in _hover(page, _centres(data)[outside])
    page.select_option("#pm-lang", "sr-Cyrl")
    assert "полицајцима који говоре српски, Ноћ (22–06)" in legend.inner_text()
    assert page.errors == []


def test_a_hidden_language_share_says_not_shown(page, layered_map, tmp_path):
    from test_maps import _retell

    path, _ = layered_map
    hidden = tmp_path / "hidden.html"
    hidden.write_text(_retell(path, lambda d: d["coverage"]["share"].update(night=None)),
                      encoding="utf-8")
    _open(page, hidden)
    _language_box(page).click()
    page.click('#pm-switch button[data-band="night"]')
    text = page.inner_text('#pm-legends [data-layer="language"]')
    assert "Night (22–06): share of incidents not shown" in text and "%" not in text


def test_coverage_words_say_which_presence_and_band(page, demo_map):
    _open(page, demo_map)
    page.locator(".leaflet-control-layers-overlays label", has_text="Suggested new posts") \
        .locator("input").click()
    legend = page.inner_text('#pm-legends [data-layer="suggested"]')
    assert "Coverage by fixed posts, Night (22–06): share of incidents within 400 m" in legend
    assert re.search(r"\+1: (\d+ %|–) → (\d+ %|–)", legend)
    _choose(page, "Coverage gaps")
    assert "Presence: patrol and post hours, All hours" in page.inner_text(
        '#pm-legends [data-layer="gaps"]')
    page.click('#pm-switch button[data-band="night"]')
    tip = _hover(page, (42.8938, 20.8652))
    assert "Need / presence (patrol and post hours), Night (22–06): " in tip
    page.select_option("#pm-lang", "sr-Cyrl")
    assert "Покривеност сталним пунктовима, Ноћ (22–06)" in page.inner_text(
        '#pm-legends [data-layer="suggested"]')


SHOTS = Path("/tmp/maps-shots")


def test_printing_shows_the_map_title_legend_and_note_without_controls(page, layered_map):
    path, _ = layered_map
    _open(page, path)
    _choose(page, "Incidents per 1,000 residents (smoothed)")
    page.emulate_media(media="print")
    page.evaluate("() => window.patrolmap.fitPrint(true)")  # what "beforeprint" does
    for control in (".leaflet-control-layers", "#pm-switch", ".pm-buttons",
                    ".leaflet-control-zoom", "#pm-methods", "#pm-tip"):
        assert page.locator(control).is_hidden(), control
    size = page.viewport_size
    for panel in ("#pm-title", "#pm-legends", "#pm-note"):
        box = page.locator(panel).bounding_box()
        assert page.locator(panel).is_visible() and box is not None, panel
        assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= size["width"] \
            and box["y"] + box["height"] <= size["height"], panel
    assert "wrong denominator" in page.inner_text("#pm-legends")
    assert page.evaluate(_PAINTED) == ["rates"]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "print_rates.png"))
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) == 1  # the whole map on one landscape page
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert width > height
    text = reader.pages[0].extract_text()
    assert "Incidents per 1,000 residents" in text and "North Mitrovica" in text
    assert "Time" not in text.split()  # the band and language switch stay off paper
    page.emulate_media(media="screen")
    assert page.locator("#pm-switch").is_visible()


@pytest.fixture(scope="module")
def month_map(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("months")
    assert main(["-q", "demo", "--days", "60", "--months", "--no-report", "--out", str(out)]) == 0
    return out / "north_mitrovica.html"


def test_the_month_slider_steps_through_months_and_plays(page, month_map):
    _open(page, month_map)
    assert page.errors == [] and page.requests == []
    whole = page.evaluate(_CANVAS, "incidents")
    assert "Whole period" in page.inner_text("#pm-month-label")
    slider = page.locator("#pm-month")
    slider.fill("1")
    label = page.inner_text("#pm-month-label")
    month = label.split(": ")[1]
    assert re.match(r"^[A-Z][a-z]+ 2025$", month)
    assert month in page.inner_text("#pm-title")  # the title says which month, for print too
    assert page.evaluate(_CANVAS, "incidents") != whole
    assert "fewer than 5" in page.inner_text("#pm-legends")
    # incidents per month are counted over the whole day only; other bands say so
    page.locator('button[data-band="night"]').click()
    assert "whole day only" in page.inner_text("#pm-switch")
    assert page.locator("#pm-month").is_disabled()
    # patrol presence has every band per month
    _choose(page, "Patrol and post hours")
    assert not page.locator("#pm-month").is_disabled()
    night_month = page.evaluate(_CANVAS, "presence")
    page.locator("#pm-month").fill("0")
    assert page.evaluate(_CANVAS, "presence") != night_month
    page.click("#pm-play")
    page.wait_for_function("() => window.patrolmap.state.month === 2", timeout=6000)
    page.click("#pm-play")  # pause
    page.locator(".pm-lang").select_option("sr-Cyrl")
    assert re.search(r"[а-я]+ 2025", page.inner_text("#pm-month-label"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "months_presence_night_sr-Cyrl.png"))
    assert page.errors == [] and page.requests == []


# ---------------------------------------------------------------- a map past the packing size

@pytest.fixture(scope="module")
def packed_map(tmp_path_factory) -> tuple[Path, dict, dict]:
    """A map of some 3,000 res-10 cells with incidents, hot spots, patrol hours and gaps in
    every band: past the size where the page packs its numbers. Returns the page, its data
    block and the incidents and tenths of patrol hours per band, unpacked."""
    import numpy as np
    import pandas as pd
    from test_maps import _page_data

    from geo.analysis.steps import Settings, add_gaps, add_hot_spots
    from geo.analysis.table import count_cells
    from geo.inputs.area import extent_area
    from geo.outputs.maps import render_map
    from geo.privacy._page_numbers import decode_ints
    from geo.privacy.gate import publish

    rng = np.random.default_rng(3)
    lat0, lng0, dlat, dlng = 42.89, 20.86, 0.032, 0.043  # about 7 x 7 km
    area = extent_area(np.array([lat0 - dlat, lat0 + dlat]), np.array([lng0 - dlng, lng0 + dlng]),
                       pad_m=0)
    n = 30_000
    centres = rng.uniform([lat0 - dlat, lng0 - dlng], [lat0 + dlat, lng0 + dlng], (12, 2))
    pick = rng.integers(0, len(centres), n)
    lat = centres[pick, 0] + rng.normal(0, dlat / 6, n)
    lng = centres[pick, 1] + rng.normal(0, dlng / 6, n)
    inside = area.contains_latlng(lat, lng)
    incidents = pd.DataFrame({
        "lat": lat[inside], "lng": lng[inside],
        "time": pd.Timestamp("2025-03-01", tz="UTC")
        + pd.to_timedelta(rng.integers(0, 60 * 86400, inside.sum()), unit="s"),
        "category": "theft"})
    table = count_cells(incidents, area, res=10)
    for band in table.band_names:
        table.frame[f"presence_min_{band}"] = np.round(rng.gamma(0.6, 300, len(table.frame)))
    add_hot_spots(table, settings=Settings(permutations=99))
    add_gaps(table)
    folder = tmp_path_factory.mktemp("packed")
    path = render_map(publish(table, k=5, audience="analyst"), folder / "packed.html")
    data = _page_data(path)
    layers = data["layers"]
    assert data["geom"]["n"] > 2_000 and isinstance(layers["incidents"]["values"]["all"], str)
    values = {name: {band: decode_ints(packed) for band, packed in layers[name]["values"].items()}
              for name in ("incidents", "presence")}
    return path, data, values


def _incident_colour(layer: dict, band: str, value: int) -> str | None:
    """The colour the legend gives an incidents value (None: not coloured)."""
    if value == -1:
        return layer["suppressed_colour"]
    if value == -2:
        return layer["complement_colour"]
    breaks = layer["breaks"][band]
    if value <= 0 or not breaks:
        return None
    return layer["palette"][band][next((c for c, b in enumerate(breaks) if value <= b),
                                       len(breaks) - 1)]


_PIXELS = """(points) => {
  const m = window.patrolmap.map, canvas = window.patrolmap.layers.incidents._canvas;
  const ratio = window.devicePixelRatio || 1, ctx = canvas.getContext("2d");
  return points.map((ll) => {
    const p = m.latLngToContainerPoint(ll);
    const x = Math.round(p.x * ratio), y = Math.round(p.y * ratio);
    if (x < 0 || y < 0 || x >= canvas.width || y >= canvas.height) { return null; }
    return Array.from(ctx.getImageData(x, y, 1, 1).data);
  });
}"""


@pytest.mark.parametrize(("band", "zoom"), [("all", 3), ("night", 3), ("all", -3)])
def test_a_packed_map_paints_every_cell_in_its_class_colour_where_leaflet_puts_it(
        page, packed_map, band, zoom):
    """Close up (cells filled as outlined paths) every cell's centre has its colour; far out
    (cells about 2 px across, set as pixels) so has every cell whose neighbours share it."""
    path, data, values = packed_map
    layer, counts = data["layers"]["incidents"], values["incidents"][band]
    _open(page, path)
    if band != "all":
        page.locator(f'button[data-band="{band}"]').click()
    page.evaluate("(zoom) => { const m = window.patrolmap.map;"
                  " m.setView(m.getCenter(), m.getZoom() + zoom, {animate: false}); }", zoom)
    centres = _centres(data)
    colours = [_incident_colour(layer, band, v) for v in counts]
    if zoom < 0:  # the whole area in view: every colour of the band painted
        assert set(page.evaluate(_COLOURS, "incidents").split(",")) == set(colours) - {None}
        index = {h3.latlng_to_cell(*c, 10): i for i, c in enumerate(centres)}
        assert len(index) == len(centres)
        ids = list(index)
        same = [all(n in index and colours[index[n]] == colours[i]
                    for n in h3.grid_disk(ids[i], 1)) for i in range(len(ids))]
    else:
        same = [True] * len(centres)
    pixels = page.evaluate(_PIXELS, [list(c) for c in centres])
    checked = 0
    for i, pixel in enumerate(pixels):
        if pixel is None or not same[i]:
            continue
        if colours[i] is None:
            assert pixel[3] == 0, (i, counts[i], pixel)
        else:
            rgb = [int(colours[i][k:k + 2], 16) for k in (1, 3, 5)]
            assert all(abs(a - b) <= 3 for a, b in zip(pixel[:3], rgb, strict=True)), (i, pixel)
            assert 185 <= pixel[3] <= 195, (i, pixel)
        checked += 1
    assert checked > 100
    assert page.errors == []


def test_a_packed_map_tooltip_gives_every_band_at_once_after_opening(page, packed_map):
    path, data, values = packed_map
    _open(page, path)
    busiest = max(range(data["geom"]["n"]), key=lambda i: values["incidents"]["all"][i])
    tip = _hover(page, _centres(data)[busiest])
    rows = page.locator("#pm-tip tr")
    bands = [band["key"] for band in data["bands"]]
    assert rows.count() == len(bands) + 1
    for row, band in enumerate(bands, start=1):
        cells = rows.nth(row).locator("td")
        count = values["incidents"][band][busiest]
        assert cells.nth(1).inner_text() == ("fewer than 5" if count == -1 else _number(count))
        assert cells.nth(2).inner_text() == _number(values["presence"][band][busiest] / 10)
    assert "Hot spot" in tip
    assert page.errors == []
