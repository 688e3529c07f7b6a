"""Hot spots: Getis-Ord Gi* on cell counts, with neighbours from the H3 grid.

Each cell's neighbourhood is its k-ring (the cells within ``k`` grid steps, itself included).
The statistic is Gi* (Getis & Ord 1992; Ord & Getis 1995) as computed by PySAL's
``esda.G_Local(star=True, transform="B")``. Significance comes from conditional permutation
(the cell's own count is held fixed, the others are shuffled) with pseudo p = (M + 1) / (R + 1);
the p-values of all tested cells are adjusted for false discoveries (Benjamini & Hochberg 1995)
and reported as confidence bins like ArcGIS Hot Spot Analysis: +-3, +-2, +-1 for 99, 95, 90 %.

References
----------
Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance
statistics. Geographical Analysis 24(3), 189-206.
Ord, J. K. & Getis, A. (1995). Local spatial autocorrelation statistics: distributional issues
and an application. Geographical Analysis 27(4), 286-306.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. Journal of the Royal
Statistical Society B 57(1), 289-300.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import h3
import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import W

from geo.analysis._stats import bh_adjust
from geo.analysis.cells import cells_to_str, str_to_cells

__all__ = ["MIN_NEIGHBOURHOOD_INCIDENTS", "HotSpots", "cell_weights", "hot_spots"]

MIN_NEIGHBOURHOOD_INCIDENTS = 3
"""A hot spot needs at least this many incidents in its neighbourhood (k-ring, self included)."""

_LEVELS = ((0.01, 3), (0.05, 2), (0.10, 1))  # (largest p, bin) from the strictest level down


@dataclass
class HotSpots:
    """Gi* hot spots of one set of cells, with the warnings to show beside the map.

    ``frame`` is indexed by cell (``uint64``, input order) with columns ``gi_z`` (Gi* z-score),
    ``p_sim`` (two-sided permutation pseudo p), ``q`` (Benjamini-Hochberg adjusted p), ``bin``
    (-3..3, positive = hot) and ``sparse`` (fewer than 3 incidents in the neighbourhood).
    Untested cells (islands, a cell whose neighbourhood is every cell, or all cells when the test
    was skipped) have NaN z, p and q, and bin 0.
    """

    frame: pd.DataFrame
    warnings: list[str]
    permutations: int
    k: int
    alpha_fdr: bool


def _neighbour_matrix(cells: np.ndarray, k: int) -> sp.csr_matrix:
    """Binary n x n matrix: 1 where two given cells are 1..k grid steps apart."""
    n = len(cells)
    if n == 0:
        return sp.csr_matrix((0, 0))
    order = np.argsort(cells)
    ordered = cells[order]
    rows, found = [], []
    for i, cell in enumerate(cells_to_str(cells)):
        disk = str_to_cells(h3.grid_disk(cell, k))
        rows.append(np.full(len(disk), i))
        found.append(disk)
    rows_all, found_all = np.concatenate(rows), np.concatenate(found)
    pos = np.minimum(np.searchsorted(ordered, found_all), n - 1)
    cols = order[pos]
    keep = (ordered[pos] == found_all) & (cols != rows_all)
    return sp.csr_matrix((np.ones(keep.sum()), (rows_all[keep], cols[keep])), shape=(n, n))


def cell_weights(cells: np.ndarray, *, k: int = 1) -> W:
    """Binary spatial weights from the H3 grid: each cell's neighbours are its k-ring.

    Ids are positions ``0..n-1`` in ``cells``; only cells in ``cells`` count as neighbours, so
    a cell with none of its k-ring in the set is an island (listed in ``W.islands``).

    >>> centre = h3.latlng_to_cell(42.8895, 20.8665, 9)
    >>> w = cell_weights(str_to_cells(h3.grid_disk(centre, 1)))
    >>> sorted(w.cardinalities.values())
    [3, 3, 3, 3, 3, 3, 6]
    """
    cells = np.asarray(cells, dtype=np.uint64)
    if k < 1:
        msg = f"k must be 1 or more grid steps, not {k}"
        raise ValueError(msg)
    if len(np.unique(cells)) != len(cells):
        msg = "cells contain duplicates; pass each cell once"
        raise ValueError(msg)
    m = _neighbour_matrix(cells, k)
    neighbors = {i: m.indices[m.indptr[i]:m.indptr[i + 1]].tolist() for i in range(len(cells))}
    # W() and not W.from_sparse: from_sparse drops islands from the ids (libpysal 4.14)
    return W(neighbors, id_order=list(range(len(cells))), silence_warnings=True)


def _bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Confidence bins -3..3: the level from ``p``, the sign from ``z`` (NaN gives 0)."""
    level = np.select([p <= alpha for alpha, _ in _LEVELS], [b for _, b in _LEVELS], 0)
    return (level * np.sign(np.nan_to_num(z))).astype(int)


