"""The analysis, step by step: counts, presence, hot spots, gaps and the figures planners quote.

Each step is a function a notebook user can call alone; :func:`analyse` runs them all and adds
their columns to one :class:`~geo.analysis.table.CellTable`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.analysis.bands import (
    DEFAULT_BANDS,
    HOURS_OF_WEEK,
    Band,
    hour_of_week,
    local_wall_us,
    month_key,
    month_of_wall,
)
from geo.analysis.cells import cell_positions, cells_in_shape, points_to_cells
from geo.analysis.clusters import CLASSES, local_moran
from geo.analysis.decisions import Decisions, decide
from geo.analysis.engines import dataset_partials
from geo.analysis.figures import concentration_summary
from geo.analysis.gaps import (
    add_language_coverage,
    bivariate_classes,
    demand_weighted_coverage,
    rank_gaps,
)
from geo.analysis.hotspots import hot_spots, neighbour_matrix
from geo.analysis.presence import (
    DEFAULT_CAP_S,
    Presence,
    partials_to_presence,
    pings_to_presence,
    posts_to_presence,
    posts_week_hours,
)
from geo.analysis.rates import add_rates
from geo.analysis.reported import visits_to_presence, visits_week_minutes
from geo.analysis.resolution import STREET_FLOOR_RES, ResolutionChoice, choose_resolution
from geo.analysis.table import CellTable, count_cells, incident_events, incident_weights
from geo.inputs._period import period_bounds
from geo.inputs.area import StudyArea
from geo.inputs.dataset import PingDataset

__all__ = ["Settings", "Analysis", "analyse", "add_presence", "add_hot_spots", "add_gaps",
           "add_clusters", "permutations_for", "planner_figures", "week_profile",
           "add_decision_columns", "resolve_resolution"]


@dataclass(frozen=True)
class Settings:
    """Analysis options; every one has a default that suits a town of ~10 km²."""

    res: int | str = "auto"
    """An H3 resolution, or ``"auto"``: the finest the data support (see
    :mod:`geo.analysis.resolution`), never finer than ``res_floor``."""
    res_floor: int = STREET_FLOOR_RES
    bands: tuple[Band, ...] = DEFAULT_BANDS
    categories: tuple[str, ...] | None = None
    k_ring: int = 1
    inference: str = "analytic"
    """Hot spot test: the Gi* z-score's normal p (as ArcGIS Pro), or ``"permutation"``."""
    permutations: int | None = None
    """Draws of the permutation test; None: 9,999 up to 2,000 cells, else 999."""
    seed: int | None = 2025
    cap_s: float = DEFAULT_CAP_S
    reach_m: float = 400.0
    covered_minutes_per_day: float = 1.0
    tz: str = "Europe/Belgrade"
    change_date: str | None = None
    before: tuple[str, str] | None = None
    """Explicit before period (first, last local day); default: start to the change date."""
    after: tuple[str, str] | None = None
    """Explicit after period; default: the change date to the end. It gives the change date
    when none is set."""
    slices: str = "month"
    evaluate_from: str | None = None
    """Score hot spots drawn before this local date on the incidents from it (PAI, PEI, RRI);
    None: the before/after split, when there is one."""
    new_posts: int = 2
    posts_band: str = "night"
    decisions: bool = True
    target: StudyArea | None = None
    """The area a before/after WDD evaluates; None: cells near posts started on change_date."""
    buffer_k: int = 1
    candidates: tuple[tuple[float, float], ...] | None = None
    """(lat, lng) sites new posts may take; None: every cell centre."""
    language: str | None = None
    """A language code (``sr``): coverage by posts whose officers speak it, per band."""
    no_times: bool = False
    """The incidents have no time of day: only the ``all`` band; no week profile, emerging
    hot spots or before/after."""
    period: tuple[str | None, str | None] | None = None
    """The first and last local day asked for (``--from``, ``--to``); the cell table's
    period is then this, not the first and last incident."""
    engine: str = "local"
    """Where the presence kernel runs over a ping dataset: ``local`` or ``dask``."""
    scheduler: str | None = None
    """A Dask scheduler's address for ``engine="dask"``; None: a LocalCluster for the run."""
    months: bool = False
    """Patrol presence per local calendar month of the period too (the map's month slider)."""

    def __post_init__(self) -> None:
        if self.no_times and tuple(b.name for b in self.bands) != ("all",):
            object.__setattr__(self, "bands", (Band("all"),))
        if self.no_times and self.posts_band != "all":
            object.__setattr__(self, "posts_band", "all")


