"""Read one sheet of an .xlsx file as a grid, streaming and within :mod:`~geo.inputs._limits`.

The file is checked before openpyxl opens it: the zip's parts are unpacked sizes within the
limits (Python's zip reader never unpacks more than a part declares), every XML part passes the
streaming check (no DTD, no deep nesting), and the sheet has no more rows than allowed and no
row more cells than allowed. The sheet is then read in openpyxl's read-only mode, a row at a
time, and a cell past the column limit stops the reading with an error: nothing is padded out
to column XFD.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.inputs._limits import Limits, check_xml

__all__ = ["read_sheet"]

_MB = 1024 * 1024


def _first_line(err: Exception) -> str:
    text = " ".join(str(err).split())[:120]
    return text or type(err).__name__


def _check_parts(path: Path, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as err:
        msg = f"{path}: not a readable Excel .xlsx file ({_first_line(err)})"
        raise InputError(msg) from None
    with archive:
        for info in archive.infolist():
            name = info.filename
            if name.lower().endswith("sharedstrings.xml") and (
                    info.file_size > limits.strings_mb * _MB):
                limits.over(path, "its shared strings", info.file_size / _MB, "strings_mb",
                            " MB")
            if not name.lower().endswith((".xml", ".rels")):
                continue
            rows, cells = 0, 0

            def on_start(element: str, part=name) -> None:
                nonlocal rows, cells
                tag = element.rpartition(":")[2]
                if tag == "row":
                    rows, cells = rows + 1, 0
                    if rows > limits.rows:
                        limits.over(f"{path} ({part})", "rows", rows, "rows")
                elif tag == "c":
                    cells += 1
                    if cells > limits.columns:
                        limits.over(f"{path} ({part}), row {rows}", "cells in one row", cells,
                                    "columns")

            try:
                with archive.open(info) as part:
                    check_xml(part, path, limits, size=info.file_size, part=name,
                              on_start=on_start if name.startswith("xl/worksheets/") else None)
            except (zipfile.BadZipFile, OSError, NotImplementedError, RuntimeError) as err:
                msg = f"{path}: not a readable Excel .xlsx file ({_first_line(err)})"
                raise InputError(msg) from None


def _value(cell: dict):
    """A cell as pandas would give it: integral numbers as int, errors and blanks as NaN."""
    value = cell["value"]
    if value is None or cell.get("data_type") == "e" or (isinstance(value, str) and
                                                         not value.strip()):
        return np.nan
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rows(book, sheet, path: Path, limits: Limits) -> dict[int, list]:
    """Spreadsheet row number -> values from column A, for rows holding any value."""
    # the read-only sheet pads each row out to its last cell (or the declared width); the
    # parser under it yields the cells as they are, so a cell past the limit stops here
    from openpyxl.worksheet._reader import WorkSheetParser

    declared = (sheet.max_row or 0, sheet.max_column or 0)
    if declared[1] > limits.columns:
        limits.over(f"{path} (sheet {sheet.title!r})", "the declared width in columns",
                    declared[1], "columns")
    if declared[0] > limits.rows:
        limits.over(f"{path} (sheet {sheet.title!r})", "the declared rows", declared[0], "rows")
    rows: dict[int, list] = {}
    with sheet._get_source() as source:
        parser = WorkSheetParser(source, sheet._shared_strings, data_only=True,
                                 epoch=book.epoch, date_formats=book._date_formats,
                                 timedelta_formats=book._timedelta_formats)
        for number, cells in parser.parse():
            if number > limits.rows:
                limits.over(f"{path} (sheet {sheet.title!r})", "row number", number, "rows")
            values = {}
            for cell in cells:
                if cell["column"] > limits.columns:
                    limits.over(f"{path} (sheet {sheet.title!r}), row {number}",
                                "a cell's column", cell["column"], "columns")
                value = _value(cell)
                if not (isinstance(value, float) and np.isnan(value)):
                    values[cell["column"]] = value
            if values:
                width = max(values)
                rows[number] = [values.get(c, np.nan) for c in range(1, width + 1)]
    return rows


def read_sheet(path: Path, *, sheet: str | None, limits: Limits) -> tuple[str, pd.DataFrame]:
    """The named sheet (or the first with data) as an object grid indexed by row number - 1,
    holding only rows with a value; and the sheet's name."""
    import openpyxl

    _check_parts(path, limits)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many types for a broken file
        msg = f"{path}: not a readable Excel .xlsx file ({_first_line(err)})"
        raise InputError(msg) from None
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            msg = f"{path}: no sheet {sheet!r}; sheets are {names}"
            raise InputError(msg)
        for name in [sheet] if sheet is not None else names:
            try:
                rows = _rows(book, book[name], path, limits)
            except InputError:
                raise
            except Exception as err:  # a broken sheet part
                msg = f"{path}: sheet {name!r} is not readable ({_first_line(err)})"
                raise InputError(msg) from None
            if rows or sheet is not None:
                width = max((len(r) for r in rows.values()), default=0)
                grid = pd.DataFrame([r + [np.nan] * (width - len(r)) for r in rows.values()],
                                    index=np.fromiter(rows, dtype=np.int64, count=len(rows)) - 1,
                                    columns=range(width), dtype=object)
                return name, grid
        msg = f"{path}: every sheet is empty"
        raise InputError(msg)
    finally:
        book.close()
