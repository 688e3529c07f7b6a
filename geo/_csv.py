"""The one writer of every CSV file the tool makes, safe to open in a spreadsheet.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula (and
some treat a leading tab or carriage return the same way), so a rejected value such as
``=HYPERLINK("http://…"&A1)`` would run when a planner opens the rejects file. Following
OWASP's rule for CSV injection, such a text cell is written with a ``'`` in front and in
quotes, which every spreadsheet shows as text.

What is neutralised and what is not: only *text* cells. A number is data, not a formula:
numeric columns are written as numbers, negative ones included, and a text cell that is a
plain number (``-91.5``, ``-91,5``, ``+3``) is left as it is, since a spreadsheet reads it as
that number and nothing runs. ``-1+2``, ``=1`` or ``@SUM(A1)`` are not plain numbers and are
neutralised.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FORMULA_START", "safe_cell", "write_csv"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def safe_cell(text: str) -> tuple[str, bool]:
    """The text as a spreadsheet should get it, and whether it must be quoted.

    >>> safe_cell('=cmd|\\' /C calc\\'!A0')
    ("'=cmd|' /C calc'!A0", True)
    >>> safe_cell("-91.5")
    ('-91.5', False)
    """
    if text.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text, True
    return text, False


def _field(text: str, sep: str) -> str:
    # csv.writer cannot quote chosen cells only (QUOTE_STRINGS is Python 3.12), so fields are
    # quoted here by the RFC 4180 rule: when neutralised, or holding the separator, a quote
    # or a line break; quotes inside are doubled.
    text, force = safe_cell(text)
    if force or sep in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _column_text(values: pd.Series, float_format: str | None) -> list[str]:
    """Each cell of a column as text: numbers as numbers, missing values empty."""
    if (pd.api.types.is_integer_dtype(values.dtype) and isinstance(values.dtype, np.dtype)):
        return values.to_numpy().astype(str).tolist()  # no missing value in a numpy int
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
        return ["" if pd.isna(v) else str(v) for v in values.astype(object)]
    if pd.api.types.is_float_dtype(values.dtype):
        fmt = float_format or "%r"
        return ["" if np.isnan(v) else (fmt % v if float_format else repr(float(v)))
                for v in values.to_numpy(dtype=float)]
    return ["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
            for v in values.astype(object)]


def _fields(texts: list[str], sep: str) -> list[str]:
    """The fields of a column, each distinct text made safe once (a rejects file repeats
    the same column and reason on every row)."""
    code, distinct = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=False)
    distinct = np.asarray(distinct, dtype=object)
    # only a text that may start a formula, or holds the separator, a quote or a line
    # break, is changed by _field: the others are written as they are
    risky = pd.Series(distinct, dtype=object).str.contains(
        "^[=+\\-@\t\r]|[\"\n\r" + re.escape(sep) + "]", regex=True).to_numpy(bool)
    out = distinct.copy()
    out[risky] = [_field(t, sep) for t in distinct[risky]]
    return out[code].tolist()


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, sep: str = ",",
              encoding: str = "utf-8", float_format: str | None = None) -> Path:
    """Write ``frame`` (without its index) as CSV, every text cell spreadsheet-safe.

    The file is written beside ``path`` and renamed into place, so a reader never sees half
    of it. Returns the path.
    """
    path = Path(path)
    columns = [_fields(_column_text(frame[c], float_format), sep) for c in frame.columns]
    lines = [sep.join(_field(str(c), sep) for c in frame.columns)]
    lines += [sep.join(row) for row in zip(*columns, strict=True)]
    part = path.with_name(f".{path.name}.part")
    try:
        with part.open("w", encoding=encoding, newline="") as fh:
            fh.write("\n".join(lines) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return path
