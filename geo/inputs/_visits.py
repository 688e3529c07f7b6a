"""Reported patrol visits: a log of where patrols reported being, for forces without GPS.

Each row is one visit: a position, a time (when the visit began), optionally a unit and the
minutes spent there (a duration column in minutes, or ``H:MM``). A visit without a duration
stands for ``Options.visit_minutes`` (15 by default), and the summary says so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo.inputs import _columns as names
from geo.inputs._checked import Checked
from geo.inputs._columns import find_column
from geo.inputs._judge import Judge, Options
from geo.inputs._period import set_aside_outside
from geo.inputs._positions import outside_note, to_float
from geo.inputs.area import StudyArea
from geo.inputs.readers import RawTable

__all__ = ["check_visits", "MAX_VISIT_MINUTES"]

MAX_VISIT_MINUTES = 24 * 60
"""A reported visit longer than a day is an error in the log."""


def check_visits(table: RawTable, *, area: StudyArea | None = None,
                 options: Options | None = None) -> Checked:
    """Check reported patrol visits: unit, position, time, minutes, duplicates. Accepted rows
    are ``row, unit, time, lat, lng, minutes, timed`` (``timed``: the minutes come from the
    file, not the default), sorted by unit and time.

    A row repeating another's unit, time and place is a duplicate; the first is kept.
    """
    from geo.inputs.validate import judge_tracked, sorted_repeats

    opts = options or Options()
    tracked = judge_tracked(table, opts, area)
    judge, used, notes, utc = tracked.judge, tracked.used, tracked.notes, tracked.utc
    minutes, timed = _judge_minutes(table, opts, judge, used, notes)
    period = set_aside_outside(utc, judge, date_from=opts.date_from, date_to=opts.date_to,
                               tz=opts.tz)
    order, same = sorted_repeats(judge, tracked.code, utc, tracked.lat, tracked.lng)
    judge.fail(same, used.get("time", "time"), "duplicate visit (same unit, time and place)",
               lambda rows: utc.iloc[rows].astype(str))
    accepted = tracked.rows(table, order[~same[order]], minutes=minutes, timed=timed)
    return Checked("patrol_points", table.path, accepted, judge, judge.n, used,
                   outside_note(judge, area) + notes, table.row_word, period)


def _judge_minutes(table: RawTable, opts: Options, judge: Judge, used: dict[str, str],
                   notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Minutes of each visit and whether the file gave them."""
    frame = table.frame
    n = len(frame)
    default = float(opts.visit_minutes)
    taken = set(used.values())
    free = [c for c in frame.columns if c not in taken and not str(c).startswith("_")]
    column = find_column(frame.columns if opts.duration_col else free, names.DURATION,
                         given=opts.duration_col, path=table.path, option="--duration-col")
    if column is None:
        notes.append(f"no duration column: each visit counts {default:g} minutes "
                     "(--visit-minutes to change, --duration-col to name a column)")
        return np.full(n, default), np.zeros(n, dtype=bool)
    used["minutes"] = column
    values, blank = to_float(frame[column])
    clock = frame[column].astype("string").str.extract(r"^\s*(\d{1,2}):(\d{2})\s*$")
    as_clock = clock[0].notna().to_numpy(bool)
    values = np.where(as_clock, pd.to_numeric(clock[0], errors="coerce").to_numpy(float) * 60
                      + pd.to_numeric(clock[1], errors="coerce").to_numpy(float), values)
    judge.fail(~blank & np.isnan(values), column, "duration is not a number of minutes",
               frame[column])
    judge.fail(values <= 0, column, "duration is not positive", frame[column])
    judge.fail(values > MAX_VISIT_MINUTES, column, "duration is longer than a day",
               frame[column])
    missing = int(np.count_nonzero(blank & judge.ok))
    if missing:
        notes.append(f"{missing:,} visits give no duration: each counts {default:g} minutes "
                     "(--visit-minutes)")
    return np.where(blank, default, np.nan_to_num(values)), ~blank
