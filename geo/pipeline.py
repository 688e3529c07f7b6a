"""The main job, end to end: files -> checked tables -> cells -> privacy gate -> map files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError, UsageError
from geo._progress import Steps
from geo._release import Placed, Release, check_outputs
from geo.analysis.steps import Analysis, Settings, analyse, permutations_for
from geo.analysis.table import CellTable
from geo.inputs.area import StudyArea, check_area_size, default_area, extent_area, read_area
from geo.inputs.context import Context, bundled_context, read_context
from geo.inputs.dataset import PingDataset, is_dataset, open_dataset
from geo.inputs.population import Population, read_population
from geo.inputs.validate import Checked, Options, read_checked, rejects_names, unify_categories
from geo.outputs.gis import write_published
from geo.outputs.maps import render_map
from geo.outputs.picture import LAYERS, render_picture
from geo.outputs.report import render_report, render_report_pdf
from geo.privacy.derived import DeriveSettings
from geo.privacy.gate import (
    DEFAULT_K,
    MAX_COMMUNITY_RES,
    MIN_COMMUNITY_K,
    PublishedCells,
    ReportInputs,
    publish,
    restricted_record,
)
from geo.privacy.ledger import Ledger, area_slug, default_ledger_path

__all__ = ["Inputs", "BuildResult", "load_inputs", "build", "read_candidates"]


@dataclass
class Inputs:
    """Checked inputs of one run: the study area and each file's accepted rows and rejects."""

    area: StudyArea
    incidents: list[Checked]
    pings: list[Checked] = field(default_factory=list)
    posts: list[Checked] = field(default_factory=list)
    population: Population | None = None
    """Residents, for incident rates (``--population``)."""
    patrol_points: list[Checked] = field(default_factory=list)
    ping_dataset: PingDataset | None = None
    """Pings checked by ``patrolmap ingest``, read partition by partition (``--patrols``
    naming the dataset's folder)."""
    context: Context | None = None
    """Reference layers (water, streets, landmarks) drawn under the cells."""

    @property
    def checked(self) -> list[Checked]:
        """Every checked file (a ping dataset stands for its files)."""
        dataset = [self.ping_dataset] if self.ping_dataset is not None else []
        return [*self.incidents, *self.pings, *dataset, *self.patrol_points, *self.posts]

    @property
    def patrols(self) -> pd.DataFrame | PingDataset | None:
        """The pings for the analysis: the dataset, or the accepted rows of the ping files."""
        return self.ping_dataset if self.ping_dataset is not None else self.accepted("pings")

    def accepted(self, kind: str) -> pd.DataFrame | None:
        """All accepted rows of one kind ('incidents', 'pings', 'posts', 'patrol_points'), or
        None if none given. Categories of several incident files share one spelling."""
        parts = {"incidents": self.incidents, "pings": self.pings, "posts": self.posts,
                 "patrol_points": self.patrol_points}[kind]
        if not parts:
            return None
        if len(parts) == 1:  # one file's rows are checked, sorted and numbered already: not
            return parts[0].accepted.copy(deep=False)  # sorted again (4 million pings: 1.5 s)
        frame = pd.concat([c.accepted for c in parts], ignore_index=True)
        if kind in ("pings", "patrol_points"):
            frame = frame.sort_values(["unit", "time"], kind="stable").reset_index(drop=True)
        if kind == "incidents" and len(parts) > 1:
            frame["category"] = unify_categories(frame["category"]).astype(str)
        return frame


@dataclass
class BuildResult:
    """What a build wrote and the analysis it drew from."""

    analysis: Analysis
    map_path: Path
    rejects: list[Path]
    summary: str
    gis_path: Path | None = None
    pictures: list[Path] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    published: PublishedCells | None = None
    """What the privacy gate let through: every file written draws from it."""
    ledger: Path | None = None
    release: int | None = None
    """The release's number in the ledger (community output only)."""
    placed: Placed | None = None
    """The files put in place together: their release id, and the release they replaced."""

    @property
    def table(self) -> CellTable:
        """The cell table of the analysis."""
        return self.analysis.table


