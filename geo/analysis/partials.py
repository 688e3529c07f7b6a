"""The presence kernel: pings of whole units to sparse partial sums per (cell, band).

One function, :func:`presence_partials`, turns a batch of pings (sorted by unit and time) into
:class:`Partials`: presence in integer microseconds, visits and stops per (cell, band), and the
area-wide interval counts and week-hour profile. Partials of separate batches add up (``+``)
to exactly the partials of all the pings at once, in any order, so the same kernel serves one
process (:func:`geo.analysis.presence.pings_to_presence`) and a cluster
(:mod:`geo.analysis.engines`).

A batch may carry *context* pings beside the ones it owns (``owned``): the neighbours across a
month boundary that the owned pings' dwell, visits and stops depend on. Context pings shape
the owned ones' results and add nothing themselves. What each quantity needs around an owned
ping: its dwell the next ping; a visit start the ping before; a stop the three pings before its
first ping and every ping up to 16 minutes after it, plus three (a lone GPS jump is judged on
its neighbours). :data:`CONTEXT_PINGS` and :data:`CONTEXT_US` say so for dataset writers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.analysis.bands import HOURS_OF_WEEK, Band, clock_of_wall, local_wall_us, month_of_wall
from geo.analysis.cells import points_to_cells

__all__ = ["Partials", "presence_partials", "month_band", "batches_with_context",
           "add_partials", "STOP_MINUTES", "INTERVAL_EDGES_S", "CONTEXT_PINGS", "CONTEXT_US"]

STOP_MINUTES = (10.0, 16.0)
INTERVAL_EDGES_S = (10.0, 30.0, 60.0)
"""Ping intervals are counted in classes: up to 10 s, 10-30 s, 30-60 s, 60 s to the cap, over
the cap."""
CONTEXT_PINGS = 3
"""Pings of context a batch needs before its first owned ping, and beyond the window after
its last."""
CONTEXT_US = int(STOP_MINUTES[1] * 60 * 1_000_000) + 1_000_000
"""The window after a batch's last owned time whose pings it needs (a stop's longest span)."""
_M_PER_DEG_LAT = 111_132.0


def _int_zeros(n: int) -> np.ndarray:
    return np.zeros(n, np.int64)


@dataclass
class Partials:
    """Sparse presence sums of some pings: one row per (cell, band) that got any.

    ``minutes_us`` is presence in whole microseconds, so sums are exact in any order.
    """

    cell: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint64))
    band: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    minutes_us: np.ndarray = field(default_factory=lambda: _int_zeros(0))
    visits: np.ndarray = field(default_factory=lambda: _int_zeros(0))
    stops: np.ndarray = field(default_factory=lambda: _int_zeros(0))
    intervals: int = 0
    capped: int = 0
    week_us: np.ndarray = field(default_factory=lambda: _int_zeros(HOURS_OF_WEEK))
    """Presence in the area per local hour of the week (Monday 00-01 first), microseconds."""
    interval_counts: np.ndarray = field(default_factory=lambda: _int_zeros(5))
    pings: int = 0
    """Owned pings the sums are made of."""

    def __add__(self, other: Partials) -> Partials:
        cell = np.concatenate([self.cell, other.cell])
        band = np.concatenate([self.band, other.band])
        order = np.lexsort((band, cell))
        cell, band = cell[order], band[order]
        first = np.flatnonzero(np.r_[True, (cell[1:] != cell[:-1]) | (band[1:] != band[:-1])])
        if not len(cell):
            first = np.zeros(0, np.int64)

        def summed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            values = np.concatenate([a, b])[order]
            return np.add.reduceat(values, first) if len(values) else values

        return Partials(cell[first], band[first], summed(self.minutes_us, other.minutes_us),
                        summed(self.visits, other.visits), summed(self.stops, other.stops),
                        self.intervals + other.intervals, self.capped + other.capped,
                        self.week_us + other.week_us,
                        self.interval_counts + other.interval_counts,
                        self.pings + other.pings)

    def dense(self, cells: np.ndarray, n_bands: int) -> dict[str, np.ndarray]:
        """``minutes`` (float minutes), ``visits`` and ``stops`` as bands x cells arrays."""
        out = {key: np.zeros((n_bands, len(cells))) for key in ("minutes", "visits", "stops")}
        if len(self.cell):
            slot = np.searchsorted(cells, self.cell)
            out["minutes"][self.band, slot] = self.minutes_us / 60e6
            out["visits"][self.band, slot] = self.visits
            out["stops"][self.band, slot] = self.stops
        return out


def presence_partials(unit: np.ndarray, t_us: np.ndarray, lat: np.ndarray, lng: np.ndarray,
                      cells: np.ndarray, *, res: int, bands: Sequence[Band], cap_s: float,
                      step_m: float = 30.0, stop_radius_m: float = 50.0,
                      tz: str = "Europe/Belgrade", owned: np.ndarray | None = None,
                      months: tuple[int, int] | None = None,
                      cell: np.ndarray | None = None) -> Partials:
    """Presence partials of pings sorted by unit and time.

    Parameters
    ----------
    unit
        An integer per ping, equal for the pings of one unit.
    t_us
        UTC time in microseconds since the epoch.
    cells
        The study area's cells, sorted ``uint64``; pings in other cells add nothing.
    owned
        Which pings the sums are for (None: all); the others are context only.
    months
        (first month since January 1970, how many): besides the whole sums, give each of
        these local calendar months its own presence minutes, as band keys
        ``(1 + month) * len(bands) + band`` (see :func:`month_band`). A ping's dwell,
        a visit and a stop count in the month of the ping that starts them.
    cell
        The pings' cells at ``res`` when they are known already (a dataset stores them);
        None converts the positions.
    """
    n = len(t_us)
    if n == 0:
        return Partials()
    cap_us = int(round(cap_s * 1e6))
    cell = points_to_cells(lat, lng, res=res) if cell is None else cell
    idx = np.minimum(np.searchsorted(cells, cell), max(len(cells) - 1, 0))
    inside = cells[idx] == cell if len(cells) else np.zeros(n, dtype=bool)
    mine = np.ones(n, dtype=bool) if owned is None else np.asarray(owned, dtype=bool)

    same_next = unit[1:] == unit[:-1]
    gap = np.zeros(n, np.int64)
    gap[:-1] = np.where(same_next, t_us[1:] - t_us[:-1], 0)
    capped = gap > cap_us
    counted = same_next & mine[:-1]  # intervals belong to the ping that starts them
    edges_us = np.array([*np.minimum(INTERVAL_EDGES_S, cap_s), cap_s]) * 1e6
    interval_class = np.searchsorted(edges_us, gap[:-1][counted], side="left")
    dwell = np.minimum(gap, cap_us).astype(np.float64)  # whole microseconds: exact sums

    # visits: runs of one unit in one cell, broken by a gap over the cap; cells compared by
    # their ids, not clipped positions, so a ping outside the cells ends a run and the next
    # ping inside starts a new visit
    start = np.ones(n, dtype=bool)
    start[1:] = ~same_next | (cell[1:] != cell[:-1]) | capped[:-1]
    del cell
    # stops: runs of stationary steps, a lone GPS jump (one ping away, its neighbours together)
    # read at the ping before it so that it does not split the stop in two
    linked = same_next & ~capped[:-1]
    s_lat, s_lng, step = _without_jumps(lat, lng, linked, step_m)
    still = np.zeros(n, dtype=bool)  # ping i stays within step_m of ping i+1, same unit, no gap
    still[:-1] = linked & (step < step_m)
    stop_first, is_stop = _stops(still, dwell, s_lat, s_lng, stop_radius_m)
    del s_lat, s_lng

    wall = local_wall_us(pd.DatetimeIndex(t_us.astype("datetime64[us]"), tz="UTC"), tz=tz)
    hour, weekday = clock_of_wall(wall)
    month = None
    if months is not None:
        month = month_of_wall(wall) - months[0]
        month = np.where((month >= 0) & (month < months[1]), month, -1)
    del wall
    masks = [band.contains(hour, weekday) for band in bands]
    week_hour = weekday.astype(np.int64) * 24 + hour.astype(np.int64)
    del hour, weekday
    keep_all = inside & mine
    first = np.flatnonzero(start & keep_all)
    stop_at = stop_first[is_stop & keep_all[stop_first]]
    n_cells = len(cells)
    rows = {key: [] for key in ("band", "slot", "minutes_us", "visits", "stops")}
    for b, mask in enumerate(masks):
        keep = mask & keep_all
        minutes = np.bincount(idx[keep], weights=dwell[keep], minlength=n_cells)
        visits = np.bincount(idx[first[mask[first]]], minlength=n_cells)
        stops = np.bincount(idx[stop_at[mask[stop_at]]], minlength=n_cells)
        hit = np.flatnonzero((minutes > 0) | (visits > 0) | (stops > 0))
        rows["band"].append(np.full(len(hit), b, np.int16))
        rows["slot"].append(hit)
        rows["minutes_us"].append(minutes[hit].astype(np.int64))
        rows["visits"].append(visits[hit].astype(np.int64))
        rows["stops"].append(stops[hit].astype(np.int64))
        if month is not None:
            _month_rows(rows, b, len(bands), months[1], keep & (month >= 0), idx, month, dwell,
                        n_cells)
    joined = {key: np.concatenate(value) for key, value in rows.items()}
    order = np.lexsort((joined["band"], joined["slot"]))
    week = np.bincount(week_hour[keep_all], weights=dwell[keep_all], minlength=HOURS_OF_WEEK)
    return Partials(cells[joined["slot"][order]], joined["band"][order],
                    joined["minutes_us"][order], joined["visits"][order],
                    joined["stops"][order], intervals=int(counted.sum()),
                    capped=int((capped[:-1] & counted).sum()),
                    week_us=week.astype(np.int64),
                    interval_counts=np.bincount(interval_class, minlength=5).astype(np.int64),
                    pings=int(mine.sum()))


def add_partials(parts: Iterable[Partials]) -> Partials:
    """The sum of partials (empty partials for none)."""
    total = Partials()
    for part in parts:
        total = total + part
    return total


def batches_with_context(unit: np.ndarray, t_us: np.ndarray, size: int
                         ) -> list[tuple[int, int, int, int]]:
    """Cut pings sorted by unit and time into batches of about ``size`` owned pings, a unit
    cut anywhere: ``(lo, hi, own_lo, own_hi)`` per batch, the pings ``lo:hi`` to give the
    kernel and, of them, ``own_lo:own_hi`` the ones it owns.

    Each batch carries the context its owned pings need (:data:`CONTEXT_PINGS` pings of the
    same unit before them; after them, the same unit's pings up to :data:`CONTEXT_US` past
    the first ping it does not own, plus :data:`CONTEXT_PINGS`), so the batches' partials add
    up to the partials of all the pings at once.

    >>> batches_with_context(np.array([0, 0, 0, 0, 1, 1]), np.arange(6) * 10**9, 3)
    [(0, 4, 0, 3), (0, 6, 3, 6)]
    """
    n = len(t_us)
    if n == 0:
        return []
    cuts = np.linspace(0, n, -(-n // max(size, 1)) + 1).round().astype(np.int64)
    starts = np.flatnonzero(np.r_[True, unit[1:] != unit[:-1]])
    ends = np.r_[starts[1:], n]
    out = []
    for own_lo, own_hi in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        run = np.searchsorted(starts, own_lo, side="right") - 1  # the unit of the first ping
        lo = max(own_lo - CONTEXT_PINGS, int(starts[run]))
        hi = own_hi
        if own_hi < n and own_hi < ends[np.searchsorted(starts, own_hi - 1, side="right") - 1]:
            end = int(ends[np.searchsorted(starts, own_hi, side="right") - 1])
            window = own_hi + int(np.searchsorted(t_us[own_hi:end], t_us[own_hi] + CONTEXT_US,
                                                  side="left"))
            hi = min(window + CONTEXT_PINGS, end)
        out.append((lo, hi, own_lo, own_hi))
    return out


def month_band(month: int, band: int, n_bands: int) -> int:
    """The band key of one month's sums in :class:`Partials` (whole sums use ``band``)."""
    return (1 + month) * n_bands + band


