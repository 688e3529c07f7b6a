"""The demo map in a real browser (Debian's Chromium), with the network cut off."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.cli import main

SCREENSHOTS = Path(__file__).resolve().parents[1] / "maps" / "screenshots"


_COUNT_LAYERS = """() => {
  const map = Object.values(window).find(v => v instanceof L.Map);
  return Object.keys(map._layers).length;
}"""


@pytest.fixture(scope="module")
def demo_map(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    assert main(["-q", "demo", "--days", "60", "--no-tiles", "--out", str(out)]) == 0
    return out / "north_mitrovica.html"


@pytest.mark.browser
def test_demo_map_draws_offline_without_errors(browser, demo_map):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    requests, errors = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def block(route):
        requests.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith(("file:", "data:")), block)
    page.goto(demo_map.as_uri())
    page.wait_for_selector(".leaflet-control-layers", timeout=15000)
    assert errors == []
    assert requests == []
    assert "North Mitrovica" in page.inner_text("#pm-title")
    assert "Incidents per cell" in page.inner_text("#pm-legends")
    assert "synthetic" in page.inner_text("#pm-note").lower()
    overlays = page.locator(".leaflet-control-layers-overlays label")
    assert overlays.count() == 3  # incidents, patrol pings, study area
    drawn = page.evaluate(_COUNT_LAYERS)
    assert drawn > 100  # the cells of every visible layer
    overlays.nth(0).locator("input").click()  # hide the incidents layer
    assert page.evaluate(_COUNT_LAYERS) < drawn
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    overlays.nth(0).locator("input").click()
    page.screenshot(path=str(SCREENSHOTS / "north_mitrovica.png"))
    page.close()
