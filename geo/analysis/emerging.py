"""Emerging hot spots: Gi* per time slice, a Mann-Kendall trend per cell, and Esri's classes.

Incidents are counted per H3 cell and per local week or month. Each slice gets its own Gi*
hot spot test (:func:`geo.analysis.hotspots.hot_spots`, with the same inference as the map's hot
spots: k-ring neighbours, the z-score's normal p by default, Benjamini-Hochberg FDR, bins
-3..3). Each cell's series of Gi* z-scores is then tested for a
monotonic trend with Mann-Kendall, and the bins and the trend together put the cell into one of
the classes of Esri's Emerging Hot Spot Analysis (new, consecutive, intensifying, persistent,
diminishing, sporadic, oscillating, historical; hot and cold), or "no pattern detected".

Decisions where the Esri text leaves room (all in :func:`classify`):

- A slice counts as a significant hot (cold) spot when its Gi* bin is at least ``min_bin``
  (at most ``-min_bin``). The default 1 follows Esri, whose Gi_Bin scheme labels 90, 95 and
  99 % bins all as statistically significant hot spots; ``min_bin=2`` asks for 95 %.
  With ~130 cells, FDR and the permutation floor, even a clear cluster often lands in the 90 %
  bin, so at 95 % a cluster hot every month reads as sporadic or as no pattern.
- A trend is significant when its Mann-Kendall p <= ``alpha`` (default 0.05); its sign says
  intensifying or diminishing.
- "90 percent of the time-step intervals" means at least 9 slices in 10 (11 of 12 months).
- The final slice decides the side: hot in the final slice gives a hot class, cold a cold
  class; only when it is neither can a cell be historical. So persistent, intensifying and
  diminishing include the final slice, and a cell hot in 11 of 12 months but not the last is
  historical.
- A cell that has been significant on the other side before is oscillating, even if it would
  otherwise read as new or consecutive (a cold-to-hot flip is what oscillating describes).
- Empty or untested slices (NaN z) count as not significant and are left out of the trend.
- A first or last slice that the data cover for less than 90 % of its days (data cut on the
  5th of a month) is left out, and a note says so: its few incidents would make every cell
  "not significant" in the final slice, which decides every class.
- When the slices hold too few incidents for a hot spot test (fewer than 30, or fewer than one
  per cell, on average), a note says so and suggests longer slices or a coarser resolution.

Unlike ArcGIS, which uses space-time neighbourhoods over the whole cube, each slice here is
tested on its own (spatial neighbours only, compared with that slice's mean).

References
----------
Mann, H. B. (1945). Nonparametric tests against trend. Econometrica 13(3), 245-259.
Kendall, M. G. (1975). Rank Correlation Methods, 4th ed. London: Griffin.
Gilbert, R. O. (1987). Statistical Methods for Environmental Pollution Monitoring, ch. 16
(tie-corrected variance, missing values). New York: Van Nostrand Reinhold.
Esri. How Emerging Hot Spot Analysis works. ArcGIS Pro tool reference, Space Time Pattern
Mining toolbox (learnmoreemerging.htm): the pattern definitions followed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtr

from geo._errors import UsageError
from geo.analysis.cells import cell_positions, points_to_cells
from geo.analysis.hotspots import DEFAULT_PERMUTATIONS, given_neighbours, hot_spots
from geo.analysis.table import incident_weights

__all__ = ["CATEGORIES", "MIN_SLICES", "NO_PATTERN", "EmergingHotSpots", "classify",
           "classify_many", "complete_slices", "emerging_hot_spots", "mann_kendall",
           "mann_kendall_many", "slice_times"]

MIN_SLICES = 10
"""Slices below which the Mann-Kendall trend (and so the classes that use it) is unreliable."""
COMPLETE_SHARE = 0.9
"""A first or last slice is kept when the data cover at least this share of its days."""

NO_PATTERN = "no pattern detected"
_PATTERNS = ("new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
             "oscillating", "historical")
CATEGORIES: tuple[str, ...] = (*(f"{p} {side} spot" for side in ("hot", "cold")
                                 for p in _PATTERNS), NO_PATTERN)
"""Every class a cell can get: the 8 hot, the 8 cold, and no pattern."""

_FREQS = {"week": "W-SUN", "month": "M"}  # weeks run Monday to Sunday


def _z_p(s: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Continuity-corrected z = (S - sign(S)) / sqrt(Var(S)) and its two-sided normal p."""
    sd = np.sqrt(np.maximum(var, 0.0))
    z = np.divide(s - np.sign(s), sd, out=np.zeros_like(s), where=sd > 0)
    return z, 2 * ndtr(-np.abs(z))


