"""One release, alone and beside the earlier ones: which counts it may show.

:func:`protect` takes the release's definition, the rows it would publish (the *core*: map
cells, totals, categories, week grid, all protected together) and the *extras* (report figures
such as before/after or coverage sums, each shown only if it gives nothing back), the events it
is made from, and the earlier releases of the same area from the ledger. It returns a label
for every row.

What is protected (a *target*): every count of 1..k-1 that a row holds, in this release or an
earlier one, and every such count of a row *refined* to one calendar part and category class
of the joint model: two maps of January-May and January-June give June by subtraction, a map
of all categories and one of all but one give that one category, so June's and that
category's counts are targets too. An earlier release made from other data (a re-export with
records added or corrected) is not joined to this one as if the data were the same; instead
each of its shown counts that this release's data changed by 1..k-1 must not be worked out
from this release, or the change itself (a late record) would show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import itemgetter

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.privacy._area_moves import area_enabling, area_swaps
from geo.privacy._bulk_moves import settle_area_targets, settle_single_cells
from geo.privacy._certify import COST, Certifier
from geo.privacy._group_moves import group_cycles
from geo.privacy.model import Model, build_model, cell_counts, unique_rows
from geo.privacy.release import COMPLEMENT, SHOWN, SMALL, UNKNOWN, ReleaseSpec

__all__ = ["Earlier", "Protection", "protect", "refined_targets"]


@dataclass
class Earlier:
    """An earlier community release as the ledger holds it."""

    spec: ReleaseSpec
    rows: list[dict]
    labels: np.ndarray
    values: np.ndarray
    events: pd.DataFrame
    ident: int = 0
    made: str = ""


@dataclass
class Protection:
    """Labels for the release's rows, and what the protection found."""

    core: np.ndarray
    extras: list[np.ndarray]
    model: Model
    certifier: Certifier
    revised: list[int] = field(default_factory=list)
    joined: list[int] = field(default_factory=list)
    unprotected: int = 0
    hoods: object = None

    def extra(self, rows: list[dict]) -> np.ndarray:
        """Labels for more optional rows of the release, shown only if they pin nothing."""
        if not rows:
            return np.zeros(0, np.int8)
        idx = self.model.add_rows(list(rows), 0)
        self.certifier._sync_hideable()
        self.certifier.hideable[idx] = False
        cert, hoods = self.certifier, self.hoods
        cert.try_publish(idx, lambda t: hoods(t, quick=True), time_limit=1.0,
                         settle=lambda todo: settle_area_targets(
                             cert, settle_single_cells(cert, hoods, todo, hide=False)),
                         before_round=hoods.refresh)
        return self.model.label[idx].copy()


def _merge_events(spec: ReleaseSpec, events: pd.DataFrame, earlier: list[Earlier]
                  ) -> tuple[pd.DataFrame, list[int]]:
    """Events of the joint model: this release's where it has data, the ledger's elsewhere;
    and the earlier releases whose data differ from this release's on what both cover."""
    first, last = spec.first_day.toordinal(), spec.last_day.toordinal()
    cells = set(spec.cells)
    parts = [events]
    revised = []
    taken = pd.DataFrame(columns=events.columns)
    for old in sorted(earlier, key=lambda e: e.ident, reverse=True):
        ev = old.events
        inside = ev["day"].between(first, last) & ev["cell"].isin(cells)
        shared = cells & set(old.spec.cells)
        counted = set(old.spec.categories)

        def common(frame: pd.DataFrame, shared=shared, counted=counted, old=old):
            """Events both releases cover: overlapping days, shared cells, old categories."""
            return frame[frame["day"].between(*_overlap(spec, old.spec))
                         & frame["cell"].isin(shared) & frame["category"].isin(counted)]
        mine, theirs = common(events), common(ev)
        if not _same(mine, theirs):
            revised.append(old.ident)
        outside = ev[~inside]
        if len(taken):  # a newer earlier release already gave these cell-days
            key = outside["cell"] + ":" + outside["day"].astype(str)
            seen = set(taken["cell"] + ":" + taken["day"].astype(str))
            outside = outside[~key.isin(seen)]
        parts.append(outside)
        taken = pd.concat([taken, outside], ignore_index=True)
    merged = pd.concat(parts, ignore_index=True)
    return merged, revised


