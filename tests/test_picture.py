"""Still pictures of published cells: size, colours, words, metadata and refusals."""

from __future__ import annotations

import copy
import dataclasses
import re
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import shapely
from matplotlib.colors import to_rgb
from PIL import Image

from geo.analysis.steps import Settings, analyse
from geo.analysis.table import count_cells
from geo.i18n import LANGUAGES, t
from geo.inputs.area import StudyArea, default_area
from geo.inputs.context import bundled_context
from geo.inputs.validate import read_incidents, read_pings, read_posts
from geo.outputs.picture import LAYERS, picture_figure, picture_texts, render_picture, staffed_in
from geo.outputs.style import BIVARIATE_COLOURS, HOT_COLOURS, INCIDENT_COLOURS, SUPPRESSED_COLOUR
from geo.privacy.gate import publish
from geo.sample import write_sample

MAP_RIGHT = 1300  # pixels left of this belong to the map, not the legend panel (1920 wide)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    files = write_sample(tmp_path_factory.mktemp("sample"), days=60)
    area = default_area()
    incidents = read_incidents(files["incidents"], area=area).accepted
    pings = read_pings(files["patrols"], area=area).accepted
    posts = read_posts(files["posts"], area=area).accepted
    return area, incidents, pings, posts


@pytest.fixture(scope="module")
def analysis(inputs):
    area, incidents, pings, posts = inputs
    return analyse(incidents, area, pings=pings, posts=posts,
                   settings=Settings(permutations=999))


@pytest.fixture(scope="module")
def published(inputs, analysis):
    return publish(analysis.table, k=5, posts=inputs[3])


@pytest.fixture(scope="module")
def published_sites(inputs, analysis):
    """With suggested new posts, as a build with --new-posts publishes them."""
    return publish(analysis.table, k=5, posts=inputs[3], decisions=analysis.decisions)


@pytest.fixture(scope="module")
def published_without_patrols(inputs):
    area, incidents, _, _ = inputs
    analysis = analyse(incidents, area, settings=Settings(permutations=99))
    return publish(analysis.table, k=5)


def _map_colours(path: Path) -> set[tuple[int, int, int]]:
    """The exact colours that fill at least a third of a hexagon (about 3,000 pixels) in the
    map part of a projector picture; antialiased lines and text do not count."""
    pixels = np.asarray(Image.open(path).convert("RGB"))[:, :MAP_RIGHT].reshape(-1, 3)
    packed, counts = np.unique((pixels.astype(np.int64) * [65536, 256, 1]).sum(axis=1),
                               return_counts=True)
    return {(int(v) >> 16, (int(v) >> 8) & 255, int(v) & 255)
            for v in packed[counts >= 1000]}


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(round(c * 255) for c in to_rgb(colour))  # type: ignore[return-value]


def test_png_is_projector_size(published, tmp_path):
    path = render_picture(published, tmp_path / "map.png")
    with Image.open(path) as image:
        assert image.size == (1920, 1080)


def test_pdf_is_a4_landscape_and_vector(published, tmp_path):
    data = render_picture(published, tmp_path / "map.pdf", layer="gaps").read_bytes()
    assert data.startswith(b"%PDF")
    box = re.search(rb"/MediaBox \[ *([\d.]+) +([\d.]+) +([\d.]+) +([\d.]+) *\]", data)
    assert box is not None
    x0, y0, x1, y1 = (float(v) for v in box.groups())
    assert abs((x1 - x0) - 842) < 1.5 and abs((y1 - y0) - 595) < 1.5
    assert b"/Subtype /Image" not in data


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("layer", LAYERS)
def test_every_layer_renders_in_every_language(published, tmp_path, layer, lang):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would warn
        path = render_picture(published, tmp_path / f"{layer}.png", layer=layer, lang=lang,
                              band="night", synthetic=True, note="Napomena: sastanak.")
    assert path.stat().st_size > 10_000


def test_every_band_renders_as_pdf(published, tmp_path):
    for band in published.bands:
        assert render_picture(published, tmp_path / f"{band}.pdf", band=band).exists()


