"""Ping ingest: a checked, partitioned dataset; reconciled, idempotent, resumable; and the
presence kernel over it equal to the one over the same pings in memory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from geo.analysis.bands import DEFAULT_BANDS
from geo.analysis.cells import area_to_cells, points_to_cells
from geo.analysis.engines import dataset_partials
from geo.analysis.presence import partials_to_presence, pings_to_presence
from geo.inputs.area import default_area
from geo.inputs.dataset import open_dataset
from geo.inputs.ingest import ingest_pings
from geo.inputs.validate import read_pings

RES = 10
CENTRE = (42.8925, 20.8650)  # central North Mitrovica


def _track(unit: str, start: str, minutes: float, rng, *, stop_at: float | None = None
           ) -> pd.DataFrame:
    """One unit's pings every 10-60 s from ``start`` (UTC), walking, with a 12-minute stop
    beginning ``stop_at`` minutes in (a stationary run with GPS jitter and one lone jump)."""
    steps = rng.integers(10, 61, int(minutes * 60 / 30) + 5)
    t = pd.Timestamp(start, tz="UTC") + pd.to_timedelta(np.cumsum(steps), unit="s")
    t = t[t <= pd.Timestamp(start, tz="UTC") + pd.Timedelta(minutes=minutes)]
    n = len(t)
    lat = CENTRE[0] + np.cumsum(rng.normal(0, 1.2e-4, n))
    lng = CENTRE[1] + np.cumsum(rng.normal(0, 1.6e-4, n))
    lat = CENTRE[0] + np.clip(lat - CENTRE[0], -0.006, 0.006)
    lng = CENTRE[1] + np.clip(lng - CENTRE[1], -0.012, 0.012)
    if stop_at is not None:
        offset = (t - t[0]).total_seconds() / 60
        still = (offset >= stop_at) & (offset <= stop_at + 12)
        first = np.flatnonzero(still)
        if len(first):
            lat[still] = lat[first[0]] + rng.normal(0, 2e-5, still.sum())
            lng[still] = lng[first[0]] + rng.normal(0, 2e-5, still.sum())
            jump = first[len(first) // 2]
            lat[jump] += 0.001  # one stray fix ~110 m away and back
    return pd.DataFrame({"unit_id": unit, "timestamp": t, "lat": lat, "lon": lng})


def _pings(seed: int = 3) -> pd.DataFrame:
    """Units crossing the January/February boundary (one stopped across midnight), one
    coming back weeks later, and one in March only."""
    rng = np.random.default_rng(seed)
    parts = [
        _track("V1", "2025-01-31 22:30", 150, rng, stop_at=84),  # stop from 23:54 to 00:06
        _track("V2", "2025-01-31 23:00", 90, rng, stop_at=10),
        _track("F1", "2025-01-31 23:58", 30, rng),
        _track("V1", "2025-02-20 08:00", 60, rng, stop_at=20),
        _track("F2", "2025-03-03 18:00", 80, rng, stop_at=30),
        _track("V3", "2025-02-28 23:50", 20, rng),  # crosses into March
    ]
    return pd.concat(parts, ignore_index=True)


def _write_files(folder: Path, frame: pd.DataFrame, *, pieces: int = 8) -> list[Path]:
    """The pings split over many files, CSV and Parquet alternately, with bad rows and
    duplicates within and across files."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    shuffled = frame.sample(frac=1.0, random_state=5)
    chunks = [shuffled.iloc[i::pieces] for i in range(pieces)]
    for i, chunk in enumerate(chunks):
        chunk = chunk.copy()
        if i % 3 == 0:
            chunk = pd.concat([chunk, chunks[(i + 1) % pieces].head(4)])  # across files
            chunk = pd.concat([chunk, chunk.head(2)])  # within the file
        if i % 2 == 0:
            chunk.loc[chunk.index[0], "lat"] = np.nan  # missing latitude
            path = folder / f"gps_{i:02d}.csv"
            out = chunk.assign(timestamp=chunk["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S%z"))
            out.to_csv(path, index=False)
        else:
            chunk.loc[chunk.index[1], "lat"] = 45.5  # far outside the area
            path = folder / f"gps_{i:02d}.parquet"
            chunk.to_parquet(path, index=False)
        files.append(path)
    return files


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> list[Path]:
    return _write_files(tmp_path_factory.mktemp("gps"), _pings())


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def _reference(files: list[Path]) -> pd.DataFrame:
    """The pings every file accepts, the first of repeats across files kept."""
    area = default_area()
    frames = [read_pings(f, area=area).accepted.assign(source=i) for i, f in enumerate(files)]
    every = pd.concat(frames, ignore_index=True)
    every["unit"] = every["unit"].astype(str)
    every = every.sort_values(["unit", "time", "source", "row"], kind="stable")
    return every.drop_duplicates(["unit", "time"]).reset_index(drop=True)