@dataclass
class Analysis:
    """Everything the analysis produced: the cell table, planners' figures, ranked gaps."""

    table: CellTable
    figures: pd.DataFrame
    by_category: pd.DataFrame
    gaps: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    presence: Presence | None = None
    decisions: Decisions | None = None
    week: pd.DataFrame | None = None
    """Per local hour of the week: ``incidents`` and ``patrol_hours`` (NaN without patrol
    data), from :func:`week_profile`."""
    clusters: pd.DataFrame | None = None
    """Local Moran's I: cells per class (columns :data:`geo.analysis.clusters.CLASSES`) per
    band (rows)."""
    rates: pd.DataFrame | None = None
    """With a population layer, per band: ``incidents``, ``residents``, ``rate`` (per 1,000
    residents over the area), ``cells_with_residents`` and ``incidents_without_residents``
    (in cells where no one lives, left out of the cell rates)."""
    language_coverage: pd.DataFrame | None = None
    """With a language, per band: ``language``, ``incidents``, ``covered`` (incidents within
    reach of a post staffed in the band by officers who speak it), ``share`` and
    ``cells_covered``."""
    resolution: ResolutionChoice | None = None
    """How ``--res auto`` chose the resolution (None when it was given)."""
    no_times: bool = False
    """Times of day were not used: the ``all`` band only, no time-dependent results."""


def select_categories(incidents: pd.DataFrame, categories: Sequence[str] | None
                      ) -> pd.DataFrame:
    """Keep only the named categories (matched ignoring case); all when None."""
    if not categories:
        return incidents
    wanted = {c.strip().casefold() for c in categories}
    present = {c.casefold() for c in incidents["category"].unique()}
    missing = wanted - present
    if missing:
        from geo._errors import UsageError

        shown = ", ".join(sorted(incidents["category"].unique()))
        msg = (
            f"--categories: {', '.join(sorted(missing))} not in the data; "
            f"categories are: {shown}"
        )
        raise UsageError(msg)
    return incidents[incidents["category"].str.casefold().isin(wanted)].reset_index(drop=True)


def _span(frames: Sequence[pd.DataFrame | None]) -> tuple | None:
    """First and last time over the frames that have times."""
    times = [f["time"].dropna() for f in frames if f is not None and len(f)]
    times = [t for t in times if len(t)]
    if not times:
        return None
    return min(t.min() for t in times), max(t.max() for t in times)


def _span_frame(dataset: PingDataset | None) -> pd.DataFrame | None:
    """The first and last ping of a dataset as a two-row frame, for :func:`_span`."""
    if dataset is None or dataset.span is None:
        return None
    return pd.DataFrame({"time": list(dataset.span)})