def mann_kendall(series: np.ndarray) -> tuple[float, float, float]:
    """Mann-Kendall trend test of one series: (S, z, two-sided p); NaN values are dropped.

    S = sum over i < j of sign(x_j - x_i); Var(S) = [n(n-1)(2n+5) - sum t(t-1)(2t+5)] / 18
    over groups of t tied values (Kendall 1975; Gilbert 1987).

    >>> [round(v, 4) for v in mann_kendall(np.array([1, 2, 3, 4, 5]))]
    [10.0, 2.2045, 0.0275]
    """
    x = np.asarray(series, dtype=float).ravel()
    x = x[np.isfinite(x)]
    n = len(x)
    s = float(sum(np.sign(x[j] - x[i]) for i in range(n) for j in range(i + 1, n)))
    t = np.unique(x, return_counts=True)[1]
    var = (n * (n - 1) * (2 * n + 5) - np.sum(t * (t - 1) * (2 * t + 5))) / 18
    z, p = _z_p(np.array([s]), np.array([var], dtype=float))
    return s, float(z[0]), float(p[0])


def mann_kendall_many(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`mann_kendall` of every row (rows = cells, columns = time slices) at once."""
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2:
        msg = f"matrix must be 2-d (cells x slices), not {x.ndim}-d"
        raise ValueError(msg)
    rows, cols = x.shape
    s = np.zeros(rows)
    for i in range(cols - 1):  # NaN differences give NaN signs, which nansum skips
        s += np.nansum(np.sign(x[:, i + 1:] - x[:, i:i + 1]), axis=1)
    n = np.isfinite(x).sum(axis=1)
    ordered = np.sort(x, axis=1)  # NaN last; NaN == NaN is False, so NaN never ties
    same = ordered[:, 1:] == ordered[:, :-1]
    run = np.ones(x.shape)  # length of the tie run so far
    for j in range(1, cols):
        run[:, j] = np.where(same[:, j - 1], run[:, j - 1] + 1, 1)
    ends = np.ones(x.shape, dtype=bool)
    ends[:, :-1] = ~same
    ties = np.sum(np.where(ends, run * (run - 1) * (2 * run + 5), 0.0), axis=1)
    z, p = _z_p(s, (n * (n - 1) * (2 * n + 5) - ties) / 18)
    return s, z, p


def slice_times(times_utc: pd.Series, *, freq: str = "month", tz: str = "Europe/Belgrade"
                ) -> tuple[np.ndarray, list[str]]:
    """Slice of each time (local ``"week"`` from Monday, or ``"month"``) and every slice's label.

    Labels run from the first slice to the last, empty ones included: ``"2025-01"`` for months,
    ISO weeks like ``"2025-W02"`` for weeks.

    >>> idx, labels = slice_times(pd.Series(pd.to_datetime(
    ...     ["2025-01-31 23:30", "2025-03-02 10:00"], utc=True)))
    >>> idx.tolist(), labels
    ([0, 1], ['2025-02', '2025-03'])
    """
    if freq not in _FREQS:
        msg = f"freq must be 'week' or 'month', not {freq!r}"
        raise UsageError(msg)
    index = pd.DatetimeIndex(times_utc)
    if index.tz is None:
        index = index.tz_localize("UTC")
    if index.isna().any():
        msg = f"{int(index.isna().sum())} times are missing (NaT); drop or fix those rows first"
        raise ValueError(msg)
    if len(index) == 0:
        return np.zeros(0, dtype=np.intp), []
    periods = index.tz_convert(tz).tz_localize(None).to_period(_FREQS[freq])
    first = periods.min()
    every = pd.period_range(first, periods.max(), freq=_FREQS[freq])
    labels = (every.strftime("%Y-%m") if freq == "month"
              else every.start_time.strftime("%G-W%V"))
    return (periods.asi8 - first.ordinal).astype(np.intp), list(labels)


def complete_slices(labels: list[str], *, freq: str, first_day, last_day
                    ) -> tuple[np.ndarray, list[str]]:
    """Which slices the data cover enough to test, and a note for each one left out.

    ``first_day`` and ``last_day`` are the local dates the data cover (inclusive). Only the
    first and the last slice can be incomplete; each is kept when the data cover at least
    :data:`COMPLETE_SHARE` of its days.

    >>> keep, notes = complete_slices(["2025-01", "2025-02", "2025-03"], freq="month",
    ...                               first_day="2025-01-01", last_day="2025-03-05")
    >>> keep.tolist(), notes
    ([True, True, False], ['the last slice, 2025-03, holds only 5 of its 31 days'])
    """
    keep = np.ones(len(labels), dtype=bool)
    if not labels:
        return keep, []
    first, last = pd.Timestamp(first_day).normalize(), pd.Timestamp(last_day).normalize()
    notes = []
    for end, t in (("first", 0), ("last", len(labels) - 1)):
        if end == "last" and len(labels) == 1 and not keep[0]:
            break
        period = _label_period(labels[t], freq)
        start, stop = period.start_time.normalize(), period.end_time.normalize()
        days = (stop - start).days + 1
        covered = (min(stop, last) - max(start, first)).days + 1
        if covered < COMPLETE_SHARE * days:
            keep[t] = False
            notes.append(f"the {end} slice, {labels[t]}, holds only {covered} of its {days} days")
    return keep, notes


def _label_period(label: str, freq: str) -> pd.Period:
    """The local week or month a slice label names (``2025-03``, ``2025-W02``)."""
    if freq == "month":
        return pd.Period(label, freq="M")
    year, week = label.split("-W")
    return pd.Period(pd.Timestamp.fromisocalendar(int(year), int(week), 1), freq=_FREQS[freq])


def _check_levels(alpha: float, min_bin: int) -> None:
    if not 0 < alpha < 1:
        msg = f"alpha must lie between 0 and 1, not {alpha}; 0.05 is usual"
        raise ValueError(msg)
    if min_bin not in (1, 2, 3):
        msg = f"min_bin must be 1, 2 or 3 (90, 95, 99 % confidence), not {min_bin}"
        raise ValueError(msg)


def _most(flags: np.ndarray) -> bool:
    """At least 90 % of the slices (Esri's "ninety percent of the time-step intervals")."""
    return 10 * int(flags.sum()) >= 9 * len(flags)


def _final_run(flags: np.ndarray) -> int:
    """How many slices at the end are flagged without a break."""
    off = np.flatnonzero(~flags)
    return len(flags) - 1 - int(off[-1]) if len(off) else len(flags)


def _pattern(same: np.ndarray, opposite: np.ndarray, trend: int) -> str:
    """Pattern of a series significant on one side in its final slice; ``trend`` +1 means
    significantly more intense on that side, -1 less, 0 no significant trend."""
    if _most(same):
        return {1: "intensifying", -1: "diminishing"}.get(trend, "persistent")
    if opposite.any():
        return "oscillating"
    count = int(same.sum())
    if count == 1:
        return "new"
    return "consecutive" if _final_run(same) == count else "sporadic"


def classify(bins_row: np.ndarray, trend_z: float, trend_p: float, alpha: float = 0.05, *,
             min_bin: int = 1) -> str:
    """Esri emerging hot spot class of one cell from its Gi* bins per slice and its trend.

    ``trend_z`` and ``trend_p`` are the Mann-Kendall z and p of the cell's Gi* z-scores; a
    slice is significant from bin ``min_bin``, a trend when p <= ``alpha``. See the module
    notes for the precedence rules.

    >>> classify(np.array([0] * 9 + [1, 3, 2]), 2.5, 0.01)
    'consecutive hot spot'
    """
    _check_levels(alpha, min_bin)
    bins_row = np.asarray(bins_row, dtype=int)
    if bins_row.size == 0:
        return NO_PATTERN
    hot, cold = bins_row >= min_bin, bins_row <= -min_bin
    trend = int(np.sign(trend_z)) if np.isfinite(trend_p) and trend_p <= alpha else 0
    if hot[-1]:
        return f"{_pattern(hot, cold, trend)} hot spot"
    if cold[-1]:
        return f"{_pattern(cold, hot, -trend)} cold spot"
    if _most(hot):
        return "historical hot spot"
    if _most(cold):
        return "historical cold spot"
    return NO_PATTERN


def classify_many(bins: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray,
                  alpha: float = 0.05, *, min_bin: int = 1) -> np.ndarray:
    """:func:`classify` of every row of ``bins`` (cells x slices), as an object array.

    A class depends only on which slices are hot or cold and on the trend's direction, so
    each distinct pattern of those is classified once (a Python call per cell took seconds
    at 100,000 cells).
    """
    _check_levels(alpha, min_bin)
    bins = np.asarray(bins, dtype=int).reshape(len(trend_z), -1)
    trend_z, trend_p = np.asarray(trend_z, dtype=float), np.asarray(trend_p, dtype=float)
    if not len(bins):
        return np.zeros(0, dtype=object)
    with np.errstate(invalid="ignore"):
        trend = np.where(np.isfinite(trend_p) & (trend_p <= alpha), np.sign(trend_z), 0)
    pattern = np.column_stack([bins >= min_bin, bins <= -min_bin, trend]).astype(np.int8)
    _, first, which = np.unique(pattern, axis=0, return_index=True, return_inverse=True)
    names = np.array([classify(bins[i], trend_z[i], trend_p[i], alpha, min_bin=min_bin)
                      for i in first], dtype=object)
    return names[which.reshape(-1)]


@dataclass
class EmergingHotSpots:
    """Emerging hot spot classes per cell, with the warnings to show beside the map.

    ``frame`` is indexed by cell (``uint64``, input order) with columns ``category`` (one of
    :data:`CATEGORIES`), ``trend_z`` and ``trend_p`` (Mann-Kendall of the Gi* z-scores),
    ``hot_slices`` and ``cold_slices`` (significant slices of each side) and ``last_bin``.
    ``bins`` holds the Gi* bins, cells x ``slices``.
    """

    frame: pd.DataFrame
    slices: list[str]
    bins: np.ndarray
    warnings: list[str]


def _gi_notes(notes_by_slice: list[list[str]], labels: list[str]) -> list[str]:
    """Per-slice Gi* warnings, alike ones (equal but for their figures) said once."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for t, notes in enumerate(notes_by_slice):
        for note in notes:
            groups.setdefault(re.sub(r"\d[\d,.]*", "#", note), []).append((t, note))
    out = []
    for found in groups.values():
        first_t, first_note = found[0]
        names = ", ".join(labels[t] for t, _ in found[:3]) + (", ..." if len(found) > 3 else "")
        where = (f"Every slice ({names})" if len(found) == len(labels)
                 else f"{len(found)} of {len(labels)} slices ({names})")
        same = all(note == first_note for _, note in found)
        out.append(f"{where}: {first_note}"
                   + ("" if same else f" (figures for {labels[first_t]})"))
    return out


def emerging_hot_spots(incidents: pd.DataFrame, cells: np.ndarray, *, res: int,
                       freq: str = "month", k_ring: int = 1, inference: str = "analytic",
                       permutations: int = DEFAULT_PERMUTATIONS, seed: int = 2025,
                       alpha: float = 0.05, min_bin: int = 1, period: tuple | None = None,
                       tz: str = "Europe/Belgrade", positions: np.ndarray | None = None,
                       neighbours: sp.csr_matrix | None = None) -> EmergingHotSpots:
    """Emerging hot and cold spots of incidents over the given cells, by week or month.

    Parameters
    ----------
    incidents
        Columns ``lat``, ``lng`` (WGS84) and ``time`` (UTC), and optionally ``count`` (the
        incidents each row stands for); every point must fall in ``cells``.
    cells
        ``uint64`` H3 cells of resolution ``res``, each once (the study area).
    freq
        ``"week"`` or ``"month"`` in local time (Europe/Belgrade).
    k_ring, inference, permutations
        Gi* neighbourhood radius and inference, passed to
        :func:`geo.analysis.hotspots.hot_spots` (with FDR); with permutations slice ``t`` uses
        seed ``seed + t``.
    alpha, min_bin
        Significance of the trend, and the smallest Gi* bin that makes a slice a hot (cold)
        spot; see the module notes.
    period
        (first, last) times the data cover (UTC); by default the first and last incident.
        Incomplete first and last slices are left out (see the module notes).
    positions, neighbours
        Each incident's row in ``cells`` and ``neighbour_matrix(cells, k=k_ring)``, when the
        caller has them already.
    """
    missing = [c for c in ("lat", "lng", "time") if c not in incidents.columns]
    if missing:
        msg = f"incidents lack column(s) {missing}; columns are {list(incidents.columns)}"
        raise ValueError(msg)
    _check_levels(alpha, min_bin)  # before the slow part
    cells = np.asarray(cells, dtype=np.uint64)
    if positions is None:
        order = np.argsort(cells)
        positions = order[cell_positions(points_to_cells(
            incidents["lat"].to_numpy(), incidents["lng"].to_numpy(), res=res), cells[order])]
    weights = incident_weights(incidents).astype(float)
    neighbours = given_neighbours(neighbours, cells, k=k_ring)
    slice_idx, labels = slice_times(incidents["time"], freq=freq, tz=tz)
    dropped: list[str] = []
    if labels:
        times = pd.DatetimeIndex(incidents["time"])
        first, last = period if period is not None else (times.min(), times.max())
        day = [pd.Timestamp(t).tz_convert(tz).tz_localize(None) for t in (first, last)]
        keep, dropped = complete_slices(labels, freq=freq, first_day=day[0], last_day=day[1])
        new_index = np.cumsum(keep) - 1
        inside = keep[slice_idx]
        positions, weights = positions[inside], weights[inside]
        slice_idx = new_index[slice_idx[inside]]
        labels = [lab for lab, k in zip(labels, keep, strict=True) if k]
    counts = np.bincount(positions * len(labels) + slice_idx, weights=weights,
                         minlength=len(cells) * len(labels)).reshape(len(cells), len(labels))
    gi_z = np.full(counts.shape, np.nan)
    bins = np.zeros(counts.shape, dtype=int)
    notes_by_slice = []
    for t in range(len(labels)):
        spots = hot_spots(counts[:, t], cells, k_ring=k_ring, inference=inference,
                          permutations=permutations, seed=seed + t, fdr=True,
                          neighbours=neighbours)
        gi_z[:, t] = spots.frame["gi_z"].to_numpy()
        bins[:, t] = spots.frame["bin"].to_numpy()
        notes_by_slice.append(spots.warnings)

    _, trend_z, trend_p = mann_kendall_many(gi_z)
    frame = pd.DataFrame({
        "category": classify_many(bins, trend_z, trend_p, alpha, min_bin=min_bin),
        "trend_z": trend_z, "trend_p": trend_p,
        "hot_slices": (bins >= min_bin).sum(axis=1),
        "cold_slices": (bins <= -min_bin).sum(axis=1),
        "last_bin": bins[:, -1] if labels else np.zeros(len(cells), dtype=int),
    }, index=pd.Index(cells, name="cell"))

    notes = []
    if dropped:
        notes.append("Incomplete slices left out: " + "; ".join(dropped) + ".")
    per_slice = counts.sum(axis=0).mean() if labels else 0.0
    if labels and (per_slice < 30 or per_slice < len(cells)):
        longer = "monthly slices, " if freq == "week" else ""
        notes.append(f"Too few incidents for {freq}ly slices: {per_slice:.0f} per slice on "
                     f"average over {len(cells)} cells, so a slice rarely shows a significant "
                     f"hot spot; use {longer}a coarser resolution or a longer period.")
    if len(labels) < MIN_SLICES:
        notes.append(f"Only {len(labels)} {freq} slices: the Mann-Kendall trend needs about "
                     f"{MIN_SLICES}, so intensifying, diminishing and persistent are unreliable;"
                     " use a longer period" + (" or weekly slices." if freq == "month" else "."))
    untested = [labels[t] for t in range(len(labels)) if np.isnan(gi_z[:, t]).all()]
    if untested:
        notes.append(f"{len(untested)} slice{'s' * (len(untested) > 1)} could not be tested "
                     f"({', '.join(untested[:3])}{', ...' if len(untested) > 3 else ''}): no "
                     "cell counts as a hot or cold spot there, and the trend leaves them out.")
    return EmergingHotSpots(frame=frame, slices=labels, bins=bins,
                            warnings=notes + _gi_notes(notes_by_slice, labels))