def _run_lines(inputs: Inputs, analysis: Analysis, settings: Settings) -> list[str]:
    """What the run decided for the user: the area, the resolution, times and the period."""
    import h3

    area = inputs.area
    lines = [f"study area: {area.name}, {area.area_km2:,.1f} km²"
             + (f" ({area.note})" if area.source == "file" and "union" in area.note else "")]
    table = analysis.table
    km2 = h3.average_hexagon_area(table.res, unit="km^2")
    chosen = analysis.resolution
    lines.append(f"resolution: {table.res} ({'auto' if chosen else 'given'}; cells of "
                 f"{km2:.3g} km²)" + (f": {chosen.reason}" if chosen else ""))
    total = int(table.frame[f"incidents_{table.band_names[0]}"].sum())
    lines.append(f"incidents in the study area: {total:,}")
    if settings.no_times:
        lines.append("times of day not used (--no-times): all hours together only; time "
                     "bands, the week grid, hour charts, emerging hot spots and before/after "
                     "are left out")
    if table.period is not None and settings.period is not None:
        first, last = (pd.Timestamp(t).tz_convert(settings.tz).strftime("%Y-%m-%d")
                       for t in table.period)
        lines.append(f"period: {first} – {last} (--from/--to)")
    return lines


def _methods(settings: Settings, analysis: Analysis) -> dict:
    """Facts the map's methods panel states."""
    perms = permutations_for(settings, len(analysis.table.frame))
    return {"cap": round(settings.cap_s), "reach": round(settings.reach_m), "perms": perms}


def report_inputs(inputs: Inputs, analysis: Analysis, settings: Settings) -> ReportInputs:
    """What the report needs beyond the cell table: the week profile, data quality, pings."""
    intervals = None
    if analysis.presence is not None and analysis.presence.intervals:
        p = analysis.presence
        intervals = {"counts": [int(c) for c in p.interval_counts], "cap_s": float(p.cap_s),
                     "total": int(p.intervals)}
    return ReportInputs(week=analysis.week, quality=[c.quality() for c in inputs.checked],
                        intervals=intervals, posts_band=settings.posts_band,
                        change_date=settings.change_date)


def read_candidates(path: str | Path, *, options: Options | None = None
                    ) -> tuple[tuple[float, float], ...]:
    """(lat, lng) of the places new posts may take, from any point file a posts file may be.

    Every row must be a usable point: a candidate file is short and chosen by hand, so a bad
    row is an error naming it, not a reject.
    """
    checked = read_checked(path, "posts", options=options)
    if checked.judged.rejected:
        first = checked.rejects.iloc[0]
        msg = (f"{path}: row {first['row']}, column {first['column']}: {first['reason']} "
               f"({checked.judged.rejected} candidate row(s) unusable; fix them or remove them)")
        raise InputError(msg)
    if not len(checked.accepted):
        msg = f"{path}: no candidate sites in the file"
        raise InputError(msg)
    return tuple((float(a), float(b)) for a, b in checked.accepted[["lat", "lng"]].to_numpy())


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (str, Path)):
        return [value]
    return list(value)


