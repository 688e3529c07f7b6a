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

import codecs
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo._arrays import in_threads

__all__ = ["FORMULA_START", "safe_cell", "csv_lines", "write_csv"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BLOCK_ROWS = 1_000_000
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


def _column_text(values: pd.Series, float_format: str | None) -> pa.Array:
    """Each cell of a column as text (an Arrow string array without nulls): numbers as
    numbers, missing values empty. Whole columns at a time: a rejects file has millions."""
    if pd.api.types.is_integer_dtype(values.dtype) and isinstance(values.dtype, np.dtype):
        return pc.cast(pa.array(values.to_numpy()), pa.string())  # no missing value here
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_integer_dtype(values.dtype):
        return pa.array(["" if pd.isna(v) else str(v) for v in values.astype(object)],
                        pa.string())
    if pd.api.types.is_float_dtype(values.dtype):
        floats = values.to_numpy(dtype=float, na_value=np.nan)
        if float_format:
            return pa.array(["" if np.isnan(v) else float_format % v for v in floats],
                            pa.string())
        # numpy writes each float as repr does (the shortest text that reads back)
        return pa.array(np.where(np.isnan(floats), "", floats.astype(str)), pa.string())
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        text = pa.array(values)  # Arrow already
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        return pc.fill_null(text.cast(pa.string()), "")
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        # text and missing values only: converted in one go
        text = pa.array(values.to_numpy(dtype=object), pa.string(), from_pandas=True)
        return pc.fill_null(text, "")
    return pa.array(["" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
                     for v in values.astype(object)], pa.string())


def _fields(texts, sep: str) -> list[str]:
    """The fields of a column as :func:`_field` makes each (see :func:`_safe_fields`)."""
    return _safe_fields(pa.array(list(texts), pa.string()), sep).to_pylist()


def _safe_fields(texts: pa.Array, sep: str) -> pa.Array:
    """The fields of a column as :func:`_field` makes each: a text that may start a formula
    goes through it (each distinct one once); one that holds the separator, a quote or a
    line break is quoted in one go; the others are written as they are."""
    shown_sep = "\\" + sep if sep in "\\]^-[" else sep
    formula = pc.match_substring_regex(texts, "^[=+\\-@\t\r]")
    quoted = pc.and_not(pc.match_substring_regex(texts, "[\"\n\r" + shown_sep + "]"),
                        formula)
    if pc.all(quoted).as_py():  # a column of positions "42.9, 20.8" is quoted throughout
        texts = pc.binary_join_element_wise('"', _doubled(texts), '"', "")
    elif pc.any(quoted).as_py():
        inner = _doubled(pc.filter(texts, quoted))
        texts = pc.replace_with_mask(texts, quoted,
                                     pc.binary_join_element_wise('"', inner, '"', ""))
    if pc.any(formula).as_py():
        made = {t: _field(t, sep) for t in pc.unique(pc.filter(texts, formula)).to_pylist()}
        changed = [made[t] for t in pc.filter(texts, formula).to_pylist()]
        texts = pc.replace_with_mask(texts, formula, pa.array(changed, pa.string()))
    return texts


def _doubled(texts: pa.Array) -> pa.Array:
    """Texts with each quote doubled, as inside a quoted field."""
    if not pc.any(pc.match_substring(texts, '"')).as_py():
        return texts
    return pc.replace_substring(texts, '"', '""')


def csv_lines(frame: pd.DataFrame, *, sep: str = ",", float_format: str | None = None,
              header: bool = True) -> bytes:
    """The lines of ``frame`` as UTF-8 CSV (with its header line first when asked), every
    text cell spreadsheet-safe; each line ends with a line break."""
    return b"".join(_csv_blocks(frame, sep=sep, float_format=float_format, header=header))


def _csv_blocks(frame: pd.DataFrame, *, sep: str, float_format: str | None, header: bool):
    """:func:`csv_lines` a block of a million rows at a time (Arrow's memory, not copies)."""
    if header:
        yield (sep.join(_field(str(c), sep) for c in frame.columns) + "\n").encode()
    if not len(frame.columns):  # no fields, so no lines
        return

    def fields(block_column: tuple[int, str]) -> pa.Array:
        lo, column = block_column
        values = frame[column].iloc[lo:lo + _BLOCK_ROWS]
        text = _column_text(values, float_format)
        if (pd.api.types.is_integer_dtype(values.dtype) and isinstance(values.dtype, np.dtype)
                and sep not in "-0123456789"):
            return text  # whole numbers: nothing to quote, nothing a formula
        return _safe_fields(text, sep)

    for lo in range(0, len(frame), _BLOCK_ROWS):  # string offsets stay far below 2 GB
        # the columns side by side in threads: Arrow's kernels let go of the interpreter
        columns = in_threads(fields, [(lo, c) for c in frame.columns])
        joined = pc.binary_join_element_wise(*columns, sep) if len(columns) > 1 else columns[0]
        joined = pc.binary_join_element_wise(joined, "", "\n")  # each line ends with one
        offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32, count=len(joined) + 1,
                                offset=joined.offset * 4)
        yield memoryview(joined.buffers()[2])[offsets[0]:offsets[-1]]


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str], *, sep: str = ",",
              encoding: str = "utf-8", float_format: str | None = None) -> Path:
    """Write ``frame`` (without its index) as CSV, every text cell spreadsheet-safe.

    The file is written beside ``path`` and renamed into place, so a reader never sees half
    of it. Returns the path.
    """
    path = Path(path)
    blocks = _csv_blocks(frame, sep=sep, float_format=float_format, header=True)
    if codecs.lookup(encoding).name != "utf-8":
        blocks = [b"".join(blocks).decode("utf-8").encode(encoding)]
    part = path.with_name(f".{path.name}.part")
    try:
        with part.open("wb") as fh:
            for block in blocks:  # each written as it is made
                fh.write(block)
            fh.flush()
            os.fsync(fh.fileno())
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    return path
