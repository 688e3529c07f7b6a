"""The privacy gate: the only way from a cell table to something a renderer will draw.

:func:`publish` turns a :class:`~geo.table.CellTable` into :class:`PublishedCells`, which only
this module can make and which renderers alone accept. It holds no point, no unit id and no
free text. Incident counts of 1..k-1 become "fewer than k" (primary suppression), and then,
until nothing changes (secondary suppression):

- in each band, when exactly one cell is hidden, the smallest shown cell is hidden too, so
  the band's published total minus the shown cells cannot reveal it;
- in each cell, when exactly one band of a partition of ``all`` (day + evening + night, or
  weekday + weekend) is hidden while ``all`` is shown, the smallest other band of that
  partition is hidden too (a non-zero one when there is one), so ``all`` minus the other
  bands cannot reveal it; and when
  ``all`` is hidden, every band of the cell is hidden.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.table import CellTable

__all__ = ["PublishedCells", "PublicPost", "publish", "check_published", "DEFAULT_K",
           "MIN_COMMUNITY_K", "PARTITIONS"]

DEFAULT_K = 5
MIN_COMMUNITY_K = 3
PARTITIONS = (("day", "evening", "night"), ("weekday", "weekend"))
"""Default bands that add up to ``all``."""
_TOKEN = object()
_ISSUED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()


@dataclass(frozen=True)
class PublicPost:
    """A fixed police post as published: a public place, its staffed hours and reach."""

    lat: float
    lng: float
    name: str
    hours: str
    reach_m: float


@dataclass(frozen=True)
class PublishedCells:
    """Cell values fit to publish, per band. Incident counts are NaN where suppressed."""

    cells: np.ndarray
    bands: tuple[str, ...]
    incidents: dict[str, np.ndarray]
    suppressed: dict[str, np.ndarray]
    totals: dict[str, int | None]
    presence_hours: dict[str, np.ndarray] | None
    hot_bin: dict[str, np.ndarray]
    gap_class: dict[str, np.ndarray] | None
    posts: tuple[PublicPost, ...]
    k: int
    audience: str
    res: int
    area_name: str
    area_names: dict[str, str]
    area_lnglat: object
    area_approximate: bool
    period: tuple[str, str] | None
    days: float
    methods: dict[str, float] = field(default_factory=dict)
    sparse: bool = False
    _token: object = None

    def __post_init__(self) -> None:
        if self._token is not _TOKEN:
            msg = "PublishedCells is made only by geo.privacy.publish()"
            raise TypeError(msg)

    def __copy__(self):
        msg = "PublishedCells cannot be copied or changed; publish() the table again"
        raise TypeError(msg)

    __deepcopy__ = __copy__

    @property
    def total_incidents(self) -> int | None:
        """All incidents in the area, or None when that total itself is too small to show."""
        return self.totals.get("all")


def suppress(counts: dict[str, np.ndarray], k: int,
             partitions=PARTITIONS) -> dict[str, np.ndarray]:
    """Cells to hide per band: small counts, then complements until nothing can be recovered.

    >>> hidden = suppress({"all": np.array([7, 9]), "day": np.array([5, 9]),
    ...                    "evening": np.array([2, 0]), "night": np.array([0, 0])}, 5)
    >>> hidden["evening"].tolist(), hidden["day"].tolist(), hidden["night"].tolist()
    ([True, True], [True, True], [False, False])

    (Cell 0's evening count 2 is hidden, so its day count is hidden too; then the day band
    has one hidden cell, so cell 1's day count goes, and with it cell 1's evening zero.)
    """
    hidden = {band: (c > 0) & (c < k) for band, c in counts.items()}
    groups = [group for group in partitions if all(b in counts for b in group)]
    changed = True
    while changed:
        changed = False
        for band, mask in hidden.items():  # one hidden cell per band: hide the next smallest
            if mask.sum() == 1:
                shown = np.flatnonzero(~mask & (counts[band] > 0))
                if len(shown):
                    mask[shown[np.argmin(counts[band][shown])]] = True
                    changed = True
        if "all" not in counts:
            continue
        for band, mask in hidden.items():  # a hidden total hides every band of the cell
            spread = hidden["all"] & ~mask
            if band != "all" and spread.any():
                mask |= spread
                changed = True
        for group in groups:
            stack = np.array([hidden[b] for b in group])
            values = np.array([counts[b] for b in group], dtype=float)
            lone = (stack.sum(axis=0) == 1) & ~hidden["all"]
            for cell in np.flatnonzero(lone):
                others = np.flatnonzero(~stack[:, cell])
                positive = others[values[others, cell] > 0]
                others = positive if len(positive) else others  # prefer hiding a real count
                pick = others[np.argmin(values[others, cell])]
                hidden[group[pick]][cell] = True
                changed = True
    return hidden


def publish(table: CellTable, *, k: int = DEFAULT_K, audience: str = "community",
            posts: pd.DataFrame | None = None, reach_m: float = 400.0,
            methods: dict | None = None, sparse: bool = False) -> PublishedCells:
    """Make the publishable view of an analysed cell table.

    Per-category counts are not published by this gate.
    """
    if audience not in ("community", "analyst"):
        msg = f"audience must be 'community' or 'analyst', not {audience!r}"
        raise ValueError(msg)
    if audience == "community" and k < MIN_COMMUNITY_K:
        msg = f"k must be at least {MIN_COMMUNITY_K} for community output, not {k}"
        raise ValueError(msg)
    frame = table.frame
    bands = tuple(table.band_names)
    counts = {b: frame[f"incidents_{b}"].to_numpy() for b in bands}
    hidden = suppress(counts, k)
    incidents = {b: np.where(hidden[b], np.nan, counts[b]).astype(float) for b in bands}
    totals = {b: (int(c.sum()) if c.sum() == 0 or c.sum() >= k else None)
              for b, c in counts.items()}
    presence = None
    if any(f"presence_min_{b}" in frame or f"post_min_{b}" in frame for b in bands):
        presence = {}
        for b in bands:
            minutes = np.zeros(len(frame))
            for column in (f"presence_min_{b}", f"post_min_{b}"):
                if column in frame:
                    minutes = minutes + frame[column].to_numpy(dtype=float)
            presence[b] = np.round(minutes / 60.0, 1)
    hot = {b: frame[f"gi_bin_{b}"].to_numpy().astype(np.int8) if f"gi_bin_{b}" in frame
           else np.zeros(len(frame), np.int8) for b in bands}
    gaps = ({b: frame[f"gap_class_{b}"].to_numpy(dtype=object) for b in bands}
            if presence is not None and f"gap_class_{bands[0]}" in frame else None)
    period = None
    if table.period is not None:
        start, end = (pd.Timestamp(t).tz_convert("Europe/Belgrade") for t in table.period)
        period = (start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d"))
    public_posts = tuple(
        PublicPost(lat=round(float(p.lat), 6), lng=round(float(p.lng), 6), name=str(p.post),
                   hours=_hours(int(p.start_min), int(p.end_min)), reach_m=float(reach_m))
        for p in (posts.itertuples(index=False) if posts is not None else ()))
    published = PublishedCells(
        cells=table.cells.copy(), bands=bands, incidents=incidents, suppressed=hidden,
        totals=totals, presence_hours=presence, hot_bin=hot, gap_class=gaps,
        posts=public_posts, k=k, audience=audience, res=table.res, area_name=table.area.name,
        area_names=dict(table.area.names), area_lnglat=table.area.geometry,
        area_approximate=table.area.approximate, period=period, days=table.days,
        methods=dict(methods or {}), sparse=sparse, _token=_TOKEN,
    )
    _ISSUED[id(published)] = published
    return published


def check_published(published: object, renderer: str) -> PublishedCells:
    """Raise TypeError unless ``published`` came out of :func:`publish` unchanged.

    A copy made with ``dataclasses.replace`` passes ``isinstance`` but was never issued.
    """
    if not isinstance(published, PublishedCells) or _ISSUED.get(id(published)) is not published:
        msg = f"{renderer} draws only PublishedCells made by geo.privacy.publish()"
        raise TypeError(msg)
    return published


def _hours(start: int, end: int) -> str:
    if start == end or (start == 0 and end == 1440):
        return "00:00–24:00"
    return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"
