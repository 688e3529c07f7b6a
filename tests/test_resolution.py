"""--res auto: the finest resolution the data support, never finer than street blocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from shapely.geometry import box

from geo.analysis.bands import DEFAULT_BANDS, Band
from geo.analysis.resolution import MIN_CELLS, choose_resolution, confirmable_cells
from geo.inputs.area import StudyArea, default_area

AREA = default_area()


def _incidents(n: int, *, seed: int = 1, area: StudyArea = AREA, counts=None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = area.geometry.bounds
    lat, lng = [], []
    while len(lat) < n:
        a = rng.uniform(miny, maxy, 4 * n)
        b = rng.uniform(minx, maxx, 4 * n)
        inside = area.contains_latlng(a, b)
        lat += a[inside].tolist()
        lng += b[inside].tolist()
    hours = rng.integers(0, 24 * 365, n)
    frame = pd.DataFrame({"lat": lat[:n], "lng": lng[:n],
                          "time": pd.Timestamp("2025-01-01", tz="UTC")
                          + pd.to_timedelta(hours, unit="h"), "category": "x"})
    if counts is not None:
        frame["count"] = counts
    return frame


def test_many_incidents_over_a_town_take_the_street_floor():
    choice = choose_resolution(_incidents(20_000), AREA, bands=DEFAULT_BANDS)
    assert choice.res == 10 and "street-level floor" in choice.reason


def test_the_north_mitrovica_sample_takes_street_blocks(tmp_path):
    from geo.inputs.validate import read_incidents
    from geo.sample import write_sample

    files = write_sample(tmp_path, seed=2025, days=365)
    incidents = read_incidents(files["incidents"], area=AREA).accepted
    choice = choose_resolution(incidents, AREA, bands=DEFAULT_BANDS)
    # the bundled area inside the Ibar's bend (5 km²) holds the year's incidents densely
    # enough for the finest community grid
    assert choice.res == 10
    assert "352 cells" in choice.reason and "street-level floor" in choice.reason
    assert choice.tried.loc[10, "passes"]


TOWN = StudyArea("town", box(20.80, 42.85, 20.90, 42.95))  # about 90 km²


def test_fewer_incidents_go_coarser_and_say_why():
    choices = {n: choose_resolution(_incidents(n, area=TOWN), TOWN, bands=DEFAULT_BANDS)
               for n in (300, 3_000, 30_000)}
    assert {n: c.res for n, c in choices.items()} == {300: 8, 3_000: 8, 30_000: 9}
    assert "hot spots will be weak" in choices[300].reason  # nothing passes: the coarsest
    assert choices[3_000].tried.loc[8, "passes"] and not choices[3_000].tried.loc[9, "passes"]
    assert "res 9 would give" in choices[3_000].reason
    assert "res 10 would give" in choices[30_000].reason


def test_weights_count_as_incidents():
    """300 rows standing for 20 incidents each support what 6,000 rows would."""
    weighted = choose_resolution(_incidents(300, counts=np.full(300, 20)), AREA,
                                 bands=(Band("all"),))
    plain = choose_resolution(_incidents(300), AREA, bands=(Band("all"),))
    assert (weighted.res, plain.res) == (10, 9)


def test_a_city_is_held_to_the_cells_the_test_can_confirm():
    """A 30-km city: res 9 gives ~8,600 cells, more than 999 or 9,999 permutations confirm."""
    from pyproj import Geod

    city = StudyArea("city", box(20.0, 42.6, 20.37, 42.87))
    assert abs(Geod(ellps="WGS84").geometry_area_perimeter(city.geometry)[0]) / 1e6 > 800
    choice = choose_resolution(_incidents(60_000, area=city), city, bands=DEFAULT_BANDS)
    cells = int(choice.tried.loc[choice.res, "cells"])
    assert MIN_CELLS <= cells <= confirmable_cells(None) and choice.res <= 8
    assert "more than the 2,000 the hot spot test can confirm" in choice.reason
