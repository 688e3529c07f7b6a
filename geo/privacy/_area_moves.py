"""Ready moves for hidden counts of the whole area: an hour of the week grid, alone or split
by calendar part or category class.

:func:`geo.privacy._bulk_moves.settle_area_targets` first tries one incident moved to another
hour of the same week part where the labels already allow it. The moves here are for the
targets it leaves, tried before any search (a search over the area atoms finds a move of
hundreds of atoms, at a tenth of a second each):

- :func:`area_swaps`: for a target split by calendar part or category (the week grid's hour
  before the change date, say), two incidents of two hours exchange their calendar part or
  category: every published count over the whole period and over all categories stays;
- :func:`area_enabling`: one incident moved to the same clock hour of another day of the same
  week part, with the shown counts it changes (that other hour of the grid) to be hidden,
  cheapest first. The certifier checks every move against every published row.
"""

from __future__ import annotations

import numpy as np

from geo.privacy._certify import COST, _column_change
from geo.privacy.release import SHOWN

__all__ = ["area_enabling", "area_swaps"]


def _area_view(cert, t: int):
    """The area atoms as (hour part, category, calendar part), the target's atoms among
    them (a mask of the same shape) and the layout."""
    m = cert.model
    lay = m.layout
    shape = (lay.n_hparts, max(len(lay.categories), 1), lay.n_cal)
    x = m.x[lay.n_y:].reshape(shape)
    inside = np.zeros(lay.n_z, bool)
    cols = cert.target_atoms(t)
    inside[cols[cols >= lay.n_y] - lay.n_y] = True
    return x, inside.reshape(shape), lay


def _same_clock_hour(lay, h: int) -> np.ndarray:
    """Other hour parts of ``h``'s week part at the same clock hour (other days)."""
    others = np.flatnonzero((lay.part_of_hpart == lay.part_of_hpart[h])
                            & (lay.hour_of_hpart % 24 == lay.hour_of_hpart[h] % 24))
    return others[others != h]


def area_swaps(cert, t: int, *, most: int = 24):
    """Moves of four area atoms: an incident of the target's (hour h, category c, calendar
    part q) takes another (category, calendar part) s, and one of the same clock hour h2 of
    another day of the same week part takes (c, q) from s. Each hour's total, each
    category's and each calendar part's count in every band stays as it was."""
    x, inside, lay = _area_view(cert, t)
    n_cat, n_cal = x.shape[1], x.shape[2]
    made = 0
    for h, c, q in np.argwhere(inside & (x > 0)):
        free_here = ~inside[h]  # slots s of hour h outside the target
        for h2 in _same_clock_hour(lay, int(h)):
            if inside[h2, c, q]:
                continue
            usable = free_here & ~inside[h2] & (x[h2] > 0)
            usable[c, q] = False
            for c2, q2 in np.argwhere(usable)[:3]:
                yield (lay.n_y + np.array([(h * n_cat + c) * n_cal + q,
                                           (h * n_cat + c2) * n_cal + q2,
                                           (h2 * n_cat + c2) * n_cal + q2,
                                           (h2 * n_cat + c) * n_cal + q]),
                       np.array([-1, 1, -1, 1]))
                made += 1
                if made >= most:
                    return


def area_enabling(cert, t: int, *, most: int = 3):
    """The cheapest moves of one incident between the target's hour and the same clock hour
    of another day of its week part (same category and calendar part) that hiding some shown
    counts makes possible: ``(atoms, changes, rows to hide)``, cheapest first."""
    m = cert.model
    x, inside, lay = _area_view(cert, t)
    n_cat, n_cal = x.shape[1], x.shape[2]
    cert._sync_hideable()
    found = []
    for h, c, q in np.argwhere(inside):
        here = lay.n_y + (h * n_cat + c) * n_cal + q
        for h2 in _same_clock_hour(lay, int(h)):
            if inside[h2, c, q]:
                continue
            there = lay.n_y + (h2 * n_cat + c) * n_cal + q
            for src, dst in ((here, there), (there, here)):
                if m.x[src] <= 0:
                    continue
                idx, val = np.array([src, dst]), np.array([-1, 1])
                priced = _hiding(cert, idx, val)
                if priced is not None:
                    found.append((priced[0], len(found), idx, val, priced[1]))
    found.sort(key=lambda f: f[:2])
    for _, _, idx, val, hide in found[:most]:
        yield idx, val, hide


def _hiding(cert, idx: np.ndarray, val: np.ndarray) -> tuple[float, np.ndarray] | None:
    """What it costs to hide the shown counts a move changes so that it fits every label
    (as the search weighs it, :data:`geo.privacy._certify.COST`), and those counts; None
    when hiding cannot make it fit (a hidden count at its bound, one not free to hide)."""
    m = cert.model
    rows, _ = _column_change(m.A_csc, idx, val)
    hide = rows[m.label[rows] == SHOWN]
    if not cert.hideable[hide].all() or not cert.holds(idx, val, hide):
        return None
    cost = sum(COST.get(m.rows[r]["t"], 1.0) * max(int(m.true[r]), 1) + 0.01 for r in hide)
    return float(cost), hide
