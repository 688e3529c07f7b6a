"""The planner's report: one self-contained HTML page, and the same content as an A4 PDF.

It is drawn from :class:`~geo.privacy.gate.PublishedCells` alone (its ``report`` part holds the
week profile, figures, before/after, WDD, emerging patterns, suggested posts and data
quality that the gate let through), in one language. The page needs no network: charts are
inline SVG, styles are inline, and it runs no script. A JSON block lists every count the
page shows, so ``patrolmap audit`` can check it.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from geo.i18n import LANGUAGES, category_name, number, reason_text, t
from geo.outputs import _charts as charts
from geo.outputs._report_blocks import (
    Block,
    band_label,
    count_text,
    place_column,
    place_head,
    share_text,
)
from geo.outputs._report_html import CSS, html_block
from geo.outputs._report_people import language_section, rates_section, visits_blocks
from geo.privacy.gate import COMPLEMENT, SHOWN, SMALL, PublishedCells, check_published, clean_text

__all__ = ["render_report", "render_report_pdf", "report_blocks", "Block", "REFERENCES"]

REFERENCES = (
    "Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance "
    "statistics. Geographical Analysis 24(3), 189-206.",
    "Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. Journal of "
    "the Royal Statistical Society B 57(1), 289-300.",
    "Bernasco, W. & Steenbeek, W. (2017). More places than crimes: implications for "
    "evaluating the law of crime concentration at place. Journal of Quantitative Criminology "
    "33, 451-467.",
    "Chainey, S., Tompson, L. & Uhlig, S. (2008). The utility of hotspot mapping for "
    "predicting spatial patterns of crime. Security Journal 21, 4-28.",
    "Koper, C. S. (1995). Just enough police presence. Justice Quarterly 12(4), 649-672.",
    "Przyborowski, J. & Wilenski, H. (1940). Homogeneity of results in testing samples from "
    "Poisson series. Biometrika 31(3/4), 313-323.",
    "Wheeler, A. P. & Ratcliffe, J. H. (2018). A simple weighted displacement difference test "
    "to evaluate place based crime interventions. Crime Science 7, 11.",
    "Mann, H. B. (1945). Nonparametric tests against trend. Econometrica 13(3), 245-259; "
    "Esri, How Emerging Hot Spot Analysis works (ArcGIS Pro documentation).",
    "Church, R. & ReVelle, C. (1974). The maximal covering location problem. Papers of the "
    "Regional Science Association 32, 101-118; Feng, X. et al. (2022), spopt, PySAL.",
    "Uber Technologies, H3: a hexagonal hierarchical geospatial indexing system.",
)


def _headline(published: PublishedCells, lang: str, context=None) -> list[Block]:
    facts = published.report
    band = facts.gaps_band
    all_fig = facts.figures.get("all", {})
    band_fig = facts.figures.get(band, {})
    figures = [
        (t("fig_incidents", lang, band=band_label("all", lang)),
         count_text(published.totals.get("all"), SHOWN, published.k, lang)),
        (t("fig_cells", lang), number(len(published.cells), lang, decimals=0)),
        (t("fig_hot_cells", lang, band=band_label("all", lang)),
         number(sum(n for b, n in facts.hot_cells.get("all", {}).items() if b > 0), lang,
                decimals=0)),
    ]
    if facts.gap_cells:
        figures.append((t("fig_gap_cells", lang, band=band_label(band, lang)),
                        number(facts.gap_cells.get(band, 0), lang, decimals=0)))
        figures.append((t("fig_coverage", lang, band=band_label(band, lang)),
                        share_text(band_fig.get("coverage"), lang)))
    figures.append((t("fig_half", lang), share_text(all_fig.get("share_cells_50"), lang)))
    rows = []
    for b in published.bands:
        f = facts.figures.get(b, {})
        hot = sum(n for v, n in facts.hot_cells.get(b, {}).items() if v > 0)
        rows.append([band_label(b, lang), count_text(f.get("total"), SHOWN, published.k, lang),
                     number(hot, lang, decimals=0),
                     number(facts.gap_cells[b], lang, decimals=0) if facts.gap_cells else "–",
                     share_text(f.get("coverage"), lang), share_text(f.get("share_cells_50"), lang),
                     "–" if f.get("gini") is None else number(f["gini"], lang, decimals=2)])
    head = [t("col_band", lang), t("col_incidents", lang), t("col_hot_cells", lang),
            t("col_gap_cells", lang), t("col_coverage_band", lang), t("col_half", lang),
            t("col_gini", lang)]
    return [Block("h2", t("sec_headline", lang)), Block("figures", rows=[list(f) for f in figures]),
            Block("chart", chart=charts.overview_chart(published, lang, context),
                  name="overview"),
            Block("caption", t("overview_note", lang, k=published.k)),
            Block("p", t("bands_lead", lang)), Block("table", head=head, rows=rows)]


def _categories(published: PublishedCells, lang: str) -> list[Block]:
    """Incidents per category and band, whole area only (as the map's panel shows them)."""
    if not published.categories:
        return []
    rows = []
    for i, name in enumerate(published.categories):
        row = [category_name(name, lang)]
        for b in published.bands:
            value = float(published.category_totals[b][i])
            reason = SMALL if value == -1 else COMPLEMENT if value == -2 else SHOWN
            row.append(count_text(value, reason, published.k, lang))
        rows.append(row)
    head = [t("by_category", lang), *(band_label(b, lang) for b in published.bands)]
    return [Block("table", head=head, rows=rows)]


def _when(published: PublishedCells, lang: str, context=None) -> list[Block]:
    facts = published.report
    if not len(facts.week_incidents):  # no times of day: the visits stand alone
        visits = visits_blocks(published, lang, context)
        return [Block("h2", t("sec_visits", lang)), *visits] if visits else []
    blocks = [Block("h2", t("sec_when", lang)), Block("p", t("when_note", lang)),
              Block("chart", chart=charts.week_chart(facts, lang), name="week")]
    if facts.week_patrol_hours is None:
        blocks.append(Block("p", t("no_patrol", lang)))
    blocks.append(Block("chart", chart=charts.hours_chart(facts, published.totals.get("all"),
                                                          lang), name="hours"))
    return [*blocks, *visits_blocks(published, lang, context)]


def _where(published: PublishedCells, lang: str) -> list[Block]:
    facts = published.report
    bands = ["all"] + ([facts.gaps_band] if facts.gaps_band != "all" else [])
    blocks = [Block("h2", t("sec_where", lang)), Block("p", t("lorenz_note", lang))]
    if any(len(facts.lorenz.get(b, ((), ()))[0]) for b in bands):
        blocks.append(Block("chart", chart=charts.lorenz_chart(
            facts, bands, [band_label(b, lang) for b in bands], lang), name="lorenz"))
    f = facts.figures.get("all", {})
    if f.get("pai_5") is not None:
        blocks.append(Block("p", t("pai_line", lang, a=number(f["pai_5"], lang),
                                   b=number(f["pai_10"], lang), c=number(f["pai_20"], lang))))
    return blocks


def _hot_label(value: int, lang: str) -> str:
    return t(f"hot_{value}", lang) if value else "–"


def _gaps(published: PublishedCells, lang: str, context=None) -> list[Block]:
    facts = published.report
    band = facts.gaps_band
    blocks = [Block("h2", t("sec_gaps", lang, band=band_label(band, lang)))]
    if published.gap_class is None:
        return [*blocks, Block("p", t("no_patrol", lang))]
    if not facts.top_gaps:
        return [*blocks, Block("p", t("no_gaps", lang))]
    import h3

    place = place_column(context, lang)
    rows = [[str(g["rank"]), *place(*h3.cell_to_latlng(g["cell"])),
             g["cell"], count_text(g["incidents"], g["reason"], published.k, lang),
             number(g["patrol_hours"], lang), _hot_label(g["hot_bin"], lang)]
            for g in facts.top_gaps]
    head = [t("col_rank", lang), *place_head(context, lang),
            t("col_cell", lang), t("col_incidents", lang),
            t("col_patrol_hours", lang), t("col_hot", lang)]
    suggested = facts.siting["sites"] if facts.siting else []
    return [*blocks, Block("p", t("gaps_note", lang)), Block("table", head=head, rows=rows),
            Block("chart", chart=charts.locator_chart(published, facts.top_gaps, suggested,
                                                      lang, context), name="locator"),
            Block("caption", t("locator_note", lang))]


def _change(published: PublishedCells, lang: str) -> list[Block]:
    facts = published.report
    change_date = facts.change_date
    if not facts.change:
        return [Block("h2", t("sec_change_none", lang)), Block("p", t("no_change", lang))]
    period = facts.change_period
    blocks = [Block("h2", t("sec_change", lang, date=change_date or "")),
              Block("p", t("change_note", lang, before=number(period["days_before"], lang),
                           after=number(period["days_after"], lang)))]
    rows, shown = [], []
    for row in facts.change:
        updown = ("–" if row["cells_up"] is None else
                  f"{row['cells_up']} / {row['cells_down']}")
        if not row["shown"]:
            rows.append([band_label(row["band"], lang), t("too_few", lang), "", "", "", "", updown])
            continue
        shown.append(row)
        rows.append([band_label(row["band"], lang), number(row["before"], lang, decimals=0),
                     number(row["after"], lang, decimals=0),
                     f"{number(row['rate_before'], lang)} → {number(row['rate_after'], lang)}",
                     number(row["ratio"], lang, decimals=2), _p(row["p"], lang), updown])
    head = [t("col_band", lang), t("col_before", lang), t("col_after", lang),
            t("col_rate", lang), t("col_ratio", lang), t("col_p", lang),
            t("col_cells_updown", lang)]
    blocks.append(Block("table", head=head, rows=rows))
    if shown:
        blocks.append(Block("chart", chart=charts.rates_chart(
            shown, period, [band_label(r["band"], lang) for r in shown], lang), name="rates"))
    blocks.extend(_wdd(published, lang))
    return blocks


def _p(p: float, lang: str) -> str:
    return "< 0,001" if p < 0.001 and lang != "en" else ("< 0.001" if p < 0.001 else
                                                         number(p, lang, decimals=3))


def _wdd(published: PublishedCells, lang: str) -> list[Block]:
    facts = published.report
    if not facts.wdd:
        return []
    first = facts.wdd[0]
    blocks = [Block("h2", t("sec_wdd", lang)),
              Block("p", t("wdd_note", lang, target=clean_text(_target(facts.wdd_target, lang)),
                           cells=first["target_cells"], buffer=first["buffer_cells"]))]
    rows = []
    for row in facts.wdd:
        if not row["shown"]:
            why = t("too_few", lang) if row["small"] else t("wdd_hidden", lang)
            rows.append([band_label(row["band"], lang), why, "", "", "", ""])
            continue
        pair = [f"{number(row[f'{a}_before'], lang, decimals=0)} → "
                f"{number(row[f'{a}_after'], lang, decimals=0)}"
                for a in ("target", "buffer", "control")]
        reading = ("wdd_chance" if row["p"] > 0.05 else
                   "wdd_fewer" if row["wdd"] < 0 else "wdd_more")
        rows.append([band_label(row["band"], lang), *pair,
                     f"{number(row['wdd'], lang)} ± {number(row['se'], lang)}",
                     f"{t(reading, lang)} (p = {_p(row['p'], lang)})"])
    head = [t("col_band", lang), t("col_target", lang), t("col_buffer", lang),
            t("col_control", lang), t("col_wdd", lang), t("col_reading", lang)]
    return [*blocks, Block("table", head=head, rows=rows)]


def _target(label: str, lang: str) -> str:
    """The WDD target in words: the posts' reach is translated, a file's area name is not."""
    prefix = "cells within "
    if label.startswith(prefix) and " m of the posts active from " in label:
        metres, _, date = label[len(prefix):].partition(" m of the posts active from ")
        return t("wdd_target_posts", lang, m=metres, date=date)
    return label


def _emerging(published: PublishedCells, lang: str) -> list[Block]:
    facts = published.report
    if not facts.emerging:
        if "emerging_left_out" in published.notes:
            return [Block("h2", t("sec_emerging", lang)),
                    Block("p", t("emerging_left_out", lang))]
        return []
    from geo.outputs.maps import _pattern_key

    rows = [[t(_pattern_key(name), lang) if name != "no pattern detected" else
             t("ehs_none", lang), number(n, lang, decimals=0)]
            for name, n in sorted(facts.emerging.items(), key=lambda kv: -kv[1])]
    return [Block("h2", t("sec_emerging", lang)),
            Block("p", t("emerging_note", lang, n=facts.emerging_slices)),
            Block("table", head=[t("col_pattern", lang), t("col_cells", lang)], rows=rows)]


def _siting(published: PublishedCells, lang: str, context=None) -> list[Block]:
    facts = published.report
    s = facts.siting
    if not s:
        return []
    blocks = [Block("h2", t("sec_siting", lang, band=band_label(s["band"], lang))),
              Block("p", t("siting_note_posts", lang,
                           m=number(s["reach_m"], lang, decimals=0),
                           band=band_label(s["band"], lang),
                           base=share_text(s["baseline"], lang)))]
    place = place_column(context, lang)
    rows = [[f"P{site['rank']}", *place(site["lat"], site["lng"]),
             f"{site['lat']:.5f}, {site['lng']:.5f}",
             (t("fewer_than", lang, k=published.k) if site["small"] else
              t("not_shown_short", lang)) if site["gain"] is None
             else number(site["gain"], lang, decimals=0), share_text(site["coverage_after"], lang)]
            for site in s["sites"]]
    if rows:
        head = [t("col_post", lang), *place_head(context, lang),
                t("col_where", lang), t("col_gain", lang),
                t("col_coverage_posts", lang, band=band_label(s["band"], lang))]
        blocks.append(Block("table", head=head, rows=rows))
    return blocks


def _quality(published: PublishedCells, lang: str) -> list[Block]:
    facts = published.report
    if not facts.quality:
        return []
    outside = any(q.get("outside") for q in facts.quality)
    rows = [[clean_text(q["file"], limit=60), t(f"kind_{q['kind']}", lang),
             number(q["rows_read"], lang, decimals=0), number(q["accepted"], lang, decimals=0),
             number(q["rejected"], lang, decimals=0),
             *([number(q.get("outside", 0), lang, decimals=0)] if outside else []),
             "; ".join(f"{clean_text(reason_text(r, lang), limit=80)}: "
                       f"{number(n, lang, decimals=0)}"
                       for r, n in q["reasons"]) or "–"]
            for q in facts.quality]
    head = [t("col_file", lang), t("col_kind", lang), t("col_read", lang),
            t("col_accepted", lang), t("col_rejected", lang),
            *([t("col_outside", lang)] if outside else []), t("col_reasons", lang)]
    blocks = [Block("h2", t("sec_quality", lang)), Block("p", t("quality_note", lang)),
              Block("table", head=head, rows=rows)]
    if facts.intervals and facts.intervals["total"]:
        shares = [f"{number(c / facts.intervals['total'] * 100, lang)} %"
                  for c in facts.intervals["counts"]]
        blocks.append(Block("p", t("intervals_note", lang, a=shares[0], b=shares[1],
                                   c=shares[2], d=shares[3], e=shares[4],
                                   cap=number(facts.intervals["cap_s"], lang, decimals=0))))
    return blocks


def _methods(published: PublishedCells, lang: str) -> list[Block]:
    import h3

    m = published.methods
    km2 = number(h3.average_hexagon_area(published.res, unit="km^2"), lang, decimals=3)
    texts = [t("method_cells", lang, res=published.res, km2=km2, days=round(published.days))]
    if "cap" in m:
        texts.append(t("method_presence", lang, cap=m["cap"], reach=m["reach"]))
    if "perms" in m:
        texts.append(t("method_hotspots", lang, perms=number(m["perms"], lang, decimals=0)))
    texts += [t("method_gaps", lang),
              t("method_coverage", lang, reach=number(m.get("reach", 400), lang, decimals=0)),
              t("method_change", lang), t("method_siting", lang),
              t("method_privacy", lang, k=published.k, k1=published.k - 1)]
    return [Block("h2", t("sec_methods", lang)), *(Block("p", x) for x in texts),
            Block("list", rows=[[r] for r in REFERENCES])]


def report_blocks(published: PublishedCells, *, lang: str = "en", title: str | None = None,
                  note: str = "", synthetic: bool = False, no_times: bool = False,
                  context=None) -> list[Block]:
    """The report's content in reading order, in one language. With ``no_times`` (incidents
    without times of day) the time-dependent sections are left out, and it says so."""
    check_published(published, "the report")
    if published.report is None:
        msg = "publish() was called without report inputs: no report can be drawn"
        raise ValueError(msg)
    if lang not in LANGUAGES:
        msg = f"--lang {lang!r}: choose one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)
    area = published.area_names.get(lang) or published.area_name
    blocks = [Block("h1", clean_text(title) if title else t("report_title", lang, area=area))]
    if published.period:
        days = round(published.days)
        blocks.append(Block("p", t("report_period", lang, count=days, start=published.period[0],
                                   end=published.period[1],
                                   days=number(days, lang, decimals=0))))
    warnings = []
    if published.audience == "analyst":
        warnings.append(t("restricted", lang))
    if synthetic:
        warnings.append(t("synthetic", lang))
    if published.area_approximate:
        warnings.append(t("approximate_area", lang))
    if published.epsilon is not None:
        warnings.append(t("noise", lang, eps=published.epsilon))
    if published.sparse:
        warnings.append(t("sparse", lang))
    if no_times:
        warnings.append(t("no_times_note", lang))
    blocks += [Block("note", w) for w in warnings]
    if note:
        blocks.append(Block("p", clean_text(note, limit=500)))
    blocks.append(Block("p", t("report_map_note", lang)))
    blocks += _headline(published, lang, context)
    blocks += _categories(published, lang)
    blocks += _when(published, lang, context)
    blocks += _where(published, lang)
    blocks += rates_section(published, lang, context)
    blocks += _gaps(published, lang, context)
    blocks += language_section(published, lang)
    if no_times:
        blocks += [Block("h2", t("sec_no_times", lang)), Block("p", t("no_times_left_out", lang))]
    for part in (() if no_times else (_change, _emerging)):
        blocks += part(published, lang)
    blocks += _siting(published, lang, context)
    for part in (_quality, _methods):
        blocks += part(published, lang)
    return blocks


def shown_counts(published: PublishedCells) -> dict:
    """Every incident count the report shows, by where it appears (for the audit)."""
    facts = published.report
    finite = lambda values: [int(v) for v in values if v is not None and np.isfinite(v)]  # noqa: E731
    return {
        "totals": finite(published.totals.values()),
        "categories": finite(v for b in published.bands for v in published.category_totals[b]
                             if v >= 0),
        "week": finite(facts.week_incidents), "hours": finite(facts.hour_incidents),
        "gaps": finite(g["incidents"] for g in facts.top_gaps),
        "change": finite(r[key] for r in facts.change if r["shown"]
                         for key in ("before", "after")),
        "wdd": finite(r[f"{a}_{w}"] for r in facts.wdd if r["shown"]
                      for a in ("target", "buffer", "control") for w in ("before", "after")),
        "posts": finite(s["gain"] for s in (facts.siting or {}).get("sites", [])),
    }


def _declared_places(published: PublishedCells) -> list[list[float]]:
    """Suggested sites that are not cell centres: places from the user's candidate file."""
    import h3

    places = []
    for site in (published.report.siting or {}).get("sites", []):
        centre = h3.cell_to_latlng(h3.latlng_to_cell(site["lat"], site["lng"], published.res))
        if max(abs(centre[0] - site["lat"]), abs(centre[1] - site["lng"])) > 1e-5:
            places.append([site["lat"], site["lng"]])
    return places


def render_report(published: PublishedCells, path: str | Path, *, lang: str = "en",
                  title: str | None = None, note: str = "", synthetic: bool = False,
                  no_times: bool = False, context=None) -> Path:
    """Write the planner's report as one self-contained HTML page (no script, no request).

    ``published`` must come from :func:`geo.privacy.gate.publish` with report inputs;
    ``context`` (:class:`geo.inputs.context.Context`) names gap cells and suggested sites by
    the nearest landmark or street.
    """
    blocks = report_blocks(published, lang=lang, title=title, note=note, synthetic=synthetic,
                           no_times=no_times, context=context)
    body = "\n".join(html_block(b) for b in blocks)
    data = {"k": published.k, "restricted": published.audience == "analyst",
            "epsilon": published.epsilon, "lang": lang, "res": published.res,
            "places": _declared_places(published), "counts": shown_counts(published),
            "release": published.release_record(with_cells=True)}
    block = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    page = (f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(blocks[0].text)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main>"
            f'<script type="application/json" id="pm-report">{block}</script></body></html>\n')
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def render_report_pdf(published: PublishedCells, path: str | Path, *, lang: str = "en",
                      title: str | None = None, note: str = "", synthetic: bool = False,
                      no_times: bool = False, context=None) -> Path:
    """Write the same report as an A4 portrait PDF (text as text, charts as pictures)."""
    from geo.outputs._report_pdf import write_pdf

    blocks = report_blocks(published, lang=lang, title=title, note=note, synthetic=synthetic,
                           no_times=no_times, context=context)
    return write_pdf(blocks, Path(path))