def test_ingest_reconciles_rows_over_many_files(files, tmp_path):
    result = ingest_pings(files, tmp_path / "ds", area=default_area(), chunk_rows=100)
    manifest = open_dataset(tmp_path / "ds").manifest
    assert len(manifest["files"]) == len(files) == result.new_files
    for entry, path in zip(manifest["files"], files, strict=True):
        rows = len(pd.read_csv(path)) if path.suffix == ".csv" else pq.read_metadata(path).num_rows
        assert entry["rows_read"] == rows
        assert entry["rows_read"] == entry["accepted"] + entry["rejected"]
        assert entry["rejected"] == sum(entry["reasons"].values())
    reasons = {r for f in manifest["files"] for r in f["reasons"]}
    assert {"missing latitude", "duplicate ping (same unit and time)"} <= reasons
    assert any("outside" in r for r in reasons)
    assert result.rows == sum(f["accepted"] for f in manifest["files"]) == len(_reference(files))
    written = [pd.read_csv(p) for p in (tmp_path / "ds" / "_rejects").rglob("*.csv")]
    assert sum(map(len, written)) == sum(f["rejected"] for f in manifest["files"])


def test_units_never_split_over_buckets_and_files_are_sorted(files, tmp_path):
    ingest_pings(files, tmp_path / "ds", area=default_area(), buckets=3)
    seen: dict[str, set] = {}
    for path in open_dataset(tmp_path / "ds").partitions:
        table = pq.read_table(path).to_pandas()
        bucket = path.parent.parent.name
        month = path.parent.name.removeprefix("month=")
        mine = table[table["halo"] == 0]
        assert (mine["time"].dt.strftime("%Y-%m") == month).all()
        keys = list(zip(table["unit"], table["time"], strict=True))
        assert keys == sorted(keys)
        for unit in mine["unit"].unique():
            seen.setdefault(unit, set()).add(bucket)
    assert len(seen) == 5 and all(len(b) == 1 for b in seen.values())


@pytest.mark.parametrize("res", [RES, 9])
def test_dataset_presence_equals_the_same_pings_in_memory(files, tmp_path, res):
    """At the dataset's resolution from the stored cells, at another from the positions."""
    ingest_pings(files, tmp_path / "ds", area=default_area(), buckets=2, res=RES,
                 chunk_rows=150)
    dataset = open_dataset(tmp_path / "ds")
    assert dataset.res == RES
    stored = pq.read_table(dataset.partitions[0], columns=["lat", "lng", "cell"])
    assert np.array_equal(stored["cell"].to_numpy(), points_to_cells(
        stored["lat"].to_numpy(), stored["lng"].to_numpy(), res=RES))
    cells = area_to_cells(default_area(), res=res)
    reference = _reference(files)
    expected = pings_to_presence(reference, cells, res=res)
    got = partials_to_presence(
        dataset_partials(dataset, cells, res=res, bands=DEFAULT_BANDS, cap_s=120.0), cells,
        bands=DEFAULT_BANDS)
    assert expected.stops.to_numpy().sum() >= 3  # the stops across midnight are there
    assert expected.visits.to_numpy().sum() > 50
    for key in ("minutes", "visits", "stops"):
        pd.testing.assert_frame_equal(getattr(got, key), getattr(expected, key),
                                      check_exact=True)
    assert (got.intervals, got.capped) == (expected.intervals, expected.capped)
    assert np.array_equal(got.week_minutes, expected.week_minutes)
    assert np.array_equal(got.interval_counts, expected.interval_counts)


def test_second_run_changes_nothing_and_a_new_month_appends(files, tmp_path):
    area = default_area()
    jan_feb = files[:5]
    ingest_pings(jan_feb, tmp_path / "ds", area=area)
    first = _snapshot(tmp_path / "ds")
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "ds").rglob("*")}
    again = ingest_pings(jan_feb, tmp_path / "ds", area=area)
    assert again.new_files == 0 and again.partitions_written == 0
    assert _snapshot(tmp_path / "ds") == first
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "ds").rglob("*")} == mtimes
    ingest_pings(files, tmp_path / "ds", area=area)  # the rest appends
    ingest_pings(files, tmp_path / "all", area=area)  # all at once
    assert _snapshot(tmp_path / "ds") == _snapshot(tmp_path / "all")


def test_ingest_refuses_other_options_and_changed_files(files, tmp_path):
    from geo._errors import InputError

    ingest_pings(files[:2], tmp_path / "ds", area=default_area())
    with pytest.raises(InputError, match="another study area"):
        ingest_pings(files[:2], tmp_path / "ds", area=None)
    with pytest.raises(InputError, match="not a ping dataset"):
        open_dataset(tmp_path)
    copy = tmp_path / "copy.csv"
    copy.write_bytes(files[0].read_bytes())
    ingest_pings([copy], tmp_path / "ds", area=default_area())
    copy.write_bytes(files[0].read_bytes() + b"\n")
    with pytest.raises(InputError, match="changed since it was ingested"):
        ingest_pings([copy], tmp_path / "ds", area=default_area())


