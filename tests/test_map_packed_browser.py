"""A page with packed numbers and outlines draws what the plain page draws, in Chromium."""

from __future__ import annotations

import pytest
import test_map_browser
from test_map_browser import _CANVAS, _centres, _hover, _open
from test_maps import _page_data, build_layered

from geo.inputs.context import bundled_context
from geo.outputs.maps import render_map
from geo.privacy import _page_numbers

pytestmark = pytest.mark.browser
page = test_map_browser.page


@pytest.fixture(scope="module")
def plain_and_packed(tmp_path_factory):
    """The layered build (visits, rates, coverage, context) rendered plain and packed."""
    folder = tmp_path_factory.mktemp("packed")
    published = build_layered(folder).published
    context = bundled_context()
    plain = render_map(published, folder / "plain.html", context=context)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_page_numbers, "COMPACT_FROM", 0)
        packed = render_map(published, folder / "packed.html", context=context)
    return plain, packed


def _drawn(page, path, centres) -> tuple[list, list]:
    """Every colour layer's canvas, and the tooltips of a few cells, as the page shows them."""
    _open(page, path)
    radios = page.locator(".leaflet-control-layers-base label input")
    canvases = []
    for i in range(radios.count()):
        radios.nth(i).click()
        name = page.evaluate("""() => Object.keys(window.patrolmap.layers).filter(
          (n) => window.patrolmap.map.hasLayer(window.patrolmap.layers[n]))[0]""")
        canvases.append((name, page.evaluate(_CANVAS, name)))
    tips = []
    for centre in centres:  # a tooltip a loaded machine never showed is None
        text = _hover(page, centre)
        shown = page.evaluate("() => !document.getElementById('pm-tip').hidden")
        tips.append(text if shown else None)
    assert page.errors == [] and page.requests == []
    return canvases, tips


def test_packed_page_draws_and_tells_what_the_plain_page_does(page, plain_and_packed):
    plain, packed = plain_and_packed
    data = _page_data(packed)
    assert isinstance(data["geom"]["c"], str)
    assert isinstance(data["layers"]["rates"]["values"]["all"], str)
    assert isinstance(data["context"]["near"], str)
    data = _page_data(plain)  # the plain page's numbers are lists
    busiest = sorted(range(data["geom"]["n"]), key=lambda i: -data["layers"]["incidents"][
        "values"]["all"][i])[:6]
    centres = [_centres(data)[i] for i in busiest]
    shown, told = _drawn(page, plain, centres)
    packed_shown, packed_told = _drawn(page, packed, centres)
    assert len(shown) >= 6 and all(canvas for _, canvas in shown)
    assert packed_shown == shown
    both = [(a, b) for a, b in zip(told, packed_told, strict=True) if a and b]
    assert len(both) >= 4 and all(a == b for a, b in both)
    assert any("near" in a for a, _ in both)
