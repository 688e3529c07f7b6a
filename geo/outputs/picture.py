"""Render published cells as one still picture: a PNG for a projector or an A4 PDF for print.

The picture shows one layer and one time band of the same published values as the HTML map,
drawn with matplotlib in the area's UTM zone, so hexagons, reach circles and the scale bar are
true to size. It needs no tiles and no network, and it says nothing the map would not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import shapely

from geo.i18n import LANGUAGES, number, t
from geo.outputs.style import (
    AREA_COLOUR,
    BIVARIATE_COLOURS,
    COMPLEMENT_COLOUR,
    HOT_COLOURS,
    INCIDENT_COLOURS,
    PLAIN_TEXT,
    POST_COLOUR,
    PRESENCE_COLOURS,
    SUGGESTED_COLOUR,
    SUPPRESSED_COLOUR,
    class_breaks,
    class_index,
    palette_for,
)
from geo.privacy.gate import (
    COMPLEMENT,
    SMALL,
    PublicPost,
    PublishedCells,
    check_published,
    clean_text,
)

__all__ = ["LAYERS", "PictureTexts", "picture_figure", "picture_texts", "render_picture"]

LAYERS = ("incidents", "presence", "hotspots", "gaps")
_SIZES = {".png": (19.2, 10.8), ".pdf": (11.69, 8.27)}
"""Inches: 1920x1080 pixels at 100 dpi; A4 landscape."""
_METADATA = {".png": {"Software": "patrolmap"},
             ".pdf": {"Creator": "patrolmap", "Producer": None, "CreationDate": None}}
_EDGE, _WARN, _GREY = "#d4d4d4", "#8b0000", "#333333"
_SCALE_STEPS = (100, 200, 250, 500, 1000, 2000, 5000)
_PANEL, _TOP = 0.30, 0.85  # legend panel width; top of map and panel (shares of the figure)


@dataclass(frozen=True)
class PictureTexts:
    """Every word on a picture in one language; legend rows are (colour or None, label) and
    notes (text, is_warning)."""

    title: str
    subtitle: str
    legend_title: str
    legend: tuple[tuple[str | None, str], ...]
    notes: tuple[tuple[str, bool], ...]


def _class_rows(breaks: list[float], palette: list[str], low: float, step: float,
                unit: str, lang: str) -> list[tuple[str | None, str]]:
    """Legend rows "lower–upper" per class, as the HTML legend writes them."""
    rows, lower = [], low
    for upper, colour in zip(breaks, palette, strict=True):
        text = (number(upper, lang) if lower >= upper
                else f"{number(lower, lang)}–{number(upper, lang)}")
        rows.append((colour, text + unit))
        lower = round(upper + step, 1)
    return rows


def _colours(published: PublishedCells, layer: str, band: str,
             lang: str) -> tuple[list[str], list[tuple[str | None, str]]]:
    """Fill colour per cell ("none": no fill) and the legend rows."""
    if layer == "incidents":
        values, floor = published.incidents[band], published.k - 1
        breaks = class_breaks(values, floor=floor)
        palette = palette_for(breaks, INCIDENT_COLOURS)
        reason = published.reason[band]
        faces = [SUPPRESSED_COLOUR if r == SMALL else COMPLEMENT_COLOUR if r == COMPLEMENT
                 else palette[i] if i >= 0 else "none"
                 for r, i in zip(reason, class_index(values, breaks, floor=floor), strict=True)]
        rows = _class_rows(breaks, palette, published.k, 1, "", lang)
        hidden = [(SUPPRESSED_COLOUR, t("fewer_than", lang, k=published.k))]
        if (reason == COMPLEMENT).any():
            hidden.append((COMPLEMENT_COLOUR, t("not_shown", lang)))
        return faces, [*rows, *hidden, (None, "0")]
    if layer == "presence":
        hours = published.presence_hours[band]  # type: ignore[index]
        breaks = class_breaks(hours)
        palette = palette_for(breaks, PRESENCE_COLOURS)
        faces = [palette[i] if i >= 0 else "none" for i in class_index(hours, breaks)]
        unit = " " + t("hours_unit", lang)
        return faces, [*_class_rows(breaks, palette, 0.1, 0.1, unit, lang), (None, "0")]
    if layer == "hotspots":
        faces = [HOT_COLOURS.get(int(v)) or "none" for v in published.hot_bin[band]]
        return faces, [(HOT_COLOURS[b], t(f"hot_{b}", lang)) for b in (3, 2, 1, 0, -1, -2, -3)]
    gaps = published.gap_class[band]  # type: ignore[index]
    return [BIVARIATE_COLOURS.get(str(c), "none") for c in gaps], []


def cell_colours(published: PublishedCells, layer: str, band: str, lang: str) -> list[str]:
    """Each cell's fill for one layer and band, as the picture draws it."""
    return _colours(published, layer, band, lang)[0]


