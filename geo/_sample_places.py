"""Hand-drawn geography of North Mitrovica for the synthetic sample, and moving along it.

Every place and street here is an APPROXIMATION drawn by hand from the town's layout (the Ibar to
the south and east, the main bridge where the river meets the main street near 42.8915 N,
20.8660 E, King Petar I street running north from it); every place lies north of the river.
None of it is surveyed; it only
needs to look plausible on a res 9-10 hexagon map. Nothing outside :mod:`geo.sample` should rely on
these coordinates.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

import numpy as np
import shapely
from shapely.geometry import LineString, shape
from shapely.geometry.base import BaseGeometry

# Approximate (lat, lng) of named places, H3 order. Hand-placed, not surveyed.
PLACES_LATLNG: dict[str, tuple[float, float]] = {
    "centre": (42.8938, 20.8652),  # city centre, King Petar I street
    "bridge": (42.8918, 20.8659),  # main bridge, north approach (the Ibar: 42.8915, 20.8660)
    "bus_station": (42.8925, 20.8625),
    "nightlife": (42.8952, 20.8648),  # cafes and bars along the centre's main street
    "university": (42.8935, 20.8700),  # university / student area
    "hospital": (42.8985, 20.8640),
    "three_towers": (42.8945, 20.8580),  # Tri Solitera
    "bosniak_mahala": (42.8885, 20.8560),
    "residential_north": (42.9000, 20.8570),
    "residential_northwest": (42.9010, 20.8470),
    "residential_east": (42.8970, 20.8695),
    "residential_northeast": (42.9005, 20.8665),
}

PLACE_NAMES: dict[str, str] = {
    "centre": "City centre (King Petar I street)",
    "bridge": "Main bridge (north)",
    "bus_station": "Bus station",
    "nightlife": "Nightlife strip (main street)",
    "university": "University / student area",
    "hospital": "Hospital",
    "three_towers": "Three towers (Tri Solitera)",
    "bosniak_mahala": "Bosniak Mahala",
    "residential_north": "Residential area (north)",
    "residential_northwest": "Residential area (north-west)",
    "residential_east": "Residential area (east)",
    "residential_northeast": "Residential area (north-east)",
}

# Spread (Gaussian sigma, metres) of incidents around each place; residential areas spread out.
PLACE_SPREAD_M: dict[str, float] = {
    "centre": 80, "bridge": 45, "bus_station": 60, "nightlife": 60, "university": 90,
    "hospital": 70, "three_towers": 80, "bosniak_mahala": 70, "residential_north": 150,
    "residential_northwest": 150, "residential_east": 150, "residential_northeast": 150,
}

_P = PLACES_LATLNG
# Hand-drawn street polylines, (lat, lng) vertices. Streets meet where they share a vertex exactly.
STREETS_LATLNG: dict[str, list[tuple[float, float]]] = {
    "main street (bridge - centre - hospital)": [
        _P["bridge"], _P["centre"], _P["nightlife"], (42.8965, 20.8645), _P["hospital"],
    ],
    "river street (along the Ibar)": [
        (42.8935, 20.8400), (42.8915, 20.8460), (42.8898, 20.8520), _P["bosniak_mahala"],
        (42.8905, 20.8605), _P["bridge"], (42.8928, 20.8685),
    ],
    "centre - bus station": [_P["centre"], (42.8930, 20.8640), _P["bus_station"]],
    "bus station - three towers - mahala": [
        _P["bus_station"], _P["three_towers"], (42.8915, 20.8565), _P["bosniak_mahala"],
    ],
    "university street": [
        _P["nightlife"], (42.8948, 20.8680), _P["university"], _P["residential_east"],
    ],
    "north road": [
        _P["hospital"], (42.9000, 20.8625), _P["residential_north"], (42.9015, 20.8520),
        _P["residential_northwest"],
    ],
    "west road (three towers - north-west)": [
        _P["three_towers"], (42.8975, 20.8520), _P["residential_northwest"],
    ],
    "east road (east - north-east - north)": [
        _P["residential_east"], (42.8990, 20.8690), _P["residential_northeast"],
        _P["residential_north"],
    ],
    "hospital - three towers": [_P["hospital"], (42.8965, 20.8610), _P["three_towers"]],
}

# Local equirectangular metres around the town centre: good to well under 1 m over a few km.
LAT0, LNG0 = 42.89, 20.865
M_PER_DEG_LAT = 111_132.0
M_PER_DEG_LNG = 111_320.0 * math.cos(math.radians(LAT0))


def latlng_to_xy(lat: np.ndarray, lng: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert WGS84 (lat, lng) to local metres east (x) and north (y) of the centre."""
    return (np.asarray(lng) - LNG0) * M_PER_DEG_LNG, (np.asarray(lat) - LAT0) * M_PER_DEG_LAT


