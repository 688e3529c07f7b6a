"""Audit of one file by what it may hold (an allowlist), from its bytes alone.

- HTML map: the page must be exactly the renderer's frame (:mod:`geo._page`) around its title,
  language and one data block; the data block must have the renderer's keys and types, its
  words must be the package's own, its shapes H3 cells of at most street-block size.
- HTML report: only the report's elements and attributes, its own style sheet, no script but
  one data block, no link out of the page, nothing hidden.
- PNG: only the chunks of an image and a ``Software: patrolmap`` note; PDF: a whole file
  (parsed to its last byte) whose metadata names only patrolmap.
- GIS file: only the published columns, cell polygons and a declared k.

Every kind is then checked for small counts, positions and paths. What a file publishes is
returned for the folder's joint model (:mod:`geo.privacy.audit`).
"""

from __future__ import annotations

import base64
import html
import json
import re
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import h3
import numpy as np

from geo._page import MAP_DATA, MAP_LANG, MAP_TITLE, encode_context, map_page, report_css
from geo._text import WORD
from geo.i18n import CATEGORIES, LANGUAGES, TEXT, month_name
from geo.inputs.context import LANDMARK_KINDS, STREET_KINDS, WATER_KINDS, bundled_context
from geo.privacy._page_numbers import (
    VERTEX_OFFSETS,
    decode_ints,
    predicted_offsets,
    unpack_deviations,
)
from geo.privacy.release import COMPLEMENT, SHOWN, SMALL

__all__ = ["Finding", "audit_map", "audit_report", "audit_png", "audit_pdf", "audit_gis",
           "MAX_RES"]

MAX_RES = 10
_PATH = re.compile(rb"(?:/(?:home|tmp|root|Users|mnt|var|etc)/|[A-Za-z]:\\\\|file://)")
_DEGREES = re.compile(r"\d{1,3}\s*°\s*\d{1,2}\s*['′]|(?<![\w.])-?\d{1,3}\.\d{4,}(?![\w.])|"
                      r"\d{1,3}\.\d{3,}\s*°?\s*[NSEW](?![a-z])")
_MAP_KEYS = {"lang", "languages", "language_names", "i18n", "title", "note", "area_names",
             "geom", "area", "bands", "layers", "posts", "suggested", "visible", "style",
             "categories", "release", "meta", "view", "tiles", "coverage", "months"}
_OPTIONAL_KEYS = {"context"}
_CONTEXT_KEYS = {"scale", "source", "attribution", "features"}
_CONTEXT_GROUPS = {"water": set(WATER_KINDS), "streets": set(STREET_KINDS),
                   "landmarks": set(LANDMARK_KINDS)}
_LAYER_KEYS = {
    "incidents": {"values", "breaks", "palette", "suppressed_colour", "complement_colour"},
    "hotspots": {"values", "colours"}, "clusters": {"values", "classes", "colours"},
    "presence": {"values", "breaks", "palette"}, "gaps": {"values", "colours"},
    "emerging": {"values", "patterns", "colours"}, "visits": {"values", "breaks", "palette"},
    "rates": {"values", "breaks", "palette", "residents", "no_data_colour"},
}
"""Each layer the renderer writes, and the keys it holds: nothing else may ride along."""
_MONTH_LAYERS = {"incidents", "presence"}
"""Layers that may also hold a ``months`` block (the month slider)."""
_MONTH_KEY = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_LAYERS = set(_LAYER_KEYS)
_GEOM_KEYS = {"n", "scale", "c", "ref", "tpl", "slope", "v", "x"}
_NUMBER_LAYERS = ("incidents", "presence", "visits", "rates")
"""Layers whose values per band are whole numbers, plain or packed (``_page_numbers``)."""
_COVERAGE_KEYS = {"language", "colour", "share"}
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
_WORD = WORD


@dataclass
class Finding:
    """What one file shows, and what is wrong with it."""

    kind: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    release: dict | None = None
    cells: list[str] | None = None
    cell_values: dict[str, list] | None = None
    restricted: bool = False
    month_values: dict[tuple[str, str], list] | None = None
    """Cell counts per (band, month window) of the month slider, coded as ``cell_values``."""


def _small(values, k: int) -> np.ndarray:
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    return arr[(arr > 0) & (arr < k)]


