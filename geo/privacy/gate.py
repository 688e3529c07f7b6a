"""The privacy gate: the only way from a cell table to something a renderer will draw.

:func:`publish` turns an analysed :class:`~geo.analysis.table.CellTable` into
:class:`PublishedCells`, which only this function issues and which renderers alone accept
(:func:`check_published`). Every count a community output shows is a row of one disclosure
model (:mod:`geo.privacy.model`): map cells per band, area totals, category totals, the
report's week grid and hour sums, before/after and WDD counts, coverage and post gains, and
the rows of every earlier release of the area in the ledger. Counts of 1..k-1 are hidden, and
more are hidden until the joint system pins none (:mod:`geo.privacy.disclosure`); optional
figures are shown only if they pin nothing. Layers and figures that are not counts (hot spots,
gaps, concentration, suggested sites) are computed from the published counts alone
(:mod:`geo.privacy.derived`). With ``epsilon``, every count comes from noisy atoms instead
(:mod:`geo.privacy.noise`).

It holds no point (only cells, the area outline, declared fixed posts and suggested sites at
cell centres), no unit id, no free text (category names are taxonomy words), no input path.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo._errors import UsageError
from geo._text import clean_text
from geo.analysis.bands import HOURS_OF_WEEK, band_info
from geo.analysis.cells import cells_to_latlng, cells_to_polygons, cells_to_str
from geo.analysis.table import CellTable
from geo.inputs.area import utm_crs_for
from geo.inputs.taxonomy import Taxonomy, default_taxonomy
from geo.privacy._report_facts import ReportFacts, ReportInputs, report_facts
from geo.privacy._spec import UNDATED, draft_release
from geo.privacy.derived import DeriveSettings
from geo.privacy.disclosure import Earlier
from geo.privacy.release import COMPLEMENT, SHOWN, SMALL, ReleaseSpec, compact_spec
from geo.privacy.release_counts import ReleaseCounts, community_counts, exact_counts

__all__ = ["PublishedCells", "PublicPost", "SuggestedPost", "ReportInputs", "ReportFacts",
           "DeriveSettings", "publish", "check_published", "clean_text", "DEFAULT_K",
           "MIN_COMMUNITY_K", "MAX_COMMUNITY_RES", "SHOWN", "SMALL", "COMPLEMENT",
           "HOURS_OF_WEEK", "ReleaseRefusedError", "restricted_record"]

DEFAULT_K = 5
MIN_COMMUNITY_K = 3
MAX_COMMUNITY_RES = 10
"""Community output never uses cells finer than street-block size (H3 res 10, ~0.015 km²)."""
_TOKEN = object()
_ISSUED: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_RECORDS: dict[int, dict] = {}


class ReleaseRefusedError(UsageError):
    """A release that cannot be made safe beside the earlier ones without hiding most of it."""


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
    """A suggested new post at a cell centre, its rank and the coverage it brings in a band
    (None where that would give a count back)."""

    lat: float
    lng: float
    rank: int
    coverage_before: float | None
    coverage_after: float | None
    band: str
    reach_m: float


@dataclass(frozen=True)
class PublishedCells:
    """Cell values fit to publish, per band. Incident counts are NaN where hidden."""

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
    total_reason: dict[str, int] = field(default_factory=dict)
    category_labels: tuple[dict[str, str], ...] = ()
    release: dict = field(default_factory=dict)
    """The release's definition and every row it publishes with its label and shown value:
    written into each file so that an audit can rebuild the disclosure model."""
    notes: tuple[str, ...] = ()
    """What was left out of this release and why (i18n keys)."""
    clusters: dict[str, np.ndarray] | None = None
    """Local Moran's I class per cell and band (``high-high`` ... ``not significant``),
    tested on the published counts (hidden ones at their stand-ins)."""
    residents: np.ndarray | None = None
    """Residents per cell (inside the area), with a population layer."""
    rates: dict[str, np.ndarray] | None = None
    """Empirical Bayes incidents per 1,000 residents per cell and band, from the published
    counts (NaN where no one lives)."""
    reported_visits: dict[str, np.ndarray] | None = None
    """Reported patrol visits per cell and band (patrol data, by cell, never as points)."""
    language: str | None = None
    """The language whose coverage ``figures`` give (``coverage_lang``), if one was asked."""
    months: tuple[str, ...] = ()
    """The months (``YYYY-MM``) of the month slider, when counts per month were asked for."""
    month_incidents: dict[str, dict[str, np.ndarray]] | None = None
    """Per month and band, incidents per cell (NaN where hidden): rows of the same joint
    disclosure model as everything else."""
    month_reason: dict[str, dict[str, np.ndarray]] | None = None
    """Per month and band, why each hidden cell count is hidden (SHOWN where shown)."""
    month_presence_hours: dict[str, dict[str, np.ndarray]] | None = None
    """Per month and band, patrol and post hours per cell (patrol data, by cell)."""
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
        """All incidents in the area, or None when that total itself is hidden."""
        return self.totals.get("all")

    def release_record(self, *, with_cells: bool) -> dict:
        """What a file carries of the release for the audit: the definition (cells listed
        only ``with_cells``) and every published row but the cells' own counts (a file
        carries those as its layer values)."""
        rec = self.release
        keep = [i for i, row in enumerate(rec["rows"]) if row["t"] != "cell"]
        spec = ReleaseSpec.from_dict(rec["spec"])
        return {"fingerprint": spec.fingerprint(),
                "spec": compact_spec(rec["spec"], with_cells=with_cells),
                "rows": [rec["rows"][i] for i in keep],
                "labels": [rec["labels"][i] for i in keep],
                "shown": [rec["shown"][i] for i in keep], "epsilon": rec["epsilon"]}

    def area_share(self, area: str, band: str) -> float | None:
        """The share of the band's incidents in one of the release's cell sets (such as
        ``covered_lang_night``), from the published row of that set and the band's total;
        None when either is hidden or the set is not in the release."""
        total = self.totals.get(band)
        for row, label, shown in zip(self.release.get("rows", ()),
                                     self.release.get("labels", ()),
                                     self.release.get("shown", ()), strict=True):
            if (row.get("t") == "area" and row.get("area") == area and row.get("band") == band
                    and "part" not in row):
                return shown / total if label == SHOWN and total and shown is not None else None
        return None

    def category_label(self, index: int, lang: str) -> str:
        """The name of a published category group in ``lang``."""
        labels = self.category_labels[index] if index < len(self.category_labels) else {}
        return labels.get(lang) or labels.get("en") or self.categories[index]

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


def _check(table: CellTable, *, k: int, audience: str, epsilon, max_res: int) -> float | None:
    if audience not in ("community", "analyst"):
        msg = f"audience must be 'community' or 'analyst', not {audience!r}"
        raise ValueError(msg)
    if k < (MIN_COMMUNITY_K if audience == "community" else 1):
        msg = (f"k must be at least {MIN_COMMUNITY_K} for community output, not {k}"
               if audience == "community" else f"k must be at least 1, not {k}")
        raise ValueError(msg)
    if audience == "community" and table.res > min(max_res, MAX_COMMUNITY_RES):
        msg = (f"--res {table.res}: community output uses cells of at most res "
               f"{min(max_res, MAX_COMMUNITY_RES)} (street-block size); a finer grid would "
               "place single incidents. Use --res 9 or 10, or --audience analyst")
        raise UsageError(msg)
    if epsilon is None:
        return None
    from geo.privacy.noise import check_epsilon

    return check_epsilon(epsilon)


def publish(table: CellTable, *, k: int = DEFAULT_K, audience: str = "community",
            posts: pd.DataFrame | None = None, reach_m: float = 400.0,
            methods: dict | None = None, sparse: bool = False,
            epsilon: float | None = None, decisions=None, report: ReportInputs | None = None,
            taxonomy: Taxonomy | None = None, categories=None, period=None,
            change_date=None, before=None, after=None,
            derive: DeriveSettings | None = None, earlier: list[Earlier] = (),
            max_res: int = MAX_COMMUNITY_RES, refuse_share: float = 0.5,
            months: bool = False) -> PublishedCells:
    """Make the publishable view of an analysed cell table.

    Parameters
    ----------
    k
        Counts of 1..k-1 are hidden; at least 3 for community output. Analyst output may use
        any k >= 1 and is marked restricted on every page.
    epsilon
        Publish counts from discrete-Laplace-noised atoms with this budget instead of exact
        suppressed counts (:mod:`geo.privacy.noise`).
    taxonomy, categories
        The category words a community release may print (the bundled taxonomy by default),
        and the category texts the release counts (all when None).
    period, change_date, before, after
        The requested period (else the whole months the data fall in) and the before/after
        windows of a change.
    earlier
        Earlier community releases of the area (from the ledger): this release is protected
        together with them, and refused (:class:`ReleaseRefusedError`) when more than
        ``refuse_share`` of its counts would have to be hidden beside them.
    decisions
        The analysis' decisions: its WDD areas and target, and (analyst output only) its
        exact results.
    months
        Also publish every cell's count per band in each calendar month of the period (the
        map's month slider), protected in the same joint model.
    """
    epsilon = _check(table, k=k, audience=audience, epsilon=epsilon, max_res=max_res)
    taxonomy = taxonomy or default_taxonomy()
    derive = derive or DeriveSettings(reach_m=reach_m)
    with_week = report is not None and report.week is not None
    draft = draft_release(table, k=k, taxonomy=taxonomy, week=with_week,
                          categories=categories, period=period, change_date=change_date,
                          before=before, after=after,
                          wdd_areas=getattr(decisions, "wdd_areas", None), months=months)
    earlier = [e for e in earlier if e.spec.first_day <= draft.spec.last_day
               and draft.spec.first_day <= e.spec.last_day]
    other_grid = [e for e in earlier if e.spec.res != table.res]
    if audience == "community" and other_grid:
        msg = (f"an earlier release of this area for an overlapping period used res "
               f"{other_grid[0].spec.res}; publish at res {other_grid[0].spec.res}, or a "
               "period that does not overlap it")
        raise ReleaseRefusedError(msg)
    if audience == "analyst":
        counts = exact_counts(table, draft, decisions, derive)
    else:
        counts = community_counts(table, draft, derive, epsilon=epsilon,
                                  earlier=list(earlier), refuse_share=refuse_share)
    published = _assemble(table, draft, counts, k=k, audience=audience, posts=posts,
                          reach_m=reach_m, methods=methods, sparse=sparse, epsilon=epsilon,
                          taxonomy=taxonomy, decisions=decisions, report=report)
    _ISSUED[id(published)] = published
    if audience == "community":
        _RECORDS[id(published)] = counts.record
        weakref.finalize(published, _RECORDS.pop, id(published), None)
    return published


def _assemble(table, draft, counts: ReleaseCounts, *, k, audience, posts, reach_m, methods,
              sparse, epsilon, taxonomy, decisions, report) -> PublishedCells:
    spec = draft.spec
    bands = tuple(b.name for b in spec.bands)
    period = (None if spec.first_day == UNDATED else
              (spec.first_day.isoformat(), spec.last_day.isoformat()))
    public_posts = tuple(
        PublicPost(lat=round(float(p.lat), 6), lng=round(float(p.lng), 6),
                   name=clean_text(p.post, limit=80),
                   hours=_hours(int(p.start_min), int(p.end_min)), reach_m=float(reach_m))
        for p in (posts.itertuples(index=False) if posts is not None else ()))
    area = table.area.geometry
    if table.area.source == "extent":  # the data's own box would place extreme incidents
        area = _cells_outline(table.cells)
    groups = tuple(spec.groups)
    published = PublishedCells(
        cells=table.cells.copy(), bands=bands, incidents=counts.incidents,
        reason=counts.reason, totals=counts.totals, categories=groups,
        category_totals=counts.category_totals, presence_hours=counts.presence_hours,
        hot_bin=counts.hot_bin, gap_class=counts.gap_class, posts=public_posts, k=k,
        audience=audience, res=table.res, area_name=clean_text(table.area.name, limit=120),
        area_names={lang: clean_text(n, limit=120) for lang, n in table.area.names.items()},
        area_lnglat=area, area_approximate=table.area.approximate, period=period,
        days=float((spec.last_day - spec.first_day).days + 1), methods=dict(methods or {}),
        sparse=sparse, epsilon=epsilon, emerging=counts.emerging,
        suggested=tuple(SuggestedPost(*s) for s in counts.suggested),
        total_reason=counts.total_reason,
        category_labels=tuple({lang: taxonomy.label(g, lang) for lang in
                               ("en", "sr-Cyrl", "sr-Latn", "sq")} for g in groups),
        release=counts.public, notes=tuple(counts.notes), clusters=counts.clusters,
        residents=counts.residents, rates=counts.rates,
        reported_visits=counts.reported_visits, language=table.language,
        months=draft.months, month_incidents=counts.month_incidents,
        month_reason=counts.month_reason, month_presence_hours=counts.month_presence_hours,
        _token=_TOKEN)
    if report is not None:
        facts = report_facts(published, counts, report, decisions, noisy=epsilon is not None)
        object.__setattr__(published, "report", facts)
    return published


def _cells_outline(cells) -> object:
    """The outline of the cells as one shapely (multi)polygon: H3's own union of cell
    boundaries, the same shape as the union of the cells' polygons at a fraction of its
    cost."""
    import h3
    import shapely.geometry

    shape = h3.cells_to_h3shape(list(cells_to_str(np.asarray(cells))))
    return shapely.geometry.shape(shape.__geo_interface__)


def restricted_record(published: PublishedCells) -> dict | None:
    """What the ledger stores of a community release (exact counts: never for a renderer)."""
    return _RECORDS.get(id(published))


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

