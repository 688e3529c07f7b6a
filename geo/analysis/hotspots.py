"""Hot spots: Getis-Ord Gi* on cell counts, with neighbours from the H3 grid.

Each cell's neighbourhood is its k-ring (the cells within ``k_ring`` grid steps, itself
included). The statistic is Gi* (Getis & Ord 1992; Ord & Getis 1995), the z-score PySAL's
``esda.G_Local(star=True, transform="B")`` computes (here in two sparse products, held to esda
by the tests; :func:`gi_star_z` says why).

Inference, by default, is what ArcGIS Pro's Hot Spot Analysis reports: the Gi* z-score with its
two-sided normal p-value, adjusted for false discoveries over all tested cells (Benjamini &
Hochberg 1995, :func:`scipy.stats.false_discovery_control`), and binned +-3, +-2, +-1 for 99,
95 and 90 % confidence. The z-score compares the whole neighbourhood, the cell included, with
what the same number of cells holds on average, so a cell of 551 incidents among ordinary
neighbours is a hot spot, and an ordinary cell among empty ones can only be cold.

``inference="permutation"`` replaces the normal p by a *total* randomisation test of the
same statistic: every count (the cell's own too) is shuffled over the cells, and the tail is
the one the z-score points to, so sign and significance always agree. esda's own permutation
for Gi* is *conditional* (the cell's count held fixed), which tests only whether the
neighbours are unusual: it calls the busiest isolated cell "not significant" and an ordinary
cell with empty neighbours a hot spot (a low neighbourhood is unusual too), so it is not used.

References
----------
Getis, A. & Ord, J. K. (1992). The analysis of spatial association by use of distance
statistics. Geographical Analysis 24(3), 189-206.
Ord, J. K. & Getis, A. (1995). Local spatial autocorrelation statistics: distributional issues
and an application. Geographical Analysis 27(4), 286-306.
Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. Journal of the Royal
Statistical Society B 57(1), 289-300.
Esri. How Hot Spot Analysis (Getis-Ord Gi*) works. ArcGIS Pro tool reference.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from libpysal.weights import W
from scipy.stats import norm

from geo.analysis._stats import bh_adjust

__all__ = ["INFERENCES", "MIN_NEIGHBOURHOOD_INCIDENTS", "HotSpots", "cell_weights",
           "gi_star_z", "given_neighbours", "hot_spots", "neighbour_matrix"]

MIN_NEIGHBOURHOOD_INCIDENTS = 3
"""A hot spot needs at least this many incidents in its neighbourhood (k-ring, self included)."""

INFERENCES = ("analytic", "permutation")
"""How hot spots are tested: the z-score's normal p (default), or total permutation."""

DEFAULT_PERMUTATIONS = 9_999

_LEVELS = ((0.01, 3), (0.05, 2), (0.10, 1))  # (largest p, bin) from the strictest level down


@dataclass
class HotSpots:
    """Gi* hot spots of one set of cells, with the warnings to show beside the map.

    ``frame`` is indexed by cell (``uint64``, input order) with columns ``gi_z`` (Gi* z-score),
    ``p`` (two-sided: normal, or from permutations), ``q`` (Benjamini-Hochberg adjusted p),
    ``bin`` (-3..3, positive = hot) and ``sparse`` (fewer than 3 incidents in the
    neighbourhood). Untested cells (islands, a cell whose neighbourhood is every cell, or all
    cells when the test was skipped) have NaN z, p and q, and bin 0.
    """

    frame: pd.DataFrame
    warnings: list[str]
    k_ring: int
    inference: str
    permutations: int
    """Permutations drawn; 0 for the analytic test."""
    fdr: bool


