"""Render published cells as one self-contained interactive HTML map (Leaflet).

The page holds Leaflet, patrolmap's own script and style, and one JSON block of data: the cell
geometry once (centres and vertex offsets as integers of 1e-6 degrees, about 0.1 m), then per
layer and band only values; past a few thousand cells the numbers are packed into strings
(:mod:`geo.privacy._page_numbers`). The script paints each layer on a canvas in the page. No request
leaves the page unless basemap tiles are asked for.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import h3
import numpy as np

from geo._page import encode_context, map_page
from geo.i18n import CATEGORIES, LANGUAGES, TEXT, month_name
from geo.outputs.style import (
    AREA_COLOUR,
    BIVARIATE_COLOURS,
    CLUSTER_COLOURS,
    COMPLEMENT_COLOUR,
    EMERGING_COLOURS,
    HOT_COLOURS,
    INCIDENT_COLOURS,
    LANGUAGE_COLOUR,
    NO_DATA_COLOUR,
    POST_COLOUR,
    PRESENCE_COLOURS,
    RATE_COLOURS,
    SUGGESTED_COLOUR,
    SUPPRESSED_COLOUR,
    VISIT_COLOURS,
    class_breaks,
    palette_for,
)
from geo.privacy._page_numbers import (
    VERTEX_OFFSETS,
    encode_ints,
    fit_offsets,
    pack_deviations,
    predicted_offsets,
)
from geo.privacy.gate import COMPLEMENT, SMALL, PublishedCells, check_published, clean_text

__all__ = ["render_map", "map_payload", "encode_cells"]

SCALE = 1_000_000
LANGUAGE_NAMES = {"en": "English", "sr-Cyrl": "Српски", "sr-Latn": "Srpski", "sq": "Shqip"}
DEFAULT_VISIBLE = ("layer_incidents", "layer_posts", "layer_area")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
"""A language the page names: an ISO 639 code (``sr``, ``sq``, ``rom``), nothing longer."""


def encode_cells(cells: np.ndarray) -> dict:
    """Cell outlines as integers of 1e-6 degrees: centre deltas, and per hexagon its vertex
    offsets' deviations from a template that follows the centre's position (pentagons, and
    any cell the template misses by more than one unit, are stored whole). The format is
    :mod:`geo.privacy._page_numbers`'s.

    Decoding gives every vertex exactly at ``round(coordinate * 1e6) / 1e6``.
    """
    n = len(cells)
    if n == 0:
        return {"n": 0, "scale": SCALE, "c": [], "ref": [0, 0], "tpl": [], "slope": [],
                "v": [], "x": {}}
    names = [format(int(c), "x") for c in cells]
    lat, lng = np.array([h3.cell_to_latlng(c) for c in names]).T
    c_lat = np.round(lat * SCALE).astype(np.int64)
    c_lng = np.round(lng * SCALE).astype(np.int64)
    offsets = [(np.round(np.array(h3.cell_to_boundary(c)) * SCALE).astype(np.int64)
                - [a, b]).ravel() for c, a, b in zip(names, c_lat, c_lng, strict=True)]
    hexagon = np.array([len(o) == VERTEX_OFFSETS for o in offsets])
    whole = np.array([o if len(o) == VERTEX_OFFSETS else np.zeros(VERTEX_OFFSETS, np.int64)
                      for o in offsets])
    tpl, slope, ref = (fit_offsets(c_lat[hexagon], c_lng[hexagon], whole[hexagon])
                       if hexagon.any() else ([0] * VERTEX_OFFSETS, [0] * 24, [0, 0]))
    deviation = whole - predicted_offsets(c_lat, c_lng, tpl, slope, ref)
    regular = hexagon & (np.abs(deviation) <= 1).all(axis=1)
    centres = np.column_stack([np.diff(c_lat, prepend=0), np.diff(c_lng, prepend=0)]).ravel()
    return {"n": n, "scale": SCALE, "c": encode_ints(centres.tolist()), "ref": ref,
            "tpl": tpl, "slope": slope,
            "v": encode_ints(pack_deviations(deviation[regular]).tolist()),
            "x": {int(i): offsets[i].tolist() for i in np.flatnonzero(~regular)}}


def _area_rings(geometry) -> list[list[list[int]]]:
    rings = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        for ring in [polygon.exterior, *polygon.interiors]:
            coords = np.asarray(ring.coords)
            rings.append(np.round(coords[:, ::-1] * SCALE).astype(np.int64).tolist())
    return rings


def map_payload(published: PublishedCells, *, lang: str = "en", title: str | None = None,
                note: str = "", synthetic: bool = False, no_times: bool = False,
                context=None) -> dict:
    """Everything the page's script needs, as plain JSON-ready data."""
    if lang not in LANGUAGES:
        msg = f"--lang {lang!r}: choose one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)
    bands = published.bands
    layers: dict = {}
    inc_values, inc_breaks, inc_palette = {}, {}, {}
    for band in bands:
        values = published.incidents[band]
        inc_values[band] = encode_ints(_count_codes(values, published.reason[band]))
        breaks = class_breaks(values, floor=published.k - 1)
        inc_breaks[band], inc_palette[band] = breaks, palette_for(breaks, INCIDENT_COLOURS)
    layers["incidents"] = {"values": inc_values, "breaks": inc_breaks, "palette": inc_palette,
                           "suppressed_colour": SUPPRESSED_COLOUR,
                           "complement_colour": COMPLEMENT_COLOUR}
    layers["hotspots"] = {
        "values": {b: "".join(chr(51 + int(v)) for v in published.hot_bin[b]) for b in bands},
        "colours": {str(k): v for k, v in HOT_COLOURS.items()},
    }
    if published.clusters is not None:
        classes = list(CLUSTER_COLOURS)
        layers["clusters"] = {
            "values": {b: "".join(chr(48 + classes.index(str(c))) for c in published.clusters[b])
                       for b in bands},
            "classes": [f"lisa_{c}" for c in classes],
            "colours": list(CLUSTER_COLOURS.values())}
    if published.presence_hours is not None:
        layers["presence"] = _classed(published.presence_hours, PRESENCE_COLOURS, tenths=True)
    if published.reported_visits is not None:
        layers["visits"] = _classed(published.reported_visits, VISIT_COLOURS)
    if published.rates is not None and published.residents is not None:
        layers["rates"] = _rates_layer(published.rates, published.residents)
    if published.months:
        _month_layers(published, layers)
    if published.gap_class is not None:
        codes = {}
        for band in bands:
            need = np.array([int(c[0]) for c in published.gap_class[band]])
            pres = np.array([int(c[2]) for c in published.gap_class[band]])
            codes[band] = "".join(chr(48 + int(v)) for v in (need - 1) * 3 + (pres - 1))
        layers["gaps"] = {"values": codes, "colours": [BIVARIATE_COLOURS[f"{n}-{p}"]
                                                         for n in (1, 2, 3) for p in (1, 2, 3)]}
    if published.emerging is not None:
        patterns = [c for c in EMERGING_COLOURS if c in set(published.emerging)]
        codes = {c: i for i, c in enumerate(patterns)}
        layers["emerging"] = {
            "values": "".join(chr(48 + codes[c]) if c in codes else " "
                              for c in published.emerging),
            "patterns": [_pattern_key(c) for c in patterns],
            "colours": [EMERGING_COLOURS[c] for c in patterns],
        }
    i18n = {code: {key: texts[code] for key, texts in TEXT.items()} for code in LANGUAGES}
    for code in LANGUAGES:
        i18n[code].update({f"category_{k}": v[code] for k, v in CATEGORIES.items()})
    area_names = {"en": published.area_name, **published.area_names}
    km2 = h3.average_hexagon_area(published.res, unit="km^2")
    methods = {"res": published.res, "km2": f"{km2:.3g}", "days": round(published.days),
               **published.methods}
    payload = {
        "lang": lang, "languages": list(LANGUAGES), "language_names": LANGUAGE_NAMES,
        "i18n": i18n, "title": clean_text(title) if title else None,
        "note": clean_text(note, limit=500), "area_names": area_names,
        "geom": encode_cells(published.cells), "area": _area_rings(published.area_lnglat),
        "bands": [published.band_info(b) for b in bands], "layers": layers,
        "posts": [{"lat": p.lat, "lng": p.lng, "name": p.name, "hours": p.hours,
                   "reach": round(p.reach_m)} for p in published.posts],
        "suggested": [{"lat": s.lat, "lng": s.lng, "rank": s.rank,
                       "before": _percent(s.coverage_before), "band": s.band,
                       "after": _percent(s.coverage_after), "reach": round(s.reach_m)}
                      for s in published.suggested],
        "coverage": _coverage(published),
        "months": ({"keys": list(published.months),
                    "labels": {code: [month_name(m, code) for m in published.months]
                               for code in LANGUAGES}} if published.months else None),
        "visible": list(DEFAULT_VISIBLE),
        "style": {"area": AREA_COLOUR, "post": POST_COLOUR, "suggested": SUGGESTED_COLOUR},
        "categories": {
            "names": [{lang: published.category_label(i, lang) for lang in LANGUAGES}
                      for i in range(len(published.categories))],
            "totals": {b: published.category_totals[b].astype(int).tolist() for b in bands}},
        "release": published.release_record(with_cells=False),
        "meta": {"k": published.k, "period": published.period, "totals": published.totals,
                 "epsilon": published.epsilon,
                 "synthetic": synthetic, "approximate": published.area_approximate,
                 "sparse": published.sparse, "methods": methods, "no_times": no_times,
                 "restricted": published.audience == "analyst"},
    }
    encoded = encode_context(context)
    if encoded is not None:
        lat, lng = published.cell_centres_latlng()
        found = [context.nearest(float(a), float(b)) for a, b in zip(lat, lng, strict=True)]
        encoded["near"] = encode_ints([-1 if i is None else i for i in found])
        payload["context"] = encoded
    return payload


