"""Parse the dates and times that real exports hold, vectorized.

ISO 8601 with ``T`` or a space, year-first with ``-`` or ``/``, European day-first forms
(``14.03.2025 21:35``, ``14.03.2025. 21:35``, ``14/03/2025 21:35``), US month-first forms
(``02/28/2017 05:00:00 PM``), Excel date cells, and Unix epoch seconds or milliseconds.

A time with an offset keeps it, in every form ISO 8601 and databases write: ``Z``, ``+00``,
``+0000``, ``+00:00``, ``UTC``, ``GMT+1``, with or without a space before it. A zone written as
an abbreviation (``CET``, ``EST``: several zones share some) is rejected with a reason, as is an
offset no place uses. A naive time is local (Europe/Belgrade by default): in the autumn hour
that occurs twice the summer-time reading is taken (``ambiguous`` marks those rows, so that ping
tracks can take the second pass as winter time, see :func:`resolve_repeated_hour`), and a time
in the spring gap moves forward to the first valid minute.

Slash dates are day-first unless the column shows otherwise: a column where some second field
is above 12 (``02/28/2017``) and no first field is, is month-first; a column with both kinds
rejects the rows whose order cannot be told (both fields 12 or less) as ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from geo._arrays import in_chunks

__all__ = ["ParsedTimes", "parse_times", "parse_day", "parse_local_days", "localize"]

_CLOCK = r"\d{1,2}[:.]\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp]\.?[Mm]\.?)?"
_ZONE_TAIL = re.compile(
    rf"^(?P<clock>.*?{_CLOCK})\s*(?P<zone>[Zz]|(?:UTC|GMT|utc|gmt)(?:\s*[+-]\d{{1,2}}"
    r"(?::?\d{2})?)?|[+-]\d{1,2}(?::?\d{2})?)$")
_NAME_TAIL = re.compile(
    rf"^(?P<clock>.*?{_CLOCK})\s*(?P<name>[A-Z]{{3,5}}|[A-Z][a-z]+/[A-Za-z_]+)$")
_OFFSET = re.compile(r"(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?$")
_DAYFIRST = (
    "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y. %H:%M", "%d.%m.%Y. %H:%M:%S",
    "%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "%d.%m.%Y %H.%M",
)
_SLASH = {
    "dmy": ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %I:%M %p", "%d/%m/%Y %I:%M:%S %p"),
    "mdy": ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p"),
}
_DATE_ONLY = ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%Y.", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d")
_MAX_OFFSET_MIN = 14 * 60  # UTC-12:00 .. UTC+14:00 are the offsets places use

ZONE_NAME = "time zone name instead of an offset like +01:00"
BAD_OFFSET = "UTC offset out of range (-12:00 to +14:00)"
AMBIGUOUS_ORDER = "day and month cannot be told apart (the column writes both orders)"


@dataclass
class ParsedTimes:
    """UTC times (NaT where a row failed) and the masks that say why.

    ``problems`` are (mask, reason) pairs for rows that read as a time but must not be taken
    (an ambiguous zone or date order, an impossible offset). ``written_min`` is each row's
    clock time as written, in minutes after midnight (before any offset is applied), and
    ``has_offset`` says which rows carried an offset.
    """

    utc: pd.Series
    blank: np.ndarray
    bad: np.ndarray
    date_only: np.ndarray
    problems: list[tuple[np.ndarray, str]] = field(default_factory=list)
    written_min: np.ndarray | None = None
    has_offset: np.ndarray | None = None
    ambiguous: np.ndarray | None = None
    """Naive local times in the repeated autumn hour (read as summer time); None: none."""


def parse_times(values: pd.Series, *, tz: str = "Europe/Belgrade") -> ParsedTimes:
    """Parse a column of times to UTC.

    >>> p = parse_times(pd.Series(["2025-06-01 21:30", "01.06.2025 21:30", "x", "",
    ...                            "2017/02/28 05:00:00+00"]))
    >>> [str(t) for t in p.utc[[0, 1, 4]]]
    ['2025-06-01 19:30:00+00:00', '2025-06-01 19:30:00+00:00', '2017-02-28 05:00:00+00:00']
    >>> p.bad.tolist(), p.blank.tolist()
    ([False, False, True, False, False], [False, False, False, True, False])
    """
    values = values.reset_index(drop=True)
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return _from_aware(values)
    n = len(values)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    written = np.full(n, np.nan)
    offset = np.zeros(n, dtype=bool)
    date_only = np.zeros(n, dtype=bool)
    no_bad = np.zeros(n, dtype=bool)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        out = localize(pd.DatetimeIndex(values), tz)
        return ParsedTimes(_as_series(out), np.isnat(out), no_bad, date_only,
                           written_min=_minutes(pd.DatetimeIndex(values)), has_offset=offset)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values):
        return _from_epoch(values.to_numpy(dtype=float, na_value=np.nan))
    # objects: strings, Excel datetime cells, or both
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        is_stamp = np.zeros(n, dtype=bool)  # text only: no cell to look at one by one
    else:
        is_stamp = np.fromiter((hasattr(v, "year") and hasattr(v, "hour") for v in values),
                               dtype=bool, count=n)
    if is_stamp.any():
        stamps = [pd.Timestamp(v) for v in values[is_stamp]]
        aware = np.array([s.tzinfo is not None for s in stamps])
        idx = np.flatnonzero(is_stamp)
        written[idx] = [s.hour * 60 + s.minute + s.second / 60 for s in stamps]
        offset[idx[aware]] = True
        if aware.any():
            out[idx[aware]] = _utc_naive(pd.DatetimeIndex(
                [s.tz_convert("UTC") for s, a in zip(stamps, aware, strict=True) if a]))
        if (~aware).any():
            out[idx[~aware]] = localize(pd.DatetimeIndex(
                [s for s, a in zip(stamps, aware, strict=True) if not a]), tz)
    text = pd.Series(np.where(is_stamp, "", values.astype(object).to_numpy()), dtype="string")
    text = text.fillna("").str.strip()
    text = text.where(~text.isin(["nan", "NaT", "None"]), "")
    blank = (text == "").to_numpy() & ~is_stamp
    todo = ~blank & ~is_stamp
    problems: list[tuple[np.ndarray, str]] = []
    if todo.any():
        parsed = _parse_text(text[todo], tz)
        out[todo] = parsed["utc"]
        date_only[todo] = parsed["date_only"]
        written[todo] = parsed["written"]
        offset[todo] = parsed["offset"]
        for mask, reason in parsed["problems"]:
            full = np.zeros(n, dtype=bool)
            full[todo] = mask
            problems.append((full, reason))
    flagged = np.zeros(n, dtype=bool)
    for mask, _ in problems:
        flagged |= mask
    out[flagged] = np.datetime64("NaT")
    bad = todo & np.isnat(out) & ~date_only & ~flagged
    ambiguous = np.zeros(n, dtype=bool)
    naive = todo & ~offset & ~np.isnat(out)
    ambiguous[naive] = _repeated(out[naive], tz)
    return ParsedTimes(_as_series(out), blank, bad, date_only, problems, written, offset,
                       ambiguous)


def _from_aware(values: pd.Series) -> ParsedTimes:
    """Times that carry their zone (Parquet's, Arrow's): integer work only, and no array of
    the column's length made that the result does not keep (tens of millions of pings)."""
    index = pd.DatetimeIndex(values)
    wall = index if str(index.tz) == "UTC" else index.tz_localize(None)
    written = in_chunks(partial(_clock_minutes, unit=wall.unit), wall.asi8)
    utc = pd.Series(index.tz_convert("UTC").as_unit("us"), copy=False)
    blank = np.isnan(written)  # NaN exactly where the time is missing
    no = np.zeros(len(values), dtype=bool)
    return ParsedTimes(utc, blank, no, no, written_min=written, has_offset=~blank)