def _decode_rings(geom: dict) -> list[np.ndarray]:
    """Each cell's (lat, lng) vertices, as the page's script decodes them."""
    n = int(geom["n"])
    if n == 0:
        return []
    deltas = np.asarray(decode_ints(geom["c"]), dtype=np.int64).reshape(n, 2)
    lat, lng = np.cumsum(deltas, axis=0).T
    whole = {int(i): np.asarray(v, dtype=np.int64) for i, v in geom["x"].items()}
    regular = np.ones(n, dtype=bool)
    regular[list(whole)] = False
    offsets = np.zeros((n, VERTEX_OFFSETS), dtype=np.int64)
    offsets[regular] = (predicted_offsets(lat[regular], lng[regular], geom["tpl"],
                                          geom["slope"], geom["ref"])
                        + unpack_deviations(decode_ints(geom["v"])))
    rings = []
    for i in range(n):
        ring = whole[i] if i in whole else offsets[i]
        rings.append((ring.reshape(-1, 2) + [lat[i], lng[i]]) / geom["scale"])
    return rings


def _cells_of(geom: dict, res: int) -> tuple[list[str], bool]:
    """The H3 cells the geometry draws, and whether every shape is exactly one."""
    cells = []
    if not isinstance(geom, dict) or set(geom) != _GEOM_KEYS:
        return cells, False
    try:
        rings = _decode_rings(geom)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return cells, False
    for ring in rings:
        centre = ring.mean(axis=0)
        cell = h3.latlng_to_cell(float(centre[0]), float(centre[1]), res)
        expected = np.asarray(h3.cell_to_boundary(cell))
        if expected.shape != ring.shape or np.abs(expected - ring).max() > 1e-6:
            return cells, False
        cells.append(cell)
    return cells, True


def _expected_i18n() -> dict:
    out = {code: {key: texts[code] for key, texts in TEXT.items()} for code in LANGUAGES}
    for code in LANGUAGES:
        out[code].update({f"category_{k}": v[code] for k, v in CATEGORIES.items()})
    return out


def _first_difference(a: str, b: str) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a),
                                                                                  len(b)))
    return repr(a[max(0, n - 30):n + 50])


def audit_map(text: str) -> Finding:
    """A map page: the renderer's frame, a strict data block, and what it publishes."""
    found = Finding("HTML map")
    blocks = MAP_DATA.findall(text)
    titles, langs = MAP_TITLE.findall(text), MAP_LANG.findall(text)
    if len(blocks) != 1 or len(titles) != 1 or len(langs) != 1:
        found.problems.append("not one patrolmap data block, title and language: not a page "
                              "the renderer writes")
        return found
    rebuilt = map_page(html.unescape(titles[0]), langs[0], blocks[0])
    if rebuilt != text:
        found.problems.append("the page differs from what the renderer writes around its "
                              f"data, at {_first_difference(text, rebuilt)}")
    if "<" in blocks[0]:
        found.problems.append("the data block holds a raw '<'")
        return found
    try:
        data = json.loads(blocks[0])
    except ValueError:
        found.problems.append("the data block is not valid JSON")
        return found
    _check_map_data(data, found)
    for part in (titles[0], str(data.get("title") or ""), str(data.get("note") or "")):
        if _DEGREES.search(html.unescape(part)):
            found.problems.append("a coordinate-like text in the title or note")
    return found


