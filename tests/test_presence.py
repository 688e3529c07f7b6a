"""Time bands and patrol presence: hand-made tracks with known answers, and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo._errors import UsageError
from geo.analysis.bands import (
    DEFAULT_BANDS,
    Band,
    band_masks,
    local_clock,
    month_number,
    parse_bands,
)
from geo.analysis.cells import area_to_cells, points_to_cells
from geo.analysis.partials import add_partials, batches_with_context, presence_partials
from geo.analysis.presence import pings_to_presence, posts_to_presence
from geo.inputs.area import default_area

AREA = default_area()
CELLS = area_to_cells(AREA, res=9)
X = (42.8938, 20.8652)  # city centre
Y = (42.8950, 20.8600)  # another res-9 cell
T0 = pd.Timestamp("2025-06-01 20:00", tz="UTC")  # 22:00 local: night


def _cell(point) -> int:
    return int(points_to_cells(np.array([point[0]]), np.array([point[1]]), res=9)[0])


def _pings(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "unit": [r[0] for r in rows],
        "time": [T0 + pd.Timedelta(seconds=r[1]) for r in rows],
        "lat": [r[2][0] for r in rows], "lng": [r[2][1] for r in rows],
    })


def test_local_clock_follows_daylight_saving():
    times = pd.to_datetime(["2025-01-15 21:30", "2025-07-15 20:30", "2025-03-30 00:59",
                            "2025-03-30 01:00"], utc=True)
    hour, weekday = local_clock(times)
    np.testing.assert_allclose(hour, [22.5, 22.5, 1 + 59 / 60, 3.0])
    assert weekday.tolist() == [2, 1, 6, 6]  # Wednesday, Tuesday, Sunday, Sunday


def test_default_bands_split_the_clock():
    # local: Fri 06:00, Sat 12:00, Sat 19:30, Sat 22:00
    times = pd.to_datetime(["2025-06-06 04:00", "2025-06-07 10:00", "2025-06-07 17:30",
                            "2025-06-07 20:00"], utc=True)
    masks = band_masks(times)
    assert masks["day"].tolist() == [True, True, False, False]
    assert masks["evening"].tolist() == [False, False, True, False]
    assert masks["night"].tolist() == [False, False, False, True]
    assert masks["weekend"].tolist() == [False, True, True, True]
    assert (masks["day"] | masks["evening"] | masks["night"]).all()


def test_custom_bands_and_bad_specs():
    bands = parse_bands("late=23-03@weekend, early=05:30-08")
    assert bands[1] == Band("late", 23, 3, frozenset({5, 6}))
    assert bands[2].hours_per_day == 2.5
    for bad in ("night", "night=25-06", "x=1-2,x=3-4", "n=22-06@holiday"):
        with pytest.raises(UsageError):
            parse_bands(bad)


def test_presence_of_a_hand_made_track():
    rows = [  # unit, seconds after T0, place; given out of order on purpose
        ("A", 60, X), ("A", 0, X), ("A", 30, X), ("A", 90, Y),  # crosses into Y at 90 s
        ("A", 400, Y),   # 310 s silence: only the 120 s cap counts
        ("A", 430, Y),   # last ping: stands for nothing
        ("B", 0, Y), ("B", 45, Y),
    ]
    presence = pings_to_presence(_pings(rows), CELLS, res=9, cap_s=120)
    minutes = presence.minutes["all"]
    assert minutes[_cell(X)] == pytest.approx(90 / 60)
    assert minutes[_cell(Y)] == pytest.approx((120 + 30 + 45) / 60)
    assert minutes.sum() == pytest.approx((90 + 150 + 45) / 60)
    assert presence.visits["all"][_cell(X)] == 1
    assert presence.visits["all"][_cell(Y)] == 3  # A twice (split by the gap), B once
    assert presence.capped == 1 and presence.intervals == 6
    assert presence.minutes["night"].equals(presence.minutes["all"])
    assert presence.minutes["day"].sum() == 0


def test_stops_of_ten_to_sixteen_minutes():
    rng = np.random.default_rng(3)

    def still(unit, start_s, minutes, place):
        n = minutes + 1
        jitter = rng.normal(0, 4e-5, (n, 2))  # ~4 m
        return [(unit, start_s + 60 * i, (place[0] + jitter[i, 0], place[1] + jitter[i, 1]))
                for i in range(n)]

    walk = [("W", 60 * i, (X[0] + 7e-4 * i, X[1])) for i in range(15)]  # ~78 m a minute
    rows = still("S", 0, 12, X) + still("L", 0, 25, X) + walk
    stops = pings_to_presence(_pings(rows), CELLS, res=9).stops
    assert stops["all"][_cell(X)] == 1  # S only: L is too long, W is moving
    assert stops["all"].sum() == 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 7200),
                          st.sampled_from([X, Y, (42.9000, 20.8700)])), min_size=1,
                max_size=80), st.sampled_from([30.0, 120.0, 600.0]))
def test_presence_never_exceeds_wall_clock_per_unit(rows, cap):
    pings = _pings(rows).drop_duplicates(["unit", "time"])
    presence = pings_to_presence(pings, CELLS, res=9, cap_s=cap)
    span = pings.groupby("unit")["time"].agg(lambda s: (s.max() - s.min()).total_seconds())
    assert presence.minutes["all"].sum() * 60 <= span.sum() + 1e-6
    assert presence.visits["all"].sum() >= pings["unit"].nunique()
    assert (presence.minutes.drop(columns="all").sum() >= 0).all()
    bands_sum = presence.minutes[["day", "evening", "night"]].sum(axis=1)
    np.testing.assert_allclose(bands_sum, presence.minutes["all"])


def test_posts_cover_cells_within_reach_during_staffed_hours():
    posts = pd.DataFrame({"lat": [X[0]], "lng": [X[1]], "start_min": [18 * 60],
                          "end_min": [2 * 60], "active_from": [pd.NaT], "active_to": [pd.NaT]})
    period = (pd.Timestamp("2025-05-31 22:00", tz="UTC"),  # 1 June 00:00 local
              pd.Timestamp("2025-06-10 10:00", tz="UTC"))  # 10 June 12:00 local
    minutes, covered = posts_to_presence(posts, CELLS, period=period, reach_m=400)
    centre = _cell(X)
    assert minutes.loc[centre, "night"] == 10 * 240   # 22:00-02:00 on 10 days
    assert minutes.loc[centre, "evening"] == 10 * 240  # 18:00-22:00
    assert minutes.loc[centre, "day"] == 0
    assert minutes.loc[centre, "weekend"] == 3 * 480  # Sun 1, Sat 7, Sun 8 June
    from geo.analysis.cells import cells_to_latlng

    lat, lng = cells_to_latlng(CELLS)
    dy = (lat - X[0]) * 111_132
    dx = (lng - X[1]) * 111_132 * np.cos(np.radians(X[0]))
    expected = np.hypot(dx, dy) <= 400
    assert covered["night"].to_numpy().tolist() == expected.tolist()
    assert 1 < expected.sum() < 10
    later = posts.assign(active_from=pd.Timestamp("2025-06-08"))
    minutes, _ = posts_to_presence(later, CELLS, period=period, reach_m=400)
    assert minutes.loc[centre, "night"] == 2 * 240 + 120  # the shift of 10 June ends after it


def _posts(rows) -> pd.DataFrame:
    """Posts from (lat, lng, "HH:MM" from, "HH:MM" to, active_from or None)."""
    return pd.DataFrame({
        "lat": [r[0] for r in rows], "lng": [r[1] for r in rows],
        "start_min": [int(r[2][:2]) * 60 + int(r[2][3:]) for r in rows],
        "end_min": [int(r[3][:2]) * 60 + int(r[3][3:]) for r in rows],
        "active_from": [pd.Timestamp(r[4]) if r[4] else pd.NaT for r in rows],
        "active_to": pd.NaT})


def test_a_post_counts_its_minutes_once_in_its_own_cell():
    posts = _posts([(*X, "08:00", "20:00", None)])  # a post staffed only by day
    period = (pd.Timestamp("2025-06-01 08:00", tz="UTC"), pd.Timestamp("2025-06-07 20:00",
                                                                        tz="UTC"))
    minutes, covered = posts_to_presence(posts, CELLS, period=period, reach_m=400)
    assert minutes["all"].sum() == 7 * 720  # staffed minutes, once
    assert minutes.loc[_cell(X), "all"] == 7 * 720
    assert (minutes.drop(index=_cell(X))["all"] == 0).all()
    assert minutes["night"].sum() == 0 and minutes.loc[_cell(X), "day"] == 7 * 600
    assert covered["day"].sum() > 1 and not covered["night"].any()  # coverage is by reach


@pytest.mark.parametrize(("day", "hours"), [("2025-03-29", 7), ("2025-10-25", 9),
                                            ("2025-06-14", 8)])
def test_posts_across_a_clock_change_count_real_minutes(day, hours):
    posts = _posts([(*X, "22:00", "06:00", day)])
    local = pd.Timestamp(day, tz="Europe/Belgrade")
    period = (local.tz_convert("UTC"), (local + pd.Timedelta(hours=36)).tz_convert("UTC"))
    minutes, _ = posts_to_presence(posts, CELLS, period=period)
    # the shift from the evening of `day` to 06:00 the next morning, nothing before it, and
    # the first two hours of the next evening's shift (the period ends at midnight)
    assert minutes.loc[_cell(X), "night"] == hours * 60 + 120
    assert minutes.loc[_cell(X), "all"] == hours * 60 + 120
    from geo.analysis.presence import posts_week_hours

    assert posts_week_hours(posts, period=period).sum() == pytest.approx(hours + 2)


def _outside_cell_that_sorts_next_to(cells: np.ndarray) -> tuple[tuple, tuple]:
    """(outside point, inside point) whose cells sit side by side in sorted order, so that a
    clipped position of the outside cell equals the inside cell's."""
    import h3

    from geo.analysis.cells import cells_to_str, str_to_cells

    ring = set()
    for c in cells_to_str(cells[::7]):
        ring |= set(h3.grid_disk(c, 3))
    outside = np.sort(np.setdiff1d(str_to_cells(sorted(ring)), cells))
    pos = np.searchsorted(cells, outside)
    ok = np.flatnonzero(pos < len(cells))
    far = outside[ok[0]]
    near = cells[pos[ok[0]]]
    return (h3.cell_to_latlng(format(int(far), "x")), h3.cell_to_latlng(format(int(near), "x")))


