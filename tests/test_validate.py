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
    assert list(checked.accepted.columns) == ["row", "time", "lat", "lng", "category", "count"]
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


def test_metres_in_latitude_and_longitude_columns_name_the_columns(tmp_path):
    """Nearly every position beyond +-90 / +-180 (metres under degree names, negative ones
    too) is one line naming the columns; a few such rows among degrees are only rejected."""
    rows = [f"{y};{x};2025-06-01 21:00" for x, y in
            [(7460000, 4750000), (-7460100, 4750100), (7460200, -4750200), (7460300, 4750300)]]
    path = _csv(tmp_path, rows, header="lat;lon;time")
    with pytest.raises(InputError, match=r"columns 'lat'/'lon' hold values like 4750000.0, "
                                         r"not degrees"):
        read_incidents(path, area=AREA)
    lat, lng = INSIDE_LATLNG[0]
    mixed = _csv(tmp_path, [f"{lat};{lng};2025-06-01 21:00"] * 3 + rows[:1],
                 header="lat;lon;time", name="mixed.csv")
    checked = read_incidents(mixed, area=AREA)
    assert len(checked.accepted) == 3 and checked.judged.rejected == 1


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
    ",,2025-06-01 21:00,x,", "42.88,abc,2025-06-01 21:00,x,", "42.8938,20.8652,,x,",
    "42.8938,20.8652,nonsense,x,", "42.88,20.865,2025-06-01 21:00,x,",
    "20.8652,42.8938,2025-06-01 21:00,x,", "42.8938,20.8652,2025-06-01 21:00,x,y,z",
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
    lines = ["unit,time,lat,lon"] + [f"V1,2025-10-26 {c},42.8938,20.8652" for c in clock]
    lines += ["V2,2025-10-26 02:30,42.8938,20.8652"]  # one pass only: summer time
    path = tmp_path / "pings.csv"
    path.write_text("\n".join(lines) + "\n")
    checked = read_pings(path)
    assert checked.judged.rejected == 0  # the second 02:00 is not a duplicate
    v1 = checked.accepted[checked.accepted["unit"] == "V1"]["time"]
    steps = v1.diff().dropna().dt.total_seconds().tolist()
    assert steps == [1200.0] * 7  # 20 real minutes apart throughout
    v2 = checked.accepted[checked.accepted["unit"] == "V2"]["time"].iloc[0]
    assert str(v2) == "2025-10-26 00:30:00+00:00"
# ------------------------------------------------------------ files in the shapes portals publish

def test_utc_stamps_with_a_two_digit_offset_keep_their_hour(tmp_path):
    """A large city's open data: times as UTC with ``+00``, in both date separators."""
    lat, lng = INSIDE_LATLNG[0]
    stamps = ["2025-01-15 20:30:00+00",   # 21:30 local (winter, UTC+1): evening
              "2025-07-15 20:30:00+00",   # 22:30 local (summer, UTC+2): night
              "2025/07/15 03:59:59+00",   # 05:59:59 local: night
              "2025-07-15 04:00:00+00",   # 06:00 local: day
              "2025-07-15T04:00:00.000Z"]
    path = _csv(tmp_path, [f"{lat},{lng},{t},theft," for t in stamps],
                header="lat,lon,occurrence_datetime,category,note")
    checked = read_incidents(path, area=AREA)
    assert checked.judged.rejected == 0
    local = [t.tz_convert("Europe/Belgrade").strftime("%H:%M:%S")
             for t in checked.accepted["time"]]
    assert local == ["21:30:00", "22:30:00", "05:59:59", "06:00:00", "06:00:00"]
    from geo.analysis.bands import band_masks

    masks = band_masks(checked.accepted["time"])
    assert {b: int(masks[b].sum()) for b in ("day", "evening", "night")} == {
        "day": 2, "evening": 1, "night": 2}


