"""Emerging hot spots: Mann-Kendall by hand, time slices, every class, and synthetic clusters."""

from __future__ import annotations

import math
import time

import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo._errors import UsageError
from geo.analysis.cells import str_to_cells
from geo.analysis.emerging import (
    CATEGORIES,
    classify,
    classify_many,
    emerging_hot_spots,
    mann_kendall,
    mann_kendall_many,
    slice_times,
)

CENTRE = h3.latlng_to_cell(42.8895, 20.8665, 9)


# ---------------------------------------------------------------- Mann-Kendall

def hand_z_p(s: float, n: int, tie_groups: list[int]) -> tuple[float, float]:
    """z and two-sided p straight from the textbook formulas (Kendall 1975; Gilbert 1987)."""
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in tie_groups)) / 18
    z = (s - 1) / math.sqrt(var) if s > 0 else (s + 1) / math.sqrt(var) if s < 0 else 0.0
    return z, math.erfc(abs(z) / math.sqrt(2))


@pytest.mark.parametrize(("series", "s", "ties"), [
    ([1, 2, 3, 4, 5], 10, []),
    ([5, 4, 3, 2, 1], -10, []),
    ([1, 1, 2, 2], 4, [2, 2]),
    ([3, 1, 2], -1, []),
    ([2, 2, 2, 1, 3, 3], 5, [3, 2]),
])
def test_mann_kendall_known_answers(series, s, ties):
    x = np.array(series, dtype=float)
    by_hand = sum(np.sign(x[j] - x[i]) for i in range(len(x)) for j in range(i + 1, len(x)))
    assert by_hand == s  # the expected S itself is right
    got_s, got_z, got_p = mann_kendall(x)
    z, p = hand_z_p(s, len(x), ties)
    assert got_s == s
    assert got_z == pytest.approx(z, abs=1e-12)
    assert got_p == pytest.approx(p, abs=1e-12)


def test_mann_kendall_textbook_values():
    # n = 5, S = 10: Var = 5*4*15/18 = 16.667, z = 9 / 4.0825 = 2.2045, p = 0.0275
    s, z, p = mann_kendall(np.arange(1, 6))
    assert (s, round(z, 4), round(p, 4)) == (10.0, 2.2045, 0.0275)
    # ties shrink the variance: [1, 1, 2, 2] has Var = (156 - 36) / 18 = 6.667
    assert mann_kendall(np.array([1, 1, 2, 2]))[1] == pytest.approx(3 / math.sqrt(120 / 18))


def test_mann_kendall_flat_short_and_missing():
    assert mann_kendall(np.full(8, 3.0)) == (0.0, 0.0, 1.0)
    assert mann_kendall(np.array([4.0])) == (0.0, 0.0, 1.0)
    assert mann_kendall(np.array([])) == (0.0, 0.0, 1.0)
    assert mann_kendall(np.array([1, np.nan, 2, 3, np.nan])) == mann_kendall(np.array([1, 2, 3]))


def test_mann_kendall_many_equals_scalar_on_random_matrices():
    rng = np.random.default_rng(11)
    for rows, cols in [(1, 1), (5, 2), (40, 12), (30, 53)]:
        for ints in (True, False):
            m = rng.integers(-3, 4, (rows, cols)).astype(float) if ints \
                else rng.normal(size=(rows, cols))
            m[rng.random(m.shape) < 0.15] = np.nan
            s, z, p = mann_kendall_many(m)
            expected = np.array([mann_kendall(row) for row in m]).reshape(rows, 3)
            np.testing.assert_allclose(s, expected[:, 0])
            np.testing.assert_allclose(z, expected[:, 1], atol=1e-12)
            np.testing.assert_allclose(p, expected[:, 2], atol=1e-12)


def test_mann_kendall_many_rejects_1d():
    with pytest.raises(ValueError, match="2-d"):
        mann_kendall_many(np.arange(5))


# ---------------------------------------------------------------- time slices

def utc(*stamps: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(stamps), utc=True))


