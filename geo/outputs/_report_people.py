"""The report's sections about people: incidents per 1,000 residents, reported patrol visits
and coverage by officers who speak the residents' language.

Each is drawn from :class:`~geo.privacy.gate.PublishedCells` alone (``rates`` and
``residents``, ``reported_visits``, the figures' ``coverage`` and ``coverage_lang``), and
each is left out, without a word, when the build had no input for it.
"""

from __future__ import annotations

import numpy as np

from geo.i18n import TEXT, number, t
from geo.outputs import _charts as charts
from geo.outputs._report_blocks import (
    Block,
    band_label,
    place_column,
    place_head,
    row_label,
    share_text,
)
from geo.privacy.gate import SMALL, PublishedCells, clean_text

__all__ = ["rates_section", "visits_blocks", "language_section", "language_name",
           "RATE_ROWS", "VISIT_ROWS"]

RATE_ROWS = 3
"""Cells listed per band in the rates table, highest smoothed rate first."""
VISIT_ROWS = 5
"""Cells listed in the reported visits table, most visits (all hours) first."""


def _top(values: np.ndarray, ids: np.ndarray, limit: int) -> list[int]:
    """Rows of the ``limit`` largest finite positive values, ties in cell order."""
    rows = np.flatnonzero(np.isfinite(values) & (values > 0))
    return sorted(rows, key=lambda i: (-values[i], ids[i]))[:limit]


def rates_section(published: PublishedCells, lang: str, context=None) -> list[Block]:
    """Per band, the cells with the highest empirical-Bayes incidents per 1,000 residents."""
    if published.rates is None or published.residents is None:
        return []
    ids = published.cell_ids()
    lat, lng = published.cell_centres_latlng()
    place = place_column(context, lang)
    rows = []
    for band in published.bands:
        rates = np.asarray(published.rates[band], dtype=float)
        for rank, i in enumerate(_top(rates, ids, RATE_ROWS), start=1):
            rows.append([band_label(band, lang), str(rank), *place(lat[i], lng[i]),
                         number(float(published.residents[i]), lang, decimals=0),
                         number(float(rates[i]), lang, decimals=1 if rates[i] < 100 else 0),
                         ids[i]])
    blocks = [Block("h2", t("sec_rates", lang)), Block("p", t("rates_note", lang)),
              Block("note", t("rates_caveat", lang))]
    if not rows:
        return [*blocks, Block("p", t("rates_none", lang))]
    head = [t("col_band", lang), t("col_rank", lang), *place_head(context, lang),
            t("col_residents", lang), t("col_rate_eb", lang), t("col_cell", lang)]
    return [*blocks, Block("table", head=head, rows=rows)]


def visits_blocks(published: PublishedCells, lang: str, context=None) -> list[Block]:
    """Reported patrol visits per band, and the cells that get the most (never as points)."""
    visits = published.reported_visits
    if visits is None:
        return []
    totals = "; ".join(f"{band_label(b, lang)}: {number(int(np.sum(visits[b])), lang, decimals=0)}"
                       for b in published.bands)
    blocks = [Block("p", t("report_visits_note", lang, totals=totals))]
    ids = published.cell_ids()
    lat, lng = published.cell_centres_latlng()
    first = "all" if "all" in visits else published.bands[0]
    top = _top(np.asarray(visits[first], dtype=float), ids, VISIT_ROWS)
    if not top:
        return blocks
    place = place_column(context, lang)
    rows = [[str(rank), *place(lat[i], lng[i]),
             *(number(int(visits[b][i]), lang, decimals=0) for b in published.bands), ids[i]]
            for rank, i in enumerate(top, start=1)]
    head = [t("col_rank", lang), *place_head(context, lang),
            *(band_label(b, lang) for b in published.bands), t("col_cell", lang)]
    return [*blocks, Block("p", t("visits_top", lang, band=band_label(first, lang))),
            Block("table", head=head, rows=rows)]


def language_name(code: str, lang: str) -> str:
    """A language's name in ``lang`` ("Serbian", "српски", "serbisht"), or its code when the
    report knows no name for it."""
    key = f"language_{code}"
    return t(key, lang) if key in TEXT else clean_text(code, limit=20)


def _coverage_text(published: PublishedCells, figure: dict, kind: str, area: str, band: str,
                   lang: str) -> str:
    """A coverage share, or why it is not shown ("not shown (fewer than 5)")."""
    share = figure.get(kind)
    if share is not None:
        return share_text(share, lang)
    if kind not in figure:
        return "–"
    if published.totals.get(band) is not None and row_label(published, area, band) == SMALL:
        return f"{t('not_shown_short', lang)} ({t('fewer_than', lang, k=published.k)})"
    return t("not_shown_short", lang)


def language_section(published: PublishedCells, lang: str) -> list[Block]:
    """Per band, the share of incidents covered at all (patrols or posts staffed then) beside
    the share within reach of a post staffed then by officers who speak the chosen language."""
    if published.language is None or published.report is None:
        return []
    name = language_name(published.language, lang)
    reach = number(published.methods.get("reach", 400), lang, decimals=0)
    labels, shares, texts, rows = [], [], [], []
    for band in published.bands:
        figure = published.report.figures.get(band, {})
        if "coverage_lang" not in figure:
            continue
        pair = [_coverage_text(published, figure, kind, f"{area}{band}", band, lang)
                for kind, area in (("coverage", "covered_"), ("coverage_lang", "covered_lang_"))]
        labels.append(band_label(band, lang))
        shares.append((figure.get("coverage"), figure.get("coverage_lang")))
        texts.append(pair)
        rows.append([band_label(band, lang), *pair,
                     number(figure.get("cells_covered_lang", 0), lang, decimals=0)])
    if not rows:
        return []
    head = [t("col_band", lang), t("col_coverage_band", lang),
            t("col_coverage_lang", lang, language=name), t("col_cells_lang", lang)]
    blocks = [Block("h2", t("sec_language", lang, language=name)),
              Block("p", t("language_note", lang, language=name, m=reach)),
              Block("table", head=head, rows=rows),
              Block("chart", chart=charts.coverage_chart(
                  labels, shares, texts, [t("col_coverage_band", lang),
                                          t("col_coverage_lang", lang, language=name)], lang),
                    name="language")]
    if any(share is None for pair in shares for share in pair):
        blocks.append(Block("caption", t("coverage_hidden", lang, k=published.k)))
    return blocks

