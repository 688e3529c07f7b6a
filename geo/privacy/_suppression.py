"""Small-count suppression with secondary suppression over every published sum.

Method (documented for users in the README):

1. *Primary*: a count of 1..k-1 is hidden and labelled "fewer than k" (reason 1). Zero stays
   zero: an empty cell is not a person.
2. *Secondary*: published numbers are tied by sums - a band's area total is the sum of its
   cells; in a cell, ``all`` is day + evening + night and weekday + weekend; the area total of
   ``all`` is the sum of the other bands' totals and of the category totals. Each such sum is
   audited alone: the hidden members' sum is the published total minus the shown members;
   knowing that each "fewer than k" value is 1..k-1 and each other hidden value is 0 or more,
   a hidden small count must not be pinned to one value. While one is, the smallest shown
   member (a non-zero one when there is one) is hidden too, labelled "not shown" (reason 2);
   when nothing is left to hide, the total itself is withheld.
3. A hidden ``all`` in a cell hides the cell's other bands, since they would give it back.

Repeat until nothing changes. This guards each sum against subtraction; it does not solve
the joint system of all sums at once (a linear-programming attack), which is why a noise
option exists too.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SHOWN, SMALL, COMPLEMENT = 0, 1, 2


def _pinned(total: float, values: np.ndarray, reason: np.ndarray, k: int) -> bool:
    """Whether a sum pins any hidden small member to a single value."""
    hidden = reason != SHOWN
    if not (reason == SMALL).any():
        return False
    rest = total - values[~hidden].sum()
    lo = np.where(reason[hidden] == SMALL, 1.0, 0.0)
    hi = np.where(reason[hidden] == SMALL, k - 1.0, np.inf)
    sum_lo, sum_hi = lo.sum(), hi.sum()
    for i in np.flatnonzero(reason[hidden] == SMALL):
        low = max(lo[i], rest - (sum_hi - hi[i]))
        high = min(hi[i], rest - (sum_lo - lo[i]))
        if high - low < 1:
            return True
    return False


def _hide_one_more(values: np.ndarray, reason: np.ndarray) -> bool:
    shown = np.flatnonzero(reason == SHOWN)
    if not len(shown):
        return False
    positive = shown[values[shown] > 0]
    pool = positive if len(positive) else shown
    reason[pool[np.argmin(values[pool])]] = COMPLEMENT
    return True


def protect_sum(total: float | None, values: np.ndarray, reason: np.ndarray, k: int) -> str:
    """Hide members until the published ``total`` pins no small member.

    Returns ``"same"``, ``"hid"`` (members hidden) or ``"withhold"`` (the total must go).
    """
    if total is None:
        return "same"
    changed = False
    while _pinned(total, values, reason, k):
        if not _hide_one_more(values, reason):
            return "withhold"
        changed = True
    return "hid" if changed else "same"


def suppress_table(counts: dict[str, np.ndarray], k: int,
                   partitions: Sequence[Sequence[str]]) -> tuple[dict[str, np.ndarray],
                                                                 dict[str, int | None]]:
    """Reasons per band and cell (0 shown, 1 small, 2 complement) and the band totals that
    may be published (None where withheld).

    >>> reason, totals = suppress_table({"all": np.array([7, 9]), "day": np.array([5, 9]),
    ...     "evening": np.array([2, 0]), "night": np.array([0, 0])}, 5, [("day", "evening",
    ...     "night")])
    >>> reason["evening"].tolist(), reason["day"].tolist(), totals["evening"]
    ([1, 0], [2, 0], None)
    """
    reason = {b: np.where((c > 0) & (c < k), SMALL, SHOWN).astype(np.int8)
              for b, c in counts.items()}
    totals: dict[str, int | None] = {b: int(c.sum()) for b, c in counts.items()}
    totals = {b: (t if t == 0 or t >= k else None) for b, t in totals.items()}
    groups = [g for g in partitions if all(b in counts for b in g)]
    changed = True
    while changed:
        changed = False
        for band, values in counts.items():  # area total of a band minus its cells
            result = protect_sum(totals[band], values, reason[band], k)
            if result == "withhold":
                totals[band] = None
            changed |= result != "same"
        if "all" in counts:
            hidden_all = reason["all"] != SHOWN
            for band in counts:  # a hidden cell total hides the cell's bands
                spread = hidden_all & (reason[band] == SHOWN) & (band != "all")
                if spread.any():
                    reason[band][spread] = COMPLEMENT
                    changed = True
            for group in groups:  # a cell's total minus its other bands
                stack_v = np.array([counts[b] for b in group])
                stack_r = np.array([reason[b] for b in group])
                for cell in np.flatnonzero((stack_r != SHOWN).any(axis=0) & ~hidden_all):
                    r = stack_r[:, cell].copy()
                    result = protect_sum(float(counts["all"][cell]), stack_v[:, cell], r, k)
                    if result == "hid":
                        for b, value in zip(group, r, strict=True):
                            reason[b][cell] = value
                        changed = True
                    elif result == "withhold":  # nothing left to hide: hide the cell's total
                        reason["all"][cell] = COMPLEMENT
                        changed = True
                # the area totals of the group's bands add up to the area total of "all"
                values = np.array([counts[b].sum() for b in group], dtype=float)
                withheld = np.array([totals[b] is None for b in group])
                band_reason = np.where(withheld, COMPLEMENT, SHOWN).astype(np.int8)
                band_reason[(values > 0) & (values < k)] = SMALL
                if (band_reason != SHOWN).any() and totals["all"] is not None:
                    r = band_reason.copy()
                    result = protect_sum(float(totals["all"]), values, r, k)
                    if result == "withhold":
                        totals["all"] = None
                        changed = True
                    for b, value in zip(group, r, strict=True):
                        if value != SHOWN and totals[b] is not None:
                            totals[b] = None
                            changed = True
    return reason, totals


def suppress_totals(total: int | None, values: np.ndarray, k: int
                    ) -> tuple[np.ndarray, int | None]:
    """Reasons for area-level parts of a total (e.g. categories), and the total if it may stay.

    >>> suppress_totals(30, np.array([26, 3, 1]), 5)[0].tolist()
    [0, 1, 1]
    """
    reason = np.where((values > 0) & (values < k), SMALL, SHOWN).astype(np.int8)
    if protect_sum(total, values, reason, k) == "withhold":
        total = None
    return reason, total
