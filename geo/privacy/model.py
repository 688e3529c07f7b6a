"""The disclosure model: every published count as a linear sum over integer atoms.

The atoms are fine enough for every release in the model at once (the new one and the earlier
ones of the ledger). Time of week is cut into *parts*: local minutes of the week that belong
to exactly the same bands of every release, so custom and nested bands are linked without
being named. The calendar is cut at every period's ends and change date; the categories into
classes by every release's choice of categories.

Two blocks of atoms keep the model small without losing anything an attacker could use:

- *cell atoms* ``y[cell, part, calendar, filter]``: incidents of a cell in a week part,
  calendar part and category class (``filter``: which releases count the category);
- *area atoms* ``z[hour part, category, calendar]``: incidents of the whole area, per week
  part split further by clock hour (the week grid), per taxonomy category.

They are tied by *link* rows: for each (part, calendar, filter), the cells' atoms add up to
the area atoms of that part's hours and that class's categories. No published table crosses a
cell with a category or an hour, so for each link the cells on one side and the (hour,
category) pairs on the other form a transportation problem, feasible exactly when both sides
add up to the same total: the two blocks with their links allow precisely the solutions the
full cell x hour x category x calendar table allows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp

from geo.privacy.release import (
    COMPLEMENT,
    MINUTES_OF_WEEK,
    SHOWN,
    SMALL,
    UNKNOWN,
    ReleaseSpec,
    band_minutes,
)

__all__ = ["Layout", "Model", "build_layout", "build_model", "EVENT_COLUMNS"]

EVENT_COLUMNS = ("cell", "minute", "day", "category", "count")
"""Events: incidents grouped by H3 cell (hex), local minute of the week (Monday 00:00 = 0),
local day (proleptic ordinal) and taxonomy category, with their ``count``."""


def _classes(columns: np.ndarray) -> tuple[np.ndarray, int]:
    """Class index of each column of a boolean matrix (equal columns share a class)."""
    if columns.shape[0] == 0:
        return np.zeros(columns.shape[1], np.int64), 1
    _, inverse = unique_rows(columns.T)
    return inverse, int(inverse.max()) + 1


def unique_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(matrix, axis=0, return_inverse=True)`` of a boolean matrix: its distinct
    rows in lexicographic order and the index of each row among them.

    Up to 62 columns each row is read as the number its bits spell (first column highest),
    which orders the rows the same way at a fraction of the cost of sorting rows.

    >>> rows, at = unique_rows(np.array([[1, 0], [0, 1], [1, 0]], bool))
    >>> rows.astype(int).tolist(), at.tolist()
    ([[0, 1], [1, 0]], [1, 0, 1])
    """
    matrix = np.asarray(matrix, bool)
    if 0 < matrix.shape[1] < 63 and len(matrix):
        weights = np.left_shift(1, np.arange(matrix.shape[1] - 1, -1, -1, dtype=np.int64))
        _, first, inverse = np.unique(matrix.astype(np.int64) @ weights, return_index=True,
                                      return_inverse=True)
        return matrix[first], inverse.ravel()
    rows, inverse = np.unique(matrix, axis=0, return_inverse=True)
    return rows, inverse.ravel()


@dataclass
class Layout:
    """Where each atom sits in the model's variable vector."""

    cells: tuple[str, ...]
    part_of_minute: np.ndarray
    n_parts: int
    hpart_of_minute: np.ndarray
    n_hparts: int
    part_of_hpart: np.ndarray
    hour_of_hpart: np.ndarray
    breaks: np.ndarray
    categories: tuple[str, ...]
    filter_of_category: np.ndarray
    n_filters: int

    @property
    def n_cal(self) -> int:
        """Calendar parts."""
        return len(self.breaks) - 1

    @property
    def n_y(self) -> int:
        """Cell atoms."""
        return len(self.cells) * self.n_parts * self.n_cal * self.n_filters

    @property
    def n_z(self) -> int:
        """Area atoms."""
        return self.n_hparts * len(self.categories) * self.n_cal

    @property
    def n(self) -> int:
        """All atoms."""
        return self.n_y + self.n_z

    def y_index(self, cell, part, cal, filt) -> np.ndarray:
        """Flat indices of cell atoms (arguments broadcast)."""
        return ((np.asarray(cell) * self.n_parts + part) * self.n_cal + cal) * self.n_filters \
            + filt

    def z_index(self, hpart, category, cal) -> np.ndarray:
        """Flat indices of area atoms (arguments broadcast)."""
        return self.n_y + (np.asarray(hpart) * len(self.categories) + category) * self.n_cal \
            + cal

    def cal_parts(self, first: dt.date, last: dt.date) -> np.ndarray:
        """Calendar parts inside ``[first, last]`` (they tile it: the breaks include its ends)."""
        lo = np.searchsorted(self.breaks, first.toordinal())
        hi = np.searchsorted(self.breaks, last.toordinal() + 1)
        return np.arange(lo, hi)

    def cell_of(self) -> dict[str, int]:
        """Cell id -> index (made once: a layout's cells never change; read, never change
        the answer)."""
        found = self.__dict__.get("_cell_of")
        if found is None:
            found = self.__dict__["_cell_of"] = {c: i for i, c in enumerate(self.cells)}
        return found