def _two_sided_p(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    """Two-sided pseudo p: twice the smaller tail, ties counted in both tails, at most 1."""
    tol = 1e-9 * np.abs(observed)[:, None]  # the same sum can differ in the last bit
    upper = (simulated >= observed[:, None] - tol).sum(axis=1)
    lower = (simulated <= observed[:, None] + tol).sum(axis=1)
    tails = (np.minimum(upper, lower) + 1) / (simulated.shape[1] + 1)
    return np.minimum(2 * tails, 1.0)


def _gi_star(y: np.ndarray, w: W, permutations: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided pseudo p from esda, leaving numpy's global RNG untouched."""
    from esda import G_Local

    state = np.random.get_state()  # esda seeds the global RNG
    try:
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", DeprecationWarning)  # esda's `alternative` notice
            warnings.filterwarnings("ignore", "The weights matrix is not fully connected")
            g = G_Local(y, w, transform="B", permutations=permutations, star=True,
                        keep_simulations=True, n_jobs=1, seed=seed)
    finally:
        np.random.set_state(state)
    return np.asarray(g.Zs, dtype=float), _two_sided_p(g.Gs, g.rGs)


def _not_run_reason(y: np.ndarray, islands: np.ndarray) -> str | None:
    if len(y) < 3:
        return f"Only {len(y)} cells: a hot spot test needs at least 3; test not run."
    if y.sum() == 0:
        return "No incidents: hot spot test not run."
    if np.ptp(y) == 0:
        return f"Every cell holds the same count ({y[0]:g}): nothing stands out; test not run."
    if islands.all():
        return "No cell has a neighbour among the given cells: hot spot test not run."
    return None


def _caveats(y: np.ndarray, islands: np.ndarray, tested: int, permutations: int, k: int,
             fdr: bool) -> list[str]:
    """Warnings for a test that ran: sparse counts, few cells, islands, the floor of p."""
    notes = []
    total, n, empty = y.sum(), len(y), float(np.mean(y == 0))
    if total < 30 or total / n < 1 or empty > 0.75:
        notes.append(f"Counts are sparse ({total:g} incidents over {n} cells, {100 * empty:.0f} % "
                     "of cells empty): hot spots may not mean much; use a coarser resolution or "
                     "a longer period.")
    if n < 30:
        notes.append(f"Only {n} cells: hot spots on fewer than 30 cells are fragile.")
    if islands.any():
        notes.append(f"{islands.sum()} cells have no neighbour within {k} grid step(s) among "
                     "the given cells; they are shown as not significant.")
    floor = 2 / (permutations + 1)
    if floor > _LEVELS[0][0]:
        notes.append(f"With {permutations} permutations the smallest p-value is {floor:.3f}, "
                     "so the 99 % bins cannot occur; use 999.")
    ring = 1 + 3 * k * (k + 1)  # cells in one neighbourhood
    smallest = int(np.ceil(floor * tested / _LEVELS[-1][0] - 1e-9))  # at the floor, for q <= 0.1
    if fdr and smallest > ring:
        need = int(np.ceil(2 * tested / (_LEVELS[-1][0] * ring)))
        notes.append(f"With {permutations} permutations over {tested} cells, the false discovery "
                     f"rate correction can confirm only hot spots of {smallest} or more cells; "
                     f"smaller ones show as not significant. Use about {need:,} permutations or "
                     "a coarser resolution.")
    return notes


def hot_spots(counts: np.ndarray, cells: np.ndarray, *, k: int = 1, permutations: int = 999,
              seed: int | None = 2025, fdr: bool = True) -> HotSpots:
    """Getis-Ord Gi* hot and cold spots of incident counts per H3 cell.

    Parameters
    ----------
    counts
        Incidents per cell (non-negative), aligned with ``cells``.
    cells
        ``uint64`` H3 cells, each once; cells outside this set are never neighbours.
    k
        Neighbourhood radius in grid steps.
    permutations
        Conditional permutations R; the smallest two-sided pseudo p is 2 / (R + 1).
    seed
        Seed of the permutations; ``None`` draws a fresh one.
    fdr
        Bin on Benjamini-Hochberg ``q`` (default) or on the raw ``p_sim``.

    Notes
    -----
    ``p_sim`` is two-sided: 2 (min(M_high, M_low) + 1) / (R + 1), capped at 1, where M_high
    and M_low count permuted Gi* values at least / at most the observed one. esda's own
    ``p_sim`` is one-sided with the tail picked from the data, and it counts ties only in the
    upper tail, so a cell whose neighbourhood is all zeros gets p = 1 / (R + 1) and looks
    like a strong cold spot; that is why p is recomputed from esda's simulations.

    A cell is ``sparse`` when its neighbourhood (k-ring, itself included) holds fewer than
    ``MIN_NEIGHBOURHOOD_INCIDENTS`` incidents. A sparse cell that tests hot gets bin 0: a
    hot spot of one or two incidents is noise, and exposes a tiny count. Sparse cold bins are
    kept, as a cold spot is few incidents where many were expected, and ties at zero already
    count against it. ``gi_z``, ``p_sim`` and ``q`` are always left as computed.

    The pseudo p cannot fall below 2 / (R + 1), so with many cells the FDR step confirms only
    clusters of at least 2 m / ((R + 1) 0.10) cells (m tested cells); a warning says so when
    that is more than one k-ring. Time and memory grow with cells x permutations: 50,000 cells
    and 999 permutations take about 7 s and 1.2 GB at peak.
    """
    y = np.asarray(counts, dtype=float)
    cells = np.asarray(cells, dtype=np.uint64)
    if y.shape != cells.shape or y.ndim != 1:
        msg = f"counts and cells must be 1-d and equally long, not {y.shape} and {cells.shape}"
        raise ValueError(msg)
    if not np.isfinite(y).all() or (y < 0).any():
        msg = "counts must be finite and not negative"
        raise ValueError(msg)
    if permutations < 1:
        msg = f"permutations must be 1 or more, not {permutations}; 999 is usual"
        raise ValueError(msg)

    w = cell_weights(cells, k=k)
    islands = w.sparse.getnnz(axis=1) == 0
    sparse = y + w.sparse @ y < MIN_NEIGHBOURHOOD_INCIDENTS  # the k-ring's incidents, self included
    z = np.full(len(y), np.nan)
    p = np.full(len(y), np.nan)
    notes: list[str] = []

    reason = _not_run_reason(y, islands)
    if reason:
        notes.append(reason)
    else:
        if seed is None:
            seed = int(np.random.default_rng().integers(1, 2**31 - 1))
        z, p = _gi_star(y, w, permutations, seed)
        untested = islands | ~np.isfinite(z)
        z[untested], p[untested] = np.nan, np.nan
        notes += _caveats(y, islands, int(np.isfinite(p).sum()), permutations, k, fdr)

    q = bh_adjust(p)
    bins = _bins(z, q if fdr else p)
    hidden = sparse & (bins > 0)
    if hidden.any():
        notes.append(f"{hidden.sum()} cells test as hot spots but hold fewer than "
                     f"{MIN_NEIGHBOURHOOD_INCIDENTS} incidents in their neighbourhood; they are "
                     "shown as not significant.")
        bins[hidden] = 0
    frame = pd.DataFrame({"gi_z": z, "p_sim": p, "q": q, "bin": bins, "sparse": sparse},
                         index=pd.Index(cells, name="cell"))
    return HotSpots(frame=frame, warnings=notes, permutations=permutations, k=k, alpha_fdr=fdr)
