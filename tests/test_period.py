"""The period: --from/--to bounds and stray dates that stretch a file's period."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo._errors import UsageError
from geo.inputs._period import outside_period, period_bounds, stretch_note


def test_bounds_are_local_days_inclusive_across_daylight_saving():
    start, end = period_bounds("2025-03-01", "2025-10-31")
    assert str(start) == "2025-02-28 23:00:00+00:00"           # midnight, winter time
    assert str(end) == "2025-10-31 22:59:59.999999+00:00"      # end of day, winter again
    t = pd.Series(pd.to_datetime(["2025-02-28 22:59:59", "2025-02-28 23:00:00",
                                  "2025-10-31 22:59:59", "2025-10-31 23:00:00", None], utc=True))
    assert outside_period(t, "2025-03-01", "2025-10-31").tolist() == [True, False, False, True,
                                                                      False]
    assert outside_period(t, None, "2025-10-31").tolist() == [False, False, False, True, False]


def test_bad_period_options_are_usage_errors():
    with pytest.raises(UsageError, match="--from 2025-13-01: not a date"):
        period_bounds("2025-13-01", None)
    with pytest.raises(UsageError, match="ends before it starts"):
        period_bounds("2025-06-01", "2025-05-31")


def _times(days: list[str]) -> pd.Series:
    return pd.Series(pd.to_datetime(days, utc=True))


def test_a_few_old_dates_stretching_the_period_suggest_from():
    year = pd.date_range("2024-01-01 12:00", "2024-12-31 12:00", periods=995, tz="UTC")
    old = ["1992-05-01 10:00", "1993-01-01 10:00", "1990-02-02 10:00", "1991-07-07 10:00",
           "1992-12-24 10:00"]  # 0.5 % of rows, decades earlier
    times = pd.concat([_times(old), pd.Series(year)], ignore_index=True)
    note = stretch_note(times, np.ones(len(times), bool))
    assert len(note) == 1
    assert note[0].startswith("5 of 1,000 rows (0.5%, 1990-02-02 – 1993-01-01) stretch")
    assert "pass --from 2024-01-01" in note[0]


def test_late_stray_dates_suggest_to_and_an_even_spread_says_nothing():
    year = pd.date_range("2010-01-01", "2010-12-31", periods=300, tz="UTC")
    late = _times(["2024-05-05 10:00"])
    times = pd.concat([pd.Series(year), late], ignore_index=True)
    note = stretch_note(times, np.ones(len(times), bool))
    assert len(note) == 1 and "pass --to 2010-12-31" in note[0]
    assert stretch_note(pd.Series(year), np.ones(len(year), bool)) == []
    # 2 % of rows early is not "a few stray dates"
    early = _times([f"2000-01-{d:02d} 10:00" for d in range(1, 7)])
    assert stretch_note(pd.concat([early, pd.Series(year)], ignore_index=True),
                        np.ones(306, bool)) == []
