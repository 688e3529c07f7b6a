"""Releases: staged, committed in one step, the one before kept; outputs never inputs."""

from __future__ import annotations

import json
import os

import pytest

from geo._errors import UsageError
from geo._release import PREVIOUS, Release, check_outputs, record_path, recover


def build(folder, texts: dict[str, str]):
    """A release of ``texts`` (file name -> content) beside ``folder / 'map.html'``."""
    release = Release(folder / "map.html")
    for name, text in texts.items():
        release.path(folder / name).write_text(text)
    return release


def shown(folder) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.iterdir() if p.is_file()
            and not p.name.startswith(".")}


def test_a_release_replaces_the_whole_set_and_keeps_the_one_before(tmp_path):
    first = build(tmp_path, {"map.html": "v1", "map.png": "p1"}).commit()
    assert first.replaced is None and shown(tmp_path) == {"map.html": "v1", "map.png": "p1"}
    release = build(tmp_path, {"map.html": "v2", "map_report.html": "r2"})
    assert shown(tmp_path) == {"map.html": "v1", "map.png": "p1"}  # staged: nothing changed
    second = release.commit()
    assert second.replaced == first.release and first.release in second.text()
    assert shown(tmp_path) == {"map.html": "v2", "map_report.html": "r2"}  # no stale picture
    kept = tmp_path / PREVIOUS / "map"
    assert {p.name for p in kept.iterdir()} == {"map.html", "map.png", "release.json"}
    assert json.loads((kept / "release.json").read_text())["release"] == first.release
    record = json.loads(record_path(tmp_path, "map").read_text())
    assert record["replaced"] == first.release
    assert [f["name"] for f in record["files"]] == ["map.html", "map_report.html"]
    assert [p.name for p in tmp_path.iterdir() if ".new-" in p.name or ".prev-" in p.name] == []


def test_files_from_before_any_record_are_kept_too(tmp_path):
    (tmp_path / "map.html").write_text("hand made")
    placed = build(tmp_path, {"map.html": "new"}).commit()
    assert placed.replaced == "earlier files"
    assert (tmp_path / PREVIOUS / "map" / "map.html").read_text() == "hand made"


def test_an_error_leaves_the_folder_as_it_was(tmp_path):
    build(tmp_path, {"map.html": "v1"}).commit()
    with pytest.raises(RuntimeError), build(tmp_path, {"map.html": "half"}):
        raise RuntimeError
    assert shown(tmp_path) == {"map.html": "v1"}
    assert [p for p in tmp_path.iterdir() if ".new-" in p.name] == []


def test_a_decided_release_is_finished_from_its_record(tmp_path, monkeypatch):
    build(tmp_path, {"map.html": "v1", "map.pdf": "p1"}).commit()
    release = build(tmp_path, {"map.html": "v2", "map.pdf": "p2"})
    real, calls = os.replace, []

    def fail_second(src, dst):
        if ".new-" in str(src) and not str(src).endswith(".part"):
            calls.append(dst)
            if len(calls) == 2:
                msg = "power cut"
                raise OSError(msg)
        real(src, dst)

    monkeypatch.setattr(os, "replace", fail_second)
    with pytest.raises(OSError), release:
        release.commit()
    monkeypatch.setattr(os, "replace", real)
    assert shown(tmp_path) == {"map.html": "v2", "map.pdf": "p1"}  # mid-way
    assert recover(tmp_path) == ["map"]
    assert shown(tmp_path) == {"map.html": "v2", "map.pdf": "p2"}
    assert (tmp_path / PREVIOUS / "map" / "map.pdf").read_text() == "p1"


def test_outputs_stay_in_the_folder_and_never_are_inputs(tmp_path):
    release = Release(tmp_path / "m" / "map.html")
    with pytest.raises(UsageError, match="goes in the map's folder"):
        release.path(tmp_path / "elsewhere.png")
    with pytest.raises(UsageError, match="release's own"):
        release.path(tmp_path / "m" / PREVIOUS / "x.png")
    release.discard()
    source = tmp_path / "incidents.csv"
    source.write_text("x")
    os.link(source, tmp_path / "m" / "same.gpkg")
    with pytest.raises(UsageError, match="is an input of this run"):
        check_outputs({"--gis": tmp_path / "m" / "same.gpkg"}, [source])
    with pytest.raises(UsageError, match="is an input of this run"):
        check_outputs({"--out": tmp_path / "m" / ".." / "incidents.csv"}, [source])
    check_outputs({"--out": tmp_path / "m" / "map.html"}, [source])


def test_the_next_release_clears_what_a_killed_build_left(tmp_path):
    build(tmp_path, {"map.html": "v1"}).commit()
    build(tmp_path, {"map.html": "killed"})  # staged, never committed
    (tmp_path / ".map.commit.json.part").write_text("{")  # torn before its rename
    assert shown(tmp_path) == {"map.html": "v1"}
    build(tmp_path, {"map.html": "v2"}).commit()
    assert shown(tmp_path) == {"map.html": "v2"}
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [
        ".map.release.json", PREVIOUS]


def test_an_input_the_release_would_move_is_refused(tmp_path):
    build(tmp_path, {"map.html": "v1", "map.png": "p1"}).commit()
    build(tmp_path, {"map.html": "v2"}).commit()
    kept = tmp_path / PREVIOUS / "map" / "map.png"
    with pytest.raises(UsageError, match="would move or replace"):
        check_outputs({"--out": tmp_path / "map.html"}, [kept])
    with pytest.raises(UsageError, match="is an input of this run"):
        check_outputs({"--out": tmp_path / "map.html"}, [tmp_path / "map.html"])
