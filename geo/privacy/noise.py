"""Differential privacy for a release: integer noise on the atoms, everything derived after.

Each incident lies in exactly one cell atom and one area atom of the disclosure model
(:mod:`geo.privacy.model`), so adding or removing one incident changes each block's counts by
its weight (1 without a count column) in one place. Discrete Laplace noise from OpenDP, of
scale ``weight / epsilon_block`` on every atom of a block, makes the block epsilon_block
differentially private; the cell block gets two thirds of the budget and the area block (week
grid, categories) one third. The noisy atoms are then made whole numbers that are never
negative and add up to the noisy total of each link (a projection onto the simplex), and the
area atoms are made to agree with the cell atoms: every published count, total and derived
layer comes from these atoms, so totals equal the sum of their parts and nothing is computed
from the true data again. OpenDP draws from the operating system's secure generator; there
is no seed to set.
"""

from __future__ import annotations

import math

import numpy as np

from geo.privacy.model import Model

__all__ = ["MIN_EPSILON", "MAX_EPSILON", "check_epsilon", "noisy_atoms"]

MIN_EPSILON = 0.01
MAX_EPSILON = 10.0
CELL_SHARE = 2 / 3


def check_epsilon(epsilon: float) -> float:
    """The budget as a float, or ValueError when it is not a usable one."""
    value = float(epsilon)
    if not math.isfinite(value) or not MIN_EPSILON <= value <= MAX_EPSILON:
        msg = (f"--epsilon {epsilon}: the privacy budget must be a number from {MIN_EPSILON} "
               f"to {MAX_EPSILON:g} (1 is common; smaller hides more)")
        raise ValueError(msg)
    return value


def _discrete_laplace(values: np.ndarray, scale: float) -> np.ndarray:
    try:
        import opendp.prelude as dp
    except ImportError as err:  # pragma: no cover - a declared dependency
        msg = "opendp is needed for --epsilon: pip install opendp"
        raise ImportError(msg) from err
    dp.enable_features("contrib")
    domain = dp.vector_domain(dp.atom_domain(T=int))
    mechanism = dp.m.make_laplace(domain, dp.l1_distance(T=int), scale=float(scale))
    return np.asarray(mechanism([int(v) for v in values]), dtype=np.int64)


def _simplex_integers(values: np.ndarray, total: int) -> np.ndarray:
    """Non-negative whole numbers nearest to ``values`` (Euclidean) that add up to ``total``.

    >>> _simplex_integers(np.array([3.0, -2.0, 1.0]), 3).tolist()
    [3, 0, 0]
    """
    if total <= 0 or len(values) == 0:
        return np.zeros(len(values), np.int64)
    v = values.astype(float)
    ordered = np.sort(v)[::-1]
    cum = np.cumsum(ordered) - total
    rho = np.flatnonzero(ordered - cum / np.arange(1, len(v) + 1) > 0)[-1]
    theta = cum[rho] / (rho + 1)
    real = np.maximum(v - theta, 0)
    whole = np.floor(real).astype(np.int64)
    short = int(total - whole.sum())
    if short > 0:
        order = np.argsort(-(real - whole), kind="stable")
        whole[order[:short]] += 1
    return whole


def noisy_atoms(model: Model, epsilon: float, *, weight: int = 1) -> np.ndarray:
    """Atoms with discrete Laplace noise, whole, non-negative and consistent across links."""
    lay = model.layout
    x = model.x
    y = _discrete_laplace(x[: lay.n_y], weight / (epsilon * CELL_SHARE))
    z = _discrete_laplace(x[lay.n_y:], weight / (epsilon * (1 - CELL_SHARE)))
    out = np.zeros_like(x)
    link = model.L.tocsr()
    for r in range(link.shape[0]):
        cols = link.indices[link.indptr[r]:link.indptr[r + 1]]
        signs = link.data[link.indptr[r]:link.indptr[r + 1]]
        ys, zs = cols[signs > 0], cols[signs < 0] - lay.n_y
        total = int(max(y[ys].sum(), 0))
        out[ys] = _simplex_integers(y[ys].astype(float), total)
        out[zs + lay.n_y] = _simplex_integers(z[zs].astype(float), total)
    return out