def add_presence(table: CellTable, pings: pd.DataFrame | PingDataset | None,
                 posts: pd.DataFrame | None, *,
                 settings: Settings = Settings(), visits: pd.DataFrame | None = None
                 ) -> Presence | None:
    """Add ``presence_min``, ``visits``, ``stops``, ``post_min`` and ``covered`` per band.

    ``pings`` is a frame of checked pings, or a dataset from ``patrolmap ingest`` (run by
    ``settings.engine``). Reported patrol ``visits`` join the presence minutes, visits and
    stops, and also get their own ``report_min_<band>`` and ``report_visits_<band>``
    columns. Without a period of the incidents (no times), posts and the per-day threshold
    of ``covered`` use the span of the patrol data.
    """
    frame = table.frame
    presence = None
    dataset = pings if isinstance(pings, PingDataset) else None
    period = table.period or _span([None if dataset else pings, visits,
                                    _span_frame(dataset)])
    months = _months(period, settings.tz) if settings.months and period is not None else None
    days_all = (max(1.0, (period[1] - period[0]).total_seconds() / 86400) if period is not None
                else 1.0)
    if dataset is not None and dataset.rows:
        window = (period_bounds(*settings.period, tz=settings.tz)
                  if settings.period is not None else None)
        total = dataset_partials(dataset, table.cells, res=table.res, bands=table.bands,
                                 cap_s=settings.cap_s, tz=settings.tz, period=window,
                                 engine=settings.engine, scheduler=settings.scheduler,
                                 months=months)
        presence = partials_to_presence(total, table.cells, bands=table.bands,
                                        cap_s=settings.cap_s,
                                        n_months=months[1] if months else 0)
    elif dataset is None and pings is not None and len(pings):
        presence = pings_to_presence(pings, table.cells, res=table.res, bands=table.bands,
                                     cap_s=settings.cap_s, tz=settings.tz, months=months)
    if presence is not None:
        for band in table.band_names:
            frame[f"presence_min_{band}"] = presence.minutes[band].to_numpy()
            frame[f"visits_{band}"] = presence.visits[band].to_numpy().astype(np.int64)
            frame[f"stops_{band}"] = presence.stops[band].to_numpy().astype(np.int64)
        table.notes.extend(presence.notes)
    reported = None
    if visits is not None and len(visits):
        reported = visits_to_presence(visits, table.cells, res=table.res, bands=table.bands,
                                      tz=settings.tz)
        for band in table.band_names:
            for measure, values in (("presence_min", reported.minutes),
                                    ("visits", reported.visits), ("stops", reported.stops)):
                column = f"{measure}_{band}"
                joined = frame[column].to_numpy() if column in frame else 0
                frame[column] = joined + values[band].to_numpy().astype(
                    np.int64 if measure != "presence_min" else float)
            frame[f"report_min_{band}"] = reported.minutes[band].to_numpy()
            frame[f"report_visits_{band}"] = reported.visits[band].to_numpy().astype(np.int64)
    post_covered = None
    if posts is not None and len(posts) and period is None:
        table.notes.append("fixed posts: no period to count their staffed hours in (the "
                           "incidents have no times and no patrol data has any): post hours "
                           "and coverage are left out; give --from and --to")
    if posts is not None and len(posts) and period is not None:
        post_min, post_covered = posts_to_presence(posts, table.cells, period=period,
                                                   reach_m=settings.reach_m, bands=table.bands,
                                                   tz=settings.tz)
        for band in table.band_names:
            frame[f"post_min_{band}"] = post_min[band].to_numpy()
    if presence is None and reported is None and post_covered is None:
        return None  # no patrol data: coverage and gaps are not known, not zero
    if months is not None:
        _add_month_presence(table, months, presence, posts, visits, period, settings)
    for band_def in table.bands:
        band = band_def.name
        covered = np.zeros(len(frame), dtype=bool)
        if f"presence_min_{band}" in frame:
            days = (max(1, table.band_days(band_def)) if table.period is not None
                    else days_all)  # the band's own days: weekend days for weekend
            per_day = frame[f"presence_min_{band}"].to_numpy() / days
            covered |= per_day >= settings.covered_minutes_per_day
        if post_covered is not None:
            covered |= post_covered[band].to_numpy()
        frame[f"covered_{band}"] = covered
    return presence


def _months(period: tuple, tz: str) -> tuple[int, int]:
    """(first month since January 1970, how many) of the period's local calendar months."""
    first, last = month_of_wall(local_wall_us(pd.DatetimeIndex(list(period)), tz=tz))
    return int(first), int(last - first + 1)


def _add_month_presence(table: CellTable, months: tuple[int, int], presence: Presence | None,
                        posts: pd.DataFrame | None, visits: pd.DataFrame | None,
                        period: tuple, settings: Settings) -> None:
    """Presence minutes per local month (pings, reported visits and staffed post minutes, as
    ``presence_min`` and ``post_min`` together): ``table.months`` and
    ``table.month_presence_min`` (months x bands x cells). A reported visit counts in the
    month it starts."""
    first, n_months = months
    n_bands, n_cells = len(table.bands), len(table.cells)
    minutes = (presence.month_minutes.copy() if presence is not None
               and presence.month_minutes is not None
               else np.zeros((n_months, n_bands, n_cells)))
    if visits is not None and len(visits):
        month = month_of_wall(local_wall_us(visits["time"], tz=settings.tz)) - first
        for m in np.unique(month[(month >= 0) & (month < n_months)]):
            part = visits_to_presence(visits[month == m], table.cells, res=table.res,
                                      bands=table.bands, tz=settings.tz)
            minutes[m] += part.minutes[table.band_names].to_numpy().T
    if posts is not None and len(posts):
        for m in range(n_months):
            start = pd.Timestamp(month_key(first + m) + "-01").tz_localize(settings.tz)
            end = start + pd.offsets.MonthBegin(1) - pd.Timedelta(microseconds=1)
            window = (max(start.tz_convert("UTC"), pd.Timestamp(period[0])),
                      min(end.tz_convert("UTC"), pd.Timestamp(period[1])))
            if window[0] > window[1]:
                continue
            post_min, _ = posts_to_presence(posts, table.cells, period=window,
                                            reach_m=settings.reach_m, bands=table.bands,
                                            tz=settings.tz)
            minutes[m] += post_min[table.band_names].to_numpy().T
    table.months = tuple(month_key(first + m) for m in range(n_months))
    table.month_presence_min = minutes


