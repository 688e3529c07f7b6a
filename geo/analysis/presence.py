"""Patrol presence per cell and time band, from GPS pings and from fixed posts.

Pings: per unit, sorted by time, each ping stands for the time until that unit's next ping,
capped at ``cap_s`` seconds, so a device gap is not counted as presence (a unit's presence never
exceeds its own wall-clock time). A *visit* is a run of consecutive pings of one unit in one
cell with no gap over the cap; a *stop* is a run of stationary pings (each step under
``step_m`` metres, all within ``stop_radius_m`` of the first) lasting 10-16 minutes, the short
unpredictable stops that Koper (1995) found deter crime well beyond the stop itself.

Posts: a fixed post *covers* the cells whose centres lie within ``reach_m`` metres (measured in
the area's UTM zone) in each band in which it is staffed on a day it is active. Its staffed
minutes count once, as presence in the post's own cell (where the officers are, as a ping
counts where the unit is), so post and patrol minutes compare like with like. Minutes are
real minutes: a night shift across the spring clock change is an hour shorter, across the
autumn one an hour longer; a shift past midnight belongs to the day it starts.

Koper, C. S. (1995). Just enough police presence: reducing crime and disorderly behavior by
optimizing patrol time in crime hot spots. Justice Quarterly 12(4), 649-672.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import h3
import numpy as np
import pandas as pd
import pyproj

from geo._arrays import in_threads, sorted_by_key_time, worker_threads
from geo.analysis.bands import DEFAULT_BANDS, HOURS_OF_WEEK, Band
from geo.analysis.cells import DEFAULT_RES, cells_to_latlng, points_to_cells
from geo.analysis.partials import (  # noqa: F401 (STOP_MINUTES is shared)
    INTERVAL_EDGES_S,
    STOP_MINUTES,
    Partials,
    add_partials,
    batches_with_context,
    presence_partials,
)

__all__ = ["Presence", "pings_to_presence", "posts_to_presence", "posts_week_hours",
           "cells_within", "partials_to_presence",
           "DEFAULT_CAP_S", "INTERVAL_EDGES_S"]

_BATCH = 1_000_000
"""Pings per batch at most when batches run side by side in threads."""
DEFAULT_CAP_S = 120.0
"""Two minutes: twice the longest normal interval of the devices in the field (10-60 s)."""


@dataclass
class Presence:
    """Patrol presence per cell (rows, ``uint64`` index) and band (columns)."""

    minutes: pd.DataFrame
    visits: pd.DataFrame
    stops: pd.DataFrame
    intervals: int = 0
    capped: int = 0
    cap_s: float = DEFAULT_CAP_S
    notes: list[str] = field(default_factory=list)
    week_minutes: np.ndarray = field(default_factory=lambda: np.zeros(HOURS_OF_WEEK))
    """Presence minutes in the whole area per local hour of the week (Monday 00-01 first)."""
    interval_counts: np.ndarray = field(default_factory=lambda: np.zeros(5, np.int64))
    """Ping intervals per class of :data:`INTERVAL_EDGES_S` (the last class: over the cap)."""
    month_minutes: np.ndarray | None = None
    """With months asked for: presence minutes as a months x bands x cells array."""

    @property
    def capped_share(self) -> float:
        """Share of ping intervals longer than the cap."""
        return self.capped / self.intervals if self.intervals else 0.0


def _empty(cells: np.ndarray, bands: Sequence[Band]) -> pd.DataFrame:
    """A zero frame of cells by bands."""
    return pd.DataFrame(0.0, index=pd.Index(cells, name="cell_id"),
                        columns=[b.name for b in bands])


def pings_to_presence(pings: pd.DataFrame, cells: np.ndarray, *, res: int = DEFAULT_RES,
                      bands: Sequence[Band] = DEFAULT_BANDS, cap_s: float = DEFAULT_CAP_S,
                      step_m: float = 30.0, stop_radius_m: float = 50.0,
                      tz: str = "Europe/Belgrade", chunk: int = 2_000_000,
                      months: tuple[int, int] | None = None) -> Presence:
    """Presence minutes, visits and 10-16 minute stops per cell and band.

    Parameters
    ----------
    pings
        Columns ``unit``, ``time`` (UTC), ``lat``, ``lng``; any order (sorted here when needed).
    cells
        The study area's cells, sorted ``uint64``; pings in other cells add nothing.
    cap_s
        Longest interval a ping may stand for, in seconds.
    chunk
        Work in batches of at most about this many pings, to bound memory; batches run
        side by side in threads (one per core), a unit cut anywhere with the context
        its pings need, so the sums are those of all the pings at once.
    months
        (first month since January 1970, how many): presence minutes per local month too
        (``month_minutes``).
    """
    if cap_s <= 0:
        msg = f"the ping interval cap must be positive, not {cap_s}"
        raise ValueError(msg)
    n = len(pings)
    total = Partials()
    if n:
        unit = pings["unit"]  # only equal codes for one unit matter: a category's will do
        unit_code = (unit.cat.codes.to_numpy().astype(np.int64)
                     if isinstance(unit.dtype, pd.CategoricalDtype)
                     else pd.factorize(unit, sort=False)[0])
        t_us = pd.DatetimeIndex(pings["time"]).as_unit("us").asi8
        lat = pings["lat"].to_numpy(dtype=float)
        lng = pings["lng"].to_numpy(dtype=float)
        if n > 1 and not sorted_by_key_time(unit_code, t_us):
            order = np.lexsort((t_us, unit_code))
            unit_code, t_us, lat, lng = unit_code[order], t_us[order], lat[order], lng[order]

        def batch(bounds: tuple[int, int, int, int]) -> Partials:
            lo, hi, own_lo, own_hi = bounds
            mine = np.zeros(hi - lo, dtype=bool)
            mine[own_lo - lo:own_hi - lo] = True
            return presence_partials(
                unit_code[lo:hi], t_us[lo:hi], lat[lo:hi], lng[lo:hi], cells, res=res,
                bands=bands, cap_s=cap_s, step_m=step_m, stop_radius_m=stop_radius_m, tz=tz,
                owned=mine, months=months)

        total = add_partials(in_threads(batch, batches_with_context(
            unit_code, t_us, _batch_size(n, chunk))))
    return partials_to_presence(total, cells, bands=bands, cap_s=cap_s,
                                n_months=months[1] if months else 0)


def partials_to_presence(total: Partials, cells: np.ndarray, *, bands: Sequence[Band],
                         cap_s: float = DEFAULT_CAP_S, n_months: int = 0) -> Presence:
    """The :class:`Presence` of summed partials, on the study area's cells (and, with
    ``n_months``, the partials' months of presence minutes)."""
    n_bands = len(bands)
    dense = total.dense(cells, n_bands * (1 + n_months))
    month_minutes = (dense["minutes"][n_bands:].reshape(n_months, n_bands, len(cells))
                     if n_months else None)
    dense = {key: value[:n_bands] for key, value in dense.items()}
    frames = {key: pd.DataFrame(value.T, index=pd.Index(cells, name="cell_id"),
                                columns=[b.name for b in bands])
              for key, value in dense.items()}
    intervals, n_capped = total.intervals, total.capped
    notes = []
    if intervals and n_capped / intervals > 0.05:
        notes.append(f"{n_capped / intervals:.0%} of ping intervals are longer than the "
                     f"{cap_s:.0f} s cap and count only {cap_s:.0f} s: presence is understated "
                     "where devices report rarely.")
    return Presence(frames["minutes"], frames["visits"], frames["stops"], intervals, n_capped,
                    cap_s, notes, total.week_us / 60e6, total.interval_counts.copy(),
                    month_minutes)