def _neighbour_matrix(cells: np.ndarray, k: int) -> sp.csr_matrix:
    """Binary n x n matrix: 1 where two given cells are 1..k grid steps apart (the k-rings in
    one call to h3ronpy's compiled grid_disk)."""
    import pyarrow as pa
    from h3ronpy import grid_disk

    n = len(cells)
    if n == 0:
        return sp.csr_matrix((0, 0))
    order = np.argsort(cells)
    ordered = cells[order]
    disks = pa.array(grid_disk(cells, k, flatten=False))
    found_all = disks.values.to_numpy(zero_copy_only=False).astype(np.uint64, copy=False)
    rows_all = np.repeat(np.arange(n), np.diff(disks.offsets.to_numpy()))
    pos = np.minimum(np.searchsorted(ordered, found_all), n - 1)
    cols = order[pos]
    keep = (ordered[pos] == found_all) & (cols != rows_all)
    return sp.csr_matrix((np.ones(keep.sum()), (rows_all[keep], cols[keep])), shape=(n, n))


def neighbour_matrix(cells: np.ndarray, *, k: int = 1) -> sp.csr_matrix:
    """Binary n x n sparse matrix of the H3 grid: 1 where two of ``cells`` are 1..k steps apart
    (the cell itself not included). Rows and columns are positions in ``cells``."""
    cells = np.asarray(cells, dtype=np.uint64)
    if k < 1:
        msg = f"k must be 1 or more grid steps, not {k}"
        raise ValueError(msg)
    if len(np.unique(cells)) != len(cells):
        msg = "cells contain duplicates; pass each cell once"
        raise ValueError(msg)
    key = (k, len(cells), hashlib.blake2b(cells.tobytes(), digest_size=16).digest())
    if key not in _KEPT:  # the analysis and the gate of one build ask for the same grid
        matrix = _neighbour_matrix(cells, k)
        for part in (matrix.data, matrix.indices, matrix.indptr):
            part.flags.writeable = False  # shared: nobody may change it in place
        while len(_KEPT) >= 4:
            _KEPT.pop(next(iter(_KEPT)))
        _KEPT[key] = matrix
    return _KEPT[key]


_KEPT: dict[tuple, sp.csr_matrix] = {}
"""The last few neighbour matrices, by k and the cells' bytes."""


def given_neighbours(neighbours: sp.csr_matrix | None, cells: np.ndarray, *, k: int
                     ) -> sp.csr_matrix:
    """``neighbours`` when given (checked to fit ``cells``), else :func:`neighbour_matrix`."""
    if neighbours is None:
        return neighbour_matrix(cells, k=k)
    if neighbours.shape != (len(cells), len(cells)):
        msg = (f"neighbours is {neighbours.shape[0]} x {neighbours.shape[1]} for "
               f"{len(cells)} cells; pass neighbour_matrix(cells, k={k})")
        raise ValueError(msg)
    return neighbours


def cell_weights(cells: np.ndarray, *, k: int = 1) -> W:
    """Binary spatial weights from the H3 grid: each cell's neighbours are its k-ring.

    Ids are positions ``0..n-1`` in ``cells``; only cells in ``cells`` count as neighbours, so
    a cell with none of its k-ring in the set is an island (listed in ``W.islands``).

    >>> import h3
    >>> from geo.analysis.cells import str_to_cells
    >>> centre = h3.latlng_to_cell(42.8895, 20.8665, 9)
    >>> w = cell_weights(str_to_cells(h3.grid_disk(centre, 1)))
    >>> sorted(w.cardinalities.values())
    [3, 3, 3, 3, 3, 3, 6]
    """
    m = neighbour_matrix(cells, k=k)
    neighbors = {i: m.indices[m.indptr[i]:m.indptr[i + 1]].tolist() for i in range(m.shape[0])}
    # W() and not W.from_sparse: from_sparse drops islands from the ids (libpysal 4.14)
    return W(neighbors, id_order=list(range(m.shape[0])), silence_warnings=True)


def counts_and_cells(counts, cells) -> tuple[np.ndarray, np.ndarray]:
    """Counts as floats and cells as ``uint64``; ValueError unless they suit a local test."""
    y = np.asarray(counts, dtype=float)
    cells = np.asarray(cells, dtype=np.uint64)
    if y.shape != cells.shape or y.ndim != 1:
        msg = f"counts and cells must be 1-d and equally long, not {y.shape} and {cells.shape}"
        raise ValueError(msg)
    if not np.isfinite(y).all() or (y < 0).any():
        msg = "counts must be finite and not negative"
        raise ValueError(msg)
    return y, cells


