"""``patrolmap audit``: check produced files before they are shown to anyone.

For each file it reports problems a community output must not have:

- HTML reports: counts of 1..k-1 among the counts the page lists, coordinates that are not
  H3 cell centres or declared candidate sites, markup beyond text, tables and charts, any
  script, a page marked restricted, and file paths;
- HTML maps: counts of 1..k-1 anywhere in the data (cells, totals, categories, legend
  breaks), coordinates that are not the corners of the map's own H3 cells, the study area
  outline or a declared fixed post, markup where only text belongs (event handlers,
  ``javascript:`` URLs, unexpected elements), a page marked restricted, and file paths;
- PNG and PDF pictures: file paths or tool names in their metadata;
- GeoPackage and GeoParquet files: counts of 1..k-1, geometry other than H3 cells, and
  columns that should never leave the analysis (units, notes, names, raw points).

Exit code 0 when every file is clean, 1 when any has a problem, 2 when a file cannot be read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import h3
import numpy as np

__all__ = ["AuditResult", "audit_file"]

_PATH = re.compile(rb"(?:/(?:home|tmp|root|Users|mnt|var)/|[A-Za-z]:\\\\|file://)")
_FORBIDDEN_COLUMNS = re.compile(r"unit|note|name|officer|address|lat$|lon$|lng$|row$",
                                re.IGNORECASE)
_ALLOWED_TAGS = {"html", "head", "body", "meta", "title", "style", "script", "div", "link"}


@dataclass
class AuditResult:
    """Problems found in one file; ``ok`` when there are none."""

    path: Path
    kind: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems

    def report(self) -> str:
        """Lines for a person: the verdict, then each problem."""
        head = f"{self.path}: {self.kind}: {'ok' if self.ok else 'PROBLEMS'}"
        return "\n".join([head, *(f"  problem: {p}" for p in self.problems),
                          *(f"  note: {n}" for n in self.notes)])


def audit_file(path: str | Path) -> AuditResult:
    """Audit one produced file (HTML, PNG, PDF, GeoPackage, GeoParquet)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return _audit_html(path)
    if suffix in (".png", ".pdf"):
        return _audit_picture(path)
    if suffix in (".gpkg", ".parquet", ".geoparquet"):
        return _audit_gis(path)
    result = AuditResult(path, "unknown")
    result.problems.append(f"not a patrolmap output format ({suffix or 'no extension'})")
    return result


# ------------------------------------------------------------------ HTML

class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.bad.append(f"<{tag}> has an event handler {name}=")
            if value and re.match(r"\s*(javascript|vbscript|data:text/html)", value, re.I):
                self.bad.append(f"<{tag}> has a {value.split(':')[0]}: URL")
        if tag not in _ALLOWED_TAGS:
            self.bad.append(f"unexpected <{tag}> element")


def _small(values, k: int) -> np.ndarray:
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    return arr[(arr > 0) & (arr < k)]


def _audit_html(path: Path) -> AuditResult:
    text = path.read_text(encoding="utf-8", errors="replace")
    if 'id="pm-report"' in text:
        return _audit_report(path, text)
    result = AuditResult(path, "HTML map")
    match = re.search(r'<script type="application/json" id="pm-data">(.*?)</script>', text,
                      re.S)
    if not match:
        result.problems.append("no patrolmap data block: not a patrolmap map, cannot vouch "
                               "for it")
        return result
    block = match.group(1)
    if "<" in block:
        result.problems.append("the data block holds a raw '<' (markup could escape it)")
    data = json.loads(block)
    meta, k = data["meta"], int(data["meta"]["k"])
    if meta.get("restricted"):
        result.problems.append("marked restricted (analyst output): not for a community "
                               "meeting")
    for band, values in data["layers"]["incidents"]["values"].items():
        small = _small(values, k)
        if len(small):
            result.problems.append(f"{len(small)} cell count(s) below k={k} in band {band}")
        if len(_small(data["layers"]["incidents"]["breaks"][band], k)):
            result.problems.append(f"a legend class break below k={k} in band {band}")
    small_totals = _small(meta["totals"].values(), k)
    if len(small_totals):
        result.problems.append(f"an area total below k={k}")
    for band, values in data.get("categories", {}).get("totals", {}).items():
        if len(_small(values, k)):
            result.problems.append(f"a category total below k={k} in band {band}")
    result.problems.extend(_foreign_coordinates(text, match.span(), data))
    parser = _Elements()
    parser.feed(text[: match.start()] + text[match.end():])
    result.problems.extend(sorted(set(parser.bad)))
    if _PATH.search(text.encode("utf-8")):
        result.problems.append("a file path appears in the page")
    result.notes.append(f"{data['geom']['n']:,} cells, k={k}, {len(data['posts'])} declared "
                        "fixed posts")
    return result