def load_inputs(
    incidents: str | Path | Sequence[str | Path],
    *,
    patrols: str | Path | Sequence[str | Path] | None = None,
    posts: str | Path | Sequence[str | Path] | None = None,
    area: str | Path | StudyArea | None = None,
    area_name: str | None = None,
    options: Options | None = None,
    progress: bool = False,
    population: str | Path | None = None,
    patrol_points: str | Path | Sequence[str | Path] | None = None,
    area_all: bool = False,
    large_area: bool = False,
    context: str | Path | Sequence[str | Path] | bool | None = None,
    context_attribution: str | None = None,
) -> Inputs:
    """Read and check every input file against the study area.

    ``area`` is None for the bundled North Mitrovica area, a boundary file, a
    :class:`StudyArea`, or ``"extent"`` for the data's own extent. A boundary file of several
    features needs ``area_name`` (one of them) or ``area_all`` (their union); an area far
    larger than the data's extent needs ``large_area``. ``progress`` shows a bar on stderr.
    ``population`` is a population layer for rates
    (:func:`geo.inputs.population.read_population`). ``context`` names reference files
    (:func:`geo.inputs.context.read_context`); None gives the bundled OpenStreetMap water and
    landmarks for the bundled area, False no context.
    """
    opts = options or Options()
    if isinstance(area, StudyArea):
        study = area
    elif area is None or str(area) == "extent":
        if area_name is not None or area_all:
            option = "--area-name" if area_name is not None else "--area-all"
            msg = f"{option} needs --area FILE (a boundary file of several features)"
            raise InputError(msg)
        study = default_area() if area is None else None
    else:
        study = read_area(area, name=area_name, all_features=area_all)

    every = [*_as_list(incidents), *_as_list(patrols), *_as_list(patrol_points),
             *_as_list(posts)]
    with Steps(len(every), progress) as steps:

        def read_all(files, kind: str) -> list[Checked]:
            checked = []
            for file in _as_list(files):
                steps.next(f"reading {Path(file).name}")
                checked.append(read_checked(file, kind, area=study, options=opts))
            return checked

        inc = read_all(incidents, "incidents")
        folders = [p for p in _as_list(patrols) if is_dataset(p)]
        if folders and len(_as_list(patrols)) > 1:
            msg = (f"--patrols {folders[0]} is a ping dataset: give it alone, or ingest the "
                   "other ping files into it ('patrolmap ingest FILES --out DATASET')")
            raise InputError(msg)
        dataset = open_dataset(folders[0]) if folders else None
        pings = read_all([] if folders else patrols, "pings")
        visits = read_all(patrol_points, "patrol_points")
        fixed = read_all(posts, "posts")
    if not inc:
        msg = "no incident file given; pass --incidents FILE"
        raise InputError(msg)
    frames = [c.accepted for c in [*inc, *pings, *visits, *fixed]]
    lat = np.concatenate([f["lat"].to_numpy() for f in frames])
    lng = np.concatenate([f["lng"].to_numpy() for f in frames])
    if dataset is not None and dataset.bounds is not None:  # the pings' corners
        lat = np.r_[lat, dataset.bounds[0], dataset.bounds[2]]
        lng = np.r_[lng, dataset.bounds[1], dataset.bounds[3]]
    if study is None:
        study = extent_area(lat, lng)
    elif study.source == "file":
        check_area_size(study, lat, lng, allow_large=large_area)
    if sum(len(c.accepted) for c in inc) == 0:
        reasons = "; ".join(c.summary() for c in inc)
        msg = f"no usable incident rows: {reasons}"
        raise InputError(msg)
    residents = read_population(population, area=study) if population else None
    if context is None:
        layers = bundled_context(study) if study.source == "bundled" else None
    elif context is False:
        layers = None
    else:
        layers = read_context(context, area=study, attribution=context_attribution)
    return Inputs(area=study, incidents=inc, pings=pings, posts=fixed, patrol_points=visits,
                  population=residents, ping_dataset=dataset, context=layers)


