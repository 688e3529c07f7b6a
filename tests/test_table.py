"""The cell table's grouping of incidents, held to straightforward pandas computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.analysis.bands import DEFAULT_BANDS, band_masks
from geo.analysis.cells import area_to_cells, cells_to_latlng, cells_to_str, points_to_cells
from geo.analysis.table import _sorted_groups, count_cells, incident_events, incident_weights
from geo.inputs.area import default_area

AREA = default_area()


def events_by_groupby(incidents: pd.DataFrame, *, res: int, tz: str) -> pd.DataFrame:
    """The events as a pandas groupby over text columns computes them: the oracle."""
    columns = ["cell", "minute", "day", "category", "count"]
    if not len(incidents):
        return pd.DataFrame({c: pd.Series(dtype=object if c in ("cell", "category") else
                                          np.int64) for c in columns})
    cells = cells_to_str(points_to_cells(incidents["lat"].to_numpy(),
                                         incidents["lng"].to_numpy(), res=res))
    index = pd.DatetimeIndex(incidents["time"])
    if index.tz is None:
        index = index.tz_localize("UTC")
    wall = index.tz_convert(tz).tz_localize(None).to_numpy().astype("datetime64[m]")
    undated = np.isnat(wall)
    minutes = np.where(undated, 0, wall.astype(np.int64))
    days = np.where(undated, 1 - 719_163, minutes // 1440)
    frame = pd.DataFrame({"cell": cells, "minute": (days + 3) % 7 * 1440 + minutes % 1440,
                          "day": days + 719_163,
                          "category": incidents["category"].astype(str).to_numpy(),
                          "count": incident_weights(incidents)})
    return frame.groupby(columns[:4], as_index=False, sort=True)["count"].sum()


CATEGORIES = ["fight", "Fight", "theft", "крађа", "vjedhje", "a", "", " z", "1", 1, None]


@st.composite
def incident_frames(draw):
    n = draw(st.integers(0, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    lat = 42.89 + rng.normal(0, 0.004, n)
    lng = 20.86 + rng.normal(0, 0.006, n)
    seconds = rng.integers(0, draw(st.sampled_from([3600, 86400 * 9, 86400 * 800])), n)
    time = pd.Timestamp("2025-03-28", tz="UTC") + pd.to_timedelta(seconds, unit="s")
    time = pd.Series(time).where(rng.random(n) > draw(st.sampled_from([0.0, 0.2, 1.0])))
    names = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=4))
    category = pd.Series([names[i] for i in rng.integers(0, len(names), n)], dtype=object)
    if 1 not in names:  # as the row checks give it, or as text from a notebook
        category = category.astype(draw(st.sampled_from([object, "string", "str"])))
    frame = pd.DataFrame({"lat": lat, "lng": lng, "time": time, "category": category})
    if draw(st.booleans()):
        frame["count"] = rng.integers(1, 5, n)
    return frame


@settings(max_examples=150, deadline=None)
@given(incident_frames(), st.sampled_from([7, 9, 11]))
def test_incident_events_equal_a_groupby_over_text_columns(incidents, res):
    got = incident_events(incidents, res=res, tz="Europe/Belgrade")
    want = events_by_groupby(incidents, res=res, tz="Europe/Belgrade")
    if len(incidents) and incidents["category"].isna().all():  # no row counts
        assert got.empty and want.empty and list(got.columns) == list(want.columns)
        return
    pd.testing.assert_frame_equal(got, want)


def test_incident_events_take_cells_the_caller_has():
    incidents = pd.DataFrame({"lat": [42.8895, 42.8895, 42.8938], "lng": [20.8665] * 2 + [20.8652],
                              "time": pd.to_datetime(["2025-06-02 21:30"] * 3, utc=True),
                              "category": ["fight", "fight", "theft"]})
    cells = points_to_cells(incidents["lat"].to_numpy(), incidents["lng"].to_numpy(), res=9)
    given_cells = incident_events(incidents, res=9, point_cells=cells)
    pd.testing.assert_frame_equal(given_cells, incident_events(incidents, res=9))
    assert sorted(given_cells["count"].tolist()) == [1, 2]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(1, 2**21), min_size=1, max_size=5), st.integers(0, 40),
       st.integers(0, 2**32 - 1))
def test_sorted_groups_sort_and_group_rows_as_python_does(sizes, n, seed):
    rng = np.random.default_rng(seed)
    keys = [rng.integers(0, min(size, 4), n) * (size // 4 or 1) % size for size in sizes]
    order, starts = _sorted_groups(keys, sizes)
    rows = [tuple(int(k[i]) for k in keys) for i in range(n)]
    ordered = [rows[i] for i in order]
    assert ordered == sorted(rows)
    assert [ordered[s] for s in starts] == sorted(set(rows))


def counts_by_band_and_category(incidents: pd.DataFrame, cells: np.ndarray, bands, names,
                                keys, *, res: int) -> dict[str, np.ndarray]:
    """Counts per cell of each band and of each category in each band, one mask at a time:
    the oracle of :func:`count_cells`."""
    idx = np.searchsorted(cells, points_to_cells(incidents["lat"].to_numpy(),
                                                 incidents["lng"].to_numpy(), res=res))
    masks = band_masks(incidents["time"], bands, tz="Europe/Belgrade")
    weights = incident_weights(incidents).astype(float)
    out = {}
    for band in bands:
        mask = masks[band.name]
        out[f"incidents_{band.name}"] = np.bincount(idx[mask], weights=weights[mask],
                                                    minlength=len(cells)).round()
        for key, name in zip(keys, names, strict=True):
            pick = mask & (incidents["category"] == name).to_numpy()
            out[f"cat_{key}_{band.name}"] = np.bincount(idx[pick], weights=weights[pick],
                                                        minlength=len(cells)).round()
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 80), st.integers(0, 2**32 - 1), st.booleans(),
       st.lists(st.sampled_from(["fight", "theft", "Fight", "крађа", "other"]), min_size=1,
                max_size=4, unique=True))
def test_count_cells_equal_one_mask_per_band_and_category(n, seed, weighted, names):
    rng = np.random.default_rng(seed)
    cells = area_to_cells(AREA, res=10)
    lat, lng = cells_to_latlng(cells[rng.integers(0, len(cells), n)])
    incidents = pd.DataFrame({
        "lat": lat, "lng": lng,
        "time": pd.Timestamp("2025-06-01", tz="UTC")
        + pd.to_timedelta(rng.integers(0, 30 * 86400, n), unit="s"),
        "category": [names[i] for i in rng.integers(0, len(names), n)]})
    if weighted:
        incidents["count"] = rng.integers(1, 4, n)
    table = count_cells(incidents, AREA, res=10)
    assert table.cells.tolist() == cells.tolist()
    want = counts_by_band_and_category(incidents, cells, DEFAULT_BANDS,
                                       list(table.categories.values()),
                                       list(table.categories), res=10)
    for column, values in want.items():
        assert table.frame[column].dtype == np.int64
        np.testing.assert_array_equal(table.frame[column].to_numpy(), values, err_msg=column)
    assert len(table.frame.columns) == 2 + len(want)
    pd.testing.assert_frame_equal(table.events, incident_events(incidents, res=10))