_REPORT_TAGS = {"html", "head", "body", "meta", "title", "style", "main", "h1", "h2", "p", "dl",
                "dt", "dd", "div", "table", "thead", "tbody", "tr", "th", "td", "figure", "ol",
                "li", "script", "svg", "g", "path", "defs", "use", "clippath", "rect", "text",
                "pattern", "polyline", "line", "circle", "tspan"}


class _ReportElements(_Elements):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            if names.get("type") == "application/json" and names.get("id") == "pm-report":
                self.scripts += 1
            else:
                self.bad.append("a <script> that is not the report's data block")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.bad.append(f"<{tag}> has an event handler {name}=")
            if value and re.match(r"\s*(javascript|vbscript|data:text/html)", value, re.I):
                self.bad.append(f"<{tag}> has a {value.split(':')[0]}: URL")
            if name.lower() in ("href", "src", "xlink:href") and value and \
                    not value.startswith("#"):
                self.bad.append(f"<{tag}> links outside the page ({name}=)")
        if tag not in _REPORT_TAGS:
            self.bad.append(f"unexpected <{tag}> element")


def _audit_report(path: Path, text: str) -> AuditResult:
    result = AuditResult(path, "HTML report")
    match = re.search(r'<script type="application/json" id="pm-report">(.*?)</script>', text,
                      re.S)
    if not match or "<" in match.group(1):
        result.problems.append("no clean patrolmap data block: cannot vouch for this report")
        return result
    data = json.loads(match.group(1))
    k = int(data["k"])
    if data.get("restricted"):
        result.problems.append("marked restricted (analyst output): not for a community "
                               "meeting")
    for where, values in data["counts"].items():
        small = _small(values, k)
        if len(small):
            result.problems.append(f"{len(small)} count(s) below k={k} in {where}")
    parser = _ReportElements()
    parser.feed(text)
    result.problems.extend(sorted(set(parser.bad)))
    if parser.scripts != 1:
        result.problems.append("the data block appears more than once")
    visible = re.sub(r"<[^>]*>", " ", text[: match.start()])
    result.problems.extend(_report_coordinates(visible, int(data["res"]), data["places"]))
    if _PATH.search(text.encode("utf-8")):
        result.problems.append("a file path appears in the page")
    result.notes.append(f"k={k}, {sum(len(v) for v in data['counts'].values())} counts shown, "
                        f"{len(data['places'])} declared candidate sites")
    return result


def _report_coordinates(visible: str, res: int, places: list) -> list[str]:
    """Coordinate pairs in the text must be cell centres or declared candidate sites."""
    number = r"-?\d{1,3}\.\d{4,}"
    pairs = re.findall(rf"(?<![\w.])({number}),\s*({number})(?![\w.])", visible)
    declared = np.asarray(places, dtype=float).reshape(-1, 2)
    for lat_text, lng_text in pairs:
        lat, lng = float(lat_text), float(lng_text)
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            return [f"a coordinate-like pair {lat_text}, {lng_text} that is no position"]
        centre = h3.cell_to_latlng(h3.latlng_to_cell(lat, lng, res))
        if max(abs(centre[0] - lat), abs(centre[1] - lng)) <= 1e-5:
            continue
        if len(declared) and np.abs(declared - [lat, lng]).max(axis=1).min() <= 1e-6:
            continue
        return [f"a position {lat_text}, {lng_text} that is neither a cell centre nor a "
                "declared candidate site"]
    alone = re.sub(rf"{number},\s*{number}", " ", visible)
    if re.search(rf"(?<![\w.]){number}(?![\w.])", alone):
        return ["a coordinate-like number outside a position pair"]
    return []


