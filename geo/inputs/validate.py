"""Judge every row of an input table: accepted rows go on, bad rows go to rejects with a reason.

The core of patrolmap trusts what leaves this module: WGS84 ``lat``/``lng`` inside the study
area, a UTC ``time``, and only the columns the tool uses (free-text notes, names and addresses
are dropped here). Rows read always equal rows accepted plus rows rejected.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo._arrays import sorted_by_key_time
from geo._text import CONTROL
from geo.inputs import _columns as names
from geo.inputs._checked import Checked
from geo.inputs._columns import find_column
from geo.inputs._judge import LOCAL_TZ, Judge, Options, judge_problem
from geo.inputs._period import set_aside_outside, stretch_note
from geo.inputs._positions import judge_position, locate, outside_note, to_float
from geo.inputs._timing import judge_time, zone_note
from geo.inputs.area import StudyArea
from geo.inputs.readers import RawTable, read_table

__all__ = ["Options", "Checked", "check_incidents", "check_pings", "check_posts",
           "check_patrol_points", "read_incidents", "read_pings", "read_posts",
           "read_patrol_points", "unify_categories", "rejects_names", "safe_stem"]

MAX_COUNT = 1_000_000
"""A row standing for more incidents than this is an error in the file, not a count."""


# ------------------------------------------------------------------ the kinds

def check_incidents(table: RawTable, *, area: StudyArea | None = None,
                    options: Options | None = None) -> Checked:
    """Check incident rows: position, time, category and count. Returns the accepted rows as
    ``row, time, lat, lng, category, count`` (``count`` is 1 without a count column; ``time``
    is NaT with ``no_times`` unless a period asks for dates)."""
    opts = options or Options()
    judge, used = Judge(table), {}
    notes: list[str] = []
    judge_problem(table, judge)
    lat, lng, cols = locate(table, opts, judge, used)
    judge_position(lat, lng, cols, area, judge, table.frame)
    utc = judge_time(table, opts, judge, used, notes, no_times=opts.no_times)
    cat_c = find_column(table.frame.columns, names.CATEGORY, given=opts.category_col,
                        path=table.path, option="--category-col")
    if cat_c:
        used["category"] = cat_c
        category = unify_categories(table.frame[cat_c])
    else:
        category = pd.Series("unspecified", index=table.frame.index, dtype="string")
    counts = _judge_count(table, opts, judge, used, notes)
    period = set_aside_outside(utc, judge, date_from=opts.date_from, date_to=opts.date_to,
                               tz=opts.tz)
    ok = judge.ok
    if not opts.no_times:
        notes.extend(zone_note(lng, ok, opts.tz, given=opts.tz != LOCAL_TZ))
        if not period:
            notes.extend(stretch_note(utc, ok, tz=opts.tz))
    accepted = pd.DataFrame({
        "row": table.row[ok], "time": utc[ok].reset_index(drop=True),
        "lat": lat[ok], "lng": lng[ok],
        "category": category[ok].reset_index(drop=True).astype(str),
        "count": counts[ok],
    })
    zero = int((accepted["count"] == 0).sum()) if "count" in used else 0
    if zero:
        notes.append(f"{zero:,} accepted rows have a count of 0: they add no incident")
    return Checked("incidents", table.path, accepted, judge, judge.n, used,
                   outside_note(judge, area) + notes, table.row_word, period)


def unify_categories(values: pd.Series) -> pd.Series:
    """One name per category: names equal but for case, spacing or Unicode form become the
    spelling the column uses most often (the first of equally common ones); blanks become
    ``unspecified``.

    >>> unify_categories(pd.Series(["Theft", "theft ", "THEFT", "theft", None])).tolist()
    ['theft', 'theft', 'theft', 'theft', 'unspecified']
    """
    code, raw = pd.factorize(_cleaned(values), use_na_sentinel=False)
    if not len(raw):
        return pd.Series([], index=values.index, dtype="string")
    # spelling work on the distinct values only: a million rows hold a few dozen names
    forms = np.array([" ".join(unicodedata.normalize("NFC", str(v)).split()) or "unspecified"
                      for v in raw], dtype=object)
    keys = np.array([f.casefold() for f in forms], dtype=object)
    tally = pd.DataFrame({"key": keys, "form": forms,
                          "n": np.bincount(code, minlength=len(raw)),
                          "at": np.arange(len(raw))})  # factorize numbers by first sight
    tally = tally.groupby(["key", "form"], sort=False).agg(n=("n", "sum"), at=("at", "min"))
    best = tally.reset_index().sort_values(["n", "at"], ascending=[False, True])
    shown = best.drop_duplicates("key").set_index("key")["form"]
    return pd.Series(shown.reindex(keys).to_numpy(object)[code], index=values.index,
                     dtype="string")


def _judge_count(table: RawTable, opts: Options, judge: Judge, used: dict[str, str],
                 notes: list[str]) -> np.ndarray:
    """Incidents each row stands for, from ``--count-col`` or a column named like a count."""
    frame = table.frame
    taken = set(used.values())
    free = [c for c in frame.columns if c not in taken and not str(c).startswith("_")]
    column = find_column(frame.columns if opts.count_col else free, names.COUNT,
                         given=opts.count_col, path=table.path, option="--count-col")
    ones = np.ones(len(frame), dtype=np.int64)
    if column is None:
        return ones
    values, blank = to_float(frame[column])
    finite = values[np.isfinite(values)]
    if opts.count_col is None and len(finite) >= 10 and (
            np.array_equal(finite, np.arange(1, len(finite) + 1))
            or np.array_equal(finite, np.arange(len(finite)))):
        notes.append(f"column {column!r} numbers the rows, so it is not read as counts; pass "
                     "--count-col to use it")
        return ones
    used["count"] = column
    judge.fail(blank, column, "missing count")
    judge.fail(np.isnan(values), column, "count is not a number", frame[column])
    judge.fail(values < 0, column, "count is negative", frame[column])
    judge.fail(values != np.round(values), column, "count is not a whole number", frame[column])
    judge.fail(values > MAX_COUNT, column, "count is implausibly large (over 1,000,000)",
               frame[column])
    fine = np.isfinite(values) & (values >= 0) & (values <= MAX_COUNT)
    return np.where(fine, np.round(np.where(fine, values, 0)), 0).astype(np.int64)


def check_pings(table: RawTable, *, area: StudyArea | None = None,
                options: Options | None = None) -> Checked:
    """Check patrol pings: unit, position, time, duplicates. Accepted rows are
    ``row, unit, time, lat, lng`` sorted by unit and time (``unit`` is categorical).

    Of pings that share a unit and a time, the first in the file is kept.
    """
    opts = options or Options()
    tracked = judge_tracked(table, opts, area)
    judge, used, code, utc = tracked.judge, tracked.used, tracked.code, tracked.utc
    period = set_aside_outside(utc, judge, date_from=opts.date_from, date_to=opts.date_to,
                               tz=opts.tz)
    order, dup = sorted_repeats(judge, code, utc)
    judge.fail(dup, used.get("time", "time"), "duplicate ping (same unit and time)",
               lambda rows: utc.iloc[rows].astype(str))
    accepted = tracked.rows(table, order[~dup[order]])
    return Checked("pings", table.path, accepted, judge, judge.n, used,
                   outside_note(judge, area), table.row_word, period)


@dataclass
class Tracked:
    """What the checks of a unit's positions over time (pings, reported visits) share."""

    judge: Judge
    used: dict[str, str]
    notes: list[str]
    code: np.ndarray
    units: pd.Index
    lat: np.ndarray
    lng: np.ndarray
    utc: pd.Series

    def rows(self, table: RawTable, keep: np.ndarray, **extra: np.ndarray) -> pd.DataFrame:
        """The kept rows as ``row, unit, time, lat, lng`` and the ``extra`` columns."""
        return pd.DataFrame({
            "row": table.row[keep],
            "unit": pd.Categorical.from_codes(self.code[keep], categories=self.units),
            "time": self.utc.iloc[keep].reset_index(drop=True), "lat": self.lat[keep],
            "lng": self.lng[keep], **{k: v[keep] for k, v in extra.items()},
        }, copy=False)


