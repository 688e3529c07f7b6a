"""Concentration and hot-spot accuracy figures of incident counts per cell.

Every function takes ``counts``: whole, non-negative incident counts, one per cell. Cells are
ranked from most to fewest incidents, as in the crime-and-place literature.

References
----------
- Bernasco & Steenbeek (2017), More places than crimes: implications for evaluating the law of
  crime concentration at place, *J Quant Criminol* 33:451-467 (generalized Gini), and their R
  package ``lorenzgini`` (its small-sample correction); Deltas (2003), *Rev Econ Stat* 85:226-234.
- Chainey, Tompson & Uhlig (2008), The utility of hotspot mapping for predicting spatial
  patterns of crime, *Security Journal* 21:4-28 (Predictive Accuracy Index, PAI).
- Hunt (2016), Do crime hot spots move?, PhD thesis, American University; Drawve (2016),
  *Justice Quarterly* 33:369-397 (Predictive Efficiency Index, PEI).
- Levine (2008), The "hottest" part of a hotspot, *Security Journal* 21:295-302 (recapture rate).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["lorenz_curve", "gini", "generalized_gini", "concentration_gini",
           "share_of_cells_for", "pai", "pai_top", "recapture_rate", "concentration_summary",
           "predictive_accuracy"]

_TOL = 1e-9  # shares within this of a threshold count as reaching it (0.07 * 100 is 7.000000001)


def _as_counts(values: object, name: str = "counts") -> np.ndarray:
    """Validated float copy of per-cell counts; ValueError names the first bad cell."""
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.dtype.kind not in "biuf":
        msg = (f"{name} must be a 1-D array of numbers, one count per cell; "
               f"got shape {arr.shape}, dtype {arr.dtype}")
        raise ValueError(msg)
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.floor(arr))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        msg = (f"{name} must be non-negative whole numbers of incidents; cell {first} is "
               f"{arr[first]!r} ({int(bad.sum())} bad cells). Pass counts, not rates or changes.")
        raise ValueError(msg)
    return arr


def _per_cell(values: object, n: int, name: str, *, positive: bool = False) -> np.ndarray:
    """Validated float values, one per cell (``None``: all 1, i.e. equal areas)."""
    if values is None:
        return np.ones(n)
    arr = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(arr) & (arr > 0) if positive else np.isfinite(arr)
    if arr.shape != (n,) or not ok.all():
        kind = "positive finite" if positive else "finite"
        msg = f"{name} must be {n} {kind} numbers, one per cell; got shape {arr.shape}"
        raise ValueError(msg)
    return arr


def _as_mask(selected: object, n: int) -> np.ndarray:
    arr = np.asarray(selected)
    if arr.dtype != bool or arr.shape != (n,):
        msg = (f"selected must be a boolean mask with one value per cell, shape ({n},); "
               f"got dtype {arr.dtype}, shape {arr.shape}")
        raise ValueError(msg)
    return arr


def _descending(values: np.ndarray) -> np.ndarray:
    """Cell order from highest to lowest value; ties keep cell order (stable)."""
    return np.argsort(-values, kind="stable")


def lorenz_curve(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(share of cells, share of incidents), cells sorted from most to fewest incidents.

    The crime-concentration orientation: the curve starts at (0, 0), ends at (1, 1), is concave
    and lies on or above the diagonal (the diagonal is perfect equality). It has one point per
    cell plus the origin. With no cells or no incidents both arrays are empty.

    Examples
    --------
    >>> x, y = lorenz_curve([1, 3, 0, 0])
    >>> x.tolist(), y.tolist()
    ([0.0, 0.25, 0.5, 0.75, 1.0], [0.0, 0.75, 1.0, 1.0, 1.0])
    """
    arr = _as_counts(counts)
    total = arr.sum()
    if arr.size == 0 or total == 0:
        return np.empty(0), np.empty(0)
    ranked = arr[_descending(arr)]
    x = np.arange(arr.size + 1) / arr.size
    return x, np.concatenate(([0.0], np.cumsum(ranked) / total))


