"""The attacker: what the published numbers alone say about every hidden count.

Given only what files show (each row's label and shown value, and the releases' definitions),
it solves the joint linear system: for every hidden count, and every count a row splits into
over the model's calendar parts and category classes, the smallest and largest value any
non-negative set of atoms consistent with all of it allows (linear programming with scipy's
HiGHS, then an exact integer check where the range holds a single whole number). A count is
*pinned* when one value is left: a hidden "fewer than k" count pinned is a disclosure, and so
is any refined count pinned to 1..k-1.

Most counts are settled without a program per count: from one feasible point (whole, when
rounding it still gives every number), transfers and rotations between cells
(:mod:`geo.privacy._attack_moves`) widen each count's range, and from a whole point show two
whole values; small programs around the point, and whole-model programs, only see the rest.

It knows no true value; the gate's own protection (:mod:`geo.privacy._certify`) is checked
against it in the tests, and ``patrolmap audit`` runs it on a folder.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.privacy._attack_moves import Moved, as_whole
from geo.privacy.disclosure import refined_targets
from geo.privacy.model import Model
from geo.privacy.release import SHOWN, SMALL, UNKNOWN

__all__ = ["Pin", "attack"]

LARGE = 20_000
"""Atoms above which the whole program is solved once, for a first feasible point, and
every count is then widened by small programs around it (:class:`_Local`)."""


@dataclass(frozen=True)
class Pin:
    """A count the published numbers give back."""

    row: dict
    value: int
    refined: bool

    def describe(self) -> str:
        """One line for a person."""
        what = ", ".join(f"{k}={v}" for k, v in self.row.items())
        return (f"{'a part of ' if self.refined else ''}{what} is pinned to {self.value}")


class _Lp:
    """One linear program solved for many objectives, each run warm from the last basis."""

    def __init__(self, matrix: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray) -> None:
        import highspy

        self.inf = highspy.kHighsInf
        self.n = matrix.shape[1]
        csc = matrix.tocsc()
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n, matrix.shape[0]
        lp.col_cost_ = np.zeros(self.n)
        lp.col_lower_ = np.zeros(self.n)
        lp.col_upper_ = np.full(self.n, self.inf)
        lp.row_lower_ = np.where(np.isfinite(lower), lower, -self.inf)
        lp.row_upper_ = np.where(np.isfinite(upper), upper, self.inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = csc.indptr
        lp.a_matrix_.index_ = csc.indices
        lp.a_matrix_.value_ = csc.data.astype(float)
        self.highs = _quiet_highs(highspy)
        self.highs.passModel(lp)
        self.cols = np.arange(self.n, dtype=np.int32)
        self.optimal = highspy.HighsModelStatus.kOptimal

    def minimise(self, cost: np.ndarray) -> np.ndarray | None:
        """The optimal point for ``cost`` (None when the numbers contradict each other)."""
        self.highs.changeColsCost(self.n, self.cols, np.asarray(cost, float).ravel())
        self.highs.run()
        if self.highs.getModelStatus() != self.optimal:
            return None
        return np.asarray(self.highs.getSolution().col_value)


def _quiet_highs(highspy):
    """A HiGHS instance that prints nothing: its version banner, written to the process'
    standard output as it is made (before any option can be set), goes to the null device."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            highs = highspy.Highs()
            highs.setOptionValue("output_flag", False)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    return highs


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
    lp = _Lp(sp.vstack([A, model.L]).tocsr(), np.r_[lo[published], np.zeros(model.L.shape[0])],
             np.r_[hi[published], np.zeros(model.L.shape[0])])
    lows = np.full(targets.shape[0], np.inf)
    highs = np.full(targets.shape[0], -np.inf)
    large = n > LARGE
    if large:  # a whole solve takes seconds here: one point, then the small programs
        batch = 1
    for _ in range(batch):  # a few random directions settle most targets at once
        # at the large size a random direction costs a whole solve of tens of seconds, and
        # any feasible vertex (found in a fraction of that) serves as the point the moves
        # and small programs start from
        point = lp.minimise(np.zeros(n) if large else
                            targets.T @ rng.choice([-1.0, 1.0], targets.shape[0]))
        if point is None:
            return [Pin({"t": "model"}, 0, False)], 0  # the numbers contradict each other
        values = targets @ point
        lows, highs = np.minimum(lows, values), np.maximum(highs, values)
    k_of = model.k[owners]

    def in_doubt() -> np.ndarray:
        """Targets every point so far puts at one small value or near it: a count the
        published numbers allow at 0, or at k or more, cannot be pinned to 1..k-1."""
        return (highs - lows < 1.5) & (lows > 0.5) & (highs < k_of - 0.5)

    two_values = np.zeros(targets.shape[0], bool)  # two whole values shown at whole points

    def spread(rounds: int) -> None:
        """Whole solves in random directions over the targets still open only, while each
        settles enough of them."""
        nonlocal lows, highs, point
        for _ in range(rounds):
            doubt = np.flatnonzero(in_doubt() & ~two_values)
            if len(doubt) < 10:
                break
            weights = np.zeros(targets.shape[0])
            weights[doubt] = rng.choice([-1.0, 1.0], len(doubt))
            point = lp.minimise(targets.T @ weights)
            values = targets @ point
            before = in_doubt()
            lows, highs = np.minimum(lows, values), np.maximum(highs, values)
            if int((before & ~in_doubt()).sum()) < max(2, len(doubt) // 50):
                break

    spread(0 if large else 40)

    def doubt_at(i: int) -> bool:
        return bool(highs[i] - lows[i] < 1.5 and lows[i] > 0.5 and highs[i] < k_of[i] - 0.5)

    def open_question() -> np.ndarray:
        return in_doubt() & ~two_values

    moved = Moved(A, model, lo[published], hi[published], targets)
    whole = as_whole(A, model.L, lo[published], hi[published], point)
    if in_doubt().any():  # transfers and rotations from the point, then small programs
        lows, highs, two_values = moved.settle(whole if whole is not None else point,
                                              open_question(), lows, highs, two_values)
    if open_question().any():
        local = _Local(model, published, lo, hi, targets, point)
        for i in np.flatnonzero(open_question()):
            if not doubt_at(i):
                continue
            for values in local.widen(i):
                lows, highs = np.minimum(lows, values), np.maximum(highs, values)
                if not doubt_at(i):
                    break
        if large:  # what the small programs leave: a few whole solves over it at once
            spread(8)
        if open_question().any() and local.whole_point(cons, n, whole):
            lows, highs, two_values = moved.settle(local.whole, open_question(), lows, highs,
                                                  two_values)
            for i in np.flatnonzero(open_question()):
                two_values[i] = local.second_whole_value(i)
    pins = []
    for i in np.flatnonzero(in_doubt() & ~two_values):
        row = targets[i].toarray().ravel()
        high, low = row @ lp.minimise(-row), row @ lp.minimise(row)
        values = np.arange(np.ceil(low - 1e-6), np.floor(high + 1e-6) + 1)
        if len(values) == 2:  # an LP range of two whole numbers: check both are reachable
            values = [v for v in values if _reachable(row, v, cons, n)]
        if len(values) == 1:
            value = int(values[0])
            k = int(model.k[owners[i]])
            if 1 <= value <= k - 1:
                pins.append(Pin(model.rows[owners[i]], value, bool(is_refined[i])))
    return pins, targets.shape[0]


class _Local:
    """Small linear programs around one feasible point: the atoms of a target's cells and of
    the cells that share most hidden counts with it move, every other atom stays.

    Any point such a program finds satisfies every published number (the rows it does not
    touch keep their values), so each widens what the attacker knows is possible, soundly;
    a count it cannot widen goes on to the whole program. On a release of thousands of
    cells this settles nearly every count in milliseconds instead of a whole solve each."""

    def __init__(self, model: Model, published: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 targets: sp.csr_matrix, point: np.ndarray) -> None:
        self.model, self.targets, self.point = model, targets, point
        lay = model.layout
        self.block = lay.n_parts * lay.n_cal * lay.n_filters
        self.n_y = lay.n_y
        self.A = model.A[published].tocsc()
        self.L = model.L.tocsc()
        self.slack_lo = lo[published] - self.A @ point
        self.slack_hi = hi[published] - self.A @ point
        self.link = -(self.L @ point)
        self.by_atom = targets.tocsc()
        self.base = targets @ point
        index = lay.cell_of()
        hidden = np.zeros((len(lay.cells), len(model.specs)))
        for r in published[model.label[published] != SHOWN]:
            row = model.rows[r]
            if row["t"] == "cell":
                hidden[index[row["cell"]], model.rel[r]] += 1
        self.hidden = hidden

    def _atoms(self, i: int) -> np.ndarray:
        t = self.targets
        cols = t.indices[t.indptr[i]:t.indptr[i + 1]]
        cells = np.unique(cols[cols < self.n_y] // self.block)
        z = cols[cols >= self.n_y]
        if len(cells):
            score = self.hidden @ self.hidden[cells].sum(axis=0)
            score[cells] = -1
            partners = np.argsort(-score, kind="stable")[:24]
            cells = np.r_[cells, partners[score[partners] > 0]]
        atoms = (cells[:, None] * self.block + np.arange(self.block)[None, :]).ravel()
        if len(z):
            atoms = np.r_[atoms, np.arange(self.n_y, self.model.layout.n)]
        elif len(cols):
            atoms = np.r_[atoms, self._calendar_area(cols)]
        return atoms

    def _calendar_area(self, cols: np.ndarray) -> np.ndarray:
        """For a count of some calendar parts only (a cell's month): the area atoms, in every
        calendar part, of the hours and categories the area has incidents of in the
        count's parts, so that one incident may move to another month inside the cell with
        one of the area's incidents moved between the same months to match."""
        lay = self.model.layout
        cal = np.unique(((cols % self.block) // lay.n_filters) % lay.n_cal)
        if len(cal) == lay.n_cal:
            return np.zeros(0, np.int64)
        area = self.point[self.n_y:].reshape(lay.n_hparts, len(lay.categories), lay.n_cal)
        h, c = np.nonzero(area[:, :, cal].sum(axis=2) > 1e-9)
        return lay.z_index(h[:, None], c[:, None], np.arange(lay.n_cal)[None, :]).ravel()

    def _around(self, i: int):
        """The atoms that move for target ``i``, the published rows and link rows they touch
        (each as a matrix over those atoms, and their indices)."""
        atoms = self._atoms(i)
        sub = self.A[:, atoms]
        rows = np.unique(sub.indices)
        links = self.L[:, atoms]
        l_rows = np.unique(links.indices)
        return atoms, sub[rows], rows, links[l_rows], l_rows

    def whole_point(self, cons, n: int, known: np.ndarray | None = None) -> bool:
        """Find one set of whole atoms that gives every published number (kept for
        :meth:`second_whole_value`), or take ``known`` (already checked); False when none is
        found in time."""
        if known is None:
            res = milp(np.zeros(n), integrality=np.ones(n), bounds=Bounds(0, np.inf),
                       constraints=cons, options={"time_limit": 60.0})
            if res.x is None:
                return False
            known = np.round(res.x)
        self.whole = known
        self.whole_lo = self.slack_lo + self.A @ (self.point - self.whole)
        self.whole_hi = self.slack_hi + self.A @ (self.point - self.whole)
        self.whole_values = self.targets @ self.whole
        return True

    def second_whole_value(self, i: int) -> bool:
        """Whether whole atoms near the whole point give target ``i`` a second value (one
        more or one less): then the published numbers allow two values, and it is not
        pinned. Found or not, nothing is claimed beyond what a point shows."""
        atoms, sub, rows, links, _ = self._around(i)
        goal = self.targets[i][:, atoms]
        cons = [LinearConstraint(sub, self.whole_lo[rows], self.whole_hi[rows])]
        if links.shape[0]:
            cons.append(LinearConstraint(links, 0, 0))
        bounds = Bounds(-self.whole[atoms], np.inf)
        for step in (1.0, -1.0):
            res = milp(np.zeros(len(atoms)), integrality=np.ones(len(atoms)), bounds=bounds,
                       constraints=[*cons, LinearConstraint(goal, step, step)],
                       options={"time_limit": 5.0})
            if res.x is not None:
                return True
        return False

    def widen(self, i: int):
        """Values of every target at the points found by pushing target ``i`` up, then down."""
        from scipy.optimize import linprog

        atoms, sub, rows, links, l_rows = self._around(i)
        goal = self.targets[i][:, atoms].toarray().ravel()
        capped = np.isfinite(self.slack_hi[rows])
        bounded = sp.vstack([sub[capped], -sub]).tocsr()
        limits = np.r_[self.slack_hi[rows][capped], -self.slack_lo[rows]]
        for sign in (-1.0, 1.0):
            res = linprog(sign * goal, A_ub=bounded, b_ub=limits,
                          A_eq=links if links.shape[0] else None,
                          b_eq=self.link[l_rows] if links.shape[0] else None,
                          bounds=np.c_[-self.point[atoms], np.full(len(atoms), np.inf)],
                          method="highs")
            if res.status != 0:
                continue
            moved = self.by_atom[:, atoms] @ res.x
            yield self.base + moved


def _reachable(row: np.ndarray, value: float, cons, n: int) -> bool:
    res = milp(np.zeros(n), integrality=np.ones(n), bounds=Bounds(0, np.inf),
               constraints=[*cons, LinearConstraint(row[None, :], value, value)],
               options={"time_limit": 30.0})
    return res.status == 0
