"""Judge every row of an input table: accepted rows go on, bad rows go to rejects with a reason.

The core of patrolmap trusts what leaves this module: WGS84 ``lat``/``lng`` inside the study
area, a UTC ``time``, and only the columns the tool uses (free-text notes, names and addresses
are dropped here). Rows read always equal rows accepted plus rows rejected.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from geo._arrays import sorted_by_key_time
from geo._csv import write_csv
from geo._errors import InputError
from geo._text import CONTROL
from geo.inputs import _columns as names
from geo.inputs._columns import find_column, shown_columns
from geo.inputs._judge import Judge, Options
from geo.inputs._positions import judge_position, locate, outside_note
from geo.inputs._times import parse_times
from geo.inputs.area import StudyArea
from geo.inputs.readers import RawTable, read_table

__all__ = ["Options", "Checked", "check_incidents", "check_pings", "check_posts",
           "read_incidents", "read_pings", "read_posts", "rejects_names", "safe_stem"]


@dataclass
class Checked:
    """The outcome of checking one file: accepted rows, rejects with reasons, and counts."""

    kind: str
    path: Path
    accepted: pd.DataFrame
    judged: Judge
    rows_read: int
    used: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    row_word: str = "row"

    def __post_init__(self) -> None:
        if len(self.accepted) + self.judged.rejected != self.rows_read:
            msg = "rows read must equal accepted plus rejected"
            raise AssertionError(msg)

    @cached_property
    def rejects(self) -> pd.DataFrame:
        """Every rejected row: ``row``, ``column``, ``reason`` and the offending ``value``."""
        return self.judged.rejects()

    @cached_property
    def _plain_rejects(self) -> pd.DataFrame:
        return self.judged.rejects(values=False)

    def reasons(self) -> pd.Series:
        """Rejected rows counted by reason, most common first."""
        return self._plain_rejects["reason"].value_counts()

    def summary(self) -> str:
        """A few lines a person reads: counts, columns used, and why rows were rejected."""
        lines = [f"{self.path.name}: {self.kind}: {self.rows_read:,} rows read, "
                 f"{len(self.accepted):,} accepted, {len(self.rejects):,} rejected"]
        used = ", ".join(f"{k} <- {v!r}" for k, v in self.used.items())
        if used:
            lines.append(f"  columns used: {used}")
        for reason, count in self.reasons().items():
            plain = self._plain_rejects
            first = plain.loc[plain["reason"] == reason, "row"].head(5).tolist()
            rows = ", ".join(str(r) for r in first) + (" ..." if count > 5 else "")
            lines.append(f"  rejected {count:,}: {reason} ({self.row_word}s {rows})")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def quality(self) -> dict:
        """Counts for a data quality table: file name (no folder), kind, rows read, accepted,
        rejected, and (reason, rows) pairs, most common first. No row numbers, no values."""
        return {"file": self.path.name, "kind": self.kind, "rows_read": self.rows_read,
                "accepted": len(self.accepted), "rejected": self.judged.rejected,
                "reasons": tuple((str(r), int(n)) for r, n in self.reasons().items())}

    def write_rejects(self, folder: str | Path, *, name: str | None = None) -> Path | None:
        """Write the rejects as CSV (row, column, reason, value) into ``folder``; None if none.

        The file is ``name`` (see :func:`rejects_names`), by default ``<safe stem>_rejects.csv``;
        every cell is spreadsheet-safe.
        """
        if self.judged.rejected == 0:
            return None
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        return write_csv(self.rejects, folder / (name or rejects_names([self.path])[0]))


def safe_stem(path: str | Path, *, limit: int = 60) -> str:
    """A file's name without its extension, in letters, digits, ``.``, ``-`` and ``_`` only,
    fit to name a file the tool writes (markup, quotes, spaces and controls become ``_``).

    >>> safe_stem("data/<img src=x onerror=alert(1)>.csv")
    'img_src_x_onerror_alert_1'
    """
    stem = unicodedata.normalize("NFC", Path(path).stem)
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.UNICODE).strip("._-")
    return stem[:limit].rstrip("._-") or "input"


def rejects_names(paths) -> list[str]:
    """A rejects file name per input, ``<safe stem>_rejects.csv``, unique among ``paths``:
    inputs with the same name (from different folders) get ``_2``, ``_3`` ...

    >>> rejects_names(["a/incidents.csv", "b/incidents.csv", "posts.xlsx"])
    ['incidents_rejects.csv', 'incidents_2_rejects.csv', 'posts_rejects.csv']
    """
    names, seen = [], set()
    for path in paths:
        stem = safe_stem(path)
        name, n = f"{stem}_rejects.csv", 1
        while name.lower() in seen:
            n += 1
            name = f"{stem}_{n}_rejects.csv"
        seen.add(name.lower())
        names.append(name)
    return names


def _judge_time(table: RawTable, opts: Options, judge: Judge, used: dict[str, str],
                *, required: bool = True) -> pd.Series | None:
    frame, path = table.frame, table.path
    cols = list(frame.columns)
    time_c = find_column(cols, names.DATETIME, given=opts.time_col, path=path, option="--time-col")
    date_c = tod_c = None
    if time_c is None:
        date_c = find_column(cols, names.DATE)
        tod_c = find_column(cols, names.TIME)
    if time_c is None and date_c and tod_c:
        used.update(date=date_c, time=tod_c)
        values = _joined(frame[date_c], frame[tod_c])
        column = f"{date_c}+{tod_c}"
    elif time_c or date_c or tod_c:
        time_c = time_c or date_c or tod_c
        used["time"] = time_c
        values = frame[time_c]
        column = time_c
    elif required:
        msg = (
            f"{path}: no date/time column found; columns are {shown_columns(cols)}. "
            "Pass --time-col to name it"
        )
        raise InputError(msg)
    else:
        return None
    parsed = parse_times(values, tz=opts.tz)
    judge.fail(parsed.blank, column, "missing date or time")
    judge.fail(parsed.bad, column, "time is not a date and time", values)
    judge.fail(parsed.date_only, column, "time of day missing (date only)", values)
    future = parsed.utc > pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)
    judge.fail(future.to_numpy(), column, "time is in the future", values)
    return parsed.utc


def _joined(dates: pd.Series, times: pd.Series) -> pd.Series:
    def as_text(series: pd.Series, fmt: str) -> pd.Series:
        out = series.astype(object).map(
            lambda v: v.strftime(fmt) if hasattr(v, "strftime") else ("" if v is None else str(v))
        )
        return out.astype("string").fillna("").str.strip()

    d = as_text(dates, "%Y-%m-%d").str.replace(r"\s+00:00(:00)?$", "", regex=True)
    t = as_text(times, "%H:%M:%S")
    return (d + " " + t).str.strip().where((d != "") & (t != ""), d.where(t == "", ""))


# ------------------------------------------------------------------ the three kinds

def check_incidents(table: RawTable, *, area: StudyArea | None = None,
                    options: Options | None = None) -> Checked:
    """Check incident rows: position, time, category. Returns the accepted rows as
    ``row, time, lat, lng, category``."""
    opts = options or Options()
    judge, used = Judge(table), {}
    _judge_problem(table, judge)
    lat, lng, cols = locate(table, opts, judge, used)
    judge_position(lat, lng, cols, area, judge, table.frame)
    utc = _judge_time(table, opts, judge, used)
    cat_c = find_column(table.frame.columns, names.CATEGORY, given=opts.category_col,
                        path=table.path, option="--category-col")
    if cat_c:
        used["category"] = cat_c
        category = _cleaned(table.frame[cat_c])
        category = category.where(category != "", "unspecified")
    else:
        category = pd.Series("unspecified", index=table.frame.index, dtype="string")
    ok = judge.ok
    accepted = pd.DataFrame({
        "row": table.row[ok], "time": utc[ok].reset_index(drop=True),
        "lat": lat[ok], "lng": lng[ok],
        "category": category[ok].reset_index(drop=True).astype(str),
    })
    return Checked("incidents", table.path, accepted, judge, judge.n, used,
                   outside_note(judge, area), table.row_word)


def check_pings(table: RawTable, *, area: StudyArea | None = None,
                options: Options | None = None) -> Checked:
    """Check patrol pings: unit, position, time, duplicates. Accepted rows are
    ``row, unit, time, lat, lng`` sorted by unit and time (``unit`` is categorical).

    Of pings that share a unit and a time, the first in the file is kept.
    """
    opts = options or Options()
    judge, used = Judge(table), {}
    _judge_problem(table, judge)
    unit_c = find_column(table.frame.columns, names.UNIT, given=opts.unit_col,
                         path=table.path, option="--unit-col")
    if unit_c:
        used["unit"] = unit_c
        code, units = _unit_codes(table.frame[unit_c])
        judge.fail(code < 0, unit_c, "missing unit id")
    else:
        code, units = np.zeros(judge.n, dtype=np.int64), pd.Index([table.path.stem])
    lat, lng, cols = locate(table, opts, judge, used)
    judge_position(lat, lng, cols, area, judge, table.frame)
    utc = _judge_time(table, opts, judge, used)
    t_us = pd.DatetimeIndex(utc).as_unit("us").asi8
    ok = np.flatnonzero(judge.ok)
    if not sorted_by_key_time(code[ok], t_us[ok]):  # exports are often sorted already
        ok = ok[np.lexsort((t_us[ok], code[ok]))]  # stable: file order within equal keys
    order = ok
    dup = np.zeros(judge.n, dtype=bool)
    dup[order[1:]] = (code[order[1:]] == code[order[:-1]]) & (t_us[order[1:]] == t_us[order[:-1]])
    judge.fail(dup, used.get("time", "time"), "duplicate ping (same unit and time)",
               lambda rows: utc.iloc[rows].astype(str))
    keep = order[~dup[order]]
    accepted = pd.DataFrame({
        "row": table.row[keep],
        "unit": pd.Categorical.from_codes(code[keep], categories=units),
        "time": utc.iloc[keep].reset_index(drop=True), "lat": lat[keep], "lng": lng[keep],
    }, copy=False)
    return Checked("pings", table.path, accepted, judge, judge.n, used,
                   outside_note(judge, area), table.row_word)


def _unit_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer code per row (-1 where blank) and the unit names, trimmed; fast on millions."""
    raw_code, raw_names = pd.factorize(values, use_na_sentinel=True)
    trimmed = pd.Index(_cleaned(pd.Series(raw_names.astype(str))))
    name_code, names_ = pd.factorize(trimmed)
    name_code = np.where(trimmed == "", -1, name_code)
    code = np.where(raw_code >= 0, name_code[np.maximum(raw_code, 0)], -1)
    return code.astype(np.int64), pd.Index(names_)