def _check(published: object, layer: str, band: str, lang: str) -> None:
    check_published(published, "render_picture")
    if layer not in LAYERS:
        msg = f"layer {layer!r} is not one of {', '.join(LAYERS)}"
        raise ValueError(msg)
    if band not in published.bands:
        msg = f"band {band!r} is not one of this analysis' bands: {', '.join(published.bands)}"
        raise ValueError(msg)
    if lang not in LANGUAGES:
        msg = f"language {lang!r} is not one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)
    needs = {"presence": published.presence_hours, "gaps": published.gap_class}
    if layer in needs and needs[layer] is None:
        msg = f"layer {layer!r} needs patrol pings or fixed posts; the analysis had neither"
        raise ValueError(msg)


def picture_texts(published: PublishedCells, *, layer: str = "incidents", band: str = "all",
                  lang: str = "en", title: str | None = None, note: str = "",
                  synthetic: bool = False) -> PictureTexts:
    """Every word of the picture :func:`render_picture` would draw, checked as it checks."""
    _check(published, layer, band, lang)
    area = published.area_names.get(lang, published.area_name)
    info = published.band_info(band)
    label = t(info["label_key"], lang) if "label_key" in info else band
    subtitle = [t("period", lang, start=published.period[0], end=published.period[1])
                if published.period else "",
                label + (f" ({info['hours']})" if info["hours"] else ""),
                t("total_incidents", lang, count=total, n=number(total, lang))
                if (total := published.totals.get(band)) is not None else ""]
    notes = [(t("restricted", lang), True)] if published.audience == "analyst" else []
    notes += [(t("synthetic", lang), True)] if synthetic else []
    notes += [(" ".join(note.split()), False)] if note.strip() else []
    notes.append((t("suppressed_note", lang, k=published.k, k1=published.k - 1), False))
    if published.epsilon is not None:
        notes.append((t("noise", lang, eps=f"{published.epsilon:g}"), False))
    notes += [(t("approximate_area", lang), False)] if published.area_approximate else []
    notes += [(t("sparse", lang), False)] if published.sparse else []
    return PictureTexts(title=title or t("title", lang, area=area),
                        subtitle="  ·  ".join(part for part in subtitle if part),
                        legend_title=t(f"layer_{layer}", lang),
                        legend=tuple(_colours(published, layer, band, lang)[1]),
                        notes=tuple(notes))


def _text_width(text: str, size: float, weight: str = "normal") -> float:
    """Width of one line of DejaVu Sans in points, with 3 % to spare for hinting."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(family="DejaVu Sans", size=size, weight=weight)
    return 1.03 * TextToPath().get_text_width_height_descent(text, font, ismath=False)[0]


def _wrap(text: str, width_pt: float, size: float, weight: str = "normal") -> str:
    """The text broken at spaces into lines no wider than ``width_pt``."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width(f"{lines[-1]} {word}", size, weight) <= width_pt:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def project_shapes(published: PublishedCells) -> tuple[list, list, np.ndarray, np.ndarray]:
    """Hexagon and area rings, and post positions, in metres; and the (x0, x1, y0, y1) limits
    of the map, with room below for the scale bar."""
    to_m = pyproj.Transformer.from_crs(4326, published.metric_crs(), always_xy=True)
    hexes, area = (shapely.transform(g, lambda xy: np.column_stack(to_m.transform(*xy.T)))
                   for g in (published.cell_polygons(), published.area_lnglat))
    rings = [np.asarray(r.coords) for p in getattr(area, "geoms", [area])
             for r in [p.exterior, *p.interiors]]
    posts = np.array([to_m.transform(p.lng, p.lat) for p in published.posts]).reshape(-1, 2)
    # the union's bounds are its parts' bounds together: no union of 100,000 hexagons needed
    bounds = shapely.bounds(np.array([*hexes, area], dtype=object)).reshape(-1, 4)
    (minx, miny), (maxx, maxy) = bounds[:, :2].min(axis=0), bounds[:, 2:].max(axis=0)
    w, h = maxx - minx, maxy - miny
    limits = np.array([minx - 0.03 * w, maxx + 0.03 * w, miny - 0.11 * h, maxy + 0.03 * h])
    exteriors = shapely.get_exterior_ring(hexes)
    coords = shapely.get_coordinates(exteriors)
    ends = np.cumsum(shapely.get_num_coordinates(exteriors))[:-1]
    return np.split(coords, ends) if len(hexes) else [], rings, posts, limits


