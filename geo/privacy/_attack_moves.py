"""Moves from one feasible point of the attacker's program, found by arithmetic on slack.

A *transfer* moves an amount of one cell atom to the atom of another cell that every row
spanning more than one cell (area rows, totals, links) counts alike; a *rotation* moves an
amount from one slot of a cell to another and back in another cell of the same kind. Either
way only the two cells' own rows change, and the amount is as large as their bounds allow. Each
move is a new point that gives every published number (each is checked against every row it
touches before it is used), so the values it gives the counts widen what the attacker knows is
possible, soundly; from a whole point, whole moves show two whole values of a count without
any integer program. On a release of thousands of cells they settle nearly every count in a
fraction of a second, before any program is solved around a count (:mod:`geo.privacy.attack`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from geo.privacy.model import Model

__all__ = ["Moved", "Transfers", "as_whole"]

ROTATION_SLOTS = 16
"""Rotations are looked for where a cell has at most this many atoms."""


def as_whole(A: sp.csr_matrix, L: sp.csr_matrix, lo: np.ndarray, hi: np.ndarray,
             point: np.ndarray) -> np.ndarray | None:
    """The point with every atom rounded to a whole number, if that still gives every
    published number exactly (a linear program over these sums often lands on whole atoms
    already); None when it does not."""
    whole = np.maximum(np.round(point), 0.0)
    values = A @ whole
    if (values < lo).any() or (values > hi).any() or np.abs(L @ whole).max(initial=0) > 0:
        return None
    return whole


class Moved:
    """What moves from one point show about the targets (see :class:`Transfers`)."""

    def __init__(self, A: sp.csr_matrix, model: Model, lo: np.ndarray, hi: np.ndarray,
                 targets: sp.csr_matrix) -> None:
        lay = model.layout
        self.A, self.L, self.lo, self.hi, self.targets = A, model.L, lo, hi, targets
        self.n_y, self.block = lay.n_y, lay.n_parts * lay.n_cal * lay.n_filters

    def settle(self, point: np.ndarray, which: np.ndarray, lows: np.ndarray,
               highs: np.ndarray, two_values: np.ndarray):
        """Widen ``lows`` and ``highs`` of the targets by the moves for those in ``which``
        from ``point``; where the point is whole, so is every move, and a target seen at two
        whole values is marked in ``two_values``."""
        whole = bool((point == np.round(point)).all())
        moves = Transfers(self.A, self.L, self.lo, self.hi, point, self.n_y, self.block,
                           whole=whole).moves(self.targets, np.flatnonzero(which))
        if not moves.shape[1]:
            return lows, highs, two_values
        change = (self.targets @ moves).tocsr()
        down = np.minimum(change.min(axis=1).toarray().ravel(), 0.0)
        up = np.maximum(change.max(axis=1).toarray().ravel(), 0.0)
        base = self.targets @ point
        lows, highs = np.minimum(lows, base + down), np.maximum(highs, base + up)
        if whole:
            two_values = two_values | (up - down >= 0.5)
        return lows, highs, two_values


class Transfers:
    """Transfers and rotations from a feasible point (see the module's description), the
    one that lowers each target most and the one that raises it most; ``whole``: the point
    is whole, and so is every amount moved."""

    def __init__(self, A: sp.csr_matrix, L: sp.csr_matrix, lo: np.ndarray, hi: np.ndarray,
                 point: np.ndarray, n_y: int, block: int, *, whole: bool = False) -> None:
        self.whole = whole
        self.A_csc, self.L_csc = A.tocsc(), L.tocsc()
        self.A, self.L = A, L
        self.lo, self.hi, self.point = lo, hi, point
        self.n_y, self.block = n_y, block
        self.values = A @ point
        y_cols = A[:, :n_y].tocsr()
        cell_lo = _row_reduce(y_cols, y_cols.indices // block, np.minimum, np.inf)
        cell_hi = _row_reduce(y_cols, y_cols.indices // block, np.maximum, -np.inf)
        spans_z = np.diff(A[:, n_y:].tocsr().indptr) > 0
        self.local = (cell_lo == cell_hi) & ~spans_z
        self._rooms()
        self._groups()
        self.rotations = block <= ROTATION_SLOTS
        if self.rotations:
            self._rotation_rooms()

    def _rooms(self) -> None:
        """How far each cell atom may go down and up with the other atoms held, as far as
        its cell's own rows allow (and never below zero)."""
        y = self.A_csc[:, :self.n_y]
        rows, coef = y.indices, y.data.astype(float)
        keep = self.local[rows]
        slack_lo = np.maximum(self.values - self.lo, 0.0)[rows]
        slack_hi = np.maximum(self.hi - self.values, 0.0)[rows]
        down = np.where(coef > 0, slack_lo / np.abs(coef), slack_hi / np.abs(coef))
        up = np.where(coef > 0, slack_hi / np.abs(coef), slack_lo / np.abs(coef))
        col = np.repeat(np.arange(self.n_y), np.diff(y.indptr))
        self.down = np.minimum(np.maximum(self.point[:self.n_y], 0.0),
                               _reduce_by(col[keep], down[keep], self.n_y, np.minimum, np.inf))
        self.up = _reduce_by(col[keep], up[keep], self.n_y, np.minimum, np.inf)

    def _groups(self) -> None:
        """Cell atoms that every row spanning cells counts alike share a group; per group,
        the two atoms with the most room up and the two with the most room down."""
        rng = np.random.default_rng(0)
        spanning = sp.vstack([self.A[~self.local], self.L]).tocsc()[:, :self.n_y]
        weights = rng.random((spanning.shape[0], 2))
        signature = np.round(np.asarray(spanning.T @ weights), 9)
        _, group = np.unique(signature, axis=0, return_inverse=True)
        self.group = group.ravel()
        self.n_groups = int(self.group.max()) + 1 if len(self.group) else 0
        self.best_up = self._two_best(self.up)
        self.best_down = self._two_best(self.down)

    def _rotation_rooms(self) -> None:
        """Cells x slot a x slot b: how far an amount may move from slot a to slot b of the
        cell, as far as its own rows allow (a row counting a and not b goes down, one
        counting b and not a goes up); cells whose atoms fall in the same groups slot by slot
        form a class, and per class and pair the two cells of most room are kept."""
        b = self.block
        n_cells = self.n_y // b
        rows = np.flatnonzero(self.local)
        sub = self.A[rows][:, :self.n_y].tocoo()
        cell = np.zeros(len(rows), np.int64)
        cell[sub.row] = sub.col // b
        mask = np.zeros((len(rows), b), bool)
        mask[sub.row, sub.col % b] = sub.data > 0
        order = np.argsort(cell, kind="stable")
        cell, mask = cell[order], mask[order]
        slack_lo = np.maximum(self.values - self.lo, 0.0)[rows][order]
        slack_hi = np.maximum(self.hi - self.values, 0.0)[rows][order]
        only_a = mask[:, :, None] & ~mask[:, None, :]
        limit = np.where(only_a, slack_lo[:, None, None],
                         np.where(only_a.transpose(0, 2, 1), slack_hi[:, None, None], np.inf))
        room = np.full((n_cells, b, b), np.inf)
        if len(cell):
            starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
            room[cell[starts]] = np.minimum.reduceat(limit, starts, axis=0)
        x = np.maximum(self.point[:self.n_y], 0.0).reshape(n_cells, b)
        room = np.minimum(room, x[:, :, None])
        room[:, np.arange(b), np.arange(b)] = 0.0
        self.rot_room = room
        _, cls = np.unique(self.group.reshape(n_cells, b), axis=0, return_inverse=True)
        self.cell_class = cls.ravel()
        flat = room.reshape(n_cells, b * b)
        n_cls = int(self.cell_class.max()) + 1
        best = np.full((n_cls, b * b, 2), -1, np.int64)
        for pair in range(b * b):
            by = np.lexsort((-flat[:, pair], self.cell_class))
            c = self.cell_class[by]
            first = np.r_[True, c[1:] != c[:-1]]
            best[c[first], pair, 0] = by[first]
            second = np.flatnonzero(~first & np.r_[False, first[:-1]])
            best[c[second], pair, 1] = by[second]
        self.rot_best = best

    def _two_best(self, room: np.ndarray) -> np.ndarray:
        """Groups x 2: the atom of most room and the best atom of another cell (-1: none)."""
        order = np.lexsort((-room, self.group))
        g = self.group[order]
        first = np.r_[True, g[1:] != g[:-1]]
        best = np.full((self.n_groups, 2), -1, np.int64)
        best[g[first], 0] = order[first]
        cell = order // self.block
        other = ~first & (cell != cell[np.flatnonzero(first)[np.cumsum(first) - 1]])
        pick = np.flatnonzero(other)
        pick = pick[np.r_[True, g[pick][1:] != g[pick][:-1]]] if len(pick) else pick
        best[g[pick], 1] = order[pick]
        return best

    def _partner(self, best: np.ndarray, atoms: np.ndarray) -> np.ndarray:
        """For each atom, the best atom of its group in another cell (-1: none)."""
        first = best[self.group[atoms], 0]
        same = (first // self.block) == (atoms // self.block)
        return np.where(same | (first < 0), best[self.group[atoms], 1], first)

    def moves(self, targets: sp.csr_matrix, which: np.ndarray) -> sp.csc_matrix:
        """Atoms x moves: for each target in ``which`` whose cell atoms lie in one cell, the
        transfer and the rotation that lower it most and those that raise it most; only
        moves that keep every row they touch within its bounds are returned."""
        sub = targets[which].tocoo()
        y = sub.col < self.n_y
        r, j, t = sub.row[y], sub.col[y], sub.data[y].astype(float)
        cells = np.full(len(which), -1)
        np.maximum.at(cells, r, j // self.block)
        one_cell = np.zeros(len(which), bool)
        one_cell[r] = True
        one_cell[r[cells[r] != j // self.block]] = False
        one_cell[r[t != 1]] = False
        keep = one_cell[r]
        r, j = r[keep], j[keep]
        parts = [self._transfers(r, j)]
        if self.rotations:
            parts.append(self._rotations(r, j, cells, len(which),
                                         int(parts[0][2].max(initial=-1)) + 1))
        atoms = np.concatenate([p[0] for p in parts])
        deltas = np.concatenate([p[1] for p in parts])
        ids = np.concatenate([p[2] for p in parts])
        if self.whole:  # whole amounts from a whole point: every move is a whole point
            deltas = np.trunc(deltas)
        n_moves = int(ids.max()) + 1 if len(ids) else 0
        moves = sp.csc_matrix((deltas, (atoms, ids)), shape=(len(self.point), n_moves))
        return moves[:, self._holding(moves)]

    def _transfers(self, r: np.ndarray, j: np.ndarray):
        """Entries (atom, change, move) of the best transfer down and up of each target
        (its atoms ``j`` of targets ``r``): one of its atoms to an atom of another cell."""
        atoms, deltas, ids = [], [], []
        n = 0
        for sign, own_room, other_room, best in ((-1.0, self.down, self.up, self.best_up),
                                                 (1.0, self.up, self.down, self.best_down)):
            partner = self._partner(best, j)
            amount = np.where(partner >= 0, np.minimum(own_room[j],
                                                       other_room[np.maximum(partner, 0)]), 0)
            pick = _best_per(r, amount)
            count = len(pick)
            atoms += [j[pick], partner[pick]]
            deltas += [sign * amount[pick], -sign * amount[pick]]
            ids += [np.arange(n, n + count)] * 2
            n += count
        return np.concatenate(atoms), np.concatenate(deltas), np.concatenate(ids)

    def _rotations(self, r: np.ndarray, j: np.ndarray, cells: np.ndarray, n_targets: int,
                   first_id: int):
        """Entries (atom, change, move) of the best rotation down and up of each target: an
        amount goes from slot a to slot b of its cell and from b to a in another cell of
        its class, so every row spanning cells keeps its value."""
        b = self.block
        inside = np.zeros((n_targets, b), bool)
        inside[r, j % b] = True
        which = np.unique(r)
        c = cells[which]
        t_in = inside[which]
        step = t_in[:, None, :].astype(int) - t_in[:, :, None].astype(int)  # t_b - t_a
        pair = np.arange(b * b).reshape(b, b)
        back = pair.T  # the partner moves b -> a
        first = self.rot_best[self.cell_class[c][:, None, None], back[None], 0]
        second = self.rot_best[self.cell_class[c][:, None, None], back[None], 1]
        partner = np.where(first == c[:, None, None], second, first)
        a_idx, b_idx = np.arange(b)[:, None], np.arange(b)[None, :]
        amount = np.where(partner >= 0, np.minimum(
            self.rot_room[c][:, a_idx, b_idx],
            self.rot_room[np.maximum(partner, 0), b_idx, a_idx]), 0.0)
        atoms, deltas, ids = [], [], []
        n = 0
        for sign in (-1, 1):
            gain = np.where(step == sign, amount, 0.0).reshape(len(which), b * b)
            best = gain.argmax(axis=1)
            good = gain[np.arange(len(which)), best] > 1e-9
            best, rows = best[good], np.flatnonzero(good)
            a_slot, b_slot = best // b, best % b
            cc, pp = c[rows], partner[rows, a_slot, b_slot]
            delta = gain[rows, best]
            count = len(rows)
            atoms += [cc * b + a_slot, cc * b + b_slot, pp * b + b_slot, pp * b + a_slot]
            deltas += [-delta, delta, -delta, delta]
            ids += [np.arange(n, n + count)] * 4
            n += count
        return np.concatenate(atoms), np.concatenate(deltas), np.concatenate(ids) + first_id

    def _holding(self, moves: sp.csc_matrix, tol: float = 1e-7) -> np.ndarray:
        """Which moves keep every atom non-negative and every row they touch within its
        bounds (links unchanged)."""
        ok = np.ones(moves.shape[1], bool)
        coo = moves.tocoo()
        bad = self.point[coo.row] + coo.data < -tol
        ok[coo.col[bad]] = False
        change = (self.A @ moves).tocoo()
        new = self.values[change.row] + change.data
        bad = (new < self.lo[change.row] - tol) | (new > self.hi[change.row] + tol)
        ok[change.col[bad]] = False
        links = (self.L @ moves).tocoo()
        ok[links.col[np.abs(links.data) > tol]] = False
        return ok


def _best_per(group: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Index of the largest positive ``value`` of each ``group`` (groups with none left out)."""
    order = np.lexsort((-value, group))
    if not len(order):
        return order
    first = order[np.r_[True, group[order][1:] != group[order][:-1]]]
    return first[value[first] > 1e-9]


def _reduce_by(index: np.ndarray, values: np.ndarray, n: int, ufunc, empty: float
               ) -> np.ndarray:
    """``ufunc`` of ``values`` per ``index`` in 0..n-1 (``empty`` where none)."""
    out = np.full(n, empty)
    ufunc.at(out, index, values)
    return out


def _row_reduce(matrix: sp.csr_matrix, values: np.ndarray, ufunc, empty: float) -> np.ndarray:
    """``ufunc`` of ``values`` (one per stored entry) over each row of ``matrix``."""
    row = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return _reduce_by(row, values.astype(float), matrix.shape[0], ufunc, empty)