def _check_map_data(data: dict, found: Finding) -> None:
    if set(data) - _OPTIONAL_KEYS != _MAP_KEYS:
        found.problems.append("unexpected data keys: "
                              f"{sorted((set(data) - _OPTIONAL_KEYS) ^ _MAP_KEYS)}")
        return
    try:
        _read_numbers(data)
    except ValueError as error:
        found.problems.append(f"per-cell numbers the renderer cannot have written: {error}")
        return
    if "context" in data:
        _check_context(data["context"], found)
    meta = data["meta"]
    k = int(meta.get("k", 0))
    res = int(meta.get("methods", {}).get("res", 99))
    release = data["release"]
    found.restricted = bool(meta.get("restricted"))
    if found.restricted:
        found.problems.append("marked restricted (analyst output): not for a community "
                              "meeting")
    if k < 3 or release.get("spec", {}).get("k") != k:
        found.problems.append(f"k={k} is below 3 or differs from the release's own k")
    if res > MAX_RES:
        found.problems.append(f"cells of res {res}: finer than street-block size")
    if data["i18n"] != _expected_i18n():
        found.problems.append("the page's words are not the package's own")
    if set(data["layers"]) - _LAYERS:
        found.problems.append(f"unknown layers: {sorted(set(data['layers']) - _LAYERS)}")
    for name, layer in data["layers"].items():
        extra = {"months"} if name in _MONTH_LAYERS and data.get("months") else set()
        if name in _LAYER_KEYS and (not isinstance(layer, dict) or
                                    set(layer) - extra != _LAYER_KEYS[name]):
            found.problems.append(f"the {name} layer holds other keys than the renderer's")
            return
    cells, ok = _cells_of(data["geom"], res)
    if not ok:
        found.problems.append("a shape in the data is not an H3 cell")
    values = data["layers"].get("incidents", {}).get("values", {})
    for band, band_values in values.items():
        if len(band_values) != len(cells):
            found.problems.append(f"band {band} has {len(band_values)} values for "
                                  f"{len(cells)} cells")
        small = _small(band_values, k)
        if len(small):
            found.problems.append(f"{len(small)} cell count(s) below k={k} in band {band}")
        breaks = data["layers"]["incidents"].get("breaks", {}).get(band, [])
        if len(_small(breaks, k)):
            found.problems.append(f"a legend class break below k={k} in band {band}")
    if len(_small(list(meta.get("totals", {}).values()), k)):
        found.problems.append(f"an area total below k={k}")
    for band, band_values in data["categories"].get("totals", {}).items():
        if len(_small(band_values, k)):
            found.problems.append(f"a category total below k={k} in band {band}")
    for names in data["categories"].get("names", []):
        if not all(_WORD.match(str(n)) for n in names.values()):
            found.problems.append("a category name that is not a word")
    for site in data["suggested"]:
        centre = h3.cell_to_latlng(h3.latlng_to_cell(site["lat"], site["lng"], res))
        if max(abs(centre[0] - site["lat"]), abs(centre[1] - site["lng"])) > 1e-5:
            found.problems.append("a suggested post that is not at a cell centre")
            break
    bands = [str(b.get("key")) for b in data["bands"]]
    if "visits" in data["layers"]:
        _check_visits(data["layers"]["visits"], bands, len(cells), found)
    if "rates" in data["layers"]:
        _check_rates(data["layers"]["rates"], values, bands, k, len(cells), found)
    if data["coverage"] is not None:
        _check_coverage(data["coverage"], release, meta.get("totals", {}), bands, found)
    if data["months"] is not None:
        found.month_values = _check_months(data, cells, bands, k, found)
    found.release, found.cells, found.cell_values = release, cells, values
    found.notes.append(f"{len(cells):,} cells, k={k}, {len(data['posts'])} declared fixed "
                       "posts")


def _check_months(data: dict, cells: list, bands: list[str], k: int,
                  found: Finding) -> dict[tuple[str, str], list]:
    """The month slider: months named as the package names them, each month layer's values
    one per cell for bands of the page, incident counts none below k; returns the counts
    per (band, month window) for the joint model."""
    months = data["months"]
    keys = months.get("keys") if isinstance(months, dict) else None
    if not isinstance(keys, list) or not keys or set(months) != {"keys", "labels"} or \
            not all(isinstance(m, str) and _MONTH_KEY.match(m) for m in keys) or \
            months["labels"] != {code: [month_name(m, code) for m in keys]
                                 for code in LANGUAGES}:
        found.problems.append("the month slider's months are not months as the renderer "
                              "names them")
        return {}
    out = {}
    windows = data["release"].get("spec", {}).get("windows", {})
    for name in _MONTH_LAYERS & set(data["layers"]):
        block = data["layers"][name].get("months")
        if block is None:
            continue
        ok = (isinstance(block, dict) and set(block) == {"values", "breaks", "palette"}
              and isinstance(block["values"], dict) and set(block["values"]) <= set(bands)
              and all(isinstance(v, list) and len(v) == len(keys) and
                      all(isinstance(x, list) and len(x) == len(cells) and
                          all(isinstance(c, int) and not isinstance(c, bool) for c in x)
                          for x in v) for v in block["values"].values())
              and _classes_ok(block, list(block["values"])))
        if not ok:
            found.problems.append(f"the {name} layer's months are not one whole number per "
                                  "cell, band and month with their classes")
            continue
        if name != "incidents":
            continue
        for band, per_month in block["values"].items():
            for month, codes in zip(keys, per_month, strict=True):
                if f"m{month}" not in windows:
                    found.problems.append(f"incidents of month {month}, which the release "
                                          "does not define")
                    continue
                if len(_small(codes, k)):
                    found.problems.append(f"{len(_small(codes, k))} cell count(s) below k={k} "
                                          f"in {month}, band {band}")
                out[(band, f"m{month}")] = codes
            if len(_small(block["breaks"][band], k)):
                found.problems.append(f"a month legend class break below k={k} in band {band}")
    return out