_KILLED = """
import os, sys
import geo.inputs._partitions as partitions
import geo.inputs.ingest as ingest
from geo.inputs.area import default_area
calls = [0]
real = ingest.write_atomic
def dying(path, data):
    calls[0] += 1
    if calls[0] > int(sys.argv[1]):
        os._exit(9)
    return real(path, data)
ingest.write_atomic = partitions.write_atomic = dying
ingest_pings = ingest.ingest_pings
ingest_pings(sys.argv[3:], sys.argv[2], area=default_area(), chunk_rows=120)
"""


@pytest.mark.slow
def test_killed_ingest_resumes_without_loss_or_duplicates(files, tmp_path, monkeypatch):
    import geo.inputs._partitions as partitions
    import geo.inputs.ingest as ingest

    clean = tmp_path / "clean"
    calls = []
    real = ingest.write_atomic
    for module in (ingest, partitions):
        monkeypatch.setattr(module, "write_atomic", lambda *a: calls.append(1) or real(*a))
    ingest_pings(files, clean, area=default_area(), chunk_rows=120)
    monkeypatch.undo()
    expected = _snapshot(clean)
    total = len(calls)  # the manifest, the plan, each staged file, edges, partitions
    assert total > 20
    for writes in sorted({0, 1, 5, total // 2, total - 3, total - 1}):
        root = tmp_path / f"killed_{writes}"
        run = subprocess.run([sys.executable, "-c", _KILLED, str(writes), str(root),
                              *map(str, files)], capture_output=True, text=True)
        assert run.returncode == 9, run.stderr
        ingest_pings(files, root, area=default_area(), chunk_rows=120)
        assert _snapshot(root) == expected
        manifest = json.loads((root / "_manifest.json").read_text())
        assert sum(f["accepted"] for f in manifest["files"]) == len(_reference(files))


def test_cli_ingest_then_build_from_the_dataset(files, tmp_path, capsys):
    from geo.cli import main

    assert main(["ingest", *map(str, files[:3]), str(files[3].parent),
                 "--out", str(tmp_path / "ds")]) == 0
    out = capsys.readouterr().out
    assert "rows read" in out and "this run added 8 file(s)" in out
    assert main(["ingest", str(files[0].parent), "--out", str(tmp_path / "ds")]) == 0
    assert "8 file(s) already in the dataset" in capsys.readouterr().out


@pytest.mark.slow
def test_build_from_a_dataset_equals_the_build_from_its_files(files, tmp_path):
    from geo.analysis.steps import Settings
    from geo.pipeline import build, load_inputs

    incidents = tmp_path / "incidents.csv"
    rng = np.random.default_rng(4)
    times = pd.Timestamp("2025-01-28", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 40 * 86400, 200), unit="s")
    pd.DataFrame({"latitude": 42.8925 + rng.normal(0, 0.002, 200),
                  "longitude": 20.8650 + rng.normal(0, 0.003, 200),
                  "date_time": times.strftime("%Y-%m-%d %H:%M"),
                  "category": "theft"}).to_csv(incidents, index=False)
    clean = [f for f in files if f.name not in ("gps_00.csv", "gps_03.parquet",
                                                "gps_06.csv")]  # no repeats across files
    ingest_pings(clean, tmp_path / "ds", area=default_area())
    settings = Settings(res=9, decisions=False)
    tables = []
    for patrols, name in ((clean, "files"), ([tmp_path / "ds"], "dataset")):
        inputs = load_inputs(incidents, patrols=patrols)
        result = build(inputs, tmp_path / name / "map.html", settings=settings,
                       audience="analyst", report=False, ledger=tmp_path / "ledger.db")
        tables.append(result.table.frame)
        assert "rows read" in result.summary
    presence = [c for c in tables[0] if c.startswith(("presence_min_", "visits_", "stops_"))]
    assert presence and tables[0]["presence_min_all"].sum() > 0
    pd.testing.assert_frame_equal(tables[0][presence], tables[1][presence], check_exact=False,
                                  rtol=1e-12)


def test_engine_without_a_dataset_is_a_usage_error(files, tmp_path, capsys):
    from geo.cli import main

    incidents = tmp_path / "incidents.csv"
    pd.DataFrame({"latitude": [42.8925] * 3, "longitude": [20.865] * 3,
                  "date_time": ["2025-02-01 10:00"] * 3}).to_csv(incidents, index=False)
    code = main(["build", "--incidents", str(incidents), "--patrols", str(files[1]),
                 "--engine", "dask", "--out", str(tmp_path / "m" / "map.html")])
    assert code == 2
    assert "give --patrols DATASET" in capsys.readouterr().err
    code = main(["build", "--incidents", str(incidents), "--patrols", str(tmp_path / "nope"),
                 str(files[1]), "--out", str(tmp_path / "m" / "map.html")])
    assert code == 2


def _awkward_csv(path: Path, frame: pd.DataFrame) -> Path:
    """The pings as a Windows-1250 CSV with ``;``, a title line, blank lines, a quoted note
    over two lines, a row with extra fields, bad values and a repeat: each one a reader or a
    check has to get right wherever a chunk ends."""
    lines = ["Izveštaj patrola, Severna Mitrovica", "unit_id;timestamp;lat;lon;napomena"]
    for i, row in enumerate(frame.itertuples(index=False)):
        time = row.timestamp.strftime("%Y-%m-%dT%H:%M:%S%z")
        note = '"čekanje;\nkod mosta"' if i % 17 == 0 else "ok"
        lat = "" if i % 23 == 5 else f"{row.lat:.7f}".replace(".", ",")
        lines.append(f"{row.unit_id};{time};{lat};{row.lon:.7f};{note}")
        if i % 29 == 3:
            lines.append("")
        if i % 31 == 7:
            lines.append(f"{row.unit_id};{time};{row.lat};{row.lon};x;extra")
        if i % 37 == 11:
            lines.append(lines[-1])  # a repeat of the ping before
    path.write_bytes("\r\n".join(lines).encode("cp1250"))
    return path


def _gpx(path: Path, frame: pd.DataFrame) -> Path:
    """The pings as GPX tracks, one per unit (the second without a name), with waypoints
    that do not count, a point without a time and one outside the area."""
    tracks = []
    for n, (unit, points) in enumerate(frame.groupby("unit_id", sort=False)):
        name = "" if n == 1 else f"<name>{unit}</name>"
        body = []
        for i, row in enumerate(points.itertuples(index=False)):
            lat = 45.5 if i == 9 else row.lat
            time = "" if i == 4 else f"<time>{row.timestamp.strftime('%Y-%m-%dT%H:%M:%SZ')}</time>"
            body.append(f'<trkpt lat="{lat}" lon="{row.lon}"><ele>30</ele>{time}</trkpt>')
            if i % 40 == 39:
                body.append("</trkseg><trkseg>")
        tracks.append(f"<trk>{name}<trkseg>{''.join(body)}</trkseg></trk>")
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="t" '
            'xmlns="http://www.topografix.com/GPX/1/1"><wpt lat="42.89" lon="20.86"/>'
            f"{''.join(tracks)}</gpx>")
    path.write_text(text, encoding="utf-8")
    return path