def _decode_rings(geom: dict) -> list[np.ndarray]:
    rings, lat, lng, v = [], 0, 0, 0
    for i in range(geom["n"]):
        lat += geom["c"][2 * i]
        lng += geom["c"][2 * i + 1]
        if str(i) in geom["x"]:
            offsets = np.asarray(geom["x"][str(i)])
        else:
            offsets = np.asarray(geom["tpl"]) + geom["v"][v:v + len(geom["tpl"])]
            v += len(geom["tpl"])
        rings.append((offsets.reshape(-1, 2) + [lat, lng]) / geom["scale"])
    return rings


def _foreign_coordinates(text: str, span: tuple[int, int], data: dict) -> list[str]:
    """Coordinates in the page that are not cell corners, the area, its bounds, or posts."""
    problems = []
    res = int(data["meta"]["methods"]["res"])
    for ring in _decode_rings(data["geom"]):
        centre = ring.mean(axis=0)
        cell = h3.latlng_to_cell(float(centre[0]), float(centre[1]), res)
        expected = np.asarray(h3.cell_to_boundary(cell))
        if expected.shape != ring.shape or np.abs(expected - ring).max() > 1e-6:
            problems.append("a shape in the data is not an H3 cell")
            break
    area = np.concatenate([np.asarray(r, dtype=float) for r in data["area"]]) / 1e6
    lat_lo, lng_lo = area.min(axis=0)
    lat_hi, lng_hi = area.max(axis=0)
    allowed = np.array([lat_lo, lat_hi, lng_lo, lng_hi, (lat_lo + lat_hi) / 2,
                        (lng_lo + lng_hi) / 2])
    outside = text[: span[0]] + text[span[1]:]
    for found in re.findall(r"(?<![\w.])-?\d{1,3}\.\d{4,}(?![\w.])", outside):
        value = float(found)
        if (lat_lo - 1 <= value <= lat_hi + 1 or lng_lo - 1 <= value <= lng_hi + 1) and \
                np.abs(allowed - value).min() > 2e-6:
            problems.append(f"a coordinate-like number {found} outside the cell data")
            break
    return problems


# ------------------------------------------------------------------ pictures

def _audit_picture(path: Path) -> AuditResult:
    kind = "PNG picture" if path.suffix.lower() == ".png" else "PDF page"
    result = AuditResult(path, kind)
    data = path.read_bytes()
    if _PATH.search(data) or str(path.parent).encode() in data:
        result.problems.append("a file path appears in the file")
    if path.suffix.lower() == ".png":
        from PIL import Image

        with Image.open(path) as image:
            extra = {k: v for k, v in image.text.items() if k != "Software"}
            if extra:
                result.problems.append(f"unexpected metadata: {sorted(extra)}")
    elif re.search(rb"/(Author|Title|Subject|Keywords)\s*\(", data):
        result.problems.append("PDF metadata names an author or title")
    return result


# ------------------------------------------------------------------ GIS

def _audit_gis(path: Path) -> AuditResult:
    import geopandas as gpd

    result = AuditResult(path, "GIS cell table")
    gdf = gpd.read_parquet(path) if path.suffix.lower() != ".gpkg" else gpd.read_file(path)
    k = int(gdf["suppression_k"].iloc[0]) if "suppression_k" in gdf and len(gdf) else None
    if k is None:
        result.problems.append("no suppression_k column: not a published (community) table")
        k = 5
    if "restricted" in gdf and gdf["restricted"].astype(bool).any():
        result.problems.append("marked restricted (analyst output)")
    for column in gdf.columns:
        if column == gdf.geometry.name:
            continue
        if _FORBIDDEN_COLUMNS.search(column):
            result.problems.append(f"column {column!r} should not leave the analysis")
        if column.startswith(("incidents", "cat_")) and gdf[column].dtype.kind in "if":
            small = _small(gdf[column].to_numpy(), k)
            if len(small):
                result.problems.append(f"{len(small)} value(s) below k={k} in {column!r}")
    if (gdf.geometry.geom_type != "Polygon").any():
        result.problems.append("geometry other than cell polygons")
    elif "cell" in gdf:
        for cell, geom in zip(gdf["cell"].head(2000), gdf.geometry.head(2000), strict=True):
            expected = np.asarray(h3.cell_to_boundary(cell))[:, ::-1]
            ring = np.asarray(geom.exterior.coords)[:-1]
            if ring.shape != expected.shape or np.abs(ring - expected).max() > 1e-6:
                result.problems.append("a polygon is not its H3 cell")
                break
    return result
