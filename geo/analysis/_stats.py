"""Statistical helpers shared by the analyses."""

from __future__ import annotations

import numpy as np
from scipy.stats import false_discovery_control

__all__ = ["bh_adjust"]


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q); NaN entries are not tests and stay NaN.

    The adjustment is :func:`scipy.stats.false_discovery_control`; this only keeps the
    untested cells out of the count of tests.

    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate. JRSS B 57(1).

    >>> bh_adjust(np.array([0.01, 0.04, np.nan, 0.03])).round(3).tolist()
    [0.03, 0.04, nan, 0.04]
    """
    p = np.asarray(p, dtype=float)
    q = np.full(p.shape, np.nan)
    tested = np.isfinite(p)
    if tested.any():
        q[tested] = false_discovery_control(np.clip(p[tested], 0.0, 1.0), method="bh")
    return q