def judge_tracked(table: RawTable, opts: Options, area: StudyArea | None) -> Tracked:
    """Judge a file of a unit's positions over time: malformed rows, unit, position, time."""
    judge, used = Judge(table), {}
    notes: list[str] = []
    judge_problem(table, judge)
    code, units = judge_units(table, opts, judge, used)
    lat, lng, cols = locate(table, opts, judge, used)
    judge_position(lat, lng, cols, area, judge, table.frame)
    utc = judge_time(table, opts, judge, used, notes, keys=code)
    return Tracked(judge, used, notes, code, units, lat, lng, utc)


def sorted_repeats(judge: Judge, code: np.ndarray, utc: pd.Series, *same: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """The judged rows sorted by unit and time (file order within equal keys), and which
    repeat the row before them in unit, time and every array of ``same``."""
    t_us = pd.DatetimeIndex(utc).as_unit("us").asi8
    order = np.flatnonzero(judge.ok)
    if not sorted_by_key_time(code[order], t_us[order]):  # exports are often sorted already
        order = order[np.lexsort((t_us[order], code[order]))]  # stable
    repeat = np.zeros(judge.n, dtype=bool)
    after, before = order[1:], order[:-1]
    found = (code[after] == code[before]) & (t_us[after] == t_us[before])
    for values in same:
        found &= values[after] == values[before]
    repeat[after] = found
    return order, repeat


def judge_units(table: RawTable, opts: Options, judge: Judge, used: dict[str, str]
                ) -> tuple[np.ndarray, pd.Index]:
    """Unit code per row and the unit names; one unit named after the file without a unit
    column. Blank unit ids are rejected."""
    unit_c = find_column(table.frame.columns, names.UNIT, given=opts.unit_col,
                         path=table.path, option="--unit-col")
    if not unit_c:
        return np.zeros(judge.n, dtype=np.int64), pd.Index([table.path.stem])
    used["unit"] = unit_c
    code, units = _unit_codes(table.frame[unit_c])
    judge.fail(code < 0, unit_c, "missing unit id")
    return code, units


def _unit_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer code per row (-1 where blank) and the unit names, trimmed, both numbered by
    first appearance; fast on millions (the names are cleaned once each)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        row_code = values.cat.codes.to_numpy()
        rank, raw_names = _appearance(row_code, values.cat.categories)
    else:
        row_code, raw_names = pd.factorize(values, use_na_sentinel=True)
        rank = np.r_[np.arange(len(raw_names)), -1]
    trimmed = pd.Index(_cleaned(pd.Series(np.asarray(raw_names).astype(str))))
    name_code, names_ = pd.factorize(trimmed)
    name_code = np.r_[np.where(trimmed == "", -1, name_code), -1].astype(np.int64)
    return name_code[rank][row_code], pd.Index(names_)  # a code of -1 takes the last


def _appearance(codes: np.ndarray, categories: pd.Index) -> tuple[np.ndarray, pd.Index]:
    """For categorical codes (-1 missing): each category's rank by first appearance (-1
    for none, and a last -1 for a missing value), and the categories that appear in that
    order, as :func:`pandas.factorize` numbers them; one pass over the rows, since a ping
    file holds each unit's pings in long runs."""
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    seen = pd.unique(codes[starts])
    seen = seen[seen >= 0].astype(np.int64)
    rank = np.full(len(categories) + 1, -1, dtype=np.int64)
    rank[seen] = np.arange(len(seen))
    return rank, categories[seen]


def check_posts(table: RawTable, *, area: StudyArea | None = None,
                options: Options | None = None) -> Checked:
    """Check fixed posts: position and staffed hours. Accepted rows are
    ``row, post, lat, lng, start_min, end_min, active_from, active_to, languages`` (minutes
    after local midnight; ``end_min`` may be smaller than ``start_min`` for a shift past
    midnight; ``languages`` the codes its officers speak, ``"sr;sq"``, or empty)."""
    from geo.inputs._clock import parse_clock
    from geo.inputs._times import parse_day

    opts = options or Options()
    judge, used = Judge(table), {}
    frame = table.frame
    judge_problem(table, judge)
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
    lang_c = find_column(frame.columns, names.LANGUAGES)
    if lang_c:
        used["languages"] = lang_c
        languages = frame[lang_c].map(language_codes)
    else:
        languages = pd.Series("", index=frame.index)
    ok = judge.ok
    accepted = pd.DataFrame({
        "row": table.row[ok], "post": label[ok].astype(str).to_numpy(),
        "lat": lat[ok], "lng": lng[ok],
        "start_min": np.asarray(clocks["start_min"])[ok].astype(int),
        "end_min": np.asarray(clocks["end_min"])[ok].astype(int),
        "active_from": days["active_from"][ok].to_numpy(),
        "active_to": days["active_to"][ok].to_numpy(),
        "languages": languages[ok].astype(str).to_numpy(),
    })
    return Checked("posts", table.path, accepted, judge, judge.n, used,
                   outside_note(judge, area), table.row_word)


def _cleaned(values: pd.Series) -> pd.Series:
    """Text of a name or category column without controls or direction marks, spaces
    collapsed ("fi\u200eght " is "fight"); missing values are empty."""
    text = values.astype("string").fillna("").str.replace(CONTROL, "", regex=True)
    return text.str.replace(r"\s+", " ", regex=True).str.strip()


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
    names_, seen = [], set()
    for path in paths:
        stem = safe_stem(path)
        name, n = f"{stem}_rejects.csv", 1
        while name.lower() in seen:
            n += 1
            name = f"{stem}_{n}_rejects.csv"
        seen.add(name.lower())
        names_.append(name)
    return names_


_LANGUAGE_NAMES = {
    "sr": ("sr", "srp", "serbian", "srpski", "srpskom", "српски", "serbisht", "sr-latn",
           "sr-cyrl"),
    "sq": ("sq", "sqi", "alb", "albanian", "albanski", "албански", "shqip", "shqipe"),
    "en": ("en", "eng", "english", "engleski", "енглески", "anglisht"),
    "bs": ("bs", "bosnian", "bosanski", "boshnjakisht"),
    "tr": ("tr", "turkish", "turski", "turqisht"),
}
_LANGUAGE_CODE = {name: code for code, found in _LANGUAGE_NAMES.items() for name in found}


def language_codes(value) -> str:
    """Languages named in one cell as ``;``-joined codes, known names folded to codes.

    >>> language_codes("Srpski, Shqip / English"), language_codes(None)
    ('sr;sq;en', '')
    """
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    import re

    words = [w for w in re.split(r"[;,/|+\s]+", str(value).strip().lower()) if w]
    codes = []
    for word in words:
        code = _LANGUAGE_CODE.get(word, word)
        if code not in codes:
            codes.append(code)
    return ";".join(codes)


def check_patrol_points(table: RawTable, *, area: StudyArea | None = None,
                        options: Options | None = None) -> Checked:
    """Check reported patrol visits (see :mod:`geo.inputs._visits`)."""
    from geo.inputs._visits import check_visits

    return check_visits(table, area=area, options=options)


_CHECKS = {"incidents": check_incidents, "pings": check_pings, "posts": check_posts,
           "patrol_points": check_patrol_points}


def read_checked(path: str | Path, kind: str, *, area: StudyArea | None = None,
                 options: Options | None = None) -> Checked:
    """Read a file and check its rows as ``kind`` ('incidents', 'pings', 'posts' or
    'patrol_points')."""
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


def read_patrol_points(path: str | Path, *, area: StudyArea | None = None,
                       options: Options | None = None) -> Checked:
    """Read and check a file of reported patrol visits (position, time, optional unit and
    minutes)."""
    return read_checked(path, "patrol_points", area=area, options=options)