def _read_numbers(data: dict) -> None:
    """Unpack, in place, every per-cell list of whole numbers the page may write packed: the
    layers' values per band, the residents and the context's nearest places (the geometry's
    own are read by ``_decode_rings``); every check then reads plain lists."""
    layers = data["layers"] if isinstance(data["layers"], dict) else {}
    for name in _NUMBER_LAYERS:
        layer = layers.get(name)
        if isinstance(layer, dict) and isinstance(layer.get("values"), dict):
            layer["values"] = {band: decode_ints(v) for band, v in layer["values"].items()}
        months = layer.get("months") if isinstance(layer, dict) else None
        if isinstance(months, dict) and isinstance(months.get("values"), dict):
            months["values"] = {band: [decode_ints(v) for v in per_month]
                                if isinstance(per_month, list) else per_month
                                for band, per_month in months["values"].items()}
    if isinstance(layers.get("rates"), dict) and "residents" in layers["rates"]:
        layers["rates"]["residents"] = decode_ints(layers["rates"]["residents"])
    context = data.get("context")
    if isinstance(context, dict) and "near" in context:
        context["near"] = decode_ints(context["near"])


def _whole(values: object, n: int) -> bool:
    """A list of ``n`` whole numbers of zero or more."""
    return (isinstance(values, list) and len(values) == n and
            all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values))


def _classes_ok(layer: dict, bands: list[str]) -> bool:
    """Class breaks (numbers) and palettes (colours) for exactly the page's bands."""
    breaks, palette = layer["breaks"], layer["palette"]
    return (isinstance(breaks, dict) and isinstance(palette, dict)
            and set(breaks) == set(palette) == set(bands)
            and all(isinstance(b, (int, float)) for v in breaks.values() for b in v)
            and all(isinstance(c, str) and _COLOUR.match(c) for v in palette.values() for c in v))


def _check_visits(layer: dict, bands: list[str], n: int, found: Finding) -> None:
    """Reported patrol visits: per band one whole number per cell (patrol data, by cell)."""
    values = layer["values"]
    if not isinstance(values, dict) or set(values) != set(bands) or \
            not all(_whole(v, n) for v in values.values()) or not _classes_ok(layer, bands):
        found.problems.append("the reported visits layer is not one whole number per cell "
                              "and band with its classes")


def _check_rates(layer: dict, incidents: dict, bands: list[str], k: int, n: int,
                 found: Finding) -> None:
    """Smoothed rates: none where the page gives no residents, and each one the empirical
    Bayes rate of the page's own counts (hidden ones at their stand-ins) and residents."""
    from geo.privacy.derived import smoothed_rates, stand_in

    values, residents = layer["values"], layer["residents"]
    if not _whole(residents, n) or not isinstance(values, dict) or set(values) != set(bands) \
            or not _classes_ok(layer, bands) or not isinstance(layer["no_data_colour"], str) \
            or not all(isinstance(v, list) and len(v) == n and all(
                x is None or (isinstance(x, int) and x >= 0) for x in v) for v in values.values()):
        found.problems.append("the rates layer is not one rate (or none) per cell and band "
                              "with residents per cell and its classes")
        return
    people = np.asarray(residents, dtype=float) / 10
    for band in bands:
        given = np.array([np.nan if v is None else v / 100 for v in values[band]])
        if (np.isnan(given) != (people == 0)).any():
            found.problems.append(f"a rate in band {band} for a cell without residents, or "
                                  "none for a cell with them")
            continue
        codes = np.asarray(incidents.get(band, []), dtype=float)
        if found.restricted or len(codes) != n:
            continue  # an analyst's rates are of the exact counts; a bad band is reported
        reason = np.where(codes == -1, SMALL, np.where(codes == -2, COMPLEMENT, SHOWN))
        expected = smoothed_rates({band: stand_in(codes, reason, k)}, people)[band]
        if not np.allclose(given, expected, rtol=0, atol=0.006, equal_nan=True):
            found.problems.append(f"the rates in band {band} are not the smoothed rates of "
                                  "the page's own counts and residents")


