"""A row's time: which columns hold it, how a date and a time of day combine, and what a
file's times say about it (mostly midnight, a time zone far from the data's place)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.inputs import _columns as names
from geo.inputs._clock import parse_time_of_day
from geo.inputs._columns import find_column, find_event_column, shown_columns
from geo.inputs._judge import Judge, Options
from geo.inputs._times import localize, parse_local_days, parse_times, resolve_repeated_hour
from geo.inputs.readers import RawTable

__all__ = ["judge_time", "time_columns", "clock_notes", "zone_note"]

MOSTLY = 0.5
"""Share of rows above which one clock time "dominates" a file."""


def time_columns(table: RawTable, opts: Options) -> tuple[str | None, str | None, str | None]:
    """(date-and-time column, date column, time-of-day column) of a table; the first, or the
    last two, are set. Columns given by the user win; otherwise they are found by name."""
    frame, path = table.frame, table.path
    cols = list(frame.columns)
    given = opts.time_col
    if isinstance(given, (tuple, list)):
        if len(given) != 2:
            msg = f"--time-col given {len(given)} times: give one column, or a date and a time"
            raise InputError(msg)
        date_given, hour_given = given
    elif opts.date_col or opts.hour_col:
        if given and opts.date_col and opts.hour_col:
            msg = "--time-col with --date-col and --hour-col: give a time column or the pair"
            raise InputError(msg)
        date_given = opts.date_col or given
        hour_given = opts.hour_col or (given if opts.date_col else None)
    else:
        date_given = hour_given = None
    if date_given or hour_given:
        date_c = (find_column(cols, (), given=date_given, path=path, option="--date-col")
                  if date_given else find_event_column(cols, names.DATE))
        tod_c = (find_column(cols, (), given=hour_given, path=path, option="--hour-col")
                 if hour_given else find_event_column(cols, names.TIME))
        if date_c is None or tod_c is None:
            which = "--date-col" if date_c is None else "--hour-col"
            msg = (f"{path}: no {'date' if date_c is None else 'time-of-day'} column to combine "
                   f"with; columns are {shown_columns(cols)}. Pass {which} to name it")
            raise InputError(msg)
        return None, date_c, tod_c
    time_c = find_column(cols, names.DATETIME, given=given, path=path, option="--time-col")
    if time_c is None:
        time_c = find_event_column(cols, names.DATETIME)
    if time_c is not None:
        return time_c, None, None
    date_c = find_event_column(cols, names.DATE)
    tod_c = find_event_column(cols, names.TIME)
    if date_c and tod_c and date_c != tod_c:
        return None, date_c, tod_c
    return date_c or tod_c, None, None


def judge_time(table: RawTable, opts: Options, judge: Judge, used: dict[str, str],
               notes: list[str], *, required: bool = True, no_times: bool = False,
               keys: np.ndarray | None = None) -> pd.Series | None:
    """UTC time of every row (NaT where it failed, with a reason in ``judge``).

    With ``keys`` (ping units), naive times in the repeated autumn hour are read as winter
    time once a unit's clock goes back. With ``no_times`` the file's times of day are not
    used: when a period is asked for (``--from``/``--to``), each row's local date is read (as
    the UTC time of its local midnight), else every time is NaT and no time column is needed.
    """
    frame, path = table.frame, table.path
    time_c, date_c, tod_c = time_columns(table, opts)
    if no_times:
        if not (opts.date_from or opts.date_to):
            return pd.Series(pd.NaT, index=range(len(frame)), dtype="datetime64[us, UTC]")
        column = date_c or time_c
        if column is None:
            msg = (f"{path}: --from/--to need a date column; columns are "
                   f"{shown_columns(frame.columns)}. Pass --date-col to name it")
            raise InputError(msg)
        used["date"] = column
        days, blank, bad, _ = parse_local_days(frame[column], tz=opts.tz)
        judge.fail(blank, column, "missing date")
        judge.fail(bad, column, "date is not a date", frame[column])
        return _midnights(days, opts.tz)
    if date_c and tod_c:
        return _judge_pair(table, opts, judge, used, notes, date_c, tod_c)
    if time_c is None:
        if not required:
            return None
        msg = (f"{path}: no date/time column found; columns are "
               f"{shown_columns(frame.columns)}. Pass --time-col to name it (--date-col and "
               "--hour-col for a date and an hour), or --no-times if the file has no times "
               "(the map then shows all hours together)")
        raise InputError(msg)
    used["time"] = time_c
    values = frame[time_c]
    parsed = parse_times(values, tz=opts.tz)
    judge.fail(parsed.blank, time_c, "missing date or time")
    for mask, reason in parsed.problems:
        judge.fail(mask, time_c, reason, values)
    judge.fail(parsed.bad, time_c, "time is not a date and time", values)
    judge.fail(parsed.date_only, time_c, "time of day missing (date only)", values)
    _judge_future(parsed.utc, judge, time_c, values)
    if len(frame) and parsed.date_only.mean() > MOSTLY:
        hour_c = find_event_column([c for c in frame.columns if c != time_c], names.TIME)
        notes.append(f"{int(parsed.date_only.sum()):,} of {len(frame):,} rows give a date "
                     f"without a time of day in {time_c!r}: pass --no-times to map them (all "
                     "hours together)" + (f", or --hour-col {hour_c}" if hour_c else
                                          ", or --hour-col if a column holds the hour"))
    notes.extend(clock_notes(parsed.written_min, parsed.has_offset, judge.ok,
                             hour_column=find_event_column(
                                 [c for c in frame.columns if c != time_c], names.TIME)))
    if keys is not None:
        return resolve_repeated_hour(parsed.utc, parsed.ambiguous, keys)
    return parsed.utc


def _judge_pair(table, opts, judge, used, notes, date_c: str, tod_c: str) -> pd.Series:
    frame = table.frame
    used.update(date=date_c, time=tod_c)
    days, d_blank, d_bad, timed = parse_local_days(frame[date_c], tz=opts.tz)
    tod = parse_time_of_day(frame[tod_c], name=tod_c)
    judge.fail(d_blank, date_c, "missing date")
    judge.fail(d_bad, date_c, "date is not a date", frame[date_c])
    judge.fail(tod.blank, tod_c, "missing time of day")
    judge.fail(tod.bad, tod_c, tod.reason, frame[tod_c])
    naive = days.astype("datetime64[us]") + (np.nan_to_num(tod.minutes) * 60e6).astype(
        np.int64).astype("timedelta64[us]")
    naive[np.isnat(days) | np.isnan(tod.minutes)] = np.datetime64("NaT")
    utc = pd.Series(pd.DatetimeIndex(localize(pd.DatetimeIndex(naive), opts.tz))
                    .tz_localize("UTC"))
    _judge_future(utc, judge, f"{date_c}+{tod_c}", None)
    if tod.kind != "clock time":
        notes.append(f"{tod_c!r} read as {tod.kind}, combined with the dates of {date_c!r}")
    ok = judge.ok
    if ok.any() and timed[ok].mean() > MOSTLY:
        notes.append(f"{date_c!r} also holds times of day; each row's time of day is taken "
                     f"from {tod_c!r}")
    notes.extend(clock_notes(tod.minutes, np.zeros(len(frame), bool), ok))
    return utc


def _midnights(days: np.ndarray, tz: str) -> pd.Series:
    return pd.Series(pd.DatetimeIndex(localize(pd.DatetimeIndex(days.astype("datetime64[us]")),
                                               tz)).tz_localize("UTC"))


def _judge_future(utc: pd.Series, judge: Judge, column: str, values) -> None:
    future = utc > pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    judge.fail(future.to_numpy(), column, "time is in the future", values)


_DAY_KEYS = 1440 * 1000
"""Thousandths of a minute in a day: the keys :func:`clock_notes` counts."""


def _clock_text(minute: float) -> str:
    return f"{int(minute) // 60:02d}:{int(minute) % 60:02d}"


def clock_notes(written_min: np.ndarray | None, has_offset: np.ndarray | None,
                ok: np.ndarray, *, hour_column: str | None = None) -> list[str]:
    """A note when most accepted times are one clock time: midnight (dates exported as
    datetimes), or a UTC hour that is another zone's midnight (``05:00+00`` in Toronto).

    >>> clock_notes(np.array([0.0, 0.0, 0.0, 615.0]), np.zeros(4, bool), np.ones(4, bool))[0][:40]
    '3 of 4 times (75%) are exactly 00:00 as '
    """
    if written_min is None or not ok.any():
        return []
    written = written_min[ok]
    finite = np.isfinite(written)
    # thousandths of a minute: a clock time as written, to the millisecond; counted in one
    # pass over the day's 1,440,000 of them (millions of pings: no sort)
    key = np.rint(written[finite] * 1000).astype(np.int64)
    n = len(key)
    if n < 3:
        return []
    fix = ("pass --no-times to map all hours together"
           + (f", or --hour-col {hour_column} if that column holds the hour" if hour_column
              else ", or --hour-col if a column holds the hour"))
    midnight = int(np.count_nonzero(key == 0))
    if midnight / n > MOSTLY:
        return [f"{midnight:,} of {n:,} times ({midnight / n:.0%}) are exactly 00:00 as "
                "written: the file probably holds dates without a time of day, which puts "
                f"them all in the night band; if so, {fix}"]
    offsets = has_offset[ok][finite] if has_offset is not None else np.zeros(n, bool)
    if n < 10 or not offsets.mean() > MOSTLY:
        return []
    counts = np.bincount(key, minlength=_DAY_KEYS + 60_001)  # 23:59:59.9995 rounds to 24:00
    top = int(np.argmax(counts))  # the earliest of equally common clock times
    hour = 60_000
    pair = counts[top] + counts[top + hour] + (counts[top - hour] if top >= hour else 0)
    if pair / n > MOSTLY:
        clock = _clock_text(top / 1000)
        return [f"{pair:,} of {n:,} times ({pair / n:.0%}) are at {clock} (or an hour from it) "
                "as written with their offset: dates stored as the UTC time of local midnight? "
                f"If so, {fix}"]
    return []


def zone_note(lng: np.ndarray, ok: np.ndarray, tz: str, *, given: bool) -> list[str]:
    """A note when the data lie far from the time zone their times are read in: a city's
    local hours (and so every band) would be shifted.

    >>> zone_note(np.array([-79.4] * 5), np.ones(5, bool), "Europe/Belgrade", given=False)[0][:46]
    'The data lie near longitude -79.4 (solar time '
    """
    if not ok.any():
        return []
    centre = float(np.median(lng[ok]))
    solar = centre / 15
    zone = ZoneInfo(tz)
    offsets = [pd.Timestamp(f"2025-{m:02d}-15").tz_localize(zone).utcoffset().total_seconds()
               / 3600 for m in (1, 7)]
    if min(abs(o - solar) for o in offsets) <= 3.5:
        return []
    where = "UTC" + ("+" if solar >= 0 else "-") + _clock_text(abs(round(solar)) * 60)
    zone_offset = "UTC" + ("+" if offsets[0] >= 0 else "-") + _clock_text(abs(offsets[0]) * 60)
    source = "--tz" if given else "the default --tz"
    return [f"The data lie near longitude {centre:.1f} (solar time about {where}), but local "
            f"hours are read in {tz} ({zone_offset}, {source}): every time band would be "
            "shifted. Pass --tz with the place's zone, e.g. --tz America/Toronto"]