_LANDMARK_ORDER = ("hospital", "police", "school", "university", "place_of_worship",
                   "bus_station", "townhall", "castle", "museum", "monument", "marketplace",
                   "memorial", "park")
"""Which landmarks a crowded picture names first (kinds not listed come after these)."""
_MOST_LANDMARKS = 14
_MOST_VECTOR_CELLS = 3_000
"""Past this many cells, the cells of a PDF or SVG drawing are one embedded picture."""


def draw_context(ax, context, crs, limits, *, s: float, near=None) -> tuple[list, list]:
    """Water (half see-through) and streets under the cells; returns the rivers to name, as
    (line, feature), and the landmarks to name, as (point, feature), most important first."""
    if context is None or not len(context):
        return [], []
    to_m = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x0, x1, y0, y1 = limits
    box = shapely.box(x0, y0, x1, y1)
    rivers, landmarks = [], []
    for feature in context.features:
        geom = shapely.transform(feature.geometry,
                                 lambda xy: np.column_stack(to_m.transform(*xy.T)))
        if not geom.intersects(box):
            continue
        if feature.group == "water":
            for part in getattr(geom, "geoms", [geom]):
                if part.geom_type == "Polygon":
                    ax.fill(*np.asarray(part.exterior.coords).T, color="#a4c8ec", alpha=0.8,
                            lw=0, zorder=2)
                else:
                    wide = feature.kind == "river"
                    ax.plot(*np.asarray(part.coords).T, color="#3d85c6", alpha=0.85,
                            lw=(5 if wide else 2) * s, solid_capstyle="round", zorder=2)
            if feature.kind == "river" and feature.name:
                inside = geom.intersection(box.buffer(-0.05 * (x1 - x0)))
                if not inside.is_empty:
                    rivers.append((inside, feature))
        elif feature.group == "streets":
            ax.plot(*np.asarray(geom.coords if geom.geom_type == "LineString"
                                else geom.geoms[0].coords).T, color="#8a8a8a",
                    lw=(2.5 if feature.kind == "major" else 1.4) * s,
                    ls=(0, (5, 4)) if feature.kind == "synthetic" else "-", zorder=2)
        elif (feature.kind != "fuel" and feature.name and geom.geom_type == "Point"
              and box.contains(geom) and (near is None or near.contains(geom))):
            landmarks.append((geom, feature))
    return rivers, landmarks


def _landmark_rank(feature, lang: str) -> tuple[int, int]:
    kind = (_LANDMARK_ORDER.index(feature.kind) if feature.kind in _LANDMARK_ORDER
            else len(_LANDMARK_ORDER))
    return (0 if lang in feature.names else 1, kind)