def _check_coverage(coverage: object, release: dict, totals: dict, bands: list[str],
                    found: Finding) -> None:
    """Coverage in a language: a language code, and per band the percentage of incidents in
    the release's ``covered_lang_<band>`` cells, as its published row and total give it."""
    if not isinstance(coverage, dict) or set(coverage) != _COVERAGE_KEYS or \
            not _LANGUAGE_CODE.match(str(coverage["language"])) or \
            not _COLOUR.match(str(coverage["colour"])) or not isinstance(coverage["share"], dict) \
            or not set(coverage["share"]) <= set(bands):
        found.problems.append("a language coverage entry that is not the renderer's")
        return
    areas = release.get("spec", {}).get("areas", {})
    shown = {(row.get("area"), row.get("band")): value for row, label, value in zip(
        release.get("rows", []), release.get("labels", []), release.get("shown", []),
        strict=False) if row.get("t") == "area" and "part" not in row and label == SHOWN}
    for band, share in coverage["share"].items():
        name = f"covered_lang_{band}"
        count, total = shown.get((name, band)), totals.get(band)
        expected = None if count is None or not total else round(count / total * 100)
        if name not in areas or share != expected:
            found.problems.append(f"the share of incidents within reach in the language, "
                                  f"band {band}, is not its published count over the total")


def _check_context(context: object, found: Finding) -> None:
    """A declared reference layer: the bundled one exactly as the package ships it, or a
    file's water, streets and named landmarks with words for names; its coordinates are
    geography, not incidents."""
    if not isinstance(context, dict) or set(context) - {"near"} != _CONTEXT_KEYS:
        found.problems.append("a context layer that is not the renderer's")
        return
    features = context["features"]
    near = context.get("near", [])
    if not all(isinstance(i, int) and -1 <= i < len(features) for i in near):
        found.problems.append("a cell named by a context feature that is not there")
        return
    if context["source"] == "bundled":
        if {k: v for k, v in context.items() if k != "near"} != encode_context(bundled_context()):
            found.problems.append("a context layer marked bundled that differs from the "
                                  "bundled OpenStreetMap layers")
            return
    elif context["source"] != "file":
        found.problems.append(f"a context layer of unknown source {context['source']!r}")
        return
    for feature in features:
        kinds = _CONTEXT_GROUPS.get(feature.get("g"))
        if kinds is None or feature.get("k") not in kinds:
            found.problems.append(f"a context feature of unknown kind {feature.get('k')!r}")
            return
        if set(feature) - {"g", "k", "n", "ns", "p", "l", "a"}:
            found.problems.append("a context feature with unknown fields")
            return
        names = [str(feature.get("n", "")), *map(str, (feature.get("ns") or {}).values())]
        if any(len(n) > 80 or _DEGREES.search(n) for n in names):
            found.problems.append("a context name that is not a name")
            return
        if feature["g"] == "landmarks" and ("p" not in feature or not feature.get("n")):
            found.problems.append("a landmark without a name or a point")
            return
    if not context["attribution"]:
        found.problems.append("a context layer without its attribution")
    found.notes.append(f"context layer ({context['source']}): {len(features)} features of "
                       "reference geography, not incidents")


_REPORT_TAGS = {"html", "head", "body", "meta", "title", "style", "main", "h1", "h2", "p", "dl",
                "dt", "dd", "div", "table", "thead", "tbody", "tr", "th", "td", "figure", "ol",
                "li", "script", "svg", "g", "path", "defs", "use", "clippath", "rect", "text",
                "image",
                "pattern", "polyline", "line", "circle", "tspan", "metadata", "rdf:rdf",
                "cc:work", "dc:type", "dc:date", "dc:format", "dc:creator", "cc:agent",
                "dc:title"}
_REPORT_ATTRS = {"class", "id", "lang", "charset", "name", "content", "type", "style", "d",
                 "x", "y", "x1", "x2", "y1", "y2", "width", "height", "viewbox", "transform",
                 "fill", "stroke", "xlink:href", "href", "version", "xmlns", "xmlns:xlink",
                 "clip-path", "points", "cx", "cy", "r", "patternunits", "font-size",
                 "font-family", "text-anchor", "preserveaspectratio", "xmlns:rdf",
                 "xmlns:cc", "xmlns:dc", "rdf:resource", "rdf:about", "colspan", "rowspan",
                 "opacity", "fill-opacity", "stroke-width", "dominant-baseline"}
