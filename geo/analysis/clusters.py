"""Clusters and outliers: Local Moran's I (Anselin 1995) on cell counts, H3 k-ring neighbours.

Gi* answers "is this neighbourhood busy?" and so smooths a lone busy cell into its ring. Local
Moran's I sets each cell against its neighbours: a busy cell among busy ones is a *high-high*
cluster, a quiet one among quiet ones *low-low*, and the two outliers are *high-low* (a busy
cell among quiet ones: the lone bus station) and *low-high* (a quiet cell inside a busy area).

The statistic is PySAL's ``esda.Moran_Local`` (row-standardised k-ring weights, as GeoDa),
written out in :func:`_moran_local` and held to esda by the tests.
Inference is conditional permutation as esda draws it (the cell's own count held fixed, its
neighbours drawn from the other cells), the reference method for Local Moran, done in numpy
here (:func:`conditional_p` says why). The pseudo p is one-sided
in the direction of the class: for a cluster (I > 0) the share of draws at least as large,
for an outlier (I < 0) at least as small, (M + 1) / (R + 1); esda's own ``p_sim`` takes
whichever tail is smaller, which can call a cell "significant" for being *less* clustered than
chance while its class says clustered. p-values are adjusted over the tested cells with
Benjamini-Hochberg (:func:`scipy.stats.false_discovery_control`); a cell is significant at
q <= 0.05. A cell is called *high* (high-high, high-low) only with at least 3 incidents.

Anselin, L. (1995). Local indicators of spatial association - LISA. Geographical Analysis
27(2), 93-115.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.analysis._stats import bh_adjust
from geo.analysis.hotspots import (
    MIN_NEIGHBOURHOOD_INCIDENTS,
    counts_and_cells,
    given_neighbours,
)

__all__ = ["CLASSES", "NOT_SIGNIFICANT", "Clusters", "conditional_p", "local_moran",
           "default_permutations"]

NOT_SIGNIFICANT = "not significant"
CLASSES = ("high-high", "low-low", "high-low", "low-high", NOT_SIGNIFICANT)
"""Every class a cell can get."""
_LABELS = np.array([NOT_SIGNIFICANT, "high-high", "low-high", "low-low", "high-low"],
                   dtype=object)  # by esda's quadrant q (0: not tested)


def default_permutations(cells: int) -> int:
    """9,999 draws up to 2,000 cells (a p floor BH can work with), else 999."""
    return 9_999 if cells <= 2_000 else 999


@dataclass
class Clusters:
    """Local Moran's I of one set of cells.

    ``frame`` is indexed by cell (``uint64``, input order) with columns ``lisa_i`` (the
    statistic), ``p`` (one-sided pseudo p in the class's direction), ``q`` (Benjamini-Hochberg)
    and ``cls`` (one of :data:`CLASSES`). Untested cells (islands, or all when the test could
    not run) have NaN I, p and q and are not significant.
    """

    frame: pd.DataFrame
    warnings: list[str]
    k_ring: int
    permutations: int
    alpha: float

    def counts(self) -> dict[str, int]:
        """Cells per class, every class listed."""
        found = self.frame["cls"].value_counts()
        return {c: int(found.get(c, 0)) for c in CLASSES}


def _directed_p(observed: np.ndarray, simulated: np.ndarray,
                scale: np.ndarray | None = None) -> np.ndarray:
    """(M + 1) / (R + 1), M the draws at least as far out as ``observed`` on its own side.

    Draws within a billionth of ``observed`` are ties and count; a billionth of ``scale``
    (the size the cell's statistic can reach) when that is larger, so that a draw tied with
    an observed 0 counts whatever the rounding left of either (a cell whose neighbours
    average exactly the mean, and a draw that does the same)."""
    tol = _tie_tolerance(observed, scale)[:, None]
    upper = (simulated >= observed[:, None] - tol).sum(axis=1)
    lower = (simulated <= observed[:, None] + tol).sum(axis=1)
    tail = np.where(observed >= 0, upper, lower)
    return (tail + 1) / (simulated.shape[1] + 1)


def _tie_tolerance(observed: np.ndarray, scale: np.ndarray | None) -> np.ndarray:
    """How near ``observed`` a draw counts as a tie (see :func:`_directed_p`)."""
    size = np.abs(observed) if scale is None else np.maximum(np.abs(observed), scale)
    return 1e-9 * np.maximum(size, 1e-12)


def neighbour_draws(n: int, size: int, permutations: int, seed: int | None) -> np.ndarray:
    """``permutations`` x ``size`` positions among ``n - 1`` others, each row drawn without
    replacement: one table of random neighbourhoods that every cell shares, a cell's own
    position skipped by shifting the positions at or above it up by one (as esda draws).

    With a seed the table is the same for every band and for the published values, so the
    last few are kept (read-only) rather than drawn again."""
    if seed is None:
        return _draw(n, size, permutations, None)
    return _kept_draws(n, size, permutations, seed)


def _draw(n: int, size: int, permutations: int, seed: int | None) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(n - 1, size=size, replace=False)
                     for _ in range(permutations)]) if size else np.zeros((permutations, 0), int)


@functools.lru_cache(maxsize=4)
def _kept_draws(n: int, size: int, permutations: int, seed: int) -> np.ndarray:
    table = _draw(n, size, permutations, seed)
    table.flags.writeable = False
    return table


def conditional_p(z: np.ndarray, weights, observed: np.ndarray, *, permutations: int,
                  seed: int | None, fdr: float | None = None) -> np.ndarray:
    """One-sided conditional-permutation p of each cell's Local Moran's I (:func:`_directed_p`):
    the cell's own standardised value ``z`` held, its neighbours' drawn from the other cells.

    Written here, in numpy, because esda's conditional permutation is compiled by numba: without
    numba it loops over the cells in Python (some 10 s a band on a 10,000-cell city), and numba
    compiles it for about 30 s in every new process. The draws are the same kind as esda's: one
    table of R random neighbourhoods (:func:`neighbour_draws`) shared by all cells, and a draw's
    statistic is ``(n - 1) / sum(z^2) * z_i * sum_j w_ij z_draw_j``. The weights are
    row-standardised (each of a cell's m neighbours weighs 1 / m), so a draw's statistic is
    ``z_i`` times a mean of m drawn values, and which values a row of the table draws for cell
    ``i`` depends on ``i`` only through how many of the row's positions lie below ``i`` (those
    at or above it shift up by one, to skip the cell itself). Each row's m + 1 possible means
    are summed once (:class:`_Group`), and each cell takes the one its position picks; the
    cells go a group of equal neighbour count and a slice at a time, so memory stays small at
    any size.

    With ``fdr``, only whether each p passes the Benjamini-Hochberg cut at that level is
    wanted (:func:`_p_until_cut`): a cell stops drawing once its p can only end above the cut,
    and its p is then a lower bound; every p the cut passes is exact.
    """
    n = len(z)
    cards = np.diff(weights.indptr)
    p = np.full(n, np.nan)
    if not cards.any():
        return p
    if not np.array_equal(weights.data, np.repeat(1.0 / np.maximum(cards, 1), cards)):
        msg = "conditional_p needs row-standardised binary weights (1 / m for m neighbours)"
        raise ValueError(msg)
    table = neighbour_draws(n, int(cards.max()), permutations, seed)
    scaling = (n - 1) / float(z @ z)
    reach = scaling * np.abs(z) * np.abs(z).max()  # the largest |statistic| a draw can give
    # a cluster's tail is the upper one, an outlier's the lower one: negating the statistic
    # of an outlier's draws turns it into the upper tail of |observed|
    factor = np.where(observed >= 0, scaling * z, -scaling * z)
    limit = np.abs(observed) - _tie_tolerance(observed, reach)
    groups = [_Group(z, table[:, :m], np.flatnonzero(cards == m))
              for m in np.unique(cards[cards > 0])]
    if fdr is not None:
        return _p_until_cut(groups, factor, limit, n, permutations, fdr)
    every = slice(None)
    for g in groups:
        for places in _slices(np.arange(len(g.cells)), permutations):
            cells = g.cells[places]
            tail = (g.draws(every, places, factor[cells]) >= limit[cells][None, :]).sum(axis=0)
            p[cells] = (tail + 1) / (permutations + 1)
    return p


_CELLS_BY_DRAWS = 4_000_000
"""Most (draws x cells) statistics held at once."""
_DRAW_BLOCK = 100
"""Draws per step of the cells that may stop early (see :func:`_p_until_cut`)."""


def _slices(places: np.ndarray, draws: int) -> list[np.ndarray]:
    """``places`` in pieces small enough for ``draws`` statistics each."""
    step = max(1, _CELLS_BY_DRAWS // max(draws, 1))
    return [places[i:i + step] for i in range(0, len(places), step)]


class _Group:
    """The cells with m neighbours, and the draws' means every cell of them picks from."""

    def __init__(self, z: np.ndarray, table: np.ndarray, cells: np.ndarray) -> None:
        m = table.shape[1]
        positions = np.sort(table, axis=1)
        self.cells = cells  # ascending positions
        self.means = _draw_means(z, positions).ravel()  # row r's column k at r * (m + 1) + k
        # steps[r, j]: the first cell (by its place in ``cells``) above row r's j-th
        # position; from that cell on, the position counts as below the cell
        self.steps = np.searchsorted(cells, positions, side="right")
        self.offsets = (np.arange(len(table)) * (m + 1)).astype(np.int32)

    def draws(self, rows: slice, places: np.ndarray, factor: np.ndarray) -> np.ndarray:
        """(draws, cells): the statistics of ``rows`` of the table for the cells at ascending
        ``places``, each column scaled by ``factor``.

        A draw's mean sits at its row's offset plus the count of its positions below the
        cell, which steps up by one at each position passed: with ``first[r, j]`` the first
        of ``places`` at or past ``steps[r, j]``, the count for place t is the number of j
        with ``first[r, j] <= t``, a running sum along the places."""
        steps = self.steps[rows]
        first = np.searchsorted(places, steps, side="left")
        at = np.zeros((len(steps), len(places) + 1), dtype=np.int32)
        at[:, 0] = self.offsets[rows]
        np.add.at(at, (np.broadcast_to(np.arange(len(steps))[:, None], first.shape), first), 1)
        np.cumsum(at, axis=1, out=at)
        at = at[:, :-1]
        sims = self.means[at]
        sims *= factor[None, :]
        return sims


def _p_until_cut(groups: list[_Group], factor: np.ndarray, limit: np.ndarray, n: int,
                 permutations: int, fdr: float) -> np.ndarray:
    """p of every cell whose p the Benjamini-Hochberg cut at ``fdr`` passes; a lower bound
    above the cut for every other.

    The cells draw a block at a time. After each block a cell's ``(M + 1) / (R + 1)``, with
    the M so far, is a lower bound of its p (M only grows). Benjamini-Hochberg passes more
    cells the smaller the p's are, so the cut it sets on the lower bounds is at least the cut
    of the final p's: a cell whose lower bound lies above it can never pass, and stops. At
    the end the cells still drawing have exact p's, and the cut of this mix of exact p's and
    lower bounds passes the same cells as the cut of the exact p's would: each stopped cell
    lies above both cuts, and below them nothing changed. (A fixed level, such as stopping
    above ``fdr`` itself, is sound too but lets every cell between the cut and ``fdr`` draw to
    the end.)"""
    tail = np.zeros(n, dtype=np.int64)
    tested = np.concatenate([g.cells for g in groups])
    going = [np.arange(len(g.cells)) for g in groups]
    for first in range(0, permutations, _DRAW_BLOCK):
        rows = slice(first, min(first + _DRAW_BLOCK, permutations))
        for g, places in zip(groups, going, strict=True):
            for piece in _slices(places, _DRAW_BLOCK):
                cells = g.cells[piece]
                tail[cells] += (g.draws(rows, piece, factor[cells])
                                >= limit[cells][None, :]).sum(axis=0)
        if rows.stop == permutations:
            break
        most = _largest_passing(tail[tested] + 1, permutations + 1, fdr)
        going = [places[tail[g.cells[places]] + 1 <= most]
                 for g, places in zip(groups, going, strict=True)]
        if not any(len(places) for places in going):
            break
    p = np.full(n, np.nan)
    p[tested] = (tail[tested] + 1) / (permutations + 1)
    return p


def _largest_passing(counts: np.ndarray, out_of: int, fdr: float) -> float:
    """The largest ``M + 1`` (of p = (M + 1) / ``out_of``) that the Benjamini-Hochberg cut
    at ``fdr`` passes among these ``counts``: ``fdr * k / n`` with k the largest rank whose
    p is at most ``fdr * rank / n``, in counts, a billionth generous so that rounding never
    stops a cell the cut would pass (0 when nothing passes)."""
    ranked = np.sort(counts)
    n = len(ranked)
    bound = fdr * out_of * np.arange(1, n + 1) / n * (1 + 1e-9)
    passing = np.flatnonzero(ranked <= bound)
    return float(bound[passing[-1]]) if len(passing) else 0.0


def _draw_means(z: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Mean of the values each row of sorted ``positions`` draws, for every count k of its
    positions that lie below the cell drawn for: the first k values at their positions, the
    rest one position up. Shape (rows, m + 1), column k for k positions below."""
    m = positions.shape[1]
    low, high = z[positions], z[positions + 1]
    first = np.zeros((len(positions), m + 1))
    first[:, 1:] = np.cumsum(low, axis=1)
    rest = np.zeros((len(positions), m + 1))
    rest[:, :-1] = np.cumsum(high[:, ::-1], axis=1)[:, ::-1]
    return (first + rest) * (1.0 / m)


def _moran_local(y: np.ndarray, neighbours):
    """Standardised values, row-standardised weights, Local Moran's I and esda's quadrant
    (1 high-high, 2 low-high, 3 low-low, 4 high-low) of each cell, as esda's ``Moran_Local``
    computes them (Anselin 1995; held to esda by the tests). Written out because esda's class
    also builds libpysal weights and moments the map never uses, a second or more a band on a
    city."""
    size = neighbours.getnnz(axis=1)
    scale = np.divide(1.0, size, out=np.zeros(len(y)), where=size > 0)
    weights = sp.csr_matrix(sp.diags(scale) @ neighbours)
    weights.sort_indices()
    z = (y - y.mean()) / y.std()
    lag = weights @ z
    stat = (len(y) - 1) * z * lag / (z @ z)
    quadrant = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    return z, weights, stat, quadrant


def local_moran(counts: np.ndarray, cells: np.ndarray, *, k_ring: int = 1,
                permutations: int | None = None, seed: int | None = 2025,
                alpha: float = 0.05, neighbours: sp.csr_matrix | None = None,
                classes_only: bool = False) -> Clusters:
    """High-high, low-low, high-low and low-high cells of incident counts per H3 cell.

    A pure function of the counts: the privacy gate may call it on published counts.

    Parameters
    ----------
    counts
        Incidents per cell (non-negative), aligned with ``cells`` (``uint64``, each once).
    permutations
        Conditional permutations R (default :func:`default_permutations`); the smallest p is
        1 / (R + 1).
    alpha
        Largest Benjamini-Hochberg q of a significant cell.
    neighbours
        ``neighbour_matrix(cells, k=k_ring)``, when the caller has it already.
    classes_only
        Only the classes are wanted: a cell whose p must end above the Benjamini-Hochberg cut
        stops drawing (it cannot be significant, and all the adjustment reads of it is that
        it ranks above every p the cut passes), so its ``p`` and ``q`` are lower bounds; the
        classes are those of a full run.
    """
    y, cells = counts_and_cells(counts, cells)
    if not 0 < alpha < 1:
        msg = f"alpha must lie between 0 and 1, not {alpha}"
        raise ValueError(msg)
    permutations = permutations or default_permutations(len(y))
    m = given_neighbours(neighbours, cells, k=k_ring)
    islands = m.getnnz(axis=1) == 0
    stat = np.full(len(y), np.nan)
    p = np.full(len(y), np.nan)
    quadrant = np.zeros(len(y), dtype=int)
    notes: list[str] = []
    if len(y) < 3 or y.sum() == 0 or np.ptp(y) == 0 or islands.all():
        notes.append("Too few cells, no incidents, equal counts or no neighbours: the cluster "
                     "and outlier test was not run.")
    else:
        z, weights, stat, quadrant = _moran_local(y, m)
        p = conditional_p(z, weights, stat, permutations=permutations, seed=seed,
                          fdr=alpha if classes_only else None)
        stat[islands], p[islands] = np.nan, np.nan
        if islands.any():
            notes.append(f"{islands.sum()} cells have no neighbour within {k_ring} grid step(s); "
                         "they are shown as not significant.")
        floor_q = len(y) / (permutations + 1)
        if floor_q > alpha:
            notes.append(f"With {permutations} permutations over {len(y)} cells no cell can reach "
                         f"q <= {alpha}; use about {int(np.ceil(len(y) / alpha)):,} "
                         "permutations or a coarser resolution.")
    q = bh_adjust(p)
    cls = _LABELS[quadrant]
    significant = np.isfinite(q) & (q <= alpha)
    high = np.isin(cls, ["high-high", "high-low"])
    small = high & significant & (y < MIN_NEIGHBOURHOOD_INCIDENTS)
    if small.any():
        notes.append(f"{small.sum()} cells test as high but hold fewer than "
                     f"{MIN_NEIGHBOURHOOD_INCIDENTS} incidents; they are shown as not "
                     "significant.")
    cls[~significant | small] = NOT_SIGNIFICANT
    frame = pd.DataFrame({"lisa_i": stat, "p": p, "q": q, "cls": cls},
                         index=pd.Index(cells, name="cell"))
    return Clusters(frame=frame, warnings=notes, k_ring=k_ring, permutations=permutations,
                    alpha=alpha)
