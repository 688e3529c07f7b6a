"""What the planner's report may say, made by the privacy gate alone
(:func:`geo.privacy.gate.publish`).

Every number here is either a count that passed small-count suppression, a figure that does
not give a count back, or a count of cells or input rows (not of incidents). The rules:

- Incidents per hour of the week (7 x 24) and per hour of the day (24 sums) are suppressed like
  the cell counts: 1..k-1 is hidden, and further values are hidden while a published sum (the
  area total, a band's total, an hour's sum) would give a hidden small value back.
- Before/after counts of a band are shown only when both are 0 or at least k; rates, ratio and
  p-value go with them. The same holds for the six counts behind a WDD.
- The Lorenz curve is sampled at whole percents of cells, its cumulative counts rounded to
  multiples of k, so no single cell can be read off it.
- Coverage is shown only when both the covered and the uncovered incidents are 0 or at least
  k; a suggested post's gain only when the incidents it adds are, and later coverages go with
  a hidden gain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.analysis.bands import HOURS_OF_WEEK, Band
from geo.analysis.cells import cells_to_str
from geo.analysis.figures import concentration_summary
from geo.privacy._suppression import COMPLEMENT, SHOWN, SMALL, _pinned, protect_sum

__all__ = ["ReportInputs", "ReportFacts", "report_facts", "suppress_linked", "speakable",
           "siting_facts", "sum_is_safe"]


@dataclass
class ReportInputs:
    """What the analysis hands the gate for the report, beyond the cell table."""

    week: pd.DataFrame | None = None
    quality: list[dict] = field(default_factory=list)
    intervals: dict | None = None
    posts_band: str = "night"
    gap_rows: int = 10
    change_date: str | None = None


@dataclass(frozen=True)
class ReportFacts:
    """The report's publishable content (see the module notes for the rules)."""

    week_incidents: np.ndarray  # 168, NaN where hidden
    week_reason: np.ndarray
    hour_incidents: np.ndarray  # 24 sums over weekdays, NaN where hidden
    hour_reason: np.ndarray
    week_patrol_hours: np.ndarray | None  # 168 patrol hours (not counts of people)
    weeks: float
    lorenz: dict[str, tuple[np.ndarray, np.ndarray]]  # band -> (share of cells, of incidents)
    figures: dict[str, dict]
    hot_cells: dict[str, dict[int, int]]
    gap_cells: dict[str, int]
    top_gaps: tuple[dict, ...]
    gaps_band: str
    change: tuple[dict, ...]
    change_period: dict | None
    wdd: tuple[dict, ...]
    wdd_target: str
    emerging: dict[str, int]
    emerging_slices: int
    siting: dict | None
    quality: tuple[dict, ...]
    intervals: dict | None
    noisy: bool = False
    change_date: str | None = None


def speakable(values: list[float | None], k: int) -> bool:
    """Whether every count is unknown, 0 or at least ``k``."""
    return all(v is None or v == 0 or v >= k for v in values)


def sum_is_safe(published, band: str, cells: np.ndarray, total: float) -> bool:
    """Whether publishing ``total``, the incidents of ``band`` in the masked ``cells``, leaves
    every hidden small cell count of the map unpinned."""
    reason = published.reason[band][cells].copy()
    shown = np.nan_to_num(published.incidents[band][cells])
    return not _pinned(float(total), shown, reason, published.k)


def suppress_linked(values: np.ndarray, groups: list[tuple[np.ndarray, float | None]], k: int,
                    reason: np.ndarray | None = None) -> tuple[np.ndarray, list[int]]:
    """Reasons (shown, small, complement) for counts tied by published sums, and the groups
    whose total must be withheld.

    ``groups`` are (member indices, published total or None); no published total may pin a
    hidden small member. Members are hidden until none does. When every member of a group is
    hidden and its total still pins one (two hidden 4s under a total of 8, with k = 5), the
    group's index is returned: its total must not be published.

    >>> reason, withheld = suppress_linked(np.array([9, 2, 7]), [(np.array([0, 1, 2]), 18)], 5)
    >>> reason.tolist(), withheld
    ([0, 1, 2], [])
    """
    values = np.asarray(values, dtype=float)
    if reason is None:
        reason = np.where((values > 0) & (values < k), SMALL, SHOWN).astype(np.int8)
    withheld: list[int] = []
    changed = True
    while changed:
        changed = False
        for index, (members, total) in enumerate(groups):
            if index in withheld:
                continue
            part = reason[members].copy()
            result = protect_sum(total, values[members], part, k)
            if result == "hid":
                reason[members] = part
                changed = True
            elif result == "withhold":
                withheld.append(index)
    return reason, withheld


