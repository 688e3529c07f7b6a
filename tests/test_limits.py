"""Parser limits and the readers under them: real files read as before, hostile ones refused."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from _hostile_files import deep_gpx, header_row, xlsx
from conftest import INSIDE_LATLNG, write_text

from geo._errors import InputError
from geo.inputs._delimited import sniff_delimiter
from geo.inputs._limits import Limits
from geo.inputs.readers import read_table
from geo.inputs.validate import check_incidents


def test_the_streaming_excel_reader_gives_what_pandas_gives(tmp_path):
    """pandas' own read_excel (openpyxl, whole book in memory) is the oracle."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Police report, June"])
    sheet.append([])
    sheet.append(["datum", "lat", "lon", "kategorija", "count", "note"])
    for i, (lat, lng) in enumerate(INSIDE_LATLNG):
        sheet.append([dt.datetime(2025, 6, i + 1, 21, 30), lat, lng, "tuča", float(i),
                      None if i % 2 else f"napomena {i}"])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["2025-06-09 22:00", "42,89", "20,86", "fight", 2.5, "x"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    table = read_table(path)
    oracle = pd.read_excel(path, header=2, dtype=object, engine="openpyxl").dropna(how="all")
    assert list(table.frame.columns) == list(oracle.columns)
    assert table.row.tolist() == [4, 5, 6, 7, 8, 9, 11]
    for column in oracle.columns:
        mine, theirs = table.frame[column].tolist(), oracle[column].tolist()
        assert [None if pd.isna(v) else v for v in mine] == \
            [None if pd.isna(v) else v for v in theirs], column


def test_excel_limits_stop_a_sheet_before_it_grows(tmp_path):
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c></row>' for i in range(2, 40))
    path = xlsx(tmp_path / "long.xlsx", header_row() + rows)
    with pytest.raises(InputError, match="rows: 21, over the limit of 20; .*PATROLMAP_MAX_ROWS"):
        read_table(path, limits=Limits(rows=20))
    many = "".join(f'<c r="A2"><v>{i}</v></c>' for i in range(50))
    path = xlsx(tmp_path / "cells.xlsx", header_row() + f'<row r="2">{many}</row>')
    with pytest.raises(InputError, match="cells in one row: 11, over the limit of 10"):
        read_table(path, limits=Limits(columns=10))


def test_xml_and_csv_limits_come_from_the_environment(tmp_path, monkeypatch):
    gpx = deep_gpx(tmp_path / "nested.gpx", depth=30)
    assert len(read_table(gpx).frame) == 1  # 30 levels are within the default 64
    monkeypatch.setenv("PATROLMAP_MAX_XML_DEPTH", "20")
    with pytest.raises(InputError, match="nested deeper than 20 levels"):
        read_table(gpx)
    csv = write_text(tmp_path / "wide.csv", ",".join(f"c{i}" for i in range(12)) + "\n1\n")
    monkeypatch.setenv("PATROLMAP_MAX_COLUMNS", "10")
    with pytest.raises(InputError, match="columns in the header: 12, over the limit of 10"):
        read_table(csv)
    monkeypatch.setenv("PATROLMAP_MAX_COLUMNS", "lots")
    with pytest.raises(InputError, match="PATROLMAP_MAX_COLUMNS=lots: give a positive number"):
        read_table(csv)


@pytest.mark.parametrize("text, sep", [
    ('id;category;lat\n1;"fight, outside; bar";42.9\n2;theft;42.8\n', ";"),
    ('id,category,lat\n1,"fight; outside bar",42.9\n2,theft,42.8\n', ","),
    ("Report June\n\nid\tlat\tlon\n1\t42.9\t20.8\n2\t42.8\t20.8\n", "\t"),
    ("lat|lon|time\n" + "42.9|20.8|2025-06-01 21:00\n" * 300, "|"),
])
def test_the_delimiter_guess_respects_quotes_and_reads_many_lines(text, sep):
    assert sniff_delimiter(text) == sep


def test_direction_marks_do_not_make_a_new_category(tmp_path):
    lat, lng = INSIDE_LATLNG[0]
    rows = [f"{lat},{lng},2025-06-01 21:00,{c}" for c in
            ("fight", "fi\u200eght", "\u061cfight", "\u2067fight\u2069", "fight\u202e ")]
    path = write_text(tmp_path / "marks.csv", "la\u200et,lon,time,category\n" + "\n".join(rows))
    checked = check_incidents(read_table(path))
    assert set(checked.accepted["category"]) == {"fight"}
    assert np.all(checked.accepted["lat"] == lat)
