"""Local Moran's I clusters and outliers: against esda and the formula, and known patterns."""

from __future__ import annotations

import warnings

import h3
import numpy as np
import pytest
from esda import Moran_Local
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import false_discovery_control

from geo.analysis.cells import str_to_cells
from geo.analysis.clusters import (
    CLASSES,
    NOT_SIGNIFICANT,
    _directed_p,
    _moran_local,
    conditional_p,
    local_moran,
    neighbour_draws,
)
from geo.analysis.hotspots import cell_weights, neighbour_matrix

CENTRE = h3.latlng_to_cell(42.8895, 20.8665, 9)
CELLS = np.sort(str_to_cells(h3.grid_disk(CENTRE, 6)))  # 127 cells
STEPS = np.array([h3.grid_distance(CENTRE, format(int(c), "x")) for c in CELLS])


def at(h3_cell: str) -> int:
    return int(np.flatnonzero(str_to_cells([h3_cell])[0] == CELLS)[0])


def test_statistic_equals_esda_and_anselins_formula():
    y = np.random.default_rng(3).poisson(6, len(CELLS)).astype(float)
    result = local_moran(y, CELLS, permutations=999)
    w = cell_weights(CELLS)
    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lisa = Moran_Local(y, w, permutations=0)
    np.testing.assert_allclose(result.frame["lisa_i"], lisa.Is, rtol=1e-12)
    z, _, _, quadrant = _moran_local(y, neighbour_matrix(CELLS))
    np.testing.assert_allclose(z, lisa.z, rtol=1e-12)
    assert (quadrant == lisa.q).all()
    # Anselin (1995): I_i = (n - 1) z_i sum_j w_ij z_j / sum_k z_k^2, z standardised
    z = (y - y.mean()) / y.std()
    by_hand = (len(y) - 1) * z * (w.sparse @ z) / (z @ z)
    np.testing.assert_allclose(result.frame["lisa_i"], by_hand, rtol=1e-10)


def test_a_lone_busy_cell_among_quiet_ones_is_high_low():
    y = np.random.default_rng(1).poisson(6.0, len(CELLS)).astype(float)
    station = at(CENTRE)
    y[STEPS == 1] = 0
    y[station] = 80
    frame = local_moran(y, CELLS).frame
    assert frame["cls"].iloc[station] == "high-low"
    assert frame["q"].iloc[station] <= 0.05


def test_cluster_and_quiet_hole_inside_it():
    y = np.random.default_rng(2).poisson(2.0, len(CELLS)).astype(float)
    busy = STEPS <= 2
    y[busy] = 30
    hole = at(CENTRE)
    y[hole] = 0
    frame = local_moran(y, CELLS).frame
    assert frame["cls"].iloc[hole] == "low-high"
    ring2 = np.flatnonzero(STEPS == 1)
    assert (frame["cls"].iloc[ring2] == "high-high").all()
    assert (frame["cls"].iloc[np.flatnonzero(STEPS == 6)] != "high-high").all()


def test_p_is_one_sided_in_the_direction_of_the_class():
    """Against a cell-by-cell loop over the same table of draws: each draw replaces the cell's
    neighbours by random other cells, the cell's own value held."""
    y = np.random.default_rng(5).poisson(4, len(CELLS)).astype(float)
    y[STEPS <= 1] += 10
    result = local_moran(y, CELLS, permutations=999, seed=9)
    n = len(y)
    z = (y - y.mean()) / y.std()
    w = cell_weights(CELLS)
    neighbours = [np.asarray(w.neighbors[i]) for i in range(n)]
    observed = (n - 1) * z * np.array([z[nb].mean() for nb in neighbours]) / (z @ z)
    table = neighbour_draws(n, max(len(nb) for nb in neighbours), 999, 9)
    for i in range(n):
        others = np.delete(np.arange(n), i)  # position j among the others is cell others[j]
        sims = np.array([(n - 1) * z[i] * z[others[row[:len(neighbours[i])]]].mean() / (z @ z)
                         for row in table])
        tol = 1e-9 * max(abs(observed[i]), 1e-12)
        side = sims >= observed[i] - tol if observed[i] >= 0 else sims <= observed[i] + tol
        assert result.frame["p"].iloc[i] == pytest.approx((side.sum() + 1) / 1000)
    q = false_discovery_control(result.frame["p"])
    np.testing.assert_allclose(result.frame["q"], q)