def _name_places(ax, *, posts, posts_xy, suggested, suggested_xy, marks, rivers, landmarks,
                 s: float, lang: str, keep_clear) -> None:
    """Posts' and suggested posts' names always; the river's and landmarks' where they fit
    beside their place without covering another name or marker."""
    from geo.outputs._labels import Labeller

    labels = Labeller(ax, pad=3 * s)
    for artist in keep_clear:
        labels.block_artist(artist)
    for x, y in [*posts_xy, *suggested_xy, *marks]:
        labels.block_point(x, y, 8 * s)
    for (x, y), post in zip(posts_xy, posts, strict=True):
        labels.place(x, y, post.name, gap=11 * s, must=True, fontsize=14 * s,
                     fontweight="bold", color="black", zorder=7,
                     halo=3 * s, gid="post-label")
    for (x, y), site in zip(suggested_xy, suggested, strict=True):
        labels.place(x, y, f"+{site.rank}", gap=11 * s, must=True, fontsize=15 * s,
                     fontweight="bold", color=SUGGESTED_COLOUR, zorder=7, halo=3 * s,
                     gid="suggested-label")
    for line, feature in rivers:
        for share in (0.5, 0.35, 0.65, 0.2, 0.8):
            at = line.interpolate(share, normalized=True)
            if labels.place(at.x, at.y, feature.name_in(lang), gap=0, must=False,
                            color="#1f5d99", fontsize=17 * s, fontstyle="italic",
                            fontweight="bold", zorder=6, halo=3 * s, gid="river-label"):
                break
    shown: list[tuple[float, float]] = []
    spacing = 0.03 * float(np.diff(ax.get_xlim())[0])
    for point, feature in sorted(landmarks, key=lambda pair: _landmark_rank(pair[1], lang)):
        if len(shown) >= _MOST_LANDMARKS:
            break
        if (any(np.hypot(point.x - a, point.y - b) < spacing for a, b in shown)
                or not labels.point_is_free(point.x, point.y, 4 * s)):
            continue
        if labels.place(point.x, point.y, feature.name_in(lang), gap=6 * s, must=False,
                        fontsize=12 * s, color="#222", zorder=6, halo=3 * s,
                        gid="landmark-label"):
            labels.block_point(point.x, point.y, 4 * s)
            ax.scatter([point.x], [point.y], s=22 * s * s, c="white", edgecolors="#444",
                       linewidths=1 * s, zorder=6)
            shown.append((point.x, point.y))


def _spans(hours: str | None) -> list[tuple[int, int]] | None:
    """Clock minutes of "HH(:MM)–HH(:MM)" as one or two [start, end) spans; None if not so."""
    found = re.fullmatch(r"(\d\d)(?::(\d\d))?[–-](\d\d)(?::(\d\d))?", hours or "")
    if not found:
        return None
    a = int(found[1]) * 60 + int(found[2] or 0)
    b = int(found[3]) * 60 + int(found[4] or 0)
    if a == b or (a == 0 and b == 1440):
        return [(0, 1440)]
    return [(a, b)] if a < b else [(a, 1440), (0, b)]


def staffed_in(post_hours: str | None, band_hours: str | None) -> bool:
    """Whether a post's hours meet a band's, as the web map decides it (hours not known, or a
    band of other days: staffed).

    >>> staffed_in("08–16", "22–06"), staffed_in("20–02", "22–06")
    (False, True)
    """
    post, band = _spans(post_hours), _spans(band_hours)
    if post is None or band is None:
        return True
    return any(a < d and c < b for a, b in post for c, d in band)