_BAD_STYLE = re.compile(r"url\((?!#[\w-]+\))|display\s*:\s*none|visibility\s*:"
                        r"|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$)|font-size\s*:\s*0"
                        r"|position\s*:|@import|expression\(", re.I)


_PNG_DATA = "data:image/png;base64,"
_IMAGE_ATTRS = {"x", "y", "width", "height", "transform", "xlink:href", "href", "id", "style",
                "clip-path", "preserveaspectratio"}
_FETCH = re.compile(r"url\((?!#[\w-]+\))", re.I)
_ZERO = re.compile(r"\s*0*(?:\.0*)?\s*$")
_SVG_STYLES = {"*{stroke-linejoin: round; stroke-linecap: butt}"}
"""The one style matplotlib writes inside each chart."""


class _ReportParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.bad: set[str] = set()
        self.styles: list[str] = []
        self.blocks = 0
        self.pictures: list[str] = []
        """Base-64 PNGs of charts' cells drawn as one picture (many-cell maps)."""
        self._in: list[str] = []

    def handle_starttag(self, tag, attrs):
        self._in.append(tag)
        names = dict(attrs)
        if tag not in _REPORT_TAGS:
            self.bad.add(f"unexpected <{tag}> element")
        if tag == "script":
            if names.get("type") == "application/json" and names.get("id") == "pm-report":
                self.blocks += 1
            else:
                self.bad.add("a <script> that is not the report's data block")
        if tag == "meta" and set(names) - {"charset", "name", "content"}:
            self.bad.add("a <meta> that is not charset or viewport")
        if tag == "meta" and names.get("name") not in (None, "viewport"):
            self.bad.add("a <meta> that is not charset or viewport")
        if tag == "image":
            self._check_image(names)
        for name, value in attrs:
            low = name.lower()
            if low not in _REPORT_ATTRS:
                self.bad.add(f"<{tag}> has an attribute {name}=")
            if value and _FETCH.search(value):
                self.bad.add(f"<{tag}> has an attribute that fetches")
            if low in ("opacity", "fill-opacity") and value and _ZERO.match(value):
                self.bad.add(f"<{tag}> is drawn invisible")
            if value and low in ("href", "xlink:href") and not value.startswith("#"):
                if tag == "image" and value.startswith(_PNG_DATA):
                    self.pictures.append(value[len(_PNG_DATA):])
                else:
                    self.bad.add(f"<{tag}> links outside the page")
            if value and low == "style" and _BAD_STYLE.search(value):
                self.bad.add(f"<{tag}> has a style that hides or fetches")

    def _check_image(self, names: dict) -> None:
        """A chart's cells as one picture: inside a chart, of a real size, nothing else."""
        if "svg" not in self._in[:-1] or set(names) - _IMAGE_ATTRS:
            self.bad.add("an <image> that is not a chart's picture")
        for side in ("width", "height"):
            try:
                size = float(names.get(side) or 0)
            except ValueError:
                size = 0.0
            if not size > 0:
                self.bad.add("an <image> that is not a chart's picture")

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if self._in and self._in[-1] == "style":
            self.styles.append(data)

    def handle_comment(self, data):  # noqa: ARG002 (any comment is refused)
        self.bad.add("a comment in the page")

    def handle_decl(self, decl):
        if decl.lower() != "doctype html":
            self.bad.add("an unexpected declaration")

    def handle_pi(self, data):  # noqa: ARG002 (any instruction is refused)
        self.bad.add("a processing instruction")