def check_posts(table: RawTable, *, area: StudyArea | None = None,
                options: Options | None = None) -> Checked:
    """Check fixed posts: position and staffed hours. Accepted rows are
    ``row, post, lat, lng, start_min, end_min, active_from, active_to`` (minutes after local
    midnight; ``end_min`` may be smaller than ``start_min`` for a shift past midnight)."""
    from geo.inputs._times import parse_clock, parse_day

    opts = options or Options()
    judge, used = Judge(table), {}
    frame = table.frame
    _judge_problem(table, judge)
    lat, lng, cols = locate(table, opts, judge, used)
    judge_position(lat, lng, cols, area, judge, frame)
    label_c = find_column(frame.columns, names.POST_NAME) or find_column(frame.columns,
                                                                        names.POST_ID)
    if label_c:
        used["post"] = label_c
        label = _cleaned(frame[label_c])
        label = label.where(label != "", pd.Series([f"post {r}" for r in table.row],
                                                   index=frame.index, dtype="string"))
    else:
        label = pd.Series([f"post {r}" for r in table.row], index=frame.index, dtype="string")
    clocks = {}
    for key, choices, default in (("start_min", names.STAFFED_FROM, 0),
                                  ("end_min", names.STAFFED_TO, 24 * 60)):
        column = find_column(frame.columns, choices)
        if column is None:
            clocks[key] = np.full(len(frame), default)
            continue
        used[key.replace("_min", "")] = column
        minutes = parse_clock(frame[column])
        judge.fail(np.isnan(minutes), column, "staffed hour is not a time like 18:00",
                   frame[column])
        clocks[key] = minutes
    days = {}
    for key, choices in (("active_from", names.ACTIVE_FROM), ("active_to", names.ACTIVE_TO)):
        column = find_column(frame.columns, choices)
        days[key] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[s]")
        if column is not None:
            used[key] = column
            parsed, bad = parse_day(frame[column])
            judge.fail(bad, column, "not a date like 2025-05-29", frame[column])
            days[key] = parsed
    ok = judge.ok
    accepted = pd.DataFrame({
        "row": table.row[ok], "post": label[ok].astype(str).to_numpy(),
        "lat": lat[ok], "lng": lng[ok],
        "start_min": np.asarray(clocks["start_min"])[ok].astype(int),
        "end_min": np.asarray(clocks["end_min"])[ok].astype(int),
        "active_from": days["active_from"][ok].to_numpy(),
        "active_to": days["active_to"][ok].to_numpy(),
    })
    return Checked("posts", table.path, accepted, judge, judge.n, used,
                   outside_note(judge, area), table.row_word)


