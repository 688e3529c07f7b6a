"""Before/after: exact rate test, WDD against published numbers, periods across DST, areas."""

from __future__ import annotations

import math
from fractions import Fraction

import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import false_discovery_control, norm

from geo._errors import UsageError
from geo.analysis.cells import str_to_cells
from geo.analysis.change import areas_from_cells, rate_test, split_periods, wdd

CENTRE = h3.latlng_to_cell(42.8895, 20.8665, 9)


def minlike_p(k: int, n: int, t_before: int, t_after: int) -> float:
    """Two-sided conditional-binomial p in exact arithmetic: the sum of pmf(x) over every x
    no more likely than k (scipy allows pmf(x) up to pmf(k) * (1 + 1e-7) for rounding)."""
    p0 = Fraction(t_after, t_before + t_after)
    pmf = [math.comb(n, x) * p0**x * (1 - p0) ** (n - x) for x in range(n + 1)]
    limit = pmf[k] * Fraction(1 + 1e-7)
    return min(1.0, float(sum(v for v in pmf if v <= limit)))


# --- rate_test: known answers -------------------------------------------------------------

def test_ten_before_two_after_equal_periods():
    expected = 2 * sum(math.comb(12, x) for x in range(3)) / 2**12  # 2 * P(X <= 2), 0.0386
    row = rate_test(np.array([10]), np.array([2]), 30, 30).iloc[0]
    assert row["p"] == pytest.approx(expected, rel=1e-12)
    assert round(row["p"], 4) == 0.0386
    assert (row["direction"], row["ratio"]) == ("down", pytest.approx(0.2))
    assert (row["rate_before"], row["rate_after"]) == (10.0, 2.0)  # per 30 days


def test_equal_counts_equal_periods_give_p_one():
    row = rate_test(np.array([7]), np.array([7]), 45, 45).iloc[0]
    assert row["p"] == 1.0 and row["direction"] == "same" and row["ratio"] == 1.0


def test_unequal_periods_shift_p0():
    # 10 before in 60 days, 2 after in 10 days: p0 = 1/7, so 2 after is about what is expected
    p_long = rate_test(np.array([10]), np.array([2]), 60, 10)["p"].iloc[0]
    assert p_long == pytest.approx(minlike_p(2, 12, 60, 10), rel=1e-9)
    assert p_long > 0.5 > rate_test(np.array([10]), np.array([2]), 30, 30)["p"].iloc[0]
    # the same rate in both periods (20 in 60 days, 10 in 30 days) is no change at all
    same = rate_test(np.array([20]), np.array([10]), 60, 30).iloc[0]
    assert same["p"] == 1.0 and same["direction"] == "same" and same["ratio"] == 1.0


def test_rates_are_per_30_days_and_ratio_nan_without_before():
    out = rate_test(np.array([3, 0]), np.array([0, 4]), 90, 60)
    assert out["rate_before"].tolist() == [1.0, 0.0]
    assert out["rate_after"].tolist() == [0.0, 2.0]
    assert out["ratio"].iloc[0] == 0.0 and np.isnan(out["ratio"].iloc[1])
    assert out["direction"].tolist() == ["down", "up"]


def test_cells_without_incidents_are_not_tests():
    out = rate_test(np.array([0, 30, 0]), np.array([0, 2, 1]), 30, 30)
    assert out.loc[[0], ["p", "q", "significant"]].values.tolist() == [[1.0, 1.0, False]]
    assert np.isnan(out["ratio"].iloc[0]) and out["direction"].iloc[0] == "same"
    # BH over the two tested cells only: the zero cell does not enlarge m
    tested = out["p"].to_numpy()[1:]
    assert out["q"].to_numpy()[1:] == pytest.approx(false_discovery_control(tested))
    assert out["significant"].tolist() == [False, True, False]


def test_q_is_benjamini_hochberg():
    rng = np.random.default_rng(3)
    before, after = rng.poisson(6, 200), rng.poisson(4, 200)
    out = rate_test(before, after, 30, 30)
    tested = (before + after) > 0
    assert out["q"][tested].to_numpy() == pytest.approx(
        false_discovery_control(out["p"][tested].to_numpy()))
    by_p = out.sort_values("p", kind="stable")
    assert (np.diff(by_p["q"].to_numpy()) >= -1e-15).all()
    assert (out["q"] >= out["p"]).all()
    assert (out["significant"] == (out["q"] <= 0.05)).all()