def _classed(values: dict[str, np.ndarray], colours: tuple[str, ...], *, tenths: bool = False
             ) -> dict:
    """A colour layer of non-negative values per band: the values (as tenths with
    ``tenths``, so they stay integers), class breaks and a palette per band."""
    scale = 10 if tenths else 1
    out: dict = {"values": {}, "breaks": {}, "palette": {}}
    for band, band_values in values.items():
        out["values"][band] = encode_ints(np.round(np.asarray(band_values, float) * scale)
                                          .astype(int))
        out["breaks"][band] = class_breaks(band_values)
        out["palette"][band] = palette_for(out["breaks"][band], colours)
    return out


def _month_layers(published: PublishedCells, layers: dict) -> None:
    """The month slider's values: per band, one list per month (in ``published.months``
    order), classed on one scale over all the months so that colours compare across them.
    Patrol presence per band as tenths of hours; incidents (whole day only) coded as the
    whole-period layer codes them."""
    months = published.months
    if published.month_presence_hours is not None and "presence" in layers:
        monthly: dict = {"values": {}, "breaks": {}, "palette": {}}
        for band in published.bands:
            hours = [np.asarray(published.month_presence_hours[m][band], float) for m in months]
            monthly["values"][band] = [encode_ints(np.round(h * 10).astype(int)) for h in hours]
            monthly["breaks"][band] = class_breaks(np.concatenate(hours))
            monthly["palette"][band] = palette_for(monthly["breaks"][band], PRESENCE_COLOURS)
        layers["presence"]["months"] = monthly
    if published.month_incidents is not None:
        monthly = {"values": {}, "breaks": {}, "palette": {}}
        for band in published.month_incidents[months[0]]:
            counts = [published.month_incidents[m][band] for m in months]
            reasons = [published.month_reason[m][band] for m in months]
            monthly["values"][band] = [encode_ints(_count_codes(c, r)) for c, r in
                                       zip(counts, reasons, strict=True)]
            monthly["breaks"][band] = class_breaks(np.concatenate(counts),
                                                   floor=published.k - 1)
            monthly["palette"][band] = palette_for(monthly["breaks"][band], INCIDENT_COLOURS)
        layers["incidents"]["months"] = monthly


