"""The privacy gate: the only way from a cell table to something a renderer will draw.

:func:`publish` turns a :class:`~geo.analysis.table.CellTable` into :class:`PublishedCells`,
which only this function issues and which renderers alone accept (:func:`check_published`). It
holds no point (only cells, the area outline and the declared fixed posts), no unit id, no free
text, and no input path. Counts are suppressed as :mod:`geo.privacy._suppression` documents:
1..k-1 becomes "fewer than k", and further values are hidden ("not shown") until no published
sum gives a small count back. Categories are published only as area totals per band, never per
cell, so a sensitive category never appears at cell level. With ``epsilon``, Laplace noise is
added to every count before suppression. Every text that reaches a page is stripped of control
and direction-override characters (renderers still escape it).
"""

from __future__ import annotations

import math
import secrets
import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo._text import clean_text
from geo.analysis.bands import HOURS_OF_WEEK, band_info
from geo.analysis.cells import cells_to_latlng, cells_to_polygons, cells_to_str
from geo.analysis.table import CellTable
from geo.inputs.area import utm_crs_for
from geo.privacy._report_facts import ReportFacts, ReportInputs, report_facts, siting_facts
from geo.privacy._suppression import COMPLEMENT, SHOWN, SMALL, suppress_table

__all__ = ["PublishedCells", "PublicPost", "SuggestedPost", "ReportInputs", "ReportFacts",
           "publish", "check_published",
           "clean_text", "DEFAULT_K", "MIN_COMMUNITY_K", "PARTITIONS", "SHOWN", "SMALL",
           "COMPLEMENT", "HOURS_OF_WEEK"]

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
class SuggestedPost:
    """A suggested new post: a cell centre (or a candidate site), its rank and the coverage it
    brings in a band (None where that would give a small count back)."""

    lat: float
    lng: float
    rank: int
    coverage_before: float | None
    coverage_after: float | None
    band: str
    reach_m: float


@dataclass(frozen=True)
class PublishedCells:
    """Cell values fit to publish, per band. Incident counts are NaN where suppressed."""

    cells: np.ndarray
    bands: tuple[str, ...]
    incidents: dict[str, np.ndarray]
    reason: dict[str, np.ndarray]
    totals: dict[str, int | None]
    categories: tuple[str, ...]
    category_totals: dict[str, np.ndarray]
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
    epsilon: float | None = None
    emerging: np.ndarray | None = None
    suggested: tuple[SuggestedPost, ...] = ()
    report: ReportFacts | None = None
    _token: object = None

    def __post_init__(self) -> None:
        if self._token is not _TOKEN:
            msg = "PublishedCells is made only by geo.privacy.gate.publish()"
            raise TypeError(msg)

    def __copy__(self):
        msg = "PublishedCells cannot be copied or changed; publish() the table again"
        raise TypeError(msg)

    __deepcopy__ = __copy__

    @property
    def suppressed(self) -> dict[str, np.ndarray]:
        """Per band, whether each cell's count is hidden (for any reason)."""
        return {band: reason != SHOWN for band, reason in self.reason.items()}

    @property
    def total_incidents(self) -> int | None:
        """All incidents in the area, or None when that total itself is too small to show."""
        return self.totals.get("all")

    # Geometry and labels for renderers, so that they need nothing from the analysis room.

    def cell_ids(self) -> np.ndarray:
        """The cells as hexadecimal H3 strings."""
        return cells_to_str(self.cells)

    def cell_centres_latlng(self) -> tuple[np.ndarray, np.ndarray]:
        """The cells' centres as (lat, lng) arrays."""
        return cells_to_latlng(self.cells)

    def cell_polygons(self) -> np.ndarray:
        """The cells as shapely hexagons (lng, lat order)."""
        return cells_to_polygons(self.cells)

    def metric_crs(self):
        """The UTM zone CRS of the area's centre, for drawing in metres."""
        import shapely

        lng, lat = shapely.centroid(self.area_lnglat).coords[0]
        return utm_crs_for(lat, lng)

    @staticmethod
    def band_info(band: str) -> dict:
        """How renderers label a band (see :func:`geo.analysis.bands.band_info`)."""
        return band_info(band)