def build_layout(specs: Sequence[ReleaseSpec], *, categories: Sequence[str] = ()) -> Layout:
    """The common refinement of every release's cells, bands, periods and categories."""
    cells = tuple(sorted({c for s in specs for c in s.cells}))
    bands = {(b.start_hour, b.end_hour, b.days): b for s in specs for b in s.bands}
    member = np.array([band_minutes(b) for b in bands.values()], bool).reshape(
        -1, MINUTES_OF_WEEK)
    part_of_minute, n_parts = _classes(member)
    hour = np.arange(MINUTES_OF_WEEK) // 60
    keyed = part_of_minute * 168 + hour
    uniq, hpart_of_minute = np.unique(keyed, return_inverse=True)
    breaks = sorted({d for s in specs for d in (s.first_day.toordinal(),
                                                  s.last_day.toordinal() + 1)}
                    | {d for s in specs for a, b in s.windows.values()
                       for d in (a.toordinal(), b.toordinal() + 1)})
    names = tuple(sorted({c for s in specs for c in s.categories} | set(categories)))
    counted = np.array([[c in set(s.categories) for c in names] for s in specs], bool)
    filter_of_category, n_filters = _classes(counted.reshape(len(specs), len(names)))
    return Layout(cells=cells, part_of_minute=part_of_minute, n_parts=n_parts,
                  hpart_of_minute=hpart_of_minute.ravel(), n_hparts=len(uniq),
                  part_of_hpart=uniq // 168, hour_of_hpart=uniq % 168,
                  breaks=np.asarray(breaks, np.int64), categories=names,
                  filter_of_category=filter_of_category, n_filters=n_filters)


@dataclass
class Model:
    """Published rows over atoms, with their labels, and the links between the two blocks.

    ``rows`` are the releases' own row dicts (read, never changed), ``rel`` the release
    (index into ``specs``) of each.
    ``x`` is the true atom vector when the model is the gate's (None for an attacker's);
    ``true`` the true value of each row (None for an attacker's); ``value`` what the attacker
    reads: the shown value, and for hidden rows nothing (NaN).
    """

    layout: Layout
    specs: list[ReleaseSpec]
    rows: list[dict]
    A: sp.csr_matrix
    L: sp.csr_matrix
    label: np.ndarray
    value: np.ndarray
    k: np.ndarray
    rel: np.ndarray
    x: np.ndarray | None = None
    true: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.A_csc = self.A.tocsc()
        self.L_csc = self.L.tocsc()

    def add_rows(self, rows: list[dict], release: int) -> np.ndarray:
        """Append rows of ``specs[release]`` (labels UNKNOWN); returns their indices."""
        start = len(self.rows)
        block = row_matrix(self.layout, self.specs[release], rows)
        self.rows.extend(rows)
        self.A = sp.vstack([self.A, block]).tocsr()
        self.A_csc = self.A.tocsc()
        n = len(rows)
        self.label = np.r_[self.label, np.full(n, UNKNOWN, np.int8)]
        self.value = np.r_[self.value, np.full(n, np.nan)]
        self.k = np.r_[self.k, np.full(n, self.specs[release].k, np.int64)]
        self.rel = np.r_[self.rel, np.full(n, release, np.int64)]
        if self.x is not None:
            self.true = np.r_[self.true, block @ self.x]
        return np.arange(start, start + n)

    def lower_upper(self) -> tuple[np.ndarray, np.ndarray]:
        """What the attacker knows of each row: [lower, upper] from its label."""
        lo = np.zeros(len(self.label))
        hi = np.full(len(self.label), np.inf)
        shown = self.label == SHOWN
        lo[shown] = hi[shown] = self.value[shown]
        small = self.label == SMALL
        lo[small], hi[small] = 0, self.k[small] - 1
        comp = self.label == COMPLEMENT
        lo[comp] = self.k[comp]
        return lo, hi