def draw_map(ax, shapes: tuple, faces: list[str], posts: tuple[PublicPost, ...], *,
              s: float, lang: str, context=None, crs=None, suggested=(),
              band_hours: str | None = None, to_m=None, keep_clear_xy=()) -> None:
    """The cells, area, context, posts (hollow where not staffed in the band), suggested
    posts, their names, a scale bar and a north arrow on one axes; no name covers a point of
    ``keep_clear_xy`` (metres), where a caller draws its own marks."""
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Circle

    hexes, rings, posts_xy, (x0, x1, y0, y1) = shapes
    posts_xy = posts_xy if posts else np.empty((0, 2))  # a layer without posts
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
    ax.set_axis_off()
    ax.apply_aspect()
    rivers, landmarks = [], []
    if context is not None and crs is not None:
        near = shapely.Polygon(rings[0]).buffer(100.0) if rings else None
        rivers, landmarks = draw_context(ax, context, crs, (x0, x1, y0, y1), s=s, near=near)
    cells = ax.add_collection(PolyCollection(hexes, facecolors=faces, edgecolors=_EDGE,
                                             linewidths=0.7 * s, zorder=1))
    cells.set_rasterized(len(hexes) > _MOST_VECTOR_CELLS)  # a vector file of a country is MBs
    for ring in rings:
        ax.plot(*ring.T, ls=(0, (6, 4)), color=AREA_COLOUR, lw=2.2 * s, zorder=3)
    staffed = [staffed_in(post.hours, band_hours) for post in posts]
    for (x, y), post, on in zip(posts_xy, posts, staffed, strict=True):
        ax.add_patch(Circle((x, y), post.reach_m, fill=False, ec=POST_COLOUR,
                            ls=(0, (3, 3)), lw=1.4 * s, alpha=1 if on else 0.5, zorder=4))
        ax.scatter([x], [y], s=90 * s * s, c=POST_COLOUR if on else "white",
                   edgecolors="white" if on else POST_COLOUR, linewidths=(1.2 if on else 2) * s,
                   zorder=5)
    suggested_xy = (np.array([to_m.transform(p.lng, p.lat) for p in suggested]).reshape(-1, 2)
                    if suggested else np.empty((0, 2)))
    for (x, y), site in zip(suggested_xy, suggested, strict=True):
        ax.add_patch(Circle((x, y), site.reach_m, fill=False, ec=SUGGESTED_COLOUR,
                            ls=(0, (6, 4)), lw=1.8 * s, zorder=4))
    if len(suggested_xy):
        ax.scatter(*suggested_xy.T, s=110 * s * s, c=SUGGESTED_COLOUR, edgecolors="white",
                   linewidths=1.4 * s, zorder=5, marker="D")
    step = min(_SCALE_STEPS, key=lambda m: abs(np.log(m / ((x1 - x0) / 5))))  # ~ a fifth
    bar_x, bar_y = x0 + 0.03 * (x1 - x0), y0 + 0.03 * (y1 - y0)
    bar = ax.plot([bar_x, bar_x + step], [bar_y] * 2, color="black", lw=5 * s,
                  solid_capstyle="butt")[0]
    bar_text = ax.text(bar_x + step / 2, bar_y + 0.015 * (y1 - y0),
                       f"{step // 1000} km" if step >= 1000 else f"{step} m", ha="center",
                       va="bottom", fontsize=16 * s)
    arrow = ax.annotate("", xy=(0.985, 0.99), xytext=(0.985, 0.88), xycoords="axes fraction",
                        arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=1",
                                    "lw": 3 * s, "color": "black"})
    north = ax.text(0.985, 0.87, t("north", lang), transform=ax.transAxes, ha="center",
                    va="top", fontsize=20 * s, fontweight="bold")
    keep_clear = [bar, bar_text, arrow, north]
    if context is not None and context.attribution:
        keep_clear.append(ax.text(0.995, 0.005, " · ".join(context.attribution),
                                  transform=ax.transAxes, ha="right", va="bottom",
                                  fontsize=11 * s, color="#333", zorder=7))
    _name_places(ax, posts=posts, posts_xy=posts_xy, suggested=suggested,
                 suggested_xy=suggested_xy, marks=keep_clear_xy, rivers=rivers,
                 landmarks=landmarks, s=s, lang=lang, keep_clear=keep_clear)


def _draw_gap_key(fig, x: float, top: float, s: float, lang: str, width_pt: float) -> float:
    """The 3x3 need-by-presence square below ``top``; returns the figure y under its note."""
    from matplotlib.patches import Rectangle

    width, height = fig.get_size_inches()
    side = 0.22  # of the figure's height
    key = fig.add_axes((x + 0.035, top - side, side * height / width, side))
    for need in (1, 2, 3):  # squares as vector shapes, centred on 0, 1, 2
        for pres in (1, 2, 3):
            key.add_patch(Rectangle((pres - 1.5, need - 1.5), 1, 1, lw=0,
                                    color=BIVARIATE_COLOURS[f"{need}-{pres}"]))
    key.set(xlim=(-0.5, 2.5), ylim=(-0.5, 2.5))
    ends = [t("low", lang), t("high", lang)]
    key.set_xticks([0, 2], ends, fontsize=14 * s)
    key.set_yticks([0, 2], ends, fontsize=14 * s, rotation=90, va="center")
    key.tick_params(length=0)
    key.set_xlabel(f"{t('presence', lang)} →", fontsize=16 * s)
    key.set_ylabel(f"{t('need', lang)} →", fontsize=16 * s)
    key.spines[:].set_visible(False)
    note = _wrap(t("gap_note", lang), width_pt, 16 * s)
    fig.text(x, top - side - 0.09, note, fontsize=16 * s, va="top")
    return top - side - 0.11 - 0.035 * (note.count("\n") + 1)


