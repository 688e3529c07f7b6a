"""The cell table: one row per H3 cell of the study area, the one product of analysis."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.area import StudyArea
from geo.cells import DEFAULT_RES, area_to_cells, cells_to_str, count_in_cells, points_to_cells

__all__ = ["CellTable", "count_cells"]


@dataclass
class CellTable:
    """Figures per cell; ``frame`` is indexed by ``uint64`` cell and holds zero-count cells.

    Columns: ``incidents`` (all), ``incidents|<category>`` per category, and ``pings`` when
    patrol pings were given.
    """

    frame: pd.DataFrame
    res: int
    area: StudyArea
    categories: list[str]
    period: tuple[pd.Timestamp, pd.Timestamp] | None
    notes: list[str] = field(default_factory=list)

    @property
    def cells(self) -> np.ndarray:
        """The table's cells as sorted ``uint64``."""
        return self.frame.index.to_numpy(dtype=np.uint64)

    def to_frame(self) -> pd.DataFrame:
        """The table with hexadecimal ``cell`` ids as a column, for files and notebooks."""
        out = self.frame.reset_index(drop=True)
        out.insert(0, "cell", cells_to_str(self.cells))
        return out


def count_cells(incidents: pd.DataFrame, area: StudyArea, *, res: int = DEFAULT_RES,
                pings: pd.DataFrame | None = None) -> CellTable:
    """Count incidents (and pings) per cell over the whole study area.

    Parameters
    ----------
    incidents
        Accepted incidents with ``lat``, ``lng``, ``time`` and ``category`` columns.
    pings
        Accepted patrol pings with ``lat`` and ``lng``, optional.

    Examples
    --------
    >>> from geo.area import default_area
    >>> df = pd.DataFrame({"lat": [42.8895, 42.8896], "lng": [20.8665, 20.8664],
    ...                    "time": pd.to_datetime(["2025-06-01", "2025-06-02"], utc=True),
    ...                    "category": ["fight", "theft"]})
    >>> table = count_cells(df, default_area(), res=9)
    >>> int(table.frame["incidents"].sum()), int((table.frame["incidents"] > 0).sum())
    (2, 1)
    """
    cells = area_to_cells(area, res=res)
    point_cells = points_to_cells(incidents["lat"].to_numpy(), incidents["lng"].to_numpy(),
                                  res=res)
    columns: dict[str, np.ndarray] = {
        "incidents": count_in_cells(point_cells, cells).astype(np.int64)}
    categories = sorted(incidents["category"].unique().tolist())
    codes = pd.Categorical(incidents["category"], categories=categories).codes
    for i, category in enumerate(categories):
        pick = codes == i
        columns[f"incidents|{category}"] = count_in_cells(point_cells[pick], cells).astype(
            np.int64)
    if pings is not None:
        ping_cells = points_to_cells(pings["lat"].to_numpy(), pings["lng"].to_numpy(), res=res)
        columns["pings"] = count_in_cells(ping_cells, cells).astype(np.int64)
    frame = pd.DataFrame(columns, index=pd.Index(cells, name="cell_id"))
    period = None
    if len(incidents):
        period = (incidents["time"].min(), incidents["time"].max())
    return CellTable(frame=frame, res=res, area=area, categories=categories, period=period)
