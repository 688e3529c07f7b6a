"""Where to add posts: obvious instances, brute force over all site sets, and invariants."""

from __future__ import annotations

import warnings
from itertools import combinations

import h3
import numpy as np
import pyproj
import pytest

from geo.analysis.cells import str_to_cells
from geo.analysis.siting import SITE_COLUMNS, suggest_posts

TO_UTM = pyproj.Transformer.from_crs(4326, 32634, always_xy=True)  # independent of the module
A = h3.latlng_to_cell(42.8895, 20.8665, 9)  # city centre
B = h3.latlng_to_cell(42.9000, 20.8450, 9)  # about 2 km north-west
# at res 9 here, neighbours' centres lie 360-371 m apart and ring-2 cells 620 m or more:
# a post on a cell centre with a 400 m reach covers exactly that cell and its six neighbours


def _latlng(cells) -> np.ndarray:
    return np.array([h3.cell_to_latlng(c) for c in cells])


def _clusters(weight_a: float, weight_b: float):
    """Cells of two 7-cell clusters around A and B, with the given demand per cell."""
    cells = list(h3.grid_disk(A, 1)) + list(h3.grid_disk(B, 1))
    demand = np.r_[np.full(7, weight_a), np.full(7, weight_b)]
    order = np.argsort(str_to_cells(cells))
    return demand[order], np.sort(str_to_cells(cells))


def _covered_share(demand, cells, posts_latlng, reach_m=400.0) -> float:
    """Share of demand within reach of any post, by plain UTM distances."""
    c = _latlng([format(int(x), "x") for x in cells])
    cx, cy = TO_UTM.transform(c[:, 1], c[:, 0])
    posts = np.asarray(posts_latlng, dtype=float).reshape(-1, 2)
    px, py = TO_UTM.transform(posts[:, 1], posts[:, 0])
    near = np.hypot(np.subtract.outer(cx, px), np.subtract.outer(cy, py)) <= reach_m
    return float(demand[near.any(axis=1)].sum() / demand.sum())


def test_two_far_clusters_get_one_post_each_heavier_first():
    demand, cells = _clusters(3.0, 1.0)
    siting = suggest_posts(demand, cells, p=2, band="night")
    assert list(siting.sites.columns) == SITE_COLUMNS
    assert list(siting.sites["cell"]) == [A, B]
    assert list(siting.sites["rank"]) == [1, 2]
    np.testing.assert_allclose(siting.sites["covered_incidents_added"], [21.0, 7.0])
    np.testing.assert_allclose(siting.coverage, [0.0, 0.75, 1.0])
    np.testing.assert_allclose(siting.sites["coverage_after"], [0.75, 1.0])
    np.testing.assert_allclose(siting.sites[["lat", "lng"]], _latlng([A, B]))
    assert siting.baseline_coverage == 0.0 and siting.band == "night" and siting.notes == []


def _random_instance(seed: int):
    """About 40 cells of random demand in the city and 12 random candidate sites near them."""
    rng = np.random.default_rng(seed)
    cells = np.sort(str_to_cells(list(h3.grid_disk(A, 3))))
    demand = rng.poisson(2.0, len(cells)).astype(float) * (rng.random(len(cells)) < 0.7)
    lat_lng = _latlng([format(int(c), "x") for c in cells])
    lo, hi = lat_lng.min(axis=0), lat_lng.max(axis=0)
    candidates = lo + rng.random((12, 2)) * (hi - lo)
    existing = lo + rng.random((1, 2)) * (hi - lo)
    return demand, cells, candidates, existing


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("with_existing", [False, True])
def test_coverage_equals_brute_force_over_all_site_sets(seed, with_existing):
    demand, cells, candidates, existing = _random_instance(seed)
    existing = existing if with_existing else np.zeros((0, 2))
    siting = suggest_posts(demand, cells, existing_latlng=existing,
                           candidates_latlng=candidates, p=3)
    best = [max(_covered_share(demand, cells, np.vstack([existing, candidates[list(s)]]))
                for s in combinations(range(12), k)) for k in range(4)]
    n = len(siting.coverage) - 1
    np.testing.assert_allclose(siting.coverage, best[: n + 1], atol=1e-12)
    # fewer posts only when the last optimum already covers all that any candidate can reach
    np.testing.assert_allclose(best[n:], best[n], atol=1e-12)
    chosen = siting.sites[["lat", "lng"]].to_numpy()
    assert _covered_share(demand, cells, np.vstack([existing, chosen])) == pytest.approx(best[n])
    assert all((candidates == site).all(axis=1).any() for site in chosen)