def test_empty_and_bad_inputs():
    assert rate_test(np.array([], dtype=int), np.array([], dtype=int), 1, 1).empty
    with pytest.raises(ValueError, match="counts"):
        rate_test(np.array([-1]), np.array([2]), 30, 30)
    with pytest.raises(ValueError, match="counts"):
        rate_test(np.array([1.5]), np.array([2]), 30, 30)
    with pytest.raises(ValueError, match="differ in length"):
        rate_test(np.array([1, 2]), np.array([2]), 30, 30)
    with pytest.raises(ValueError, match="t_after"):
        rate_test(np.array([1]), np.array([2]), 30, 0)


# --- rate_test: properties ----------------------------------------------------------------

counts = st.lists(st.integers(0, 40), min_size=1, max_size=25)
days = st.integers(1, 400)


@settings(max_examples=60, deadline=None)
@given(st.data(), days, days)
def test_p_matches_exact_arithmetic(data, t_before, t_after):
    before = np.array(data.draw(counts))
    after = np.array(data.draw(st.lists(st.integers(0, 40), min_size=len(before),
                                        max_size=len(before))))
    out = rate_test(before, after, t_before, t_after)
    expected = [minlike_p(int(a), int(a + b), t_before, t_after) if a + b else 1.0
                for b, a in zip(before, after, strict=True)]
    assert out["p"].to_numpy() == pytest.approx(expected, rel=1e-9, abs=1e-300)
    assert ((out["p"] >= 0) & (out["p"] <= 1)).all()
    assert (out["q"] >= out["p"] - 1e-15).all() and (out["q"] <= 1).all()


@settings(max_examples=60, deadline=None)
@given(st.data(), st.floats(0.5, 500), st.floats(0.5, 500))
def test_swapping_periods_keeps_p(data, t_before, t_after):
    before = np.array(data.draw(counts))
    after = np.array(data.draw(st.lists(st.integers(0, 40), min_size=len(before),
                                        max_size=len(before))))
    forward = rate_test(before, after, t_before, t_after)
    backward = rate_test(after, before, t_after, t_before)
    assert forward["p"].to_numpy() == pytest.approx(backward["p"].to_numpy(), rel=1e-6)
    flipped = {"up": "down", "down": "up", "same": "same"}
    assert forward["direction"].map(flipped).tolist() == backward["direction"].tolist()


# --- wdd ----------------------------------------------------------------------------------

def test_wdd_paper_example():
    # Wheeler & Ratcliffe (2018): T 207 -> 110, Ct 308 -> 318, D 178 -> 157, Cd 150 -> 140;
    # WDD = -118, variance 1568 (the sum of the eight counts), z = -2.98, 95 % CI -196..-40.
    # The numbers are those of the test "Est & Variance Paper" in the authors' R package ptools.
    r = wdd(207, 110, 178, 157, 308, 318, buffer_control_before=150, buffer_control_after=140)
    assert r["wdd"] == -118 and r["se"] == pytest.approx(math.sqrt(1568))
    assert round(r["z"], 2) == -2.98
    assert r["p"] == pytest.approx(2 * norm.cdf(-118 / math.sqrt(1568)))
    half = norm.ppf(0.975) * r["se"]
    assert (round(r["wdd"] - half), round(r["wdd"] + half)) == (-196, -40)
    assert (r["local"], r["displacement"]) == (-107, -11)
    assert (r["target_change"], r["buffer_change"], r["control_change"]) == (-97, -21, 10)
    assert "fell in the target area" in r["interpretation"]
    assert "fell in the buffer too" in r["interpretation"]
    assert "more than chance" in r["interpretation"] and "z = -2.98" in r["interpretation"]


