"""The report's building blocks and the few ways it writes a value: a band's name, a count
that may be hidden, a share, a place named by the nearest landmark."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from geo.i18n import number, t
from geo.privacy.gate import COMPLEMENT, SHOWN, SMALL, PublishedCells

__all__ = ["Block", "band_label", "count_text", "share_text", "near_namer", "place_head",
           "place_column",
           "row_label"]


@dataclass
class Block:
    """One piece of the report: ``h1``, ``h2``, ``p``, ``note`` (a warning), ``caption`` (the
    words under the chart before it), ``figures`` (label, value pairs), ``table`` (head and
    rows of text), ``chart`` (a matplotlib figure) or ``list`` (items)."""

    kind: str
    text: str = ""
    head: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    chart: object = None
    name: str = ""


def band_label(band: str, lang: str) -> str:
    """A band's name in ``lang`` ("Night"), or the band's own name when it has no label."""
    info = PublishedCells.band_info(band)
    return t(info["label_key"], lang) if "label_key" in info else band


def count_text(value: float | None, reason: int, k: int, lang: str) -> str:
    """A published count as the report writes it: the number, "fewer than k" or "not shown"."""
    if reason == SMALL:
        return t("fewer_than", lang, k=k)
    if reason == COMPLEMENT or value is None or (isinstance(value, float) and math.isnan(value)):
        return t("not_shown_short", lang)
    return number(float(value), lang, decimals=0)


def share_text(share: float | None, lang: str) -> str:
    """A share as a whole percentage ("86 %"), or "–" when there is none."""
    if share is None or not np.isfinite(share):
        return "–"
    return f"{number(share * 100, lang, decimals=0)} %"


def near_namer(context, lang: str):
    """Name a place by the nearest landmark or street of the context ("near ..."), or "–"."""
    def name(lat: float, lng: float) -> str:
        found = context.nearest_name(lat, lng, lang=lang) if context is not None else None
        return t("near_place", lang, place=found) if found else "–"
    return name


def place_head(context, lang: str) -> list[str]:
    """The "Near" column's head, for tables that name cells by place (none without context)."""
    return [t("col_place", lang)] if context is not None else []


def place_column(context, lang: str):
    """A table's "Near" cell for a place: ``[name]``, or ``[]`` when there is no context (and
    so no "Near" column)."""
    near = near_namer(context, lang)
    return lambda lat, lng: [near(lat, lng)] if context is not None else []


def row_label(published: PublishedCells, area: str, band: str) -> int:
    """The label (SHOWN, SMALL, COMPLEMENT) the release gave the count of a named set of cells
    in a band (coverage, a suggested post's gain); SHOWN when the release holds no such row."""
    release = published.release
    for row, label in zip(release.get("rows", ()), release.get("labels", ()), strict=False):
        if row.get("t") == "area" and row.get("area") == area and row.get("band") == band \
                and row.get("part", "all") == "all":
            return int(label)
    return SHOWN
