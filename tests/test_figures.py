"""Concentration and hot-spot accuracy figures: textbook answers, edge cases and invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.analysis.figures import (
    _descending,
    _top_mask,
    concentration_gini,
    concentration_summary,
    generalized_gini,
    gini,
    lorenz_curve,
    pai,
    pai_top,
    predictive_accuracy,
    recapture_rate,
    share_of_cells_for,
)

counts_lists = st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=60)
nonzero_counts = counts_lists.filter(lambda c: sum(c) > 0)


def _area_under(x: np.ndarray, y: np.ndarray) -> float:
    """Trapezoid area under a curve (np.trapezoid needs numpy 2)."""
    return float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)))


# ---- known answers -------------------------------------------------------------------------

def test_gini_perfect_equality_is_zero():
    assert gini([4, 4, 4, 4]) == 0.0
    assert gini([4, 4, 4, 4], corrected=True) == 0.0


def test_gini_all_in_one_cell():
    # uncorrected (n - 1)/n; corrected by n/(n - 1) it is 1
    assert gini([0, 0, 7, 0, 0]) == pytest.approx(4 / 5)
    assert gini([0, 0, 7, 0, 0], corrected=True) == pytest.approx(1.0)
    assert gini([10] + [0] * 99) == pytest.approx(0.99)


def test_gini_worked_example():
    # counts [10, 5, 3, 1, 1], N = 20, n = 5, already sorted from most incidents.
    # Lorenz points: x = 0, .2, .4, .6, .8, 1 and y = 0, .50, .75, .90, .95, 1.
    # Area under the curve (trapezoids, width .2): .2 * (.25 + .625 + .825 + .925 + .975) = .72
    # G = 2 * .72 - 1 = .44; by the rank formula (n + 1)/n - 2 * (10 + 10 + 9 + 4 + 5)/(5 * 20)
    #   = 1.2 - .76 = .44.
    x, y = lorenz_curve([1, 3, 10, 1, 5])
    assert x.tolist() == pytest.approx([0, .2, .4, .6, .8, 1])
    assert y.tolist() == pytest.approx([0, .5, .75, .9, .95, 1])
    assert gini([1, 3, 10, 1, 5]) == pytest.approx(0.44)
    assert 2 * _area_under(x, y) - 1 == pytest.approx(0.44)


@pytest.mark.parametrize(("counts", "classic", "general"), [
    # Bernasco & Steenbeek's lorenzgini package examples (uncorrected)
    ([10, 8, 2] + [0] * 7, 0.78, 0.78),  # 20 incidents >= 10 cells: the two agree
    ([5, 2, 1] + [0] * 7, 0.80, 0.75),  # 8 < 10: G' = 1 - (10/8) * (1 - .8)
    ([3, 1, 1] + [0] * 7, 0.78, 0.56),  # 5 < 10: G' = 1 - 2 * (1 - .78)
])
def test_generalized_gini_known_values(counts, classic, general):
    assert gini(counts) == pytest.approx(classic)
    assert generalized_gini(counts) == pytest.approx(general)


def test_generalized_gini_spread_incidents_is_maximal_equality():
    # 3 incidents in 3 of 10 cells is as equal as 3 incidents can be: the classic Gini calls it
    # concentrated (1 - 3/10 = .7), the generalized Gini says 0 (Bernasco & Steenbeek 2017).
    spread = [1, 1, 1] + [0] * 7
    assert gini(spread) == pytest.approx(0.7)
    assert generalized_gini(spread) == 0.0
    assert concentration_gini(spread) == (0.0, "generalized")


def test_generalized_gini_all_in_one_cell():
    one = [3] + [0] * 9
    assert generalized_gini(one) == pytest.approx(1 - 1 / 3)  # 1 - 1/N uncorrected
    assert generalized_gini(one, corrected=True) == pytest.approx(1.0)


def test_concentration_gini_switches_on_incidents_vs_cells():
    assert concentration_gini([2, 1, 0]) == (gini([2, 1, 0]), "classic")  # N == n
    value, kind = concentration_gini([1, 1, 0, 0])
    assert kind == "generalized" and value == 0.0


def test_share_of_cells_for():
    assert share_of_cells_for([10, 5, 3, 1, 1]) == pytest.approx(0.2)
    assert share_of_cells_for([1, 1, 3, 5, 10], 0.75) == pytest.approx(0.4)
    assert share_of_cells_for([1, 1, 3, 5, 10], 0.76) == pytest.approx(0.6)
    assert share_of_cells_for([1] * 100, 0.07) == pytest.approx(0.07)  # 0.07 * 100 is 7.000...01
    assert share_of_cells_for([1] * 10, 1.0) == 1.0


def test_pai_half_the_incidents_in_a_tenth_of_the_area():
    counts = np.array([10, 2, 2, 2, 2, 2, 0, 0, 0, 0])
    assert pai(counts, np.arange(10) == 0) == pytest.approx(5.0)
    # with areas: the selected cell is twice as large, so a/A = 2/11
    areas = np.array([2.0] + [1.0] * 9)
    assert pai(counts, np.arange(10) == 0, areas=areas) == pytest.approx(0.5 / (2 / 11))


def test_pai_top_in_sample_and_with_a_forecast():
    counts = np.array([2, 2, 10, 2, 2, 2, 0, 0, 0, 0])
    table = pai_top(counts, (0.05, 0.10, 0.20))
    assert table.columns.tolist() == ["area_share", "cells", "selected_area_share",
                                      "incidents_share", "pai", "pei"]
    assert table["cells"].tolist() == [1, 1, 2]  # 5 % of 10 cells is rounded up to one cell
    assert table["pai"].tolist() == pytest.approx([5.0, 5.0, 3.0])  # 12/20 in 20 % -> 3
    assert table["pei"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    forecast = np.array([9.0, 0, 0, 0, 0, 0, 0, 0, 0, 1])  # points at cell 0, then cell 9
    table = pai_top(counts, (0.10, 0.20), ranking=forecast)
    assert table["pai"].tolist() == pytest.approx([1.0, 0.5])
    assert table["pei"].tolist() == pytest.approx([1 / 5, 0.5 / 3])


def test_pai_top_ties_are_taken_in_cell_order():
    ranking = np.array([1.0, 3.0, 3.0, 0.0])
    counts = np.array([0, 0, 4, 0])
    table = pai_top(counts, (0.25,), ranking=ranking)  # cells 1 and 2 tie: cell 1 comes first
    assert table["incidents_share"].tolist() == [0.0]


def test_pai_top_float_areas_do_not_add_a_cell():
    # cumulative shares of 20 areas of 0.05 km² fall just short: 0.04999999999999999, ...
    table = pai_top([5] + [1] * 19, areas=np.full(20, 0.05))
    assert table["cells"].tolist() == [1, 2, 4]
    assert table["pai"].tolist() == pytest.approx([(5 / 24) / 0.05, (6 / 24) / 0.1, (8 / 24) / 0.2])


def test_pai_top_areas_decide_the_number_of_cells():
    areas = np.array([3.0, 1.0, 1.0, 1.0, 4.0])  # total 10
    table = pai_top([5, 4, 3, 2, 1], (0.3, 0.31, 0.5), areas=areas)
    assert table["cells"].tolist() == [1, 2, 3]
    assert table["selected_area_share"].tolist() == pytest.approx([0.3, 0.4, 0.5])


def test_recapture_rate():
    # 8 of 20 incidents were in the selected cell before, 6 of 10 after:
    # (6/8) / (10/20) = .75 / .5 = 1.5
    selected = np.array([True, False, False, False])
    assert recapture_rate([8, 4, 4, 4], [6, 2, 1, 1], selected) == pytest.approx(1.5)
    # (1/8) / (5/20) = .125 / .25 = .5: the cell kept half its share
    assert recapture_rate([8, 4, 4, 4], [1, 2, 1, 1], selected) == pytest.approx(0.5)
    assert math.isnan(recapture_rate([0, 4, 4, 4], [6, 2, 1, 1], selected))
    assert math.isnan(recapture_rate([8, 4, 4, 4], [0, 0, 0, 0], selected))


def test_concentration_summary():
    summary = concentration_summary([2, 2, 10, 2, 2, 2, 0, 0, 0, 0])
    assert summary == pytest.approx({
        "incidents": 20, "cells": 10, "cells_with_incidents": 6, "share_cells_50": 0.1,
        "gini": gini([2, 2, 10, 2, 2, 2, 0, 0, 0, 0]), "gini_kind": "classic",
        "pai_5": 5.0, "pai_10": 5.0, "pai_20": 3.0})


# ---- edge cases -----------------------------------------------------------------------------

@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("counts", [[], [0], [0, 0, 0]])
def test_empty_and_all_zero_give_nan_without_warnings(counts):
    x, y = lorenz_curve(counts)
    assert x.size == 0 and y.size == 0
    for value in (gini(counts), gini(counts, corrected=True), generalized_gini(counts),
                  concentration_gini(counts)[0], share_of_cells_for(counts)):
        assert math.isnan(value)
    mask = np.ones(len(counts), dtype=bool)
    assert math.isnan(pai(counts, mask))
    assert math.isnan(recapture_rate(counts, counts, mask))
    table = pai_top(counts)
    assert len(table) == 3 and table[["incidents_share", "pai", "pei"]].isna().all().all()
    summary = concentration_summary(counts)
    assert summary["incidents"] == 0 and summary["cells"] == len(counts)
    assert math.isnan(summary["gini"]) and math.isnan(summary["pai_5"])


@pytest.mark.filterwarnings("error")
def test_single_cell():
    assert lorenz_curve([4])[1].tolist() == [0.0, 1.0]
    assert gini([4]) == 0.0 and generalized_gini([4]) == 0.0
    assert math.isnan(gini([4], corrected=True))
    assert share_of_cells_for([4]) == 1.0
    assert pai([4], np.array([True])) == 1.0
    assert pai_top([4])["pei"].tolist() == [1.0, 1.0, 1.0]
    assert math.isnan(generalized_gini([0, 1, 0], corrected=True))  # one incident: undefined
    assert math.isnan(pai([4, 1], np.array([False, False])))  # nothing selected


@pytest.mark.parametrize("bad", [[1, -1, 2], [1.5, 2], [1, float("nan")], [1, float("inf")],
                                 ["3", "4"], [[1, 2], [3, 4]]])
@pytest.mark.parametrize("func", [lorenz_curve, gini, generalized_gini, concentration_gini,
                                  share_of_cells_for, pai_top, concentration_summary])
def test_bad_counts_raise_value_error(func, bad):
    with pytest.raises(ValueError, match="counts must"):
        func(bad)


def test_bad_options_raise_value_error():
    with pytest.raises(ValueError, match="counts must be non-negative"):
        pai([1, -2], np.array([True, False]))
    with pytest.raises(ValueError, match="counts_after must be non-negative"):
        recapture_rate([1, 2], [1, 0.5], np.array([True, False]))
    with pytest.raises(ValueError, match="same cells"):
        recapture_rate([1, 2], [1, 2, 3], np.array([True, False]))
    with pytest.raises(ValueError, match="boolean mask"):
        pai([1, 2], np.array([1, 0]))
    with pytest.raises(ValueError, match="boolean mask"):
        pai([1, 2], np.array([True]))
    with pytest.raises(ValueError, match="areas must"):
        pai([1, 2], np.array([True, False]), areas=[1.0, 0.0])
    with pytest.raises(ValueError, match="share must"):
        share_of_cells_for([1, 2], 0)
    with pytest.raises(ValueError, match="shares must"):
        pai_top([1, 2], (0.1, 1.5))
    with pytest.raises(ValueError, match="ranking must"):
        pai_top([1, 2], ranking=[1.0])


def test_whole_floats_and_pandas_are_accepted():
    import pandas as pd

    assert gini(pd.Series([1.0, 3.0, 0.0])) == gini(np.array([1, 3, 0], dtype=np.uint8))


# ---- invariants ---------------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(counts_lists)
def test_ginis_are_between_zero_and_one(counts):
    for value in (gini(counts), gini(counts, corrected=True), generalized_gini(counts),
                  generalized_gini(counts, corrected=True)):
        assert math.isnan(value) or 0.0 <= value <= 1.0
    if sum(counts) > 0:
        assert generalized_gini(counts) <= gini(counts) + 1e-12  # never more than classic
        if sum(counts) >= len(counts):
            assert generalized_gini(counts) == pytest.approx(gini(counts))


@settings(max_examples=150, deadline=None)
@given(nonzero_counts)
def test_lorenz_curve_monotone_from_origin_to_one_above_diagonal(counts):
    x, y = lorenz_curve(counts)
    assert (x[0], y[0], x[-1], y[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert len(x) == len(counts) + 1
    assert (np.diff(x) > 0).all() and (np.diff(y) >= 0).all()
    assert (y >= x - 1e-12).all()
    assert 2 * _area_under(x, y) - 1 == pytest.approx(gini(counts), abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(nonzero_counts, st.sampled_from([0.05, 0.1, 0.2, 0.5]), st.randoms(use_true_random=False))
def test_in_sample_pai_beats_any_selection_of_the_same_size(counts, share, rnd):
    counts = np.array(counts)
    row = pai_top(counts, (share,)).iloc[0]
    assert row["pei"] == pytest.approx(1.0)
    chosen = rnd.sample(range(counts.size), int(row["cells"]))
    mask = np.zeros(counts.size, dtype=bool)
    mask[chosen] = True
    assert row["pai"] >= pai(counts, mask) - 1e-9
    ranked = pai_top(counts, (share,), ranking=rnd.sample(range(counts.size), counts.size))
    assert 0.0 <= ranked["pei"].iloc[0] <= 1.0 + 1e-9


@settings(max_examples=100, deadline=None)
@given(nonzero_counts, st.integers(min_value=2, max_value=9))
def test_scaling_counts_keeps_gini_and_shares(counts, factor):
    scaled = [c * factor for c in counts]
    assert gini(scaled) == pytest.approx(gini(counts), abs=1e-9)
    assert share_of_cells_for(scaled) == share_of_cells_for(counts)
    assert pai_top(scaled)["pai"].tolist() == pytest.approx(pai_top(counts)["pai"].tolist())


@settings(max_examples=100, deadline=None)
@given(counts_lists, st.randoms(use_true_random=False))
def test_permuting_cells_changes_nothing(counts, rnd):
    shuffled = rnd.sample(counts, len(counts))
    assert concentration_summary(shuffled) == pytest.approx(concentration_summary(counts),
                                                            nan_ok=True)
    assert np.array_equal(lorenz_curve(shuffled)[1], lorenz_curve(counts)[1])
    assert generalized_gini(shuffled, corrected=True) == pytest.approx(
        generalized_gini(counts, corrected=True), nan_ok=True)


def test_predictive_accuracy_by_hand():
    train = np.array([8, 6, 1, 1, 0, 0, 0, 0, 0, 0])
    test = np.array([2, 5, 3, 0, 0, 0, 0, 0, 0, 0])
    out = predictive_accuracy(train, test, shares=(0.1, 0.2),
                              hot=np.arange(10) < 2).set_index("selection")
    # top 10 %: cell 0 (the densest before), 2 of 10 later incidents: PAI 2; the best cell
    # later holds 5: PAI* 5, PEI 0.4; RRI (2 / 8) / (10 / 16)
    assert out.loc["top_10", "pai"] == pytest.approx(2.0)
    assert out.loc["top_10", "pei"] == pytest.approx(0.4)
    assert out.loc["top_10", "rri"] == pytest.approx((2 / 8) / (10 / 16))
    assert out.loc["top_20", "pai"] == pytest.approx(0.7 / 0.2)
    assert out.loc["top_20", "pei"] == pytest.approx(0.7 / 0.8)
    assert out.loc["hot_spots", "cells"] == 2
    assert out.loc["hot_spots", "test_share"] == pytest.approx(0.7)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=3, max_size=60))
def test_predictive_accuracy_properties(pairs):
    train = np.array([a for a, _ in pairs])
    test = np.array([b for _, b in pairs])
    out = predictive_accuracy(train, test)
    if test.sum() and train.sum():
        assert (out["pei"] <= 1 + 1e-9).all()  # equal areas: nothing beats the best choice
        same = predictive_accuracy(test, test)
        np.testing.assert_allclose(same["pei"], 1.0)
        for row, share in zip(out.itertuples(), (0.05, 0.10, 0.20), strict=True):
            mask = _top_mask(_descending(train.astype(float)), np.ones(len(train)), share)
            assert row.rri == pytest.approx(recapture_rate(train, test, mask), nan_ok=True)
