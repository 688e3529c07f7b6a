"""H3 cells: points to cells in bulk, the study area as cells, and cell geometry.

Cells are ``uint64`` H3 indexes inside the package (fast to sort, join and count) and
hexadecimal strings (``'891ef14a4bbffff'``) where people or files see them.
"""

from __future__ import annotations

from itertools import chain

import h3
import numpy as np
import shapely

from geo._h3 import latlng_to_cells
from geo.inputs.area import StudyArea

__all__ = ["DEFAULT_RES", "points_to_cells", "area_to_cells", "cell_positions", "count_in_cells",
           "cells_to_str", "str_to_cells", "cells_to_polygons", "cells_to_latlng",
           "cells_in_shape", "inside_areas_km2"]

DEFAULT_RES = 9
"""Resolution 9: cells of about 0.1 km² (edge ~200 m), about 110 cells over North Mitrovica."""


def points_to_cells(lat: np.ndarray, lng: np.ndarray, *, res: int = DEFAULT_RES) -> np.ndarray:
    """H3 cells (``uint64``) of many points at once, equal to ``h3.latlng_to_cell`` for each.

    The bulk conversion runs in h3ronpy's compiled code, split over the machine's cores.

    >>> cells = points_to_cells(np.array([42.8895]), np.array([20.8665]), res=9)
    >>> cells_to_str(cells)[0] == h3.latlng_to_cell(42.8895, 20.8665, 9)
    True
    """
    return latlng_to_cells(lat, lng, res)


def area_to_cells(area: StudyArea, *, res: int = DEFAULT_RES) -> np.ndarray:
    """Every cell that overlaps the study area (edge cells kept), sorted ``uint64``."""
    shape = h3.geo_to_h3shape(area.geometry)
    found = h3.h3shape_to_cells_experimental(shape, res, contain="overlap")
    return np.sort(str_to_cells(found))


def cell_positions(point_cells: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Where each point's cell sits in ``cells`` (sorted ``uint64``).

    Raises ValueError when a point lies in a cell that is not in ``cells``.
    """
    idx = np.searchsorted(cells, point_cells)
    idx_clipped = np.minimum(idx, len(cells) - 1)
    if len(point_cells) and (len(cells) == 0 or (cells[idx_clipped] != point_cells).any()):
        msg = "some points lie in cells outside the study area's cells"
        raise ValueError(msg)
    return idx


def count_in_cells(point_cells: np.ndarray, cells: np.ndarray,
                   weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum ``weights`` of) points per cell of ``cells`` (sorted), zeros included.

    Raises ValueError when a point lies in a cell that is not in ``cells``.
    """
    return np.bincount(cell_positions(point_cells, cells), weights=weights,
                       minlength=len(cells))


def cells_to_str(cells: np.ndarray) -> np.ndarray:
    """Hexadecimal H3 strings of ``uint64`` cells."""
    return np.array([format(int(c), "x") for c in cells], dtype=object)


def str_to_cells(cells) -> np.ndarray:
    """``uint64`` cells from hexadecimal H3 strings."""
    return np.array([int(c, 16) for c in cells], dtype=np.uint64)


def cells_to_latlng(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres as (lat, lng) arrays."""
    centres = [h3.cell_to_latlng(format(int(c), "x")) for c in cells]
    arr = np.array(centres, dtype=float).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def cells_in_shape(cells: np.ndarray, geometry) -> np.ndarray:
    """Whether each cell belongs to a polygon (lng, lat): its centre lies inside, or, for a
    shape too small to hold any centre, the cell overlaps it."""
    if len(cells) == 0:
        return np.zeros(0, dtype=bool)
    lat, lng = cells_to_latlng(cells)
    inside = shapely.contains_xy(geometry, lng, lat)
    if not inside.any():
        inside = shapely.intersects(cells_to_polygons(cells), geometry)
    return np.asarray(inside, dtype=bool)


def cells_to_polygons(cells: np.ndarray) -> np.ndarray:
    """Shapely hexagons (lng, lat order) of the cells: each ring ``h3.cell_to_boundary``'s
    vertices, built in one vectorised call (a Polygon at a time took seconds at 100,000
    cells)."""
    if len(cells) == 0:
        return np.zeros(0, dtype=object)
    boundaries = [h3.cell_to_boundary(format(int(c), "x")) for c in cells]
    sizes = np.fromiter(map(len, boundaries), dtype=np.int64, count=len(boundaries))
    latlng = np.fromiter(chain.from_iterable(chain.from_iterable(boundaries)), dtype=float,
                         count=2 * int(sizes.sum())).reshape(-1, 2)
    rings = shapely.linearrings(latlng[:, ::-1], indices=np.repeat(np.arange(len(cells)), sizes))
    return shapely.polygons(rings)


def inside_areas_km2(cells: np.ndarray, geometry) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's area and the part of it inside a polygon (lng, lat), in km², measured in
    the polygon's UTM zone.

    An edge cell kept by the overlap fill may lie mostly outside the area: its inside part is
    what its incidents (all inside the area) and residents came from. A cell wholly inside
    is inside with its whole area; only the cells across the polygon's edge are intersected
    with it (intersecting every cell took most of the time at 100,000 cells).
    """
    import pyproj

    from geo.inputs.area import utm_crs_for

    if len(cells) == 0:
        return np.zeros(0), np.zeros(0)
    centre = shapely.centroid(geometry)
    to_m = pyproj.Transformer.from_crs(4326, utm_crs_for(centre.y, centre.x), always_xy=True)
    hexes = shapely.transform(cells_to_polygons(cells), lambda xy: np.column_stack(
        to_m.transform(xy[:, 0], xy[:, 1])))
    area_m = shapely.transform(geometry, lambda xy: np.column_stack(
        to_m.transform(xy[:, 0], xy[:, 1])))
    whole = shapely.area(hexes) / 1e6
    shapely.prepare(area_m)
    inside = whole.copy()
    edge = ~shapely.contains(area_m, hexes)
    inside[edge] = shapely.area(shapely.intersection(hexes[edge], area_m)) / 1e6
    return whole, np.minimum(inside, whole)