def test_occurrence_date_and_integer_hour_are_combined(tmp_path):
    """Toronto's shape: ``occurrencedate`` as the UTC time of local midnight, and
    ``occurrencehour`` 0-23, beside report dates that must not be taken."""
    rows = [  # occurrencedate, occurrencehour, reporteddate, reportedhour
        ("2017-02-28T05:00:00.000Z", 23, "2017-03-01T05:00:00.000Z", 9),
        ("2017-07-15T04:00:00.000Z", 0, "2017-07-16T04:00:00.000Z", 10),
        ("2017-03-12T05:00:00.000Z", 2, "2017-03-12T04:00:00.000Z", 11),  # spring gap
        ("2017-11-05T04:00:00.000Z", 13, "2017-11-06T05:00:00.000Z", 8),
        ("2017-11-06T05:00:00.000Z", 24, "2017-11-06T05:00:00.000Z", 8),   # no hour 24
        ("", 5, "2017-11-06T05:00:00.000Z", 8),
    ]
    lines = [f"{i},{d},{h},{rd},{rh},Assault,43.65{i},-79.38{i}"
             for i, (d, h, rd, rh) in enumerate(rows)]
    path = _csv(tmp_path, lines, header="event_unique_id,occurrencedate,occurrencehour,"
                "reporteddate,reportedhour,MCI,Lat,Long")
    checked = read_incidents(path, options=Options(tz="America/Toronto"))
    assert checked.used["date"] == "occurrencedate" and checked.used["time"] == "occurrencehour"
    local = [t.tz_convert("America/Toronto").strftime("%Y-%m-%d %H:%M")
             for t in checked.accepted["time"]]
    assert local == ["2017-02-28 23:00", "2017-07-15 00:00", "2017-03-12 03:00",
                     "2017-11-05 13:00"]
    assert [str(t) for t in checked.accepted["time"]] == [
        "2017-03-01 04:00:00+00:00", "2017-07-15 04:00:00+00:00", "2017-03-12 07:00:00+00:00",
        "2017-11-05 18:00:00+00:00"]
    assert dict(zip(checked.rejects["row"], checked.rejects["reason"], strict=True)) == {
        6: "hour is not a whole number 0-23", 7: "missing date"}
    assert any("read as hours 0-23" in n for n in checked.notes)
    # read in the default zone, the tool says the data lie far from it
    default = read_incidents(path)
    assert any("longitude -79.4" in n and "--tz" in n for n in default.notes)