def test_p_agrees_with_esdas_conditional_permutation():
    """The same null as esda's own draws: p-values agree within the draws' sampling error."""
    y = np.random.default_rng(8).poisson(4, len(CELLS)).astype(float)
    y[STEPS <= 2] += np.random.default_rng(9).poisson(5, (STEPS <= 2).sum())
    mine = local_moran(y, CELLS, permutations=9_999, seed=3).frame["p"].to_numpy()
    w = cell_weights(CELLS)
    w.transform = "r"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lisa = Moran_Local(y, w, permutations=9_999, seed=4, n_jobs=1)
    theirs = _directed_p(lisa.Is, lisa.rlisas)
    error = 4 * np.sqrt(np.maximum(theirs * (1 - theirs), 1e-4) / 9_999)  # four standard errors
    assert (np.abs(mine - theirs) <= error + 1e-4).all()
    assert np.corrcoef(mine, theirs)[0, 1] > 0.999


def test_draws_are_distinct_other_cells():
    table = neighbour_draws(50, 6, 400, 1)
    assert table.shape == (400, 6) and table.min() >= 0 and table.max() <= 48
    assert all(len(set(row)) == 6 for row in table)
    assert (neighbour_draws(50, 6, 400, 1) == table).all()  # a seed repeats the draws


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=127, max_size=127))
def test_classes_follow_the_quadrants(counts):
    y = np.array(counts, dtype=float)
    frame = local_moran(y, CELLS, permutations=199).frame
    assert set(frame["cls"]) <= set(CLASSES)
    if np.ptp(y) == 0:
        assert (frame["cls"] == NOT_SIGNIFICANT).all()
        return
    w = cell_weights(CELLS)
    w.transform = "r"
    z = y - y.mean()
    lag = w.sparse @ z
    for cls, (own, around) in {"high-high": (1, 1), "low-low": (-1, -1), "high-low": (1, -1),
                               "low-high": (-1, 1)}.items():
        rows = frame["cls"].to_numpy() == cls
        assert (np.sign(z[rows]) == own).all() and (np.sign(lag[rows]) == around).all()
        if cls.startswith("high"):
            assert (y[rows] >= 3).all()
    significant = frame["cls"] != NOT_SIGNIFICANT
    assert (frame.loc[significant, "q"] <= 0.05).all()


def test_untestable_input_and_islands():
    assert (local_moran(np.zeros(127), CELLS).frame["cls"] == NOT_SIGNIFICANT).all()
    far = str_to_cells([h3.latlng_to_cell(42.95, 20.95, 9)])
    cells = np.concatenate([CELLS, far])
    y = np.concatenate([np.random.default_rng(1).poisson(3, 127), [50]]).astype(float)
    result = local_moran(y, cells)
    assert np.isnan(result.frame["lisa_i"].iloc[-1])
    assert result.frame["cls"].iloc[-1] == NOT_SIGNIFICANT
    assert any("no neighbour" in w for w in result.warnings)
    few = local_moran(y, cells, permutations=99)
    assert any("no cell can reach" in w for w in few.warnings)
    with pytest.raises(ValueError, match="equally long"):
        local_moran(np.ones(3), CELLS)