def _clock_minutes(stamp: np.ndarray, *, unit: str) -> np.ndarray:
    """:func:`_minutes` of many times from their integers in ``unit`` (NaN for NaT): the
    same hour, minute and second, in the same arithmetic, without pandas' accessors."""
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    second = stamp % (86_400 * per_second) // per_second  # of the day
    minute, second = np.divmod(second, 60)  # hour * 60 + minute, and the seconds
    minutes = minute + second / 60
    minutes[stamp == np.iinfo(np.int64).min] = np.nan
    return minutes


def _minutes(index: pd.DatetimeIndex) -> np.ndarray:
    """Clock time of each value in its own zone, in minutes after midnight."""
    return (index.hour * 60 + index.minute + index.second / 60).to_numpy(dtype=float,
                                                                         na_value=np.nan)


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


def localize(naive: pd.DatetimeIndex, tz: str) -> np.ndarray:
    """Local wall-clock times to naive UTC: the summer reading of a repeated autumn hour, the
    first valid minute after a spring gap."""
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
    written = np.where(plausible, (seconds % 86400) / 60, np.nan)
    return ParsedTimes(_as_series(out), blank, ~blank & ~plausible, np.zeros(len(arr), bool),
                       written_min=written, has_offset=plausible)


def _offset_minutes(zone: pd.Series) -> np.ndarray:
    """Minutes east of UTC of zone texts like ``Z``, ``UTC``, ``+00``, ``-0500``, ``GMT+1``."""
    parts = _extract(zone, _OFFSET)
    hours = pd.to_numeric(parts["h"], errors="coerce").fillna(0).to_numpy(float)
    minutes = pd.to_numeric(parts["m"], errors="coerce").fillna(0).to_numpy(float)
    sign = np.where(parts["sign"].to_numpy(object) == "-", -1.0, 1.0)
    return np.where(minutes >= 60, np.nan, sign * (hours * 60 + minutes))