def test_existing_post_is_kept_and_its_cluster_gets_no_new_post():
    demand, cells = _clusters(3.0, 1.0)
    siting = suggest_posts(demand, cells, existing_latlng=_latlng([A]), p=2)
    assert list(siting.sites["cell"]) == [B]
    assert siting.baseline_coverage == pytest.approx(0.75)
    np.testing.assert_allclose(siting.coverage, [0.75, 1.0])
    assert any("only 1 of the 2" in note for note in siting.notes)


def test_existing_posts_covering_everything_leave_nothing_to_add():
    demand, cells = _clusters(3.0, 1.0)
    siting = suggest_posts(demand, cells, existing_latlng=_latlng([A, B]), p=3)
    assert siting.sites.empty and list(siting.sites.columns) == SITE_COLUMNS
    assert siting.coverage == [1.0]
    assert any("already cover every incident" in note for note in siting.notes)


def test_zero_demand_suggests_nothing_and_says_so():
    _, cells = _clusters(0.0, 0.0)
    siting = suggest_posts(np.zeros(len(cells)), cells, p=2, band="day")
    assert siting.sites.empty and list(siting.sites.columns) == SITE_COLUMNS
    assert np.isnan(siting.baseline_coverage) and len(siting.coverage) == 1
    assert np.isnan(siting.coverage[0])
    assert any("no incidents in band 'day'" in note for note in siting.notes)


def test_no_candidate_within_reach_of_uncovered_demand():
    demand, cells = _clusters(1.0, 1.0)
    far = np.array([[42.95, 20.80]])  # some 7 km away
    siting = suggest_posts(demand, cells, candidates_latlng=far, p=1)
    assert siting.sites.empty and siting.coverage == [0.0]
    assert any("no candidate site lies within 400 m" in note for note in siting.notes)


def test_best_single_post_outside_best_pair_is_reported_honestly():
    # four cells in a straight row a1 a2 b1 b2, 360 m apart; candidates midway between them
    i, j = h3.cell_to_local_ij(A, A)
    row = [h3.local_ij_to_cell(A, i + k, j) for k in range(4)]
    centres = _latlng(row)
    between = (centres[:-1] + centres[1:]) / 2  # (a1|a2), (a2|b1), (b1|b2): 180 m from each
    cells = str_to_cells(row)
    order = np.argsort(cells)
    demand = np.array([2.0, 3.0, 3.0, 2.0])[order]
    siting = suggest_posts(demand, cells[order], candidates_latlng=between, p=2, reach_m=250)
    np.testing.assert_allclose(siting.coverage, [0.0, 0.6, 1.0])  # {a2|b1}, then the two ends
    np.testing.assert_allclose(siting.sites[["lat", "lng"]], between[[0, 2]])
    np.testing.assert_allclose(siting.sites["coverage_after"], [0.5, 1.0])
    assert any("not all part of the suggested set" in note for note in siting.notes)
    more = suggest_posts(demand, cells[order], candidates_latlng=between, p=3, reach_m=250)
    assert len(more.sites) == 2 and more.coverage == siting.coverage  # a third adds nothing
    assert any("only 2 of the 3" in note for note in more.notes)


@pytest.mark.parametrize("seed", range(10))
def test_coverage_rises_from_baseline_and_table_adds_up(seed):
    demand, cells, _, existing = _random_instance(seed)
    siting = suggest_posts(demand, cells, existing_latlng=existing, p=3, reach_m=300)
    cov = np.array(siting.coverage)
    assert cov[0] == siting.baseline_coverage
    assert (np.diff(cov) > 0).all() and (cov <= 1).all() and (cov >= 0).all()
    sites = siting.sites
    assert len(sites) == len(cov) - 1 and list(sites["rank"]) == list(range(1, len(sites) + 1))
    added = sites["covered_incidents_added"].to_numpy()
    assert (added > 0).all() and (np.diff(added) <= 0).all()
    after = siting.baseline_coverage + np.cumsum(added) / demand.sum()
    np.testing.assert_allclose(sites["coverage_after"], after)
    assert sites["coverage_after"].iloc[-1] == pytest.approx(cov[-1])
    assert sites["cell"].is_unique


def test_bad_inputs_are_rejected_with_the_values():
    demand, cells = _clusters(1.0, 1.0)
    with pytest.raises(ValueError, match="13 values for 14 cells"):
        suggest_posts(demand[:-1], cells)
    with pytest.raises(ValueError, match="1 negative"):
        suggest_posts(np.r_[-1.0, demand[1:]], cells)
    with pytest.raises(ValueError, match="reach_m=0"):
        suggest_posts(demand, cells, reach_m=0)
    with pytest.raises(ValueError, match=r"existing_latlng .* shape \(3,\)"):
        suggest_posts(demand, cells, existing_latlng=np.array([42.9, 20.8, 1.0]))


