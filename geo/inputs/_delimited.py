"""Delimited text tables (CSV, TSV): the encoding, the delimiter, and the rows a piece at a
time, so that a file of any size is read in bounded memory.

The encoding is guessed from the whole file and the delimiter and title lines from its first
64 KB, in passes over the bytes that hold one block at a time; the rows are then parsed in
one pass and handed out ``chunk_rows`` at a time, with the line number a user sees for each.
Reading in chunks gives exactly the rows, row numbers and problems of reading the file whole.
"""

from __future__ import annotations

import codecs
import collections
import csv
import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo.inputs._columns import header_row, unique_names
from geo.inputs._limits import Limits

__all__ = ["sniff_delimiter", "detect_encoding", "text_chunks"]

_BLOCK_BYTES = 1 << 22
_SERBIAN_ALBANIAN = set("čćšžđČĆŠŽĐëçËÇ")

_DELIMITERS = (",", ";", "\t", "|")
_SAMPLE_CHARS = 65_536
_SAMPLE_RECORDS = 200


def sniff_delimiter(text: str) -> str:
    r"""The delimiter that splits the first records (up to 200, or 64 KB) most consistently.

    Each candidate splits the sample with the csv parser itself, so a ``;`` or ``,`` inside a
    quoted category or note counts for nothing; the one whose most common field count (at
    least 2) holds the largest share of records wins, then the one with more fields.
    ``csv.Sniffer`` guesses from character counts per line and gives up on one quoted ``;``,
    which is why it is not used.

    >>> sniff_delimiter('id,category,lat\n1,"fight; outside bar",42.9\n2,theft,42.8\n')
    ','
    """
    sample = text[:_SAMPLE_CHARS]
    cut = len(text) > _SAMPLE_CHARS
    best, best_key = ",", None
    for order, sep in enumerate(_DELIMITERS):
        try:
            records = [len(r) for r in itertools.islice(
                csv.reader(io.StringIO(sample, newline=""), delimiter=sep), _SAMPLE_RECORDS + 1)
                if any(f.strip() for f in r)]
        except csv.Error:
            continue
        if cut and len(records) > 1:
            records = records[:-1]  # the sample may end inside the last record
        records = records[:_SAMPLE_RECORDS]
        if not records:
            continue
        counts = collections.Counter(records)
        fields, share = max(counts.items(), key=lambda item: (item[1], item[0]))
        if fields < 2:
            continue
        key = (share / len(records), fields, -order)
        if best_key is None or key > best_key:
            best, best_key = sep, key
    return best


def detect_encoding(data: bytes) -> str:
    """Guess the encoding of a text file: UTF-8, else Windows-1250 (Latin) or -1251 (Cyrillic).

    Serbian Latin and Albanian text read as Windows-1250 is mostly the letters č ć š ž đ ë ç
    among its non-ASCII ones; Cyrillic bytes read as Windows-1250 give a spread of other
    accented letters, or bytes Windows-1250 does not define at all.

    >>> detect_encoding("Митровица".encode("cp1251"))
    'cp1251'
    >>> detect_encoding("Kneginje Milice, Zvečan".encode("cp1250"))
    'cp1250'
    """
    return _detect(lambda: iter([data]))


def _detect(blocks) -> str:
    """:func:`detect_encoding` over a file's bytes as ``blocks()`` gives them, a block at a
    time (called again for each pass)."""
    first = next(blocks(), b"")
    if first.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for block in blocks():
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    high = serbian = 0
    for block in blocks():
        try:
            latin = block.decode("cp1250")  # one byte a letter: blocks split nothing
        except UnicodeDecodeError:
            return "cp1251"
        letters = [ch for ch in latin if ord(ch) > 0x7F]
        high += len(letters)
        serbian += sum(ch in _SERBIAN_ALBANIAN for ch in letters)
    if not high:
        return "cp1250"
    return "cp1250" if serbian / high >= 0.5 else "cp1251"


def _blocks(path: Path):
    def read() -> Iterator[bytes]:
        with path.open("rb") as fh:
            while block := fh.read(_BLOCK_BYTES):
                yield block
    return read


