"""What the planner's report may say, made by the privacy gate alone
(:func:`geo.privacy.gate.publish`).

Every count here is a row of the release's disclosure model (the week grid and hour sums in
the core, protected with the map's cells; before/after, WDD, coverage and post gains as
optional rows, shown only when they pin nothing), or a figure computed from published counts
alone (concentration, the Lorenz curve, hot-spot and gap cell counts), or a count of cells or
input rows (not of incidents).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.analysis.cells import cells_to_str

__all__ = ["ReportInputs", "ReportFacts", "report_facts"]


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


def report_facts(published, counts, inputs: ReportInputs, decisions, *, noisy: bool = False
                 ) -> ReportFacts:
    """The report's content from the release's published counts (``counts``:
    :class:`geo.privacy.release_counts.ReleaseCounts`)."""
    if counts.week is not None:
        w_inc, w_reason, h_inc, h_reason = counts.week
    else:
        w_inc = w_reason = h_inc = h_reason = np.zeros(0)
    patrol = None
    if inputs.week is not None:
        patrol = inputs.week["patrol_hours"].to_numpy(dtype=float)
        patrol = None if np.isnan(patrol).all() else np.round(patrol, 1)
    hot = {b: {int(v): int((published.hot_bin[b] == v).sum()) for v in (3, 2, 1, -1, -2, -3)}
           for b in published.bands}
    gap_cells = ({b: int((published.gap_class[b] == "3-1").sum()) for b in published.bands}
                 if published.gap_class is not None else {})
    gaps_band = inputs.posts_band if inputs.posts_band in published.bands else "all"
    change_period = None
    spec_windows = published.release.get("spec", {}).get("windows", {})
    if {"before", "after"} <= set(spec_windows):
        import datetime as dt

        def days(name):
            a, b = (dt.date.fromisoformat(d) for d in spec_windows[name])
            return float((b - a).days + 1)
        change_period = {"days_before": days("before"), "days_after": days("after")}
    emerging: dict[str, int] = {}
    slices = 0
    if published.emerging is not None and decisions is not None and \
            decisions.emerging is not None:
        found = decisions.emerging.frame["category"].value_counts()
        emerging = {str(name): int(n) for name, n in found.items()}
        slices = len(decisions.emerging.slices)
    return ReportFacts(
        week_incidents=w_inc, week_reason=w_reason, hour_incidents=h_inc, hour_reason=h_reason,
        week_patrol_hours=patrol, weeks=published.days / 7.0, lorenz=counts.lorenz,
        figures=counts.figures, hot_cells=hot, gap_cells=gap_cells,
        top_gaps=_top_gaps(published, gaps_band, inputs.gap_rows), gaps_band=gaps_band,
        change=counts.change, change_period=change_period, wdd=counts.wdd,
        wdd_target=getattr(decisions, "target", "") if decisions is not None else "",
        emerging=emerging, emerging_slices=slices, siting=counts.siting,
        quality=tuple(inputs.quality), intervals=inputs.intervals, noisy=noisy,
        change_date=inputs.change_date)