def _draw_notes(fig, notes: tuple[tuple[str, bool], ...], x: float, width_pt: float,
                s: float, room: float) -> None:
    """The notes at the foot of the panel, last at the bottom, in type small enough to stay
    below ``room`` (a figure y)."""
    height = fig.get_size_inches()[1]
    for size in (14 * s, 12 * s, 10 * s, 8 * s):
        lines = [_wrap(text, width_pt, size, "bold" if warn else "normal") for text, warn in notes]
        step = size * 1.25 / 72 / height
        if 0.02 + sum(step * (text.count("\n") + 1.4) for text in lines) <= room:
            break
    y = 0.02
    for text, (_, warning) in zip(reversed(lines), reversed(notes), strict=True):
        fig.text(x, y, text, fontsize=size, va="bottom", linespacing=1.25,
                 color=_WARN if warning else _GREY, fontweight="bold" if warning else "normal")
        y += step * (text.count("\n") + 1.4)


def _draw_legend(fig, texts: PictureTexts, layer: str, posts: tuple[PublicPost, ...], x: float,
                 width_pt: float, s: float, lang: str, context=None, suggested=(),
                 hollow: bool = False) -> float:
    """The legend panel's title, classes (or gap key), area and posts; returns its bottom."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig.text(x, _TOP, texts.legend_title, fontsize=18 * s, fontweight="bold", va="top")
    label_pt = width_pt - 3 * 16 * s  # less the swatch
    handles = [Patch(facecolor=colour or "white", edgecolor="#999999",
                     label=_wrap(text, label_pt, 16 * s)) for colour, text in texts.legend]
    top = _draw_gap_key(fig, x, _TOP - 0.06, s, lang, width_pt) if layer == "gaps" else _TOP - 0.05
    handles.append(Line2D([], [], color=AREA_COLOUR, ls=(0, (3, 2)), lw=2.2 * s,
                          label=t("layer_area", lang)))
    if context is not None and context.of("water"):
        handles.append(Line2D([], [], color="#3d85c6", lw=4 * s, label=t("ctx_water", lang)))
    if context is not None and any(f.kind == "synthetic" for f in context.of("streets")):
        handles.append(Line2D([], [], color="#8a8a8a", ls=(0, (5, 4)), lw=1.4 * s,
                              label=_wrap(t("ctx_synthetic", lang), label_pt, 16 * s)))
    elif context is not None and context.of("streets"):
        handles.append(Line2D([], [], color="#8a8a8a", lw=2 * s, label=t("ctx_streets", lang)))
    if context is not None and context.of("landmarks"):
        handles.append(Line2D([], [], color="#444", marker="o", markerfacecolor="white",
                              ls="none", markersize=6 * s, label=t("ctx_landmarks", lang)))
    if posts:
        label = _wrap(t("post_reach", lang, m=round(posts[0].reach_m)), label_pt, 16 * s)
        handles.append(Line2D([], [], color=POST_COLOUR, marker="o", ls="none",
                              markersize=10 * s, label=label))
    if hollow:
        handles.append(Line2D([], [], color=POST_COLOUR, marker="o", markerfacecolor="white",
                              ls="none", markersize=10 * s,
                              label=_wrap(t("not_staffed_band", lang), label_pt, 16 * s)))
    if suggested:
        handles.append(Line2D([], [], color=SUGGESTED_COLOUR, marker="D", ls="none",
                              markersize=10 * s,
                              label=_wrap(f"{t('layer_suggested', lang)} (+1, +2 …)",
                                          label_pt, 16 * s)))
    legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(x, top),
                        frameon=False, fontsize=16 * s, handlelength=1.8, handleheight=1.1,
                        borderaxespad=0, borderpad=0, labelspacing=0.55)
    return legend.get_window_extent(fig.canvas.get_renderer()).y0 / fig.bbox.height


def render_picture(published: PublishedCells, path: str | Path, *, layer: str = "incidents",
                   band: str = "all", lang: str = "en", title: str | None = None,
                   note: str = "", synthetic: bool = False, context=None) -> Path:
    """Draw one layer and band of published cells as a PNG (1920x1080) or an A4 landscape PDF.

    Parameters
    ----------
    published
        The output of :func:`geo.privacy.gate.publish`; nothing else is accepted.
    path
        Where to write: ``.png`` for a projector, ``.pdf`` (vector) for print.
    layer
        ``incidents``, ``presence``, ``hotspots`` or ``gaps``.
    band
        One of ``published.bands``.
    lang
        ``en``, ``sr-Cyrl``, ``sr-Latn`` or ``sq``.
    title, note
        Without a title, a translated one with the area's name is used; the note is printed
        with the other notes under the legend.
    synthetic
        Say that the data are a synthetic sample.
    context
        A :class:`geo.inputs.context.Context`: the river, landmarks and their attribution
        are drawn with the cells.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _SIZES:
        msg = f"picture path must end in .png (projector) or .pdf (A4 print), not {path.name!r}"
        raise ValueError(msg)
    fig = picture_figure(published, size=suffix[1:], layer=layer, band=band, lang=lang,
                         title=title, note=note, synthetic=synthetic, context=context)
    import matplotlib as mpl

    with mpl.rc_context({"font.family": "DejaVu Sans", "pdf.fonttype": 42, **PLAIN_TEXT}):
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format=suffix[1:], dpi=100, metadata=_METADATA[suffix])
    return path


