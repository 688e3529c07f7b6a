"""Parse the dates and times that real exports hold, vectorized.

ISO 8601 with or without an offset, European day-first forms (``14.03.2025 21:35``,
``14.03.2025. 21:35``, ``14/03/2025 21:35``), Excel date cells, and Unix epoch seconds or
milliseconds. A time with an offset keeps it; a naive time is local (Europe/Belgrade by
default): in the autumn hour that occurs twice the summer-time reading is taken (``ambiguous``
marks those rows, so that ping tracks can take the second pass as winter time, see
:func:`resolve_repeated_hour`), and a time in the spring gap moves forward to the first valid
minute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)
_DAYFIRST = (
    "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y. %H:%M", "%d.%m.%Y. %H:%M:%S",
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S",
    "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S", "%d.%m.%Y %H.%M",
    # a 12-hour clock with AM/PM comes from month-first (US-style) exports
    "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p",
)
_DATE_ONLY = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%Y.", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d")


@dataclass
class ParsedTimes:
    """UTC times (NaT where a row failed) and the masks that say why."""

    utc: pd.Series
    blank: np.ndarray
    bad: np.ndarray
    date_only: np.ndarray
    ambiguous: np.ndarray | None = None
    """Naive local times in the repeated autumn hour (read as summer time); None: none."""


def parse_times(values: pd.Series, *, tz: str = "Europe/Belgrade") -> ParsedTimes:
    """Parse a column of times to UTC.

    >>> p = parse_times(pd.Series(["2025-06-01 21:30", "01.06.2025 21:30", "x", ""]))
    >>> [str(t) for t in p.utc[:2]]
    ['2025-06-01 19:30:00+00:00', '2025-06-01 19:30:00+00:00']
    >>> p.bad.tolist(), p.blank.tolist()
    ([False, False, True, False], [False, False, False, True])
    """
    values = values.reset_index(drop=True)
    n = len(values)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    date_only = np.zeros(n, dtype=bool)
    no_bad = np.zeros(n, dtype=bool)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        out = _utc_naive(pd.DatetimeIndex(values))
        return ParsedTimes(_as_series(out), np.isnat(out), no_bad, date_only)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        out = _localize(pd.DatetimeIndex(values), tz)
        return ParsedTimes(_as_series(out), np.isnat(out), no_bad, date_only)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return _from_epoch(values.to_numpy(dtype=float, na_value=np.nan))
    # objects: strings, Excel datetime cells, or both
    is_stamp = np.fromiter((hasattr(v, "year") and hasattr(v, "hour") for v in values),
                           dtype=bool, count=n)
    if is_stamp.any():
        stamps = [pd.Timestamp(v) for v in values[is_stamp]]
        aware = np.array([s.tzinfo is not None for s in stamps])
        idx = np.flatnonzero(is_stamp)
        if aware.any():
            out[idx[aware]] = _utc_naive(pd.DatetimeIndex([s for s, a in zip(stamps, aware,
                                                                            strict=True) if a]))
        if (~aware).any():
            out[idx[~aware]] = _localize(pd.DatetimeIndex(
                [s for s, a in zip(stamps, aware, strict=True) if not a]), tz)
    text = pd.Series(np.where(is_stamp, "", values.astype(object).to_numpy()), dtype="string")
    text = text.fillna("").str.strip()
    text = text.where(~text.isin(["nan", "NaT", "None"]), "")
    blank = (text == "").to_numpy() & ~is_stamp
    todo = ~blank & ~is_stamp
    if todo.any():
        parsed, only = _parse_text(text[todo], tz)
        out[todo] = parsed
        date_only[todo] = only
    bad = todo & np.isnat(out) & ~date_only
    ambiguous = np.zeros(n, dtype=bool)
    if todo.any():
        naive = ~text[todo].str.contains(_OFFSET).to_numpy(bool)
        ambiguous[np.flatnonzero(todo)[naive]] = _repeated(out[todo][naive], tz)
    return ParsedTimes(_as_series(out), blank, bad, date_only, ambiguous)


def _repeated(utc_naive: np.ndarray, tz: str) -> np.ndarray:
    """Whether UTC times read as summer time are in a local hour that occurs twice."""
    if len(utc_naive) == 0:
        return np.zeros(0, dtype=bool)
    index = pd.DatetimeIndex(utc_naive).tz_localize("UTC")
    wall = index.tz_convert(tz).tz_localize(None)
    winter = wall.tz_localize(tz, ambiguous=np.zeros(len(wall), dtype=bool),
                              nonexistent="shift_forward").tz_convert("UTC")
    return np.asarray(~pd.isna(index) & (winter != index), dtype=bool)


def resolve_repeated_hour(utc: pd.Series, ambiguous: np.ndarray, keys: np.ndarray
                          ) -> pd.Series:
    """Read the second pass through the repeated autumn hour as winter time, per key (unit).

    Rows are in file order. Within each key, the rows in the repeated hour are read as summer
    time until the local clock goes back (a row earlier on the clock than the one before it);
    from there on they are winter time, one hour later. A track that never goes back stays
    summer time: nothing in it tells the two passes apart.

    >>> t = pd.Series(pd.to_datetime(["2025-10-26 00:40", "2025-10-26 00:50",
    ...                               "2025-10-26 00:10", "2025-10-26 00:20"], utc=True))
    >>> [str(x)[11:16] for x in resolve_repeated_hour(t, np.ones(4, bool), np.zeros(4, int))]
    ['00:40', '00:50', '01:10', '01:20']
    """
    if ambiguous is None or not ambiguous.any():
        return utc
    rows = np.flatnonzero(ambiguous)
    rows = rows[np.argsort(np.asarray(keys)[rows], kind="stable")]  # by key, file order kept
    stamp = pd.DatetimeIndex(utc.iloc[rows]).as_unit("us").asi8
    key = np.asarray(keys)[rows]
    same = np.r_[False, key[1:] == key[:-1]]
    back = same & np.r_[False, stamp[1:] < stamp[:-1]]
    # winter from the first step back, within each key's run of rows
    group = np.cumsum(~same)
    winter = np.zeros(len(rows), dtype=bool)
    if back.any():
        first_back = pd.Series(np.where(back, np.arange(len(rows)), len(rows))).groupby(
            group).transform("min").to_numpy()
        winter = np.arange(len(rows)) >= first_back
    out = utc.copy()
    out.iloc[rows[winter]] = out.iloc[rows[winter]] + pd.Timedelta(hours=1)
    return out


def _as_series(utc_naive: np.ndarray) -> pd.Series:
    return pd.Series(pd.DatetimeIndex(utc_naive).tz_localize("UTC"))


def _utc_naive(index: pd.DatetimeIndex) -> np.ndarray:
    return index.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[us]")


def _localize(naive: pd.DatetimeIndex, tz: str) -> np.ndarray:
    local = naive.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool),
                              nonexistent="shift_forward")
    return _utc_naive(local)


def _from_epoch(arr: np.ndarray) -> ParsedTimes:
    blank = np.isnan(arr)
    seconds = np.where(arr > 1e11, arr / 1000.0, arr)
    plausible = (seconds > 1e9) & (seconds < 5e9)
    micros = np.where(plausible, seconds * 1e6, np.nan)
    out = np.full(len(arr), np.datetime64("NaT"), dtype="datetime64[us]")
    out[plausible] = micros[plausible].astype(np.int64).astype("datetime64[us]")
    return ParsedTimes(_as_series(out), blank, ~blank & ~plausible, np.zeros(len(arr), bool))


def _parse_text(text: pd.Series, tz: str) -> tuple[np.ndarray, np.ndarray]:
    text = text.reset_index(drop=True)
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    has_offset = text.str.contains(_OFFSET).to_numpy(bool)
    if has_offset.any():
        part = text[has_offset].str.replace(r"\s+", "T", n=1, regex=True)
        parsed = pd.DatetimeIndex(pd.to_datetime(part, utc=True, format="ISO8601",
                                                 errors="coerce"))
        out[has_offset] = _utc_naive(parsed)
    naive = ~has_offset
    if naive.any():
        out[naive] = _localize(pd.DatetimeIndex(_parse_naive(text[naive])), tz)
    date_only = np.zeros(len(text), dtype=bool)
    missing = np.isnat(out)
    if missing.any():
        rest = text[missing]
        for fmt in _DATE_ONLY:
            hit = pd.to_datetime(rest, format=fmt, errors="coerce").notna().to_numpy()
            date_only[np.flatnonzero(missing)[hit]] = True
    return out, date_only


def _parse_naive(text: pd.Series) -> np.ndarray:
    text = text.reset_index(drop=True)
    has_clock = text.str.contains(r"\d[:.]\d\d(?:\D|$)|T\d", regex=True).to_numpy(bool)
    result = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    iso = has_clock & text.str.match(r"^\d{4}-\d{2}-\d{2}").to_numpy(bool)
    if iso.any():
        result[iso] = _naive_array(pd.to_datetime(text[iso], format="ISO8601", errors="coerce"))
    for fmt in _DAYFIRST:
        todo = has_clock & np.isnat(result)
        if not todo.any():
            break
        result[todo] = _naive_array(pd.to_datetime(text[todo], format=fmt, errors="coerce"))
    return result


def _naive_array(parsed: pd.Series) -> np.ndarray:
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.to_numpy().astype("datetime64[us]")


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


def parse_day(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Dates (``2025-05-29``, ``29.05.2025``) as datetime64; blank cells are NaT and not bad."""
    text = values.astype(object).map(
        lambda v: v.strftime("%Y-%m-%d") if hasattr(v, "strftime")
        else ("" if v is None else str(v))
    ).astype("string").fillna("").str.strip()
    text = text.where(~text.isin(["nan", "NaT", "None"]), "")
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[s]")
    for fmt in _DATE_ONLY:
        todo = (text != "").to_numpy() & np.isnat(out)
        if not todo.any():
            break
        out[todo] = _naive_array(pd.to_datetime(text[todo], format=fmt, errors="coerce"))
    bad = (text != "").to_numpy() & np.isnat(out)
    return pd.Series(out, index=values.index), bad