def p_by_gathering_every_draw(z, weights, observed, *, permutations, seed):
    """Each cell's conditional-permutation p from its own gathered draws: the cell's
    neighbours replaced by each row of the shared table, positions at or above the cell
    shifted up by one, weighted by the cell's own weights."""
    n = len(z)
    cards = np.diff(weights.indptr)
    table = neighbour_draws(n, int(cards.max()), permutations, seed)
    p = np.full(n, np.nan)
    scaling = (n - 1) / (z @ z)
    for i in np.flatnonzero(cards):
        m = cards[i]
        drawn = table[:, :m] + (table[:, :m] >= i)
        lag = z[drawn] @ weights.data[weights.indptr[i]:weights.indptr[i + 1]]
        reach = scaling * abs(z[i]) * np.abs(z).max()
        p[i] = _directed_p(observed[i:i + 1], (scaling * z[i] * lag)[None, :],
                           np.array([reach]))[0]
    return p


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1, 2, 20]), st.floats(0, 0.6),
       st.sampled_from([9, 99, 999]))
def test_p_equals_gathering_every_draw_cell_by_cell(seed, mean, drop, permutations):
    rng = np.random.default_rng(seed)
    cells = CELLS[rng.random(len(CELLS)) >= drop]  # holes and edges: 0 to 6 neighbours
    y = rng.poisson(mean, len(cells)).astype(float)
    if len(cells) < 3 or np.ptp(y) == 0:
        return
    z, weights, observed, _ = _moran_local(y, neighbour_matrix(cells))
    got = conditional_p(z, weights, observed, permutations=permutations, seed=seed % 1000)
    want = p_by_gathering_every_draw(z, weights, observed, permutations=permutations,
                                     seed=seed % 1000)
    np.testing.assert_array_equal(got, want)


def test_conditional_p_refuses_weights_that_are_not_row_standardised():
    m = neighbour_matrix(CELLS)
    y = np.random.default_rng(4).poisson(3, len(CELLS)).astype(float)
    z = (y - y.mean()) / y.std()
    with pytest.raises(ValueError, match="row-standardised"):
        conditional_p(z, m, z, permutations=9, seed=1)


@settings(max_examples=20, deadline=None)
@given(counts=st.lists(st.integers(0, 30), min_size=127, max_size=127),
       hot=st.integers(0, 12), alpha=st.sampled_from([0.05, 0.1, 0.2]))
def test_stopping_cells_early_gives_the_classes_of_every_draw(counts, hot, alpha):
    """Cells whose p must end above the Benjamini-Hochberg cut stop drawing: every class and
    every q's verdict is the one a full run gives, every p the cut passes is exact, and a
    stopped cell's p is a lower bound above every p the cut passes."""
    y = np.array(counts, dtype=float)
    y[STEPS <= 1] += hot
    full = local_moran(y, CELLS, permutations=999, alpha=alpha).frame
    quick = local_moran(y, CELLS, permutations=999, alpha=alpha, classes_only=True).frame
    assert (quick["cls"] == full["cls"]).all()
    passed = full["q"] <= alpha
    assert ((quick["q"] <= alpha) == passed).all()
    np.testing.assert_array_equal(quick["p"][passed], full["p"][passed])
    stopped = (quick["p"] != full["p"]) & full["p"].notna()
    assert (quick["p"][stopped] <= full["p"][stopped]).all()
    if passed.any():
        assert (quick["p"][stopped] > full["p"][passed].max()).all()
    assert stopped.any() or not (full["p"] > 2 * alpha).any()  # far above: stopped early


def test_cells_between_the_cut_and_alpha_stop_early():
    """The cut, not alpha, decides who draws on: on a clustered grid some cells with p below
    alpha that Benjamini-Hochberg does not pass stop with a lower bound."""
    rng = np.random.default_rng(8)
    y = rng.poisson(4, len(CELLS)).astype(float)
    y[STEPS <= 2] += 9
    full = local_moran(y, CELLS, permutations=999).frame
    quick = local_moran(y, CELLS, permutations=999, classes_only=True).frame
    between = (full["p"] <= 0.05) & (full["q"] > 0.05)
    assert between.any()
    assert (quick["p"][between] < full["p"][between]).any()
    assert (quick["cls"] == full["cls"]).all()