def xy_to_latlng(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Convert local metres back to WGS84 (lat, lng)."""
    return LAT0 + np.asarray(y) / M_PER_DEG_LAT, LNG0 + np.asarray(x) / M_PER_DEG_LNG


@cache
def study_area() -> BaseGeometry:
    """Return the bundled North Mitrovica polygon (lng, lat), prepared for fast point tests."""
    text = files("geo.data").joinpath("north_mitrovica.geojson").read_text(encoding="utf-8")
    area = shape(json.loads(text)["features"][0]["geometry"])
    shapely.prepare(area)
    return area


def inside_area(lat: np.ndarray, lng: np.ndarray) -> np.ndarray:
    """Return a boolean mask of points (lat, lng) inside the study area; NaN is outside."""
    return shapely.contains_xy(study_area(), np.asarray(lng), np.asarray(lat))


Node = tuple[float, float]


@dataclass
class StreetGraph:
    """Street network as nodes (junctions and dead ends) and edges (polylines in local metres)."""

    node_xy: dict[Node, tuple[float, float]] = field(default_factory=dict)
    edges: dict[Node, list[tuple[Node, np.ndarray]]] = field(default_factory=dict)

    def node_of(self, place: str) -> Node:
        """Return the node at a named place; it must lie on a street."""
        lat, lng = PLACES_LATLNG[place]
        node = (round(lat, 6), round(lng, 6))
        if node not in self.node_xy:
            msg = f"place {place!r} is not on a street; add it as a street vertex"
            raise KeyError(msg)
        return node


def _clip_to_area(latlng: list[tuple[float, float]], inner: BaseGeometry) -> list[list[Node]]:
    """Clip one street to the (shrunken) study area; return its parts as (lat, lng) vertices."""
    line = LineString([(lng, lat) for lat, lng in latlng])
    if line.within(inner):
        parts = [line]
    else:
        clipped = line.intersection(inner)
        parts = [g for g in getattr(clipped, "geoms", [clipped]) if isinstance(g, LineString)]
    return [[(round(lat, 6), round(lng, 6)) for lng, lat in p.coords] for p in parts if p.length]


@cache
def street_graph(margin_m: float = 10.0) -> StreetGraph:
    """Build the street graph, clipped to the study area shrunk by ``margin_m`` metres."""
    inner = study_area().buffer(-margin_m / M_PER_DEG_LAT)
    streets = [part for s in STREETS_LATLNG.values() for part in _clip_to_area(s, inner)]
    # Named places count as used twice, so every place on a street becomes a node.
    uses: dict[Node, int] = {(round(lat, 6), round(lng, 6)): 1 for lat, lng in _P.values()}
    for vertices in streets:
        for v in set(vertices):
            uses[v] = uses.get(v, 0) + 1
    graph = StreetGraph()
    for vertices in streets:
        start = 0
        for i, v in enumerate(vertices):
            if i == 0 or (i < len(vertices) - 1 and uses[v] < 2):
                continue
            lat, lng = np.array(vertices[start : i + 1]).T
            x, y = latlng_to_xy(lat, lng)
            xy = np.column_stack([x, y])
            a, b = vertices[start], v
            graph.edges.setdefault(a, []).append((b, xy))
            graph.edges.setdefault(b, []).append((a, xy[::-1]))
            graph.node_xy[a], graph.node_xy[b] = tuple(xy[0]), tuple(xy[-1])
            start = i
    return graph


def points_near_places(
    rng: np.random.Generator, place: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Draw (lat, lng) near each row's place name, 'background' uniformly; all inside the area.

    Points that fall outside the area are drawn again, so clusters near the river are truncated.
    """
    lat, lng = np.full(place.size, np.nan), np.full(place.size, np.nan)
    west, south, east, north = study_area().bounds
    todo = np.ones(place.size, dtype=bool)
    while todo.any():
        for name in np.unique(place[todo]):
            rows = np.flatnonzero(todo & (place == name))
            if name == "background":
                lat[rows] = rng.uniform(south, north, rows.size)
                lng[rows] = rng.uniform(west, east, rows.size)
            else:
                x0, y0 = latlng_to_xy(*PLACES_LATLNG[name])
                d = rng.normal(0.0, PLACE_SPREAD_M[name], (2, rows.size))
                lat[rows], lng[rows] = xy_to_latlng(x0 + d[0], y0 + d[1])
        lat, lng = lat.round(6), lng.round(6)
        todo = ~inside_area(lat, lng)
    return lat, lng


def random_route(
    rng: np.random.Generator, graph: StreetGraph, start: Node, n_edges: int,
    allowed: set[Node] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[Node]]:
    """Walk ``n_edges`` random streets from ``start``, no U-turn unless at a dead end.

    Returns
    -------
    path : (k, 2) vertices in local metres
    node_pos : distance along the path of each node passed
    nodes : the nodes passed, in order
    """
    node, prev, length = start, None, 0.0
    pieces, nodes, node_pos = [np.array([graph.node_xy[start]])], [start], [0.0]
    for _ in range(n_edges):
        options = [e for e in graph.edges[node] if allowed is None or e[0] in allowed]
        if len(options) > 1:
            options = [e for e in options if e[0] != prev] or options
        if not options:
            break
        nxt, xy = options[rng.integers(len(options))]
        length += float(np.hypot(*np.diff(xy, axis=0).T).sum())
        pieces.append(xy[1:])
        nodes.append(nxt)
        node_pos.append(length)
        prev, node = node, nxt
    return np.vstack(pieces), np.array(node_pos), nodes


def positions_along_route(
    rng: np.random.Generator, path: np.ndarray, t: np.ndarray, speed: float,
    stop_pos: np.ndarray, chance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (x, y metres) at times ``t`` (s) of a unit going back and forth along ``path``.

    Each time the unit passes a distance in ``stop_pos`` it stops there for 10-16 minutes with
    probability ``chance`` (a Koper-curve stop).
    """
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
    length = max(along[-1], 1.0)
    # Distance "unfolded" over the back-and-forth: pass k forward, then pass k backward.
    u_max = speed * (t[-1] if t.size else 0.0)
    k = np.arange(int(u_max // (2 * length)) + 1)[:, None]
    passes = np.unique(np.concatenate([
        (stop_pos + 2 * length * k).ravel(), (2 * length * (k + 1) - stop_pos).ravel()
    ]))
    passes = passes[(passes > 0) & (passes <= u_max)]
    u_stop = passes[rng.random(passes.size) < chance]
    pause = rng.uniform(600.0, 960.0, u_stop.size)
    arrive = u_stop / speed + np.concatenate([[0.0], np.cumsum(pause)[:-1]])
    t_knots = np.concatenate([[0.0], np.column_stack([arrive, arrive + pause]).ravel()])
    u_knots = np.concatenate([[0.0], np.repeat(u_stop, 2)])
    tail = (t[-1] if t.size else 0.0) + 1.0  # keep walking after the last stop
    t_knots = np.append(t_knots, t_knots[-1] + tail)
    u_knots = np.append(u_knots, u_knots[-1] + speed * tail)
    u = np.interp(t, t_knots, u_knots) % (2 * length)
    s = np.where(u > length, 2 * length - u, u)
    return np.interp(s, along, path[:, 0]), np.interp(s, along, path[:, 1])
