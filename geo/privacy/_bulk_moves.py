"""The protection's first pass: one-incident moves for every count of one cell at once.

Nearly every target of a release is a count of one cell, and nearly every one of those is
certified by a move of one incident (see
:meth:`geo.privacy.disclosure._Neighbourhoods.swaps`): a *transfer* of an incident of one
slot (week part, calendar part, category class) between two cells of the same named cell
sets, or a *rotation* of one incident from slot a to slot b in the target's cell and from b
to a in another. Looked for one target at a time, that costs a few dozen small array
operations per target; here it is worked out for all of them together, on arrays of cells x
slots, and every move is checked against every published row it touches in one sparse
product (:func:`holds_many`), so the pass costs about as much as a few passes over the
cell counts.

Where no move fits the labels as they are, the cheapest one that hiding some shown cell
counts makes possible is taken, in rounds: in a round, each target in turn takes its
cheapest such move unless a cell the move reads had counts hidden earlier in the same
round (its prices are stale: it waits for the next round, where the hiding often gives it a
ready move for nothing). A target this pass cannot settle (a count over several cells or
the area, or one whose only certificates move more than one incident) is left to the
one-at-a-time search of :func:`geo.privacy.disclosure.protect`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geo.privacy.release import COMPLEMENT, SHOWN, SMALL, breaks_label

__all__ = ["holds_many", "settle_single_cells"]

_NONE = 1e12
"""Stands for an impossible change in sums of prices (an infinite price times a zero of the
slot table would give NaN)."""


def holds_many(model, moves: sp.csr_matrix) -> np.ndarray:
    """For each row of ``moves`` (a change of atoms), whether ``x + move`` gives every
    published row as labelled and keeps every atom and link: the check of
    :meth:`geo.privacy._certify.Certifier.holds`, for many moves in one sparse product."""
    ok = np.ones(moves.shape[0], bool)
    coo = moves.tocoo()
    ok[coo.row[model.x[coo.col] + coo.data < 0]] = False
    links = (model.L @ moves.T).tocoo()
    ok[links.col[links.data != 0]] = False
    change = (model.A @ moves.T).tocoo()
    moved = change.data != 0
    r, j, v = change.row[moved], change.col[moved], change.data[moved]
    ok[j[breaks_label(model.label[r], model.true[r] + v, model.k[r])]] = False
    return ok


@dataclass
class _Targets:
    """Targets of one cell each: their index, cell, group of named cell sets and slots."""

    ids: np.ndarray
    cell: np.ndarray
    group: np.ndarray
    slots: np.ndarray  # targets x slots, True where the target counts that slot


def _single_cell(cert, pending: np.ndarray) -> np.ndarray:
    """Which pending targets count atoms of one cell only."""
    sub = cert.targets[pending]
    lengths = np.diff(sub.indptr)
    single = np.zeros(len(pending), bool)
    has = lengths > 0
    if not has.any():
        return single
    block, n_y = cert._cell_block, cert.model.layout.n_y
    starts = sub.indptr[:-1][has]
    cols = sub.indices
    lo = np.minimum.reduceat(cols, starts)
    hi = np.maximum.reduceat(cols, starts)
    single[has] = (hi < n_y) & (lo // block == hi // block)
    return single


def _targets(cert, hoods, ids: np.ndarray) -> _Targets:
    block = cert._cell_block
    sub = cert.targets[ids]
    row = np.repeat(np.arange(len(ids)), np.diff(sub.indptr))
    slots = np.zeros((len(ids), block), bool)
    slots[row, sub.indices % block] = True
    cell = np.zeros(len(ids), np.int64)
    cell[row] = sub.indices // block
    hoods._membership()
    return _Targets(ids=ids, cell=cell, group=hoods._group[cell], slots=slots)


def _best_two(cost: np.ndarray, members: list[np.ndarray], n_groups: int):
    """Per group of cells and slot: the cheapest cell and the next one, with their costs
    (ties to the lower cell index; -1 and infinity where there is none)."""
    width = cost.shape[1]
    cells = np.full((2, n_groups, width), -1, np.int64)
    costs = np.full((2, n_groups, width), np.inf)
    across = np.arange(width)
    for g, member in enumerate(members):
        sub = cost[member]
        if not len(member):
            continue
        first = np.argmin(sub, axis=0)
        costs[0, g] = sub[first, across]
        cells[0, g] = member[first]
        if len(member) > 1:
            sub = sub.copy()
            sub[first, across] = np.inf
            second = np.argmin(sub, axis=0)
            costs[1, g] = sub[second, across]
            cells[1, g] = member[second]
    none = ~(costs < _NONE)
    cells[none], costs[none] = -1, np.inf
    return cells, costs


def _partner(best, tg: _Targets, at=slice(None)):
    """For each target (of those ``at``) and slot: the best other cell of its group, and its
    cost."""
    cells, costs = best
    group = tg.group[at]
    c1, c2 = cells[0][group], cells[1][group]
    k1, k2 = costs[0][group], costs[1][group]
    own = c1 == tg.cell[at][:, None]
    return np.where(own, c2, c1), np.where(own, k2, k1)


def _blocked(keys_ok: np.ndarray, contains: np.ndarray) -> np.ndarray:
    """Cells x slots: True where every count holding the slot allows the change."""
    return ((~keys_ok).astype(np.int32) @ contains.astype(np.int32)) == 0


_OUT, _IN, _ROTATE = 0, 1, 2
"""Kinds of move: an incident of slot a out of the target's cell to the partner, one into
it from the partner, or a -> b in the target's cell and b -> a in the partner."""


