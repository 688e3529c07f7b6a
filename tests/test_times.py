"""Times read exactly as written: every offset form, date order, a date with a time of day."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.inputs._clock import parse_time_of_day
from geo.inputs._times import AMBIGUOUS_ORDER, BAD_OFFSET, ZONE_NAME, parse_local_days, parse_times
from geo.inputs._timing import clock_notes, zone_note

UTC_0500 = "2017-02-28 05:00:00+00:00"


@pytest.mark.parametrize("text", [
    "2017-02-28 05:00:00+00", "2017/02/28 05:00:00+00", "2017-02-28T05:00:00Z",
    "2017-02-28T05:00:00z", "2017-02-28 05:00:00 UTC", "2017-02-28 05:00:00+0000",
    "2017-02-28 05:00:00+00:00", "2017-02-28T05:00:00.000+00:00", "2017-02-28 05:00 +00",
    "2017-02-28 06:00:00+01", "2017-02-28 00:00:00-05:00", "2017-02-28 10:30:00+0530",
    "2017-02-28 06:00 GMT+1", "2017/2/28 5:00:00 UTC", "28.02.2017 06:00+01:00",
    "02/28/2017 12:00:00 AM -05:00",
])
def test_every_offset_form_gives_the_same_instant(text):
    parsed = parse_times(pd.Series([text]))
    assert str(parsed.utc[0]) == UTC_0500
    assert parsed.has_offset[0] and not parsed.bad[0]


def test_a_two_digit_offset_is_never_read_as_local_time():
    # the silent 5-hour (here 1-hour) shift: +00 must not become Belgrade clock time
    parsed = parse_times(pd.Series(["2017-02-28 05:00:00+00", "2017-02-28 05:00:00"]))
    assert [str(t) for t in parsed.utc] == [UTC_0500, "2017-02-28 04:00:00+00:00"]


def test_ambiguous_zones_and_impossible_offsets_are_rejected_with_a_reason():
    parsed = parse_times(pd.Series(["2017-02-28 05:00:00 EST", "2017-02-28 05:00 Europe/Paris",
                                    "2017-02-28 05:00:00+15:00", "2017-02-28 05:00+01:75",
                                    "2017-02-28 05:00:00+01"]))
    reasons = {reason: mask.nonzero()[0].tolist() for mask, reason in parsed.problems
               if mask.any()}
    assert reasons == {ZONE_NAME: [0, 1], BAD_OFFSET: [2, 3]}
    assert parsed.utc[:4].isna().all() and str(parsed.utc[4]) == "2017-02-28 04:00:00+00:00"
    assert not parsed.bad.any()


def test_slash_dates_take_the_order_the_column_shows():
    us = parse_times(pd.Series(["02/28/2017 05:00", "03/04/2017 05:00"]))  # 28 > 12: month first
    assert [t.strftime("%m-%d") for t in us.utc] == ["02-28", "03-04"]
    eu = parse_times(pd.Series(["28/02/2017 05:00", "03/04/2017 05:00"]))  # day first
    assert [t.strftime("%m-%d") for t in eu.utc] == ["02-28", "04-03"]
    mixed = parse_times(pd.Series(["28/02/2017 05:00", "02/28/2017 05:00", "03/04/2017 05:00",
                                   "04/04/2017 05:00"]))
    ambiguous = {r: m for m, r in mixed.problems}[AMBIGUOUS_ORDER]
    assert ambiguous.tolist() == [False, False, True, False]
    assert [None if pd.isna(t) else t.strftime("%m-%d") for t in mixed.utc] == [
        "02-28", "02-28", None, "04-04"]


def test_written_clock_is_kept_for_the_midnight_check():
    parsed = parse_times(pd.Series(["2025-06-01 00:00:00", "2025-06-01T21:35:00+02:00"]))
    assert parsed.written_min.tolist() == [0.0, 21 * 60 + 35]


@pytest.mark.parametrize(("values", "name", "kind", "minutes"), [
    ([0, 5, 23], "occurrencehour", "hours 0-23", [0, 300, 1380]),
    (["0", "13", "7"], "HOUR", "hours 0-23", [0, 780, 420]),
    ([2130, 845, 5, 1200], "TIME OCC", "HHMM", [1290, 525, 5, 720]),
    ([0, 75, 1439, 600], "time", "minutes after midnight", [0, 75, 1439, 600]),
    ([30, 600], "minutes_after_midnight", "minutes after midnight", [30, 600]),
    (["21:35", "9:05 PM", "12:00 AM", "07.30", "23:59:59"], "vreme", "clock time",
     [1295, 1265, 0, 450, 1439 + 59 / 60]),
    ([dt.time(21, 35), dt.time(0, 5)], "ora", "clock time", [1295, 5]),
    ([0.5, 0.75], "time", "fraction of a day", [720, 1080]),
])
def test_time_of_day_in_every_form(values, name, kind, minutes):
    tod = parse_time_of_day(pd.Series(values, dtype=object), name=name)
    assert tod.kind == kind
    np.testing.assert_allclose(tod.minutes, minutes)
    assert not tod.bad.any()


def test_bad_times_of_day_get_the_reason_of_their_kind():
    hours = parse_time_of_day(pd.Series([3, 24, 7.5, None]), name="occurrencehour")
    assert hours.bad.tolist() == [False, True, True, False] and hours.blank.tolist()[3]
    assert hours.reason == "hour is not a whole number 0-23"
    hhmm = parse_time_of_day(pd.Series([2130, 2400, 1259]), name="time_occ")
    assert hhmm.kind == "HHMM" and hhmm.bad.tolist() == [False, True, False]
    minutes = parse_time_of_day(pd.Series([2130, 75, 1260]), name="time_occ")  # 75: not HHMM
    assert minutes.kind == "minutes after midnight"
    assert minutes.bad.tolist() == [True, False, False]
    clock = parse_time_of_day(pd.Series(["21:35", "25:00", "noon"]))
    assert clock.bad.tolist() == [False, True, True]


def test_a_date_column_gives_local_days_even_when_written_as_utc_midnight():
    # Toronto writes the day as the UTC time of its local midnight: 05:00Z in winter, 04:00Z
    # in summer; read in Toronto time both are that very day, at midnight
    values = pd.Series(["2017-02-28T05:00:00.000Z", "2017-07-15T04:00:00.000Z", "2017-03-12",
                        "", "not a date"])
    days, blank, bad, timed = parse_local_days(values, tz="America/Toronto")
    assert [str(d) for d in days[:3]] == ["2017-02-28", "2017-07-15", "2017-03-12"]
    assert blank.tolist() == [False, False, False, True, False]
    assert bad.tolist() == [False, False, False, False, True]
    assert not timed.any()
    _, _, _, timed_belgrade = parse_local_days(values[:2], tz="Europe/Belgrade")
    assert timed_belgrade.all()  # 06:00 in Belgrade: not a date at midnight there


def test_most_times_at_midnight_are_pointed_out():
    written = np.array([0.0] * 8 + [600.0, 1290.0])
    note = clock_notes(written, np.zeros(10, bool), np.ones(10, bool), hour_column="hour")
    assert len(note) == 1 and "8 of 10 times (80%) are exactly 00:00" in note[0]
    last = clock_notes(np.full(12, 1439.99999), np.ones(12, bool), np.ones(12, bool))
    assert "12 of 12 times" in last[0] and "24:00" in last[0]  # 23:59:59.9999 with offsets
    assert "--no-times" in note[0] and "--hour-col hour" in note[0]
    assert clock_notes(np.array([0.0, 600, 700, 800]), np.zeros(4, bool), np.ones(4, bool)) == []
    # Toronto's 05:00Z (winter) and 04:00Z (summer) local midnights
    utc = np.array([300.0] * 7 + [240.0] * 5 + [615.0])
    note = clock_notes(utc, np.ones(13, bool), np.ones(13, bool))
    assert "12 of 13 times" in note[0] and "05:00" in note[0]


def _notes_by_counting(written, has_offset, ok):
    """clock_notes' rule written out one value at a time: the oracle."""
    from collections import Counter

    kept = [(round(w * 1000), o) for w, o, k in zip(written, has_offset, ok, strict=True)
            if k and np.isfinite(w)]
    n = len(kept)
    if n < 3:
        return "none"
    counts = Counter(key for key, _ in kept)
    if counts[0] / n > 0.5:
        return f"midnight {counts[0]}"
    if n < 10 or not sum(o for _, o in kept) / n > 0.5:
        return "none"
    top = min(counts, key=lambda key: (-counts[key], key))
    pair = counts[top] + counts[top + 60_000] + counts[top - 60_000]
    return f"pair {pair} {top // 60_000:02d}:{top // 1000 % 60:02d}" if pair / n > 0.5 \
        else "none"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 240.0, 300.0, 360.0, 615.5, 1439.99,
                                           1439.9999, float("nan")]) | st.floats(0, 1439.999),
                          st.booleans(), st.booleans()), min_size=0, max_size=40))