def cell_counts(rows: list[dict], index: dict[str, int]
                ) -> tuple[np.ndarray, list[dict], np.ndarray]:
    """The cell counts among ``rows``: their positions, their dicts and each one's cell
    (by ``index``, :meth:`Layout.cell_of`), read in passes over plain lists (a release has
    one per cell and band)."""
    at = np.flatnonzero(np.array(list(map(itemgetter("t"), rows)), dtype=object) == "cell")
    counts = [rows[r] for r in at.tolist()]
    cells = np.fromiter(map(index.__getitem__, map(itemgetter("cell"), counts)), np.int64,
                        len(counts))
    return at, counts, cells


def row_matrix(layout: Layout, spec: ReleaseSpec, rows: list[dict]) -> sp.csr_matrix:
    """The rows of one release as a 0/1 matrix over the layout's atoms."""
    index = layout.cell_of()
    minutes = {b.name: band_minutes(b) for b in spec.bands}
    parts = {n: np.unique(layout.part_of_minute[m]) for n, m in minutes.items()}
    hparts = {n: np.unique(layout.hpart_of_minute[m]) for n, m in minutes.items()}
    counted = [layout.categories.index(c) for c in spec.categories]
    filters = np.unique(layout.filter_of_category[counted]) if counted else np.zeros(0, int)
    cal = {p: layout.cal_parts(*spec.days(p)) for p in ("all", *spec.windows)}
    every_h = np.arange(layout.n_hparts)
    data_rows, data_cols = [], []
    # cell counts, nearly every row: the atoms of a (band, calendar part) count of cell 0,
    # shifted to each cell (a cell's atoms are one block of the layout)
    block = layout.n_parts * layout.n_cal * layout.n_filters
    at_cells, counts, cell_of = cell_counts(rows, index)
    is_cell = np.zeros(len(rows), bool)
    is_cell[at_cells] = True
    of_cells: dict[tuple[str, str], int] = {}
    code = np.fromiter((of_cells.setdefault(key, len(of_cells)) for key in
                        zip(map(itemgetter("band"), counts),
                            [row.get("part", "all") for row in counts], strict=True)),
                       np.int64, len(counts))
    for (band, part), c in of_cells.items():
        offsets = layout.y_index(0, parts[band][:, None, None], cal[part][None, :, None],
                                 filters[None, None, :]).ravel()
        mine = code == c
        data_cols.append((cell_of[mine][:, None] * block + offsets[None, :]).ravel())
        data_rows.append(np.repeat(at_cells[mine], len(offsets)))
    for r in np.flatnonzero(~is_cell).tolist():
        row = rows[r]
        t = row["t"]
        q = cal[row.get("part", "all")]
        if t == "area":
            cells = [index[c] for c in spec.areas[row["area"]]]
            cols = layout.y_index(np.asarray(cells)[:, None, None, None],
                                  parts[row["band"]][None, :, None, None],
                                  q[None, None, :, None], filters[None, None, None, :])
        else:
            if t in ("total", "period"):
                h, g = hparts[row["band"]], np.asarray(counted)
            elif t == "category":
                h = hparts[row["band"]]
                g = np.asarray([layout.categories.index(c) for c in spec.groups[row["group"]]])
            elif t == "week":
                h, g = every_h[layout.hour_of_hpart == row["hour"]], np.asarray(counted)
            elif t == "hour":
                h, g = every_h[layout.hour_of_hpart % 24 == row["hour"]], np.asarray(counted)
            else:
                msg = f"unknown row table {t!r}"
                raise ValueError(msg)
            cols = layout.z_index(h[:, None, None], g[None, :, None], q[None, None, :])
        cols = np.asarray(cols).ravel()
        data_cols.append(cols)
        data_rows.append(np.full(len(cols), r))
    rr = np.concatenate(data_rows) if data_rows else np.zeros(0, int)
    cc = np.concatenate(data_cols) if data_cols else np.zeros(0, int)
    return sp.csr_matrix((np.ones(len(rr), np.int8), (rr, cc)), shape=(len(rows), layout.n))


