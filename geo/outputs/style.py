"""The one place that decides colours, classes and legends, for the web map and the picture."""

from __future__ import annotations

import numpy as np

__all__ = ["INCIDENT_COLOURS", "PRESENCE_COLOURS", "SUPPRESSED_COLOUR", "COMPLEMENT_COLOUR",
           "HOT_COLOURS", "CLUSTER_COLOURS", "VISIT_COLOURS", "RATE_COLOURS", "NO_DATA_COLOUR",
           "LANGUAGE_COLOUR",
           "BIVARIATE_COLOURS", "AREA_COLOUR", "POST_COLOUR", "PLAIN_TEXT", "class_breaks",
           "class_index"]

PLAIN_TEXT = {"text.parse_math": False}
"""matplotlib settings under which every string is drawn as it is: ``$...$`` in a title, note
or category is text, never math (an invalid one would end the drawing, a valid one change it)."""

INCIDENT_COLOURS = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")
"""Five reds, light to dark (ColorBrewer Reds)."""
PRESENCE_COLOURS = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
"""Five blues, light to dark (ColorBrewer Blues)."""
VISIT_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
"""Five purples, light to dark (ColorBrewer Purples): patrol visits, not incidents."""
RATE_COLOURS = ("#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603")
"""Five oranges, light to dark (ColorBrewer Oranges): incidents per residents, not counts."""
NO_DATA_COLOUR = "#ffffff"
"""White (with the hatching of "no data") where a rate has no residents to divide by."""
LANGUAGE_COLOUR = "#111111"
"""Near-black hatching for cells within reach of a post speaking the chosen language."""
SUPPRESSED_COLOUR = "#bdbdbd"
"""Grey for "fewer than k"."""
COMPLEMENT_COLOUR = "#e3e3e3"
"""Lighter grey for counts not shown so that a small one cannot be worked out."""
HOT_COLOURS = {3: "#b2182b", 2: "#ef8a62", 1: "#fddbc7", 0: None,
               -1: "#d1e5f0", -2: "#67a9cf", -3: "#2166ac"}
"""Gi* confidence bins: hot reds, cold blues, not significant left plain."""
BIVARIATE_COLOURS = {
    # "<need>-<presence>", 1 = low .. 3 = high; after Joshua Stevens' pink-blue 3x3 scheme
    "1-1": "#e8e8e8", "2-1": "#e4acac", "3-1": "#c85a5a",
    "1-2": "#b0d5df", "2-2": "#ad9ea5", "3-2": "#985356",
    "1-3": "#64acbe", "2-3": "#627f8c", "3-3": "#574249",
}
CLUSTER_COLOURS = {"high-high": "#ca0020", "high-low": "#f4a582", "low-high": "#92c5de",
                   "low-low": "#0571b0", "not significant": None}
"""Local Moran classes: clusters in full colour, outliers in pale ones, the rest plain."""
EMERGING_COLOURS = {
    "new hot spot": "#e31a1c", "consecutive hot spot": "#fd8d3c",
    "intensifying hot spot": "#800026", "persistent hot spot": "#bd0026",
    "diminishing hot spot": "#fc9272", "sporadic hot spot": "#fed976",
    "oscillating hot spot": "#c994c7", "historical hot spot": "#d9a3a3",
    "new cold spot": "#2171b5", "consecutive cold spot": "#6baed6",
    "intensifying cold spot": "#08306b", "persistent cold spot": "#08519c",
    "diminishing cold spot": "#9ecae1", "sporadic cold spot": "#c6dbef",
    "oscillating cold spot": "#9e9ac8", "historical cold spot": "#a3b8d9",
}
"""Emerging hot spot patterns: reds for hot, blues for cold; no pattern is left plain."""
SUGGESTED_COLOUR = "#1b7837"
AREA_COLOUR = "#222222"
_JENKS_SAMPLE = 500
POST_COLOUR = "#1a1a1a"