def _dataset_content(root: Path) -> dict:
    """What a dataset holds: every partition's pings, every reject, the files' counts."""
    parts = {str(p.relative_to(root)): pq.read_table(p).to_pylist()
             for p in sorted(root.glob("unit_bucket=*/month=*/pings.parquet"))}
    rejects = []
    for path in sorted((root / "_rejects").rglob("*.csv")):
        found = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "file" not in found:
            found["file"] = path.name.removesuffix("_rejects.csv")
        found["file"] = found["file"].str.replace(r"\.\w+$", "", regex=True)
        rejects.extend(found[["file", "row", "reason", "value"]].itertuples(index=False))
    counts = [(f["name"], f["rows_read"], f["accepted"], f["rejected"], f["reasons"])
              for f in open_dataset(root).manifest["files"]]
    return {"partitions": parts, "rejects": sorted(rejects), "files": counts}


def test_csv_and_gpx_read_in_small_chunks_give_what_they_give_whole(tmp_path):
    pings = _pings(seed=11)
    files = [_awkward_csv(tmp_path / "patrols.csv", pings.iloc[::2]),
             _gpx(tmp_path / "device.gpx", pings.iloc[1::2])]
    whole = ingest_pings(files, tmp_path / "whole", area=default_area(), chunk_rows=10**6)
    small = ingest_pings(files, tmp_path / "small", area=default_area(), chunk_rows=7)
    assert whole.rows == small.rows > 0
    got, want = _dataset_content(tmp_path / "small"), _dataset_content(tmp_path / "whole")
    assert got == want
    for name, read, accepted, rejected, reasons in got["files"]:
        assert read == accepted + rejected == accepted + sum(reasons.values()), name
    kinds = {r for *_, reasons in got["files"] for r in reasons}
    assert {"missing latitude", "row has more fields than the header",
            "duplicate ping (same unit and time)", "outside the study area",
            "missing date or time"} <= kinds
    assert len(got["rejects"]) == sum(f[3] for f in got["files"])
