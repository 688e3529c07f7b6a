"""Small array helpers shared by the input checks and the analysis."""

from __future__ import annotations

import numpy as np


def sorted_by_key_time(key: np.ndarray, time: np.ndarray) -> bool:
    """Whether rows are sorted by key, then time, already (no copy of the data is sorted).

    >>> sorted_by_key_time(np.array([0, 0, 1]), np.array([5, 6, 1]))
    True
    """
    if len(key) < 2:
        return True
    step = np.diff(key)
    return bool(((step > 0) | ((step == 0) & (np.diff(time) >= 0))).all())
