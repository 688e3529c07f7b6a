"""Presence from reported patrol visits (forces without GPS log where patrols reported being).

Each visit stands for its minutes in its cell, from its reported time on: the minutes fall in
the bands (and hours of the week) they span, a visit from 21:50 for 20 minutes giving 10 to
the evening and 10 to the night. A visit is one entry into its cell, counted in the band of
its start; one of 10-16 minutes whose duration the file gave is a stop in the sense of Koper
(1995), as for GPS pings in :mod:`geo.analysis.presence`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.analysis.bands import HOURS_OF_WEEK, Band, local_clock
from geo.analysis.cells import points_to_cells
from geo.analysis.presence import STOP_MINUTES

__all__ = ["ReportedPresence", "visits_to_presence", "visits_week_minutes"]


@dataclass
class ReportedPresence:
    """Reported visits per cell (rows, ``uint64`` index) and band (columns)."""

    minutes: pd.DataFrame
    visits: pd.DataFrame
    stops: pd.DataFrame
    week_minutes: np.ndarray
    """Reported minutes in the whole area per local hour of the week (Monday 00-01 first)."""
    outside: int = 0
    """Visits in cells outside the table's cells (they add nothing)."""


def visits_to_presence(visits: pd.DataFrame, cells: np.ndarray, *, res: int,
                       bands: Sequence[Band], tz: str = "Europe/Belgrade") -> ReportedPresence:
    """Minutes, visits and 10-16 minute stops per cell and band from reported visits.

    Parameters
    ----------
    visits
        Columns ``time`` (UTC), ``lat``, ``lng``, ``minutes`` and optionally ``timed`` (the
        file gave the duration), as :func:`geo.inputs.validate.check_patrol_points` accepts.
    cells
        The study area's cells, sorted ``uint64``.

    Examples
    --------
    >>> from geo.analysis.bands import DEFAULT_BANDS
    >>> cells = points_to_cells(np.array([42.8895]), np.array([20.8665]), res=9)
    >>> v = pd.DataFrame({"time": pd.to_datetime(["2025-06-02 19:50"], utc=True),
    ...                   "lat": [42.8895], "lng": [20.8665], "minutes": [20.0]})
    >>> p = visits_to_presence(v, cells, res=9, bands=DEFAULT_BANDS)
    >>> p.minutes[["all", "evening", "night"]].to_numpy().tolist()
    [[20.0, 10.0, 10.0]]
    """
    names = [b.name for b in bands]
    index = pd.Index(cells, name="cell_id")
    empty = np.zeros((len(cells), len(bands)))
    week = np.zeros(HOURS_OF_WEEK)
    if visits is None or not len(visits) or not len(cells):
        frames = [pd.DataFrame(empty.copy(), index=index, columns=names) for _ in range(3)]
        return ReportedPresence(*frames, week_minutes=week)
    cell = points_to_cells(visits["lat"].to_numpy(), visits["lng"].to_numpy(), res=res)
    idx = np.minimum(np.searchsorted(cells, cell), len(cells) - 1)
    inside = cells[idx] == cell
    minutes = visits["minutes"].to_numpy(dtype=float)
    timed = (visits["timed"].to_numpy(dtype=bool) if "timed" in visits
             else np.ones(len(visits), dtype=bool))
    owner, share, hour, weekday = _minute_samples(visits, tz)
    start_hour, start_day = local_clock(visits["time"], tz=tz)
    is_stop = timed & (minutes >= STOP_MINUTES[0]) & (minutes <= STOP_MINUTES[1])
    keep = inside[owner]
    out = {key: empty.copy() for key in ("minutes", "visits", "stops")}
    for b, band in enumerate(bands):
        in_band = band.contains(hour, weekday) & keep
        out["minutes"][:, b] = np.bincount(idx[owner[in_band]], weights=share[in_band],
                                           minlength=len(cells))
        starts = band.contains(start_hour, start_day) & inside
        out["visits"][:, b] = np.bincount(idx[starts], minlength=len(cells))
        out["stops"][:, b] = np.bincount(idx[starts & is_stop], minlength=len(cells))
    week = _week(share[keep], hour[keep], weekday[keep])
    frames = [pd.DataFrame(out[key], index=index, columns=names)
              for key in ("minutes", "visits", "stops")]
    return ReportedPresence(*frames, week_minutes=week, outside=int((~inside).sum()))


def _minute_samples(visits: pd.DataFrame, tz: str):
    """One sample per started minute of each visit: (visit, share of a minute, local hour,
    weekday)."""
    minutes = visits["minutes"].to_numpy(dtype=float)
    start_us = pd.DatetimeIndex(visits["time"]).as_unit("us").asi8
    steps = np.maximum(1, np.ceil(minutes)).astype(np.int64)
    owner = np.repeat(np.arange(len(visits)), steps)
    first = np.repeat(np.cumsum(steps) - steps, steps)
    offset = np.arange(len(owner)) - first
    share = np.minimum(1.0, minutes[owner] - offset)
    sample_us = start_us[owner] + offset * 60_000_000
    hour, weekday = local_clock(pd.DatetimeIndex(sample_us.astype("datetime64[us]"))
                                .tz_localize("UTC"), tz=tz)
    return owner, share, hour, weekday


def _week(share: np.ndarray, hour: np.ndarray, weekday: np.ndarray) -> np.ndarray:
    week_hour = weekday.astype(np.int64) * 24 + np.floor(hour).astype(np.int64)
    return np.bincount(week_hour, weights=share, minlength=HOURS_OF_WEEK)


def visits_week_minutes(visits: pd.DataFrame | None, *, tz: str = "Europe/Belgrade"
                        ) -> np.ndarray:
    """Reported visit minutes per local hour of the week (168 values), wherever they lie."""
    if visits is None or not len(visits):
        return np.zeros(HOURS_OF_WEEK)
    _, share, hour, weekday = _minute_samples(visits, tz)
    return _week(share, hour, weekday)
