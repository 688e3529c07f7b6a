"""Every bad row is rejected with a reason; rows read always equal accepted plus rejected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
from conftest import INSIDE_LATLNG, SOUTH_OF_RIVER, write_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo._errors import InputError
from geo.inputs.area import default_area
from geo.inputs.validate import Options, read_incidents, read_pings, read_posts

AREA = default_area()


def _csv(tmp_path, rows, header="lat,lon,time,category,note", name="inc.csv"):
    return write_text(tmp_path / name, header + "\n" + "\n".join(rows) + "\n")


def test_each_bad_row_gets_its_reason_and_row_number(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    rows = [
        f"{lat},{lng},2025-06-01 21:00,fight,ok",                 # 2 accepted
        f",{lng},2025-06-01 21:00,fight,no lat",                  # 3
        f"{lat},abc,2025-06-01 21:00,fight,bad lon",              # 4
        f"{lng},{lat},2025-06-01 21:00,fight,swapped",            # 5
        f"{SOUTH_OF_RIVER[0]},{SOUTH_OF_RIVER[1]},2025-06-01 21:00,theft,south",  # 6
        f"{lat},{lng},,fight,no time",                            # 7
        f"{lat},{lng},31/02/2025 25:61,fight,bad time",           # 8
        f"{lat},{lng},2025-06-01,fight,date only",                # 9
        f"{lat},{lng},2099-01-01 10:00,fight,future",             # 10
        "0,0,2025-06-01 21:00,fight,null island",                # 11
        f"95.5,{lng},2025-06-01 21:00,fight,out of range",        # 12
        f"{lat},{lng},2025-06-01 21:00,fight,ok,extra field",     # 13
    ]
    checked = read_incidents(_csv(tmp_path, rows), area=AREA)
    reasons = dict(zip(checked.rejects["row"], checked.rejects["reason"], strict=True))
    assert checked.accepted["row"].tolist() == [2]
    assert reasons == {
        3: "missing latitude", 4: "longitude is not a number",
        5: "latitude and longitude look swapped", 6: "outside the study area",
        7: "missing date or time", 8: "time is not a date and time",
        9: "time of day missing (date only)", 10: "time is in the future",
        11: "coordinates are 0, 0 (no position)", 12: "latitude out of range (-90..90)",
        13: "row has more fields than the header",
    }
    assert checked.rows_read == 12


def test_only_used_columns_travel_on(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    path = _csv(tmp_path, [f"{lat},{lng},2025-06-01 21:00,fight,Ana lives at Street 5"],
                header="lat,lon,time,category,victim_note")
    checked = read_incidents(path, area=AREA)
    assert list(checked.accepted.columns) == ["row", "time", "lat", "lng", "category"]
    assert "Ana" not in checked.accepted.to_csv()


def test_rejects_file_has_row_reason_and_value_but_no_notes(tmp_path):
    path = _csv(tmp_path, [f"{SOUTH_OF_RIVER[0]},{SOUTH_OF_RIVER[1]},2025-06-01 21:00,x,"
                           "secret address"])
    checked = read_incidents(path, area=AREA)
    out = checked.write_rejects(tmp_path / "rejects")
    text = out.read_text()
    assert text.splitlines()[0] == "row,column,reason,value"
    assert "outside the study area" in text and "secret" not in text


def test_most_rows_outside_the_area_are_explained(tmp_path):
    rows = [f"44.81{i},20.46{i},2025-06-01 21:00,theft," for i in range(5)]  # Belgrade
    checked = read_incidents(_csv(tmp_path, rows), area=AREA)
    assert len(checked.accepted) == 0
    assert "--area FILE" in checked.summary() and "--area extent" in checked.summary()


@pytest.mark.parametrize("epsg", [32634, 9141, 3857])
def test_projected_xy_columns_with_crs(tmp_path, epsg):
    to = pyproj.Transformer.from_crs(4326, epsg, always_xy=True)
    rows = []
    for lat, lng in INSIDE_LATLNG:
        x, y = to.transform(lng, lat)
        rows.append(f"{x:.3f};{y:.3f};01.06.2025 21:00;theft")
    path = _csv(tmp_path, rows, header="easting;northing;datum i vreme;vrsta")
    checked = read_incidents(path, area=AREA, options=Options(crs=f"EPSG:{epsg}"))
    assert len(checked.accepted) == len(INSIDE_LATLNG)
    np.testing.assert_allclose(checked.accepted["lat"], [p[0] for p in INSIDE_LATLNG],
                               atol=1e-6)


def test_projected_columns_without_crs_say_pass_crs(tmp_path):
    path = _csv(tmp_path, ["7460000;4750000;2025-06-01 21:00"], header="x;y;time")
    with pytest.raises(InputError, match=r"projected coordinates .* pass --crs"):
        read_incidents(path, area=AREA)


def test_unknown_crs_is_one_clear_line(tmp_path):
    path = _csv(tmp_path, ["7460000;4750000;2025-06-01 21:00"], header="x;y;time")
    with pytest.raises(InputError, match=r"unknown CRS 'EPSG:99999999'"):
        read_incidents(path, options=Options(crs="EPSG:99999999"))


def test_missing_columns_name_the_file_and_list_columns(tmp_path):
    path = _csv(tmp_path, ["a,b,c"], header="where,when,what")
    with pytest.raises(InputError) as err:
        read_incidents(path)
    message = str(err.value)
    assert str(path) in message and "'where', 'when', 'what'" in message
    assert "--lat-col" in message


def test_named_column_that_does_not_exist(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    path = _csv(tmp_path, [f"{lat},{lng},2025-06-01 21:00,fight,"])
    with pytest.raises(InputError, match=r"column 'Y' \(from --lat-col\) not found"):
        read_incidents(path, options=Options(lat_col="Y"))


def test_wkt_geometry_column(tmp_path):
    rows = [f'"POINT ({lng} {lat})";2025-06-01 21:00' for lat, lng in INSIDE_LATLNG]
    rows.append('"LINESTRING (20 42, 21 43)";2025-06-01 21:00')
    checked = read_incidents(_csv(tmp_path, rows, header="WKT;time"), area=AREA)
    assert len(checked.accepted) == len(INSIDE_LATLNG)
    assert checked.rejects["reason"].tolist() == ["geometry is not a WKT point"]


def test_times_with_offsets_and_local_daylight_saving(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    rows = [f"{lat},{lng},{t},fight," for t in (
        "2025-01-15T21:00:00+01:00",  # winter, explicit offset
        "2025-07-15 21:00",           # summer local -> UTC+2
        "2025-01-15 21:00",           # winter local -> UTC+1
        "2025-07-15T19:00:00Z",
        "2025-03-30 02:30",           # spring gap: moved forward to 03:00 local
    )]
    checked = read_incidents(_csv(tmp_path, rows), area=AREA)
    got = [t.strftime("%Y-%m-%d %H:%M") for t in checked.accepted["time"]]
    assert got == ["2025-01-15 20:00", "2025-07-15 19:00", "2025-01-15 20:00",
                   "2025-07-15 19:00", "2025-03-30 01:00"]


def test_pings_duplicates_are_rejected_and_rest_sorted(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    rows = [f"V1,2025-06-01T20:00:{s:02d}Z,{lat},{lng}" for s in (30, 0, 10, 10, 20)]
    rows.append(f",2025-06-01T20:00:00Z,{lat},{lng}")
    path = _csv(tmp_path, rows, header="unit_id,timestamp,lat,lon", name="p.csv")
    checked = read_pings(path, area=AREA)
    assert checked.rejects["reason"].tolist() == ["duplicate ping (same unit and time)",
                                                  "missing unit id"]
    assert checked.accepted["time"].is_monotonic_increasing
    assert len(checked.accepted) == 4


def test_posts_with_hours_past_midnight(tmp_path):
    rows = [f"Bridge;{INSIDE_LATLNG[0][0]};{INSIDE_LATLNG[0][1]};18:00;02:00;2025-05-29",
            f"Centre;{INSIDE_LATLNG[1][0]};{INSIDE_LATLNG[1][1]};08:00;26:00;"]
    path = _csv(tmp_path, rows, header="name;latitude;longitude;staffed_from;staffed_to;"
                "active_from", name="posts.csv")
    checked = read_posts(path, area=AREA)
    row = checked.accepted.iloc[0]
    assert (row["post"], row["start_min"], row["end_min"]) == ("Bridge", 1080, 120)
    assert checked.rejects["reason"].tolist() == ["staffed hour is not a time like 18:00"]


_good = st.sampled_from(INSIDE_LATLNG).map(lambda p: f"{p[0]},{p[1]},2025-06-01 21:00,x,")
_bad = st.sampled_from([
    ",,2025-06-01 21:00,x,", "42.88,abc,2025-06-01 21:00,x,", "42.8895,20.8665,,x,",
    "42.8895,20.8665,nonsense,x,", "42.88,20.865,2025-06-01 21:00,x,",
    "20.8665,42.8895,2025-06-01 21:00,x,", "42.8895,20.8665,2025-06-01 21:00,x,y,z",
])


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(_good, _bad), min_size=1, max_size=40))
def test_rows_read_equal_accepted_plus_rejected(tmp_path, rows):
    checked = read_incidents(_csv(tmp_path, rows), area=AREA)
    assert len(checked.accepted) + len(checked.rejects) == len(rows) == checked.rows_read
    expected_good = sum(1 for r in rows if r in {f"{p[0]},{p[1]},2025-06-01 21:00,x,"
                                                 for p in INSIDE_LATLNG})
    assert len(checked.accepted) == expected_good
    assert sorted([*checked.accepted["row"], *checked.rejects["row"]]) == list(
        range(2, len(rows) + 2))
    assert pd.Series(checked.rejects["reason"]).ne("").all()


def test_pings_in_the_repeated_autumn_hour_go_on_in_winter_time(tmp_path):
    from geo.inputs.validate import read_pings

    # 26 October 2025: the local clock runs 02:00-03:00 twice; a unit pinging every 20 min
    clock = ["01:40", "02:00", "02:20", "02:40", "02:00", "02:20", "02:40", "03:00"]
    lines = ["unit,time,lat,lon"] + [f"V1,2025-10-26 {c},42.8895,20.8665" for c in clock]
    lines += ["V2,2025-10-26 02:30,42.8895,20.8665"]  # one pass only: summer time
    path = tmp_path / "pings.csv"
    path.write_text("\n".join(lines) + "\n")
    checked = read_pings(path)
    assert checked.judged.rejected == 0  # the second 02:00 is not a duplicate
    v1 = checked.accepted[checked.accepted["unit"] == "V1"]["time"]
    steps = v1.diff().dropna().dt.total_seconds().tolist()
    assert steps == [1200.0] * 7  # 20 real minutes apart throughout
    v2 = checked.accepted[checked.accepted["unit"] == "V2"]["time"].iloc[0]
    assert str(v2) == "2025-10-26 00:30:00+00:00"