def test_clock_notes_count_as_one_by_one_counting_does(rows):
    """Also at the day's last millisecond, which rounds to 24:00."""
    written = np.array([w for w, _, _ in rows], dtype=float)
    has_offset = np.array([o for _, o, _ in rows], dtype=bool)
    ok = np.array([k for _, _, k in rows], dtype=bool)
    note = clock_notes(written, has_offset, ok)
    expected = _notes_by_counting(written, has_offset, ok)
    if expected == "none":
        assert note == []
    elif expected.startswith("midnight"):
        assert note[0].startswith(f"{expected.split()[1]} of ")
    else:
        _, pair, clock = expected.split()
        assert note[0].startswith(f"{int(pair):,} of ") and f"at {clock}" in note[0]


def test_a_zone_far_from_the_data_is_pointed_out():
    ok = np.ones(4, bool)
    note = zone_note(np.array([-79.38, -79.40, -79.39, -79.41]), ok, "Europe/Belgrade",
                     given=False)
    assert "longitude -79.4" in note[0] and "UTC-05:00" in note[0] and "--tz" in note[0]
    assert zone_note(np.array([20.86] * 4), ok, "Europe/Belgrade", given=False) == []
    assert zone_note(np.array([-79.4] * 4), ok, "America/Toronto", given=True) == []


