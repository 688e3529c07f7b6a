"""Ready moves for a hidden count of one cell that no cell of its own kind can take part in.

Cells fall into *groups* by the named cell sets they lie in (cells covered by a post in each
band, the change-evaluation target, buffer and control cells, each suggested post's reach):
each set's count is published, so a one-incident move between two cells keeps every set's
count only when both cells are of one group. Where the target's own group has no other cell
with room, an incident may still leave for a cell of another group when moves between cells
of other groups make up for it in every set: with ``m(g)`` a group's row of 0/1 set
memberships (the whole area one of the sets), changes ``d(g)`` of +-1 with
``sum d(g) m(g) = 0`` leave every set's count, and the area's, as it was.
:func:`group_cycles` finds such cycles of three or four groups (the target's among them) by
looking the missing membership row up, for one slot (week part, calendar part, category class)
at a time, so every whole-area count stays too; the certifier checks each move against every
published row.
"""

from __future__ import annotations

import numpy as np

__all__ = ["group_cycles"]


def group_cycles(hoods, t: int, cells: np.ndarray, *, most: int = 8):
    """Moves of one incident of one slot along a cycle of groups: the target's cell and one
    cell of each of two or three other groups, each gaining or losing one (see the module's
    note). Yields ``(atoms, changes)``."""
    _, cell, _, x, slots, _ = hoods._slots(t, cells)
    dec, inc = hoods._room()
    contains = hoods._contains()
    hoods._membership()
    group = hoods._group
    # each group's row of memberships, with the whole area as one more set: the cycle
    # keeps the number of incidents, as every link to the area atoms needs
    sets = np.column_stack([hoods._group_sets.astype(np.int64), np.ones(len(hoods._group_sets),
                                                                         np.int64)])
    n_groups = len(sets)
    if n_groups < 3:
        return
    lookup = {row.tobytes(): g for g, row in enumerate(sets)}
    block = hoods.cert._cell_block
    own = int(group[cell])
    made = 0
    for a in slots:
        keys = contains[:, a]
        can = {-1: dec[:, keys].all(axis=1) & (x[:, a] > 0), 1: inc[:, keys].all(axis=1)}
        can[-1][cell] = can[1][cell] = False
        first = {s: _first_per_group(can[s], group, n_groups) for s in (-1, 1)}
        for mine in (-1, 1):
            if not can[mine].any() or not (dec if mine == -1 else inc)[cell, keys].all():
                continue
            if mine == -1 and x[cell, a] <= 0:
                continue
            for chain in _cycles(sets, lookup, own, mine, first):
                atoms = [cell * block + a] + [int(first[s][g]) * block + a for g, s in chain]
                changes = [mine] + [s for _, s in chain]
                yield np.array(atoms), np.array(changes)
                made += 1
                if made >= most:
                    return


def _first_per_group(ok: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """For each group, its first cell where ``ok`` holds, or -1."""
    first = np.full(n_groups, -1, np.int64)
    where = np.flatnonzero(ok)[::-1]
    first[group[where]] = where  # the last write wins: the first cell
    return first


def _cycles(sets: np.ndarray, lookup: dict, own: int, mine: int, first: dict):
    """Lists of (group, change) of two or three groups other than ``own``, each with a cell
    that can make its change, whose membership rows times their changes add up to
    ``-mine * m(own)``: the target's cell changing by ``mine`` is made up for. Shortest
    first."""
    need = -mine * sets[own]
    usable = [(g, s) for s in (-1, 1) for g in np.flatnonzero(first[s] >= 0) if g != own]

    def find(rest: np.ndarray, used: set[int]):
        """A group, not in ``used``, whose row times +1 or -1 is ``rest``."""
        for s in (1, -1):
            g = lookup.get((s * rest).tobytes())
            if g is not None and g not in used and g != own and first[s][g] >= 0:
                return int(g), s
        return None

    for g, s in usable:  # two groups besides the target's
        hit = find(need - s * sets[g], {int(g)})
        if hit is not None and (int(g), s) < hit:
            yield [(int(g), s), hit]
    for i, (g1, s1) in enumerate(usable):  # three
        for g2, s2 in usable[i + 1:]:
            if g2 == g1:
                continue
            hit = find(need - s1 * sets[g1] - s2 * sets[g2], {int(g1), int(g2)})
            if hit is not None:
                yield [(int(g1), s1), (int(g2), s2), hit]