def build(inputs: Inputs, out: str | Path, *, settings: Settings | None = None,
          title: str | None = None, note: str = "", k: int = DEFAULT_K, tiles: bool = False,
          lang: str = "en", synthetic: bool = False, png: str | Path | None = None,
          pdf: str | Path | None = None, picture_layer: str = "incidents",
          picture_band: str = "all", audience: str = "community",
          epsilon: float | None = None, epsilon_budget: float = 2.0,
          rejects_dir: str | Path | None = None, gis: str | Path | None = None,
          report: bool = True, report_pdf: bool = True, taxonomy=None,
          ledger: str | Path | None = None, period: tuple[str, str] | None = None,
          progress: bool = False, sources: Sequence[str | Path] = ()) -> BuildResult:
    """Analyse, pass the cells through the privacy gate, write the map, rejects and GIS files.

    Parameters
    ----------
    out
        The HTML map to write; rejects go to ``<out folder>-restricted/rejects`` unless
        ``rejects_dir`` (they hold offending values: never beside community files).
    note
        A data-source note shown on the map, as given.
    tiles
        Add an OpenStreetMap basemap (fetched online); without it the map needs no network.
    lang
        The map's first language: en, sr-Cyrl, sr-Latn or sq.
    synthetic
        The data are a synthetic sample: the map says so in every language.
    png, pdf
        Also draw a projector picture (1920x1080 PNG) or a print page (A4 landscape PDF) of
        ``picture_layer`` (incidents, presence, hotspots, gaps) in ``picture_band``.
    audience
        ``community`` (suppressed counts, k >= 3) or ``analyst`` (restricted: any k, and the
        GIS file holds the full analysis table).
    epsilon, epsilon_budget
        Publish counts with discrete Laplace noise of this privacy budget; the ledger adds up
        the budgets spent on each year of the area and refuses a release past
        ``epsilon_budget``.
    taxonomy
        A :class:`geo.inputs.taxonomy.Taxonomy` (the bundled one when None).
    ledger
        The release ledger (default: one per study area in the user's data directory; a
        synthetic sample has its own).
    period
        The period the release covers (first, last local day); default the whole months the
        incidents fall in.
    gis
        Also write the cell table as GeoPackage (``.gpkg``) or GeoParquet (``.parquet``).
    report, report_pdf
        Write the planner's report beside the map, ``<map>_report.html`` and
        ``<map>_report.pdf``, from the same published values.
    sources
        Input files beyond ``inputs``' own (area, target, candidates, recipe): no output may
        be one of them.

    Every output goes in the map's folder (or one inside it) and is written as one release
    (:mod:`geo._release`): staged, then put in place together, the release it replaces kept
    in ``.previous/<map>/``. An output that is an input of the run is a usage error. The
    ledger records a community release once it is in place.
    """
    settings = settings or Settings()
    out = Path(out)
    if settings.res != "auto" and not (isinstance(settings.res, int) and 0 <= settings.res <= 15):
        msg = (
            f"--res {settings.res}: H3 resolution must be auto or 0..15 "
            "(9 suits a town of ~10 km²)"
        )
        raise UsageError(msg)
    if audience not in ("community", "analyst"):
        msg = f"--audience {audience}: choose community or analyst"
        raise UsageError(msg)
    if k < (MIN_COMMUNITY_K if audience == "community" else 1):
        msg = (f"--k {k}: community output hides counts below at least {MIN_COMMUNITY_K}; "
               "use --audience analyst for a restricted view" if audience == "community"
               else f"--k {k}: k is at least 1")
        raise UsageError(msg)
    if epsilon is not None:
        from geo.privacy.noise import check_epsilon

        try:
            epsilon = check_epsilon(epsilon)
        except ValueError as err:
            raise UsageError(str(err)) from None
    if audience == "community" and settings.res != "auto" and settings.res > MAX_COMMUNITY_RES:
        msg = (f"--res {settings.res}: community output uses cells of at most res "
               f"{MAX_COMMUNITY_RES} (street-block size); a finer grid would place single "
               "incidents. Use --res 9 or 10, or --audience analyst")
        raise UsageError(msg)
    if (png or pdf) and picture_layer not in LAYERS:
        msg = f"--picture {picture_layer}: choose one of {', '.join(LAYERS)}"
        raise UsageError(msg)
    if (png or pdf) and picture_band not in {b.name for b in settings.bands}:
        names = ", ".join(b.name for b in settings.bands)
        msg = f"--picture {picture_layer}:{picture_band}: no such band; bands are {names}"
        raise UsageError(msg)
    for target, suffix in ((png, ".png"), (pdf, ".pdf")):
        if target and Path(target).suffix.lower() != suffix:
            msg = f"--{suffix[1:]} {target}: the file name must end in {suffix}"
            raise UsageError(msg)
    if out.suffix.lower() not in (".html", ".htm"):
        msg = f"--out {out}: the map file must end in .html"
        raise UsageError(msg)
    stem = out.with_name(f"{out.stem}_report")
    outputs = {"--out": out, "--png": png, "--pdf": pdf, "--gis": gis,
               "report": stem.with_suffix(".html") if report else None,
               "report PDF": stem.with_suffix(".pdf") if report and report_pdf else None}
    outputs = {key: Path(v) for key, v in outputs.items() if v}
    folder = Path(rejects_dir) if rejects_dir else restricted_folder(out) / "rejects"
    reject_files = [folder / n for n in rejects_names([c.path for c in inputs.checked])]
    check_outputs({**outputs, **{f"rejects file {p.name}": p for p in reject_files}},
                  [*(c.path for c in inputs.checked), *map(Path, sources)])
    with Steps(9, progress) as steps, Release(out) as staging:
        staged = {option: staging.path(path) for option, path in outputs.items()}
        analysis = analyse(inputs.accepted("incidents"), inputs.area,
                           pings=inputs.patrols, posts=inputs.accepted("posts"),
                           settings=settings, population=inputs.population,
                           on_step=steps.next, patrol_points=inputs.accepted("patrol_points"))
        steps.next("drawing the map")
        sparse = any("sparse" in w.lower() for w in analysis.warnings)
        book = _ledger(inputs, ledger, synthetic)
        earlier = book.earlier() if audience == "community" else []
        if epsilon is not None and audience == "community":
            _check_budget(book, analysis.table, epsilon, epsilon_budget, period)
        published = publish(analysis.table, k=k, posts=inputs.accepted("posts"),
                            reach_m=settings.reach_m, methods=_methods(settings, analysis),
                            sparse=sparse, audience=audience, epsilon=epsilon,
                            decisions=analysis.decisions,
                            report=report_inputs(inputs, analysis, settings),
                            taxonomy=taxonomy, categories=settings.categories,
                            period=period or settings.period,
                            change_date=settings.change_date or (settings.after or (None,))[0],
                            before=settings.before, after=settings.after,
                            derive=_derive(settings, inputs), earlier=earlier,
                            months=settings.months)
        no_times = settings.no_times
        render_map(published, staged["--out"], title=title, note=note, tiles=tiles, lang=lang,
                   synthetic=synthetic, no_times=no_times, context=inputs.context)
        for option in ("--png", "--pdf"):
            if option in staged:
                render_picture(published, staged[option], layer=picture_layer,
                               band=picture_band, lang=lang, title=title, note=note,
                               synthetic=synthetic, context=inputs.context)
        steps.next("writing the report")
        if "report" in staged:
            render_report(published, staged["report"], lang=lang, title=title, note=note,
                          synthetic=synthetic, no_times=no_times, context=inputs.context)
        if "report PDF" in staged:
            render_report_pdf(published, staged["report PDF"], lang=lang, title=title,
                              note=note, synthetic=synthetic, no_times=no_times,
                              context=inputs.context)
        steps.next("writing files")
        if "--gis" in staged and audience == "analyst":
            analysis.table.write_gis(staged["--gis"], restricted=True)
        elif "--gis" in staged:
            write_published(published, staged["--gis"])
        placed = staging.commit()
    # the release is in place and ``placed.files`` is the whole set it holds: record it
    map_path = out
    pictures = [outputs[o] for o in ("--png", "--pdf") if o in outputs]
    reports = [outputs[o] for o in ("report", "report PDF") if o in outputs]
    gis_path = outputs.get("--gis")
    release = None
    if audience == "community":
        release = _record(book, published, [map_path, *pictures, *reports,
                                            *([gis_path] if gis_path else [])])
    rejects = [p for c, p in zip(inputs.checked, reject_files, strict=True)
               if c.write_rejects(p.parent, name=p.name) is not None]
    summary = "\n".join([*(c.summary() for c in inputs.checked),
                         *_run_lines(inputs, analysis, settings),
                         *(f"warning: {w}" for w in analysis.warnings)])
    return BuildResult(analysis=analysis, map_path=map_path, rejects=rejects, summary=summary,
                       gis_path=gis_path, pictures=pictures, reports=reports,
                       published=published, ledger=book.path, release=release,
                       placed=placed)