def test_wdd_without_buffer_is_a_difference_in_differences():
    # ptools README: wdd(control = c(20, 20), treated = c(20, 10)) -> -10 (SE 8.4), Z -1.195
    r = wdd(20, 10, None, None, 20, 20)
    assert r["wdd"] == -10 and r["se"] == pytest.approx(math.sqrt(70))
    assert r["z"] == pytest.approx(-1.195229, abs=1e-6)
    assert r["displacement"] == 0 and "buffer" not in r["interpretation"]
    assert "within what chance" in r["interpretation"]


def test_wdd_shared_control_counts_twice():
    # one control for target and buffer: WDD = dT + dD - 2 dC, Var = T + D + 4 C
    r = wdd(30, 20, 25, 27, 60, 54)
    assert r["wdd"] == (20 - 30) + (27 - 25) - 2 * (54 - 60)
    assert r["se"] ** 2 == pytest.approx(30 + 20 + 25 + 27 + 4 * (60 + 54))
    # local -10 - (-6) = -4, displacement 2 - (-6) = +8
    assert (r["local"], r["displacement"]) == (-4, 8)
    assert r["interpretation"].startswith("Incidents fell in the target area relative to the "
                                          "control, but rose in the buffer")


def test_wdd_shared_control_variance_by_simulation():
    # the spread of WDD over Poisson draws at known means equals the stated standard error;
    # counting the shared control once (T + D + C) would understate it by about a third
    rng = np.random.default_rng(11)
    means = {"t0": 40, "t1": 30, "d0": 35, "d1": 35, "c0": 60, "c1": 55}
    draws = {k: rng.poisson(v, 4000) for k, v in means.items()}
    sims = (draws["t1"] - draws["t0"]) + (draws["d1"] - draws["d0"]) \
        - 2 * (draws["c1"] - draws["c0"])
    stated = wdd(means["t0"], means["t1"], means["d0"], means["d1"], means["c0"],
                 means["c1"])["se"] ** 2
    assert np.var(sims) == pytest.approx(stated, rel=0.08)


def test_wdd_scaled_after_period_matches_per_time_version():
    # Wheeler (2021), "The WDD test with different pre/post time periods": 2 years before,
    # 1 after; T 80 -> 20, C 100 -> 50; per year -20 with variance 115. Scaling the after
    # counts by t_before / t_after = 2 instead gives the same test in before-period units.
    r = wdd(80, 20, None, None, 100, 50, scale_after=2.0)
    assert r["wdd"] == -40 and r["se"] ** 2 == pytest.approx(4 * 115)
    assert r["z"] == pytest.approx(-20 / math.sqrt(115))
    assert r["interpretation"].count("-40 incidents") == 1


def test_wdd_interpretations():
    moved = wdd(40, 20, 20, 35, 40, 40)["interpretation"]
    assert "fell in the target area" in moved and "but rose in the buffer" in moved
    held = wdd(40, 20, 20, 20, 40, 40)["interpretation"]
    assert "did not move into the buffer" in held
    assert wdd(0, 0, 0, 0, 0, 0)["interpretation"].startswith("No incidents")
    assert wdd(0, 0, 0, 0, 0, 0)["p"] == 1.0


def test_wdd_bad_inputs():
    with pytest.raises(ValueError, match="both buffer counts"):
        wdd(1, 2, 3, None, 4, 5)
    with pytest.raises(ValueError, match="scale_after"):
        wdd(1, 2, None, None, 4, 5, scale_after=0)
    with pytest.raises(ValueError, match=">= 0"):
        wdd(-1, 2, None, None, 4, 5)


# --- split_periods ------------------------------------------------------------------------

def utc(*stamps: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(stamps), utc=True))


def test_split_around_spring_clock_change():
    # 2025-03-30 02:00 CET -> 03:00 CEST in Belgrade
    times = utc("2025-03-29 22:59",   # 23:59 CET on the 29th: before
                "2025-03-29 23:30",   # 00:30 CET on the 30th: after, though the UTC day is the 29th
                "2025-03-30 21:59",   # 23:59 CEST on the 30th
                "2025-03-30 22:00")   # 00:00 CEST on the 31st
    b, a, t_b, t_a = split_periods(times, change_date="2025-03-30")
    assert b.tolist() == [True, False, False, False]
    assert a.tolist() == [False, True, True, True]
    assert (t_b, t_a) == (1.0, 2.0)
    b, a, t_b, t_a = split_periods(times, change_date="2025-03-30",
                                   after=("2025-03-30", "2025-03-30"))
    assert a.tolist() == [False, True, True, False] and t_a == 1.0


