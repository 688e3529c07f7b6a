"""The period of a run: ``--from``/``--to`` keep rows of those local days, and a few stray
dates that stretch a file's period far are pointed out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo._errors import UsageError
from geo.inputs._times import parse_day

__all__ = ["parse_period_days", "period_bounds", "outside_period", "period_text",
           "set_aside_outside",
           "stretch_note"]

STRAY_SHARE = 0.01
"""Rows at most this share of a file may be called stray dates."""
STRETCH = 2.0
"""Stray dates are pointed out when the whole span exceeds the rest's span this many times."""


def parse_period_days(date_from: str | None, date_to: str | None
                      ) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The first and last local day of ``--from``/``--to`` (either may be None).

    >>> parse_period_days("2024-01-01", "31.12.2024")
    (Timestamp('2024-01-01 00:00:00'), Timestamp('2024-12-31 00:00:00'))
    """
    days = []
    for option, text in (("--from", date_from), ("--to", date_to)):
        if text is None or str(text).strip() == "":
            days.append(None)
            continue
        parsed, bad = parse_day(pd.Series([str(text).strip()], dtype=object))
        if bad.any() or pd.isna(parsed.iloc[0]):
            msg = f"{option} {text}: not a date; write it like 2025-01-31 or 31.01.2025"
            raise UsageError(msg)
        days.append(pd.Timestamp(parsed.iloc[0]))
    if days[0] is not None and days[1] is not None and days[1] < days[0]:
        msg = f"--from {date_from} --to {date_to}: the period ends before it starts"
        raise UsageError(msg)
    return days[0], days[1]


def period_bounds(date_from: str | None, date_to: str | None, *, tz: str = "Europe/Belgrade"
                  ) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """UTC instants of the period: local midnight of the first day, and the last microsecond
    of the last day.

    >>> [str(t) for t in period_bounds("2025-01-01", "2025-01-31")]
    ['2024-12-31 23:00:00+00:00', '2025-01-31 22:59:59.999999+00:00']
    """
    first, last = parse_period_days(date_from, date_to)
    start = None if first is None else first.tz_localize(tz).tz_convert("UTC")
    end = None
    if last is not None:
        end = ((last + pd.Timedelta(days=1)).tz_localize(tz).tz_convert("UTC")
               - pd.Timedelta(microseconds=1))
    return start, end


def outside_period(utc: pd.Series, date_from: str | None, date_to: str | None, *,
                   tz: str = "Europe/Belgrade") -> np.ndarray:
    """Which times fall outside the period (a missing time is not outside)."""
    start, end = period_bounds(date_from, date_to, tz=tz)
    times = pd.DatetimeIndex(utc)
    outside = np.zeros(len(times), dtype=bool)
    if start is not None:
        outside |= np.asarray(times < start, dtype=bool)
    if end is not None:
        outside |= np.asarray(times > end, dtype=bool)
    return outside & ~np.asarray(times.isna())


def period_text(date_from: str | None, date_to: str | None) -> str:
    """``2024-01-01 – 2024-12-31`` (an open end is ``…``)."""
    first, last = parse_period_days(date_from, date_to)
    return " – ".join("…" if d is None else d.strftime("%Y-%m-%d") for d in (first, last))


def stretch_note(utc: pd.Series, ok: np.ndarray, *, tz: str = "Europe/Belgrade") -> list[str]:
    """A note when under 1 % of the accepted rows stretch the period more than twice the span
    of the rest, with the ``--from`` (or ``--to``) that leaves them out.

    The stray rows are those before (after) the widest gap among the earliest (latest) 1 %.
    """
    times = pd.DatetimeIndex(utc[ok]).dropna().sort_values()
    n = len(times)
    if n < 20:
        return []
    stamp = times.as_unit("ns").asi8
    tail = max(1, int(np.floor(STRAY_SHARE * n)))
    span = stamp[-1] - stamp[0]
    notes = []
    for side in ("from", "to"):
        edge = stamp if side == "from" else -stamp[::-1]
        gaps = np.diff(edge[: tail + 1])
        cut = int(np.argmax(gaps)) + 1  # rows before the widest gap are stray
        rest = edge[-1] - edge[cut]
        if gaps[cut - 1] <= 0 or span <= STRETCH * rest:
            continue
        keep = times[cut] if side == "from" else times[n - 1 - cut]
        day = keep.tz_convert(tz).strftime("%Y-%m-%d")
        stray = times[:cut] if side == "from" else times[n - cut:]
        when = " – ".join(t.tz_convert(tz).strftime("%Y-%m-%d") for t in (stray[0], stray[-1]))
        notes.append(f"{cut:,} of {n:,} rows ({cut / n:.1%}, {when}) stretch the period to "
                     f"{span / 8.64e13 / 365.25:.1f} years, more than twice the rest's "
                     f"{rest / 8.64e13:,.0f} days; pass --{side} {day} to leave them out")
    return notes


def set_aside_outside(utc: pd.Series | None, judge, *, date_from: str | None,
                      date_to: str | None, tz: str) -> str:
    """Set aside the judged rows outside the period; the period as text ('' when none)."""
    if utc is None or not (date_from or date_to):
        return ""
    judge.set_aside(outside_period(utc, date_from, date_to, tz=tz))
    return period_text(date_from, date_to)