def _bins(z: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Confidence bins -3..3: the level from ``p``, the sign from ``z`` (NaN gives 0)."""
    level = np.select([p <= alpha for alpha, _ in _LEVELS], [b for _, b in _LEVELS], 0)
    return (level * np.sign(np.nan_to_num(z))).astype(int)


def gi_star_z(y: np.ndarray, w) -> np.ndarray:
    """Gi* z-scores (binary weights, the cell itself included; Ord and Getis 1995), as esda's
    ``G_Local(star=True, transform="B")`` gives them, no permutations. ``w`` is a libpysal W or
    a sparse neighbour matrix.

    Written here as two sparse products because esda's G_Local rebuilds the star weights (a
    libpysal W with its diagonal filled, then its sparse matrix) on every call: about 0.4 s a
    band on a 10,000-cell city and seconds at national size. The tests hold it to G_Local.
    A cell whose neighbourhood is every cell has no variance: NaN.
    """
    m = (w.sparse if isinstance(w, W) else sp.csr_matrix(w)).tocoo()
    off = (m.row != m.col) & (m.data != 0)
    n = len(y)
    m = sp.csr_matrix((np.ones(off.sum()), (m.row[off], m.col[off])), shape=(n, n))
    y = np.asarray(y, dtype=float)
    size = 1.0 + m.getnnz(axis=1)  # sum of the weights, self included; binary, so also of squares
    mean = y.mean()
    spread = np.sqrt((y**2).mean() - mean**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (y + m @ y - mean * size) / (spread * np.sqrt((n * size - size**2) / (n - 1)))
    z[~np.isfinite(z)] = np.nan
    return z


def _total_permutation_p(y: np.ndarray, sizes: np.ndarray, sums: np.ndarray, z: np.ndarray,
                         permutations: int, seed: int) -> np.ndarray:
    """Two-sided p of each neighbourhood sum under total randomisation, tail from ``z``.

    Written here because esda permutes conditionally only. Under total randomisation the
    null distribution of a neighbourhood's sum depends on its size alone, so one set of
    random draws serves every cell: draw R random subsets of the largest size without
    replacement, and the sum of the first m values is a draw for every neighbourhood of m.
    p = 2 (M + 1) / (R + 1), at most 1, with M the draws at least as far out in the tail the
    z-score points to (ties count).
    """
    n, top = len(y), int(sizes.max())
    rng = np.random.default_rng(seed)
    chunk = max(1, 4_000_000 // max(n, 1))
    parts = []
    for start in range(0, permutations, chunk):
        rows = min(chunk, permutations - start)
        draws = rng.random((rows, n)).argpartition(top - 1, axis=1)[:, :top] if top < n \
            else rng.permuted(np.tile(np.arange(n), (rows, 1)), axis=1)
        parts.append(np.cumsum(y[draws], axis=1))
    sims = np.concatenate(parts)  # R x top: column m - 1 holds sums of m random cells
    p = np.full(n, np.nan)
    tol = 1e-9 * max(1.0, float(np.abs(y).sum()))
    for m in np.unique(sizes):
        null = np.sort(sims[:, m - 1])
        at = np.flatnonzero((sizes == m) & np.isfinite(z))
        upper = permutations - np.searchsorted(null, sums[at] - tol, side="left")
        lower = np.searchsorted(null, sums[at] + tol, side="right")
        tail = np.where(z[at] > 0, upper, np.where(z[at] < 0, lower, permutations))
        p[at] = np.minimum(2 * (tail + 1) / (permutations + 1), 1.0)
    return p


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
    if not permutations:
        return notes
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
                     "the analytic test.")
    return notes


def hot_spots(counts: np.ndarray, cells: np.ndarray, *, k_ring: int = 1,
              inference: str = "analytic", permutations: int = DEFAULT_PERMUTATIONS,
              seed: int | None = 2025, fdr: bool = True,
              neighbours: sp.csr_matrix | None = None) -> HotSpots:
    """Getis-Ord Gi* hot and cold spots of incident counts per H3 cell.

    A pure function of the counts: the privacy gate may call it on published counts.

    Parameters
    ----------
    counts
        Incidents per cell (non-negative), aligned with ``cells``.
    cells
        ``uint64`` H3 cells, each once; cells outside this set are never neighbours.
    k_ring
        Neighbourhood radius in grid steps.
    inference
        ``"analytic"`` (the z-score's normal p, as ArcGIS Pro) or ``"permutation"`` (total
        randomisation, see the module notes).
    permutations, seed
        For ``inference="permutation"``: draws R (the smallest p is 2 / (R + 1)) and their
        seed (``None`` draws a fresh one).
    fdr
        Bin on Benjamini-Hochberg ``q`` (default) or on the raw ``p``.
    neighbours
        ``neighbour_matrix(cells, k=k_ring)``, when the caller has it already: one matrix
        serves every band or slice of the same cells.

    Notes
    -----
    A cell is ``sparse`` when its neighbourhood (k-ring, itself included) holds fewer than
    ``MIN_NEIGHBOURHOOD_INCIDENTS`` incidents. A sparse cell that tests hot gets bin 0: a
    hot spot of one or two incidents is noise, and exposes a tiny count. ``gi_z``, ``p`` and
    ``q`` are always left as computed.

    Examples
    --------
    >>> import h3
    >>> from geo.analysis.cells import str_to_cells
    >>> centre = h3.latlng_to_cell(42.8895, 20.8665, 9)
    >>> cells = np.sort(str_to_cells(h3.grid_disk(centre, 6)))  # 127 cells
    >>> y = np.full(len(cells), 4.0)
    >>> y[cells == str_to_cells([centre])[0]] = 60  # a bus station among ordinary streets
    >>> int(hot_spots(y, cells).frame.loc[str_to_cells([centre])[0], "bin"])
    3
    """
    y, cells = counts_and_cells(counts, cells)
    if inference not in INFERENCES:
        msg = f"inference must be one of {', '.join(INFERENCES)}, not {inference!r}"
        raise ValueError(msg)
    if inference == "permutation" and permutations < 1:
        msg = f"permutations must be 1 or more, not {permutations}; 9999 is usual"
        raise ValueError(msg)
    drawn = permutations if inference == "permutation" else 0

    m = given_neighbours(neighbours, cells, k=k_ring)
    islands = m.getnnz(axis=1) == 0
    sums = y + m @ y  # the k-ring's incidents, self included
    sparse = sums < MIN_NEIGHBOURHOOD_INCIDENTS
    z = np.full(len(y), np.nan)
    p = np.full(len(y), np.nan)
    notes: list[str] = []

    reason = _not_run_reason(y, islands)
    if reason:
        notes.append(reason)
    else:
        z = gi_star_z(y, m)
        z[islands] = np.nan
        if drawn:
            if seed is None:
                seed = int(np.random.default_rng().integers(1, 2**31 - 1))
            sizes = 1 + m.getnnz(axis=1)
            p = _total_permutation_p(y, sizes, sums, z, drawn, seed)
        else:
            p = 2 * norm.sf(np.abs(z))
        p[~np.isfinite(z)] = np.nan
        notes += _caveats(y, islands, int(np.isfinite(p).sum()), drawn, k_ring, fdr)

    q = bh_adjust(p)
    bins = _bins(z, q if fdr else p)
    hidden = sparse & (bins > 0)
    if hidden.any():
        notes.append(f"{hidden.sum()} cells test as hot spots but hold fewer than "
                     f"{MIN_NEIGHBOURHOOD_INCIDENTS} incidents in their neighbourhood; they are "
                     "shown as not significant.")
        bins[hidden] = 0
    frame = pd.DataFrame({"gi_z": z, "p": p, "q": q, "bin": bins, "sparse": sparse},
                         index=pd.Index(cells, name="cell"))
    return HotSpots(frame=frame, warnings=notes, k_ring=k_ring, inference=inference,
                    permutations=drawn, fdr=fdr)