def audit_report(text: str) -> Finding:
    """A report page: allowed structure only, and what its data block publishes."""
    found = Finding("HTML report")
    blocks = re.findall(r'<script type="application/json" id="pm-report">(.*?)</script>',
                        text, re.S)
    if len(blocks) != 1 or "<" in blocks[0]:
        found.problems.append("not one clean patrolmap data block: cannot vouch for it")
        return found
    parser = _ReportParser()
    parser.feed(text)
    parser.close()
    found.problems.extend(sorted(parser.bad))
    for picture in parser.pictures:
        try:
            png = base64.b64decode("".join(picture.split()), validate=True)
        except ValueError:
            found.problems.append("a chart picture that is not base 64")
            continue
        found.problems.extend(f"a chart picture: {p}" for p in audit_png(png).problems)
    if not parser.styles or parser.styles[0] != report_css() or \
            set(parser.styles[1:]) - _SVG_STYLES:
        found.problems.append("the style sheet is not the report's own")
    try:
        data = json.loads(blocks[0])
    except ValueError:
        found.problems.append("the data block is not valid JSON")
        return found
    k = int(data.get("k", 0))
    found.restricted = bool(data.get("restricted"))
    if found.restricted:
        found.problems.append("marked restricted (analyst output): not for a community "
                              "meeting")
    release = data.get("release") or {}
    if k < 3 or release.get("spec", {}).get("k") != k:
        found.problems.append(f"k={k} is below 3 or differs from the release's own k")
    if int(data.get("res", 99)) > MAX_RES:
        found.problems.append("cells finer than street-block size")
    for where, values in data.get("counts", {}).items():
        small = _small(values, k)
        if len(small):
            found.problems.append(f"{len(small)} count(s) below k={k} in {where}")
    visible = re.sub(r"<[^>]*>", " ", text[: text.find('<script type="application/json"')])
    found.problems.extend(_report_positions(html.unescape(visible), int(data.get("res", 9)),
                                            data.get("places", [])))
    found.release = release
    found.notes.append(f"k={k}, {sum(len(v) for v in data.get('counts', {}).values())} "
                       "counts shown")
    return found


def _is_centre(lat: float, lng: float, res: int | None) -> bool:
    for r in ([res] if res is not None else range(MAX_RES + 1)):
        centre = h3.cell_to_latlng(h3.latlng_to_cell(lat, lng, r))
        if max(abs(centre[0] - lat), abs(centre[1] - lng)) <= 1e-5:
            return True
    return False


def _report_positions(visible: str, res: int | None, places: list) -> list[str]:
    """Coordinate pairs in the text must be cell centres (of ``res``, or of any resolution
    up to street-block size) or declared candidate sites."""
    number = r"-?\d{1,3}\.\d{4,}"
    declared = np.asarray(places, dtype=float).reshape(-1, 2)
    for lat_text, lng_text in re.findall(rf"(?<![\w.])({number}),\s*({number})(?![\w.])",
                                         visible):
        lat, lng = float(lat_text), float(lng_text)
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            return [f"a coordinate-like pair {lat_text}, {lng_text} that is no position"]
        if _is_centre(lat, lng, res):
            continue
        if len(declared) and np.abs(declared - [lat, lng]).max(axis=1).min() <= 1e-6:
            continue
        return [f"a position {lat_text}, {lng_text} that is neither a cell centre nor a "
                "declared candidate site"]
    alone = re.sub(rf"{number},\s*{number}", " ", visible)
    if re.search(rf"(?<![\w.]){number}(?![\w.])|\d{{1,3}}\s*°\s*\d", alone):
        return ["a coordinate-like number outside a position pair"]
    return []


_PNG_CHUNKS = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"pHYs", b"sRGB", b"gAMA",
               b"cHRM", b"tEXt"}


_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour types


def _pixels_fill_the_picture(header: bytes, compressed: bytes) -> bool:
    """Whether the image data unpack to exactly the header's rows of pixels (nothing hidden
    after them, inside or outside the compressed stream)."""
    if len(header) != 13 or header[12] != 0 or header[9] not in _CHANNELS:  # not interlaced
        return False
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    row = (width * _CHANNELS[header[9]] * header[8] + 7) // 8
    expected = height * (1 + row)
    unpack = zlib.decompressobj()
    try:
        out = unpack.decompress(compressed, expected + 1)
    except zlib.error:
        return False
    return unpack.eof and not unpack.unused_data and not unpack.unconsumed_tail \
        and len(out) == expected


def audit_png(data: bytes) -> Finding:
    """A PNG picture: image chunks and a Software note only, whole to its end."""
    found = Finding("PNG picture")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        found.problems.append("not a PNG file")
        return found
    pos, seen_end, header, pixels = 8, False, b"", []
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if len(body) < length or pos + 12 + length > len(data):
            break
        if zlib.crc32(kind + body) != int.from_bytes(data[pos + 8 + length:pos + 12 + length],
                                                     "big"):
            found.problems.append(f"a {kind.decode('latin-1')!r} chunk with a wrong checksum")
        header = body if kind == b"IHDR" else header
        if kind == b"IDAT":
            pixels.append(body)
        if kind not in _PNG_CHUNKS:
            found.problems.append(f"an unexpected {kind.decode('latin-1')!r} chunk")
        if kind == b"tEXt" and body != b"Software\x00patrolmap":
            found.problems.append("unexpected text in the picture's metadata")
        pos += 12 + length
        if kind == b"IEND":
            seen_end = True
            break
    if seen_end and not _pixels_fill_the_picture(header, b"".join(pixels)):
        found.problems.append("the picture's image data is not exactly its pixels")
    if not seen_end:
        found.problems.append("the picture is truncated (no end chunk)")
    elif pos != len(data):
        found.problems.append("bytes after the picture's end")
    if _PATH.search(data):
        found.problems.append("a file path appears in the file")
    return found