def test_incident_colours_follow_the_published_values(published, tmp_path):
    values = published.incidents["all"]
    assert np.isnan(values).any() and np.nanmax(values) >= published.k
    colours = _map_colours(render_picture(published, tmp_path / "incidents.png"))
    assert _rgb(INCIDENT_COLOURS[-1]) in colours  # the cell with the most incidents
    assert _rgb(SUPPRESSED_COLOUR) in colours  # cells with fewer than k
    presence = _map_colours(render_picture(published, tmp_path / "presence.png",
                                           layer="presence"))
    assert not {_rgb(INCIDENT_COLOURS[-1]), _rgb(SUPPRESSED_COLOUR)} & presence


def test_hotspot_and_gap_colours_follow_the_published_values(published, tmp_path):
    hot = _map_colours(render_picture(published, tmp_path / "hot.png", layer="hotspots"))
    for value in set(published.hot_bin["all"].tolist()) - {0}:
        assert _rgb(HOT_COLOURS[value]) in hot
    gaps = _map_colours(render_picture(published, tmp_path / "gaps.png", layer="gaps"))
    for code in set(published.gap_class["all"]):
        assert _rgb(BIVARIATE_COLOURS[code]) in gaps


def test_texts_are_in_the_chosen_language(published):
    cyrillic = picture_texts(published, lang="sr-Cyrl", synthetic=True)
    assert re.search("[\u0400-\u04ff]", cyrillic.title)
    assert "Северна Митровица" in cyrillic.title
    assert cyrillic.notes[0] == (t("synthetic", "sr-Cyrl"), True)
    assert (SUPPRESSED_COLOUR, t("fewer_than", "sr-Cyrl", k=5)) in cyrillic.legend
    albanian = picture_texts(published, lang="sq", layer="hotspots", band="weekend")
    assert albanian.title == t("title", "sq", area="Mitrovica e Veriut")
    assert t("band_weekend", "sq") in albanian.subtitle
    assert [label for _, label in albanian.legend] == [
        t(f"hot_{b}", "sq") for b in (3, 2, 1, 0, -1, -2, -3)]


def test_texts_mirror_the_web_legend(published):
    texts = picture_texts(published, title="Community meeting", note="  Draft\nfor discussion ")
    assert texts.title == "Community meeting"
    start, end = published.period
    assert f"{start} – {end}" in texts.subtitle
    assert f"{published.totals['all']:,} incidents" in texts.subtitle
    assert texts.legend[0][1].startswith(f"{published.k}–")  # classes start at k
    assert texts.legend[-1] == (None, "0")
    assert ("Draft for discussion", False) in texts.notes
    assert (t("approximate_area", "en"), False) in texts.notes
    presence = picture_texts(published, layer="presence", lang="sr-Latn")
    assert presence.legend[0][1].startswith("0,1–") and presence.legend[0][1].endswith(" č")


def test_texts_skip_what_is_not_published(inputs, tmp_path):
    area, incidents, _, _ = inputs
    exact = StudyArea(name="Somewhere", geometry=area.geometry, approximate=False)
    table = count_cells(incidents.head(3), exact)  # 3 incidents: the total is too small
    hidden = publish(table, k=5, sparse=True)
    texts = picture_texts(hidden)
    assert "incidents" not in texts.subtitle
    assert (t("approximate_area", "en"), False) not in texts.notes
    assert (t("sparse", "en"), False) in texts.notes
    analyst = publish(table, k=5, audience="analyst")
    assert picture_texts(analyst).notes[0] == (t("restricted", "en"), True)
    assert render_picture(hidden, tmp_path / "hidden.png").exists()


def test_multipolygon_area(inputs, tmp_path):
    area, incidents, _, _ = inputs
    second = shapely.affinity.translate(area.geometry, xoff=0.1)
    both = StudyArea(name="Two parts", geometry=shapely.MultiPolygon([area.geometry, second]))
    published = publish(count_cells(incidents, both), k=5)
    assert render_picture(published, tmp_path / "two.png").exists()