def restricted_folder(out: Path) -> Path:
    """The folder beside a map's folder for files not to be shown (``maps-restricted``)."""
    folder = Path(out).resolve().parent
    return folder.with_name(f"{folder.name}-restricted")


def _ledger(inputs: Inputs, ledger, synthetic: bool) -> Ledger:
    if ledger is not None:
        return Ledger(ledger)
    slug = area_slug(inputs.area.name, inputs.area.geometry.wkb)
    return Ledger(default_ledger_path(slug + ("-synthetic" if synthetic else "")))


def _check_budget(book: Ledger, table: CellTable, epsilon: float, budget: float,
                  period) -> None:
    import datetime as dt

    from geo.analysis.cells import cells_to_str
    from geo.privacy.release import area_key

    area = area_key(cells_to_str(table.cells), table.res)
    days = table.events["day"] if table.events is not None and len(table.events) else []
    years = ({int(period[0][:4]), int(period[1][:4])} if period else
             {dt.date.fromordinal(int(d)).year for d in (min(days), max(days))} if len(days)
             else set())
    for year in sorted(years):
        spent = book.spent(area, year)
        if spent + epsilon > budget + 1e-9:
            msg = (f"--epsilon {epsilon:g}: the releases of this area already spent "
                   f"{spent:g} of the {budget:g} privacy budget for {year}; this one would "
                   f"pass it. Wait for the next year, publish without --epsilon, or raise "
                   f"--epsilon-budget knowingly")
            raise UsageError(msg)


def _record(book: Ledger, published: PublishedCells, written: list[Path]) -> int | None:
    record = restricted_record(published)
    if record is None:
        return None
    return book.record(record["spec"], record["rows"], record["labels"], record["shown"],
                       record["events"], epsilon=record["epsilon"],
                       files=[Path(p).name for p in written])


def _derive(settings: Settings, inputs: Inputs) -> DeriveSettings:
    posts = inputs.accepted("posts")
    existing = (tuple(map(tuple, posts[["lat", "lng"]].to_numpy(float)))
                if posts is not None and len(posts) else None)
    return DeriveSettings(k_ring=settings.k_ring, inference=settings.inference,
                          permutations=settings.permutations,
                          seed=settings.seed, new_posts=settings.new_posts,
                          posts_band=settings.posts_band, reach_m=settings.reach_m,
                          candidates=settings.candidates, existing=existing)