def gini(counts: np.ndarray, *, corrected: bool = False) -> float:
    """Classic Gini coefficient of incidents over cells, 0 (equal) to 1 (concentrated).

    ``G = (n + 1)/n - 2 * sum_j(j * c_j) / (n * N)`` with ``c_1 >= c_2 >= ...`` the counts of the
    ``n`` cells sorted from most incidents and ``N`` the incidents; equal to twice the area
    between the Lorenz curve and the diagonal. Uncorrected by default, as in Bernasco &
    Steenbeek (2017): all incidents in one cell gives ``(n - 1)/n``. ``corrected=True``
    multiplies by ``n/(n - 1)`` (Deltas 2003) so that case gives 1.

    NaN with no cells or no incidents (and, corrected, with a single cell).
    """
    arr = _as_counts(counts)
    n, total = arr.size, arr.sum()
    if n == 0 or total == 0 or (corrected and n < 2):
        return float("nan")
    ranked = arr[_descending(arr)]
    g = (n + 1) / n - 2.0 * float(np.arange(1, n + 1) @ ranked) / (n * total)
    if corrected:
        g *= n / (n - 1)
    return float(np.clip(round(g, 12), 0.0, 1.0))  # round off float noise: 0.78, not 0.7800...01


def generalized_gini(counts: np.ndarray, *, corrected: bool = False) -> float:
    """Generalized Gini of Bernasco & Steenbeek (2017) for sparse counts.

    With fewer incidents ``N`` than cells ``n``, no spreading of incidents can be more equal
    than one incident in each of ``N`` cells; the generalized Gini measures concentration
    against that *line of maximal equality given the data* (from (0, 0) to (N/n, 1) on the
    Lorenz plot) instead of the diagonal::

        G' = 1 - max(1, n/N) * (1 - G)

    with ``G`` the uncorrected classic Gini, so ``G' = G`` when ``N >= n``. ``G' = 0`` when every
    incident is in a different cell; all in one cell gives ``1 - 1/N``. ``corrected=True``
    multiplies by ``m/(m - 1)``, ``m = min(n, N)``, as in the authors' ``lorenzgini`` package,
    so that one cell holding everything gives 1. NaN with no incidents (corrected: ``m < 2``).

    Examples
    --------
    >>> gini([3, 1, 1, 0, 0, 0, 0, 0, 0, 0]), generalized_gini([3, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    (0.78, 0.56)
    """
    arr = _as_counts(counts)
    n, total = arr.size, arr.sum()
    m = min(n, total)
    if n == 0 or total == 0 or (corrected and m < 2):
        return float("nan")
    g = 1.0 - max(1.0, n / total) * (1.0 - gini(arr))
    if corrected:
        g *= m / (m - 1)
    return float(np.clip(round(g, 12), 0.0, 1.0))


def concentration_gini(counts: np.ndarray, *, corrected: bool = False) -> tuple[float, str]:
    """The Gini to quote: ``(generalized, "generalized")`` when incidents < cells, else classic.

    The two agree whenever incidents >= cells. With no incidents the value is NaN.
    """
    arr = _as_counts(counts)
    if arr.sum() < arr.size:
        return generalized_gini(arr, corrected=corrected), "generalized"
    return gini(arr, corrected=corrected), "classic"


def share_of_cells_for(counts: np.ndarray, share: float = 0.5) -> float:
    """Smallest share of cells, taken from most incidents down, that holds ``share`` of them.

    NaN with no cells or no incidents.

    Examples
    --------
    >>> share_of_cells_for([10, 5, 3, 1, 1], 0.5)
    0.2
    """
    arr = _as_counts(counts)
    if not 0 < share <= 1:
        msg = f"share must be in (0, 1], e.g. 0.5 for half of the incidents; got {share!r}"
        raise ValueError(msg)
    total = arr.sum()
    if arr.size == 0 or total == 0:
        return float("nan")
    cum = np.cumsum(arr[_descending(arr)])
    k = int(np.searchsorted(cum, share * total - _TOL * total, side="left")) + 1
    return min(k, arr.size) / arr.size


def pai(counts: np.ndarray, selected: np.ndarray, *, areas: np.ndarray | None = None) -> float:
    """Predictive Accuracy Index ``(n/N) / (a/A)`` of the selected cells (Chainey et al. 2008).

    ``n`` incidents and ``a`` area in the selection, ``N`` and ``A`` in all cells; ``areas`` per
    cell default to equal. NaN when there are no incidents or nothing is selected.

    Examples
    --------
    >>> pai([10, 2, 2, 2, 2, 2, 0, 0, 0, 0], np.arange(10) == 0)  # half the incidents, 10 % of area
    5.0
    """
    arr = _as_counts(counts)
    mask = _as_mask(selected, arr.size)
    area = _per_cell(areas, arr.size, "areas", positive=True)
    total = arr.sum()
    if total == 0 or not mask.any():
        return float("nan")
    return float((arr[mask].sum() / total) / (area[mask].sum() / area.sum()))


