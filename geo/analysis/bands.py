"""Time bands: which incidents and which patrol minutes count in 'night', 'weekend' and so on.

A band is a window of local clock hours (which may wrap past midnight) and a set of weekdays.
Local time is Europe/Belgrade by default, daylight saving included: 22:00 means 22:00 on the
clock in winter and in summer. A day belongs to the weekend by its local calendar date
(Saturday, Sunday), so Friday 23:00 is a weekday night.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo._errors import UsageError

__all__ = ["Band", "DEFAULT_BANDS", "parse_bands", "local_clock", "band_masks", "band_info",
           "hour_of_week", "HOURS_OF_WEEK", "band_days", "exposure_days", "local_wall_us",
           "clock_of_wall", "month_of_wall", "month_key", "month_number"]

HOURS_OF_WEEK = 168
"""Monday 00-01 is hour 0, Sunday 23-24 is hour 167."""

_WEEKDAYS = frozenset(range(5))
_WEEKEND = frozenset({5, 6})
_ALL_DAYS = frozenset(range(7))


@dataclass(frozen=True)
class Band:
    """A named window of local hours ``[start_hour, end_hour)`` on the given weekdays
    (0 = Monday). ``start_hour == end_hour`` means the whole day."""

    name: str
    start_hour: float = 0.0
    end_hour: float = 0.0
    days: frozenset[int] = _ALL_DAYS

    @property
    def hours_per_day(self) -> float:
        """Clock hours the band covers on each of its days."""
        span = (self.end_hour - self.start_hour) % 24
        return 24.0 if span == 0 else span

    def in_hours(self, hour: np.ndarray) -> np.ndarray:
        """Whether local fractional hours fall in the band's window, whatever the day."""
        if self.start_hour == self.end_hour:
            return np.ones(np.shape(hour), dtype=bool)
        if self.start_hour < self.end_hour:
            return (hour >= self.start_hour) & (hour < self.end_hour)
        return (hour >= self.start_hour) | (hour < self.end_hour)

    def contains(self, hour: np.ndarray, weekday: np.ndarray) -> np.ndarray:
        """Whether local times (fractional hour, weekday) fall in the band."""
        in_hours = self.in_hours(hour)
        if self.days == _ALL_DAYS:
            return in_hours
        return in_hours & np.isin(weekday, sorted(self.days))


def band_days(first_day, last_day, band: Band) -> int:
    """Local calendar days from ``first_day`` to ``last_day`` (inclusive) that are the band's
    days: every day for ``night``, Saturdays and Sundays for ``weekend``.

    >>> band_days("2025-06-02", "2025-06-15", Band("weekend", days=frozenset({5, 6})))
    4
    """
    first = np.datetime64(pd.Timestamp(first_day).strftime("%Y-%m-%d"), "D")
    last = np.datetime64(pd.Timestamp(last_day).strftime("%Y-%m-%d"), "D")
    if last < first:
        return 0
    weekdays = (np.arange(first, last + 1).astype(np.int64) + 3) % 7  # 1970-01-01: Thursday
    return int(np.isin(weekdays, sorted(band.days)).sum())


def exposure_days(first_day, last_day, band: Band) -> float:
    """The band's exposure over a period in calendar-equivalent days: its own days scaled by
    7 / (its days per week), so that a rate per 30 days means the same for every band.

    A weekend band over a week with 2 weekend days is exposed for 7 days; over 4 days that
    hold both weekend days, also 7 (not 4): the same weekend incidents are the same rate.

    >>> weekend = Band("weekend", days=frozenset({5, 6}))
    >>> exposure_days("2025-06-02", "2025-06-08", weekend), exposure_days(
    ...     "2025-06-06", "2025-06-09", weekend)
    (7.0, 7.0)
    """
    return band_days(first_day, last_day, band) * 7.0 / len(band.days)


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("all"),
    Band("day", 6, 18),
    Band("evening", 18, 22),
    Band("night", 22, 6),
    Band("weekday", days=_WEEKDAYS),
    Band("weekend", days=_WEEKEND),
)
"""all; day 06-18, evening 18-22, night 22-06; weekday (Mon-Fri), weekend (Sat-Sun)."""

_DAY_WORDS = {"weekday": _WEEKDAYS, "weekend": _WEEKEND, "all": _ALL_DAYS}