def test_date_and_hour_columns_named_by_options_or_time_col_twice(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    path = _csv(tmp_path, [f"{lat},{lng},15.01.2025,2130,theft", f"{lat},{lng},16.01.2025,45,x"],
                header="lat,lon,dan,kada,category")
    by_options = read_incidents(path, area=AREA, options=Options(date_col="dan", hour_col="kada"))
    twice = read_incidents(path, area=AREA, options=Options(time_col=("dan", "kada")))
    for checked in (by_options, twice):
        local = [t.tz_convert("Europe/Belgrade").strftime("%Y-%m-%d %H:%M")
                 for t in checked.accepted["time"]]
        assert local == ["2025-01-15 21:30", "2025-01-16 00:45"]


def test_an_hour_column_named_hour_is_found_and_read_as_an_hour(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    path = _csv(tmp_path, [f"{lat},{lng},2025-06-01,{h},fight," for h in (0, 7, 21)],
                header="lat,lon,date,hour,category,note")
    checked = read_incidents(path, area=AREA)
    assert [t.tz_convert("Europe/Belgrade").hour for t in checked.accepted["time"]] == [0, 7, 21]


def test_dates_exported_as_midnight_are_pointed_out(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    rows = [f"{lat},{lng},2025-06-{d:02d} 00:00:00,fight," for d in range(1, 10)]
    rows.append(f"{lat},{lng},2025-06-10 13:15:00,fight,")
    checked = read_incidents(_csv(tmp_path, rows), area=AREA)
    assert any("9 of 10 times (90%) are exactly 00:00" in n and "--no-times" in n
               for n in checked.notes)
    assert "--no-times" in checked.summary()


def test_no_time_column_suggests_no_times_and_no_times_reads_the_file(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    path = _csv(tmp_path, [f"{lat},{lng},A{i},theft" for i in range(3)],
                header="lat,lon,case_id,category")
    with pytest.raises(InputError, match="--no-times"):
        read_incidents(path, area=AREA)
    checked = read_incidents(path, area=AREA, options=Options(no_times=True))
    assert len(checked.accepted) == 3 and checked.accepted["time"].isna().all()


def test_count_column_weights_rows_and_rejects_bad_counts(tmp_path):
    """A historic point set with a ``Count`` column: zero, fractional, negative, blank."""
    pts = INSIDE_LATLNG
    counts = ["3", "0", "2.5", "-1", "", "7", "\"2,0\"", "many"]
    rows = [f"{pts[i % 6][0]},{pts[i % 6][1]},2025-06-01 21:00,{c}"
            for i, c in enumerate(counts)]
    checked = read_incidents(_csv(tmp_path, rows, header="lat,lon,time,Count"), area=AREA)
    assert checked.used["count"] == "Count"
    assert checked.accepted["count"].tolist() == [3, 0, 7, 2]
    assert checked.weighted_total == 12
    assert dict(zip(checked.rejects["row"], checked.rejects["reason"], strict=True)) == {
        4: "count is not a whole number", 5: "count is negative", 6: "missing count",
        9: "count is not a number"}
    summary = checked.summary()
    assert "8 rows read, 4 accepted (12 incidents by count), 4 rejected" in summary
    assert "count of 0" in summary


def test_a_count_column_that_numbers_the_rows_is_not_a_count(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    rows = [f"{i},{lat},{lng},2025-06-01 21:00" for i in range(1, 13)]
    checked = read_incidents(_csv(tmp_path, rows, header="n,lat,lon,time"), area=AREA)
    assert "count" not in checked.used and checked.accepted["count"].eq(1).all()
    assert any("numbers the rows" in n for n in checked.notes)


def test_state_plane_feet_shapefile_without_times(tmp_path):
    """A US city's shapefile: points in EPSG:2272 (Pennsylvania South, US feet), ids only."""
    import geopandas as gpd

    latlng = [(39.9526, -75.1652), (39.9496, -75.1503), (39.9800, -75.1500)]
    to_feet = pyproj.Transformer.from_crs(4326, 2272, always_xy=True)
    xy = [to_feet.transform(lng, lat) for lat, lng in latlng]
    gpd.GeoDataFrame({"objectid": [1, 2, 3], "dc_key": ["A1", "A2", "A3"]},
                     geometry=gpd.points_from_xy(*zip(*xy, strict=True)),
                     crs=2272).to_file(tmp_path / "incidents.shp")
    with pytest.raises(InputError, match="no date/time column .*--no-times"):
        read_incidents(tmp_path / "incidents.shp")
    checked = read_incidents(tmp_path / "incidents.shp", options=Options(no_times=True))
    np.testing.assert_allclose(checked.accepted[["lat", "lng"]].to_numpy(), latlng, atol=1e-7)
    assert checked.used["crs"].endswith("2272") or "2272" in checked.used["crs"]


def test_category_names_keep_one_form(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    names = ["Theft", "theft", "THEFT ", "theft", "Verbal  sexual harassment",
             "verbal sexual harassment"]
    rows = [f"{lat},{lng},2025-06-01 21:00,{c}," for c in names]
    checked = read_incidents(_csv(tmp_path, rows), area=AREA)
    assert checked.accepted["category"].tolist() == ["theft"] * 4 + [
        "Verbal sexual harassment"] * 2


def test_rows_outside_the_period_are_counted_not_rejected(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    days = ["2024-12-31 23:59", "2025-01-01 00:00", "2025-06-30 23:59", "2025-07-01 00:00",
            "bad"]
    rows = [f"{lat},{lng},{d},fight," for d in days]
    checked = read_incidents(_csv(tmp_path, rows), area=AREA,
                             options=Options(date_from="2025-01-01", date_to="2025-06-30"))
    assert checked.accepted["row"].tolist() == [3, 4]
    assert checked.outside == 2 and checked.judged.rejected == 1
    assert checked.rows_read == len(checked.accepted) + checked.judged.rejected + checked.outside
    assert "2 outside the period 2025-01-01 – 2025-06-30" in checked.summary()
    assert checked.quality()["outside"] == 2


def test_a_file_of_dates_only_points_to_no_times(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    rows = [f"{lat},{lng},2025-06-{d:02d},fight," for d in range(1, 6)]
    checked = read_incidents(_csv(tmp_path, rows), area=AREA)
    assert len(checked.accepted) == 0
    assert any("5 of 5 rows give a date without a time of day" in n and "--no-times" in n
               for n in checked.notes)


_spelling = st.tuples(st.sampled_from(["theft", "fight", "Verbal sexual harassment", "Крађа"]),
                      st.sampled_from([str.lower, str.upper, str.title, lambda s: f" {s}  "]))


@settings(max_examples=60, deadline=None)
@given(st.lists(_spelling, min_size=1, max_size=30))
def test_one_spelling_per_category_the_most_common_one(spellings):
    from geo.inputs.validate import unify_categories

    written = [how(name) for name, how in spellings]
    unified = unify_categories(pd.Series(written)).tolist()
    cleaned = [" ".join(w.split()) for w in written]
    for name in {n for n, _ in spellings}:
        group = [i for i, (n, _) in enumerate(spellings) if n == name]
        shown = {unified[i] for i in group}
        assert len(shown) == 1  # one form per category
        forms = pd.Series([cleaned[i] for i in group])
        counts = forms.value_counts()
        best = counts[counts == counts.max()].index
        first = next(f for f in forms if f in set(best))  # ties: the first written
        assert shown == {first}


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(st.none(), st.sampled_from(["V1", " V1", "V2 ", "", "v1", "V\u200e3"])),
                min_size=1, max_size=30))
def test_unit_names_read_the_same_from_a_categorical_column(names):
    from geo.inputs.validate import _unit_codes

    plain_code, plain_names = _unit_codes(pd.Series(names, dtype=object))
    cat_code, cat_names = _unit_codes(pd.Series(names, dtype="category"))
    np.testing.assert_array_equal(cat_code, plain_code)
    assert list(cat_names) == list(plain_names)
    assert (plain_code == -1).tolist() == [n is None or n.strip() == "" for n in names]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                    st.floats(-1e8, 1e8), st.integers(-200, 200).map(float),
                                    st.integers(-2 * 10**9, 2 * 10**9).map(float),
                                    st.floats(-200, 200).map(lambda v: round(v, 4))),
                          st.floats(-200, 200)), min_size=1, max_size=40))
def test_rejected_positions_are_written_as_python_writes_them(pairs):
    from geo.inputs._positions import pair_text

    a = np.array([p[0] for p in pairs], dtype=float)
    b = np.array([p[1] for p in pairs], dtype=float)
    assert pair_text(a, b).to_pylist() == [f"{x}, {y}" for x, y in zip(a.tolist(), b.tolist(),
                                                                       strict=True)]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([42.8938, 20.8652, 0.0, 95.0, -91.0, 42.5, 200.0,
                                           float("nan")]),
                          st.sampled_from([20.8652, 42.8938, 0.0, 181.0, 95.0, 20.0,
                                           float("nan")])), min_size=1, max_size=60),
       st.booleans())