def class_breaks(values: np.ndarray, *, classes: int = 5, floor: float = 0.0) -> list[float]:
    """Upper bounds of up to ``classes`` Fisher-Jenks classes of the values above ``floor``.

    Only published values enter, so no break can reveal a suppressed count.

    >>> class_breaks(np.array([5, 6, 7, 30, 31, 80]), classes=3)
    [7.0, 31.0, 80.0]
    """
    values = np.asarray(values, dtype=float)
    shown = values[np.isfinite(values) & (values > floor)]
    unique = np.unique(shown)
    if len(unique) == 0:
        return []
    if len(unique) <= classes:
        return [float(v) for v in unique]
    if len(shown) > _JENKS_SAMPLE:  # Fisher-Jenks is quadratic: classify evenly spaced
        # quantiles, which keep the distribution's shape and are the same on every run
        shown = np.quantile(shown, np.linspace(0, 1, _JENKS_SAMPLE), method="inverted_cdf")
    return [float(b) for b in fisher_jenks_breaks(shown, classes)]


def fisher_jenks_breaks(values: np.ndarray, classes: int) -> np.ndarray:
    """Upper bounds of the Fisher-Jenks classes of ``values``, as mapclassify's
    ``FisherJenks(values, k=classes).bins`` gives them (its dynamic programme in single
    precision, the same sums in the same order), with each row of the programme's tables
    filled in a few numpy steps: mapclassify without numba took most of a second for the 500
    values a map's classes are drawn from, and a report or map draws many.

    >>> fisher_jenks_breaks(np.array([5, 6, 7, 30, 31, 80]), 3).tolist()
    [7.0, 31.0, 80.0]
    """
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = len(x)
    best_start = np.zeros((n + 1, classes + 1), dtype=np.int32)  # mapclassify's mat1
    best_cost = np.zeros((n + 1, classes + 1), dtype=np.float32)  # and mat2
    best_start[1, 1:] = 1
    best_cost[2:, 1:] = np.inf
    single = x.astype(np.float32)
    for last in range(2, n + 1):
        # the class x[i3 - 1 .. last - 1] for i3 = last, last - 1, ..., 1 (m = 1 .. last)
        tail = single[last - 1::-1]
        sums = np.cumsum(tail, dtype=np.float32)
        squares = np.cumsum(tail * tail, dtype=np.float32)
        weight = np.arange(1, last + 1, dtype=np.float32)
        spread = squares - (sums * sums) / weight  # within-class sum of squares, per m
        starts = last - np.arange(1, last + 1) + 1  # i3 per m
        if last > 1:
            before = best_cost[starts[:-1] - 1, 1:classes]  # i4 = i3 - 1 >= 1: m < last
            cost = spread[:-1, None] + before  # (m, j - 1) for j = 2 .. classes
            # the loop keeps the last m whose cost is no more than the best so far: the
            # smallest cost, and of equal ones the largest m
            pick = cost.shape[0] - 1 - np.argmin(cost[::-1], axis=0)
            best_start[last, 2:] = starts[pick]
            best_cost[last, 2:] = cost[pick, np.arange(classes - 1)]
        best_start[last, 1] = 1
        best_cost[last, 1] = spread[-1]
    bounds = np.zeros(classes + 1)
    bounds[classes], bounds[0] = x[-1], x[0]
    k = n
    for count in range(classes, 1, -1):
        pivot = int(best_start[k, count])
        bounds[count - 1] = x[pivot - 2]
        k = pivot - 1
    return bounds[1:]


def class_index(values: np.ndarray, breaks: list[float], *, floor: float = 0.0) -> np.ndarray:
    """Class of each value (0 = lowest) for the given upper bounds; -1 at or below ``floor``,
    and for NaN.

    >>> class_index(np.array([0, 5, 7, 8, 80, np.nan]), [7.0, 31.0, 80.0]).tolist()
    [-1, 0, 0, 1, 2, -1]
    """
    values = np.asarray(values, dtype=float)
    out = np.full(len(values), -1, dtype=np.int8)
    if not breaks:
        return out
    ok = np.isfinite(values) & (values > floor)
    out[ok] = np.minimum(np.searchsorted(breaks, values[ok]), len(breaks) - 1)
    return out


def palette_for(breaks: list[float], colours: tuple[str, ...]) -> list[str]:
    """The darkest ``len(breaks)`` colours of a palette, so few classes still read as strong."""
    return list(colours[len(colours) - len(breaks):]) if breaks else []
