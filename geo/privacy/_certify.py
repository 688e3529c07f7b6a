"""Secondary suppression on the joint model: hide counts until no small count is pinned.

A hidden count of 1..k-1 is safe when the published numbers allow at least two values for it.
The gate proves that for each one with a *certificate*: a second set of atoms, differing from
the truth, that gives every shown number, keeps every "fewer than k" count within 1..k-1 and
every "not shown" count at k or more, and changes the protected count. Most certificates are
*ready moves* of one incident between two cells or two slots (see
:meth:`geo.privacy.disclosure._Neighbourhoods.swaps`), checked in the size of the move; where
none fits, the cheapest such move that hiding a few shown counts makes possible is taken; and
only then is a certificate searched as a small integer program (scipy's HiGHS ``milp``) over
the atoms of a few cells or a slice of the area atoms, everything else held at the truth:
holding atoms fixed can only make the search harder, never accept a count the whole model
would pin, so what is certified is certified for an attacker who solves the whole system. When
no certificate exists, the same program may pick shown counts to hide (each at the cost of its
value); those become "not shown", and the certificate proves the protection.

Certificates stay valid as more is hidden; one added number (a report figure) is kept only
while every certificate still holds or can be found again without hiding anything.
"""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from geo.privacy.model import Model
from geo.privacy.release import COMPLEMENT, SHOWN, SMALL, UNKNOWN, breaks_label

__all__ = ["Certifier", "COST"]

COST = {"cell": 1.0, "area": 1.0, "category": 1.0, "week": 1.0, "hour": 2.0, "total": 6.0,
        "period": 2.0}
"""Cost of hiding a count, per unit of its value, by table: totals are dearest."""

_STEP = 2  # atoms move by at most this much in a certificate (a restriction: still sound)