def _parse_text(text: pd.Series, tz: str) -> dict:
    text = text.reset_index(drop=True)
    n = len(text)
    # only texts ending in a letter, or with a sign among their last six characters, may
    # carry a zone: the full patterns (slow, per row) run on those alone
    tail = text.str.slice(-6)
    maybe = tail.str.contains(r"[+-]|[A-Za-z]$", regex=True).to_numpy(bool)
    has_offset = np.zeros(n, dtype=bool)
    has_name = np.zeros(n, dtype=bool)
    clock = text.copy()
    zone = pd.Series("", index=text.index, dtype=object)
    if maybe.any():
        rows = np.flatnonzero(maybe)
        zoned = _extract(text[maybe], _ZONE_TAIL)
        found = zoned["zone"].notna().to_numpy(bool)
        has_offset[rows[found]] = True
        clock[rows[found]] = zoned["clock"][found].to_numpy(object)
        zone[rows[found]] = zoned["zone"][found].to_numpy(object)
        rest = rows[~found]
        rest = rest[tail[rest].str.contains(r"[A-Za-z]$", regex=True).to_numpy(bool)]
        if len(rest):
            named = _extract(text[rest], _NAME_TAIL)
            name = named["name"].notna().to_numpy(bool)
            has_name[rest[name]] = True
            clock[rest[name]] = named["clock"][name].to_numpy(object)
    naive, ambiguous = _parse_naive(clock.str.strip())
    offset = np.zeros(n)
    if has_offset.any():
        offset[has_offset] = _offset_minutes(zone[has_offset].astype("string").str.strip())
    bad_offset = has_offset & ~np.isnat(naive) & ~(np.abs(offset) <= _MAX_OFFSET_MIN)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    fine = has_offset & ~bad_offset & ~np.isnat(naive)
    out[fine] = naive[fine] - (offset[fine] * 60e6).astype(np.int64).astype("timedelta64[us]")
    local = ~has_offset & ~has_name
    if local.any():
        out[local] = localize(pd.DatetimeIndex(naive[local]), tz)
    day_us = np.int64(86_400_000_000)
    stamp = naive.astype(np.int64)
    written = np.where(np.isnat(naive), np.nan, (stamp % day_us) / 60e6)
    date_only = np.zeros(n, dtype=bool)
    missing = np.isnat(out) & ~has_name & ~bad_offset & ~ambiguous
    if missing.any():
        rest = text[missing]
        for fmt in _DATE_ONLY:
            hit = pd.to_datetime(rest, format=fmt, errors="coerce").notna().to_numpy()
            date_only[np.flatnonzero(missing)[hit]] = True
    problems = [(has_name & ~np.isnat(naive), ZONE_NAME), (bad_offset, BAD_OFFSET),
                (ambiguous, AMBIGUOUS_ORDER)]
    out[has_name] = np.datetime64("NaT")
    return {"utc": out, "date_only": date_only, "written": written, "offset": has_offset,
            "problems": problems}