def test_each_point_gets_the_first_position_check_it_fails(points, with_area):
    from geo.inputs._positions import _position_problem

    area = default_area() if with_area else None
    lat = np.array([p[0] for p in points])
    lng = np.array([p[1] for p in points])
    finite = np.isfinite(lat) & np.isfinite(lng)
    swapped = np.zeros(len(lat), dtype=bool)
    inside = np.ones(len(lat), dtype=bool)
    if area is not None:
        swapped = finite & (np.abs(lng) <= 90) & (np.abs(lat) <= 180) & area.contains_latlng(
            lng, lat)
        inside = area.contains_latlng(lat, lng)
    in_range = finite & (np.abs(lat) <= 90) & (np.abs(lng) <= 180)
    checks = [~in_range & swapped, np.abs(lat) > 90, np.abs(lng) > 180,
              (lat == 0) & (lng == 0), ~inside & swapped, ~inside]
    expected = [next((k for k, mask in enumerate(checks, start=1) if mask[i]), 0)
                for i in range(len(lat))]
    assert _position_problem(lat, lng, area=area).tolist() == expected


@given(st.lists(st.one_of(st.none(), st.text(max_size=80)), max_size=20))
def test_long_values_are_cut_alike_from_arrow_and_python(texts):
    import pyarrow as pa

    from geo.inputs._judge import _short, _shorts

    assert _shorts(pa.array(texts, pa.string())).to_pylist() == [_short(t) for t in texts]
    assert _shorts(texts).to_pylist() == [_short(t) for t in texts]