def audit_pdf(path: Path) -> Finding:
    """A PDF page or report: parsed whole, patrolmap's metadata only, no path or position."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    found = Finding("PDF document")
    data = path.read_bytes()
    if not data.rstrip().endswith(b"%%EOF"):
        found.problems.append("the PDF is truncated (no end of file marker)")
        return found
    try:
        reader = PdfReader(path, strict=True)
        metadata = dict(reader.metadata or {})
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError) as err:
        found.problems.append(f"the PDF cannot be read whole ({type(err).__name__})")
        return found
    extra = {k for k in metadata if k not in ("/Creator", "/Producer", "/CreationDate")}
    if extra or metadata.get("/Creator") not in (None, "patrolmap"):
        found.problems.append(f"unexpected PDF metadata: {sorted(extra) or ['/Creator']}")
    if _PATH.search(data):
        found.problems.append("a file path appears in the file")
    found.problems.extend(_report_positions(text, None, []))
    found.notes.append(f"{len(reader.pages)} page(s)")
    return found


_GIS_COLUMN = re.compile(r"^(cell|suppression_k|restricted|release|geometry|residents|"
                         r"(incidents|presence_hours|hot_bin|gap_class|cluster|rate_eb|"
                         r"reported_visits)_[a-z0-9_]+|"
                         r"incidents_[a-z0-9_]+_shown_as)$")


def audit_gis(path: Path) -> Finding:
    """A GIS cell table: published columns only, cell polygons, no small count."""
    import geopandas as gpd

    found = Finding("GIS cell table")
    gdf = gpd.read_parquet(path) if path.suffix.lower() != ".gpkg" else gpd.read_file(path)
    k = int(gdf["suppression_k"].iloc[0]) if "suppression_k" in gdf and len(gdf) else 0
    if k < 3:
        found.problems.append("no suppression_k of 3 or more: not a community table")
        k = 5
    if "restricted" in gdf and gdf["restricted"].astype(bool).any():
        found.restricted = True
        found.problems.append("marked restricted (analyst output)")
    for column in gdf.columns:
        if not _GIS_COLUMN.match(str(column)) or column.startswith(("cat_", "lat", "lon")):
            found.problems.append(f"column {column!r} is not a published column")
        elif column.startswith("incidents") and gdf[column].dtype.kind in "if":
            small = _small(gdf[column].to_numpy(), k)
            if len(small):
                found.problems.append(f"{len(small)} value(s) below k={k} in {column!r}")
    if (gdf.geometry.geom_type != "Polygon").any():
        found.problems.append("geometry other than cell polygons")
    elif "cell" in gdf:
        for cell, geom in zip(gdf["cell"], gdf.geometry, strict=True):
            if h3.get_resolution(cell) > MAX_RES:
                found.problems.append("cells finer than street-block size")
                break
            expected = np.asarray(h3.cell_to_boundary(cell))[:, ::-1]
            ring = np.asarray(geom.exterior.coords)[:-1]
            if ring.shape != expected.shape or np.abs(ring - expected).max() > 1e-6:
                found.problems.append("a polygon is not its H3 cell")
                break
        found.cells = [str(c) for c in gdf["cell"]]
        found.cell_values = {c[len("incidents_"):]: _gis_codes(gdf, c, k) for c in gdf.columns
                             if c.startswith("incidents_") and not c.endswith("_shown_as")}
        if "release" in gdf and len(gdf):
            found.release = {"fingerprint": str(gdf["release"].iloc[0])}
    return found


def _gis_codes(gdf, column: str, k: int) -> list:
    shown_as = gdf.get(f"{column}_shown_as")
    out = []
    for i, value in enumerate(gdf[column].to_numpy(dtype=float)):
        label = str(shown_as.iloc[i]) if shown_as is not None else ""
        out.append(-1 if label.startswith("fewer") else -2 if label == "not shown" else
                   int(value) if np.isfinite(value) else -2)
    del k
    return out