def _cleaned(values: pd.Series) -> pd.Series:
    """Text of a name or category column without controls or direction marks, spaces
    collapsed ("fi\u200eght " is "fight"); missing values are empty."""
    text = values.astype("string").fillna("").str.replace(CONTROL, "", regex=True)
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


def _judge_problem(table: RawTable, judge: Judge) -> None:
    if "_problem" in table.frame:
        problem = table.frame["_problem"]
        judge.fail((problem != "").to_numpy(), "*", "row has more fields than the header",
                   problem)


_CHECKS = {"incidents": check_incidents, "pings": check_pings, "posts": check_posts}


def read_checked(path: str | Path, kind: str, *, area: StudyArea | None = None,
                 options: Options | None = None) -> Checked:
    """Read a file and check its rows as ``kind`` ('incidents', 'pings' or 'posts')."""
    opts = options or Options()
    table = read_table(path, encoding=opts.encoding, delimiter=opts.delimiter,
                       sheet=opts.sheet, layer=opts.layer)
    return _CHECKS[kind](table, area=area, options=opts)


def read_incidents(path: str | Path, *, area: StudyArea | None = None,
                   options: Options | None = None) -> Checked:
    """Read and check an incident file."""
    return read_checked(path, "incidents", area=area, options=options)


def read_pings(path: str | Path, *, area: StudyArea | None = None,
               options: Options | None = None) -> Checked:
    """Read and check a patrol ping file (CSV, Parquet, GPX, GIS)."""
    return read_checked(path, "pings", area=area, options=options)


def read_posts(path: str | Path, *, area: StudyArea | None = None,
               options: Options | None = None) -> Checked:
    """Read and check a fixed-post file."""
    return read_checked(path, "posts", area=area, options=options)