def add_hot_spots(table: CellTable, *, settings: Settings = Settings()) -> list[str]:
    """Add Gi* ``gi_z``, ``gi_p``, ``gi_q`` and ``gi_bin`` (-3..3) per band; return warnings."""
    warnings: list[str] = []
    neighbours = neighbour_matrix(table.cells, k=settings.k_ring)  # one for every band
    for band in table.band_names:
        result = hot_spots(table.frame[f"incidents_{band}"].to_numpy(), table.cells,
                           k_ring=settings.k_ring, inference=settings.inference,
                           permutations=permutations_for(settings, len(table.frame)),
                           seed=settings.seed, neighbours=neighbours)
        res = result.frame
        table.frame[f"gi_z_{band}"] = res["gi_z"].to_numpy()
        table.frame[f"gi_p_{band}"] = res["p"].to_numpy()
        table.frame[f"gi_q_{band}"] = res["q"].to_numpy()
        table.frame[f"gi_bin_{band}"] = res["bin"].to_numpy().astype(np.int8)
        warnings.extend(f"{band}: {w}" for w in result.warnings)
    return warnings


def permutations_for(settings: Settings, cells: int) -> int:
    """Permutations of a permutation test: as set, else 9,999 up to 2,000 cells (milliseconds
    at a few hundred cells), else 999; 0 for the analytic test."""
    if settings.inference != "permutation":
        return 0
    return settings.permutations or (9_999 if cells <= 2_000 else 999)


def add_clusters(table: CellTable, *, settings: Settings = Settings()
                 ) -> tuple[pd.DataFrame, list[str]]:
    """Add Local Moran's I ``lisa_i``, ``lisa_q`` and the class ``lisa`` (high-high, low-low,
    high-low, low-high, not significant) per band; return cells per class and band, and
    warnings."""
    table.frame = table.frame.copy()  # one block again after many added columns
    rows, warnings = {}, []
    neighbours = neighbour_matrix(table.cells, k=settings.k_ring)  # one for every band
    for band in table.band_names:
        result = local_moran(table.frame[f"incidents_{band}"].to_numpy(), table.cells,
                             k_ring=settings.k_ring, permutations=settings.permutations,
                             seed=settings.seed, neighbours=neighbours)
        table.frame[f"lisa_i_{band}"] = result.frame["lisa_i"].to_numpy()
        table.frame[f"lisa_q_{band}"] = result.frame["q"].to_numpy()
        table.frame[f"lisa_{band}"] = result.frame["cls"].to_numpy(dtype=object)
        rows[band] = result.counts()
        warnings.extend(f"{band}: clusters and outliers: {w}" for w in result.warnings)
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(CLASSES)), warnings


def add_gaps(table: CellTable) -> pd.DataFrame:
    """Add the 3x3 need x presence class per band; return the ranked gap cells of every band.

    Without patrol pings or posts there is nothing to compare need with: no gap columns.
    """
    frame = table.frame
    if not any(c.startswith(("presence_min_", "post_min_")) for c in frame.columns):
        return pd.DataFrame(columns=["cell", "band", "incidents", "gap_class"])
    for band in table.band_names:
        presence = np.zeros(len(frame))
        for column in (f"presence_min_{band}", f"post_min_{band}"):
            if column in frame:
                presence = presence + frame[column].to_numpy()
        need_c, pres_c, label = bivariate_classes(frame[f"incidents_{band}"].to_numpy(),
                                                  presence, frame.get(f"gi_bin_{band}"))
        frame[f"need_class_{band}"] = need_c
        frame[f"presence_class_{band}"] = pres_c
        frame[f"gap_class_{band}"] = label
    with_ids = table.to_frame()  # one copy with hexadecimal ids serves every band
    return pd.concat([rank_gaps(with_ids, band=band, limit=None) for band in table.band_names],
                     ignore_index=True)