def test_copies_of_published_cells_are_refused(published, tmp_path):
    changed = dataclasses.replace(published, k=1)
    with pytest.raises(TypeError, match="made by geo.privacy.gate.publish"):
        render_picture(changed, tmp_path / "x.png")
    with pytest.raises(TypeError):
        copy.copy(published)


def test_metadata_holds_no_path(published, tmp_path):
    folder = tmp_path / "private-folder"
    png = render_picture(published, folder / "map.png")
    with Image.open(png) as image:
        assert image.text == {"Software": "patrolmap"}
    pdf = render_picture(published, folder / "map.pdf")
    for data in (png.read_bytes(), pdf.read_bytes()):
        assert str(folder).encode() not in data and b"private-folder" not in data
        assert b"/tmp" not in data and b"Matplotlib" not in data
    assert b"/CreationDate" not in pdf.read_bytes()


def test_global_matplotlib_state_is_untouched(published, tmp_path):
    backend, family = matplotlib.get_backend(), list(matplotlib.rcParams["font.family"])
    render_picture(published, tmp_path / "map.png")
    assert matplotlib.get_backend() == backend
    assert list(matplotlib.rcParams["font.family"]) == family


def test_without_patrols(published_without_patrols, tmp_path):
    assert render_picture(published_without_patrols, tmp_path / "map.png").exists()
    for layer in ("presence", "gaps"):
        with pytest.raises(ValueError, match="needs patrol pings"):
            render_picture(published_without_patrols, tmp_path / "map.png", layer=layer)


@pytest.mark.parametrize(("options", "message"), [
    ({"layer": "heat"}, "incidents, presence, hotspots, gaps"),
    ({"band": "lunch"}, "all, day, evening, night, weekday, weekend"),
    ({"lang": "de"}, "sr-Cyrl"),
])
def test_bad_options_are_refused(published, tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        render_picture(published, tmp_path / "map.png", **options)
    assert not (tmp_path / "map.png").exists()


@pytest.mark.parametrize("name", ["map.svg", "map.jpg", "map"])
def test_bad_suffix_is_refused(published, tmp_path, name):
    with pytest.raises(ValueError, match=r"\.png .*\.pdf"):
        render_picture(published, tmp_path / name)


def test_only_published_cells_are_drawn(published, tmp_path):
    with pytest.raises(TypeError, match="PublishedCells"):
        render_picture(published.incidents, tmp_path / "map.png")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="PublishedCells"):
        picture_texts({"cells": published.cells})  # type: ignore[arg-type]


_NAMES = ("post-label", "suggested-label", "landmark-label", "river-label")


def _names_on(fig) -> list[tuple[str, str, object]]:
    """(kind, text, display box) of every name placed on the map of a picture."""
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    return [(text.get_gid(), text.get_text(), text.get_window_extent(renderer))
            for text in ax.texts if text.get_gid() in _NAMES]


def _markers_on(fig, published, *, suggested: bool) -> np.ndarray:
    """Display positions of the posts (and suggested posts) drawn on a picture's map."""
    import pyproj

    ax = fig.axes[0]
    to_m = pyproj.Transformer.from_crs(4326, published.metric_crs(), always_xy=True)
    places = [*published.posts, *(published.suggested if suggested else ())]
    return ax.transData.transform([to_m.transform(p.lng, p.lat) for p in places])


def _assert_names_apart(fig, published, *, suggested: bool) -> list[tuple[str, str, object]]:
    names = _names_on(fig)
    frame = fig.axes[0].get_window_extent(fig.canvas.get_renderer())
    for i, (_, text, box) in enumerate(names):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, text
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, text
        for _, other, box2 in names[i + 1:]:
            assert not box.overlaps(box2), f"{text!r} covers {other!r}"
        for x, y in _markers_on(fig, published, suggested=suggested):
            assert not box.contains(x, y), f"{text!r} covers a post"
    return names


