"""The reading options and the row judge shared by the input checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.inputs.readers import RawTable

LOCAL_TZ = "Europe/Belgrade"


@dataclass(frozen=True)
class Options:
    """How to read a file's columns; every field is optional and guessed when missing."""

    lat_col: str | None = None
    lng_col: str | None = None
    x_col: str | None = None
    y_col: str | None = None
    time_col: str | tuple[str, str] | None = None
    """One date-and-time column, or (date column, time-of-day column)."""
    date_col: str | None = None
    hour_col: str | None = None
    """A time-of-day column to combine with the date: a clock time, an hour 0-23, HHMM or
    minutes after midnight."""
    category_col: str | None = None
    unit_col: str | None = None
    crs: str | None = None
    tz: str = LOCAL_TZ
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    layer: str | None = None
    count_col: str | None = None
    """Incidents each row stands for (aggregated exports); 1 per row without one."""
    no_times: bool = False
    """Incident files have no usable time of day: only the ``all`` band is analysed."""
    date_from: str | None = None
    date_to: str | None = None
    """Keep rows of these local days (inclusive); others are counted as outside the period."""
    duration_col: str | None = None
    visit_minutes: float = 15.0
    """Minutes a reported patrol visit stands for when the file gives no duration."""


class Judge:
    """Collects the first failing check of each row, vectorized."""

    def __init__(self, table: RawTable) -> None:
        self.table = table
        self.n = len(table.frame)
        self.code = np.zeros(self.n, dtype=np.int16)
        self.reasons: list[tuple[str, str]] = [("", "")]
        self.values: dict[int, pd.Series] = {}
        self.aside = np.zeros(self.n, dtype=bool)
        self._ok = np.ones(self.n, dtype=bool)  # kept up to date: millions of rows

    @property
    def ok(self) -> np.ndarray:
        """Rows neither rejected nor set aside (outside the period); a copy."""
        return self._ok.copy()

    def set_aside(self, mask: np.ndarray) -> None:
        """Leave rows that pass every check out without rejecting them."""
        mask = np.asarray(mask, dtype=bool) & self._ok
        self.aside |= mask
        self._ok &= ~mask

    @property
    def outside(self) -> int:
        """Rows set aside."""
        return int(np.count_nonzero(self.aside))

    def fail(self, mask: np.ndarray, column: str, reason: str, values=None) -> None:
        mask = np.asarray(mask, dtype=bool) & self._ok
        if not mask.any():
            return
        self.reasons.append((column, reason))
        code = len(self.reasons) - 1
        self.code[mask] = code
        self._ok &= ~mask
        if values is not None:
            self.values[code] = values if callable(values) else pd.Series(values, copy=False)

    @property
    def rejected(self) -> int:
        return int(np.count_nonzero(self.code))

    def rejects(self, *, values: bool = True) -> pd.DataFrame:
        """Every rejected row: ``row``, ``column``, ``reason`` and (with ``values``) the
        offending ``value``, the texts made by Arrow (a rejects file has millions)."""
        bad = np.flatnonzero(self.code)
        codes = self.code[bad]
        at = pa.array(codes.astype(np.int32))
        frame = pd.DataFrame({"row": self.table.row[bad],
                              "column": _texts(pa.array([c for c, _ in self.reasons]).take(at)),
                              "reason": _texts(pa.array([r for _, r in self.reasons]).take(at))})
        if not values:
            return frame
        pieces, places = [], []
        for code, source in self.values.items():
            pick = np.flatnonzero(codes == code)
            rows = bad[pick]
            pieces.append(_shorts(source(rows) if callable(source) else source.iloc[rows]))
            places.append(pick)
        rest = np.flatnonzero(~np.isin(codes, list(self.values)))  # reasons without a value
        pieces.append(pc.fill_null(pa.nulls(len(rest), pa.string()), ""))
        places.append(rest)
        where = np.empty(len(bad), dtype=np.int64)  # each reject's place among the pieces
        where[np.concatenate(places)] = np.arange(len(bad))
        frame["value"] = _texts(pa.concat_arrays(pieces).take(pa.array(where)))
        return frame


def _texts(values: pa.Array) -> pd.Series:
    """Arrow strings as pandas' own text column (Arrow's memory, not a Python string each)."""
    return pd.Series(values, dtype=pd.StringDtype("pyarrow"), copy=False)  # pandas 2.1 on


_SHORT = 60
"""Longest value a rejects file shows whole."""


def _shorts(values) -> pa.Array:
    """Each value as :func:`_short` shows it, as Arrow strings; a short text (most are) as it
    is. Texts in an Arrow string array (millions of positions) are measured and cut by
    Arrow."""
    if isinstance(values, pa.Array) and pa.types.is_string(values.type):
        values = pc.fill_null(values, "")
        long = pc.greater(pc.utf8_length(values), _SHORT)
        if pc.any(long).as_py():
            cut = pc.binary_join_element_wise(
                pc.utf8_slice_codeunits(values, 0, _SHORT - 3), "...", "")
            values = pc.if_else(long, cut, values)
        return values
    return pa.array([v if type(v) is str and len(v) <= _SHORT else _short(v) for v in values],
                    pa.string())


def _short(value) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return text if len(text) <= _SHORT else text[:_SHORT - 3] + "..."


# ------------------------------------------------------------------ coordinates


def judge_problem(table: RawTable, judge: Judge) -> None:
    """Reject the rows the reader found malformed (more fields than the header)."""
    if "_problem" in table.frame:
        problem = table.frame["_problem"]
        judge.fail((problem != "").to_numpy(), "*", "row has more fields than the header",
                   problem)
