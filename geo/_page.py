"""The map page's frame: one fixed template, the bundled Leaflet and the page's own script.

Both the map renderer and the audit build the page here. The renderer fills in the title,
language and data block; the audit takes those three back out of a file, builds the page
again and requires it to be identical, byte for byte: a page holds exactly what the renderer
writes, with no added script, style, element, comment or link.
"""

from __future__ import annotations

import base64
import html
import re
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from geo._text import clean_text as _clean

_LANGUAGES = ("en", "sr-Cyrl", "sr-Latn", "sq")

__all__ = ["map_page", "report_css", "encode_context", "MAP_DATA", "MAP_TITLE", "MAP_LANG",
           "CONTEXT_SCALE"]

MAP_DATA = re.compile(r'<script type="application/json" id="pm-data">(.*?)</script>', re.S)
MAP_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
MAP_LANG = re.compile(r'<html lang="([A-Za-z-]{2,8})">')


def _own(name: str) -> str:
    return files("geo.outputs.static").joinpath(name).read_text(encoding="utf-8")


@cache
def _assets() -> dict[str, str]:
    from xstatic.pkg import leaflet

    base = Path(leaflet.BASE_DIR)
    script = (base / "leaflet.js").read_text(encoding="utf-8").replace("</script",
                                                                        "<\\/script")
    style = (base / "leaflet.css").read_text(encoding="utf-8")

    def data_uri(match: re.Match) -> str:
        image = base / "images" / match.group(1)
        if not image.exists():
            return "none"
        return "url(data:image/png;base64," + base64.b64encode(image.read_bytes()).decode() + ")"

    return {"@@LEAFLET_CSS@@": re.sub(r"url\(images/([\w.-]+)\)", data_uri, style),
            "@@MAP_CSS@@": _own("map.css"), "@@LEAFLET_JS@@": script,
            "@@MAP_JS@@": _own("map.js"), "template": _own("map.html")}


def map_page(title: str, lang: str, data_json: str) -> str:
    """The whole page: ``title`` as text, ``lang`` and the (script-safe) JSON data block."""
    assets = _assets()
    page = assets["template"]
    # fill the short slots before the assets, so no asset text is ever taken for a slot
    page = page.replace("@@LANG@@", lang).replace("@@TITLE@@", html.escape(title))
    head, _, tail = page.partition("@@DATA@@")
    for key in ("@@LEAFLET_CSS@@", "@@MAP_CSS@@", "@@LEAFLET_JS@@"):
        head = head.replace(key, assets[key])
    tail = tail.replace("@@MAP_JS@@", assets["@@MAP_JS@@"])
    return head + data_json + tail


def report_css() -> str:
    """The planner's report's one style sheet."""
    return _own("report.css")


CONTEXT_SCALE = 100_000


def _lnglat_paths(geometry) -> list[list[int]]:
    """Each line or ring of a geometry as (lat, lng) integers of 1e-5 degrees (about 1 m),
    the first vertex whole and the rest as deltas."""
    parts = []
    for part in getattr(geometry, "geoms", [geometry]):
        rings = ([part.exterior, *part.interiors] if part.geom_type == "Polygon" else [part])
        for ring in rings:
            coords = np.asarray(ring.coords)[:, 1::-1]
            ints = np.round(coords * CONTEXT_SCALE).astype(np.int64)
            parts.append(np.diff(ints, axis=0, prepend=[[0, 0]]).ravel().tolist())
    return parts


def encode_context(context) -> dict | None:
    """Reference layers for the page: per feature its group, kind, name(s) and geometry."""
    if context is None or not len(context):
        return None
    features = []
    for f in context.features:
        item = {"g": f.group, "k": f.kind, "n": _clean(f.name, limit=80)}
        shown = {lang: f.name_in(lang) for lang in _LANGUAGES}
        names = {lang: _clean(n, limit=80) for lang, n in shown.items() if n != f.name}
        if names:
            item["ns"] = names
        if f.geometry.geom_type == "Point":
            item["p"] = [round(f.geometry.y * CONTEXT_SCALE), round(f.geometry.x * CONTEXT_SCALE)]
        else:
            item["a" if "Polygon" in f.geometry.geom_type else "l"] = _lnglat_paths(f.geometry)
        features.append(item)
    return {"scale": CONTEXT_SCALE, "source": context.source,
            "attribution": [_clean(a, limit=120) for a in context.attribution],
            "features": features}