def _overlap(a: ReleaseSpec, b: ReleaseSpec) -> tuple[int, int]:
    return (max(a.first_day, b.first_day).toordinal(), min(a.last_day, b.last_day).toordinal())


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    cols = ["cell", "minute", "day", "category"]
    ga = a.groupby(cols)["count"].sum()
    gb = b.groupby(cols)["count"].sum()
    ga, gb = ga[ga != 0], gb[gb != 0]
    return ga.sort_index().equals(gb.sort_index()) if len(ga) == len(gb) else False


def refined_targets(model: Model, rows: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Each row split by calendar part and category class, where it spans more than one."""
    lay = model.layout
    sub = model.A[rows].tocoo()
    col = sub.col
    is_y = col < lay.n_y
    q = np.where(is_y, (col // lay.n_filters) % lay.n_cal, (col - lay.n_y) % lay.n_cal)
    g = ((col - lay.n_y) // lay.n_cal) % max(len(lay.categories), 1)
    f = np.where(is_y, col % lay.n_filters, lay.filter_of_category[g] if len(lay.categories)
                 else 0)
    cls = q * lay.n_filters + f
    key = sub.row.astype(np.int64) * (lay.n_cal * lay.n_filters) + cls
    uniq, inverse = np.unique(key, return_inverse=True)
    per_row = np.bincount(uniq // (lay.n_cal * lay.n_filters), minlength=len(rows))
    keep_class = per_row[uniq // (lay.n_cal * lay.n_filters)] > 1
    if not keep_class.any():
        return sp.csr_matrix((0, lay.n)), np.zeros(0, np.int64)
    new_id = np.cumsum(keep_class) - 1
    pick = keep_class[inverse]
    matrix = sp.csr_matrix((np.ones(int(pick.sum()), np.int8),
                            (new_id[inverse[pick]], col[pick])),
                           shape=(int(keep_class.sum()), lay.n))
    parents = rows[uniq[keep_class] // (lay.n_cal * lay.n_filters)]
    return matrix, parents


class _Neighbourhoods:
    """Which atoms a certificate for a target may move, smallest set first."""

    def __init__(self, cert: Certifier, current: int) -> None:
        self.cert = cert
        self.model = cert.model
        self.current = current
        m = self.model
        self.cell_rows, counts, self.cell_of_row = cell_counts(m.rows, m.layout.cell_of())
        # what a cell count counts, whichever its cell: release, band and calendar part
        key_of = list(zip(m.rel[self.cell_rows].tolist(), map(itemgetter("band"), counts),
                          [r.get("part") or "" for r in counts], strict=True))
        self.col_of = {key: j for j, key in enumerate(sorted(set(key_of)))}
        self.col_of_row = np.array([self.col_of[key] for key in key_of], np.int64)
        self.n_keys = len(self.col_of)
        self._areas_seen = -1
        self._contains_cache = None
        self._values_cache = None
        self._build_label_caches()

    def refresh(self) -> None:
        """Bring every lazily kept array up to date with the model, so that searches running
        side by side (see :meth:`Certifier.certify_many`) only read them."""
        self._sync()
        self._membership()
        self._contains()
        self._values()
        self.cert._sync_hideable()

    def _build_label_caches(self) -> None:
        """Cells x (release, band, part) arrays read from the labels of the cell counts: which
        are hidden, which have room to move (:meth:`_room`) and what hiding one costs
        (:meth:`_hiding_cost`). Built once; :meth:`_sync` keeps them up to date."""
        m = self.model
        shape = (len(m.layout.cells), self.n_keys)
        self._hidden_cache = np.zeros(shape)
        self._dec_ok, self._inc_ok = np.ones(shape, bool), np.ones(shape, bool)
        self._dec_cost, self._inc_cost = np.zeros(shape), np.zeros(shape)
        self._row_at = np.full(shape, -1, np.int64)
        self._row_at[self.cell_of_row, self.col_of_row] = self.cell_rows
        self._seen = m.label[self.cell_rows].copy()
        self._update(np.arange(len(self.cell_rows)))

    def _sync(self) -> None:
        """Bring the label caches up to date with the model's labels, touching only the
        counts whose label changed since the last look (a hidden count, or one shown again
        when a move or an optional figure is taken back)."""
        now = self.model.label[self.cell_rows]
        changed = np.flatnonzero(now != self._seen)
        if len(changed):
            self._seen[changed] = now[changed]
            self._update(changed)

    def _update(self, at: np.ndarray) -> None:
        """Recompute the label caches for the cell counts ``at`` (positions in
        ``cell_rows``): a "fewer than k" count may go down to 0 and up to k-1, a "not shown"
        one down to k, a shown one not at all; hiding a shown count that is free to hide
        costs its value (as the search weighs it, :data:`geo.privacy._certify.COST`) and
        gives it room unless it sits at a bound of its new label."""
        m = self.model
        rows = self.cell_rows[at]
        label, true, k = m.label[rows], m.true[rows], m.k[rows]
        cell, col = self.cell_of_row[at], self.col_of_row[at]
        self._hidden_cache[cell, col] = label != SHOWN
        dec = ((label == SMALL) & (true >= 1)) | ((label == COMPLEMENT) & (true >= k + 1)) \
            | (label == UNKNOWN)
        inc = ((label == SMALL) & (true <= k - 2)) | (label == COMPLEMENT) | (label == UNKNOWN)
        self._dec_ok[cell, col], self._inc_ok[cell, col] = dec, inc
        self.cert._sync_hideable()
        free = (label == SHOWN) & self.cert.hideable[rows]
        price = COST["cell"] * np.maximum(true, 1) + 0.01
        self._dec_cost[cell, col] = np.where(dec, 0.0, np.where(free & (true >= k + 1), price,
                                                                np.inf))
        self._inc_cost[cell, col] = np.where(inc, 0.0, np.where(
            free & ((true == 0) | (true >= k)), price, np.inf))

    def _membership(self) -> np.ndarray:
        """Cells x named cell sets of the current release: which set each cell is in."""
        spec = self.model.specs[self.current]
        if self._areas_seen != len(spec.areas):
            index = self.model.layout.cell_of()
            member = np.zeros((len(self.model.layout.cells), max(len(spec.areas), 1)), bool)
            for j, cells in enumerate(spec.areas.values()):
                member[[index[c] for c in cells], j] = True
            self._member, self._areas_seen = member, len(spec.areas)
            sets, self._group = unique_rows(member)
            self._group_sets = sets.astype(np.int8)  # groups x named cell sets
            self._members = {}
        return self._member

    def _hidden(self) -> np.ndarray:
        """Cells x (release, band, part): 1 where that cell count is not shown."""
        self._sync()
        return self._hidden_cache

    def _values(self) -> np.ndarray:
        if self._values_cache is None:
            m = self.model
            values = np.zeros((len(m.layout.cells), self.n_keys))
            values[self.cell_of_row, self.col_of_row] = m.true[self.cell_rows]
            self._values_cache = values
        return self._values_cache

    def partners(self, cells: np.ndarray, band_cols: np.ndarray) -> np.ndarray:
        """Other cells ranked by how much hidden structure they share with ``cells``."""
        hidden = self._hidden()
        values = self._values()
        common = hidden @ hidden[cells].sum(axis=0)
        in_band = hidden[:, band_cols].sum(axis=1) if len(band_cols) else 0
        cheap = -values[:, band_cols].sum(axis=1) / 1e6 if len(band_cols) else 0
        member = self._membership()
        alike = (member == member[cells[0]]).sum(axis=1) if len(cells) else 0
        score = alike * 100 + common * 10 + in_band * 5 + cheap
        score[cells] = -np.inf
        order = np.argsort(-score, kind="stable")
        return order[: len(order) - len(cells)]

    def _room(self) -> tuple[np.ndarray, np.ndarray]:
        """Cells x (release, band, part): whether that cell count may go one down (``dec``)
        or one up (``inc``) and keep its label: a "fewer than k" count stays within 0..k-1,
        a "not shown" one at k or more, a shown one not at all. A cell with no such count (a
        release without the cell) is free."""
        self._sync()
        return self._dec_ok, self._inc_ok

    def _contains(self) -> np.ndarray:
        """(release, band) x atom of a cell: which atoms each cell count adds up (the same
        for every cell)."""
        if self._contains_cache is None:
            m = self.model
            block = self.cert._cell_block
            contains = np.zeros((self.n_keys, block), bool)
            for j in range(self.n_keys):
                row = self.cell_rows[np.flatnonzero(self.col_of_row == j)[0]]
                cols = m.A.indices[m.A.indptr[row]:m.A.indptr[row + 1]]
                cols = cols[cols < m.layout.n_y]
                contains[j, cols % block] = True
            self._contains_cache = contains
        return self._contains_cache

    def _slots(self, t: int, cells: np.ndarray):
        """For a target of one cell: the cell block size, the cell, the cells a move may
        pair it with (same named cell sets), the atoms by cell and slot, the target's
        slots and a mask of them."""
        m = self.model
        block = self.cert._cell_block
        cell = int(cells[0])
        others = self._partner_pool(cell)
        x = m.x[: m.layout.n_y].reshape(len(m.layout.cells), block)
        cols = self.cert.target_atoms(t)
        slots = cols[cols < m.layout.n_y] - cell * block
        in_target = np.zeros(block, bool)
        in_target[slots] = True
        return block, cell, others, x, slots, in_target

    def _partner_pool(self, cell: int, size: int = 256) -> np.ndarray:
        """Cells a one-incident move may pair with ``cell``: those in the same named cell
        sets, at most ``size`` of them spread evenly over the group (the same for the same
        cell every run), so a move is looked for in time independent of the area's size."""
        self._membership()
        g = int(self._group[cell])
        if g not in self._members:
            self._members[g] = np.flatnonzero(self._group == g)
        members = self._members[g]
        if len(members) > size + 1:
            start = int(np.searchsorted(members, cell))
            members = members[(start + 1 + np.arange(size) * (len(members) // size))
                              % len(members)]
        return members[members != cell]

    def swaps(self, t: int, cells: np.ndarray, *, per_move: int = 3, most: int = 40):
        """Ready moves for a count of one cell, a few atoms each, tried before any search.

        With *slot* an atom's place in its cell (week part, calendar part, category class):

        - a *transfer* moves one incident of a slot from this cell to another cell, or back;
        - a *rotation* moves one incident from slot a to slot b in this cell and one from b
          to a in another cell.

        Both leave every whole-area count (totals, categories, week grid) as it was, and
        the other cell lies in the same named cell sets, so area counts stay too. Partners
        are picked where every cell count the move changes has room to change (see
        :meth:`_room`); the certifier checks each move against every published row."""
        block, cell, pool, x, slots, in_target = self._slots(t, cells)
        dec, inc = self._room()
        contains = self._contains()
        p_dec, p_inc, p_x = dec[pool], inc[pool], x[pool]
        made = 0

        def pick(mask):
            return pool[np.flatnonzero(mask)[:per_move]]

        for a in slots:
            keys = contains[:, a]
            if x[cell, a] > 0 and dec[cell, keys].all():
                for c2 in pick(p_inc[:, keys].all(axis=1)):
                    yield np.array([cell * block + a, c2 * block + a]), np.array([-1, 1])
                    made += 1
            if inc[cell, keys].all():
                for c2 in pick(p_dec[:, keys].all(axis=1) & (p_x[:, a] > 0)):
                    yield np.array([c2 * block + a, cell * block + a]), np.array([-1, 1])
                    made += 1
            if made >= most:
                return
        for move, _ in self._calendar_moves(cell, slots, in_target, dec, inc):
            yield move
            made += 1
            if made >= most:
                return
        for a in slots[x[cell, slots] > 0]:
            for b in self._other_slots(a, in_target):
                only_a = contains[:, a] & ~contains[:, b]
                only_b = contains[:, b] & ~contains[:, a]
                if not (dec[cell, only_a].all() and inc[cell, only_b].all()):
                    continue
                fits = (p_inc[:, only_a].all(axis=1) & p_dec[:, only_b].all(axis=1)
                        & (p_x[:, b] > 0))
                for c2 in pick(fits):
                    yield (np.array([cell * block + a, cell * block + b, c2 * block + b,
                                     c2 * block + a]), np.array([-1, 1, -1, 1]))
                    made += 1
                if made >= most:
                    return

    def _other_slots(self, a: int, in_target: np.ndarray) -> np.ndarray:
        """Slots of a cell outside the target for a rotation with slot ``a``: those of
        ``a``'s calendar part first (a rotation across calendar parts changes both cells'
        counts of each part, such as a month's, which are mostly shown)."""
        lay = self.model.layout
        others = np.flatnonzero(~in_target)
        cal = (others // lay.n_filters) % lay.n_cal
        return others[np.argsort(cal != (a // lay.n_filters) % lay.n_cal, kind="stable")]

    def _windows_of_cal(self) -> np.ndarray:
        """Calendar parts x (each release's period and its windows other than months): which
        each part lies in. A move between two parts alike in all of them leaves every count
        over a period, a before/after window or a WDD window as it was."""
        if getattr(self, "_cal_windows", None) is None:
            lay = self.model.layout
            columns = []
            for spec in self.model.specs:
                spans = [(spec.first_day, spec.last_day)] + [
                    w for name, w in spec.windows.items() if not name.startswith("m")]
                for first, last in spans:
                    inside = np.zeros(lay.n_cal, bool)
                    inside[lay.cal_parts(first, last)] = True
                    columns.append(inside)
            self._cal_windows = np.column_stack(columns) if columns else \
                np.zeros((lay.n_cal, 0), bool)
        return self._cal_windows

    def _calendar_moves(self, cell: int, slots: np.ndarray, in_target: np.ndarray,
                        dec: np.ndarray, inc: np.ndarray, most: int = 6):
        """Moves of one incident of ``cell`` from a calendar part of the target to another
        calendar part, same week part and category class (a month to a nearby month), with
        one incident of the whole area moved between the same calendar parts to match.

        Cell counts over the whole period, and whole-area counts over it, stay as they
        were; only the cell's counts that hold one of the two calendar parts change. ``dec``
        and ``inc`` say where a count may go down or up (for :meth:`swaps`: room; for
        :meth:`enabling`: what hiding costs). Yields ``((atoms, changes), (only_a,
        only_b))``, nearest calendar parts first."""
        m = self.model
        lay = m.layout
        n_cal, n_f = lay.n_cal, lay.n_filters
        if n_cal < 2:
            return
        block = self.cert._cell_block
        contains = self._contains()
        x = m.x[: lay.n_y].reshape(len(lay.cells), block)
        area = m.x[lay.n_y:].reshape(lay.n_hparts, len(lay.categories), n_cal)
        windows = self._windows_of_cal()
        made = 0
        for a in slots[x[cell, slots] > 0]:
            part, rest = divmod(int(a), n_cal * n_f)
            cal_a, filt = divmod(rest, n_f)
            hours = np.flatnonzero(lay.part_of_hpart == part)
            cats = np.flatnonzero(lay.filter_of_category == filt)
            there = np.argwhere(area[np.ix_(hours, cats, [cal_a])][:, :, 0] > 0)
            if not len(there):
                continue
            h, c = hours[there[0, 0]], cats[there[0, 1]]
            alike = np.flatnonzero((windows == windows[cal_a]).all(axis=1))
            for cal_b in sorted(alike, key=lambda q: abs(q - cal_a)):
                b = (part * n_cal + cal_b) * n_f + filt
                if cal_b == cal_a or in_target[b]:
                    continue
                only_a = contains[:, a] & ~contains[:, b]
                only_b = contains[:, b] & ~contains[:, a]
                down, up = dec[cell, only_a], inc[cell, only_b]
                usable = (down.all() and up.all() if dec.dtype == bool
                          else np.isfinite(down).all() and np.isfinite(up).all())
                if not usable:
                    continue
                atoms = np.array([cell * block + a, cell * block + b,
                                  lay.z_index(h, c, cal_a), lay.z_index(h, c, cal_b)])
                yield (atoms, np.array([-1, 1, -1, 1])), (only_a, only_b)
                made += 1
                if made >= most:
                    return

    def _hiding_cost(self) -> tuple[np.ndarray, np.ndarray]:
        """Cells x (release, band, part): what it costs to give that cell count room to go
        one down (``dec``) or one up (``inc``) by hiding it: 0 where it has room, the count
        (as the search weighs it, :data:`geo.privacy._certify.COST`) where hiding a shown
        count gives room, infinite where nothing does (a count of this release already
        hidden at its bound, or a count of an earlier release)."""
        self._sync()
        return self._dec_cost, self._inc_cost

    def enabling(self, t: int, cells: np.ndarray):
        """The cheapest transfer or rotation (see :meth:`swaps`) for a count of one cell that
        hiding some shown cell counts makes possible: ``(atoms, changes, rows to hide)``,
        or None. The certifier hides the rows, checks the move and takes it back if it fails."""
        block, cell, pool, x, slots, in_target = self._slots(t, cells)
        dec, inc = self._hiding_cost()
        contains = self._contains()
        p_dec, p_inc, p_x = dec[pool], inc[pool], x[pool]
        best = (np.inf, None)

        def consider(own: float, cost: np.ndarray, usable: np.ndarray, make) -> None:
            nonlocal best
            if not len(pool):
                return
            cost = np.where(usable, cost, np.inf)
            j = int(np.argmin(cost))
            if own + cost[j] < best[0]:
                best = (own + cost[j], make(int(pool[j])))

        for a in slots:
            keys = contains[:, a]
            if x[cell, a] > 0:
                consider(dec[cell, keys].sum(), p_inc[:, keys].sum(axis=1), True,
                         lambda c2, a=a, keys=keys: (np.array([cell * block + a, c2 * block + a]),
                                                     np.array([-1, 1]), [(cell, keys, "dec"),
                                                                         (c2, keys, "inc")]))
            consider(inc[cell, keys].sum(), p_dec[:, keys].sum(axis=1), p_x[:, a] > 0,
                     lambda c2, a=a, keys=keys: (np.array([c2 * block + a, cell * block + a]),
                                                 np.array([-1, 1]), [(cell, keys, "inc"),
                                                                     (c2, keys, "dec")]))
        for a in slots[x[cell, slots] > 0]:
            for b in self._other_slots(a, in_target):
                only_a = contains[:, a] & ~contains[:, b]
                only_b = contains[:, b] & ~contains[:, a]
                own = dec[cell, only_a].sum() + inc[cell, only_b].sum()
                if not np.isfinite(own):
                    continue
                consider(own, p_inc[:, only_a].sum(axis=1) + p_dec[:, only_b].sum(axis=1),
                         p_x[:, b] > 0,
                         lambda c2, a=a, b=b, only_a=only_a, only_b=only_b: (
                             np.array([cell * block + a, cell * block + b, c2 * block + b,
                                       c2 * block + a]), np.array([-1, 1, -1, 1]),
                             [(cell, only_a, "dec"), (cell, only_b, "inc"),
                              (c2, only_a, "inc"), (c2, only_b, "dec")]))
        for (atoms, changes), (only_a, only_b) in self._calendar_moves(
                cell, slots, in_target, dec, inc):
            own = dec[cell, only_a].sum() + inc[cell, only_b].sum()
            if own < best[0]:
                best = (own, (atoms, changes, [(cell, only_a, "dec"), (cell, only_b, "inc")]))
        if best[1] is None or not np.isfinite(best[0]):
            return None
        idx, val, needs = best[1]
        hide = []
        for c, keys, way in needs:
            cost = (dec if way == "dec" else inc)[c]
            for j in np.flatnonzero(keys & (cost > 0)):
                hide.append(int(self._row_at[c, j]))
        return idx, val, np.unique(np.array(hide, np.int64))

    def __call__(self, t: int, *, full: bool = True, quick: bool = False,
                 hide: bool = False):
        """Neighbourhoods for target ``t``, smallest first; ``quick``: only small ones (an
        optional figure is left out rather than searched for long)."""
        cert, m = self.cert, self.model
        lay = m.layout
        cells = cert.target_cells(t)
        z = cert.target_z(t)
        if len(cells) == 1 and not len(z):
            yield from self.swaps(t, cells)
            yield from group_cycles(self, t, cells)
            if hide:
                found = self.enabling(t, cells)
                if found is not None:
                    yield found
        if len(z) and not len(cells):
            yield from area_swaps(cert, t)
            if hide:
                yield from area_enabling(cert, t)
        parent = m.rows[int(cert.target_row[t])] if cert.target_row[t] >= 0 else {}
        band_cols = np.array([j for (_, band, _), j in self.col_of.items()
                              if band == parent.get("band")], np.int64)
        all_z = np.arange(lay.n_y, lay.n)
        if len(cells):
            ranked = self.partners(cells, band_cols)
            member = self._membership()
            alike = np.flatnonzero((member == member[cells[0]]).all(axis=1))
            for size in (2, 6, 16):
                yield cert.cell_atoms(np.r_[cells, ranked[:size]]) if not len(z) else \
                    np.r_[cert.cell_atoms(np.r_[cells, ranked[:size]]), all_z]
            if 16 < len(alike) <= 60:
                yield cert.cell_atoms(np.union1d(cells, alike))
        if quick:
            if len(z):
                yield next(self._area(z))
            elif lay.n_y <= 20_000:
                yield np.arange(lay.n_y)  # every cell atom (the area atoms stay)
            return
        if len(z):
            yield from self._area(z)
            if not len(cells):
                ranked = self.partners(np.zeros(0, np.int64), band_cols)
                for size in (4, 16):
                    yield np.r_[cert.cell_atoms(ranked[:size]), all_z]
        if full and len(cells) and not len(z) and lay.n_y <= 40_000:
            yield np.arange(lay.n_y)  # every cell atom (the area atoms stay)
        if full and lay.n <= 40_000:
            yield np.arange(lay.n)

    def _area(self, z: np.ndarray):
        """Slices of the area atoms: the target's categories and hours, then all."""
        lay = self.model.layout
        n_cat = len(lay.categories)
        rel = z - lay.n_y
        cats = np.unique((rel // lay.n_cal) % n_cat)
        hparts = np.unique(rel // (lay.n_cal * n_cat))
        same_part = np.flatnonzero(np.isin(lay.part_of_hpart, lay.part_of_hpart[hparts]))
        same_hour = np.flatnonzero(np.isin(lay.hour_of_hpart % 24,
                                           lay.hour_of_hpart[hparts] % 24))
        hs = np.union1d(same_part, same_hour)
        every_cat = np.arange(n_cat)
        yield lay.z_index(hs[:, None, None], every_cat[None, :, None],
                          np.arange(lay.n_cal)[None, None, :]).ravel()
        others = np.setdiff1d(every_cat, cats)
        yield lay.z_index(np.arange(lay.n_hparts)[:, None, None],
                          np.r_[cats, others[:3]][None, :, None],
                          np.arange(lay.n_cal)[None, None, :]).ravel()
        yield np.arange(lay.n_y, lay.n)


def _hide_around(cert: Certifier, hoods: _Neighbourhoods, t: int) -> bool:
    """The last resort for a count no search could certify: hide every shown count of this
    release that shares an incident with it, then search again. Certificates found before
    stay valid (they left those counts as they were). False when even that fails."""
    m = cert.model
    cert._sync_hideable()
    touch = np.unique(m.A_csc[:, cert.target_atoms(t)].indices)
    touch = touch[(m.label[touch] == SHOWN) & cert.hideable[touch]]
    m.label[touch] = np.where(m.true[touch] == 0, SMALL, COMPLEMENT)
    return cert.certify(t, hoods(t, hide=True), suppress=True)


def protect(spec: ReleaseSpec, core: list[dict], events: pd.DataFrame, *,
            extras: list[list[dict]] = (), earlier: list[Earlier] = (),
            progress=None) -> Protection:
    """Labels for ``core`` (suppressed jointly with everything earlier) and for each group
    of ``extras`` (all shown, or all left out)."""
    earlier = [e for e in earlier if _overlap(spec, e.spec)[0] <= _overlap(spec, e.spec)[1]]
    merged, revised = _merge_events(spec, events, list(earlier))
    specs = [spec, *(e.spec for e in earlier)]
    rows = [core, *(e.rows for e in earlier)]
    model = build_model(specs, rows, events=merged)
    n_core = len(core)
    small = (model.true[:n_core] >= 1) & (model.true[:n_core] <= spec.k - 1)
    model.label[:n_core] = np.where(small, SMALL, SHOWN)
    model.value[:n_core] = np.where(small, np.nan, model.true[:n_core])
    start = n_core
    joined = []
    revision_targets = []
    for i, old in enumerate(earlier, start=1):
        span = np.arange(start, start + len(old.rows))
        start += len(old.rows)
        if old.ident in revised:
            shown = span[old.labels == SHOWN]
            delta = model.true[shown] - old.values[old.labels == SHOWN]
            risky = (np.abs(delta) >= 1) & (np.abs(delta) <= spec.k - 1)
            revision_targets.append(shown[risky])
            continue
        joined.append(old.ident)
        model.label[span] = old.labels
        model.value[span] = old.values
        del i
    model.__post_init__()
    cert = Certifier(model)
    cert.hideable = np.zeros(len(model.rows), bool)
    cert.hideable[:n_core] = True
    published = np.flatnonzero(model.label != UNKNOWN)
    hidden_small = published[model.label[published] == SMALL]
    cert.add_targets(model.A[hidden_small], hidden_small, k=model.k[hidden_small])
    refined, parents = refined_targets(model, published)
    if len(parents):
        cert.add_targets(refined, parents, k=model.k[parents])
    for rows_r in revision_targets:
        if len(rows_r):
            cert.add_targets(model.A[rows_r], rows_r, k=model.k[rows_r],
                             risky=np.ones(len(rows_r), bool))
    hoods = _Neighbourhoods(cert, 0)
    pending = settle_area_targets(cert, settle_single_cells(cert, hoods, cert.at_risk()))
    failed = cert.certify_many(pending, lambda t: hoods(t, hide=True), suppress=True,
                               before_round=hoods.refresh, progress=progress)
    unprotected = sum(not _hide_around(cert, hoods, t) for t in failed)
    protection = Protection(core=model.label[:n_core].copy(), extras=[], model=model,
                            certifier=cert, revised=revised, joined=joined,
                            unprotected=unprotected, hoods=hoods)
    protection.extras = [protection.extra(group) for group in extras]
    return protection


def comp_share(labels: np.ndarray) -> float:
    """Share of rows hidden to protect others."""
    return float((labels == COMPLEMENT).mean()) if len(labels) else 0.0
