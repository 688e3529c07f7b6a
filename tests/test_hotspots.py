"""Gi* hot spots on H3 cells: known answers against esda and the Getis-Ord formula, edge cases."""

from __future__ import annotations

import warnings

import h3
import numpy as np
import pytest
from esda import G_Local
from libpysal.weights import W
from scipy.stats import false_discovery_control

from geo.analysis._stats import bh_adjust
from geo.analysis.cells import str_to_cells
from geo.analysis.hotspots import _bins, cell_weights, hot_spots

CENTRE = h3.latlng_to_cell(42.8895, 20.8665, 9)
FAR_NE = h3.latlng_to_cell(42.95, 20.95, 9)
FAR_SW = h3.latlng_to_cell(42.80, 20.80, 9)


def disk_cells(radius: int) -> np.ndarray:
    return np.sort(str_to_cells(h3.grid_disk(CENTRE, radius)))


def hand_neighbours(cells: np.ndarray) -> dict[int, list[int]]:
    """Neighbour lists by position, from h3.grid_ring (not grid_disk, unlike the module)."""
    position = {format(int(c), "x"): i for i, c in enumerate(cells)}
    return {i: sorted(position[r] for r in h3.grid_ring(format(int(c), "x"), 1) if r in position)
            for i, c in enumerate(cells)}


def steps_from_centre(cells: np.ndarray) -> np.ndarray:
    return np.array([h3.grid_distance(CENTRE, format(int(c), "x")) for c in cells])


def cluster_counts(cells: np.ndarray) -> np.ndarray:
    """10 at the centre, 6 on ring 1, 2 on ring 2, 1 on ring 3, 0 further out."""
    return np.choose(np.minimum(steps_from_centre(cells), 4), [10, 6, 2, 1, 0]).astype(float)


# ---------------------------------------------------------------- weights

def test_cell_weights_equal_grid_disk_restricted_to_the_set():
    rng = np.random.default_rng(7)
    cells = disk_cells(3)
    cells = rng.permutation(cells[rng.random(len(cells)) > 0.2])  # holes, unsorted
    strs = {format(int(c), "x") for c in cells}
    for k in (1, 2):
        w = cell_weights(cells, k=k)
        assert w.id_order == list(range(len(cells)))
        for i, c in enumerate(cells):
            s = format(int(c), "x")
            expected = (set(h3.grid_disk(s, k)) - {s}) & strs
            got = {format(int(cells[j]), "x") for j in w.neighbors[i]}
            assert got == expected
            assert all(v == 1.0 for v in w.weights[i])


def test_k2_reaches_further_than_k1():
    cells = disk_cells(3)
    w1, w2 = cell_weights(cells, k=1), cell_weights(cells, k=2)
    for i in range(len(cells)):
        assert set(w1.neighbors[i]) <= set(w2.neighbors[i])
    assert w2.s0 > w1.s0
    assert max(w1.cardinalities.values()) == 6
    assert max(w2.cardinalities.values()) == 18


def test_islands_are_reported_and_kept():
    cells = np.concatenate([disk_cells(1), str_to_cells([FAR_NE, FAR_SW])])
    w = cell_weights(cells)
    assert w.n == 9
    assert sorted(w.islands) == [7, 8]


def test_cell_weights_rejects_duplicates_and_k0():
    with pytest.raises(ValueError, match="duplicates"):
        cell_weights(np.concatenate([disk_cells(1), disk_cells(1)[:1]]))
    with pytest.raises(ValueError, match="k must be"):
        cell_weights(disk_cells(1), k=0)


# ---------------------------------------------------------------- Gi* known answer

def test_gi_z_equals_esda_and_the_getis_ord_formula():
    cells = disk_cells(2)
    steps = steps_from_centre(cells)
    y = np.choose(steps, [12.0, 6.0, 1.0]) + np.arange(19) % 3  # hot middle, some unevenness
    result = hot_spots(y, cells, permutations=99)

    neighbours = hand_neighbours(cells)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        esda_z = G_Local(y, W(neighbours), star=True, transform="B", permutations=0).Zs
    np.testing.assert_allclose(result.frame["gi_z"], esda_z, rtol=1e-12)

    # Ord & Getis (1995), Gi* with binary weights and the cell itself included
    n = len(y)
    wij = np.eye(n)
    for i, js in neighbours.items():
        wij[i, js] = 1.0
    mean, s = y.mean(), np.sqrt((y**2).mean() - y.mean() ** 2)
    sum_w, sum_w2 = wij.sum(axis=1), (wij**2).sum(axis=1)
    z = (wij @ y - mean * sum_w) / (s * np.sqrt((n * sum_w2 - sum_w**2) / (n - 1)))
    np.testing.assert_allclose(result.frame["gi_z"], z, rtol=1e-10)
    assert result.frame["gi_z"].iloc[np.flatnonzero(steps == 0)[0]] > 2