@settings(max_examples=60, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2030, 12, 31)),
       st.integers(-12 * 4, 14 * 4),
       st.sampled_from(["{d}T{t}{o}", "{d} {t}{o}", "{d} {t} {o}"]),
       st.sampled_from(["+HH:MM", "+HHMM", "+HH"]))
def test_any_instant_with_any_offset_form_comes_back_exactly(moment, quarters, layout, form):
    """An independent oracle: Python's own datetime arithmetic."""
    moment = moment.replace(microsecond=0)
    minutes = quarters * 15
    if form == "+HH" and minutes % 60:
        minutes -= minutes % 60
    sign = "+" if minutes >= 0 else "-"
    hh, mm = divmod(abs(minutes), 60)
    offset = {"+HH:MM": f"{sign}{hh:02d}:{mm:02d}", "+HHMM": f"{sign}{hh:02d}{mm:02d}",
              "+HH": f"{sign}{hh:02d}"}[form]
    text = layout.format(d=moment.strftime("%Y-%m-%d"), t=moment.strftime("%H:%M:%S"),
                         o=offset)
    expected = (moment - dt.timedelta(minutes=minutes)).replace(tzinfo=dt.UTC)
    parsed = parse_times(pd.Series([text]))
    assert parsed.utc[0].to_pydatetime() == expected, text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-2 * 10**18, 3 * 10**18)), min_size=1,
                max_size=20),
       st.sampled_from(["s", "ms", "us", "ns"]),
       st.sampled_from(["UTC", "Europe/Belgrade", "America/Toronto", "Asia/Kolkata"]))
def test_zoned_times_keep_their_instant_and_written_clock(stamps, unit, zone):
    index = pd.DatetimeIndex([pd.NaT if s is None else pd.Timestamp(s, unit="ns")
                              for s in stamps]).tz_localize("UTC").as_unit(unit).tz_convert(zone)
    parsed = parse_times(pd.Series(index))
    assert parsed.utc.equals(pd.Series(index.tz_convert("UTC").as_unit(unit)).astype(
        "datetime64[us, UTC]"))
    expected = (index.hour * 60 + index.minute + index.second / 60).to_numpy(
        dtype=float, na_value=np.nan)
    np.testing.assert_array_equal(parsed.written_min, expected)
    assert parsed.has_offset.tolist() == [s is not None for s in stamps]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Belgrade", "America/Toronto"])
def test_zoned_times_read_as_utc_microseconds_as_pandas_converts_them(unit, zone):
    """Parquet's zoned times of every unit, NaT and times before 1970 among them, and more
    than a chunk of them (converted over the cores)."""
    stamps = ["2025-03-30 01:59:59.123", None, "2024-10-27 02:30:00.5", "1969-12-31 23:59:59"]
    index = pd.DatetimeIndex(stamps * 300_001, dtype=f"datetime64[{unit}, UTC]")
    values = pd.Series(index.tz_convert(zone))
    got = parse_times(values).utc
    expected = pd.Series(index.as_unit("us"))
    assert got.dtype == expected.dtype and got.equals(expected)
