"""Limits on what a file may ask of a parser, checked before any library walks it.

A hostile or broken file must end in a one-line error, never in a crash, minutes of work or
gigabytes of memory: deeply nested XML (a GPX with nested extensions), entity tricks, a
spreadsheet that claims cells out to column XFD, a shared string of hundreds of megabytes, a
CSV header of a million columns. Each limit is generous for real exports and can be raised
with an environment variable, for a genuine file that needs more:

=============================  =========  =====================================================
variable                       default    what
=============================  =========  =====================================================
``PATROLMAP_MAX_COLUMNS``      1,000      columns of a CSV header or a spreadsheet row
``PATROLMAP_MAX_ROWS``         1,048,576  rows of a spreadsheet (Excel's own maximum)
``PATROLMAP_MAX_XML_MB``       200        size of a GPX or KML file, and of each part of a .xlsx
``PATROLMAP_MAX_XML_DEPTH``    64         nesting of XML elements (a GPX needs about 8)
``PATROLMAP_MAX_STRINGS_MB``   100        the shared strings of a .xlsx, unpacked
=============================  =========  =====================================================

A document type declaration (DTD) or an entity in XML is always refused: GPX, KML and Excel
files have no need of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.parsers import expat

from geo._errors import InputError

__all__ = ["Limits", "check_xml"]

_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The limits in force; :meth:`from_env` reads the ``PATROLMAP_MAX_*`` variables."""

    columns: int = 1_000
    rows: int = 1_048_576
    xml_mb: float = 200
    xml_depth: int = 64
    strings_mb: float = 100

    @classmethod
    def from_env(cls) -> Limits:
        """The default limits, each replaced by its environment variable when set."""
        given = {}
        for field, name in _VARIABLES.items():
            raw = os.environ.get(name)
            if raw is None or not raw.strip():
                continue
            kind = type(getattr(cls, field))
            try:
                value = kind(raw.replace("_", "").replace(",", ""))
            except ValueError:
                value = 0
            if not value > 0:
                msg = f"{name}={raw}: give a positive number"
                raise InputError(msg)
            given[field] = value
        return cls(**given)

    def over(self, path: Path | str, what: str, value: float, field: str, unit: str = "") -> None:
        """Raise the one-line error for ``what`` of ``value`` past the ``field`` limit."""
        limit = getattr(self, field)
        msg = (f"{path}: {what}: {value:,.0f}{unit}, over the limit of {limit:,.0f}{unit}; "
               f"if the file is genuine, raise the limit with {_VARIABLES[field]}")
        raise InputError(msg)


_VARIABLES = {"columns": "PATROLMAP_MAX_COLUMNS", "rows": "PATROLMAP_MAX_ROWS",
              "xml_mb": "PATROLMAP_MAX_XML_MB", "xml_depth": "PATROLMAP_MAX_XML_DEPTH",
              "strings_mb": "PATROLMAP_MAX_STRINGS_MB"}


class _RefusedError(Exception):
    """Raised inside the expat handlers; carries the one-line reason."""


def check_xml(source: IO[bytes], path: Path | str, limits: Limits, *, size: int | None = None,
              on_start: Callable[[str], None] | None = None, part: str = "") -> None:
    """Stream ``source`` through expat once, refusing a DTD or entity, nesting deeper than
    ``limits.xml_depth`` and more than ``limits.xml_mb``; ``on_start(name)`` may refuse an
    element too (raising :class:`InputError`). Nothing is built, so memory stays flat.
    """
    where = f" ({part})" if part else ""
    if size is not None and size > limits.xml_mb * _MB:
        limits.over(f"{path}{where}", "the XML", size / _MB, "xml_mb", " MB")
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def start(name: str, _attrs) -> None:
        nonlocal depth
        depth += 1
        if depth > limits.xml_depth:
            msg = (f"elements nested deeper than {limits.xml_depth} levels; if the file is "
                   f"genuine, raise {_VARIABLES['xml_depth']}")
            raise _RefusedError(msg)
        if on_start is not None:
            on_start(name)

    def end(_name: str) -> None:
        nonlocal depth
        depth -= 1

    def refuse(*_args) -> None:
        msg = "it declares a document type or entities (refused in input files)"
        raise _RefusedError(msg)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    read = 0
    try:
        while chunk := source.read(_MB):
            read += len(chunk)
            if read > limits.xml_mb * _MB:
                limits.over(f"{path}{where}", "the XML", read / _MB, "xml_mb", " MB")
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _RefusedError as err:
        msg = f"{path}{where}: not read: {err}"
        raise InputError(msg) from None
    except expat.ExpatError as err:
        msg = (f"{path}{where}: not well-formed XML at line {err.lineno}, column {err.offset} "
               f"({expat.ErrorString(err.code)})")
        raise InputError(msg) from None
