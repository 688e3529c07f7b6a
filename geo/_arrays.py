"""Small array helpers shared by the input checks and the analysis, and a thread pool for
the compiled work that releases the GIL."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

T = TypeVar("T")
R = TypeVar("R")


def sorted_by_key_time(key: np.ndarray, time: np.ndarray) -> bool:
    """Whether rows are sorted by key, then time, already (no copy of the data is sorted).

    >>> sorted_by_key_time(np.array([0, 0, 1]), np.array([5, 6, 1]))
    True
    """
    # a million rows at a time: no temporary the size of the data (fresh memory costs more
    # than the comparisons), and rows out of order are found in the first chunk holding them
    for lo in range(0, len(key) - 1, _CHUNK):
        k, t = key[lo:lo + _CHUNK + 1], time[lo:lo + _CHUNK + 1]
        step = np.diff(k)
        if not ((step > 0) | ((step == 0) & (np.diff(t) >= 0))).all():
            return False
    return True


_CHUNK = 1 << 20


def worker_threads() -> int:
    """Threads for work whose compiled code releases the GIL (pyarrow, numpy, h3ronpy,
    shapely): one per core, at most 8."""
    return max(1, min(os.cpu_count() or 1, 8))


def in_threads(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``[func(item) for item in items]``, the items spread over :func:`worker_threads`
    threads (in this thread when there is one item or one core), results in order.

    >>> in_threads(abs, [-2, 3, -4])
    [2, 3, 4]
    """
    workers = min(worker_threads(), len(items))
    if workers <= 1:
        return [func(item) for item in items]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(func, items))


def in_chunks(func: Callable[..., np.ndarray], *arrays: np.ndarray,
              size: int = 1_000_000) -> np.ndarray:
    """``func(*arrays)`` for arrays of one length and a function of each row alone, run a
    ``size`` rows at a time in :func:`in_threads` and joined: the same array, sooner.

    >>> in_chunks(np.add, np.arange(5), np.ones(5, int), size=2).tolist()
    [1, 2, 3, 4, 5]
    """
    n = len(arrays[0])
    if n <= size:
        return func(*arrays)
    edges = list(range(0, n, size)) + [n]
    return np.concatenate(in_threads(lambda lo_hi: func(*(a[lo_hi[0]:lo_hi[1]] for a in arrays)),
                                     list(zip(edges[:-1], edges[1:], strict=True))))
