"""The bulk H3 conversion of points to cells, shared by ingest (which stores each ping's
cell) and the analysis (:func:`geo.analysis.cells.points_to_cells`)."""

from __future__ import annotations

import numpy as np

from geo._arrays import in_threads

__all__ = ["latlng_to_cells"]

_CHUNK = 1_000_000


def latlng_to_cells(lat: np.ndarray, lng: np.ndarray, res: int) -> np.ndarray:
    """H3 cells (``uint64``) of many points, equal to ``h3.latlng_to_cell`` for each, in
    h3ronpy's compiled code split over the machine's cores."""
    from h3ronpy.vector import coordinates_to_cells

    lat = np.ascontiguousarray(lat, dtype=np.float64)
    lng = np.ascontiguousarray(lng, dtype=np.float64)
    if lat.shape != lng.shape:
        msg = f"lat and lng differ in length: {lat.shape} and {lng.shape}"
        raise ValueError(msg)
    if not 0 <= res <= 15:
        msg = f"H3 resolution must be 0..15, not {res}"
        raise ValueError(msg)
    if lat.size == 0:
        return np.zeros(0, dtype=np.uint64)

    def convert(bounds: tuple[int, int]) -> np.ndarray:
        start, stop = bounds
        return np.asarray(coordinates_to_cells(lat[start:stop], lng[start:stop], res),
                          dtype=np.uint64)

    if lat.size <= _CHUNK:
        return convert((0, lat.size))
    edges = list(range(0, lat.size, _CHUNK)) + [lat.size]
    return np.concatenate(in_threads(convert, list(zip(edges[:-1], edges[1:], strict=True))))