def _arrow(text: pd.Series):
    """Texts as an Arrow string array (no copy when they are Arrow-backed already)."""
    import pyarrow as pa

    try:
        return pa.array(text.astype("string"), type=pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(text.astype(object).to_numpy(), type=pa.string())


def _extract(text: pd.Series, pattern: re.Pattern) -> pd.DataFrame:
    """The named groups of ``pattern`` in each text (None where it does not match), with
    Arrow's compiled regular expressions: pandas would run Python's row by row."""
    import pyarrow.compute as pc

    found = pc.extract_regex(_arrow(text),
                             pattern.pattern)
    matched = found.is_valid().to_numpy(zero_copy_only=False)
    return pd.DataFrame({name: np.where(matched, found.field(name).to_numpy(
        zero_copy_only=False), None) for name in pattern.groupindex})


def _strip_fractions(text: pd.Series) -> pd.Series:
    """Texts without fractions of a second (``21:35:10.5`` -> ``21:35:10``)."""
    import pyarrow.compute as pc

    arr = _arrow(text)
    if not pc.any(pc.match_substring_regex(arr, r":\d{2}[.,]\d")).as_py():
        return text.astype("string")
    out = pc.replace_substring_regex(arr, r"(:\d{2})[.,]\d+(\s|$)", r"\1\2")
    return pd.Series(out.to_numpy(zero_copy_only=False), index=text.index, dtype="string")


def _zero_padded_iso(match: re.Match) -> str:
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _parse_naive(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Naive datetimes of clock texts (NaT where none reads) and the rows whose slash date
    order is ambiguous."""
    text = text.reset_index(drop=True)
    # year first with / or one-digit parts (2017/2/28): written as ISO for the ISO reader
    odd = text.str.contains(r"^\d{4}(?:/|-\d\D|-\d\d-\d\D)", regex=True).to_numpy(bool)
    if odd.any():
        text = text.copy()
        text[odd] = text[odd].str.replace(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?=[T\s])",
                                          _zero_padded_iso, regex=True)
    has_clock = text.str.contains(r"\d[:.]\d\d(?:\D|$)|T\d", regex=True).to_numpy(bool)
    result = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    ambiguous = np.zeros(len(text), dtype=bool)
    iso = has_clock & text.str.match(r"^\d{4}-\d{2}-\d{2}").to_numpy(bool)
    if iso.any():
        result[iso] = _naive_array(pd.to_datetime(text[iso], format="ISO8601", errors="coerce"))
    rest = has_clock & np.isnat(result)
    plain = text.copy()
    slash = np.zeros(len(text), dtype=bool)
    first = second = np.full(len(text), np.nan)
    if rest.any():
        # other forms have no fractions of a second in their formats: drop them
        plain[rest] = _strip_fractions(text[rest])
        slash = rest & plain.str.contains(r"^\d{1,2}/\d{1,2}/\d{4}\s", regex=True).to_numpy(bool)
    if slash.any():
        parts = plain[slash].str.extract(r"^(\d{1,2})/(\d{1,2})/")
        first, second = np.full(len(text), np.nan), np.full(len(text), np.nan)
        first[slash] = pd.to_numeric(parts[0], errors="coerce").to_numpy(float)
        second[slash] = pd.to_numeric(parts[1], errors="coerce").to_numpy(float)
    for fmt in _DAYFIRST:
        todo = has_clock & ~slash & ~iso & np.isnat(result)
        if not todo.any():
            break
        result[todo] = _naive_array(pd.to_datetime(plain[todo], format=fmt, errors="coerce"))
    if slash.any():
        day_first, month_first = slash & (first > 12), slash & (second > 12)
        twelve_hour = plain.str.contains(r"[AaPp]\.?[Mm]\.?$", regex=True).to_numpy(bool)
        if day_first.any() and month_first.any():
            orders = {"dmy": day_first, "mdy": month_first}
            ambiguous = slash & ~day_first & ~month_first & (first != second)
            orders["dmy"] = orders["dmy"] | (slash & (first == second))
        elif month_first.any():
            orders = {"mdy": slash}
        elif day_first.any():
            orders = {"dmy": slash}
        else:  # no evidence: European day-first, but a 12-hour clock is a US month-first export
            orders = {"dmy": slash & ~twelve_hour, "mdy": slash & twelve_hour}
        for order, rows in orders.items():
            for fmt in _SLASH[order]:
                todo = rows & np.isnat(result)
                if not todo.any():
                    break
                result[todo] = _naive_array(pd.to_datetime(plain[todo], format=fmt,
                                                           errors="coerce"))
    return result, ambiguous


def _naive_array(parsed: pd.Series) -> np.ndarray:
    index = pd.DatetimeIndex(parsed)
    if index.tz is not None:
        index = index.tz_localize(None)
    return index.to_numpy().astype("datetime64[us]")


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


def parse_local_days(values: pd.Series, *, tz: str = "Europe/Belgrade"
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The local calendar day of each cell of a date column: (days as datetime64[D], blank,
    bad, timed).

    A plain date is taken as written. A date written as a time (``2017-02-28 00:00:00``, an
    Excel datetime, ``2017-02-28T05:00:00+00``) gives the day it falls on in ``tz``; ``timed``
    marks those whose local clock is not midnight (the column holds more than a date).

    >>> days, blank, bad, timed = parse_local_days(pd.Series(
    ...     ["2017-02-28", "2017-02-28T05:00:00+00", "28.02.2017", ""]), tz="America/Toronto")
    >>> [str(d) for d in days], timed.tolist()
    (['2017-02-28', '2017-02-28', '2017-02-28', 'NaT'], [False, False, False, False])
    """
    parsed = parse_times(values, tz=tz)
    local = pd.DatetimeIndex(parsed.utc).tz_convert(tz).tz_localize(None)
    days = local.normalize().to_numpy().astype("datetime64[D]")
    timed = ~np.isnat(days) & (local.to_numpy() != local.normalize().to_numpy())
    plain, bad_plain = parse_day(values.reset_index(drop=True))
    only = parsed.date_only | (parsed.bad & ~bad_plain)
    days = np.where(only, plain.to_numpy().astype("datetime64[D]"), days)
    bad = ~parsed.blank & np.isnat(days)
    return days, parsed.blank, bad, timed