def test_visits_are_entries_even_right_after_an_outside_ping():
    outside, inside = _outside_cell_that_sorts_next_to(CELLS)
    rows = [("A", 0, outside), ("A", 30, inside), ("A", 60, inside),  # enters from outside
            ("B", 0, inside), ("B", 30, outside), ("B", 60, inside)]  # leaves and comes back
    presence = pings_to_presence(_pings(rows), CELLS, res=9)
    assert presence.visits["all"][_cell(inside)] == 3
    assert presence.minutes["all"][_cell(inside)] == pytest.approx((30 + 30) / 60)


def _still(unit, start_s, minutes, place, *, jump_at=None):
    rng = np.random.default_rng(11)
    rows = []
    for i in range(minutes + 1):
        lat, lng = place[0] + rng.normal(0, 3e-5), place[1] + rng.normal(0, 3e-5)
        if i == jump_at:
            lat += 8e-4  # one ping 90 m off
        rows.append((unit, start_s + 60 * i, (lat, lng)))
    return rows


def test_one_gps_jump_does_not_split_a_stop():
    long_stop = _still("L", 0, 24, X, jump_at=12)  # 24 minutes: halves would be two stops
    short_stop = _still("S", 0, 12, Y, jump_at=6)  # 12 minutes: still one stop
    stops = pings_to_presence(_pings(long_stop + short_stop), CELLS, res=9).stops["all"]
    assert stops[_cell(X)] == 0
    assert stops[_cell(Y)] == 1
    walk = [("W", 60 * i, (X[0] + 7e-4 * i, X[1])) for i in range(15)]  # moving: no jump
    assert pings_to_presence(_pings(walk), CELLS, res=9).stops["all"].sum() == 0


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("ABC"), st.integers(0, 4 * 86400),
                          st.sampled_from([X, Y])), min_size=1, max_size=60),
       st.lists(st.tuples(st.sampled_from([X, Y]), st.sampled_from(["00:00", "08:00", "22:00"]),
                          st.sampled_from(["06:00", "20:00", "00:00"])), max_size=4))