def _batch_size(n: int, chunk: int) -> int:
    """Pings per batch of :func:`pings_to_presence`: at most ``chunk`` (memory) and at most
    ``_BATCH`` (each converted to cells in one thread), in a multiple of the threads' number
    of batches of about equal size (so no thread is left idle at the end)."""
    per = min(chunk, _BATCH)
    threads = worker_threads()
    rounds = -(-n // (per * threads))
    return max(1, -(-n // (rounds * threads)))


def cells_within(cells: np.ndarray, lat: np.ndarray, lng: np.ndarray, *, reach_m: float
                 ) -> np.ndarray:
    """Whether each cell's centre lies within ``reach_m`` metres of each point (points x cells),
    measured in the cells' UTM zone."""
    from geo.inputs.area import utm_crs_for

    if len(cells) == 0 or len(lat) == 0:
        return np.zeros((len(lat), len(cells)), dtype=bool)
    c_lat, c_lng = cells_to_latlng(cells)
    crs = utm_crs_for(float(np.mean(c_lat)), float(np.mean(c_lng)))
    to_m = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    cx, cy = to_m.transform(c_lng, c_lat)
    px, py = to_m.transform(np.asarray(lng, float), np.asarray(lat, float))
    return np.hypot(cx[None, :] - np.asarray(px)[:, None],
                    cy[None, :] - np.asarray(py)[:, None]) <= reach_m


def posts_to_presence(posts: pd.DataFrame, cells: np.ndarray, *, period: tuple, reach_m=400.0,
                      bands: Sequence[Band] = DEFAULT_BANDS,
                      tz: str = "Europe/Belgrade") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staffed post minutes per cell and band, and whether each cell is covered in each band.

    Parameters
    ----------
    posts
        Columns ``lat``, ``lng``, ``start_min``, ``end_min`` (local clock minutes; end before
        start wraps past midnight), ``active_from``, ``active_to`` (dates or NaT).
    cells
        Sorted ``uint64`` cells of one resolution.
    period
        (first, last) UTC times of the analysis: its local days, whole, are counted.
    reach_m
        A post covers cells whose centres lie within this many metres.

    Returns
    -------
    minutes
        Real staffed minutes in each band, all in the post's own cell (a post outside the
        cells adds nothing).
    covered
        Cells within reach of a post staffed at some time in the band.
    """
    minutes = _empty(cells, bands)
    covered = minutes.astype(bool)
    if posts is None or len(posts) == 0 or len(cells) == 0:
        return minutes, covered
    near = cells_within(cells, posts["lat"].to_numpy(float), posts["lng"].to_numpy(float),
                        reach_m=reach_m)
    res = h3.get_resolution(format(int(cells[0]), "x"))
    own = points_to_cells(posts["lat"].to_numpy(float), posts["lng"].to_numpy(float), res=res)
    slot = np.minimum(np.searchsorted(cells, own), len(cells) - 1)
    grid = _MinuteGrid(period, tz)
    in_band = {band.name: band.contains(grid.clock / 60.0, grid.weekday) for band in bands}
    for p, post in enumerate(posts.itertuples(index=False)):
        on = grid.staffed(post)
        for band in bands:
            total = float(np.count_nonzero(on & in_band[band.name]))
            if cells[slot[p]] == own[p]:
                minutes.iloc[slot[p], minutes.columns.get_loc(band.name)] += total
            if total:
                covered.loc[near[p], band.name] = True
    return minutes, covered


class _MinuteGrid:
    """Every real minute of a period's local days, with its local clock, day and weekday."""

    def __init__(self, period: tuple, tz: str) -> None:
        first = pd.Timestamp(period[0]).tz_convert(tz).normalize()
        last = pd.Timestamp(period[1]).tz_convert(tz).normalize()
        start = first.tz_localize(None).tz_localize(tz)
        stop = (last.tz_localize(None) + pd.Timedelta(days=1)).tz_localize(tz)
        real = pd.date_range(start.tz_convert("UTC"), stop.tz_convert("UTC"), freq="min",
                             inclusive="left")
        wall = real.tz_convert(tz).tz_localize(None).to_numpy().astype("datetime64[m]")
        wall = wall.astype(np.int64)
        self.clock = (wall % 1440).astype(np.int32)  # local clock minute, 0..1439
        self.day = wall // 1440  # local calendar day, days since 1970-01-01
        self.weekday = ((self.day + 3) % 7).astype(np.int8)  # 1970-01-01 was a Thursday

    def staffed(self, post) -> np.ndarray:
        """Which minutes a post is staffed: its clock hours, on shifts of its active days (a
        shift past midnight belongs to the day it starts)."""
        start, end = int(post.start_min), int(post.end_min)
        on = _staffed_minutes(start, end)[self.clock]
        shift_day = self.day.copy()
        if start > end:  # wraps: the small hours belong to the day before
            shift_day[self.clock < end] -= 1
        epoch = np.datetime64("1970-01-01", "D")
        if pd.notna(post.active_from):
            on &= shift_day >= (np.datetime64(pd.Timestamp(post.active_from), "D") - epoch
                                ).astype(np.int64)
        if pd.notna(post.active_to):
            on &= shift_day <= (np.datetime64(pd.Timestamp(post.active_to), "D") - epoch
                                ).astype(np.int64)
        return on

    @property
    def week_hour(self) -> np.ndarray:
        """Local hour of the week of each minute (Monday 00-01 is 0)."""
        return self.weekday.astype(np.int64) * 24 + self.clock // 60


def posts_week_hours(posts: pd.DataFrame | None, *, period: tuple,
                     tz: str = "Europe/Belgrade") -> np.ndarray:
    """Staffed post hours (real hours) summed over posts, per local hour of the week.

    A post staffed 22:00-06:00 on every day of a one-week period adds 1 hour to each of the
    hours 22, 23, 0, ..., 5 of every weekday.
    """
    week = np.zeros(HOURS_OF_WEEK)
    if posts is None or not len(posts):
        return week
    grid = _MinuteGrid(period, tz)
    slots = grid.week_hour
    for post in posts.itertuples(index=False):
        week += np.bincount(slots, weights=grid.staffed(post), minlength=HOURS_OF_WEEK) / 60.0
    return week


def _staffed_minutes(start: int, end: int) -> np.ndarray:
    minute = np.arange(1440)
    if start == end or (start == 0 and end == 1440):
        return np.ones(1440, dtype=bool)
    if start < end:
        return (minute >= start) & (minute < end)
    return (minute >= start) | (minute < end)