@pytest.mark.parametrize("seed", range(4))
def test_the_covering_model_matches_spopt(seed):
    """The sparse HiGHS model covers as much as spopt's MCLP (through PuLP and CBC) on
    the same cost matrix, with and without fixed facilities."""
    import pulp
    from spopt.locate import MCLP

    from geo.analysis.siting import _solve_mclp

    rng = np.random.default_rng(seed)
    points, sites = rng.uniform(0, 2_000, (40, 2)), rng.uniform(0, 2_000, (15, 2))
    cost = np.hypot(*(points[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    weight = rng.integers(0, 6, 40).astype(float)
    for fixed in (0, 2):
        mine = _solve_mclp(cost <= 400.0, weight, fixed, 3)
        with warnings.catch_warnings():  # PuLP announces its 4.0 API on every variable
            warnings.simplefilter("ignore", DeprecationWarning)
            model = MCLP.from_cost_matrix(
                cost, weight, 400.0, fixed + 3,
                predefined_facilities_arr=np.r_[np.ones(fixed, int), np.zeros(15 - fixed, int)]
                if fixed else None)
            model.solve(pulp.PULP_CBC_CMD(msg=False), results=False)
        theirs = np.flatnonzero([(v.value() or 0) > 0.5 for v in model.fac_vars])

        def covered(open_sites):
            return weight[(cost[:, open_sites] <= 400.0).any(axis=1)].sum()
        assert len(mine) == 3
        assert covered(np.r_[np.arange(fixed), mine + fixed]) == covered(theirs)


@pytest.mark.parametrize("seed", range(5))
def test_dominated_candidates_are_those_a_dense_overlap_finds(seed):
    from geo.analysis.siting import _reduce

    rng = np.random.default_rng(seed)
    reach = rng.random((30, 25)) < 0.15
    reach[:, 3] = reach[:, 4]  # a duplicate: the first is kept
    reach[:, 7] = reach[:, 8] | reach[:, 9]  # 8 and 9 are dominated by 7
    useful = np.flatnonzero(reach.any(axis=0))
    _, first = np.unique(reach[:, useful].T, axis=0, return_index=True)
    useful = useful[np.sort(first)]
    sets = reach[:, useful].astype(float)
    shared = sets.T @ sets
    size = np.diag(shared)
    dominated = ((shared == size[:, None]) & (size[None, :] > size[:, None])).any(axis=1)
    expected = useful[~dominated]
    np.testing.assert_array_equal(_reduce(reach), expected)
    assert 4 not in expected
    if reach[:, 8].any() and (reach[:, 9] & ~reach[:, 8]).any():
        assert 8 not in expected


@pytest.mark.slow
def test_a_country_sized_instance_fits_in_a_modest_memory():
    """50,000 cells, most with incidents, every cell a candidate: a full table of distances
    would hold 50,000 x 28,000 numbers (11 GB); the reach of each site is a few dozen cells."""
    import tracemalloc

    centre = h3.latlng_to_cell(42.8895, 20.8665, 10)
    cells = np.sort(str_to_cells(list(h3.grid_disk(centre, 129))))
    demand = np.random.default_rng(0).poisson(0.8, len(cells)).astype(float)
    assert len(cells) > 50_000 and (demand > 0).sum() > 25_000
    tracemalloc.start()
    try:
        siting = suggest_posts(demand, cells, p=2, reach_m=400.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 300e6
    assert len(siting.sites) == 2 and siting.coverage[0] == 0.0
    assert siting.coverage[1] < siting.coverage[2]
    assert any("model size limit" in note for note in siting.notes)


def test_one_post_among_equal_candidates_is_the_first_every_time():
    """One new post: the candidate reaching the most uncovered incidents, the first of
    equals (cells in order), so the same data always gives the same site."""
    far = [h3.latlng_to_cell(42.8895, 20.8665, 9), h3.latlng_to_cell(42.9000, 20.845, 9),
           h3.latlng_to_cell(42.8700, 20.90, 9)]  # kilometres apart: no post reaches two
    cells = np.sort(str_to_cells(far))
    for _ in range(3):
        result = suggest_posts(np.ones(3), cells, p=1)
        assert result.coverage == pytest.approx([0.0, 1 / 3])
        assert result.sites["cell"].tolist() == [format(int(cells[0]), "x")]
        assert [m.tolist() for m in result.covered_cells] == [[False] * 3,
                                                             [True, False, False]]
    heavier = suggest_posts(np.array([1.0, 1.0, 2.0]), cells, p=1)
    assert heavier.sites["cell"].tolist() == [format(int(cells[2]), "x")]