def _month_rows(rows: dict, band: int, n_bands: int, n_months: int, keep: np.ndarray,
                idx: np.ndarray, month: np.ndarray, dwell: np.ndarray, n_cells: int) -> None:
    """Append one band's presence minutes per (cell, month) to ``rows``."""
    key = month[keep] * n_cells + idx[keep]
    minutes = np.bincount(key, weights=dwell[keep], minlength=n_months * n_cells)
    hit = np.flatnonzero(minutes > 0)
    rows["band"].append((month_band(0, band, n_bands) + n_bands * (hit // n_cells))
                        .astype(np.int16))
    rows["slot"].append(hit % n_cells)
    rows["minutes_us"].append(minutes[hit].astype(np.int64))
    rows["visits"].append(np.zeros(len(hit), np.int64))
    rows["stops"].append(np.zeros(len(hit), np.int64))


def _metres(lat1, lng1, lat2, lng2) -> np.ndarray:
    """Equirectangular distance in metres; exact enough over a few hundred metres."""
    dy = (lat2 - lat1) * _M_PER_DEG_LAT
    dx = (lng2 - lng1) * _M_PER_DEG_LAT * np.cos(np.radians((lat1 + lat2) / 2))
    return np.hypot(dx, dy)


def _without_jumps(lat, lng, linked: np.ndarray, step_m: float):
    """Positions with each lone jump replaced by the ping before it, and the distance of
    each step between them (ping i to i + 1).

    Ping i is a jump when it is linked to both neighbours (same unit, no gap), lies a step or
    more from each, and they lie within a step of each other. Distances are taken on a plane
    through each step's own latitude, so a batch's result does not depend on which other
    pings share it.
    """
    lat, lng = lat.copy(), lng.copy()
    step = _metres(lat[:-1], lng[:-1], lat[1:], lng[1:])  # ping i to i + 1
    if len(lat) < 3:
        return lat, lng, step
    limit = step_m * step_m
    square = step ** 2
    maybe = np.flatnonzero(linked[:-1] & linked[1:] & (square[:-1] >= limit)
                           & (square[1:] >= limit))
    del square
    together = _metres(lat[maybe], lng[maybe], lat[maybe + 2], lng[maybe + 2]) ** 2 < limit
    jump = maybe[together] + 1
    lat[jump], lng[jump] = lat[jump - 1], lng[jump - 1]
    moved = np.unique(np.r_[jump - 1, jump])  # the steps into and out of a moved ping
    step[moved] = _metres(lat[moved], lng[moved], lat[moved + 1], lng[moved + 1])
    return lat, lng, step


def _stops(still: np.ndarray, dwell: np.ndarray, lat, lng, radius_m: float):
    """Runs of consecutive stationary pings: (first index, whether a stop) per run.

    A run is a maximal sequence i..j where pings i..j-1 are each within a step of the next;
    its duration is the dwell of pings i..j-1. A run is a stop when it lasts
    :data:`STOP_MINUTES` and stays within ``radius_m`` of its first ping (one that wanders
    farther is slow movement); the distances are measured for runs of a stop's length only.
    """
    n = len(still)
    if n == 0 or not still.any():
        return np.zeros(0, np.int64), np.zeros(0, dtype=bool)
    prev = np.zeros(n, dtype=bool)
    prev[1:] = still[:-1]
    run_start = still & ~prev
    first = np.flatnonzero(run_start)
    member = still | prev  # still pings, plus the ping that ends each run
    owner = np.where(member, np.cumsum(run_start) - 1, -1)
    duration = np.bincount(owner[still], weights=dwell[still], minlength=len(first))
    lasts = (duration >= STOP_MINUTES[0] * 60e6) & (duration <= STOP_MINUTES[1] * 60e6)
    ping = np.flatnonzero(member)
    ping = ping[lasts[owner[ping]]]  # the pings of runs that last a stop's length
    anchor = first[owner[ping]]
    far = _metres(lat[anchor], lng[anchor], lat[ping], lng[ping])
    widest = np.zeros(len(first))
    np.maximum.at(widest, owner[ping], far)
    return first, lasts & (widest <= radius_m)
