"""The privacy gate: the only way from a cell table to something a renderer will draw.

:func:`publish` turns a :class:`~geo.table.CellTable` into :class:`PublishedCells`. Counts of
1..k-1 become "fewer than k"; when exactly one non-zero cell is hidden, the next-smallest
shown cell is hidden too, so the published total minus the shown cells cannot reveal it.
Renderers take only :class:`PublishedCells`, which nothing else can make.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.table import CellTable

__all__ = ["PublishedCells", "publish", "DEFAULT_K", "MIN_COMMUNITY_K"]

DEFAULT_K = 5
MIN_COMMUNITY_K = 3
_TOKEN = object()


@dataclass(frozen=True)
class PublishedCells:
    """Cell values fit to publish. ``values[name]`` is float with NaN where suppressed."""

    cells: np.ndarray
    values: dict[str, np.ndarray]
    suppressed: dict[str, np.ndarray]
    k: int
    audience: str
    res: int
    area_name: str
    area_lnglat: object
    area_approximate: bool
    period: tuple[str, str] | None
    total_incidents: int | None
    _token: object = None

    def __post_init__(self) -> None:
        if self._token is not _TOKEN:
            msg = "PublishedCells is made only by geo.privacy.publish()"
            raise TypeError(msg)


def _suppress(counts: np.ndarray, k: int) -> np.ndarray:
    """Mask of cells to hide: small counts, plus a complement when one would be exposed."""
    hidden = (counts > 0) & (counts < k)
    if hidden.sum() == 1:
        shown = np.flatnonzero(~hidden & (counts > 0))
        if len(shown):
            hidden[shown[np.argmin(counts[shown])]] = True
    return hidden


def publish(table: CellTable, *, k: int = DEFAULT_K, audience: str = "community") -> PublishedCells:
    """Apply small-count suppression to the table's incident totals and patrol layer.

    Per-category counts are not published by this gate.
    """
    if audience not in ("community", "analyst"):
        msg = f"audience must be 'community' or 'analyst', not {audience!r}"
        raise ValueError(msg)
    if audience == "community" and k < MIN_COMMUNITY_K:
        msg = f"k must be at least {MIN_COMMUNITY_K} for community output, not {k}"
        raise ValueError(msg)
    values: dict[str, np.ndarray] = {}
    suppressed: dict[str, np.ndarray] = {}
    counts = table.frame["incidents_all"].to_numpy()
    hidden = _suppress(counts, k)
    values["incidents"] = np.where(hidden, np.nan, counts).astype(float)
    suppressed["incidents"] = hidden
    if "presence_min_all" in table.frame:
        minutes = table.frame["presence_min_all"].to_numpy(dtype=float)
        share = minutes / minutes.sum() * 100 if minutes.sum() else minutes
        values["patrol_share"] = np.round(share, 1)
        suppressed["patrol_share"] = np.zeros(len(minutes), dtype=bool)
    total = int(counts.sum())
    period = None
    if table.period is not None:
        start, end = (pd.Timestamp(t).tz_convert("Europe/Belgrade") for t in table.period)
        period = (start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d"))
    return PublishedCells(
        cells=table.cells.copy(), values=values, suppressed=suppressed, k=k, audience=audience,
        res=table.res, area_name=table.area.name, area_lnglat=table.area.geometry,
        area_approximate=table.area.approximate, period=period,
        total_incidents=total if total == 0 or total >= k else None, _token=_TOKEN,
    )
