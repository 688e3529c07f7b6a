"""Gi* hot spots on H3 cells: known answers against esda and the Getis-Ord formula, edge cases."""

from __future__ import annotations

import warnings

import h3
import numpy as np
import pytest
from esda import G_Local
from hypothesis import given, settings
from hypothesis import strategies as st
from libpysal.weights import W
from scipy.stats import false_discovery_control, norm

from geo.analysis._stats import bh_adjust
from geo.analysis.cells import str_to_cells
from geo.analysis.hotspots import _bins, cell_weights, gi_star_z, hot_spots

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
    result = hot_spots(y, cells)

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


def test_gi_z_matches_the_value_published_in_esda_tests():
    # esda/tests/test_getisord.py: six points, distance band 15, Gi* binary, Zs[0]
    from libpysal.weights import DistanceBand

    points = np.array([(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = DistanceBand(points, threshold=15)
    z = gi_star_z(np.array([2, 3, 3.2, 5, 8, 7]), w)
    assert z[0] == pytest.approx(-1.39727626, rel=1e-7)


def test_analytic_p_is_the_two_sided_normal_p_of_z():
    cells = disk_cells(4)
    result = hot_spots(cluster_counts(cells), cells)
    frame = result.frame
    np.testing.assert_allclose(frame["p"], 2 * norm.sf(np.abs(frame["gi_z"])), rtol=1e-12)
    np.testing.assert_allclose(frame["q"], false_discovery_control(frame["p"]), rtol=1e-12)
    assert result.inference == "analytic" and result.permutations == 0


def ordinary_town(radius: int = 6, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """127 cells of ordinary streets (Poisson 8 incidents each)."""
    cells = disk_cells(radius)
    return cells, np.random.default_rng(seed).poisson(8, len(cells)).astype(float)


def test_an_isolated_spike_with_ordinary_neighbours_is_hot():
    cells, y = ordinary_town()
    station = np.flatnonzero(steps_from_centre(cells) == 0)[0]  # the bus station
    y[station] = 551
    frame = hot_spots(y, cells).frame
    assert frame["bin"].iloc[station] == 3
    # esda's conditional permutation holds the 551 fixed and calls it not significant
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = G_Local(y, W(hand_neighbours(cells)), star=True, transform="B",
                    permutations=999, seed=3)
    assert false_discovery_control(g.p_sim)[station] > 0.10


def test_the_busiest_cells_are_hot_when_their_neighbourhoods_are_ordinary():
    cells, y = ordinary_town(radius=10, seed=4)  # 331 cells, a town of ~35 km² at res 9
    rng = np.random.default_rng(5)
    busiest = rng.choice(np.flatnonzero(steps_from_centre(cells) % 4 == 0), 3, replace=False)
    y[busiest] = [300, 250, 220]
    bins = hot_spots(y, cells).frame["bin"].to_numpy()
    assert (bins[busiest] >= 2).all()
    assert (bins >= 0).all()


def test_an_ordinary_cell_among_empty_neighbours_is_not_hot():
    cells, y = ordinary_town(seed=2)
    middle = np.flatnonzero(steps_from_centre(cells) == 0)[0]
    ring = steps_from_centre(cells) == 1
    y[ring] = 0
    y[middle] = 8
    for inference in ("analytic", "permutation"):
        frame = hot_spots(y, cells, inference=inference).frame
        assert frame["gi_z"].iloc[middle] < 0
        assert frame["bin"].iloc[middle] <= 0
    # esda's conditional test finds the low neighbourhood "significant" while z says low
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = G_Local(y, W(hand_neighbours(cells)), star=True, transform="B",
                    permutations=999, seed=3)
    assert g.p_sim[middle] <= 0.05


def test_permutation_p_is_total_randomisation_with_the_tail_of_z():
    cells = disk_cells(3)
    y = cluster_counts(cells) + np.arange(len(cells)) % 2
    result = hot_spots(y, cells, inference="permutation", permutations=4999, seed=8)
    frame = result.frame
    assert result.permutations == 4999 and result.inference == "permutation"
    # an independent draw: shuffle every count, neighbourhood sums of each size
    w = cell_weights(cells)
    sizes = 1 + w.sparse.getnnz(axis=1)
    sums = y + w.sparse @ y
    rng = np.random.default_rng(0)
    shuffled = np.array([rng.permutation(y) for _ in range(20_000)])
    for i in range(len(y)):
        null = shuffled[:, :sizes[i]].sum(axis=1)
        z = frame["gi_z"].iloc[i]
        tail = np.mean(null >= sums[i] - 1e-9) if z > 0 else np.mean(null <= sums[i] + 1e-9)
        assert frame["p"].iloc[i] == pytest.approx(min(1.0, 2 * tail), abs=0.03)
    signed = frame[frame["bin"] != 0]
    assert (np.sign(signed["bin"]) == np.sign(signed["gi_z"])).all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=37, max_size=37), st.sampled_from(["analytic",
                                                                               "permutation"]))
def test_sign_of_every_bin_follows_z(counts, inference):
    cells = disk_cells(3)
    frame = hot_spots(np.array(counts, dtype=float), cells, inference=inference,
                      permutations=199).frame
    signed = frame[frame["bin"] != 0]
    assert (np.sign(signed["bin"]) == np.sign(signed["gi_z"])).all()
    assert ((frame["p"] >= 0) & (frame["p"] <= 1) | frame["p"].isna()).all()


def test_hot_centre_is_hot_and_the_far_edge_is_not():
    cells = disk_cells(4)
    result = hot_spots(cluster_counts(cells), cells)
    bins = result.frame["bin"].to_numpy()
    steps = steps_from_centre(cells)
    assert (bins[steps <= 1] >= 2).all()
    assert (bins[steps == 4] <= 0).all()
    assert result.k_ring == 1 and result.fdr
    assert result.frame.index.tolist() == cells.tolist()


def test_permutation_seed_gives_the_same_result_and_global_rng_is_untouched():
    cells = disk_cells(4)
    y = cluster_counts(cells)
    np.random.seed(3)
    before = np.random.random()
    np.random.seed(3)
    first = hot_spots(y, cells, inference="permutation", seed=5)
    after = np.random.random()
    assert before == after
    second = hot_spots(y, cells, inference="permutation", seed=5)
    other = hot_spots(y, cells, inference="permutation", seed=6)
    assert first.frame.equals(second.frame)
    assert not np.array_equal(first.frame["p"], other.frame["p"])


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
    assert raw["bin"].tolist() == _bins(raw["gi_z"].to_numpy(), raw["p"].to_numpy()).tolist()
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
    assert (frame["p"] <= 0.10).any()  # two adjacent single incidents look "significant"
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
    result = run_strict(y, cells, inference="permutation", permutations=99)
    assert any("only 7 cells" in w.lower() for w in result.warnings)
    assert any("99 % bins cannot occur" in w for w in result.warnings)
    centre = np.flatnonzero(steps_from_centre(cells) == 0)[0]
    assert np.isnan(result.frame["gi_z"].iloc[centre])
    assert result.frame["gi_z"].drop(result.frame.index[centre]).notna().all()


def test_warns_when_too_few_permutations_for_fdr_over_many_cells():
    cells = disk_cells(8)  # 217 cells: R = 99 needs 44 cells at p's floor for q <= 0.10
    y = cluster_counts(cells) + 1
    def perm(**kw):
        return hot_spots(y, cells, inference="permutation", **kw)

    few = perm(permutations=99)
    assert any("only hot spots of 44 or more cells" in w for w in few.warnings), few.warnings
    assert not any("or more cells" in w for w in perm(permutations=999).warnings)
    assert not any("or more cells" in w for w in perm(permutations=99, fdr=False).warnings)
    assert not any("permutations" in w for w in hot_spots(y, cells).warnings)


def test_bad_input_is_refused():
    cells = disk_cells(1)
    with pytest.raises(ValueError, match="equally long"):
        hot_spots(np.ones(3), cells)
    with pytest.raises(ValueError, match="not negative"):
        hot_spots(-np.ones(7), cells)
    with pytest.raises(ValueError, match="permutations"):
        hot_spots(np.ones(7), cells, inference="permutation", permutations=0)
    with pytest.raises(ValueError, match="inference must be"):
        hot_spots(np.ones(7), cells, inference="conditional")


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(0, 2**32 - 1), st.floats(0.2, 1.0))
def test_neighbours_are_the_k_rings_cell_by_cell(k, seed, share):
    """The bulk k-ring matrix against h3-py's grid_disk one cell at a time, on a random subset
    of cells in random order (holes make islands and uneven rings)."""
    everything = str_to_cells(h3.grid_disk(CENTRE, 5))
    rng = np.random.default_rng(seed)
    cells = rng.permutation(everything)[: max(1, int(share * len(everything)))]
    w = cell_weights(cells, k=k)
    where = {int(c): i for i, c in enumerate(cells)}
    for i, cell in enumerate(cells):
        ring = {where[int(c)] for c in str_to_cells(h3.grid_disk(format(int(cell), "x"), k))
                if int(c) in where} - {i}
        assert set(w.neighbors[i]) == ring


def test_one_neighbour_matrix_serves_every_band_and_a_wrong_one_is_refused():
    from geo.analysis.clusters import local_moran
    from geo.analysis.hotspots import neighbour_matrix

    cells = np.sort(str_to_cells(h3.grid_disk(CENTRE, 5)))
    rng = np.random.default_rng(12)
    m = neighbour_matrix(cells)
    for _ in range(3):
        y = rng.poisson(3, len(cells)).astype(float)
        assert hot_spots(y, cells, neighbours=m).frame.equals(hot_spots(y, cells).frame)
        assert local_moran(y, cells, neighbours=m).frame.equals(local_moran(y, cells).frame)
    with pytest.raises(ValueError, match="neighbour_matrix"):
        hot_spots(y[1:], cells[1:], neighbours=m)
    with pytest.raises(ValueError, match="neighbour_matrix"):
        local_moran(y[1:], cells[1:], neighbours=m)