@dataclass
class _Plans:
    """The cheapest move found so far for each target: its cost, kind, slots and partner."""

    cost: np.ndarray
    kind: np.ndarray
    a: np.ndarray
    b: np.ndarray
    partner: np.ndarray

    @classmethod
    def empty(cls, n: int) -> _Plans:
        return cls(np.full(n, np.inf), *(np.zeros(n, np.int64) for _ in range(4)))

    def offer(self, cost: np.ndarray, kind: int, a, b, partner) -> None:
        better = cost < self.cost
        self.cost[better] = cost[better]
        self.kind[better] = kind
        for mine, theirs in ((self.a, a), (self.b, b), (self.partner, partner)):
            mine[better] = np.broadcast_to(theirs, better.shape)[better]


def _plan(cert, hoods, tg: _Targets, *, priced: bool) -> _Plans:
    """The cheapest transfer or rotation for each target: with ``priced`` False only moves
    that fit the labels as they are (cost 0); with ``priced`` True, what hiding makes
    possible, at the price of the counts hidden."""
    m = cert.model
    lay = m.layout
    block = cert._cell_block
    n_cells = len(lay.cells)
    x = m.x[: lay.n_y].reshape(n_cells, block)
    contains = hoods._contains()
    n_groups = int(hoods._group.max()) + 1 if len(hoods._group) else 1
    members = [np.flatnonzero(hoods._group == g) for g in range(n_groups)]
    if priced:
        dec, inc = (np.where(np.isinf(a), _NONE, a) for a in hoods._hiding_cost())
        out_cost = dec @ contains + np.where(x > 0, 0.0, _NONE)
        in_cost = inc @ contains
    else:
        dec, inc = hoods._room()
        out_cost = np.where(_blocked(dec, contains) & (x > 0), 0.0, np.inf)
        in_cost = np.where(_blocked(inc, contains), 0.0, np.inf)
    plans = _Plans.empty(len(tg.ids))
    cell = tg.cell
    rows = np.arange(len(tg.ids))
    for kind, own, partner_cost in ((_OUT, out_cost, in_cost), (_IN, in_cost, out_cost)):
        p_cell, p_cost = _partner(_best_two(partner_cost, members, n_groups), tg)
        total = np.where(tg.slots & (p_cell >= 0), own[cell] + p_cost, np.inf)
        total[total >= _NONE] = np.inf
        slot = np.argmin(total, axis=1)
        plans.offer(total[rows, slot], kind, slot, slot, p_cell[rows, slot])
    left = np.isfinite(plans.cost) if not priced else np.zeros(len(rows), bool)
    if left.all():
        return plans
    table = contains.astype(float)
    if priced:
        x_price = np.where(x > 0, 0.0, _NONE)
    else:
        dec_no, inc_no = (~dec).astype(float), (~inc).astype(float)
    for a in range(block):
        wanted = tg.slots[:, a] & ~left
        if not wanted.any():
            continue
        has_a = table[:, a]
        # cells x slot b: the price (or the number of counts without room) of moving one
        # incident a -> b in the cell (own) and b -> a in a partner (other)
        if priced:
            own = (dec * has_a) @ (1 - table) + (inc * (1 - has_a)) @ table \
                + x_price[:, [a]]
            other = (inc * has_a) @ (1 - table) + (dec * (1 - has_a)) @ table + x_price
        else:
            own = np.where((((dec_no * has_a) @ (1 - table) + (inc_no * (1 - has_a)) @ table)
                            == 0) & (x[:, [a]] > 0), 0.0, np.inf)
            other = np.where((((inc_no * has_a) @ (1 - table) + (dec_no * (1 - has_a)) @ table)
                              == 0) & (x > 0), 0.0, np.inf)
        own[:, a] = other[:, a] = np.inf
        at = np.flatnonzero(wanted)  # only these read their partners
        p_cell, p_cost = _partner(_best_two(other, members, n_groups), tg, at)
        total = np.where(~tg.slots[at] & (p_cell >= 0), own[cell[at]] + p_cost, np.inf)
        total[total >= _NONE] = np.inf
        b_at = np.argmin(total, axis=1)
        best, b, partner = np.full(len(rows), np.inf), np.zeros(len(rows), np.int64), \
            np.zeros(len(rows), np.int64)
        best[at] = total[np.arange(len(at)), b_at]
        b[at] = b_at
        partner[at] = p_cell[np.arange(len(at)), b_at]
        plans.offer(best, _ROTATE, a, b, partner)
        if not priced:
            left |= np.isfinite(best)
    return plans