def test_presence_in_a_cell_never_exceeds_the_period_times_units_and_posts(rows, post_rows):
    pings = _pings(rows).drop_duplicates(["unit", "time"])
    period = (T0, T0 + pd.Timedelta(days=4))
    presence = pings_to_presence(pings, CELLS, res=9, cap_s=600)
    posts = _posts([(*p, a, b, None) for p, a, b in post_rows])
    post_min, _ = posts_to_presence(posts, CELLS, period=period)
    local = [pd.Timestamp(t).tz_convert("Europe/Belgrade").normalize() for t in period]
    hours = ((local[1] + pd.Timedelta(days=1)) - local[0]).total_seconds() / 3600
    ping_cell = points_to_cells(pings["lat"].to_numpy(), pings["lng"].to_numpy(), res=9)
    for cell in (_cell(X), _cell(Y)):
        present = pings.loc[ping_cell == cell, "unit"].nunique()
        n_posts = sum(_cell(p) == cell for p, _, _ in post_rows)
        total_h = (presence.minutes.loc[cell, "all"] + post_min.loc[cell, "all"]) / 60
        assert total_h <= hours * (present + n_posts) + 1e-9


def _track(draw_steps: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """Pings of a few units from (unit, seconds to the next ping, north step, east step):
    steps of a few metres (stops), tens of metres (driving) and lone jumps, gaps over the
    cap, across a local midnight and a month's end."""
    start = pd.Timestamp("2025-05-31 21:50", tz="UTC")
    rows, clock, place = [], {}, {}
    for unit, wait, north, east in draw_steps:
        name = "ABC"[unit]
        clock[name] = clock.get(name, 0) + wait
        lat, lng = place.get(name, X)
        place[name] = (lat + north * 1e-5, lng + east * 1e-5)
        rows.append((name, start + pd.Timedelta(seconds=clock[name]), *place[name]))
    return pd.DataFrame(rows, columns=["unit", "time", "lat", "lng"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from([1, 10, 60, 60, 60, 200, 900]),
                          st.sampled_from([-40, -2, 0, 0, 1, 3, 40]),
                          st.sampled_from([-40, -1, 0, 0, 2, 40])), min_size=1, max_size=120),
       st.integers(1, 40))