def test_months_cover_gaps_in_local_time():
    idx, labels = slice_times(utc("2025-01-15 10:00", "2025-04-15 10:00",
                                  "2025-06-30 22:30", "2025-12-31 23:30"))
    # 22:30 UTC on 30 June is 00:30 on 1 July in Belgrade; 23:30 UTC on 31 Dec is New Year
    assert labels == [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01"]
    assert idx.tolist() == [0, 3, 6, 12]


def test_weeks_start_on_local_monday_and_use_iso_years():
    # 1 June 2025 is a Sunday: 21:30 UTC is Sunday 23:30 local, 22:30 UTC is Monday 00:30
    idx, labels = slice_times(utc("2025-06-01 21:30", "2025-06-01 22:30"), freq="week")
    assert labels == ["2025-W22", "2025-W23"]
    assert idx.tolist() == [0, 1]
    idx, labels = slice_times(utc("2024-12-30 12:00", "2025-01-13 12:00"), freq="week")
    assert labels == ["2025-W01", "2025-W02", "2025-W03"]  # ISO 2025 starts on 30 Dec 2024
    assert idx.tolist() == [0, 2]


def test_slice_times_edges():
    naive = pd.Series(pd.to_datetime(["2025-03-01 12:00"]))
    assert slice_times(naive)[1] == ["2025-03"]  # naive times are UTC
    idx, labels = slice_times(pd.Series(pd.to_datetime([], utc=True)))
    assert (idx.size, labels) == (0, [])
    with pytest.raises(UsageError, match="'week' or 'month'"):
        slice_times(utc("2025-03-01 12:00"), freq="day")
    with pytest.raises(ValueError, match="NaT"):
        slice_times(pd.Series(pd.to_datetime(["2025-03-01 12:00", None], utc=True)))


# ---------------------------------------------------------------- classes

H, C, O = 2, -2, 0  # noqa: E741 (O reads as the zero bin)
FLAT, UP, DOWN = (0.3, 0.76), (3.1, 0.002), (-3.1, 0.002)
HOT_CASES = [  # (bins over 12 slices, (trend z, trend p), expected)
    ([H] * 12, FLAT, "persistent hot spot"),
    ([3, 2, 3, 1, 2, 3, 3, 2, 2, 3, 2, 3], FLAT, "persistent hot spot"),  # 11 of 12 is >= 90 %
    ([H] * 12, UP, "intensifying hot spot"),
    ([O] + [H] * 11, UP, "intensifying hot spot"),
    ([3] * 12, DOWN, "diminishing hot spot"),
    ([H] * 11 + [O], FLAT, "historical hot spot"),
    ([H] * 11 + [O], DOWN, "historical hot spot"),
    ([O] * 11 + [H], FLAT, "new hot spot"),
    ([O] * 9 + [H] * 3, UP, "consecutive hot spot"),
    ([O] * 2 + [H] * 10, UP, "consecutive hot spot"),  # 10 of 12 is under 90 %
    ([H] + [O] * 8 + [H] * 3, FLAT, "sporadic hot spot"),
    ([O, H, O, O, H, O, O, O, 3, O, O, H], FLAT, "sporadic hot spot"),
    ([O, C, O, O, H, O, O, O, O, O, O, H], FLAT, "oscillating hot spot"),
    ([C] + [O] * 10 + [H], FLAT, "oscillating hot spot"),  # not new: it was cold before
    ([C] + [O] * 8 + [H] * 3, UP, "oscillating hot spot"),  # not consecutive either
    ([H] * 10 + [O, O], FLAT, "no pattern detected"),  # under 90 %, and not hot at the end
    ([O, O, H, H, H, O, O, O, O, O, O, O], FLAT, "no pattern detected"),
    ([O] * 11 + [1], FLAT, "new hot spot"),  # 90 % bins count, as in Esri's bins
    ([O] * 12, FLAT, "no pattern detected"),
]


def mirror(case):
    bins, (z, p), expected = case
    return [-b for b in bins], (-z, p), expected.replace("hot", "cold")


@pytest.mark.parametrize(("bins", "trend", "expected"),
                         HOT_CASES + [mirror(c) for c in HOT_CASES])
def test_classify_every_pattern_and_its_cold_mirror(bins, trend, expected):
    assert classify(np.array(bins), *trend, alpha=0.05) == expected


def test_cases_reach_every_category():
    expected = {e for *_, e in HOT_CASES} | {mirror(c)[2] for c in HOT_CASES}
    assert expected == set(CATEGORIES)
    assert len(CATEGORIES) == 17


def test_ninety_percent_is_inclusive():
    assert classify(np.array([O] + [H] * 9), *FLAT) == "persistent hot spot"  # 9 of 10
    assert classify(np.array([O, O] + [H] * 8), *FLAT) == "consecutive hot spot"  # 8 of 10
    assert classify(np.array([H] * 9 + [O]), *FLAT) == "historical hot spot"


def test_classify_min_bin_sets_the_slices_and_alpha_the_trend():
    late = np.array([O] * 11 + [1])
    assert classify(late, 0.0, 1.0) == "new hot spot"  # Esri counts 90 % bins
    assert classify(late, 0.0, 1.0, min_bin=2) == "no pattern detected"
    mixed = np.array([1, 2, 3] * 4)
    assert classify(mixed, 0.0, 1.0) == "persistent hot spot"
    assert classify(mixed, 0.0, 1.0, min_bin=2) == "sporadic hot spot"
    assert classify(mixed, 0.0, 1.0, min_bin=3) == "sporadic hot spot"
    steady = np.array([3] * 12)
    assert classify(steady, 2.0, 0.045, alpha=0.05) == "intensifying hot spot"
    assert classify(steady, 2.0, 0.045, alpha=0.01) == "persistent hot spot"
    assert classify(steady, 5.0, np.nan) == "persistent hot spot"  # no trend
    assert classify(np.array([], dtype=int), 0.0, 1.0) == "no pattern detected"
    with pytest.raises(ValueError, match="alpha"):
        classify(np.array([H]), 0.0, 1.0, alpha=1.5)
    with pytest.raises(ValueError, match="min_bin"):
        classify(np.array([H]), 0.0, 1.0, min_bin=4)


# ---------------------------------------------------------------- end to end

def disk(radius: int, centre: str = CENTRE) -> np.ndarray:
    return str_to_cells(h3.grid_disk(centre, radius))


CELLS = disk(6)  # 127 cells, about North Mitrovica's size at res 9
CENTRE_CELL = str_to_cells([CENTRE])[0]
INNER = disk(1)  # the centre and its ring: every neighbour of these is in BLOB
BLOB = disk(2)
RING2 = np.setdiff1d(BLOB, INNER)
FAR = np.array([c for c in CELLS
                if h3.grid_distance(CENTRE, format(int(c), "x")) >= 4], dtype=np.uint64)


def synthetic(extra, *, months: int = 12, background: float = 2.0, seed: int = 5
              ) -> pd.DataFrame:
    """Poisson incidents per cell and month: ``background`` everywhere plus ``extra(m)``, an
    array over CELLS; points sit at cell centres, mid-month."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(months):
        for cell, n in zip(CELLS, rng.poisson(background + extra(m)), strict=True):
            lat, lng = h3.cell_to_latlng(format(int(cell), "x"))
            month = pd.Timestamp("2025-01-01 10:00", tz="UTC") + pd.DateOffset(months=m)
            rows += [(lat, lng, month + pd.Timedelta(days=int(d) - 1))
                     for d in rng.integers(1, 28, n)]
    return pd.DataFrame(rows, columns=["lat", "lng", "time"])


def in_blob(per_cell: float) -> np.ndarray:
    return np.isin(CELLS, BLOB) * per_cell


YEAR = (pd.Timestamp("2025-01-01", tz="UTC"), pd.Timestamp("2025-12-31 12:00", tz="UTC"))


def run(incidents: pd.DataFrame, cells: np.ndarray = CELLS, **kw):
    """Emerging hot spots of a synthetic year (the data cover every day of 2025)."""
    if "time" in incidents and len(incidents):
        last = incidents["time"].max().normalize() + pd.offsets.MonthEnd(0)
        kw.setdefault("period", (YEAR[0], last))
    return emerging_hot_spots(incidents, cells, res=9, **kw)


def test_growing_cluster_is_consecutive_and_background_stays_quiet():
    # nothing for five months, then a 19-cell cluster that grows by 4 incidents a cell a month
    result = run(synthetic(lambda m: in_blob(max(0, 4 * (m - 4)))))
    frame = result.frame
    assert result.slices == [f"2025-{m:02d}" for m in range(1, 13)]
    assert result.bins.shape == (len(CELLS), 12)
    centre = frame.loc[CENTRE_CELL]
    assert centre["category"] == "consecutive hot spot"
    assert centre["trend_z"] > 2 and centre["trend_p"] < 0.05
    assert centre["last_bin"] >= 1 and 5 <= centre["hot_slices"] <= 7
    assert (frame.loc[INNER, "category"] == "consecutive hot spot").mean() >= 0.7
    assert (frame.loc[FAR, "category"] == "no pattern detected").mean() >= 0.9
    assert set(frame["category"]) <= set(CATEGORIES)


def test_stable_cluster_is_persistent():
    frame = run(synthetic(lambda _: in_blob(8), seed=6)).frame
    assert frame.loc[CENTRE_CELL, "category"] == "persistent hot spot"
    assert (frame.loc[INNER, "category"] == "persistent hot spot").mean() >= 0.7
    assert (frame.loc[INNER, "hot_slices"] >= 10).all()
    assert (frame.loc[INNER, "cold_slices"] == 0).all()


def test_stable_cluster_stays_persistent_at_95_percent():
    # the analytic test has no permutation floor: FDR over 127 cells confirms 95 % bins
    strict = run(synthetic(lambda _: in_blob(8), seed=6), min_bin=2).frame
    assert (strict.loc[INNER, "hot_slices"] == 12).all()
    assert strict.loc[CENTRE_CELL, "category"] == "persistent hot spot"


def test_tightening_cluster_intensifies_at_its_centre():
    # the inner 7 cells hold 16 a month while the ring around them fades from 16 to 4:
    # the centre's neighbourhood stands out more and more, so its Gi* z-scores rise
    def extra(m: int) -> np.ndarray:
        return np.isin(CELLS, INNER) * 16 + np.isin(CELLS, RING2) * (16 - m * 12 / 11)

    frame = run(synthetic(extra, seed=7)).frame
    centre = frame.loc[CENTRE_CELL]
    assert centre["category"] == "intensifying hot spot"
    assert centre["trend_z"] > 3 and centre["hot_slices"] >= 11


def test_cells_keep_input_order_and_outside_points_fail():
    incidents = synthetic(lambda _: in_blob(8), seed=6)
    shuffled = np.random.default_rng(1).permutation(CELLS)
    result = run(incidents, cells=shuffled)
    assert result.frame.index.to_numpy().tolist() == shuffled.tolist()
    # z-scores are analytic, so the trend does not depend on the order (permutations do)
    in_order = run(incidents).frame
    np.testing.assert_allclose(result.frame.loc[CELLS, "trend_z"], in_order["trend_z"])
    with pytest.raises(ValueError, match="outside"):
        run(incidents, cells=disk(0))


def test_warnings_for_few_slices_sparse_counts_and_empty_months():
    few = run(synthetic(lambda _: in_blob(8), months=5, seed=8))
    assert any("Only 5 month slices" in w and "Mann-Kendall" in w for w in few.warnings)
    sparse = run(synthetic(lambda _: in_blob(1), background=0.05, seed=9))
    assert any(w.startswith("Every slice (2025-01, 2025-02, 2025-03, ...): Counts are sparse")
               for w in sparse.warnings)
    assert (sparse.frame.loc[FAR, "category"] == "no pattern detected").all()
    incidents = synthetic(lambda _: in_blob(8), seed=6)
    gapped = run(incidents[incidents["time"].dt.month != 3])
    assert len(gapped.slices) == 12
    assert (gapped.bins[:, 2] == 0).all()
    assert "1 slice could not be tested (2025-03)" in " ".join(gapped.warnings)
    assert "1 of 12 slices (2025-03): No incidents" in " ".join(gapped.warnings)
    full = run(incidents)
    assert not any("Mann-Kendall" in w or "could not be tested" in w for w in full.warnings)


def test_bad_options_and_speed():
    with pytest.raises(ValueError, match="lack column"):
        run(pd.DataFrame({"lat": [42.89], "lng": [20.86]}))
    incidents = synthetic(lambda _: in_blob(8), seed=6)
    with pytest.raises(ValueError, match="min_bin"):
        run(incidents, min_bin=0)
    start = time.perf_counter()
    run(incidents)
    assert time.perf_counter() - start < 5.0  # 12 months x 127 cells


def test_a_month_cut_short_is_left_out_and_does_not_erase_the_patterns():
    incidents = synthetic(lambda _: in_blob(8), months=13, seed=6)
    cut = incidents[incidents["time"] < pd.Timestamp("2026-01-06", tz="UTC")]
    result = run(cut, period=(YEAR[0], pd.Timestamp("2026-01-05 20:00", tz="UTC")))
    assert result.slices[-1] == "2025-12" and len(result.slices) == 12
    assert any("Incomplete slices left out: the last slice, 2026-01, holds only 5 of its 31 "
               "days" in w for w in result.warnings)
    assert result.frame.loc[CENTRE_CELL, "category"] == "persistent hot spot"
    # kept, the short month would decide every class: nothing is hot in it
    kept = emerging_hot_spots(cut, CELLS, res=9, period=(YEAR[0], pd.Timestamp(
        "2026-01-31", tz="UTC")))
    assert len(kept.slices) == 13
    assert kept.frame.loc[CENTRE_CELL, "category"] != "persistent hot spot"


def test_weekly_slices_of_a_small_town_say_the_data_are_too_few():
    incidents = synthetic(lambda _: in_blob(1), background=0.3, seed=9)
    weekly = run(incidents, freq="week")
    assert any(w.startswith("Too few incidents for weekly slices") and "monthly slices" in w
               for w in weekly.warnings), weekly.warnings
    monthly = run(synthetic(lambda _: in_blob(8), seed=6))
    assert not any(w.startswith("Too few") for w in monthly.warnings)


def test_permutation_inference_is_passed_through_without_a_cap():
    incidents = synthetic(lambda _: in_blob(8), months=3, seed=6)
    result = run(incidents, inference="permutation", permutations=4999)
    analytic = run(incidents)
    assert (result.frame.loc[INNER, "hot_slices"] >= 2).all()
    np.testing.assert_allclose(result.frame["trend_z"], analytic.frame["trend_z"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=4, max_size=24))
def test_mann_kendall_equals_pymannkendall(series):
    import pymannkendall

    x = np.array(series, dtype=float)
    if np.ptp(x) == 0:
        return
    expected = pymannkendall.original_test(x)
    s, z, p = mann_kendall(x)
    assert s == expected.s
    assert z == pytest.approx(expected.z, abs=1e-9)
    assert p == pytest.approx(expected.p, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), st.integers(0, 14), st.integers(0, 2**32 - 1), st.sampled_from([1, 2]),
       st.sampled_from([0.05, 0.1]))
def test_classify_many_equals_classify_row_by_row(cells, slices, seed, min_bin, alpha):
    rng = np.random.default_rng(seed)
    bins = rng.choice([-3, -2, -1, 0, 0, 0, 1, 2, 3], size=(cells, slices))
    bins[rng.random(cells) < 0.3] = bins[0]  # repeated patterns
    trend_z = rng.normal(0, 2, cells)
    trend_p = rng.choice([0.01, 0.04, 0.07, 0.5, np.nan], cells)
    trend_z[np.isnan(trend_p)] = np.nan
    got = classify_many(bins, trend_z, trend_p, alpha, min_bin=min_bin)
    want = [classify(b, z, p, alpha, min_bin=min_bin)
            for b, z, p in zip(bins, trend_z, trend_p, strict=True)]
    assert got.tolist() == want
