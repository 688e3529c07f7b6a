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

import numpy as np
import pandas as pd
import scipy.sparse as sp

from geo.privacy._certify import Certifier
from geo.privacy.model import Model, build_model
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
        self.certifier.try_publish(idx, lambda t: self.hoods(t, quick=True), time_limit=1.0)
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
        self.cell_rows = np.array([i for i, r in enumerate(m.rows) if r["t"] == "cell"],
                                  np.int64)
        index = m.layout.cell_of()
        self.cell_of_row = np.array([index[m.rows[i]["cell"]] for i in self.cell_rows],
                                    np.int64)
        keys = sorted({(m.rows[i]["rel"], m.rows[i]["band"]) for i in self.cell_rows})
        self.col_of = {key: j for j, key in enumerate(keys)}
        self.col_of_row = np.array([self.col_of[(m.rows[i]["rel"], m.rows[i]["band"])]
                                    for i in self.cell_rows], np.int64)
        self.n_keys = len(keys)
        self._areas_seen = -1

    def _membership(self) -> np.ndarray:
        """Cells x named cell sets of the current release: which set each cell is in."""
        spec = self.model.specs[self.current]
        if self._areas_seen != len(spec.areas):
            index = self.model.layout.cell_of()
            member = np.zeros((len(self.model.layout.cells), max(len(spec.areas), 1)), bool)
            for j, cells in enumerate(spec.areas.values()):
                member[[index[c] for c in cells], j] = True
            self._member, self._areas_seen = member, len(spec.areas)
        return self._member

    def _hidden(self) -> np.ndarray:
        m = self.model
        hidden = np.zeros((len(m.layout.cells), self.n_keys))
        mask = m.label[self.cell_rows] != SHOWN
        hidden[self.cell_of_row[mask], self.col_of_row[mask]] = 1
        return hidden

    def _values(self) -> np.ndarray:
        m = self.model
        values = np.zeros((len(m.layout.cells), self.n_keys))
        values[self.cell_of_row, self.col_of_row] = m.true[self.cell_rows]
        return values

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

    def swaps(self, t: int, cells: np.ndarray):
        """Ready moves for a count of one cell: one incident to another calendar part or
        category class, and one back in a cell that lies in the same named cell sets."""
        cert, m = self.cert, self.model
        lay = m.layout
        member = self._membership()
        same = np.flatnonzero((member == member[cells[0]]).all(axis=1))
        same = same[same != cells[0]]
        cols = cert.targets[t].indices
        block = lay.n_cal * lay.n_filters
        x = m.x
        for col in cols[x[cols] > 0][:6]:
            cell, rest = divmod(int(col), lay.n_parts * block)
            part, cls = divmod(rest, block)
            for other_cls in range(block):
                if other_cls == cls:
                    continue
                mine_to = lay.y_index(cell, part, *divmod(other_cls, lay.n_filters))
                partners = same[x[lay.y_index(same, part, *divmod(other_cls, lay.n_filters))]
                                > 0][:4]
                for c2 in partners:
                    theirs_from = lay.y_index(c2, part, *divmod(other_cls, lay.n_filters))
                    theirs_to = lay.y_index(c2, part, *divmod(cls, lay.n_filters))
                    yield (np.array([col, mine_to, theirs_from, theirs_to]),
                           np.array([-1, 1, -1, 1]))

    def __call__(self, t: int, *, full: bool = True, quick: bool = False):
        """Neighbourhoods for target ``t``, smallest first; ``quick``: only small ones (an
        optional figure is left out rather than searched for long)."""
        cert, m = self.cert, self.model
        lay = m.layout
        cells = cert.target_cells(t)
        z = cert.target_z(t)
        if len(cells) == 1 and not len(z) and lay.n_cal * lay.n_filters > 1:
            yield from self.swaps(t, cells)
        parent = m.rows[int(cert.target_row[t])] if cert.target_row[t] >= 0 else {}
        band_cols = np.array([j for (rel, band), j in self.col_of.items()
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
    pending = cert.at_risk()
    unprotected = 0
    for n, t in enumerate(pending):
        if progress is not None:
            progress(n, len(pending))
        if int(t) in cert.certs:
            continue
        if not cert.certify(int(t), hoods(int(t)), suppress=True):
            unprotected += 1
    protection = Protection(core=model.label[:n_core].copy(), extras=[], model=model,
                            certifier=cert, revised=revised, joined=joined,
                            unprotected=unprotected, hoods=hoods)
    protection.extras = [protection.extra(group) for group in extras]
    return protection


def comp_share(labels: np.ndarray) -> float:
    """Share of rows hidden to protect others."""
    return float((labels == COMPLEMENT).mean()) if len(labels) else 0.0