def _week_groups(bands: tuple[Band, ...], totals: dict[str, int | None]
                 ) -> list[tuple[np.ndarray, float | None]]:
    """Hours of the week wholly inside each band, with the band's published total (None when
    withheld). A band whose edge falls inside an hour is no sum of these counts: left out."""
    slots = np.arange(HOURS_OF_WEEK)
    groups = []
    for band in bands:
        hits = np.array([band.contains(slots % 24 + q, slots // 24)
                         for q in (0.0, 0.25, 0.5, 0.75)])
        if (hits.any(axis=0) & ~hits.all(axis=0)).any():
            continue
        groups.append((np.flatnonzero(hits.all(axis=0)), totals.get(band.name)))
    return groups


def _week_facts(week: pd.DataFrame, bands, totals, k: int):
    counts = week["incidents"].to_numpy(dtype=float)
    groups = _week_groups(bands, totals)
    hours = counts.reshape(7, 24).sum(axis=0)
    # hour sums: hidden when small, and protected against the area total
    hour_reason, withheld = suppress_linked(hours, [(np.arange(24), totals.get("all"))], k)
    positive = np.flatnonzero(hours > 0)
    if (withheld or totals.get("all") is None) and len(positive) and \
            (hour_reason[positive] == SHOWN).all():  # a withheld total must not come back
        hour_reason[positive[np.argmin(hours[positive])]] = COMPLEMENT
    reason = np.where((counts > 0) & (counts < k), SMALL, SHOWN).astype(np.int8)
    changed = True
    while changed:
        before = (reason.copy(), hour_reason.copy())
        hour_groups = [(np.arange(h, HOURS_OF_WEEK, 24),
                        None if hour_reason[h] != SHOWN else hours[h]) for h in range(24)]
        for members, total in groups + hour_groups:  # a withheld sum must not come back
            positive = members[counts[members] > 0]
            if total is None and len(positive) and (reason[members] == SHOWN).all():
                reason[positive[np.argmin(counts[positive])]] = COMPLEMENT
        reason, withheld = suppress_linked(counts, groups + hour_groups, k, reason)
        for index in withheld:
            if index >= len(groups):  # an hour sum that still pins its hidden hours goes
                hour_reason[index - len(groups)] = COMPLEMENT
            else:  # a band total is the map's and stays: its hours stop saying "1 or more"
                members = groups[index][0]
                reason[members[reason[members] == SMALL]] = COMPLEMENT
        changed = not (np.array_equal(before[0], reason)
                       and np.array_equal(before[1], hour_reason))
    return (np.where(reason == SHOWN, counts, np.nan), reason,
            np.where(hour_reason == SHOWN, hours, np.nan), hour_reason)


def _lorenz(counts: np.ndarray, total: int | None, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Share of cells (0..1 by 1 %) against share of incidents, cumulated counts rounded to k."""
    if not total or len(counts) == 0:
        return np.zeros(0), np.zeros(0)
    ranked = np.sort(counts)[::-1]
    cum = np.r_[0, np.cumsum(ranked)]
    x = np.linspace(0, 1, 101)
    at = np.interp(x * len(ranked), np.arange(len(cum)), cum)
    y = np.minimum(np.round(at / k) * k, total) / total
    y[-1] = 1.0
    return x, np.maximum.accumulate(y)


def _figures(counts: dict[str, np.ndarray], table, k: int, totals, published
             ) -> dict[str, dict]:
    """Concentration figures and coverage per band, from the counts the gate published."""
    out = {}
    for band, values in counts.items():
        entry = {"total": totals.get(band), "gini": None, "gini_kind": "", "share_cells_50": None,
                 "pai_5": None, "pai_10": None, "pai_20": None, "coverage": None,
                 "cells_covered": None}
        if totals.get(band):  # the figures of a withheld total say too much
            row = concentration_summary(values)
            entry.update(gini=round(float(row["gini"]), 2), gini_kind=str(row["gini_kind"]),
                         share_cells_50=round(float(row["share_cells_50"]), 3),
                         **{key: round(float(row[key]), 1)
                            for key in ("pai_5", "pai_10", "pai_20")})
        if f"covered_{band}" in table.frame:
            covered = table.frame[f"covered_{band}"].to_numpy()
            inside, outside = int(values[covered].sum()), int(values[~covered].sum())
            if totals.get(band) and speakable([inside, outside], k) and \
                    sum_is_safe(published, band, covered, inside) and \
                    sum_is_safe(published, band, ~covered, outside):
                entry["coverage"] = round(inside / values.sum(), 3)
            entry["cells_covered"] = int(covered.sum())
        out[str(band)] = entry
    return out


def _top_gaps(published, band: str, limit: int) -> tuple[dict, ...]:
    if published.gap_class is None or band not in published.bands:
        return ()
    gap = published.gap_class[band] == "3-1"
    rows = np.flatnonzero(gap)
    shown = np.nan_to_num(published.incidents[band][rows], nan=-1.0)
    hours = published.presence_hours[band][rows]
    order = np.lexsort((hours, -shown))[:limit]
    ids = cells_to_str(published.cells[rows[order]])
    return tuple({"rank": i + 1, "cell": cell, "row": int(rows[o]),
                  "incidents": published.incidents[band][rows[o]],
                  "reason": int(published.reason[band][rows[o]]),
                  "patrol_hours": float(hours[o]), "hot_bin": int(published.hot_bin[band][rows[o]])}
                 for i, (o, cell) in enumerate(zip(order, ids, strict=True)))


def _change(decisions, totals, k: int) -> tuple[tuple[dict, ...], dict | None]:
    if decisions is None or decisions.change is None:
        return (), None
    rows = []
    period = None
    for band, row in decisions.change.iterrows():
        period = {"days_before": float(row["days_before"]), "days_after": float(row["days_after"])}
        counts = [int(row["before"]), int(row["after"])]
        entry = {"band": str(band), "cells_up": int(row["cells_up"]),
                 "cells_down": int(row["cells_down"]), "shown": False}
        if totals.get(band) is not None and speakable(counts, k):
            entry.update(shown=True, before=counts[0], after=counts[1],
                         rate_before=float(row["rate_before"]),
                         rate_after=float(row["rate_after"]), ratio=float(row["ratio"]),
                         p=float(row["p"]))
        rows.append(entry)
    return tuple(rows), period


_WDD_COUNTS = ("target_before", "target_after", "buffer_before", "buffer_after",
               "control_before", "control_after")


def _wdd(decisions, published) -> tuple[tuple[dict, ...], str]:
    if decisions is None or decisions.wdd is None:
        return (), ""
    k = published.k
    rows = []
    for band, row in decisions.wdd.iterrows():
        counts = [int(row[c]) for c in _WDD_COUNTS]
        # each area's before + after is a sum of the map's cells: it must pin no hidden one
        safe = band in published.bands and all(
            sum_is_safe(published, band, mask, counts[2 * i] + counts[2 * i + 1])
            for i, mask in enumerate(decisions.wdd_areas))
        entry = {"band": str(band), "shown": speakable(counts, k) and safe,
                 "small": not speakable(counts, k),
                 "target_cells": int(row["target_cells"]),
                 "buffer_cells": int(row["buffer_cells"])}
        if entry["shown"]:
            entry.update(dict(zip(_WDD_COUNTS, counts, strict=True)))
            entry.update({key: float(row[key]) for key in
                          ("wdd", "se", "z", "p", "local", "displacement", "expected_change")})
        rows.append(entry)
    return tuple(rows), decisions.target


def siting_facts(decisions, published) -> dict | None:
    """Suggested posts as they may be published: places always, the baseline coverage and each
    post's gain and coverage only while no count they give back is small or pins a hidden
    cell (a hidden gain hides every later coverage)."""
    if decisions is None or decisions.siting is None:
        return None
    k = published.k
    s = decisions.siting

    def safe(i: int, value: float) -> bool:
        """The i-th covered-cell sum pins no hidden cell of the map."""
        return s.band in published.bands and i < len(s.covered_cells) and \
            sum_is_safe(published, s.band, s.covered_cells[i], value)

    total = s.demand_total
    baseline = s.baseline_coverage
    out = {"band": s.band, "reach_m": float(s.reach_m), "baseline": None, "sites": []}
    if np.isfinite(total) and np.isfinite(baseline):
        covered = round(baseline * total)
        if speakable([covered, total - covered], k) and safe(0, covered):
            out["baseline"] = float(baseline)
    hidden = out["baseline"] is None
    for i, r in enumerate(s.sites.itertuples(), start=1):
        gain = int(r.covered_incidents_added)
        small = not speakable([gain], k)
        hidden = hidden or small or not safe(i, gain)
        out["sites"].append({"rank": int(r.rank), "lat": round(float(r.lat), 6),
                             "lng": round(float(r.lng), 6),
                             "gain": None if hidden else gain, "small": small,
                             "coverage_after": None if hidden else float(r.coverage_after)})
    return out


def report_facts(published, table, inputs: ReportInputs, decisions, *,
                 counts: dict[str, np.ndarray], week_counts: np.ndarray | None = None,
                 noisy: bool = False) -> ReportFacts:
    """The report's content from an analysed table, under the same k as ``published``.

    ``counts`` are the per-cell counts the gate suppressed (noised with epsilon) and
    ``week_counts`` the week's incident counts (noised with epsilon, else from
    ``inputs.week``). With noise, before/after, WDD and coverage gains, which need exact
    counts, are left out.
    """
    k = published.k
    totals = published.totals
    week = inputs.week
    if week is not None:
        week = week.copy()
        if week_counts is not None:
            week["incidents"] = week_counts
        w_inc, w_reason, h_inc, h_reason = _week_facts(week, table.bands, totals, k)
        patrol = week["patrol_hours"].to_numpy(dtype=float)
        patrol = None if np.isnan(patrol).all() else np.round(patrol, 1)
    else:
        w_inc = w_reason = h_inc = h_reason = np.zeros(0)
        patrol = None
    lorenz = {b: _lorenz(values, totals.get(b), k) for b, values in counts.items()}
    hot = {b: {int(v): int((published.hot_bin[b] == v).sum()) for v in (3, 2, 1, -1, -2, -3)}
           for b in published.bands}
    gap_cells = ({b: int((published.gap_class[b] == "3-1").sum()) for b in published.bands}
                 if published.gap_class is not None else {})
    gaps_band = inputs.posts_band if inputs.posts_band in published.bands else "all"
    exact = None if noisy else decisions
    change, change_period = _change(exact, totals, k)
    wdd_rows, target = _wdd(exact, published)
    emerging: dict[str, int] = {}
    slices = 0
    if decisions is not None and decisions.emerging is not None:
        found = decisions.emerging.frame["category"].value_counts()
        emerging = {str(name): int(n) for name, n in found.items()}
        slices = len(decisions.emerging.slices)
    return ReportFacts(
        week_incidents=w_inc, week_reason=w_reason, hour_incidents=h_inc, hour_reason=h_reason,
        week_patrol_hours=patrol, weeks=table.days / 7.0, lorenz=lorenz,
        figures=_figures(counts, table, k, totals, published), hot_cells=hot, gap_cells=gap_cells,
        top_gaps=_top_gaps(published, gaps_band, inputs.gap_rows), gaps_band=gaps_band,
        change=change, change_period=change_period, wdd=wdd_rows, wdd_target=target,
        emerging=emerging, emerging_slices=slices, siting=siting_facts(exact, published),
        quality=tuple(inputs.quality), intervals=inputs.intervals, noisy=noisy,
        change_date=inputs.change_date)