def test_split_around_autumn_clock_change():
    # 2025-10-26 03:00 CEST -> 02:00 CET; 21:59 UTC is 23:59 CEST, 22:30 UTC is 00:30 CEST
    times = utc("2025-10-25 21:59", "2025-10-25 22:30", "2025-10-26 22:59", "2025-10-26 23:00")
    b, a, _, _ = split_periods(times, change_date="26.10.2025")
    assert b.tolist() == [True, False, False, False] and a.tolist() == [False, True, True, True]
    _, a, _, t_a = split_periods(times, change_date="2025-10-26",
                                 after=("2025-10-26", "2025-10-26"))
    assert a.tolist() == [False, True, True, False] and t_a == 1.0


def test_explicit_periods_leave_a_gap_and_count_days():
    times = utc("2025-01-15 12:00", "2025-03-10 12:00", "2025-05-20 12:00", "2025-07-01 12:00")
    b, a, t_b, t_a = split_periods(times, change_date="2025-05-29",
                                   before=("2025-01-01", "2025-03-31"),
                                   after=("2025-06-01", "2025-08-31"))
    assert b.tolist() == [True, True, False, False] and a.tolist() == [False, False, False, True]
    assert (t_b, t_a) == (90.0, 92.0)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"change_date": "2025-02-30"}, "change_date '2025-02-30' is not a date"),
    ({"change_date": "soon"}, "is not a date"),
    ({"change_date": "2025-05-29", "before": ("2025-05-01", "2025-05-29")},
     "before period must end before"),
    ({"change_date": "2025-05-29", "after": ("2025-05-28", "2025-06-30")},
     "after period start on or after"),
    ({"change_date": "2025-05-29", "after": ("2025-07-01", "2025-06-30")}, "ends before it"),
    ({"change_date": "2025-05-29", "before": "2025-05-01"}, "two dates"),
    ({"change_date": "2025-01-01"}, "no incidents before"),
    ({"change_date": "2025-12-01"}, "no incidents on or after"),
    ({"change_date": "2025-05-29", "tz": "Mars/Olympus"}, "time zone"),
])
def test_split_periods_errors(kwargs, message):
    times = utc("2025-05-20 12:00", "2025-06-02 12:00")
    with pytest.raises(UsageError, match=message):
        split_periods(times, **kwargs)


# --- areas_from_cells ---------------------------------------------------------------------

def test_buffer_is_the_ring_of_neighbours():
    cells = np.sort(str_to_cells(h3.grid_disk(CENTRE, 3)))
    target = cells == str_to_cells([CENTRE])[0]
    t, b, c = areas_from_cells(cells, target)
    assert set(cells[b]) == set(str_to_cells(h3.grid_ring(CENTRE, 1)))
    assert b.sum() == 6 and c.sum() == len(cells) - 7
    assert ((t.astype(int) + b + c) == 1).all()
    _, b2, _ = areas_from_cells(cells, target, buffer_k=2)
    ring2 = set(str_to_cells(h3.grid_ring(CENTRE, 1))) | set(str_to_cells(h3.grid_ring(CENTRE, 2)))
    assert set(cells[b2]) == ring2


def test_buffer_stays_inside_the_cells_and_control_is_checked():
    cells = np.sort(str_to_cells(h3.grid_disk(CENTRE, 1)))
    edge = str_to_cells([h3.grid_ring(CENTRE, 1)[0]])[0]
    _, b, c = areas_from_cells(cells, cells == edge)
    assert set(cells[b]) <= set(cells) and b.sum() == 3  # the centre and two ring neighbours
    assert c.sum() == 3
    with pytest.raises(UsageError, match="control cells lie in the target"):
        areas_from_cells(cells, cells == edge, control=np.ones(len(cells), dtype=bool))
    no_target = np.zeros(len(cells), dtype=bool)
    t, b, c = areas_from_cells(cells, no_target)
    assert not t.any() and not b.any() and c.all()