def _check_decodes(path: Path, enc: str) -> None:
    """Refuse a file that the encoding cannot decode, naming the line of the first bad byte."""
    try:
        decoder = codecs.getincrementaldecoder(enc)()
    except LookupError:
        msg = (f"{path}: cannot decode the file as {enc}; "
               "pass --encoding utf-8, cp1250 (Latin) or cp1251 (Cyrillic)")
        raise InputError(msg) from None
    lines = 0  # line breaks in the bytes decoded so far
    for block in itertools.chain(_blocks(path)(), [None]):
        pending = decoder.getstate()[0]
        try:
            decoder.decode(b"" if block is None else block, final=block is None)
        except UnicodeDecodeError as err:
            seen = pending + (block or b"")
            line = lines - pending.count(b"\n") + seen[:err.start].count(b"\n") + 1
            msg = (f"{path}: cannot decode the file as {enc} at line {line}; "
                   "pass --encoding utf-8, cp1250 (Latin) or cp1251 (Cyrillic)")
            raise InputError(msg) from None
        lines += (block or b"").count(b"\n")


def text_chunks(path: Path, *, encoding: str | None, delimiter: str | None, limits: Limits,
                chunk_rows: int | None = None
                ) -> Iterator[tuple[pd.DataFrame, np.ndarray, str]]:
    """The rows of a delimited text file as (frame of text cells, line numbers, note about
    how it was read), ``chunk_rows`` rows at a time (None: all in one).

    A row with more non-blank fields than the header gets a ``_problem``; blank lines and
    title lines above the header are no rows. At least one chunk is given, empty when the
    file has a header and no rows.
    """
    with path.open("rb") as fh:
        if b"\x00" in fh.read(65536):
            msg = (f"{path}: not a text table (it holds binary data); "
                   "give a CSV, Excel, GeoJSON, GeoPackage, Parquet or GPX file")
            raise InputError(msg)
    enc = encoding or _detect(_blocks(path))
    _check_decodes(path, enc)
    with path.open(encoding=enc, newline="") as fh:
        head = ""
        while True:  # a full sample after the byte order marks, with something in it
            more = fh.read(_SAMPLE_CHARS + 1)
            head += more
            sample = head.lstrip("\ufeff")
            if not more or (len(sample) > _SAMPLE_CHARS and sample.strip()):
                break
        head = sample
        if not head.strip():
            msg = f"{path}: the file is empty"
            raise InputError(msg)
        sep = delimiter or sniff_delimiter(head)
        skip = _title_lines(head, sep)
        head += fh.readline()  # the rest of the line the sample ends in
        reader = csv.reader(itertools.chain(io.StringIO(head, newline=""), fh), delimiter=sep)
        yield from _records(reader, path, sep, skip, limits, chunk_rows,
                            note=f"{enc}, delimiter {sep!r}")


def _records(reader, path: Path, sep: str, skip: int, limits: Limits, chunk_rows: int | None,
             *, note: str) -> Iterator[tuple[pd.DataFrame, np.ndarray, str]]:
    header: list[str] | None = None
    records: list[list[str]] = []
    lines: list[int] = []
    problems: list[str] = []
    given = False

    def chunk() -> tuple[pd.DataFrame, np.ndarray, str]:
        frame = pd.DataFrame(records, columns=unique_names(header), dtype=object)
        if any(problems):
            frame["_problem"] = problems
        return frame, np.asarray(lines, dtype=np.int64), note

    try:
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue  # a blank line is not a row
            if skip:
                skip -= 1
                continue
            if header is None:
                if len(fields) > limits.columns:
                    limits.over(path, "columns in the header", len(fields), "columns")
                header = [f.strip() for f in fields]
                continue
            if len(header) < 2:
                continue  # refused below, once the whole file has been parsed
            problem = ""
            if len(fields) > len(header):
                extra = fields[len(header):]
                if any(f.strip() for f in extra):
                    problem = f"row has {len(fields)} fields, the header has {len(header)}"
                fields = fields[: len(header)]
            elif len(fields) < len(header):
                fields = fields + [""] * (len(header) - len(fields))
            records.append(fields)
            lines.append(reader.line_num)
            problems.append(problem)
            if chunk_rows and len(records) >= chunk_rows:
                yield chunk()
                given = True
                records, lines, problems = [], [], []
    except csv.Error as err:
        msg = f"{path}: not a readable table at line {reader.line_num} ({err})"
        raise InputError(msg) from None
    if header is None:
        msg = f"{path}: the file is empty"
        raise InputError(msg)
    if len(header) < 2:
        msg = (f"{path}: not a table: found one column with delimiter {sep!r}; "
               "pass --delimiter if the file uses another separator")
        raise InputError(msg)
    if records or not given:
        yield chunk()


def _title_lines(text: str, sep: str) -> int:
    """Non-blank lines above the header (a report title, a date line)."""
    first = []
    for fields in csv.reader(io.StringIO(text[:20000], newline=""), delimiter=sep):
        if any(f.strip() for f in fields):
            first.append(fields)
        if len(first) >= 10:
            break
    return header_row(first)
