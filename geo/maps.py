"""Render published cells as an interactive HTML map (folium / Leaflet)."""

from __future__ import annotations

import html
import json
import warnings
from pathlib import Path

import folium
import mapclassify
import numpy as np
import shapely
from branca.element import Element

from geo.cells import cells_to_polygons, cells_to_str
from geo.privacy import PublishedCells

__all__ = ["render_map", "class_breaks"]

INCIDENT_COLOURS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
PATROL_COLOURS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
SUPPRESSED_COLOUR = "#bdbdbd"


def class_breaks(values: np.ndarray, *, classes: int = 5, floor: float = 0.0) -> list[float]:
    """Upper bounds of up to ``classes`` classes of the positive values (Fisher-Jenks).

    Only values actually published enter, so no break reveals a suppressed count.

    >>> class_breaks(np.array([5, 6, 7, 30, 31, 80]), classes=3)
    [7.0, 31.0, 80.0]
    """
    shown = values[np.isfinite(values) & (values > floor)]
    unique = np.unique(shown)
    if len(unique) == 0:
        return []
    if len(unique) <= classes:
        return [float(v) for v in unique]
    with warnings.catch_warnings():  # mapclassify suggests numba; the pure version is quick here
        warnings.simplefilter("ignore", UserWarning)
        scheme = mapclassify.FisherJenks(shown, k=classes)
    return [float(b) for b in scheme.bins]


def _colour(value: float, breaks: list[float], colours: tuple[str, ...]) -> str | None:
    if not np.isfinite(value) or value <= 0 or not breaks:
        return None
    i = int(np.searchsorted(breaks, value))
    return colours[min(i, len(breaks) - 1) + (len(colours) - len(breaks))]


def _legend_html(title: str, breaks: list[float], colours: tuple[str, ...], *, low: float,
                 suppressed_label: str | None, unit: str = "") -> str:
    rows = []
    lower = low
    offset = len(colours) - len(breaks)
    for i, upper in enumerate(breaks):
        label = (f"{lower:g}" if lower == upper else f"{lower:g}–{upper:g}") + unit
        rows.append(f'<div><span class="pm-swatch" style="background:{colours[i + offset]}">'
                    f"</span>{html.escape(label)}</div>")
        lower = upper + (1 if float(upper).is_integer() and not unit else 0.1)
    if suppressed_label:
        rows.append(f'<div><span class="pm-swatch" style="background:{SUPPRESSED_COLOUR}">'
                    f"</span>{html.escape(suppressed_label)}</div>")
    rows.append('<div><span class="pm-swatch" style="background:transparent"></span>0</div>')
    return f'<div class="pm-legend"><b>{html.escape(title)}</b>{"".join(rows)}</div>'


_CSS = """
<style>
.pm-panel{position:absolute;z-index:1000;background:rgba(255,255,255,.93);padding:8px 10px;
 border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.35);font:13px/1.35 system-ui,sans-serif;}
.pm-title{top:10px;left:50px;max-width:60%;font-size:17px;}
.pm-title small{display:block;font-size:12px;color:#444;}
.pm-legends{bottom:24px;right:10px;}
.pm-legend{margin-bottom:6px;}
.pm-legend b{display:block;margin-bottom:3px;}
.pm-swatch{display:inline-block;width:16px;height:12px;margin-right:6px;border:1px solid #777;
 vertical-align:middle;}
.pm-note{bottom:64px;left:10px;max-width:38%;font-size:12px;color:#333;}
</style>
"""


def _inline_leaflet(fmap: folium.Map) -> None:
    """Put Leaflet's script and style into the page itself, so it opens with no network."""
    import base64
    import re

    from xstatic.pkg import leaflet

    base = Path(leaflet.BASE_DIR)
    script = (base / "leaflet.js").read_text(encoding="utf-8")
    style = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        image = base / "images" / match.group(1)
        if not image.exists():
            return "none"
        return "url(data:image/png;base64," + base64.b64encode(image.read_bytes()).decode() + ")"

    style = re.sub(r"url\(images/([\w.-]+)\)", data_uri, style)
    fmap.default_js = []
    fmap.default_css = []
    script = script.replace("</script", "<\\/script")
    fmap.get_root().header.add_child(
        Element(f"<style>{style}</style><script>{script}</script>"),
        name="leaflet_inline", index=0)