def _count_codes(values: np.ndarray, reason: np.ndarray) -> list[int]:
    """Published cell counts as the page holds them: the count, -1 for "fewer than k" and
    -2 for "not shown"."""
    code = np.where(reason == SMALL, -1, np.where(reason == COMPLEMENT, -2, 0))
    return np.where(code < 0, code, np.nan_to_num(values)).astype(int).tolist()


def _rates_layer(rates: dict[str, np.ndarray], residents: np.ndarray) -> dict:
    """Smoothed incidents per 1,000 residents as hundredths (None where no one lives), with
    the residents as tenths: the published values exactly, so the audit can compute the
    rates again from the page's counts and residents."""
    out: dict = {"values": {}, "breaks": {}, "palette": {}}
    for band, band_rates in rates.items():
        hundredths = np.round(np.asarray(band_rates, float) * 100)
        out["values"][band] = encode_ints([None if not np.isfinite(v) else int(v)
                                           for v in hundredths])
        out["breaks"][band] = class_breaks(band_rates)
        out["palette"][band] = palette_for(out["breaks"][band], RATE_COLOURS)
    out["residents"] = encode_ints(np.round(np.asarray(residents, float) * 10).astype(int))
    out["no_data_colour"] = NO_DATA_COLOUR
    return out


def _coverage(published: PublishedCells) -> dict | None:
    """Coverage in the chosen language: its code and, per band, the percentage of the band's
    incidents in the cells within reach of a post staffed in the band by officers who speak
    it (None where hidden). The cells are the release's ``covered_lang_<band>`` sets, which
    the page holds already in its release record."""
    code = published.language
    areas = published.release.get("spec", {}).get("areas", {})
    if not code or not LANGUAGE_CODE.match(code) or \
            not any(f"covered_lang_{b}" in areas for b in published.bands):
        return None
    return {"language": code, "colour": LANGUAGE_COLOUR,
            "share": {b: _percent(published.area_share(f"covered_lang_{b}", b))
                      for b in published.bands if f"covered_lang_{b}" in areas}}