@pytest.mark.parametrize("size", ["png", "pdf"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_post_name_is_written_clear_of_every_other_name(published_sites, size, lang):
    fig = picture_figure(published_sites, size=size, layer="gaps", band="night", lang=lang,
                         context=bundled_context(default_area()))
    names = _assert_names_apart(fig, published_sites, suggested=True)
    posts = sorted(text for kind, text, _ in names if kind == "post-label")
    assert posts == sorted(p.name for p in published_sites.posts)
    ranks = sorted(text for kind, text, _ in names if kind == "suggested-label")
    assert ranks == [f"+{s.rank}" for s in published_sites.suggested] and ranks
    assert any(kind == "river-label" for kind, _, _ in names)
    assert sum(kind == "landmark-label" for kind, _, _ in names) >= 3


def test_crowded_posts_are_all_named(inputs, analysis, tmp_path):
    """Seven posts within about 150 m, with long names: every name is written, away from
    the others, with a line to its post where it had to stand back."""
    area = inputs[0]
    rows = ["post_id,name,latitude,longitude,staffed_from,staffed_to"]
    for i in range(7):
        rows.append(f"P{i},Post number {i} at the long named corner {i},"
                    f"{42.8930 + 0.0004 * (i % 3)},{20.8650 + 0.0005 * (i // 3)},00:00,24:00")
    (tmp_path / "posts.csv").write_text("\n".join(rows) + "\n")
    posts = read_posts(tmp_path / "posts.csv", area=area).accepted
    crowded = publish(analysis.table, k=5, posts=posts)
    for size in ("png", "pdf"):
        fig = picture_figure(crowded, size=size, context=bundled_context(area))
        names = _assert_names_apart(fig, crowded, suggested=False)
        written = sorted(t for kind, t, _ in names if kind == "post-label")
        assert written == sorted(p.name for p in crowded.posts) and len(written) == 7
        assert any(line.get_gid() == "leader" for line in fig.axes[0].lines)
        if size == "png":
            fig.savefig(tmp_path / "crowded.png", dpi=100)


def test_the_pdf_holds_every_post_name_as_text(published_sites, tmp_path):
    from pypdf import PdfReader

    path = render_picture(published_sites, tmp_path / "map.pdf", layer="gaps", band="night",
                          context=bundled_context(default_area()))
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)
    for post in published_sites.posts:
        assert post.name in text
    assert "+1" in text


def test_posts_not_staffed_in_the_band_are_hollow(published):
    assert staffed_in("08:00–20:00", "22–06") is False
    assert staffed_in("19:00–03:00", "22–06") and staffed_in("10–18", None)
    day_only = [p for p in published.posts if not staffed_in(p.hours, "22–06")]
    assert day_only  # the sample has day posts
    fig = picture_figure(published, band="night")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert t("not_staffed_band", "en") in " ".join(legend).replace("\n", " ")
    fig = picture_figure(published, band="all")
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert t("not_staffed_band", "en") not in " ".join(legend).replace("\n", " ")


def test_projected_shapes_are_each_hexagon_and_the_union_s_bounds(published):
    import pyproj

    from geo.outputs.picture import project_shapes

    hexes, rings, posts, limits = project_shapes(published)
    to_m = pyproj.Transformer.from_crs(4326, published.metric_crs(), always_xy=True)
    polygons = shapely.transform(published.cell_polygons(),
                                 lambda xy: np.column_stack(to_m.transform(*xy.T)))
    assert len(hexes) == len(polygons)
    for ring, polygon in zip(hexes, polygons, strict=True):
        np.testing.assert_array_equal(ring, np.asarray(polygon.exterior.coords))
    area = shapely.transform(published.area_lnglat,
                             lambda xy: np.column_stack(to_m.transform(*xy.T)))
    minx, miny, maxx, maxy = shapely.bounds(shapely.union_all([*polygons, area]))
    w, h = maxx - minx, maxy - miny
    np.testing.assert_array_equal(limits, [minx - 0.03 * w, maxx + 0.03 * w,
                                           miny - 0.11 * h, maxy + 0.03 * h])
    assert len(posts) == len(published.posts) and rings