def render_map(published: PublishedCells, path: str | Path, *, title: str,
               note: str = "", tiles: bool = True) -> Path:
    """Write an HTML map of published cells: incidents, patrol share, study area outline.

    Parameters
    ----------
    published
        The output of :func:`geo.privacy.publish`; nothing else is accepted.
    title, note
        Shown on the page; both are escaped, never treated as markup.
    tiles
        Draw an OpenStreetMap basemap (needs a network connection when the map is opened;
        everything else is inside the page).
    """
    if not isinstance(published, PublishedCells):
        msg = "render_map draws only PublishedCells from geo.privacy.publish()"
        raise TypeError(msg)
    path = Path(path)
    minx, miny, maxx, maxy = shapely.bounds(published.area_lnglat)
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=14,
                      tiles="OpenStreetMap" if tiles else None, control_scale=True,
                      prefer_canvas=True)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    _inline_leaflet(fmap)
    polygons = cells_to_polygons(published.cells)
    ids = cells_to_str(published.cells)
    legends = []

    incidents = published.values["incidents"]
    hidden = published.suppressed["incidents"]
    breaks = class_breaks(incidents, floor=published.k - 1)
    label_hidden = f"fewer than {published.k}"
    features = []
    for cell, poly, value, is_hidden in zip(ids, polygons, incidents, hidden, strict=True):
        colour = SUPPRESSED_COLOUR if is_hidden else _colour(value, breaks, INCIDENT_COLOURS)
        shown = label_hidden if is_hidden else f"{value:.0f}"
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(poly),
                         "properties": {"cell": cell, "fill": colour, "label": shown}})
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name="Incidents per cell",
        style_function=lambda f: {"fillColor": f["properties"]["fill"] or "#ffffff",
                                  "fillOpacity": 0.7 if f["properties"]["fill"] else 0.0,
                                  "color": "#666", "weight": 0.4},
        tooltip=folium.GeoJsonTooltip(["label"], aliases=["Incidents"]),
    )
    layer.add_to(fmap)
    legends.append(_legend_html("Incidents per cell", breaks, INCIDENT_COLOURS,
                                low=published.k, suppressed_label=label_hidden))

    if "patrol_share" in published.values:
        share = published.values["patrol_share"]
        pbreaks = class_breaks(share)
        pfeatures = [
            {"type": "Feature", "geometry": shapely.geometry.mapping(poly),
             "properties": {"fill": _colour(v, pbreaks, PATROL_COLOURS), "label": f"{v:.1f} %"}}
            for poly, v in zip(polygons, share, strict=True)
        ]
        folium.GeoJson(
            {"type": "FeatureCollection", "features": pfeatures},
            name="Patrol presence (share of all)", show=False,
            style_function=lambda f: {"fillColor": f["properties"]["fill"] or "#ffffff",
                                      "fillOpacity": 0.7 if f["properties"]["fill"] else 0.0,
                                      "color": "#666", "weight": 0.4},
            tooltip=folium.GeoJsonTooltip(["label"], aliases=["Share of patrol presence"]),
        ).add_to(fmap)
        legends.append(_legend_html("Patrol presence, % of all", pbreaks, PATROL_COLOURS, low=0.1,
                                    suppressed_label=None, unit=" %"))

    folium.GeoJson(shapely.geometry.mapping(published.area_lnglat), name="Study area",
                   style_function=lambda _: {"fill": False, "color": "#222", "weight": 2.5,
                                             "dashArray": "6 4"}).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)

    subtitle = []
    if published.period:
        subtitle.append(f"{published.period[0]} – {published.period[1]}")
    if published.total_incidents is not None:
        subtitle.append(f"{published.total_incidents:,} incidents")
    subtitle.append(f"H3 resolution {published.res}")
    notes = [note] if note else []
    notes.append(f"Cells with 1–{published.k - 1} incidents are shown as “{label_hidden}”.")
    if published.area_approximate:
        notes.append("The study area outline is approximate.")
    page = (
        _CSS
        + f'<div class="pm-panel pm-title" id="pm-title">{html.escape(title)}'
        + f"<small>{html.escape(' · '.join(subtitle))}</small></div>"
        + f'<div class="pm-panel pm-legends" id="pm-legends">{"".join(legends)}</div>'
        + '<div class="pm-panel pm-note" id="pm-note">'
        + "<br>".join(html.escape(n) for n in notes) + "</div>"
    )
    fmap.get_root().html.add_child(Element(page))
    fmap.get_root().header.add_child(Element(
        f"<title>{html.escape(title)}</title>"
        f'<meta name="patrolmap" content={json.dumps(published.audience)}>'))
    path.parent.mkdir(parents=True, exist_ok=True)
    fmap.save(str(path))
    return path