def picture_figure(published: PublishedCells, *, size: str = "png", layer: str = "incidents",
                   band: str = "all", lang: str = "en", title: str | None = None,
                   note: str = "", synthetic: bool = False, context=None):
    """The matplotlib figure :func:`render_picture` writes: ``size`` ``png`` (1920x1080) or
    ``pdf`` (A4 landscape)."""
    if f".{size}" not in _SIZES:
        msg = f"picture size must be png (projector) or pdf (A4 print), not {size!r}"
        raise ValueError(msg)
    texts = picture_texts(published, layer=layer, band=band, lang=lang,
                          title=clean_text(title) if title else None,
                          note=clean_text(note, limit=500), synthetic=synthetic)
    try:
        import matplotlib as mpl
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        msg = "matplotlib is needed for pictures: pip install matplotlib"
        raise ImportError(msg) from error
    width, height = _SIZES[f".{size}"]
    s = height / 10.8  # sizes are set for the projector and shrink with the page
    with mpl.rc_context({"font.family": "DejaVu Sans", "pdf.fonttype": 42, **PLAIN_TEXT}):
        fig = Figure(figsize=(width, height), dpi=100, facecolor="white")
        FigureCanvasAgg(fig)
        for y, text, points, weight in ((0.965, texts.title, 30 * s, "bold"),
                                        (0.9, texts.subtitle, 20 * s, "normal")):
            points = min(points, points * 0.96 * width * 72 / _text_width(text, points, weight))
            fig.text(0.02, y, text, fontsize=points, fontweight=weight, va="top",
                     color="black" if weight == "bold" else _GREY)
        shapes = project_shapes(published)
        x0, x1, y0, y1 = shapes[3]
        fit = min((0.95 - _PANEL) * width / (x1 - x0), (_TOP - 0.02) * height / (y1 - y0))
        map_w, map_h = (x1 - x0) * fit / width, (y1 - y0) * fit / height
        ax = fig.add_axes((0.02, _TOP - map_h, map_w, map_h))
        posts = published.posts if layer in ("incidents", "gaps") else ()
        suggested = published.suggested if layer == "gaps" else ()
        crs = published.metric_crs()
        band_hours = published.band_info(band)["hours"]
        draw_map(ax, shapes, _colours(published, layer, band, lang)[0], posts, s=s, lang=lang,
                 context=context, crs=crs, suggested=suggested, band_hours=band_hours,
                 to_m=pyproj.Transformer.from_crs(4326, crs, always_xy=True))
        panel_x = 0.02 + map_w + 0.03
        panel_pt = (0.98 - panel_x) * width * 72
        hollow = any(not staffed_in(p.hours, band_hours) for p in posts)
        bottom = _draw_legend(fig, texts, layer, posts, panel_x, panel_pt, s, lang,
                              context=context, suggested=suggested, hollow=hollow)
        _draw_notes(fig, texts.notes, panel_x, panel_pt, s, bottom - 0.03)
    return fig