def _top_mask(order: np.ndarray, area: np.ndarray, share: float) -> np.ndarray:
    """Highest-ranked cells (``order``: cell order from the highest rank down) until their
    area reaches ``share`` of the total (at least one)."""
    cum = np.cumsum(area[order]) / area.sum()
    k = min(int(np.searchsorted(cum, share - _TOL, side="left")) + 1, order.size)
    mask = np.zeros(order.size, dtype=bool)
    mask[order[:k]] = True
    return mask


def pai_top(counts: np.ndarray, shares: Sequence[float] = (0.05, 0.10, 0.20), *,
            areas: np.ndarray | None = None, ranking: np.ndarray | None = None) -> pd.DataFrame:
    """PAI and PEI of the top ``shares`` of the area, cells ranked by ``ranking``.

    Cells are taken from the highest ``ranking`` down (default ``counts``, i.e. in-sample; ties
    keep cell order) until their area reaches the share, so a fractional number of cells is
    rounded up and at least one cell is taken: 5 % of 10 equal cells is one cell, 10 % of the
    area. PEI = PAI / PAI_max (Hunt 2016), PAI_max taken from the same rule with cells ranked by
    their density (counts per area; with equal areas, their counts), so ranking by the counts
    gives PEI = 1 on equal areas. With unequal ``areas`` the two selections can differ in area
    (the exact best selection is a knapsack problem), so PEI is approximate and can exceed 1.

    Returns one row per share: ``area_share`` (asked), ``cells``, ``selected_area_share``
    (taken), ``incidents_share``, ``pai``, ``pei``. Without incidents the last three are NaN.
    """
    arr = _as_counts(counts)
    area = _per_cell(areas, arr.size, "areas", positive=True)
    rank = arr if ranking is None else _per_cell(ranking, arr.size, "ranking")
    bad = [s for s in shares if not 0 < s <= 1]
    if bad:
        msg = f"shares must be in (0, 1], e.g. 0.05 for the top 5 % of the area; got {bad}"
        raise ValueError(msg)
    total, nan = arr.sum(), float("nan")
    rows = []
    order = _descending(rank)
    # by density; with equal areas and the counts as ranking, the same order
    by_density = order if ranking is None and areas is None else _descending(arr / area)
    for share in shares:
        mask = _top_mask(order, area, share)
        value = pai(arr, mask, areas=area)
        best = pai(arr, _top_mask(by_density, area, share), areas=area)
        rows.append((share, int(mask.sum()), area[mask].sum() / area.sum() if arr.size else nan,
                     arr[mask].sum() / total if total else nan, value, value / best))
    columns = ["area_share", "cells", "selected_area_share", "incidents_share", "pai", "pei"]
    return pd.DataFrame(rows, columns=columns)


def recapture_rate(counts_before: np.ndarray, counts_after: np.ndarray,
                   selected: np.ndarray) -> float:
    """Recapture Rate Index (Levine 2008): ``(n_after / n_before) / (N_after / N_before)``.

    ``n`` are incidents in the selected cells, ``N`` in all cells; above 1 the selection kept
    more than its share of incidents from one period to the next. NaN when any of
    ``n_before``, ``N_before`` or ``N_after`` is 0.

    Examples
    --------
    >>> recapture_rate([8, 4, 4, 4], [6, 2, 1, 1], np.array([True, False, False, False]))
    1.5
    """
    before = _as_counts(counts_before, "counts_before")
    after = _as_counts(counts_after, "counts_after")
    if before.shape != after.shape:
        msg = (f"counts_before and counts_after must cover the same cells; got {before.size} "
               f"and {after.size} cells")
        raise ValueError(msg)
    mask = _as_mask(selected, before.size)
    n_before, total_before, total_after = before[mask].sum(), before.sum(), after.sum()
    if n_before == 0 or total_before == 0 or total_after == 0:
        return float("nan")
    return float((after[mask].sum() / n_before) / (total_after / total_before))


