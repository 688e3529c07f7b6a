"""Colour classes: the Fisher-Jenks breaks held to mapclassify's."""

from __future__ import annotations

import warnings

import mapclassify
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.outputs.style import class_breaks, fisher_jenks_breaks


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.integers(1, 40), st.floats(0.01, 1e4)), min_size=2, max_size=90),
       st.integers(2, 7))
def test_fisher_jenks_breaks_equal_mapclassify(values, classes):
    values = np.array(values, dtype=float)
    if len(np.unique(values)) < classes:
        return
    with warnings.catch_warnings():  # mapclassify's note that numba would be faster
        warnings.simplefilter("ignore", UserWarning)
        want = mapclassify.FisherJenks(values, k=classes).bins
    np.testing.assert_array_equal(fisher_jenks_breaks(values, classes), want)


def test_class_breaks_of_many_values_classify_their_quantiles():
    values = np.random.default_rng(3).lognormal(1, 1.2, 20_000).round()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        shown = values[values > 4]
        want = mapclassify.FisherJenks(
            np.quantile(shown, np.linspace(0, 1, 500), method="inverted_cdf"), k=5).bins
    assert class_breaks(values, floor=4) == [float(b) for b in want]