def test_p_sim_is_two_sided_from_esda_simulations_with_ties_in_both_tails():
    cells = disk_cells(4)
    y = cluster_counts(cells)
    result = hot_spots(y, cells, permutations=199, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = G_Local(y, W(hand_neighbours(cells)), star=True, transform="B",
                    permutations=199, seed=11, n_jobs=1)
    for i in range(len(y)):
        sims = g.rGs[i]
        at_least = np.sum(sims >= g.Gs[i] * (1 - 1e-9))
        at_most = np.sum(sims <= g.Gs[i] * (1 + 1e-9))
        expected = min(1.0, 2 * (min(at_least, at_most) + 1) / 200)
        assert result.frame["p_sim"].iloc[i] == pytest.approx(expected)


def test_hot_centre_is_hot_and_the_far_edge_is_not():
    cells = disk_cells(4)
    result = hot_spots(cluster_counts(cells), cells)
    bins = result.frame["bin"].to_numpy()
    steps = steps_from_centre(cells)
    assert (bins[steps <= 1] == 2).all()  # 99 % needs q <= 0.01: out of reach with R = 999 here
    assert (bins[steps == 4] <= 0).all()
    assert result.k == 1 and result.permutations == 999 and result.alpha_fdr
    assert result.frame.index.tolist() == cells.tolist()
    more = hot_spots(cluster_counts(cells), cells, permutations=9999).frame["bin"].to_numpy()
    assert (more[steps <= 1] >= 2).all() and (more[steps <= 1] == 3).sum() >= 4
    assert (more[steps == 4] <= 0).all()


def test_zero_neighbourhood_is_not_a_cold_spot_when_most_cells_are_zero():
    # esda's own p_sim (one-sided, ties in one tail only) gives such cells p = 1 / (R + 1)
    cells = disk_cells(6)
    y = np.zeros(len(cells))
    y[steps_from_centre(cells) <= 1] = 5.0
    result = hot_spots(y, cells, fdr=False)
    empty = result.frame[steps_from_centre(cells) >= 4]
    assert (empty["p_sim"] > 0.5).all()
    assert (empty["bin"] == 0).all()


def test_same_seed_same_result_and_global_rng_untouched():
    cells = disk_cells(4)
    y = cluster_counts(cells)
    np.random.seed(3)
    before = np.random.random()
    np.random.seed(3)
    first = hot_spots(y, cells, seed=5)
    after = np.random.random()
    assert before == after
    second = hot_spots(y, cells, seed=5)
    other = hot_spots(y, cells, seed=6)
    assert first.frame.equals(second.frame)
    assert not np.array_equal(first.frame["p_sim"], other.frame["p_sim"])


# ---------------------------------------------------------------- FDR and bins

def test_bh_matches_brute_force_and_scipy():
    p = np.array([0.001, 0.04, 0.03, 0.04, 0.2, 0.9, 0.012, 0.5, 0.049, 0.001, 0.3, 0.04])
    m = len(p)
    rank = np.array([(p <= v).sum() for v in p])  # ties take the largest rank
    brute = np.array([min(1.0, min(m * p[j] / rank[j] for j in range(m) if p[j] >= v))
                      for v in p])
    q = bh_adjust(p)
    np.testing.assert_allclose(q, brute)
    np.testing.assert_allclose(q, false_discovery_control(p, method="bh"))
    assert (q >= p).all()
    order = np.argsort(p)
    assert (np.diff(q[order]) >= 0).all()


def test_bh_skips_untested_cells():
    p = np.array([0.01, np.nan, 0.02, 0.04])
    q = bh_adjust(p)
    assert np.isnan(q[1])
    np.testing.assert_allclose(q[[0, 2, 3]], false_discovery_control(p[[0, 2, 3]]))


def test_bins_follow_the_confidence_levels_and_the_sign_of_z():
    q = np.array([0.001, 0.01, 0.0101, 0.05, 0.0501, 0.10, 0.1001, 0.5, np.nan, 0.001])
    z = np.array([2.5, -2.0, 1.0, 1.0, -1.0, 1.0, 1.0, 3.0, 1.0, np.nan])
    assert _bins(z, q).tolist() == [3, -3, 2, 2, -1, 1, 0, 0, 0, 0]


def test_fdr_false_bins_on_p_sim():
    cells = disk_cells(4)
    y = cluster_counts(cells)
    raw = hot_spots(y, cells, fdr=False).frame
    adjusted = hot_spots(y, cells, fdr=True).frame
    assert raw["bin"].tolist() == _bins(raw["gi_z"].to_numpy(), raw["p_sim"].to_numpy()).tolist()
    assert adjusted["bin"].tolist() == _bins(adjusted["gi_z"].to_numpy(),
                                             adjusted["q"].to_numpy()).tolist()
    assert (raw["bin"] != 0).sum() > (adjusted["bin"] != 0).sum()


# ---------------------------------------------------------------- sparse counts and edge cases

def test_sparse_cells_are_flagged_and_never_hot():
    cells = disk_cells(8)
    y = np.zeros(len(cells))
    y[np.flatnonzero(steps_from_centre(cells) == 0)[0]] = 1
    y[np.flatnonzero(steps_from_centre(cells) == 1)[0]] = 1
    result = hot_spots(y, cells, fdr=False)
    frame = result.frame
    hand = {i: js + [i] for i, js in hand_neighbours(cells).items()}
    expected_sparse = [y[js].sum() < 3 for js in hand.values()]
    assert frame["sparse"].tolist() == expected_sparse
    assert frame["sparse"].all()
    assert (frame["p_sim"] <= 0.10).any()  # two adjacent single incidents look "significant"
    assert (frame["bin"] <= 0).all()
    assert any("fewer than 3 incidents" in w for w in result.warnings)
    assert any(w.startswith("Counts are sparse (2 incidents over 217 cells") for w in
               result.warnings)


def test_dense_counts_give_no_sparse_warning():
    cells = disk_cells(4)
    y = cluster_counts(cells) + 2
    result = hot_spots(y, cells)
    assert not any("sparse" in w.lower() for w in result.warnings)
    assert not result.frame["sparse"].any()


def run_strict(counts: np.ndarray, cells: np.ndarray, **kwargs):
    """hot_spots with every Python warning turned into an error: all news goes in .warnings."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return hot_spots(counts, cells, **kwargs)


@pytest.mark.parametrize(
    ("counts", "cells", "phrase"),
    [
        (np.zeros(19), disk_cells(2), "no incidents: hot spot test not run"),
        (np.full(19, 4.0), disk_cells(2), "same count"),
        (np.array([2.0, 5.0]), disk_cells(1)[:2], "only 2 cells"),
        (np.array([4.0]), disk_cells(1)[:1], "only 1 cells"),
        (np.zeros(0), disk_cells(1)[:0], "only 0 cells"),
        (np.array([3.0, 0.0, 1.0]), str_to_cells([CENTRE, FAR_NE, FAR_SW]),
         "no cell has a neighbour"),
    ],
)
def test_untestable_input_warns_and_bins_nothing(counts, cells, phrase):
    result = run_strict(counts, cells)
    assert any(phrase in w.lower() for w in result.warnings), result.warnings
    assert (result.frame["bin"] == 0).all()
    assert result.frame["gi_z"].isna().all()
    assert len(result.frame) == len(cells)


def test_islands_get_no_statistic_and_are_counted():
    cells = np.concatenate([disk_cells(4), str_to_cells([FAR_NE, FAR_SW])])
    y = np.concatenate([cluster_counts(disk_cells(4)), [9.0, 0.0]])
    result = run_strict(y, cells)
    islands = result.frame.iloc[-2:]
    assert islands["gi_z"].isna().all() and islands["q"].isna().all()
    assert (islands["bin"] == 0).all()
    assert any(w.startswith("2 cells have no neighbour") for w in result.warnings)
    assert result.frame["bin"].iloc[:-2].max() > 0


def test_few_cells_run_with_a_warning_and_no_crash():
    cells = disk_cells(1)  # 7 cells: the centre's neighbourhood is every cell, so no z there
    y = np.array([1.0, 4, 2, 0, 3, 1, 2])
    result = run_strict(y, cells, permutations=99)
    assert any("only 7 cells" in w.lower() for w in result.warnings)
    assert any("99 % bins cannot occur" in w for w in result.warnings)
    centre = np.flatnonzero(steps_from_centre(cells) == 0)[0]
    assert np.isnan(result.frame["gi_z"].iloc[centre])
    assert result.frame["gi_z"].drop(result.frame.index[centre]).notna().all()


def test_warns_when_too_few_permutations_for_fdr_over_many_cells():
    cells = disk_cells(8)  # 217 cells: R = 99 needs 44 cells at p's floor for q <= 0.10
    y = cluster_counts(cells) + 1
    few = hot_spots(y, cells, permutations=99)
    assert any("only hot spots of 44 or more cells" in w for w in few.warnings), few.warnings
    assert not any("or more cells" in w for w in hot_spots(y, cells, permutations=999).warnings)
    assert not any("or more cells" in w for w in hot_spots(y, cells, permutations=99,
                                                            fdr=False).warnings)


def test_bad_input_is_refused():
    cells = disk_cells(1)
    with pytest.raises(ValueError, match="equally long"):
        hot_spots(np.ones(3), cells)
    with pytest.raises(ValueError, match="not negative"):
        hot_spots(-np.ones(7), cells)
    with pytest.raises(ValueError, match="permutations"):
        hot_spots(np.ones(7), cells, permutations=0)