def _best_pai(counts: np.ndarray, area: np.ndarray, share: float) -> float:
    """The highest PAI any choice of ``share`` of the area can have, cells taken densest first
    and the last one in part (the fractional knapsack bound)."""
    order = _descending(counts / area)
    want = share * area.sum()
    before = np.r_[0.0, np.cumsum(area[order])[:-1]]
    part = np.clip((want - before) / area[order], 0.0, 1.0)
    return float((part @ counts[order] / counts.sum()) / share)


def predictive_accuracy(train: np.ndarray, test: np.ndarray, *,
                        shares: Sequence[float] = (0.05, 0.10, 0.20),
                        areas: np.ndarray | None = None,
                        hot: np.ndarray | None = None) -> pd.DataFrame:
    """How well hot spots drawn from an earlier period predict a later one.

    The cells are chosen on ``train`` (incidents per cell of the earlier period): the densest
    cells (incidents per area) up to each share of the area, and, given ``hot`` (a mask, e.g.
    the earlier period's 95 % Gi* hot spots), those cells. Each choice is scored on ``test``
    (the later period): PAI = (n/N)/(a/A) (Chainey et al. 2008); PEI = PAI / PAI* with PAI* the
    best any choice of the same area could reach on the later period (Hunt 2016; with unequal
    areas, the densest cells filling that area with a part of the last one, a bound no whole
    choice exceeds, so PEI <= 1); and the
    recapture rate index RRI = (n_test / n_train) / (N_test / N_train) (Levine 2008).

    Returns one row per choice: ``selection`` (``top_5``, ``top_10``, ``top_20``,
    ``hot_spots``), ``cells``, ``area_share``, ``train_share`` and ``test_share`` (of the
    incidents in the chosen cells), ``pai``, ``pei`` and ``rri``; NaN where a period has no
    incidents or nothing is chosen.

    Examples
    --------
    >>> r = predictive_accuracy([9, 1, 0, 0, 0, 0, 0, 0, 0, 0], [4, 2, 1, 1, 1, 1, 0, 0, 0, 0],
    ...                         shares=(0.1,))
    >>> r[["cells", "test_share", "pai", "pei", "rri"]].round(2).to_dict("records")
    [{'cells': 1, 'test_share': 0.4, 'pai': 4.0, 'pei': 1.0, 'rri': 0.44}]
    """
    before = _as_counts(train, "train")
    after = _as_counts(test, "test")
    if before.shape != after.shape:
        msg = f"train and test must cover the same cells; got {before.size} and {after.size}"
        raise ValueError(msg)
    area = _per_cell(areas, before.size, "areas", positive=True)
    order = _descending(before / area)
    choices = [(f"top_{round(100 * s)}", _top_mask(order, area, s)) for s in shares]
    if hot is not None:
        choices.append(("hot_spots", _as_mask(np.asarray(hot, dtype=bool), before.size)))
    nan = float("nan")
    rows = []
    for name, mask in choices:
        taken = area[mask].sum() / area.sum() if mask.any() else nan
        value = pai(after, mask, areas=area)
        best = _best_pai(after, area, taken) if mask.any() and after.sum() else nan
        rows.append({"selection": name, "cells": int(mask.sum()), "area_share": taken,
                     "train_share": before[mask].sum() / before.sum() if before.sum() else nan,
                     "test_share": after[mask].sum() / after.sum() if after.sum() else nan,
                     "pai": value, "pei": value / best if best else nan,
                     "rri": recapture_rate(before, after, mask) if mask.any() else nan})
    return pd.DataFrame(rows)


def concentration_summary(counts: np.ndarray, *,
                          areas: np.ndarray | None = None) -> dict[str, float | int | str]:
    """The figures planners quote, in one dict; PAI values are in-sample (ranked by counts),
    over ``areas`` (the cells' areas inside the study area; default equal).

    Keys: ``incidents``, ``cells``, ``cells_with_incidents``, ``share_cells_50``, ``gini`` and
    ``gini_kind`` (from :func:`concentration_gini`), ``pai_5``, ``pai_10``, ``pai_20``.
    """
    arr = _as_counts(counts)
    value, kind = concentration_gini(arr)
    top = pai_top(arr, (0.05, 0.10, 0.20), areas=areas)["pai"].tolist()
    return {"incidents": int(arr.sum()), "cells": int(arr.size),
            "cells_with_incidents": int((arr > 0).sum()),
            "share_cells_50": share_of_cells_for(arr, 0.5), "gini": value, "gini_kind": kind,
            "pai_5": top[0], "pai_10": top[1], "pai_20": top[2]}
