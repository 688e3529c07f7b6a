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

__all__ = ["map_page", "report_css", "MAP_DATA", "MAP_TITLE", "MAP_LANG"]

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
