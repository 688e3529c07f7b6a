"""The attacker: what the published numbers alone say about every hidden count.

Given only what files show (each row's label and shown value, and the releases' definitions),
it solves the joint linear system: for every hidden count, and every count a row splits into
over the model's calendar parts and category classes, the smallest and largest value any
non-negative set of atoms consistent with all of it allows (linear programming with scipy's
HiGHS, then an exact integer check where the range holds a single whole number). A count is
*pinned* when one value is left: a hidden "fewer than k" count pinned is a disclosure, and so
is any refined count pinned to 1..k-1.

It knows no true value; the gate's own protection (:mod:`geo.privacy._certify`) is checked
against it in the tests, and ``patrolmap audit`` runs it on a folder.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from geo.privacy.disclosure import refined_targets
from geo.privacy.model import Model
from geo.privacy.release import SMALL, UNKNOWN

__all__ = ["Pin", "attack"]


@dataclass(frozen=True)
class Pin:
    """A count the published numbers give back."""

    row: dict
    value: int
    refined: bool

    def describe(self) -> str:
        """One line for a person."""
        what = ", ".join(f"{k}={v}" for k, v in self.row.items() if k not in ("rel",))
        return (f"{'a part of ' if self.refined else ''}{what} is pinned to {self.value}")


def attack(model: Model, *, batch: int = 6, seed: int = 0) -> tuple[list[Pin], int]:
    """Pinned counts of a model built from published files, and how many were examined."""
    published = np.flatnonzero(model.label != UNKNOWN)
    lo, hi = model.lower_upper()
    A = model.A[published]
    n = model.layout.n
    cons = [LinearConstraint(A, lo[published], hi[published])]
    if model.L.shape[0]:
        cons.append(LinearConstraint(model.L, 0, 0))
    hidden = published[model.label[published] == SMALL]
    refined, parents = refined_targets(model, published)
    targets = sp.vstack([model.A[hidden], refined]).tocsr() if len(parents) else \
        model.A[hidden]
    owners = np.r_[hidden, parents].astype(np.int64)
    is_refined = np.r_[np.zeros(len(hidden), bool), np.ones(len(parents), bool)]
    if targets.shape[0] == 0:
        return [], 0
    rng = np.random.default_rng(seed)
    lows = np.full(targets.shape[0], np.inf)
    highs = np.full(targets.shape[0], -np.inf)
    stacked_A = sp.vstack([A, model.L]).tocsr()
    stacked_lo = np.r_[lo[published], np.zeros(model.L.shape[0])]
    stacked_hi = np.r_[hi[published], np.zeros(model.L.shape[0])]
    for _ in range(batch):  # a few random directions settle most targets at once
        weights = rng.choice([-1.0, 1.0], targets.shape[0])
        point = _solve(targets.T @ weights, stacked_A, stacked_lo, stacked_hi, n)
        if point is None:
            return [Pin({"t": "model"}, 0, False)], 0  # the numbers contradict each other
        values = targets @ point
        lows, highs = np.minimum(lows, values), np.maximum(highs, values)
    pins = []
    for i in np.flatnonzero(highs - lows < 1.5):
        row = targets[i].toarray().ravel()
        top = _solve(-row, stacked_A, stacked_lo, stacked_hi, n)
        bottom = _solve(row, stacked_A, stacked_lo, stacked_hi, n)
        high, low = row @ top, row @ bottom
        values = np.arange(np.ceil(low - 1e-6), np.floor(high + 1e-6) + 1)
        if len(values) == 2:  # an LP range of two whole numbers: check both are reachable
            values = [v for v in values if _reachable(row, v, cons, n)]
        if len(values) == 1:
            value = int(values[0])
            k = int(model.k[owners[i]])
            if 1 <= value <= k - 1:
                pins.append(Pin(model.rows[owners[i]], value, bool(is_refined[i])))
    return pins, targets.shape[0]


def _solve(c, A, lo, hi, n):
    res = linprog(np.asarray(c, float).ravel(), A_ub=sp.vstack([A, -A]).tocsr(),
                  b_ub=np.r_[np.where(np.isfinite(hi), hi, 1e12), -lo],
                  bounds=(0, None), method="highs")
    return res.x if res.status == 0 else None


def _reachable(row: np.ndarray, value: float, cons, n: int) -> bool:
    res = milp(np.zeros(n), integrality=np.ones(n), bounds=Bounds(0, np.inf),
               constraints=[*cons, LinearConstraint(row[None, :], value, value)],
               options={"time_limit": 30.0})
    return res.status == 0
