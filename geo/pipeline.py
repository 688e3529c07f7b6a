"""The main job, end to end: files -> checked tables -> cells -> privacy gate -> map files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError, UsageError
from geo._progress import Steps
from geo.analysis.steps import Analysis, Settings, analyse
from geo.analysis.table import CellTable
from geo.inputs.area import StudyArea, default_area, extent_area, read_area
from geo.inputs.validate import Checked, Options, read_checked
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

    @property
    def checked(self) -> list[Checked]:
        """Every checked file."""
        return [*self.incidents, *self.pings, *self.posts]

    def accepted(self, kind: str) -> pd.DataFrame | None:
        """All accepted rows of one kind ('incidents', 'pings', 'posts'), or None if none given."""
        parts = {"incidents": self.incidents, "pings": self.pings, "posts": self.posts}[kind]
        if not parts:
            return None
        frame = pd.concat([c.accepted for c in parts], ignore_index=True)
        if kind == "pings":
            frame = frame.sort_values(["unit", "time"], kind="stable").reset_index(drop=True)
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

    @property
    def table(self) -> CellTable:
        """The cell table of the analysis."""
        return self.analysis.table


def _methods(settings: Settings, analysis: Analysis) -> dict:
    """Facts the map's methods panel states."""
    cells = len(analysis.table.frame)
    perms = settings.permutations or (9_999 if cells <= 2_000 else 999)
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
) -> Inputs:
    """Read and check every input file against the study area.

    ``area`` is None for the bundled North Mitrovica area, a boundary file, a
    :class:`StudyArea`, or ``"extent"`` for the data's own extent. ``progress`` shows a bar
    on stderr.
    """
    opts = options or Options()
    if isinstance(area, StudyArea):
        study = area
    elif area is None:
        if area_name is not None:
            msg = "--area-name needs --area FILE (a boundary file holding that name)"
            raise InputError(msg)
        study = default_area()
    elif str(area) == "extent":
        study = None
    else:
        study = read_area(area, name=area_name)

    every = [*_as_list(incidents), *_as_list(patrols), *_as_list(posts)]
    with Steps(len(every), progress) as steps:

        def read_all(files, kind: str) -> list[Checked]:
            checked = []
            for file in _as_list(files):
                steps.next(f"reading {Path(file).name}")
                checked.append(read_checked(file, kind, area=study, options=opts))
            return checked

        inc = read_all(incidents, "incidents")
        pings = read_all(patrols, "pings")
        fixed = read_all(posts, "posts")
    if not inc:
        msg = "no incident file given; pass --incidents FILE"
        raise InputError(msg)
    if study is None:
        frames = [c.accepted for c in [*inc, *pings, *fixed]]
        lat = np.concatenate([f["lat"].to_numpy() for f in frames])
        lng = np.concatenate([f["lng"].to_numpy() for f in frames])
        study = extent_area(lat, lng)
    if sum(len(c.accepted) for c in inc) == 0:
        reasons = "; ".join(c.summary() for c in inc)
        msg = f"no usable incident rows: {reasons}"
        raise InputError(msg)
    return Inputs(area=study, incidents=inc, pings=pings, posts=fixed)


def build(inputs: Inputs, out: str | Path, *, settings: Settings | None = None,
          title: str | None = None, note: str = "", k: int = DEFAULT_K, tiles: bool = False,
          lang: str = "en", synthetic: bool = False, png: str | Path | None = None,
          pdf: str | Path | None = None, picture_layer: str = "incidents",
          picture_band: str = "all", audience: str = "community",
          epsilon: float | None = None, epsilon_budget: float = 2.0,
          rejects_dir: str | Path | None = None, gis: str | Path | None = None,
          report: bool = True, report_pdf: bool = True, taxonomy=None,
          ledger: str | Path | None = None, period: tuple[str, str] | None = None,
          progress: bool = False) -> BuildResult:
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
    """
    settings = settings or Settings()
    out = Path(out)
    if not 0 <= settings.res <= 15:
        msg = (
            f"--res {settings.res}: H3 resolution must be 0..15 "
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
    if audience == "community" and settings.res > MAX_COMMUNITY_RES:
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
    with Steps(8, progress) as steps:
        analysis = analyse(inputs.accepted("incidents"), inputs.area,
                           pings=inputs.accepted("pings"), posts=inputs.accepted("posts"),
                           settings=settings, on_step=steps.next)
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
                            taxonomy=taxonomy, categories=settings.categories, period=period,
                            change_date=settings.change_date or (settings.after or (None,))[0],
                            before=settings.before, after=settings.after,
                            derive=_derive(settings, inputs), earlier=earlier)
        map_path = render_map(published, out, title=title, note=note, tiles=tiles, lang=lang,
                              synthetic=synthetic)
        pictures = [render_picture(published, target, layer=picture_layer, band=picture_band,
                                   lang=lang, title=title, note=note, synthetic=synthetic)
                    for target in (png, pdf) if target]
        steps.next("writing the report")
        stem = out.with_name(f"{out.stem}_report")
        reports = []
        if report:
            reports.append(render_report(published, stem.with_suffix(".html"), lang=lang,
                                         note=note, synthetic=synthetic))
        if report and report_pdf:
            reports.append(render_report_pdf(published, stem.with_suffix(".pdf"), lang=lang,
                                             note=note, synthetic=synthetic))
        steps.next("writing files")
        folder = Path(rejects_dir) if rejects_dir else restricted_folder(out) / "rejects"
        rejects = [p for c in inputs.checked if (p := c.write_rejects(folder)) is not None]
        gis_path = None
        if gis and audience == "analyst":
            gis_path = analysis.table.write_gis(gis, restricted=True)
        elif gis:
            gis_path = write_published(published, gis)
    release = None
    if audience == "community":
        written = [map_path, *pictures, *reports, *([gis_path] if gis_path else [])]
        release = _record(book, published, written)
    summary = "\n".join([*(c.summary() for c in inputs.checked),
                         *(f"warning: {w}" for w in analysis.warnings)])
    return BuildResult(analysis=analysis, map_path=map_path, rejects=rejects, summary=summary,
                       gis_path=gis_path, pictures=pictures, reports=reports,
                       published=published, ledger=book.path, release=release)


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
    return DeriveSettings(k_ring=settings.k_ring,
                          permutations=min(settings.permutations or 999, 9_999),
                          seed=settings.seed, new_posts=settings.new_posts,
                          posts_band=settings.posts_band, reach_m=settings.reach_m,
                          candidates=settings.candidates, existing=existing)