def _moves(plans: _Plans, cell: np.ndarray, block: int, at: np.ndarray) -> tuple[list, list]:
    """Atoms and changes of the planned moves of targets ``at``."""
    c, p = cell[at] * block, plans.partner[at] * block
    a, b, kind = plans.a[at], plans.b[at], plans.kind[at]
    two = np.where((kind == _OUT)[:, None], np.c_[c + a, p + a], np.c_[p + a, c + a])
    four = np.c_[c + a, c + b, p + b, p + a]
    step2, step4 = np.array([-1, 1]), np.array([-1, 1, -1, 1])
    rotate = (kind == _ROTATE).tolist()
    atoms = [f if r else t for f, t, r in zip(four, two, rotate, strict=True)]
    changes = [step4 if r else step2 for r in rotate]
    return atoms, changes


def _take_in_turn(hoods, plans: _Plans, cell: np.ndarray, order: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """One round of priced moves: in ``order``, each target takes its planned move unless
    a cell the move reads had counts hidden by an earlier one of the round (its prices are
    stale). The targets that take theirs, and the shown counts their moves hide.

    What each move would hide is read from the labels as the round found them, for all at
    once: a move is only taken while none of its cells has changed."""
    m = hoods.model
    contains = hoods._contains()
    dec_cost, inc_cost = hoods._hiding_cost()
    if not len(order):
        return order, np.zeros(0, np.int64)
    c, p = cell[order], plans.partner[order]
    a, b, kind = plans.a[order], plans.b[order], plans.kind[order]
    rotate = kind == _ROTATE
    has_a, has_b = contains[:, a].T, contains[:, b].T  # moves x counts
    only_a, only_b = has_a & ~has_b, has_b & ~has_a
    out = kind == _OUT
    # each move's four (cell, counts, way): the way is True where the count goes down
    cells = np.stack([c, p, c, p], axis=1)
    keys = np.stack([np.where(rotate[:, None], only_a, has_a),
                     np.where(rotate[:, None], only_a, has_a),
                     np.where(rotate[:, None], only_b, False),
                     np.where(rotate[:, None], only_b, False)], axis=1)
    down = np.stack([out | rotate, ~out & ~rotate, np.zeros_like(out), rotate], axis=1)
    price = np.where(down[:, :, None], dec_cost[cells], inc_cost[cells])
    rows = hoods._row_at[cells]
    need = keys & (price > 0) & (rows >= 0)
    need &= m.label[np.where(rows >= 0, rows, 0)] == SHOWN
    hides_at = need.any(axis=2)
    touched = [False] * len(m.layout.cells)  # a plain list: read per move in the loop
    taken = []
    for i, (four, hides) in enumerate(zip(cells.tolist(), hides_at.tolist(), strict=True)):
        if any(touched[x] for x in four):
            continue
        for x, h in zip(four, hides, strict=True):
            if h:
                touched[x] = True
        taken.append(i)
    taken = np.asarray(taken, np.int64)
    return order[taken], np.unique(rows[taken][need[taken]])


def _record(cert, atoms: list, changes: list) -> None:
    """Keep the moves that hold, as certificates of every target each one changes."""
    if not atoms:
        return
    moves = _moves_matrix(cert.model.layout.n, atoms, changes)
    good = np.flatnonzero(holds_many(cert.model, moves))
    if not len(good):
        return
    moved = (cert.targets @ moves[good].T).tocoo()
    hit = moved.data != 0
    order = np.lexsort((moved.col[hit], moved.row[hit]))
    target, move = moved.row[hit][order], moved.col[hit][order]
    first = np.r_[True, target[1:] != target[:-1]] if len(target) else np.zeros(0, bool)
    kept = [(atoms[g], changes[g]) for g in good.tolist()]  # one pair per move, shared
    certs = cert.certs
    for t, j in zip(target[first].tolist(), move[first].tolist(), strict=True):
        if t not in certs:
            certs[t] = kept[j]


def _moves_matrix(n: int, atoms: list, changes: list) -> sp.csr_matrix:
    lengths = [len(a) for a in atoms]
    rows = np.repeat(np.arange(len(atoms)), lengths)
    return sp.csr_matrix((np.concatenate(changes).astype(float),
                          (rows, np.concatenate(atoms))), shape=(len(atoms), n))


def settle_single_cells(cert, hoods, pending: np.ndarray, *, hide: bool = True
                        ) -> np.ndarray:
    """Certify what one-incident moves can among ``pending`` targets, hiding shown counts
    where that makes a move possible only if ``hide``; the targets left."""
    pending = np.asarray(pending, np.int64)
    single = _single_cell(cert, pending)
    todo = pending[single]
    m = cert.model
    block = cert._cell_block

    def open_(ids):
        return ids[[t not in cert.certs for t in ids.tolist()]] if len(ids) else ids

    while len(todo := open_(todo)):
        tg = _targets(cert, hoods, todo)
        ready = _plan(cert, hoods, tg, priced=False)
        fit = np.flatnonzero(np.isfinite(ready.cost))
        _record(cert, *_moves(ready, tg.cell, block, fit))
        if not hide or not len(todo := open_(todo)):
            break
        tg = _targets(cert, hoods, todo)
        priced = _plan(cert, hoods, tg, priced=True)
        taken, to_hide = _take_in_turn(hoods, priced, tg.cell, np.flatnonzero(np.isfinite(
            priced.cost)))
        m.label[to_hide] = np.where(m.true[to_hide] == 0, SMALL, COMPLEMENT)
        if not len(taken):
            break
        before = len(cert.certs)
        _record(cert, *_moves(priced, tg.cell, block, np.asarray(taken, np.int64)))
        if len(cert.certs) == before:
            break
    left = np.r_[pending[~single], todo]
    return np.sort(open_(left))


def settle_area_targets(cert, pending: np.ndarray, *, most: int = 400) -> np.ndarray:
    """Certify, where one fits the labels as they are, counts of the whole area (an hour of
    the week, a category) by a move of one incident to another hour of the same week part,
    same category and calendar part: every cell count, band total and category count stays,
    and only the hour rows of the two hours change (none of the hour-of-day rows when the
    two hours are the same hour of two days, tried first). The targets left."""
    pending = np.asarray(pending, np.int64)
    m = cert.model
    lay = m.layout
    n_cat, n_cal = max(len(lay.categories), 1), lay.n_cal
    sub = cert.targets[pending]
    lengths = np.diff(sub.indptr)
    first_col = np.full(len(pending), -1, np.int64)
    has = lengths > 0
    first_col[has] = np.minimum.reduceat(sub.indices, sub.indptr[:-1][has]) if has.any() \
        else first_col[has]
    area = pending[has & (first_col >= lay.n_y)]
    atoms, changes = [], []
    for t in area:
        cols = cert.target_atoms(int(t))
        cols = cols[m.x[cols] > 0]
        rel = cols - lay.n_y
        hp, rest = rel // (n_cat * n_cal), rel % (n_cat * n_cal)
        inside = np.zeros(lay.n_z, bool)
        inside[cert.target_atoms(int(t)) - lay.n_y] = True
        made = 0
        for h, r, col in zip(hp, rest, cols, strict=True):
            others = np.flatnonzero(lay.part_of_hpart == lay.part_of_hpart[h])
            others = others[~inside[others * (n_cat * n_cal) + r]]
            same_hour = lay.hour_of_hpart[others] % 24 == lay.hour_of_hpart[h] % 24
            others = others[np.argsort(~same_hour, kind="stable")][: most - made]
            for b in others:
                atoms.append(np.array([col, lay.n_y + b * (n_cat * n_cal) + r]))
                changes.append(np.array([-1, 1]))
            made += len(others)
            if made >= most:
                break
    if atoms:
        _record(cert, atoms, changes)
    return np.sort(pending[[int(t) not in cert.certs for t in pending]]) if len(pending) \
        else pending
