"""Where to add posts: the maximal covering location problem, with existing posts kept.

Demand points are cell centres weighted by the band's incidents; a post covers the demand points
within ``reach_m`` metres (straight line in the area's UTM zone, as in
:func:`geo.analysis.presence.posts_to_presence`). Which points each site reaches is found from
a k-d tree and held as a sparse matrix: a site reaches a few dozen cells, and a full table of
distances for a country of 100,000 cells would not fit in memory. Existing posts are fixed
facilities of the maximal covering location problem (the model of PySAL spopt's ``MCLP``,
solved by HiGHS), which then chooses ``p`` new ones among the candidates to cover the most
incidents.

The best set of k posts need not be part of the best set of k + 1, so the model is solved
once for each k = 1..p: ``coverage[k]`` is the optimum with k new posts (for one post, the
candidate that reaches the most uncovered incidents, the first of equals, read without the
solver). The ``sites`` table
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
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.spatial import cKDTree

from geo.analysis.cells import cells_to_latlng, cells_to_str, points_to_cells
from geo.inputs.area import utm_crs_for

__all__ = ["Siting", "suggest_posts"]

MAX_TERMS = 300_000
"""Largest demand points x candidates model built (a few seconds per solve)."""
_QUERY_BLOCK = 4096
"""Facilities whose reach is looked up in one pairing of trees."""
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
    tree = cKDTree(client_xy)
    reach_existing = _cover(tree, client_xy, existing, to_m, reach_m)
    reach_cand = _cover(tree, client_xy, cand, to_m, reach_m)
    covered0 = _reached(reach_existing, slice(None))
    keep = _reduce(_drop_rows(reach_cand, covered0))
    limited = len(keep) * len(weight) > MAX_TERMS
    if limited:
        gain = _drop_rows(reach_cand[:, keep], covered0).T @ weight
        keep = np.sort(keep[np.argsort(-gain, kind="stable")[:max(1, MAX_TERMS // len(weight))]])
    reachable = weight[covered0 | _reached(reach_cand, keep)].sum() / total
    baseline = weight[covered0].sum() / total

    notes: list[str] = []
    coverage, chosen = [baseline], np.zeros(0, dtype=int)
    cover = sp.hstack([reach_existing, reach_cand[:, keep]], format="csr")
    for k in range(1, min(p, len(keep)) + 1):
        if coverage[-1] >= reachable - 1e-12:
            break
        chosen = keep[_best_one(_drop_rows(reach_cand[:, keep], covered0), weight) if k == 1
                      else _solve_mclp(cover, weight, len(existing), k)]
        coverage.append(weight[covered0 | _reached(reach_cand, chosen)].sum() / total)

    order, gains = _greedy_order(reach_cand[:, chosen], weight, covered0)
    chosen = chosen[order]
    need_at = np.flatnonzero(need)
    masks, so_far = [], np.zeros(len(weight), dtype=bool)
    for added in [covered0, *(_reached(reach_cand, [j]) for j in chosen)]:
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


def _cover(tree: cKDTree, client_xy: np.ndarray, latlng: np.ndarray,
           to_m: pyproj.Transformer, reach_m: float) -> sp.csc_matrix:
    """Which clients (rows) each (lat, lng) point (columns) reaches, as a sparse boolean matrix.

    The trees propose the pairs a little beyond the reach; each is then kept by its plain
    metre distance, so the boundary falls exactly where a full distance table would put it.
    Points are paired a block at a time (a tree of the block against the clients' tree, the
    pairs as arrays), which bounds the memory however many points a country holds.
    """
    x, y = (np.asarray(v, dtype=float).reshape(-1) for v in to_m.transform(latlng[:, 1],
                                                                           latlng[:, 0]))
    rows, cols = [], []
    for first in range(0, len(x), _QUERY_BLOCK):
        block = cKDTree(np.column_stack([x[first:first + _QUERY_BLOCK],
                                         y[first:first + _QUERY_BLOCK]]))
        pairs = block.sparse_distance_matrix(tree, reach_m * (1 + 1e-9) + 1e-6,
                                             output_type="ndarray")
        row, col = pairs["j"].astype(np.int64), pairs["i"].astype(np.int64) + first
        near = np.hypot(client_xy[row, 0] - x[col], client_xy[row, 1] - y[col]) <= reach_m
        rows.append(row[near])
        cols.append(col[near])
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    return sp.csc_matrix((np.ones(len(row), dtype=bool), (row, col)),
                         shape=(len(client_xy), len(x)))


def _reached(cover: sp.csc_matrix, columns) -> np.ndarray:
    """Mask over the rows: those that any of ``columns`` reaches."""
    mask = np.zeros(cover.shape[0], dtype=bool)
    mask[cover[:, columns].indices] = True
    return mask


def _drop_rows(cover: sp.csc_matrix, rows: np.ndarray) -> sp.csc_matrix:
    """``cover`` without the pairs of the masked rows (already covered demand)."""
    kept = sp.csc_matrix(cover, dtype=bool, copy=True)
    kept.data &= ~rows[kept.indices]
    kept.eliminate_zeros()
    return kept


def _reduce(open_reach) -> np.ndarray:
    """Candidates that cover uncovered demand, neither duplicated nor dominated by another.

    ``open_reach`` (demand points x candidates, dense or sparse) says which uncovered points
    each candidate reaches. Of candidates reaching the same points the first is kept; one whose
    points another reaches too, with more besides, is dropped.
    """
    # a candidate reaches a few dozen points: the overlaps are sparse, and a dense product
    # of candidates x points x candidates would take seconds on a city
    sets = sp.csc_matrix(open_reach, dtype=np.int32)
    sets.eliminate_zeros()
    useful = np.flatnonzero(np.diff(sets.indptr))
    if not len(useful):
        return useful
    sets = sets[:, useful]
    size = np.diff(sets.indptr)
    shared = (sets.T @ sets).tocoo()  # points reached by both candidates
    inside = shared.data == size[shared.row]  # the row's points are all the column's
    bigger = size[shared.col] > size[shared.row]
    earlier_twin = (size[shared.col] == size[shared.row]) & (shared.col < shared.row)
    dropped = np.zeros(len(useful), bool)
    dropped[shared.row[inside & (bigger | earlier_twin)]] = True
    return useful[~dropped]


def _best_one(open_reach: sp.csc_matrix, weight: np.ndarray) -> np.ndarray:
    """The covering model's answer for one new post, without the model: the candidate that
    reaches the most demand the existing posts leave uncovered (the first of equals). It is
    the model's optimum (one open site beside the fixed ones covers what they cover and its
    own uncovered points), and a solver's setup costs more than this product."""
    return np.array([int(np.argmax(open_reach.T @ weight))])


