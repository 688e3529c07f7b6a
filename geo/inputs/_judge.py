"""The reading options and the row judge shared by the input checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.inputs.readers import RawTable

LOCAL_TZ = "Europe/Belgrade"


@dataclass(frozen=True)
class Options:
    """How to read a file's columns; every field is optional and guessed when missing."""

    lat_col: str | None = None
    lng_col: str | None = None
    x_col: str | None = None
    y_col: str | None = None
    time_col: str | None = None
    category_col: str | None = None
    unit_col: str | None = None
    crs: str | None = None
    tz: str = LOCAL_TZ
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    layer: str | None = None


class Judge:
    """Collects the first failing check of each row, vectorized."""

    def __init__(self, table: RawTable) -> None:
        self.table = table
        self.n = len(table.frame)
        self.code = np.zeros(self.n, dtype=np.int16)
        self.reasons: list[tuple[str, str]] = [("", "")]
        self.values: dict[int, pd.Series] = {}

    @property
    def ok(self) -> np.ndarray:
        return self.code == 0

    def fail(self, mask: np.ndarray, column: str, reason: str, values=None) -> None:
        mask = np.asarray(mask, dtype=bool) & self.ok
        if not mask.any():
            return
        self.reasons.append((column, reason))
        code = len(self.reasons) - 1
        self.code[mask] = code
        if values is not None:
            self.values[code] = values if callable(values) else pd.Series(values, copy=False)

    @property
    def rejected(self) -> int:
        return int(np.count_nonzero(self.code))

    def rejects(self, *, values: bool = True) -> pd.DataFrame:
        bad = np.flatnonzero(self.code)
        codes = self.code[bad]
        column = np.array([c for c, _ in self.reasons], dtype=object)[codes]
        reason = np.array([r for _, r in self.reasons], dtype=object)[codes]
        frame = pd.DataFrame({"row": self.table.row[bad], "column": column, "reason": reason})
        if not values:
            return frame
        value = np.full(len(bad), "", dtype=object)
        for code, source in self.values.items():
            pick = codes == code
            rows = bad[pick]
            shown = source(rows) if callable(source) else source.iloc[rows]
            value[pick] = [_short(v) for v in shown]
        frame["value"] = value
        return frame


def _short(value) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ------------------------------------------------------------------ coordinates