def band_memberships(bands) -> int:
    """The most bands one incident can count in (the sensitivity of per-band counts)."""
    hours = np.repeat(np.arange(0, 24, 0.25), 7)
    days = np.tile(np.arange(7), len(hours) // 7)
    inside = np.array([band.contains(hours, days) for band in bands])
    return int(inside.sum(axis=0).max())


def _noisy(counts: dict[str, np.ndarray], scale: float, rng) -> dict[str, np.ndarray]:
    return {b: np.maximum(0, np.rint(c + rng.laplace(0.0, scale, len(c)))).astype(np.int64)
            for b, c in counts.items()}


def publish(table: CellTable, *, k: int = DEFAULT_K, audience: str = "community",
            posts: pd.DataFrame | None = None, reach_m: float = 400.0,
            methods: dict | None = None, sparse: bool = False,
            epsilon: float | None = None, noise_seed: int | None = None,
            decisions=None, report: ReportInputs | None = None) -> PublishedCells:
    """Make the publishable view of an analysed cell table.

    Parameters
    ----------
    k
        Counts of 1..k-1 are hidden; at least 3 for community output. Analyst output may use
        any k >= 1 and is marked restricted on every page.
    epsilon
        Add Laplace noise of scale (bands an incident counts in) / (epsilon / 3) to every cell
        count, the same with another third of the budget to category totals, and noise of
        scale 1 / (epsilon / 3) to incidents per hour of the week (the report's chart), before
        suppression. ``noise_seed`` is for tests only: a known seed lets anyone remove the
        noise, so by default the seed is random.
    decisions
        :class:`geo.analysis.decisions.Decisions`: its emerging hot spot pattern per cell (a
        classification, not a count) and its suggested posts (cell centres) are published.
    report
        What the planner's report needs beyond the table (:class:`ReportInputs`); its
        publishable part becomes ``PublishedCells.report``.
    """
    if audience not in ("community", "analyst"):
        msg = f"audience must be 'community' or 'analyst', not {audience!r}"
        raise ValueError(msg)
    if k < (MIN_COMMUNITY_K if audience == "community" else 1):
        msg = (f"k must be at least {MIN_COMMUNITY_K} for community output, not {k}"
               if audience == "community" else f"k must be at least 1, not {k}")
        raise ValueError(msg)
    if epsilon is not None and not (epsilon > 0 and math.isfinite(epsilon)):
        msg = f"epsilon must be a positive number, not {epsilon}"
        raise ValueError(msg)
    frame = table.frame
    bands = tuple(table.band_names)
    counts = {b: frame[f"incidents_{b}"].to_numpy().astype(np.int64) for b in bands}
    keys = list(table.categories)
    by_category = {b: np.array([frame[f"cat_{key}_{b}"].sum() for key in keys], dtype=np.int64)
                   for b in bands}
    week_counts = None
    if epsilon is not None:
        rng = np.random.default_rng(noise_seed if noise_seed is not None
                                    else secrets.randbits(64))
        scale = band_memberships(table.bands) / (epsilon / 3)
        counts = _noisy(counts, scale, rng)
        by_category = _noisy(by_category, scale, rng)
        if report is not None and report.week is not None:
            week_counts = _noisy({"week": report.week["incidents"].to_numpy()},
                                 1 / (epsilon / 3), rng)["week"]
    reason, totals = suppress_table(counts, k, PARTITIONS)
    cat_reason, cat_totals = suppress_table(by_category, k, PARTITIONS)
    totals = {b: totals[b] if cat_totals[b] is not None else None for b in bands}
    incidents = {b: np.where(reason[b] != SHOWN, np.nan, counts[b]).astype(float) for b in bands}
    categories = {b: np.where(cat_reason[b] == SMALL, -1.0,
                              np.where(cat_reason[b] == COMPLEMENT, -2.0, by_category[b]))
                  for b in bands}
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
        PublicPost(lat=round(float(p.lat), 6), lng=round(float(p.lng), 6),
                   name=clean_text(p.post, limit=80),
                   hours=_hours(int(p.start_min), int(p.end_min)), reach_m=float(reach_m))
        for p in (posts.itertuples(index=False) if posts is not None else ()))
    published = PublishedCells(
        cells=table.cells.copy(), bands=bands, incidents=incidents, reason=reason,
        totals=totals, categories=tuple(clean_text(table.categories[key], limit=80)
                                        for key in keys),
        category_totals=categories, presence_hours=presence, hot_bin=hot, gap_class=gaps,
        posts=public_posts, k=k, audience=audience, res=table.res,
        area_name=clean_text(table.area.name, limit=120),
        area_names={lang: clean_text(name, limit=120) for lang, name in table.area.names.items()},
        area_lnglat=table.area.geometry, area_approximate=table.area.approximate,
        period=period, days=table.days, methods=dict(methods or {}), sparse=sparse,
        epsilon=epsilon, emerging=_emerging(decisions, table.cells), _token=_TOKEN,
    )
    # made here, before the object is issued: both need the published cells to check sums
    object.__setattr__(published, "suggested",
                       _suggested(decisions, published, noisy=epsilon is not None))
    if report is not None:
        facts = report_facts(published, table, report, decisions, counts=counts,
                             week_counts=week_counts, noisy=epsilon is not None)
        object.__setattr__(published, "report", facts)
    _ISSUED[id(published)] = published
    return published


def _emerging(decisions, cells: np.ndarray) -> np.ndarray | None:
    """The emerging hot spot pattern of each cell, as published."""
    if decisions is None or decisions.emerging is None:
        return None
    return decisions.emerging.frame["category"].reindex(cells).fillna(
        "no pattern detected").to_numpy(dtype=object)


def _suggested(decisions, published: PublishedCells, *, noisy: bool
               ) -> tuple[SuggestedPost, ...]:
    """Suggested posts with the coverage :func:`siting_facts` lets through (none with noise:
    coverage needs exact counts)."""
    siting = decisions.siting if decisions is not None else None
    if siting is None or not len(siting.sites):
        return ()
    facts = siting_facts(decisions, published)
    before = None if noisy else facts["baseline"]
    suggested = []
    for site in facts["sites"]:
        after = None if noisy else site["coverage_after"]
        suggested.append(SuggestedPost(lat=site["lat"], lng=site["lng"], rank=site["rank"],
                                       coverage_before=before, coverage_after=after,
                                       band=siting.band, reach_m=float(siting.reach_m)))
        before = after
    return tuple(suggested)


def check_published(published: object, renderer: str) -> PublishedCells:
    """Raise TypeError unless ``published`` came out of :func:`publish` unchanged.

    A copy made with ``dataclasses.replace`` passes ``isinstance`` but was never issued.
    """
    if not isinstance(published, PublishedCells) or _ISSUED.get(id(published)) is not published:
        msg = f"{renderer} draws only PublishedCells made by geo.privacy.gate.publish()"
        raise TypeError(msg)
    return published


def _hours(start: int, end: int) -> str:
    if start == end or (start == 0 and end == 1440):
        return "00:00–24:00"
    return f"{start // 60:02d}:{start % 60:02d}–{end // 60:02d}:{end % 60:02d}"
