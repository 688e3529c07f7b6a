"""GPX track points streamed a piece at a time: a year of one device's pings is never one tree.

The file is first streamed through expat with the defences of :func:`geo.inputs._limits.
check_xml` (no DTD or entity, bounded depth and size); then its elements are pulled one at a
time, and each track point, track and waypoint is handed to gpxpy's own field readers, so a
point's unit, time, latitude and longitude (and the errors a bad value raises) are what
``gpxpy.parse`` gives for the whole file. A point is dropped from the tree once read.

Units are the tracks' names (a track without one is ``<file>-<n>``, n counting tracks from
1), read from before the track's points, where GPX puts them. Without track points the
waypoints are the rows, under the file's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd

from geo._errors import InputError
from geo._text import first_line
from geo.inputs._limits import Limits, check_xml

__all__ = ["gpx_chunks"]

_BLOCK_CHARS = 1 << 20


class _Rows:
    """Columns of points gathered until a chunk is full."""

    def __init__(self) -> None:
        self.unit: list[str] = []
        self.time: list[str] = []
        self.lat: list[float] = []
        self.lon: list[float] = []

    def add(self, unit: str, point) -> None:
        self.unit.append(unit)
        self.time.append(point.time.isoformat() if point.time else "")
        self.lat.append(point.latitude)
        self.lon.append(point.longitude)

    def __len__(self) -> int:
        return len(self.unit)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"unit": self.unit, "time": self.time, "lat": self.lat,
                             "lon": self.lon})


def gpx_chunks(path: Path, *, limits: Limits, chunk_rows: int | None = None
               ) -> Iterator[pd.DataFrame]:
    """Frames of ``unit, time, lat, lon`` (times as ISO text), ``chunk_rows`` points at a
    time (None: all in one). Raises InputError when the file has neither track points nor
    waypoints, or gpxpy would refuse it."""
    with path.open("rb") as fh:  # before any tree is built: depth, size, no DTD
        check_xml(fh, path, limits, size=path.stat().st_size)
    given = False
    try:
        for frame in _points(path, chunk_rows):
            given = True
            yield frame
    except InputError:
        raise
    except Exception as err:
        msg = f"{path}: not a readable GPX file ({first_line(err)})"
        raise InputError(msg) from None
    if not given:
        msg = f"{path}: the GPX file has no track points or waypoints"
        raise InputError(msg)


def _points(path: Path, chunk_rows: int | None) -> Iterator[pd.DataFrame]:
    import gpxpy.gpx as gpx
    from gpxpy.gpxfield import gpx_fields_from_xml

    pull = ElementTree.XMLPullParser(events=("start-ns", "start", "end"))
    default_ns: str | None = None  # gpxpy reads the default namespace's names bare
    names: list[str] = []  # the path of local names to the current element
    parents: list[ElementTree.Element] = []
    version = None
    tracks = 0
    unit = None
    rows, waypoints = _Rows(), _Rows()
    seen_points = False
    with path.open(encoding="utf-8", errors="replace") as fh:  # as gpxpy reads it
        while True:
            block = fh.read(_BLOCK_CHARS)
            if block:
                pull.feed(block)
            else:
                pull.close()
            for event, item in pull.read_events():
                if event == "start-ns":
                    if item[0] == "" and default_ns is None:
                        default_ns = item[1]
                    continue
                if event == "start":
                    if default_ns and item.tag.startswith("{" + default_ns + "}"):
                        item.tag = item.tag[len(default_ns) + 2:]
                    if not parents:
                        version = item.get("version")
                    elif len(parents) == 1 and item.tag == "trk":
                        tracks += 1
                        unit = None
                    names.append(item.tag)
                    parents.append(item)
                    continue
                where = tuple(names[1:])
                names.pop()
                parents.pop()
                if where == ("trk", "name") and unit is None:
                    unit = item.text
                elif where == ("trk", "trkseg", "trkpt"):
                    rows.add(unit or f"{path.stem}-{tracks}",
                             gpx_fields_from_xml(gpx.GPXTrackPoint, item, version))
                    parents[-1].remove(item)
                    seen_points, waypoints = True, _Rows()
                elif where == ("trk",):
                    gpx_fields_from_xml(gpx.GPXTrack, item, version)  # what gpxpy checks
                    parents[-1].remove(item)
                elif where == ("wpt",):
                    point = gpx_fields_from_xml(gpx.GPXWaypoint, item, version)
                    if not seen_points:
                        waypoints.add(path.stem, point)
                    parents[-1].remove(item)
                elif not where:
                    gpx_fields_from_xml(gpx.GPX(), item, version)
                if chunk_rows and len(rows) >= chunk_rows:
                    yield rows.frame()
                    rows = _Rows()
            if not block:
                break
    if len(rows):
        yield rows.frame()
    elif len(waypoints):
        yield waypoints.frame()
