"""Where to add posts: the maximal covering location problem, with existing posts kept.

Demand points are cell centres weighted by the band's incidents; a post covers the demand points
within ``reach_m`` metres (straight line in the area's UTM zone, as in
:func:`geo.analysis.presence.posts_to_presence`). Existing posts are fixed facilities of the
maximal covering location problem (the model of PySAL spopt's ``MCLP``, solved by HiGHS),
which then chooses ``p`` new ones among the candidates to cover the most incidents.

The best set of k posts need not be part of the best set of k + 1, so the model is solved
once for each k = 1..p: ``coverage[k]`` is the optimum with k new posts. The ``sites`` table
lists the largest solution's posts, ranked by what each adds in turn (greedily, within that
solution); when a smaller optimum is not part of it, a note says so.

Only demand points with incidents enter the model, and only candidates within reach of an
incident that existing posts leave uncovered; of candidates covering the same uncovered points
the first is kept, and a candidate whose uncovered points another covers too is dropped. None
of this changes the optimum. When the model (demand points x candidates) still exceeds
``MAX_TERMS`` only the candidates reaching the most uncovered incidents are
kept, and a note says the answer is the best among them.

Church, R. & ReVelle, C. (1974). The maximal covering location problem. Papers of the
Regional Science Association 32, 101-118.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import h3
import numpy as np
import pandas as pd
import pyproj

from geo.analysis.cells import cells_to_latlng, cells_to_str, points_to_cells
from geo.inputs.area import utm_crs_for

__all__ = ["Siting", "suggest_posts"]

MAX_TERMS = 300_000
"""Largest demand points x candidates model built (a few seconds per solve)."""
SITE_COLUMNS = ["rank", "cell", "lat", "lng", "covered_incidents_added", "coverage_after"]


@dataclass
class Siting:
    """Suggested new posts, and the share of incidents covered before and after them.

    ``sites`` has one row per new post (columns ``SITE_COLUMNS``) in the order they add
    coverage; ``coverage[k]`` is the best share covered with k new posts (``coverage[0]`` is
    the existing posts' ``baseline_coverage``). Shares are NaN when the band has no incidents.
    """

    sites: pd.DataFrame
    baseline_coverage: float
    coverage: list[float]
    reach_m: float
    band: str
    notes: list[str] = field(default_factory=list)
    demand_total: float = float("nan")
    """Incidents in the band: the shares' denominator."""
    covered_cells: list[np.ndarray] = field(default_factory=list)
    """Masks over the cells: those existing posts cover (first), then those each new post adds,
    in rank order (cells with incidents only)."""


def suggest_posts(demand: np.ndarray, cells: np.ndarray, *,
                  existing_latlng: np.ndarray | None = None,
                  candidates_latlng: np.ndarray | None = None, p: int = 2,
                  reach_m: float = 400.0, band: str = "all") -> Siting:
    """Up to ``p`` new posts that cover the most incidents, existing posts kept.

    Parameters
    ----------
    demand
        Incidents per cell of ``cells`` in the band (non-negative).
    cells
        ``uint64`` H3 cells; their centres are the demand points.
    existing_latlng, candidates_latlng
        (n, 2) arrays of (lat, lng); candidates default to the cell centres.
    reach_m
        A post covers demand points within this many metres.

    Examples
    --------
    >>> cells = np.sort(points_to_cells(np.array([42.8895, 42.9000]), np.array([20.8665, 20.845])))
    >>> suggest_posts(np.array([1.0, 1.0]), cells, p=3).coverage
    [0.0, 0.5, 1.0]
    """
    demand = np.asarray(demand, dtype=float)
    cells = np.asarray(cells, dtype=np.uint64)
    existing = _latlng_array(existing_latlng, "existing_latlng")
    if len(demand) != len(cells) or not np.isfinite(demand).all() or (demand < 0).any():
        msg = (f"demand must hold one finite, non-negative count per cell: {len(demand)} "
               f"values for {len(cells)} cells, {np.sum(~np.isfinite(demand))} not finite, "
               f"{np.sum(demand < 0)} negative")
        raise ValueError(msg)
    if p < 0 or reach_m <= 0:
        msg = f"p must be >= 0 and reach_m > 0, not p={p}, reach_m={reach_m}"
        raise ValueError(msg)
    total = float(demand.sum())
    if total == 0:
        return Siting(_sites_frame([]), np.nan, [np.nan], reach_m, band,
                      [f"no incidents in band {band!r}: nothing to cover, no post suggested."])
    lat, lng = cells_to_latlng(cells)
    if candidates_latlng is None:
        cand, cand_cells = np.column_stack([lat, lng]), cells
    else:
        cand = _latlng_array(candidates_latlng, "candidates_latlng")
        res = h3.get_resolution(cells_to_str(cells[:1])[0])
        cand_cells = points_to_cells(cand[:, 0], cand[:, 1], res=res)

    to_m = pyproj.Transformer.from_crs(
        4326, utm_crs_for(float(np.mean(lat)), float(np.mean(lng))), always_xy=True)
    need = demand > 0
    weight = demand[need]
    client_xy = np.column_stack(to_m.transform(lng[need], lat[need]))
    dist_existing = _distances(client_xy, existing, to_m)
    dist_cand = _distances(client_xy, cand, to_m)
    covered0 = (dist_existing <= reach_m).any(axis=1)
    reach_cand = dist_cand <= reach_m
    open_reach = reach_cand & ~covered0[:, None]
    keep = _reduce(open_reach)
    limited = len(keep) * len(weight) > MAX_TERMS
    if limited:
        gain = weight @ open_reach[:, keep]
        keep = np.sort(keep[np.argsort(-gain, kind="stable")[:max(1, MAX_TERMS // len(weight))]])
    reachable = weight[covered0 | reach_cand[:, keep].any(axis=1)].sum() / total
    baseline = weight[covered0].sum() / total

    notes: list[str] = []
    coverage, chosen = [baseline], np.zeros(0, dtype=int)
    cost = np.hstack([dist_existing, dist_cand[:, keep]])
    for k in range(1, min(p, len(keep)) + 1):
        if coverage[-1] >= reachable - 1e-12:
            break
        chosen = keep[_solve_mclp(cost, weight, reach_m, len(existing), k)]
        coverage.append(weight[covered0 | reach_cand[:, chosen].any(axis=1)].sum() / total)

    order, gains = _greedy_order(reach_cand[:, chosen], weight, covered0)
    chosen = chosen[order]
    need_at = np.flatnonzero(need)
    masks, so_far = [], np.zeros(len(weight), dtype=bool)
    for added in [covered0, *(reach_cand[:, j] for j in chosen)]:
        mask = np.zeros(len(cells), dtype=bool)
        mask[need_at[added & ~so_far]] = True
        masks.append(mask)
        so_far |= added
    after = baseline + np.cumsum(gains) / total
    sites = _sites_frame(list(zip(range(1, len(chosen) + 1), cells_to_str(cand_cells[chosen]),
                                  cand[chosen, 0], cand[chosen, 1], gains, after, strict=True)))
    if baseline >= 1 - 1e-12:
        notes.append(f"existing posts already cover every incident in band {band!r}.")
    elif not len(keep):
        notes.append(f"no candidate site lies within {reach_m:.0f} m of the incidents that "
                     "existing posts leave uncovered.")
    if 0 < len(sites) < p:
        notes.append(f"only {len(sites)} of the {p} requested posts add coverage: with them "
                     f"{coverage[-1]:.0%} of incidents are covered, all that any candidate "
                     f"within {reach_m:.0f} m can reach.")
    if limited:
        notes.append(f"only the {len(keep)} candidate sites that reach the most uncovered "
                     "incidents were considered (model size limit): the suggestion is the best "
                     "among them; use coarser cells or fewer candidates for an exact answer.")
    if not np.allclose(after, coverage[1:], rtol=0, atol=1e-9):
        notes.append("the best sets of fewer posts are not all part of the suggested set: "
                     "coverage lists each optimum, the table ranks the suggested set's posts "
                     "by what each adds in turn.")
    return Siting(sites, float(baseline), [float(c) for c in coverage], reach_m, band, notes,
                  total, masks)


def _latlng_array(points, name: str) -> np.ndarray:
    """An (n, 2) float array of (lat, lng); (0, 2) for None."""
    arr = np.zeros((0, 2)) if points is None else np.asarray(points, dtype=float)
    if arr.size == 0:
        return np.zeros((0, 2))
    if arr.ndim != 2 or arr.shape[1] != 2 or not np.isfinite(arr).all():
        msg = f"{name} must be an (n, 2) array of finite (lat, lng), not shape {arr.shape}"
        raise ValueError(msg)
    return arr


def _distances(client_xy: np.ndarray, latlng: np.ndarray, to_m: pyproj.Transformer):
    """Metres from each client (rows) to each (lat, lng) point (columns)."""
    x, y = to_m.transform(latlng[:, 1], latlng[:, 0])
    return np.hypot(client_xy[:, :1] - np.asarray(x)[None, :],
                    client_xy[:, 1:] - np.asarray(y)[None, :])


def _reduce(open_reach: np.ndarray) -> np.ndarray:
    """Candidates that cover uncovered demand, neither duplicated nor dominated by another."""
    useful = np.flatnonzero(open_reach.any(axis=0))
    if not len(useful):
        return useful
    packed = np.packbits(open_reach[:, useful], axis=0).T
    useful = useful[np.sort(np.unique(packed, axis=0, return_index=True)[1])]
    import scipy.sparse as sp

    # a candidate reaches a few dozen points: the overlaps are sparse, and a dense product
    # of candidates x points x candidates would take seconds on a city
    sets = sp.csc_matrix(open_reach[:, useful], dtype=np.int32)
    size = np.asarray(sets.sum(axis=0)).ravel()
    shared = (sets.T @ sets).tocoo()  # points covered by both candidates
    inside = (shared.data == size[shared.row]) & (size[shared.col] > size[shared.row])
    dominated = np.zeros(len(useful), bool)
    dominated[shared.row[inside]] = True
    return useful[~dominated]


def _solve_mclp(cost: np.ndarray, weight: np.ndarray, reach_m: float, n_fixed: int,
                k: int) -> np.ndarray:
    """Indices (among the non-fixed columns of ``cost``) of the k new facilities MCLP picks.

    The model is Church and ReVelle's, as spopt's ``MCLP`` states it: a 0/1 variable per
    facility and per demand point, a point counted only when an open facility covers it,
    ``n_fixed + k`` facilities open, the first ``n_fixed`` fixed open, the covered weight
    maximised. It is written here as sparse matrices for HiGHS (scipy's ``milp``) instead
    of through spopt because spopt builds it through PuLP one Python expression per demand
    point: seconds per solve on a city of thousands of cells, and the privacy gate solves it
    once more on the published counts. The tests hold it to a brute force over every site
    set and to spopt itself.
    """
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    cover = sp.csr_matrix(cost <= reach_m, dtype=float)  # demand points x facilities
    n_points, n_sites = cover.shape
    counted = sp.hstack([-cover, sp.identity(n_points, format="csr")]).tocsr()
    opened = sp.csr_matrix(np.r_[np.ones(n_sites), np.zeros(n_points)][None, :])
    lower = np.zeros(n_sites + n_points)
    lower[:n_fixed] = 1.0
    result = milp(np.r_[np.zeros(n_sites), -np.asarray(weight, float)],
                  integrality=np.ones(n_sites + n_points), bounds=Bounds(lower, 1.0),
                  constraints=[LinearConstraint(counted, -np.inf, 0.0),
                               LinearConstraint(opened, n_fixed + k, n_fixed + k)])
    if result.x is None:
        msg = f"the covering model found no solution ({result.message})"
        raise RuntimeError(msg)
    is_open = result.x[:n_sites] > 0.5
    return np.flatnonzero(is_open[n_fixed:])


def _greedy_order(reach: np.ndarray, weight: np.ndarray, covered: np.ndarray):
    """Column order by largest added weight in turn, and each column's added weight."""
    covered, left = covered.copy(), list(range(reach.shape[1]))
    order, gains = [], []
    while left:
        added = [weight[reach[:, j] & ~covered].sum() for j in left]
        best = left.pop(int(np.argmax(added)))
        order.append(best)
        gains.append(float(max(added)))
        covered |= reach[:, best]
    return np.array(order, dtype=int), np.array(gains)


def _sites_frame(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=SITE_COLUMNS)
    return frame.astype({"rank": int, "cell": object, "lat": float, "lng": float,
                         "covered_incidents_added": float, "coverage_after": float})