def _solve_mclp(cover, weight: np.ndarray, n_fixed: int, k: int) -> np.ndarray:
    """Indices (among the non-fixed columns of ``cover``) of the k new facilities MCLP picks.

    ``cover`` (demand points x facilities, sparse or dense boolean) says which points each
    facility covers. The model is Church and ReVelle's, as spopt's ``MCLP`` states it: a 0/1
    variable per facility and per demand point, a point counted only when an open facility
    covers it, ``n_fixed + k`` facilities open, the first ``n_fixed`` fixed open, the covered
    weight maximised. It is written here as sparse matrices for HiGHS (scipy's ``milp``)
    instead of through spopt because spopt builds it through PuLP one Python expression per
    demand point: seconds per solve on a city of thousands of cells, and the privacy gate
    solves it once more on the published counts. The tests hold it to a brute force over
    every site set and to spopt itself.
    """
    cover = sp.csr_matrix(cover, dtype=float)
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


def _greedy_order(reach: sp.csc_matrix, weight: np.ndarray, covered: np.ndarray):
    """Column order by largest added weight in turn, and each column's added weight."""
    covered, left = covered.copy(), list(range(reach.shape[1]))
    rows = [reach.indices[reach.indptr[j]:reach.indptr[j + 1]] for j in left]
    order, gains = [], []
    while left:
        added = [weight[rows[j][~covered[rows[j]]]].sum() for j in left]
        best = left.pop(int(np.argmax(added)))
        order.append(best)
        gains.append(float(max(added)))
        covered[rows[best]] = True
    return np.array(order, dtype=int), np.array(gains)


def _sites_frame(rows: list) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=SITE_COLUMNS)
    return frame.astype({"rank": int, "cell": object, "lat": float, "lng": float,
                         "covered_incidents_added": float, "coverage_after": float})
