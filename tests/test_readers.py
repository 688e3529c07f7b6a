"""Reading every supported format, and clear errors for files that are not tables."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import INSIDE_LATLNG, write_text
from shapely.geometry import Point

from geo._errors import InputError
from geo.inputs.readers import detect_encoding, read_table
from geo.inputs.validate import read_incidents, read_pings


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "lat": [p[0] for p in INSIDE_LATLNG], "lon": [p[1] for p in INSIDE_LATLNG],
        "time": [f"2025-06-0{i} 22:15" for i in range(1, 7)],
        "category": ["theft"] * 6, "note": ["free text"] * 6,
    })


@pytest.mark.parametrize("encoding, word", [("utf-8", "тучa"), ("utf-8-sig", "krađa"),
                                            ("cp1250", "krađa čćšž"), ("cp1251", "крађа туча")])
def test_csv_in_each_encoding_keeps_the_words(tmp_path, encoding, word):
    frame = _frame().assign(category=word)
    path = tmp_path / "inc.csv"
    path.write_bytes(frame.to_csv(index=False, sep=";").encode(encoding))
    checked = read_incidents(path)
    assert len(checked.accepted) == 6
    assert set(checked.accepted["category"]) == {word}


def test_detect_encoding_tells_cyrillic_from_latin():
    assert detect_encoding("Северна Митровица, крађа".encode("cp1251")) == "cp1251"
    assert detect_encoding("Severna Mitrovica, krađa, tuča".encode("cp1250")) == "cp1250"
    assert detect_encoding(b"plain") == "utf-8"


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_any_delimiter(tmp_path, sep):
    path = tmp_path / "inc.txt"
    _frame().to_csv(path, index=False, sep=sep)
    assert len(read_incidents(path).accepted) == 6


def test_excel_with_date_cells(tmp_path):
    frame = _frame()
    frame["time"] = pd.to_datetime(frame["time"])
    path = tmp_path / "inc.xlsx"
    frame.to_excel(path, index=False, sheet_name="Incidenti")
    checked = read_incidents(path)
    assert len(checked.accepted) == 6
    assert checked.accepted["row"].tolist() == [2, 3, 4, 5, 6, 7]  # spreadsheet rows
    # 22:15 local summer time is 20:15 UTC
    assert checked.accepted["time"].iloc[0] == pd.Timestamp("2025-06-01 20:15", tz="UTC")


def test_excel_sheet_not_found_lists_sheets(tmp_path):
    path = tmp_path / "inc.xlsx"
    _frame().to_excel(path, index=False, sheet_name="Data")
    with pytest.raises(InputError, match=r"no sheet 'Nope'; sheets are \['Data'\]"):
        read_table(path, sheet="Nope")


@pytest.mark.parametrize("suffix, driver", [(".geojson", "GeoJSON"), (".gpkg", "GPKG")])
def test_gis_files_in_a_projected_crs(tmp_path, suffix, driver):
    frame = _frame()
    gdf = gpd.GeoDataFrame(frame.drop(columns=["lat", "lon"]),
                           geometry=[Point(lng, lat) for lat, lng in INSIDE_LATLNG],
                           crs=4326).to_crs(32634)
    path = tmp_path / f"inc{suffix}"
    gdf.to_file(path, driver=driver)
    checked = read_incidents(path)
    assert len(checked.accepted) == 6
    np.testing.assert_allclose(checked.accepted["lat"], frame["lat"], atol=1e-7)


def test_parquet_and_geoparquet(tmp_path):
    frame = _frame()
    frame.to_parquet(tmp_path / "plain.parquet")
    gdf = gpd.GeoDataFrame(frame.drop(columns=["lat", "lon"]),
                           geometry=[Point(lng, lat) for lat, lng in INSIDE_LATLNG], crs=9141
                           if False else 4326)
    gdf.to_parquet(tmp_path / "geo.parquet")
    assert len(read_incidents(tmp_path / "plain.parquet").accepted) == 6
    assert len(read_incidents(tmp_path / "geo.parquet").accepted) == 6


def test_gpx_track_points_become_pings(tmp_path):
    points = "".join(
        f'<trkpt lat="{lat}" lon="{lng}"><time>2025-06-01T20:{i:02d}:00Z</time></trkpt>'
        for i, (lat, lng) in enumerate(INSIDE_LATLNG))
    gpx = ('<?xml version="1.0"?><gpx version="1.1" creator="t" '
           'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>V7</name><trkseg>'
           f"{points}</trkseg></trk></gpx>")
    path = write_text(tmp_path / "track.gpx", gpx)
    checked = read_pings(path)
    assert len(checked.accepted) == 6
    assert set(checked.accepted["unit"]) == {"V7"}


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"\n\n  \n", "the file is empty"),
    (b"lat;lon;time\n", "header but no data rows"),
    (b"\x00\x01\x02binary\x00junk", "not a text table"),
    (b"just one line of prose without separators\nand another\n", "not a table"),
])
def test_files_that_are_not_tables(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as err:
        read_incidents(path)
    assert str(path) in str(err.value)
    assert "\n" not in str(err.value)


def test_old_xls_and_broken_excel(tmp_path):
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(InputError, match="save it as .xlsx"):
        read_table(xls)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a readable Excel"):
        read_table(broken)


def test_wrong_encoding_given_is_a_clear_error(tmp_path):
    path = tmp_path / "inc.csv"
    path.write_bytes(_frame().assign(category="крађа").to_csv(index=False).encode("cp1251"))
    with pytest.raises(InputError, match=r"cannot decode the file as utf-8 at line 2; pass "
                                         r"--encoding"):
        read_table(path, encoding="utf-8")


def test_broken_geojson(tmp_path):
    path = write_text(tmp_path / "x.geojson", json.dumps({"type": "Feature"})[:-3])
    with pytest.raises(InputError, match="not a readable GIS file"):
        read_table(path)


def test_row_numbers_follow_the_file_lines(tmp_path):
    text = ("lat,lon,time\n42.8938,20.8652,2025-06-01 10:00\n\n"
            '42.8950,20.8600,2025-06-01 11:00\n')
    path = write_text(tmp_path / "gaps.csv", text)
    assert read_table(path).row.tolist() == [2, 4]


def test_title_lines_above_the_header_are_skipped(tmp_path):
    text = ("Policijska uprava - izveštaj;;;\n;;;\nDatum;Vreme;Latitude;Longitude\n"
            + "".join(f"0{i}.06.2025;21:30;{lat};{lng}\n"
                      for i, (lat, lng) in enumerate(INSIDE_LATLNG, start=1)))
    path = write_text(tmp_path / "report.csv", text, encoding="cp1250")
    checked = read_incidents(path)
    assert len(checked.accepted) == 6 and checked.rows_read == 6
    assert checked.accepted["row"].tolist()[0] == 4

    frame = _frame()
    xlsx = tmp_path / "report.xlsx"
    with pd.ExcelWriter(xlsx) as writer:
        pd.DataFrame([["Incidents, June 2025"]]).to_excel(writer, index=False, header=False)
        frame.to_excel(writer, index=False, startrow=2)
    checked = read_incidents(xlsx)
    assert len(checked.accepted) == 6
    assert checked.accepted["row"].tolist() == [4, 5, 6, 7, 8, 9]


def test_twelve_hour_clock_and_one_point_multipoints(tmp_path):
    frame = _frame().assign(time=[f"6/{i}/2025 9:30 PM" for i in range(1, 7)])
    path = tmp_path / "us.csv"
    frame.to_csv(path, index=False)
    checked = read_incidents(path)
    assert checked.accepted["time"].iloc[0] == pd.Timestamp("2025-06-01 19:30", tz="UTC")

    from shapely.geometry import MultiPoint

    gdf = gpd.GeoDataFrame({"time": frame["time"]},
                           geometry=[MultiPoint([(lng, lat)]) for lat, lng in INSIDE_LATLNG],
                           crs=4326)
    gdf.to_file(tmp_path / "mp.geojson")
    assert len(read_incidents(tmp_path / "mp.geojson").accepted) == 6


@pytest.mark.parametrize("chunk_rows", [1, 2, 5])
def test_a_csv_read_in_chunks_is_the_csv_read_whole(tmp_path, chunk_rows):
    from geo.inputs.readers import read_table_chunks

    text = ("Report, June\r\n\r\nunit;time;lat;lon;note\r\n"
            'V1;2025-06-01 20:00;42,8938;20,8652;"a;\r\nb"\r\n\r\n'
            "V1;2025-06-01 20:01;42,8950;20,8600;ok;extra\r\n"
            "V2;2025-06-01 20:02;42,9000\r\nV2;2025-06-01 20:03;42,8930;20,8710;Zvečan\r\n")
    path = write_text(tmp_path / "p.csv", text, encoding="cp1250")
    whole = read_table(path)
    chunks = list(read_table_chunks(path, chunk_rows=chunk_rows))
    assert [len(c.frame) for c in chunks][:-1] == [chunk_rows] * (len(chunks) - 1)
    joined = pd.concat([c.frame for c in chunks], ignore_index=True)
    joined["_problem"] = joined["_problem"].fillna("")
    pd.testing.assert_frame_equal(joined, whole.frame)
    assert np.concatenate([c.row for c in chunks]).tolist() == whole.row.tolist() == [5, 7, 8, 9]
    assert whole.note == chunks[0].note == "cp1250, delimiter ';'"


@pytest.mark.parametrize("chunk_rows", [1, 4])
def test_a_gpx_streamed_in_chunks_is_what_gpxpy_reads(tmp_path, chunk_rows):
    import gpxpy

    from geo.inputs.readers import read_table_chunks

    each = [f'<trkpt lat="{lat}" lon="{lng}"><time>2025-06-01T20:{i:02d}:00+02:00</time>'
            "</trkpt>" for i, (lat, lng) in enumerate(INSIDE_LATLNG)]
    points = "".join(each)
    gpx = ('<?xml version="1.0"?><gpx version="1.1" creator="t" '
           'xmlns="http://www.topografix.com/GPX/1/1"><wpt lat="1" lon="2"/>'
           f"<trk><name>V7</name><trkseg>{points}</trkseg><trkseg>{each[0]}</trkseg></trk>"
           f'<trk><trkseg>{points}<trkpt lat="42.9" lon="20.86"/></trkseg></trk></gpx>')
    path = write_text(tmp_path / "track.gpx", gpx)
    chunks = list(read_table_chunks(path, chunk_rows=chunk_rows))
    joined = pd.concat([c.frame for c in chunks], ignore_index=True)
    parsed = gpxpy.parse(gpx)
    want = [(t.name or f"track-{n}", p.time.isoformat() if p.time else "", p.latitude,
             p.longitude) for n, t in enumerate(parsed.tracks, start=1)
            for s in t.segments for p in s.points]
    assert list(joined.itertuples(index=False, name=None)) == want
    assert np.concatenate([c.row for c in chunks]).tolist() == list(range(1, len(want) + 1))
    assert {c.row_word for c in chunks} == {"point"}
    only_waypoints = write_text(tmp_path / "w.gpx", '<gpx version="1.1"><wpt lat="42.9" '
                                'lon="20.86"><time>2025-06-01T20:00:00Z</time></wpt></gpx>')
    table = read_table(only_waypoints)
    assert table.frame.to_dict("list") == {"unit": ["w"], "time": ["2025-06-01T20:00:00+00:00"],
                                           "lat": [42.9], "lon": [20.86]}
