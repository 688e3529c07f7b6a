"""Times of day: a post's staffed hours, and a time-of-day column to combine with a date.

A time of day is read as its column writes it: clock texts (``21:35``, ``21.35``,
``9:35 PM``), time cells, hours 0-23, HHMM (``2130``), minutes after midnight or Excel
fractions of a day. Which of these a column of whole numbers holds is decided for the whole
column (see :func:`parse_time_of_day`), and every bad cell gets the reason of that kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["TimeOfDay", "parse_clock", "parse_time_of_day", "HOUR_REASON", "HHMM_REASON",
           "MINUTES_REASON", "CLOCK_REASON"]


def parse_clock(values: pd.Series) -> np.ndarray:
    """Minutes after midnight from ``18:00``, ``18.00``, ``1800``, ``18h`` or ``24:00``; NaN if bad.

    >>> parse_clock(pd.Series(["18:00", "2:30", "24:00", "25:00", "x"])).tolist()
    [1080.0, 150.0, 1440.0, nan, nan]
    """
    def one(v) -> float:
        if hasattr(v, "hour") and hasattr(v, "minute"):
            return float(v.hour * 60 + v.minute)
        m = re.fullmatch(r"\s*(\d{1,2})(?:[:.h]?(\d{2}))?\s*h?\s*", str(v))
        if not m:
            return np.nan
        hours, minutes = int(m.group(1)), int(m.group(2) or 0)
        total = hours * 60 + minutes
        return float(total) if minutes < 60 and total <= 24 * 60 else np.nan

    return np.array([one(v) for v in values], dtype=float)



@dataclass
class TimeOfDay:
    """A column of times of day: minutes after local midnight (NaN where blank or bad), how
    the column was read (``kind``) and the reason its bad rows get."""

    minutes: np.ndarray
    blank: np.ndarray
    bad: np.ndarray
    kind: str
    reason: str


_TOD_TEXT = re.compile(r"^(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?)?"
                       r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?\s*h?$")
HOUR_REASON = "hour is not a whole number 0-23"
HHMM_REASON = "time of day is not HHMM like 2130"
MINUTES_REASON = "minutes after midnight are not 0-1439"
CLOCK_REASON = "time of day is not a clock time like 21:35"
_HOUR_WORDS = {"h", "hr", "sat", "sati", "cas", "čas", "час", "сат", "ora", "orë"}
_MINUTE_WORDS = {"min", "mins", "minuta", "minuti", "minute", "минута", "minutë"}


def parse_time_of_day(values: pd.Series, *, name: str = "") -> TimeOfDay:
    """Minutes after midnight from a time-of-day column, read as the column writes them.

    Clock texts (``21:35``, ``21.35``, ``9:35 PM``, ``21:35:10``), time cells, or whole
    numbers: all 0-23 (or a column named like *hour*) are hours; a column with some value
    whose last two digits are 60 or more (or named like *minute*) is minutes after midnight;
    otherwise numbers above 23 are HHMM (``2130`` is 21:30). Fractions of 1 are Excel
    fractions of a day.

    >>> tod = parse_time_of_day(pd.Series([0, 5, 23]), name="occurrencehour")
    >>> tod.minutes.tolist(), tod.kind
    ([0.0, 300.0, 1380.0], 'hours 0-23')
    >>> parse_time_of_day(pd.Series(["2130", "845", "0"])).minutes.tolist()
    [1290.0, 525.0, 0.0]
    """
    values = values.reset_index(drop=True)
    n = len(values)
    minutes = np.full(n, np.nan)
    is_cell = np.fromiter((hasattr(v, "hour") and hasattr(v, "minute") for v in values),
                          dtype=bool, count=n)
    minutes[is_cell] = [v.hour * 60 + v.minute + getattr(v, "second", 0) / 60
                        for v in values[is_cell]]
    text = pd.Series(np.where(is_cell, "", values.astype(object).to_numpy()), dtype="string")
    text = text.fillna("").str.strip()
    text = text.where(~text.isin(["nan", "NaT", "None"]), "")
    blank = (text == "").to_numpy() & ~is_cell
    number = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    number = number.to_numpy(dtype=float, na_value=np.nan)
    finite = number[np.isfinite(number)]
    day_fractions = bool(len(finite)) and (finite >= 0).all() and (finite <= 1).all() and \
        (finite != np.round(finite)).any()
    # 07.30 is a clock time, unless the column holds fractions of a day (0.75)
    looks_clock = text.str.fullmatch(r"\d{1,2}\.\d{2}").to_numpy(bool) & (not day_fractions)
    numeric = ~blank & ~is_cell & np.isfinite(number) & ~looks_clock
    whole = numeric & (number == np.round(number))
    tokens = [w for w in re.split(r"[\W_]+", name.lower()) if w]
    hourish = any(w.endswith("hour") or w.endswith("hours") or w in _HOUR_WORDS for w in tokens)
    minutish = any("minute" in w or w in _MINUTE_WORDS for w in tokens)
    kind, reason = "clock time", CLOCK_REASON
    if numeric.any():
        values_ = number[numeric]
        if day_fractions:
            kind, reason = "fraction of a day", CLOCK_REASON
            minutes[numeric] = np.round(values_ * 1440, 3)
        elif minutish or (not hourish and whole.any() and (number[whole] % 100 >= 60).any()):
            kind, reason = "minutes after midnight", MINUTES_REASON
            ok = whole & (number >= 0) & (number < 1440)
            minutes[ok] = number[ok]
        elif hourish or (number[whole] <= 23).all():
            kind, reason = "hours 0-23", HOUR_REASON
            ok = whole & (number >= 0) & (number <= 23)
            minutes[ok] = number[ok] * 60
        else:
            kind, reason = "HHMM", HHMM_REASON
            ok = whole & (number >= 0) & (number % 100 < 60) & (number < 2400)
            minutes[ok] = (number[ok] // 100) * 60 + number[ok] % 100
    clock = ~blank & ~is_cell & ~numeric
    if clock.any():
        parts = text[clock].str.extract(_TOD_TEXT)
        h = pd.to_numeric(parts["h"], errors="coerce").to_numpy(float)
        m = pd.to_numeric(parts["m"], errors="coerce").fillna(0).to_numpy(float)
        s = pd.to_numeric(parts["s"], errors="coerce").fillna(0).to_numpy(float)
        ampm = parts["ampm"].fillna("").str.lower().str.replace(".", "", regex=False)
        ampm = ampm.to_numpy(object)
        twelve = ampm != ""
        ok = np.isfinite(h) & (m < 60) & (s < 60) & np.where(twelve, (h >= 1) & (h <= 12),
                                                             h <= 23)
        h = np.where(twelve, h % 12 + np.where(ampm == "pm", 12, 0), h)
        found = np.where(ok, h * 60 + m + s / 60, np.nan)
        minutes[np.flatnonzero(clock)] = found
    bad = ~blank & np.isnan(minutes)
    return TimeOfDay(minutes, blank, bad, kind, reason)
