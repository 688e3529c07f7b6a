"""Reported patrol visits: checked like other inputs, joining presence and gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import INSIDE_LATLNG, write_text

from geo.analysis.bands import DEFAULT_BANDS
from geo.analysis.cells import points_to_cells
from geo.analysis.reported import visits_to_presence, visits_week_minutes
from geo.inputs.area import default_area
from geo.inputs.validate import Options, read_patrol_points

AREA = default_area()


def _log(tmp_path, rows, header="unit,lat,lon,time,duration"):
    return write_text(tmp_path / "visits.csv", header + "\n" + "\n".join(rows) + "\n")


def test_a_visit_log_is_checked_like_other_inputs(tmp_path):
    (a, b), (c, d) = INSIDE_LATLNG[:2]
    rows = [f"P1,{a},{b},2025-06-02 21:50,20",      # 2 accepted
            f"P1,{a},{b},2025-06-02 21:50,20",      # 3 duplicate
            f"P2,{c},{d},2025-06-02 08:00,0:45",    # 4 accepted, 45 minutes
            f"P2,{c},{d},2025-06-02 09:00,",        # 5 accepted, the default
            f"P2,{c},{d},2025-06-02 10:00,-5",      # 6 not positive
            f"P2,{c},{d},2025-06-02 11:00,soon",    # 7 not minutes
            f"P2,{c},{d},2025-06-02 12:00,2000",    # 8 over a day
            "P3,42.80,20.86,2025-06-02 12:00,15",  # 9 outside the area
            f",{c},{d},2025-06-02 13:00,15"]        # 10 no unit
    checked = read_patrol_points(_log(tmp_path, rows), area=AREA,
                                 options=Options(visit_minutes=12))
    assert checked.accepted["row"].tolist() == [2, 4, 5]
    assert checked.accepted["minutes"].tolist() == [20.0, 45.0, 12.0]
    assert checked.accepted["timed"].tolist() == [True, True, False]
    assert dict(zip(checked.rejects["row"], checked.rejects["reason"], strict=True)) == {
        3: "duplicate visit (same unit, time and place)", 6: "duration is not positive",
        7: "duration is not a number of minutes", 8: "duration is longer than a day",
        9: "outside the study area", 10: "missing unit id"}
    assert checked.rows_read == 9 == len(checked.accepted) + checked.judged.rejected
    assert "reported patrol visits: 9 rows read, 3 accepted" in checked.summary()
    assert any("1 visits give no duration: each counts 12 minutes" in n for n in checked.notes)


def test_without_a_duration_column_the_default_is_stated(tmp_path):
    a, b = INSIDE_LATLNG[0]
    checked = read_patrol_points(_log(tmp_path, [f"{a},{b},2025-06-02 21:50"],
                                      header="lat,lon,time"), area=AREA)
    assert checked.accepted["minutes"].tolist() == [15.0]
    assert "each visit counts 15 minutes" in checked.summary()


def test_minutes_fall_in_the_bands_and_hours_they_span():
    cells = np.unique(points_to_cells(np.array([p[0] for p in INSIDE_LATLNG[:2]]),
                                      np.array([p[1] for p in INSIDE_LATLNG[:2]]), res=9))
    visits = pd.DataFrame({
        # Monday 2 June 2025, local (UTC+2): 21:50 for 20 min, 08:00 for 45, 05:59:30 for 15.5
        "time": pd.to_datetime(["2025-06-02 19:50:00", "2025-06-02 06:00:00",
                                "2025-06-02 03:59:30"],
                               utc=True),
        "lat": [INSIDE_LATLNG[0][0], INSIDE_LATLNG[1][0], INSIDE_LATLNG[1][0]],
        "lng": [INSIDE_LATLNG[0][1], INSIDE_LATLNG[1][1], INSIDE_LATLNG[1][1]],
        "minutes": [20.0, 45.0, 15.5], "timed": [True, True, False]})
    p = visits_to_presence(visits, cells, res=9, bands=DEFAULT_BANDS)
    first = np.searchsorted(cells, points_to_cells(visits["lat"].to_numpy()[:1],
                                                   visits["lng"].to_numpy()[:1], res=9))[0]
    second = 1 - first
    m = p.minutes
    assert m.loc[cells[first], ["all", "evening", "night", "weekday"]].tolist() == [20, 10, 10, 20]
    # 05:59:30 for 15.5 minutes: the sample of 05:59:30 is night, the rest day
    assert m.loc[cells[second], ["all", "day", "night"]].tolist() == [60.5, 59.5, 1.0]
    assert m["all"].sum() == 80.5 and m["weekend"].sum() == 0
    assert p.visits.loc[cells[second], ["all", "day", "night"]].tolist() == [2, 1, 1]
    assert p.stops["all"].sum() == 0  # 20 and 45 minutes are no 10-16 minute stops; 15.5 untimed
    week = visits_week_minutes(visits)
    assert week.sum() == 80.5 and week[21] == 10 and week[22] == 10 and week[5] == 1.0


def test_visits_join_presence_and_gaps():
    from geo.analysis.steps import Settings, analyse

    rng = np.random.default_rng(3)
    pts = np.array(INSIDE_LATLNG)[rng.integers(0, 6, 60)]
    incidents = pd.DataFrame({"lat": pts[:, 0], "lng": pts[:, 1], "category": "theft",
                              "time": pd.Timestamp("2025-06-01 20:00", tz="UTC")
                              + pd.to_timedelta(rng.integers(0, 24 * 60, 60), unit="h")})
    visits = pd.DataFrame({"unit": "P1", "lat": [INSIDE_LATLNG[0][0]] * 3,
                           "lng": [INSIDE_LATLNG[0][1]] * 3, "minutes": [30.0, 30.0, 14.0],
                           "timed": True, "time": pd.to_datetime(
                               ["2025-06-05 10:00", "2025-06-06 10:00", "2025-06-07 20:00"],
                               utc=True)})
    result = analyse(incidents, AREA, patrol_points=visits,
                     settings=Settings(res=9, permutations=99, decisions=False))
    frame = result.table.frame
    cell = points_to_cells(visits["lat"].to_numpy()[:1], visits["lng"].to_numpy()[:1], res=9)[0]
    assert frame.loc[cell, "presence_min_all"] == 74 == frame.loc[cell, "report_min_all"]
    assert frame.loc[cell, "report_visits_all"] == 3 == frame.loc[cell, "visits_all"]
    assert frame.loc[cell, "stops_all"] == 1
    assert frame["presence_min_all"].sum() == 74
    assert "gap_class_night" in frame and len(result.gaps)
    assert result.week["patrol_hours"].sum() == 74 / 60