def parse_bands(spec: str | Sequence[str]) -> tuple[Band, ...]:
    """Bands from text such as ``"day=06-18, night=22-06, weekend_night=22-06@weekend"``.

    Hours are ``HH`` or ``HH:MM``; ``@weekday`` or ``@weekend`` limits the days. The band
    ``all`` is always included first.

    >>> [b.name for b in parse_bands("late=23-03@weekend, early=05:30-08")]
    ['all', 'late', 'early']
    """
    items = [s.strip() for s in (spec.split(",") if isinstance(spec, str) else spec)]
    bands = [Band("all")]
    pattern = re.compile(r"^([A-Za-z][\w-]{0,30})\s*=\s*(\d{1,2}(?::\d{2})?)\s*-\s*"
                         r"(\d{1,2}(?::\d{2})?)\s*(?:@\s*(weekday|weekend|all))?$")
    for item in filter(None, items):
        m = pattern.match(item)
        if not m:
            msg = (
                f"band {item!r} is not like 'night=22-06' or "
                "'weekend_night=22:00-06:00@weekend'"
            )
            raise UsageError(msg)
        name, start, end, days = m.groups()
        start_h, end_h = _hour(start, item), _hour(end, item)
        if name in {b.name for b in bands}:
            msg = f"band {name!r} is given twice"
            raise UsageError(msg)
        bands.append(Band(name, start_h, end_h, _DAY_WORDS[days or "all"]))
    return tuple(bands)


def _hour(text: str, item: str) -> float:
    hours, _, minutes = text.partition(":")
    value = int(hours) + int(minutes or 0) / 60
    if value > 24 or int(minutes or 0) >= 60:
        msg = f"band {item!r}: {text} is not a clock time"
        raise UsageError(msg)
    return value % 24


def local_wall_us(times_utc: pd.Series | pd.DatetimeIndex, *, tz: str = "Europe/Belgrade"
                  ) -> np.ndarray:
    """The local wall clock of UTC times as integer microseconds since 1970-01-01 00:00."""
    index = pd.DatetimeIndex(times_utc)
    if index.tz is None:
        index = index.tz_localize("UTC")
    local = index.tz_convert(tz)
    return local.tz_localize(None).to_numpy().astype("datetime64[us]").astype(np.int64)


def clock_of_wall(wall: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fractional hour (0-24) and weekday (0 = Monday) of local wall-clock microseconds."""
    day_us = 86_400_000_000
    hour = (wall % day_us) / 3_600_000_000
    weekday = ((wall // day_us) + 3) % 7  # 1970-01-01 was a Thursday (3)
    return hour, weekday.astype(np.int8)


def month_of_wall(wall: np.ndarray) -> np.ndarray:
    """Calendar months since January 1970 of local wall-clock microseconds.

    >>> month_of_wall(np.array([0, 31 * 86_400_000_000])).tolist()
    [0, 1]
    """
    return wall.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)


def month_key(month: int) -> str:
    """``YYYY-MM`` of a month counted from January 1970.

    >>> month_key(662)
    '2025-03'
    """
    return f"{1970 + month // 12:04d}-{month % 12 + 1:02d}"


def month_number(key: str) -> int:
    """Inverse of :func:`month_key`."""
    year, month = key.split("-")
    return (int(year) - 1970) * 12 + int(month) - 1


def local_clock(times_utc: pd.Series | pd.DatetimeIndex, *, tz: str = "Europe/Belgrade"
                ) -> tuple[np.ndarray, np.ndarray]:
    """Local fractional hour (0-24) and weekday (0 = Monday) of UTC times, vectorized."""
    return clock_of_wall(local_wall_us(times_utc, tz=tz))


def hour_of_week(times_utc, *, tz: str = "Europe/Belgrade") -> np.ndarray:
    """Local hour of the week, ``weekday * 24 + hour`` (0 = Monday 00:00-00:59).

    >>> hour_of_week(pd.Series(pd.to_datetime(["2025-06-02 21:30"], utc=True))).tolist()
    [23]
    """
    hour, weekday = local_clock(times_utc, tz=tz)
    return weekday.astype(np.int64) * 24 + np.floor(hour).astype(np.int64)


def band_masks(times_utc, bands: Sequence[Band] = DEFAULT_BANDS, *,
               tz: str = "Europe/Belgrade") -> dict[str, np.ndarray]:
    """One boolean mask per band over the given times."""
    hour, weekday = local_clock(times_utc, tz=tz)
    return {band.name: band.contains(hour, weekday) for band in bands}


def band_info(key: str) -> dict:
    """How renderers label a band: its key, the i18n key of its name (default bands only) and
    its hours.

    >>> band_info("night")
    {'key': 'night', 'hours': '22–06', 'label_key': 'band_night'}
    """
    hours = {"day": "06–18", "evening": "18–22", "night": "22–06"}.get(key)
    info = {"key": key, "hours": hours}
    if key in {b.name for b in DEFAULT_BANDS}:
        info["label_key"] = f"band_{key}"
    return info
