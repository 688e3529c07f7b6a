"""Rates: incidents per 1,000 residents per cell, raw and smoothed by empirical Bayes.

Residents are spread over the cells by area (areal weighting): a population polygon's
residents go to each cell in proportion to the part of the polygon that lies in the cell's
inside part (the cell within the study area, where its incidents happened). A cell with few
residents gives a wild raw rate (2 incidents among 3 residents is 667 per 1,000), so the rate
is also smoothed with global empirical Bayes (Marshall 1991, PySAL's
``esda.smoothing.Empirical_Bayes``): each cell's rate is pulled towards the area's rate, more
so the fewer its residents.

Residents are the wrong denominator where people come but do not live: the town centre, a
bus station, and everywhere at night, when the people about are visitors, workers and
night-life, not the residents asleep at home. The rates say where incidents are many for the
people who live there, not where a person walking by runs the most risk.

Marshall, R. J. (1991). Mapping disease and mortality rates using empirical Bayes estimators.
Applied Statistics 40(2), 283-294.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.analysis.cells import cells_to_polygons
from geo.analysis.table import CellTable

__all__ = ["RATE_PER", "RATE_CAVEAT", "population_to_cells", "incident_rates", "add_rates"]

RATE_PER = 1_000.0
"""Rates are incidents per this many residents."""
RATE_CAVEAT = ("Rates divide by residents, the wrong denominator where people come but do "
               "not live (the centre, the bus station) and at night, when those about are "
               "visitors and workers, not the residents asleep at home.")


def population_to_cells(population, cells: np.ndarray, area_geometry) -> np.ndarray:
    """Residents of each cell's inside part, by areal weighting of the population polygons.

    ``population`` is a GeoDataFrame in WGS84 with a ``population`` column (for instance
    :attr:`geo.inputs.population.Population.frame`). Areas are measured in the area's UTM
    zone. Residents of polygon parts outside the study area are not counted.
    """
    from geo.inputs.area import utm_crs_for

    cells = np.asarray(cells, dtype=np.uint64)
    out = np.zeros(len(cells))
    if len(cells) == 0 or len(population) == 0:
        return out
    centre = shapely.centroid(area_geometry)
    crs = utm_crs_for(centre.y, centre.x)
    to_m = pyproj.Transformer.from_crs(4326, crs, always_xy=True)

    def metres(geoms):
        return shapely.transform(geoms, lambda xy: np.column_stack(
            to_m.transform(xy[:, 0], xy[:, 1])))

    pieces = shapely.intersection(metres(cells_to_polygons(cells)),
                                  metres(np.array([area_geometry]))[0])
    polys = metres(np.asarray(population.geometry.to_numpy(), dtype=object))
    values = population["population"].to_numpy(dtype=float)
    whole = shapely.area(polys)
    tree = shapely.STRtree(polys)
    cell_i, poly_i = tree.query(pieces, predicate="intersects")
    if len(cell_i) == 0:
        return out
    shared = shapely.area(shapely.intersection(pieces[cell_i], polys[poly_i]))
    weight = np.divide(shared, whole[poly_i], out=np.zeros(len(shared)),
                       where=whole[poly_i] > 0)
    np.add.at(out, cell_i, values[poly_i] * weight)
    return out


def incident_rates(counts: np.ndarray, population: np.ndarray, *, per: float = RATE_PER
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Raw and empirical Bayes rates per ``per`` residents of each cell (NaN without residents).

    A pure function of the counts: the privacy gate may call it on published counts.

    >>> raw, eb = incident_rates(np.array([2, 10, 30, 0]), np.array([3, 2000, 3000, 0]))
    >>> raw.round(1).tolist()[:3], bool(eb[0] < raw[0]), bool(np.isnan(eb[3]))
    ([666.7, 5.0, 10.0], True, True)
    """
    from esda.smoothing import Empirical_Bayes

    e = np.asarray(counts, dtype=float)
    b = np.asarray(population, dtype=float)
    if e.shape != b.shape or e.ndim != 1:
        msg = f"counts and population must be 1-d and equally long, not {e.shape}, {b.shape}"
        raise ValueError(msg)
    raw = np.full(len(e), np.nan)
    eb = np.full(len(e), np.nan)
    lived = b > 0
    if not lived.any():
        return raw, eb
    raw[lived] = e[lived] / b[lived] * per
    if e[lived].sum() == 0:
        eb[lived] = 0.0
        return raw, eb
    mean = e[lived].sum() / b[lived].sum()
    spread = np.sum(b[lived] * (e[lived] / b[lived] - mean) ** 2) / b[lived].sum() - \
        mean / b[lived].mean()
    if spread <= 0:  # no more variation than chance: every cell takes the area's rate
        eb[lived] = mean * per  # (esda's weights would turn negative here)
    else:
        eb[lived] = np.asarray(Empirical_Bayes(e[lived], b[lived]).r).ravel() * per
    return raw, eb


def add_rates(table: CellTable, population) -> pd.DataFrame:
    """Add ``population`` (residents of each cell's inside part) and ``rate_<band>`` and
    ``rate_eb_<band>`` (incidents per 1,000 residents, raw and empirical Bayes); return the
    area's rates per band."""
    frame = getattr(population, "frame", population)
    residents = population_to_cells(frame, table.cells, table.area.geometry)
    table.frame["population"] = residents
    rows = {}
    for band in table.band_names:
        counts = table.frame[f"incidents_{band}"].to_numpy()
        raw, eb = incident_rates(counts, residents)
        table.frame[f"rate_{band}"] = raw
        table.frame[f"rate_eb_{band}"] = eb
        total = residents.sum()
        rows[band] = {"incidents": int(counts.sum()), "residents": float(total),
                      "rate": counts.sum() / total * RATE_PER if total else float("nan"),
                      "cells_with_residents": int((residents > 0).sum()),
                      "incidents_without_residents": int(counts[residents <= 0].sum())}
    table.notes.append(RATE_CAVEAT)
    return pd.DataFrame.from_dict(rows, orient="index")