def _ping_table(rows):
    """A ping table as a Parquet file reads: (unit or None, seconds, position number or -1
    for a missing latitude) per row."""
    from pathlib import Path

    from geo.inputs.readers import RawTable

    frame = pd.DataFrame({
        "unit_id": pd.Series([u for u, _, _ in rows], dtype="string"),
        "timestamp": pd.DatetimeIndex([pd.Timestamp("2025-06-01T20:00Z") + pd.Timedelta(s, "s")
                                       for _, s, _ in rows], dtype="datetime64[ms, UTC]"),
        "lat": [INSIDE_LATLNG[p][0] if p >= 0 else np.nan for _, _, p in rows],
        "lon": [INSIDE_LATLNG[p][1] if p >= 0 else 20.86 for _, _, p in rows]})
    return RawTable(path=Path("pings.parquet"), frame=frame,
                    row=np.arange(1, len(frame) + 1))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", None]), st.integers(0, 12),
                          st.integers(-1, 5)), min_size=0, max_size=30),
       st.booleans())
def test_pings_kept_are_the_first_of_each_unit_and_time_sorted(rows, presorted):
    """Against pandas: the rows that pass, sorted by unit (in the order units first appear)
    and time (file order among equals), the first of each unit and time kept; sorted files
    and unsorted ones, with bad rows and repeats, and nothing at all."""
    from geo.inputs.validate import check_pings

    if presorted:
        rows = sorted(rows, key=lambda r: ("" if r[0] is None else r[0], r[1]))
    checked = check_pings(_ping_table(rows))
    frame = pd.DataFrame(rows, columns=["unit", "s", "p"], dtype=object)
    frame["row"] = np.arange(1, len(rows) + 1)
    frame["rank"] = pd.factorize(frame["unit"])[0]  # units in the order they first appear
    good = frame[frame["unit"].notna() & (frame["p"] >= 0)]
    good = good.sort_values(["rank", "s"], kind="stable")
    kept = good.drop_duplicates(["unit", "s"])
    assert checked.accepted["row"].tolist() == kept["row"].tolist()
    assert checked.accepted["unit"].astype(str).tolist() == kept["unit"].tolist()
    assert len(checked.accepted) + checked.judged.rejected == len(rows)
    repeats = set(good["row"]) - set(kept["row"])
    rejects = checked.rejects
    assert set(rejects.loc[rejects["reason"] == "duplicate ping (same unit and time)", "row"]
               ) == repeats


def test_each_reject_shows_its_own_value_whatever_its_reason(tmp_path):
    """Rejects of several reasons in one file, some with a value to show and some without,
    each row with its own (positions as the file wrote them, times as text, long ones cut)."""
    (lat, lng), (far_lat, far_lng) = INSIDE_LATLNG[0], SOUTH_OF_RIVER
    rows = [f"V1,2025-06-01T20:00:00Z,{lat},{lng}",         # 2 kept
            f",2025-06-01T20:01:00Z,{lat},{lng}",            # 3 missing unit: no value
            f"V1,yesterday-{'x' * 70},{lat},{lng}",          # 4 not a time: the text, cut
            f"V1,2025-06-01T20:02:00Z,{far_lat},{far_lng}",  # 5 outside: the position
            f"V1,2025-06-01T20:00:00Z,{lat},{lng}",          # 6 a repeat of row 2: its time
            f"V1,2025-06-01T20:03:00Z,north,{lng}"]          # 7 latitude not a number
    path = _csv(tmp_path, rows, header="unit_id,timestamp,lat,lon", name="p.csv")
    rejects = read_pings(path, area=AREA).rejects
    shown = dict(zip(rejects["row"], rejects["value"], strict=True))
    assert shown == {3: "", 4: "yesterday-" + "x" * 47 + "...",
                     5: f"{far_lat}, {far_lng}", 6: "2025-06-01 20:00:00+00:00", 7: "north"}
    assert rejects["reason"].tolist() == [
        "missing unit id", "time is not a date and time", "outside the study area",
        "duplicate ping (same unit and time)", "latitude is not a number"]