def _percent(share: float | None) -> int | None:
    return None if share is None or not np.isfinite(share) else round(share * 100)


def _pattern_key(pattern: str) -> str:
    """The i18n key of an emerging hot spot pattern ("new hot spot" -> "ehs_new_hot")."""
    word, _, kind = pattern.partition(" ")
    return f"ehs_{word}_{'hot' if kind.startswith('hot') else 'cold'}"


def _json_for_script(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # inside <script>, "<" could close the element or open a comment: escape it
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def render_map(published: PublishedCells, path: str | Path, *, title: str | None = None,
               note: str = "", lang: str = "en", tiles: bool = False,
               synthetic: bool = False, no_times: bool = False, context=None) -> Path:
    """Write the interactive map of published cells as one HTML file.

    Parameters
    ----------
    published
        The output of :func:`geo.privacy.gate.publish`; nothing else is accepted.
    title, note
        Shown on the page as text, never as markup. Without a title, a translated one with
        the area's name is used.
    lang
        The page's first language (``en``, ``sr-Cyrl``, ``sr-Latn``, ``sq``); switchable on
        the page.
    tiles
        Add an OpenStreetMap basemap, fetched when the page is opened online; without it the
        page makes no request at all.
    synthetic
        Say, in every language, that the data are a synthetic sample.
    no_times
        The incidents had no times of day: the note says every time-dependent layer and
        band is left out.
    context
        A :class:`geo.inputs.context.Context` of water, streets and landmarks, drawn under
        the cells with its attribution (reference geography, not incident data).
    """
    check_published(published, "render_map")
    path = Path(path)
    title = clean_text(title) if title else None
    note = clean_text(note, limit=500)
    payload = map_payload(published, lang=lang, title=title, note=note, synthetic=synthetic,
                          no_times=no_times, context=context)
    # the view comes from the published outline (1e-6 degrees), nothing finer
    corners = np.concatenate([np.asarray(r) for r in payload["area"]]) / SCALE
    miny, minx = (round(float(v), 6) for v in corners.min(axis=0))
    maxy, maxx = (round(float(v), 6) for v in corners.max(axis=0))
    payload["view"] = [[miny, minx], [maxy, maxx]]
    payload["tiles"] = bool(tiles)
    page = map_page(title or published.area_name, lang, _json_for_script(payload))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _number_elements(root) -> None:
    """Give every element of the page but the map a name by its place in the page, so two
    runs on the same data write the same bytes (folium draws random names)."""
    todo, number = [root], 0
    while todo:
        element = todo.pop(0)
        if element.get_name() != "map_patrolmap":
            element._id = f"pm{number}"
            number += 1
        todo.extend(element._children.values())