def planner_figures(table: CellTable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per band: concentration figures and coverage; and incidents per band and category."""
    rows = []
    for band in table.band_names:
        counts = table.frame[f"incidents_{band}"].to_numpy()
        row = {"band": band, **concentration_summary(counts, areas=cell_areas(table))}
        if f"covered_{band}" in table.frame:
            row["coverage"] = demand_weighted_coverage(counts,
                                                       table.frame[f"covered_{band}"].to_numpy())
            row["cells_covered"] = int(table.frame[f"covered_{band}"].sum())
        rows.append(row)
    figures = pd.DataFrame(rows).set_index("band")
    by_category = pd.DataFrame(
        {band: [int(table.frame[f"cat_{key}_{band}"].sum()) for key in table.categories]
         for band in table.band_names},
        index=pd.Index(list(table.categories.values()), name="category"))
    return figures, by_category


def cell_areas(table: CellTable) -> np.ndarray:
    """Each cell's area inside the study area (km²), never 0: PAI's areas."""
    return np.maximum(table.frame["area_km2"].to_numpy(dtype=float), 1e-9)


def add_decision_columns(table: CellTable, decisions: Decisions) -> None:
    """Add per-cell before/after (``before_<band>``, ``after_<band>``, ``change_q_<band>``,
    ``change_<band>``: up, down or none significant) and the emerging hot spot ``emerging``
    pattern with its ``emerging_trend_z``, for the analyst's GIS file."""
    table.frame = table.frame.copy()  # one block again after many added columns
    frame = table.frame
    for band, cells in decisions.change_cells.items():
        frame[f"before_{band}"] = cells["before"].to_numpy()
        frame[f"after_{band}"] = cells["after"].to_numpy()
        frame[f"change_q_{band}"] = cells["q"].to_numpy()
        frame[f"change_{band}"] = np.where(cells["significant"], cells["direction"], "none")
    if decisions.emerging is not None:
        found = decisions.emerging.frame.reindex(frame.index)
        frame["emerging"] = found["category"].fillna("no pattern detected").to_numpy(object)
        frame["emerging_trend_z"] = found["trend_z"].to_numpy(float)


def week_profile(incidents: pd.DataFrame, *, presence: Presence | None = None,
                 posts: pd.DataFrame | None = None, period: tuple | None = None,
                 tz: str = "Europe/Belgrade", visits: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """Incidents (by their counts) and patrol hours (pings, reported visits and staffed
    posts) per local hour of the week.

    Rows are hours of the week, Monday 00-01 first; columns ``weekday`` (0 = Monday),
    ``hour``, ``incidents`` and ``patrol_hours`` (NaN when there is no patrol data).
    """
    counts = np.bincount(hour_of_week(incidents["time"], tz=tz),
                         weights=incident_weights(incidents).astype(float),
                         minlength=HOURS_OF_WEEK).round()
    hours = np.full(HOURS_OF_WEEK, np.nan)
    has_posts = posts is not None and len(posts) and period is not None
    has_visits = visits is not None and len(visits)
    if presence is not None or has_posts or has_visits:
        hours = np.zeros(HOURS_OF_WEEK)
        if presence is not None:
            hours += presence.week_minutes / 60.0
        if has_visits:
            hours += visits_week_minutes(visits, tz=tz) / 60.0
        if has_posts:
            hours += posts_week_hours(posts, period=period, tz=tz)
    slots = np.arange(HOURS_OF_WEEK)
    return pd.DataFrame({"weekday": slots // 24, "hour": slots % 24,
                         "incidents": counts.astype(np.int64), "patrol_hours": hours})


def resolve_resolution(incidents: pd.DataFrame, area: StudyArea, settings: Settings
                       ) -> tuple[int, ResolutionChoice | None]:
    """The resolution to use, and how ``"auto"`` chose it (None when it was given)."""
    if settings.res != "auto":
        return int(settings.res), None
    choice = choose_resolution(incidents, area, bands=settings.bands, tz=settings.tz,
                               permutations=settings.permutations, floor=settings.res_floor)
    return choice.res, choice


def analyse(incidents: pd.DataFrame, area: StudyArea, *, pings: pd.DataFrame | None = None,
            posts: pd.DataFrame | None = None, settings: Settings = Settings(),
            population=None, on_step: Callable[[str], None] | None = None,
            patrol_points: pd.DataFrame | None = None) -> Analysis:
    """Run every step: counts per band and category, presence, Gi* hot spots, gaps, figures.

    Parameters
    ----------
    incidents, pings, posts, patrol_points
        Accepted rows from :mod:`geo.inputs.validate` (``Checked.accepted``); incidents
        count by their ``count`` column when they have one.
    population
        Residents (:class:`geo.inputs.population.Population` or a GeoDataFrame in WGS84 with
        a ``population`` column): adds incident rates per 1,000 residents.
    on_step
        Called with the name of each step as it starts (for a progress bar).
    """
    step = on_step or (lambda _: None)
    step("counting incidents per cell")
    every_category = incidents
    incidents = select_categories(incidents, settings.categories)
    res, resolution = resolve_resolution(incidents, area, settings)
    every_cells = points_to_cells(every_category["lat"].to_numpy(),
                                  every_category["lng"].to_numpy(), res=res)
    point_cells = (every_cells if incidents is every_category else
                   points_to_cells(incidents["lat"].to_numpy(), incidents["lng"].to_numpy(),
                                   res=res))
    # every category's events: the gate links releases of other categories
    events = incident_events(every_category, res=res, tz=settings.tz, point_cells=every_cells)
    period = (period_bounds(*settings.period, tz=settings.tz) if settings.period is not None
              else None)
    table = count_cells(incidents, area, res=res, bands=settings.bands, tz=settings.tz,
                        period=period, point_cells=point_cells, events=events)
    step("patrol presence")
    presence = add_presence(table, pings, posts, settings=settings, visits=patrol_points)
    step("hot spots")
    warnings = add_hot_spots(table, settings=settings)
    step("clusters and outliers")
    clusters, cluster_notes = add_clusters(table, settings=settings)
    warnings += cluster_notes
    step("gaps and figures")
    rates = add_rates(table, population) if population is not None else None
    language = (add_language_coverage(table, posts, settings.language,
                                      reach_m=settings.reach_m, tz=settings.tz)
                if settings.language else None)
    gaps = add_gaps(table)
    figures, by_category = planner_figures(table)
    timed = not settings.no_times
    week = week_profile(incidents, presence=presence, posts=posts, period=table.period,
                        tz=settings.tz, visits=patrol_points) if len(incidents) and timed else None
    decisions = None
    if settings.decisions and len(incidents):
        step("before/after, emerging hot spots, new posts")
        target = (cells_in_shape(table.cells, settings.target.geometry)
                  if settings.target is not None else None)
        if target is not None and not target.any():
            warnings.append(f"the target area {settings.target.name!r} holds no cell of the "
                            "study area: no WDD")
        decisions = decide(incidents, table, posts=posts,
                           change_date=settings.change_date or (settings.after or (None,))[0],
                           periods=(settings.before, settings.after),
                           slices=settings.slices, new_posts=settings.new_posts,
                           posts_band=settings.posts_band, reach_m=settings.reach_m,
                           k_ring=settings.k_ring, inference=settings.inference,
                           permutations=permutations_for(settings, len(table.frame)) or 1,
                           seed=settings.seed, tz=settings.tz, target=target,
                           target_label=settings.target.name if settings.target else "",
                           buffer_k=settings.buffer_k,
                           evaluate_from=settings.evaluate_from, areas=cell_areas(table),
                           candidates_latlng=(np.array(settings.candidates, dtype=float)
                                              if settings.candidates else None),
                           timed=timed, positions=cell_positions(point_cells, table.cells))
        warnings.extend(decisions.notes)
        add_decision_columns(table, decisions)
    return Analysis(table=table, figures=figures, by_category=by_category, gaps=gaps,
                    warnings=[*table.notes, *warnings], presence=presence,
                    decisions=decisions, week=week, clusters=clusters, rates=rates,
                    language_coverage=language, resolution=resolution,
                    no_times=settings.no_times)