def test_batches_cut_anywhere_add_up_to_the_whole(steps, size):
    pings = _track(steps).sort_values(["unit", "time"], kind="stable", ignore_index=True)
    unit = pd.factorize(pings["unit"])[0]
    t_us = pd.DatetimeIndex(pings["time"]).as_unit("us").asi8
    lat, lng = pings["lat"].to_numpy(), pings["lng"].to_numpy()
    kernel = {"cells": CELLS, "res": 9, "bands": DEFAULT_BANDS, "cap_s": 120.0,
              "months": (month_number("2025-05"), 2)}
    whole = presence_partials(unit, t_us, lat, lng, **kernel)
    batches = batches_with_context(unit, t_us, size)
    owned = np.concatenate([np.arange(own_lo, own_hi) for _, _, own_lo, own_hi in batches])
    assert owned.tolist() == list(range(len(pings)))  # every ping owned once, in order
    parts = []
    for lo, hi, own_lo, own_hi in batches:
        assert lo <= own_lo < own_hi <= hi
        assert (unit[lo:own_lo] == unit[own_lo]).all()  # context of the cut unit only
        assert (unit[own_hi:hi] == unit[own_hi - 1]).all()
        mine = np.zeros(hi - lo, dtype=bool)
        mine[own_lo - lo:own_hi - lo] = True
        parts.append(presence_partials(unit[lo:hi], t_us[lo:hi], lat[lo:hi], lng[lo:hi],
                                       owned=mine, **kernel))
    summed = add_partials(parts)
    for key in ("cell", "band", "minutes_us", "visits", "stops", "week_us", "interval_counts"):
        np.testing.assert_array_equal(getattr(summed, key), getattr(whole, key), err_msg=key)
    assert (summed.intervals, summed.capped, summed.pings) == (
        whole.intervals, whole.capped, whole.pings)


def test_presence_in_small_batches_is_the_presence_in_one(monkeypatch):
    rng = np.random.default_rng(5)
    steps = []
    for _ in range(40):  # each unit: a 12-minute stop, a drive, a silence over the cap
        unit = int(rng.integers(0, 3))
        steps += [(unit, 60, int(rng.integers(-1, 2)), int(rng.integers(-1, 2)))
                  for _ in range(13)]
        steps += [(unit, 20, int(rng.integers(-40, 41)), int(rng.integers(-40, 41)))
                  for _ in range(15)]
        steps.append((unit, 400, 0, 0))
    pings = _track(steps)
    one = pings_to_presence(pings, CELLS, res=9)
    monkeypatch.setattr("geo.analysis.presence._BATCH", 97)  # many batches in threads
    many = pings_to_presence(pings, CELLS, res=9, chunk=500)
    for frame in ("minutes", "visits", "stops"):
        pd.testing.assert_frame_equal(getattr(many, frame), getattr(one, frame),
                                      check_exact=True)
    assert one.stops.to_numpy().sum() > 0 and one.visits.to_numpy().sum() > 0
    np.testing.assert_array_equal(many.week_minutes, one.week_minutes)
    np.testing.assert_array_equal(many.interval_counts, one.interval_counts)