def link_matrix(layout: Layout) -> sp.csr_matrix:
    """One row per (part, calendar, filter): its cell atoms minus its area atoms."""
    rows, cols, vals = [], [], []
    n_cells, n_cat = len(layout.cells), len(layout.categories)
    cats_of = [np.flatnonzero(layout.filter_of_category == f) for f in range(layout.n_filters)]
    r = 0
    for j in range(layout.n_parts):
        hs = np.flatnonzero(layout.part_of_hpart == j)
        for q in range(layout.n_cal):
            for f in range(layout.n_filters):
                y = layout.y_index(np.arange(n_cells), j, q, f)
                z = layout.z_index(hs[:, None], cats_of[f][None, :], q).ravel() if n_cat else \
                    np.zeros(0, int)
                rows += [np.full(len(y) + len(z), r)]
                cols += [y, z]
                vals += [np.ones(len(y)), -np.ones(len(z))]
                r += 1
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(r, layout.n))


def _positions(values: pd.Series, keys: Sequence[str]) -> np.ndarray:
    """Where each value sits in ``keys`` (distinct strings), -1 where it is not one (Arrow's
    hash lookup: several times pandas' on the string columns the tables hold)."""
    found = pc.index_in(pa.array(values, type=pa.large_string()),
                        value_set=pa.array(list(keys), type=pa.large_string()))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def atoms_from_events(layout: Layout, events: pd.DataFrame) -> np.ndarray:
    """The true atom vector; events outside every release's cells, period or categories are
    outside the model."""
    x = np.zeros(layout.n, np.int64)
    if not len(events):
        return x
    cell = _positions(events["cell"], layout.cells)  # -1: not a cell of the model
    cat = _positions(events["category"], layout.categories)
    day = events["day"].to_numpy(np.int64)
    q = np.searchsorted(layout.breaks, day, side="right") - 1
    keep = (cell >= 0) & (cat >= 0) & (q >= 0) & (q < layout.n_cal)
    c = cell[keep].astype(np.int64)
    g = cat[keep].astype(np.int64)
    minute = events["minute"].to_numpy(np.int64)[keep]
    count = events["count"].to_numpy(np.int64)[keep]
    q = q[keep]
    y = layout.y_index(c, layout.part_of_minute[minute], q, layout.filter_of_category[g])
    z = layout.z_index(layout.hpart_of_minute[minute], g, q)
    np.add.at(x, y, count)
    np.add.at(x, z, count)
    return x


def build_model(specs: Sequence[ReleaseSpec], rows: Sequence[list[dict]], *,
                events: pd.DataFrame | None = None,
                labels: Sequence[np.ndarray] | None = None,
                values: Sequence[np.ndarray] | None = None) -> Model:
    """A model of ``specs[i]`` publishing ``rows[i]``.

    With ``events`` (the gate), true values are known and every label starts UNKNOWN; without
    them (an attacker or the audit), ``labels`` and ``values`` say what each row shows.
    """
    specs = list(specs)
    layout = build_layout(specs, categories=() if events is None else
                          sorted(pd.unique(events["category"].to_numpy(object))))
    blocks = [row_matrix(layout, s, r) for s, r in zip(specs, rows, strict=True)]
    A = sp.vstack(blocks).tocsr() if blocks else sp.csr_matrix((0, layout.n))
    flat = [row for r in rows for row in r]
    k = np.concatenate([np.full(len(r), s.k, np.int64) for s, r in zip(specs, rows,
                                                                        strict=True)])
    rel = np.repeat(np.arange(len(rows), dtype=np.int64), [len(r) for r in rows])
    x = true = None
    if events is not None:
        x = atoms_from_events(layout, events)
        true = A @ x
    if labels is None:
        label = np.full(len(flat), UNKNOWN, np.int8)
        value = np.full(len(flat), np.nan)
    else:
        label = np.concatenate(labels).astype(np.int8)
        value = np.concatenate(values).astype(float)
    return Model(layout=layout, specs=specs, rows=flat, A=A, L=link_matrix(layout),
                 label=label, value=value, k=k, rel=rel, x=x, true=true)
