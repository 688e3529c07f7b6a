"""Choose the H3 resolution the data can carry (``--res auto``).

The finest resolution, no finer than a street-level floor (res 10, cells of ~0.015 km²),
at which the hot spot test can say something in every band of the run:

- the area has at least ``MIN_CELLS`` cells (a Gi* map of fewer is fragile),
- no more cells than the permutation test with false discovery rate correction can confirm
  a one-ring hot spot in (``2 n / ((R + 1) 0.10) <= 7``: 2,000 cells at the default 9,999
  permutations, 350 at 999),
- and in the band with fewest incidents, at least one incident per cell on average and at
  least a third of the cells holding some: a margin over the sparse-count warning of
  :func:`geo.analysis.hotspots.hot_spots` (fewer than one per cell, or over three quarters
  of cells empty), since a map of mostly empty cells tests little but its zeros.

When no resolution passes, the coarsest one that still has ``MIN_CELLS`` cells is taken, and
the reason says what failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import h3
import numpy as np
import pandas as pd

from geo.analysis.bands import Band, band_masks
from geo.analysis.cells import area_to_cells, points_to_cells
from geo.analysis.table import incident_weights
from geo.inputs.area import StudyArea

__all__ = ["STREET_FLOOR_RES", "COARSEST_RES", "MIN_CELLS", "ResolutionChoice",
           "choose_resolution", "confirmable_cells"]

STREET_FLOOR_RES = 10
"""The finest resolution chosen automatically: a street block."""
COARSEST_RES = 5
MIN_CELLS = 30
MIN_PER_CELL = 1.0
MIN_OCCUPIED = 1 / 3
_RING = 7  # cells of a one-ring neighbourhood
_EXACT_LIMIT = 50_000  # above this estimate, the area's cells are not listed one by one


def confirmable_cells(permutations: int | None) -> int:
    """Most cells over which the FDR-corrected permutation test can confirm a one-ring hot
    spot; with ``permutations`` None, 9,999 are used up to 2,000 cells and 999 above.

    >>> confirmable_cells(None), confirmable_cells(999)
    (2000, 350)
    """
    def limit(r: int) -> int:
        return int(_RING * 0.10 * (r + 1) / 2)

    if permutations is None:
        return max(min(2_000, limit(9_999)), limit(999))
    return limit(permutations)


@dataclass(frozen=True)
class ResolutionChoice:
    """The resolution chosen, why, and what each resolution tried would give."""

    res: int
    reason: str
    tried: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Per resolution: ``cells``, ``band`` (the one with fewest incidents), ``per_cell``,
    ``occupied`` (share of cells holding some) and ``passes``."""


def _cell_count(area: StudyArea, res: int) -> int:
    estimate = area.area_km2 / h3.average_hexagon_area(res, unit="km^2")
    if estimate > _EXACT_LIMIT:
        return int(round(estimate))
    return len(area_to_cells(area, res=res))


def choose_resolution(incidents: pd.DataFrame, area: StudyArea, *, bands: Sequence[Band],
                      tz: str = "Europe/Belgrade", permutations: int | None = None,
                      floor: int = STREET_FLOOR_RES, coarsest: int = COARSEST_RES
                      ) -> ResolutionChoice:
    """The finest resolution from ``floor`` down to ``coarsest`` that the incidents support
    in every band (see the module notes)."""
    weights = incident_weights(incidents).astype(float)
    masks = band_masks(incidents["time"], bands, tz=tz)
    totals = {b.name: float(weights[masks[b.name]].sum()) for b in bands}
    smallest = min(totals, key=totals.get)
    most = confirmable_cells(permutations)
    lat, lng = incidents["lat"].to_numpy(), incidents["lng"].to_numpy()
    rows = []
    for res in range(floor, coarsest - 1, -1):
        cells = _cell_count(area, res)
        if cells > 20 * most:  # far too many: no need to place the points
            rows.append({"res": res, "cells": cells, "band": smallest,
                         "per_cell": totals[smallest] / cells, "occupied": np.nan,
                         "passes": False})
            continue
        point_cells = points_to_cells(lat, lng, res=res)
        pick = masks[smallest] & (weights > 0)
        occupied = len(np.unique(point_cells[pick])) / cells if cells else 0.0
        per_cell = totals[smallest] / cells if cells else 0.0
        passes = (MIN_CELLS <= cells <= most and per_cell >= MIN_PER_CELL
                  and occupied >= MIN_OCCUPIED)
        rows.append({"res": res, "cells": cells, "band": smallest, "per_cell": per_cell,
                     "occupied": occupied, "passes": passes})
        if passes:
            break
    tried = pd.DataFrame(rows).set_index("res")
    chosen = tried.index[tried["passes"]]
    if len(chosen):
        res = int(chosen[0])
        row = tried.loc[res]
        reason = (f"{int(row['cells']):,} cells; the band with fewest incidents ({smallest}) "
                  f"has {row['per_cell']:.1f} per cell and {row['occupied']:.0%} of cells hold "
                  "some")
        if res < floor:
            finer = tried.loc[res + 1]
            reason += f"; res {res + 1} would give {_why_not(finer, most)}"
        else:
            reason += f" (res {floor} is the street-level floor)"
        return ResolutionChoice(res, reason, tried)
    big_enough = tried.index[tried["cells"] >= MIN_CELLS]
    res = int(big_enough.min()) if len(big_enough) else floor
    row = tried.loc[res]
    if len(big_enough):
        reason = (f"no resolution from {floor} to {coarsest} gives enough incidents per cell; "
                  f"res {res} is the coarsest with at least {MIN_CELLS} cells "
                  f"({int(row['cells']):,} cells, {_why_not(row, most)}): hot spots will be "
                  "weak")
    else:
        reason = (f"the area holds only {int(row['cells']):,} cells even at res {floor}: hot "
                  "spots need about 30")
    return ResolutionChoice(res, reason, tried)


def _why_not(row: pd.Series, most: int) -> str:
    cells = int(row["cells"])
    if cells > most:
        return f"{cells:,} cells, more than the {most:,} the hot spot test can confirm"
    if cells < MIN_CELLS:
        return f"only {cells} cells"
    if row["per_cell"] < MIN_PER_CELL:
        return f"{row['per_cell']:.2f} incidents per cell in {row['band']} (needs 1)"
    return f"{row['occupied']:.0%} of cells with incidents in {row['band']} (needs a third)"
