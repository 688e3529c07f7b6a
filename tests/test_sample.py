"""Tests for geo.sample: seeded synthetic incidents, patrol pings, posts and the sample files."""

import json
from importlib.resources import files

import gpxpy
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from geo import sample

TZ = "Europe/Belgrade"


@pytest.fixture(scope="module")
def area():
    text = files("geo.data").joinpath("north_mitrovica.geojson").read_text(encoding="utf-8")
    return shape(json.loads(text)["features"][0]["geometry"])


@pytest.fixture(scope="module")
def incidents_year():
    return sample.make_incidents()


@pytest.fixture(scope="module")
def pings_month():
    """Two weeks before and 16 days after the plan starts."""
    return sample.make_pings(start="2025-05-15", days=30)


def _inside(area, lat, lng) -> np.ndarray:
    return shapely.contains_xy(area, np.asarray(lng, float), np.asarray(lat, float))


def _parsed_times(incidents: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(incidents["date_time"], format="%Y-%m-%d %H:%M", errors="coerce")


def _faulty(incidents: pd.DataFrame, area) -> dict[str, np.ndarray]:
    lat, lng = incidents["latitude"].to_numpy(), incidents["longitude"].to_numpy()
    blank = np.isnan(lat) | np.isnan(lng)
    swapped = ~blank & (lat < 30) & (lng > 30)
    outside = ~blank & ~swapped & ~_inside(area, lat, lng)
    bad_time = _parsed_times(incidents).isna().to_numpy()
    return {"blank_location": blank, "swapped_latlng": swapped, "bad_time": bad_time,
            "outside_area": outside}


def test_same_seed_same_data_and_other_seed_differs():
    pd.testing.assert_frame_equal(sample.make_incidents(days=14), sample.make_incidents(days=14))
    pd.testing.assert_frame_equal(sample.make_pings(days=2), sample.make_pings(days=2))
    assert not sample.make_incidents(days=14).equals(sample.make_incidents(seed=7, days=14))
    assert not sample.make_pings(days=2).equals(sample.make_pings(seed=7, days=2))


def test_incident_columns_ids_and_size(incidents_year):
    assert list(incidents_year.columns) == [
        "incident_id", "date_time", "category", "latitude", "longitude", "note"]
    assert 2500 <= len(incidents_year) <= 4000
    assert incidents_year["incident_id"].is_unique
    assert incidents_year["incident_id"].str.fullmatch(r"INC-2025-\d{6}").all()
    assert set(incidents_year["category"]) == set(sample.CATEGORIES)


def test_faulty_rows_are_counted_and_the_rest_are_valid(incidents_year, area):
    faulty = _faulty(incidents_year, area)
    expected = incidents_year.attrs["faults"]
    assert {kind: int(mask.sum()) for kind, mask in faulty.items()} == expected
    any_fault = np.logical_or.reduce(list(faulty.values()))
    assert any_fault.sum() == sum(expected.values())  # one fault per row
    assert 0.005 <= any_fault.mean() <= 0.015
    assert not (any_fault[:50].all() or any_fault[-50:].all())  # scattered, not appended
    good = incidents_year[~any_fault]
    assert _inside(area, good["latitude"], good["longitude"]).all()
    assert (good[["latitude", "longitude"]].round(6) == good[["latitude", "longitude"]]).all().all()


def test_outside_points_lie_south_of_the_river(incidents_year, area):
    rows = incidents_year[_faulty(incidents_year, area)["outside_area"]]
    assert (rows["latitude"] < 42.886).all()


def test_category_mix_and_time_of_day(incidents_year):
    shares = incidents_year["category"].value_counts(normalize=True)
    assert shares.between(0.05, 0.35).all()
    hour = _parsed_times(incidents_year).dt.hour
    cat = incidents_year["category"]
    night = (hour >= 18) | (hour < 3)
    assert night[cat == "verbal sexual harassment"].mean() > 0.6
    assert night[cat == "fight"].mean() > 0.6
    assert hour[cat == "theft"].between(8, 19).mean() > 0.6
    weekday = _parsed_times(incidents_year).dt.day_of_week
    assert (weekday[cat == "fight"] >= 4).mean() > 3 / 7  # Fri-Sun busier than a flat week


def test_notes_are_synthetic_varied_and_include_serbian(incidents_year):
    notes = incidents_year["note"].dropna()
    assert notes.str.startswith("synthetic: ").all()
    assert notes.nunique() >= 15
    assert notes.str.contains("[а-яђјљњћџ]", regex=True).any()  # Cyrillic
    assert notes.str.contains("đ").any()  # Serbian Latin
    assert incidents_year["note"].isna().any()


def test_harassment_drops_in_the_centre_at_night_after_the_plan(incidents_year, area):
    ok = ~np.logical_or.reduce(list(_faulty(incidents_year, area).values()))
    rows = incidents_year[ok & (incidents_year["category"] == "verbal sexual harassment")]
    when = _parsed_times(rows)
    night = ((when.dt.hour >= 18) | (when.dt.hour < 3)).to_numpy()
    after = (when >= sample.PLAN_DATE).to_numpy()
    near = {}
    for name in ("centre", "bridge", "nightlife", "university"):
        lat, lng = sample.PLACES_LATLNG[name]
        near[name] = np.hypot((rows["latitude"] - lat) * 111_132,
                              (rows["longitude"] - lng) * 81_580).to_numpy() < 200
    centre = near["centre"] | near["bridge"] | near["nightlife"]
    student = near["university"] & ~centre
    rest = ~centre & ~student

    def after_over_before(mask):
        return (night & after & mask).sum() / (night & ~after & mask).sum()

    # Compare with the rest of town, which carries the same (summer) seasonality.
    assert after_over_before(centre) / after_over_before(rest) < 0.85
    assert after_over_before(student) > after_over_before(centre)


def test_pings_columns_dtypes_and_units(pings_month, area):
    assert list(pings_month.columns) == ["unit_id", "timestamp", "lat", "lon"]
    assert isinstance(pings_month["timestamp"].dtype, pd.DatetimeTZDtype)
    assert str(pings_month["timestamp"].dt.tz) == "UTC"
    assert set(pings_month["unit_id"]) == {"V1", "V2", "V3", "F1", "F2", "F3"}
    assert _inside(area, pings_month["lat"], pings_month["lon"]).all()
    local = pings_month["timestamp"].dt.tz_convert(TZ)
    assert local.min() >= pd.Timestamp("2025-05-15", tz=TZ)
    assert local.max() < pd.Timestamp("2025-06-14", tz=TZ)


def test_ping_intervals_gaps_duplicates_and_disorder(pings_month):
    duplicates = pings_month.duplicated().mean()
    assert 0.002 < duplicates < 0.01
    raw_steps = pings_month.groupby("unit_id")["timestamp"].diff().dt.total_seconds()
    assert (raw_steps < 0).sum() > 10  # some rows out of order
    clean = pings_month.drop_duplicates().sort_values(["unit_id", "timestamp"])
    steps = clean.groupby("unit_id")["timestamp"].diff().dt.total_seconds().dropna()
    assert steps.between(10, 60).mean() > 0.95
    assert ((steps > 300) & (steps < 3700)).sum() > 10  # device gaps within a shift
    vehicle = clean["unit_id"].str.startswith("V").loc[steps.index]
    assert steps[vehicle].median() <= 20 < steps[~vehicle].median() <= 60


def test_more_pings_by_day_and_more_night_pings_after_the_plan(pings_month):
    local = pings_month["timestamp"].dt.tz_convert(TZ)
    night = ((local.dt.hour >= 22) | (local.dt.hour < 6)).to_numpy()
    after = (local >= pd.Timestamp(sample.PLAN_DATE, tz=TZ)).to_numpy()
    assert (~night).sum() / 16 > 1.5 * night.sum() / 8  # per hour of the day
    before_days = (pd.Timestamp(sample.PLAN_DATE) - pd.Timestamp("2025-05-15")).days
    per_night_before = (night & ~after).sum() / before_days
    per_night_after = (night & after).sum() / (30 - before_days)
    assert per_night_after > 1.5 * per_night_before
    assert not pings_month.loc[night & ~after, "unit_id"].str.startswith("F").any()
    assert pings_month.loc[night & after, "unit_id"].str.startswith("F").any()


def test_foot_patrols_move_at_walking_pace_and_sometimes_stop(pings_month):
    foot = pings_month[pings_month["unit_id"] == "F1"].drop_duplicates()
    foot = foot.sort_values("timestamp")
    bins = foot.groupby(foot["timestamp"].dt.floor("10min"))
    spread_m = np.hypot(bins["lat"].std() * 111_132, bins["lon"].std() * 81_580)
    spread_m = spread_m[bins.size() >= 8]
    still = (spread_m < 15).mean()  # a stop: only GPS jitter for 10 minutes
    assert 0.02 < still < 0.5
    step_m = np.hypot(foot["lat"].diff() * 111_132, foot["lon"].diff() * 81_580)
    speed = step_m / foot["timestamp"].diff().dt.total_seconds()
    assert 0.6 < speed.median() < 2.0


def test_posts(area):
    posts = sample.make_posts()
    assert list(posts.columns) == ["post_id", "name", "latitude", "longitude", "staffed_from",
                                   "staffed_to", "languages", "active_from"]
    assert 4 <= len(posts) <= 6 and posts["post_id"].is_unique
    assert _inside(area, posts["latitude"], posts["longitude"]).all()
    for column in ("staffed_from", "staffed_to"):
        assert posts[column].str.fullmatch(r"([01]\d|2[0-3]):[0-5]\d").all()
    plan_posts = posts[posts["active_from"] == sample.PLAN_DATE]
    assert len(plan_posts) == 2
    assert plan_posts["languages"].str.contains("sr").all()
    assert (plan_posts["staffed_to"] < plan_posts["staffed_from"]).all()  # wraps past midnight


def test_write_sample_files_read_back(tmp_path):
    paths = sample.write_sample(tmp_path / "out", days=8)
    assert set(paths) == {"incidents", "patrols", "patrols_gpx", "patrols_csv", "posts", "readme",
                          "recipe"}
    assert all(p.is_file() and p.parent == tmp_path / "out" for p in paths.values())

    incidents = pd.read_csv(paths["incidents"], sep=";", encoding="utf-8")
    expected = sample.make_incidents(days=8)
    assert list(incidents.columns) == list(expected.columns)
    assert len(incidents) == len(expected)
    assert incidents["note"].dropna().str.startswith("synthetic: ").all()

    pings = pd.read_parquet(paths["patrols"])
    pd.testing.assert_frame_equal(pings, sample.make_pings(days=8), check_dtype=False)
    assert str(pings["timestamp"].dt.tz) == "UTC"

    week = pd.read_csv(paths["patrols_csv"])
    assert week["timestamp"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    week_end = pd.Timestamp("2025-01-08", tz=TZ)
    assert len(week) == (pings["timestamp"] < week_end).sum() < len(pings)

    with paths["patrols_gpx"].open(encoding="utf-8") as fh:
        gpx = gpxpy.parse(fh)
    assert gpx.version == "1.1"
    assert len(gpx.tracks) == 1 and len(gpx.tracks[0].segments) == 1
    points = gpx.tracks[0].segments[0].points
    assert len(points) > 100 and all(p.time is not None for p in points)
    assert len({pd.Timestamp(p.time).tz_convert(TZ).date() for p in points}) == 1  # one day

    posts = pd.read_csv(paths["posts"], dtype=str)
    assert len(posts) == len(sample.make_posts())
    readme = paths["readme"].read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and sample.PLAN_DATE in readme
    assert sample.SYNTHETIC_NOTE in readme


def test_synthetic_note_names_the_seed():
    assert "seed 2025" in sample.SYNTHETIC_NOTE and "not real" in sample.SYNTHETIC_NOTE
    assert "seed 7" in sample.synthetic_note(7)


def test_days_must_be_positive():
    with pytest.raises(ValueError, match="days must be at least 1"):
        sample.make_incidents(days=0)
    with pytest.raises(ValueError, match="days must be at least 1"):
        sample.make_pings(days=-3)