@dataclass
class Certifier:
    """Targets of a model with their certificates; :meth:`protect` hides what it must."""

    model: Model
    targets: sp.csr_matrix = None
    target_true: np.ndarray = None
    target_row: np.ndarray = None
    risky: np.ndarray = None
    certs: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    hideable: np.ndarray = None
    solves: int = 0
    _by_atom: sp.csc_matrix | None = field(default=None, repr=False)
    _moves: _MoveTable | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        m = self.model
        if self.targets is None:
            self.targets = sp.csr_matrix((0, m.layout.n))
            self.target_true = np.zeros(0, np.int64)
            self.target_row = np.zeros(0, np.int64)
            self.risky = np.zeros(0, bool)
        if self.hideable is None:
            self.hideable = np.ones(len(m.rows), bool)
        self._cell_block = m.layout.n_parts * m.layout.n_cal * m.layout.n_filters

    # -------------------------------------------------------------- targets

    def add_targets(self, matrix: sp.csr_matrix, rows: np.ndarray, *, k: np.ndarray,
                    risky: np.ndarray | None = None) -> None:
        """Quantities that must not be pinned: by default those whose true value is 1..k-1.
        ``rows`` is the published row each one is, or refines."""
        true = matrix @ self.model.x
        self.targets = sp.vstack([self.targets, matrix]).tocsr()
        self.targets.sum_duplicates()  # sorted columns per row: target_change reads them
        self._by_atom = None
        self.target_true = np.r_[self.target_true, true]
        self.target_row = np.r_[self.target_row, rows]
        if risky is None:
            risky = (true >= 1) & (true <= np.asarray(k) - 1)
        self.risky = np.r_[self.risky, risky]

    def _sync_hideable(self) -> None:
        extra = len(self.model.rows) - len(self.hideable)
        if extra > 0:
            self.hideable = np.r_[self.hideable, np.ones(extra, bool)]

    def at_risk(self) -> np.ndarray:
        """Targets at risk that have no certificate yet."""
        done = np.zeros(len(self.risky), bool)
        done[list(self.certs)] = True
        return np.flatnonzero(self.risky & ~done)

    # -------------------------------------------------------------- checking

    def holds(self, d_idx: np.ndarray, d_val: np.ndarray, hide: np.ndarray | None = None
              ) -> bool:
        """Whether atoms ``x + d`` give every published row as labelled (with the rows
        ``hide`` taken as hidden, without changing any label).

        Only the rows the move touches are looked at (read straight from the column
        arrays), so a check costs the size of the move, not of the model."""
        m = self.model
        d_idx = np.asarray(d_idx, np.int64)
        d_val = np.asarray(d_val)
        if (m.x[d_idx] + d_val < 0).any():
            return False
        if _column_change(m.L_csc, d_idx, d_val)[0].size:
            return False
        rows, change = _column_change(m.A_csc, d_idx, d_val)
        label = m.label[rows]
        if hide is not None and len(hide):
            taken = np.isin(rows, hide) & (label == SHOWN)
            label = np.where(taken, np.where(m.true[rows] == 0, SMALL, COMPLEMENT), label)
        return not breaks_label(label, m.true[rows] + change, m.k[rows]).any()

    # -------------------------------------------------------------- search

    def _solve(self, t: int, variables: np.ndarray, *, suppress: bool, time_limit: float = 5.0
               ) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray] | None:
        """A certificate for target ``t`` moving only ``variables`` (up or down, whichever
        is cheaper), and the rows it hides."""
        m = self.model
        self._sync_hideable()
        cols = np.unique(variables)
        nv = len(cols)
        sub = m.A_csc[:, cols].tocoo()
        touch, r_local = np.unique(sub.row, return_inverse=True)
        lab, tv, kk = m.label[touch], m.true[touch], m.k[touch]
        elig = suppress & (lab == SHOWN) & ((tv >= kk) | (tv == 0)) & self.hideable[touch]
        link = m.L_csc[:, cols].tocoo()
        l_rows, l_local = np.unique(link.row, return_inverse=True)
        e_index = np.full(len(touch), -1)
        e_index[elig] = np.arange(int(elig.sum()))
        ne = int(elig.sum())
        tgt = self.targets[t][:, cols].tocoo()
        big_t = float(np.abs(tgt.data).sum() * _STEP + 1)
        # rows: one per touched published row, then links, then the eligible rows' two
        # switch rows, then the target's two direction rows
        n_pub, n_link = len(touch), len(l_rows)
        rr = [r_local, n_pub + l_local]
        cc = [sub.col, link.col]
        vv = [sub.data.astype(float), link.data.astype(float)]
        lo = np.zeros(n_pub + n_link)
        hi = np.zeros(n_pub + n_link)
        small, comp = lab == SMALL, lab == COMPLEMENT
        lo[:n_pub][small], hi[:n_pub][small] = -tv[small], kk[small] - 1 - tv[small]
        lo[:n_pub][comp], hi[:n_pub][comp] = kk[comp] - tv[comp], np.inf
        lo[:n_pub][lab == UNKNOWN], hi[:n_pub][lab == UNKNOWN] = -np.inf, np.inf
        zero = elig & (tv == 0)  # a hidden zero is "fewer than k"; a hidden count, k or more
        lo[:n_pub][elig] = np.where(zero[elig], -np.inf, kk[elig] - tv[elig])
        hi[:n_pub][elig] = np.where(zero[elig], kk[elig] - 1, np.inf)
        base = n_pub + n_link
        if ne:
            width = np.bincount(r_local, weights=np.abs(sub.data), minlength=n_pub)[elig]
            big = width * _STEP + 1
            in_elig = elig[r_local]
            for sign, row0 in ((-1.0, base), (1.0, base + ne)):
                rr.append(row0 + e_index[r_local[in_elig]])
                cc.append(sub.col[in_elig])
                vv.append(sub.data[in_elig].astype(float))
                rr.append(row0 + np.arange(ne))
                cc.append(nv + np.arange(ne))
                vv.append(sign * big)
            lo = np.r_[lo, np.full(ne, -np.inf), np.zeros(ne)]
            hi = np.r_[hi, np.zeros(ne), np.full(ne, np.inf)]
            base += 2 * ne
        b = nv + ne  # the direction: 1 up, 0 down
        for row0 in (base, base + 1):
            rr += [np.full(len(tgt.col), row0), [row0]]
            cc += [tgt.col, [b]]
            vv += [tgt.data.astype(float), [-(big_t + 1)]]
        lo = np.r_[lo, -big_t, -np.inf]
        hi = np.r_[hi, np.inf, -1.0]
        n_rows = base + 2
        matrix = sp.csr_matrix((np.concatenate(vv), (np.concatenate(rr).astype(np.int64),
                                                     np.concatenate(cc).astype(np.int64))),
                               shape=(n_rows, nv + ne + 1))
        cost = np.zeros(nv + ne + 1)
        if ne:
            kinds = [m.rows[i]["t"] for i in touch[elig]]
            cost[nv:nv + ne] = [COST.get(kd, 1.0) * max(v, 1) + 0.01 for kd, v in zip(
                kinds, tv[elig], strict=True)]
        lb = np.r_[np.maximum(-m.x[cols], -_STEP).astype(float), np.zeros(ne + 1)]
        ub = np.r_[np.full(nv, float(_STEP)), np.ones(ne + 1)]
        self.solves += 1
        res = milp(cost, integrality=np.ones(nv + ne + 1), bounds=Bounds(lb, ub),
                   constraints=LinearConstraint(matrix, lo, hi),
                   options={"time_limit": time_limit, "presolve": False})
        if res.x is None:  # infeasible, or no move found in time: no certificate here
            return None
        sol = np.round(res.x).astype(np.int64)
        d = sol[:nv]
        nz = d != 0
        hidden = touch[elig][sol[nv:nv + ne] > 0] if ne else np.zeros(0, np.int64)
        if len(hidden):  # hide only rows the move really changes
            moved = m.A_csc[:, cols[nz]] @ d[nz]
            hidden = hidden[moved[hidden] != 0]
        return (cols[nz], d[nz]), hidden

    def certify(self, t: int, neighbourhoods, *, suppress: bool, time_limit: float = 5.0
                ) -> bool:
        """Find a certificate for target ``t`` in growing neighbourhoods; hide rows if allowed.

        A neighbourhood is an array of atoms a search may move, a ready move
        ``(atoms, changes)`` that is only checked, or ``(atoms, changes, rows)``: a move that
        holds once those rows are hidden (tried only when hiding is allowed)."""
        found = self._find(t, neighbourhoods, suppress=suppress, time_limit=time_limit)
        if found is None:
            return False
        self._take(t, *found)
        return True

    def _find(self, t: int, neighbourhoods, *, suppress: bool, time_limit: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """A move certifying target ``t`` and the rows it needs hidden, or None; no label
        changes, so that searches for several targets may run side by side."""
        none = np.zeros(0, np.int64)
        for variables in neighbourhoods:
            if isinstance(variables, tuple) and len(variables) == 3:  # a move after hiding
                idx, val, rows = variables
                if suppress and self.target_change(t, idx, val) and self.holds(idx, val, rows):
                    return idx, val, np.asarray(rows, np.int64)
                continue
            if isinstance(variables, tuple):
                idx, val = variables
                if self.target_change(t, idx, val) and self.holds(idx, val):
                    return idx, val, none
                continue
            found = self._solve(t, variables, suppress=suppress, time_limit=time_limit)
            if found is None:
                continue
            (idx, val), hidden = found
            if self.holds(idx, val, hidden):  # a guard: the search is a restriction
                return idx, val, hidden
        return None

    def _take(self, t: int, idx: np.ndarray, val: np.ndarray, hide: np.ndarray) -> None:
        """Hide ``hide`` (those still shown) and keep the move as ``t``'s certificate."""
        m = self.model
        hide = hide[m.label[hide] == SHOWN] if len(hide) else hide
        m.label[hide] = np.where(m.true[hide] == 0, SMALL, COMPLEMENT)
        self._record(t, idx, val)

    def certify_many(self, targets, neighbourhoods_for, *, suppress: bool,
                     time_limit: float = 5.0, before_round=None, stop_at_failure: bool = False,
                     progress=None) -> list[int]:
        """Certify ``targets`` in their order; the ones that fail.

        The searches of a round (one target per core, of those no certificate taken so far
        covers) run side by side in threads: HiGHS lets go of the interpreter while it
        solves, and a search changes no label. Their results are then taken in the targets'
        order, each checked again against the labels as the round's earlier ones left them
        (hiding only loosens a published row, so a move found before still fits; one that
        does not is searched again alone). Which targets share a round depends only on the
        targets and the certificates taken, so a release comes out the same every time.
        ``before_round`` brings shared caches up to date before the threads read them;
        ``progress(done, total)`` is told before each round."""
        from geo._arrays import worker_threads

        todo = [int(t) for t in targets]
        width = max(1, worker_threads()) if len(todo) > 1 else 1
        pool = _searchers(width) if width > 1 else None

        def search(t: int):
            return self._find(t, neighbourhoods_for(t), suppress=suppress,
                              time_limit=time_limit)
        failed: list[int] = []
        at = 0
        while at < len(todo):
            batch = []
            while at < len(todo) and len(batch) < width:
                if todo[at] not in self.certs:
                    batch.append(todo[at])
                at += 1
            if not batch:
                continue
            if progress is not None:
                progress(at, len(todo))
            if before_round is not None:
                before_round()
            results = (list(pool.map(search, batch)) if pool is not None and len(batch) > 1
                       else [search(t) for t in batch])
            hid = False  # whether the round's earlier results hid anything
            for t, found in zip(batch, results, strict=True):
                if t in self.certs:
                    continue  # an earlier move of the round covers it
                if found is not None and self.holds(*found):
                    hid = hid or bool(len(found[2]))
                    self._take(t, *found)
                    continue
                # searched on labels that have changed since: search again, alone
                again = (found is not None or hid) and self.certify(
                    t, neighbourhoods_for(t), suppress=suppress, time_limit=time_limit)
                if not again:
                    failed.append(t)
                    if stop_at_failure:
                        return failed
                hid = True
        return failed

    def _record(self, t: int, idx: np.ndarray, val: np.ndarray) -> None:
        self.certs[t] = (idx, val)
        for other in _column_change(self._targets_by_atom(), np.asarray(idx, np.int64),
                                    np.asarray(val))[0]:
            self.certs.setdefault(int(other), (idx, val))

    def _targets_by_atom(self) -> sp.csc_matrix:
        """The targets by column (atoms), kept while the targets stay the same."""
        if self._by_atom is None:
            self._by_atom = self.targets.tocsc()
        return self._by_atom

    # -------------------------------------------------------------- neighbourhoods

    def cell_atoms(self, cells: np.ndarray) -> np.ndarray:
        """Atom indices of the given cell indices."""
        b = self._cell_block
        return (np.asarray(cells)[:, None] * b + np.arange(b)[None, :]).ravel()

    def target_atoms(self, t: int) -> np.ndarray:
        """Atoms of target ``t`` (read from the row arrays, without slicing)."""
        tg = self.targets
        return tg.indices[tg.indptr[t]:tg.indptr[t + 1]]

    def target_change(self, t: int, idx: np.ndarray, val: np.ndarray) -> float:
        """How much a move changes target ``t``."""
        tg = self.targets
        cols = tg.indices[tg.indptr[t]:tg.indptr[t + 1]]
        data = tg.data[tg.indptr[t]:tg.indptr[t + 1]]
        pos = np.searchsorted(cols, idx)
        pos = np.minimum(pos, len(cols) - 1) if len(cols) else pos
        hit = (cols[pos] == idx) if len(cols) else np.zeros(len(idx), bool)
        return float((data[pos[hit]] * np.asarray(val)[hit]).sum())

    def target_cells(self, t: int) -> np.ndarray:
        """Cells holding atoms of target ``t``."""
        cols = self.target_atoms(t)
        cols = cols[cols < self.model.layout.n_y]
        return np.unique(cols // self._cell_block)

    def target_z(self, t: int) -> np.ndarray:
        """Area atoms of target ``t``."""
        cols = self.target_atoms(t)
        return cols[cols >= self.model.layout.n_y]

    # -------------------------------------------------------------- published extras

    def _violated(self, rows: np.ndarray) -> list[int]:
        """Certified targets whose certificate breaks the (new) labels of ``rows``."""
        if not self.certs:
            return []
        m = self.model
        keys = list(self.certs)
        if self._moves is None:
            self._moves = _MoveTable()
        # one move often certifies many targets (see _record): each distinct move once
        owner = self._moves.numbers(list(self.certs.values()))
        # only the changes a move makes can break it: a published row keeps its value (and
        # its label's bounds) under a move that leaves it alone, so only the moves' changes
        # to the atoms of ``rows`` enter
        published = m.A[rows]
        touched = np.zeros(m.layout.n, bool)
        touched[published.indices] = True
        atoms, changes, number = self._moves.entries()
        present = np.zeros(self._moves.size, bool)
        present[owner] = True
        near = touched[atoms] & present[number]
        moves = sp.csr_matrix((changes[near].astype(float), (number[near], atoms[near])),
                              shape=(self._moves.size, m.layout.n))
        change = (published @ moves.T).tocoo()  # rows x moves, sparse
        moved = change.data != 0
        at, which, change = change.row[moved], change.col[moved], change.data[moved]
        bad = breaks_label(m.label[rows][at], m.true[rows][at] + change, m.k[rows][at])
        broken = np.zeros(self._moves.size, bool)
        broken[which[bad]] = True
        return [keys[n] for n in np.flatnonzero(broken[owner])]

    def _repair(self, broken: list[int], saved: dict, rows: np.ndarray) -> None:
        """Certify what it can of the targets whose certificates ``rows`` broke by the sum or
        difference of two broken certificates whose changes to ``rows`` cancel: each was a
        move fitting every other published row, so their combination often fits all of them
        (checked, as every move is). A search for a target the new rows hem in can take a
        second (an integer program over every cell); this takes the size of the moves."""
        m = self.model
        moves: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for t in broken:
            idx, val = saved[t]
            moves.setdefault(id(idx), (idx, val))
        if len(moves) < 2:
            return
        sub = m.A[rows].tocsc()
        keys, effect = list(moves), {}
        for key in keys:
            idx, val = moves[key]
            effect[key] = np.rint(sub[:, idx] @ np.asarray(val, float)).astype(np.int64)
        by_effect: dict[bytes, list[int]] = {}
        for key in keys:
            by_effect.setdefault(effect[key].tobytes(), []).append(key)
        for t in broken:
            if t in self.certs:
                continue
            own = id(saved[t][0])
            for sign in (1, -1):  # a partner whose change is minus ours (added) or ours
                for other in by_effect.get((-sign * effect[own]).tobytes(), ()):
                    if other == own:
                        continue
                    idx, val = _combine(moves[own], moves[other], sign)
                    if len(idx) and self.target_change(t, idx, val) and self.holds(idx, val):
                        self._record(t, idx, val)
                        break
                if t in self.certs:
                    break

    def try_publish(self, rows: np.ndarray, neighbourhoods_for, *, time_limit: float = 5.0,
                    settle=None, before_round=None) -> bool:
        """Publish extra rows (shown, or "fewer than k" when small) if every certificate
        still holds, or is found again without hiding anything; else leave them out.
        ``settle``, given targets, certifies what it can of them at once without hiding
        anything and returns the others (see :mod:`geo.privacy._bulk_moves`)."""
        m = self.model
        before = m.label[rows].copy()
        small = (m.true[rows] >= 1) & (m.true[rows] <= m.k[rows] - 1)
        m.label[rows] = np.where(small, SMALL, SHOWN)
        broken = self._violated(rows)
        saved = dict(self.certs)
        for t in broken:
            del self.certs[t]
        self._repair(broken, saved, rows)
        n_before = len(self.target_true)
        if small.any():
            self.add_targets(m.A[rows[small]], rows[small], k=m.k[rows[small]])
        todo = np.asarray([t for t in [*broken, *range(n_before, len(self.target_true))]
                           if t not in self.certs], np.int64)
        if settle is not None and len(todo):
            todo = settle(todo)
        if self.certify_many(todo, neighbourhoods_for, suppress=False, time_limit=time_limit,
                             before_round=before_round, stop_at_failure=True):
            m.label[rows] = before
            self.certs = saved
            keep = np.arange(n_before)
            self.targets = self.targets[keep]
            self._by_atom = None
            self.target_true = self.target_true[keep]
            self.target_row = self.target_row[keep]
            self.risky = self.risky[keep]
            return False
        return True


class _MoveTable:
    """Every distinct move a certificate has held, numbered, with its atoms and changes in
    flat arrays, kept between the checks of published extras (each check reads every
    certificate; most moves are the same as at the last one). A move is known by the
    identity of its atom array, and the table holds on to each move it numbers, so no
    identity is reused by another array while the table lives."""

    def __init__(self) -> None:
        self._kept: list[tuple[np.ndarray, np.ndarray]] = []
        self._ids = np.zeros(0, np.uint64)  # sorted
        self._at = np.zeros(0, np.int64)  # the number of each of _ids
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._flat: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def size(self) -> int:
        return len(self._kept)

    def numbers(self, held: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """The number of each move in ``held``, numbering the new ones."""
        ids = np.fromiter(map(id, map(itemgetter(0), held)), np.uint64, len(held))
        pos = np.minimum(np.searchsorted(self._ids, ids), max(len(self._ids) - 1, 0))
        known = (self._ids[pos] == ids) if len(self._ids) else np.zeros(len(ids), bool)
        if not known.all():
            fresh, first = np.unique(ids[~known], return_index=True)
            start = len(self._kept)
            pairs = [held[i] for i in np.flatnonzero(~known)[first]]
            self._kept.extend(pairs)
            lengths = list(map(len, map(itemgetter(0), pairs)))
            self._parts.append((np.concatenate([np.asarray(a, np.int64) for a, _ in pairs]),
                                np.concatenate([np.asarray(v) for _, v in pairs]),
                                np.repeat(np.arange(start, start + len(pairs)), lengths)))
            self._flat = None
            ids_all = np.r_[self._ids, fresh]
            at_all = np.r_[self._at, np.arange(start, start + len(pairs))]
            order = np.argsort(ids_all, kind="stable")
            self._ids, self._at = ids_all[order], at_all[order]
            pos = np.searchsorted(self._ids, ids)
        return self._at[pos]

    def entries(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(atoms, changes, move number) of every known move, flat."""
        if self._flat is None:
            self._flat = tuple(np.concatenate(part) for part in zip(*self._parts, strict=True))
            self._parts = [self._flat]
        return self._flat


@functools.lru_cache(maxsize=1)
def _searchers(width: int) -> ThreadPoolExecutor:
    """The threads that searches run in, kept for the process: HiGHS sets up its scheduler
    once per thread that calls it."""
    return ThreadPoolExecutor(width, thread_name_prefix="certify")


def _combine(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], sign: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """The move ``a + sign * b`` as sorted atoms and their (non-zero) changes."""
    idx = np.concatenate([np.asarray(a[0], np.int64), np.asarray(b[0], np.int64)])
    val = np.concatenate([np.asarray(a[1], np.int64), sign * np.asarray(b[1], np.int64)])
    atoms, inverse = np.unique(idx, return_inverse=True)
    total = np.bincount(inverse, weights=val, minlength=len(atoms)).astype(np.int64)
    keep = total != 0
    return atoms[keep], total[keep]


def _column_change(matrix: sp.csc_matrix, cols: np.ndarray, values: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``matrix[:, cols] @ values`` changes and by how much (sparse, no slicing)."""
    starts = matrix.indptr[cols]
    lengths = matrix.indptr[cols + 1] - starts
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, np.int64), np.zeros(0)
    shift = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    at = shift + np.arange(total)
    rows, inverse = np.unique(matrix.indices[at], return_inverse=True)
    change = np.bincount(inverse, weights=matrix.data[at] * np.repeat(values, lengths),
                         minlength=len(rows))
    moved = change != 0
    return rows[moved], change[moved]


def unknown_rows(model: Model) -> np.ndarray:
    """Rows not published."""
    return np.flatnonzero(model.label == UNKNOWN)
