"""The main job, end to end: files -> checked tables -> cells -> privacy gate -> map files."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError, UsageError
from geo._progress import Steps
from geo._release import Placed, Release, check_outputs
from geo.analysis.steps import Analysis, Settings, analyse
from geo.analysis.table import CellTable
from geo.inputs.area import StudyArea, default_area, extent_area, read_area
from geo.inputs.validate import Checked, Options, read_checked, rejects_names
from geo.outputs.gis import write_published
from geo.outputs.maps import render_map
from geo.outputs.picture import LAYERS, render_picture
from geo.outputs.report import render_report, render_report_pdf
from geo.privacy.gate import DEFAULT_K, MIN_COMMUNITY_K, PublishedCells, ReportInputs, publish

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
    release: Placed | None = None
    """The release put in place: its id, files, and the release it replaced."""

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
          epsilon: float | None = None, noise_seed: int | None = None,
          rejects_dir: str | Path | None = None, gis: str | Path | None = None,
          report: bool = True, report_pdf: bool = True,
          progress: bool = False, sources: Sequence[str | Path] = ()) -> BuildResult:
    """Analyse, pass the cells through the privacy gate, write the map, rejects and GIS files.

    Parameters
    ----------
    out
        The HTML map to write; rejects go to ``<out folder>/rejects`` unless ``rejects_dir``.
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
    epsilon
        Add Laplace noise with this privacy budget to published counts.
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
    in ``.previous/<map>/``. An output that is an input of the run is a usage error.
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
    if epsilon is not None and not (math.isfinite(epsilon) and epsilon > 0):
        msg = (f"--epsilon {epsilon}: the privacy budget must be positive and finite "
               "(e.g. 1.0; smaller is more private)")
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
    outputs = {k: Path(v) for k, v in outputs.items() if v}
    folder = Path(rejects_dir) if rejects_dir else out.parent / "rejects"
    reject_files = [folder / n for n in rejects_names([c.path for c in inputs.checked])]
    check_outputs({**outputs, **{f"rejects file {p.name}": p for p in reject_files}},
                  [*(c.path for c in inputs.checked), *map(Path, sources)])
    with Steps(8, progress) as steps, Release(out) as release:
        staged = {option: release.path(path) for option, path in outputs.items()}
        analysis = analyse(inputs.accepted("incidents"), inputs.area,
                           pings=inputs.accepted("pings"), posts=inputs.accepted("posts"),
                           settings=settings, on_step=steps.next)
        steps.next("drawing the map")
        sparse = any("sparse" in w.lower() for w in analysis.warnings)
        published = publish(analysis.table, k=k, posts=inputs.accepted("posts"),
                            reach_m=settings.reach_m, methods=_methods(settings, analysis),
                            sparse=sparse, audience=audience, epsilon=epsilon,
                            noise_seed=noise_seed, decisions=analysis.decisions,
                            report=report_inputs(inputs, analysis, settings))
        render_map(published, staged["--out"], title=title, note=note, tiles=tiles, lang=lang,
                   synthetic=synthetic)
        for option in ("--png", "--pdf"):
            if option in staged:
                render_picture(published, staged[option], layer=picture_layer,
                               band=picture_band, lang=lang, title=title, note=note,
                               synthetic=synthetic)
        steps.next("writing the report")
        if "report" in staged:
            render_report(published, staged["report"], lang=lang, note=note,
                          synthetic=synthetic)
        if "report PDF" in staged:
            render_report_pdf(published, staged["report PDF"], lang=lang, note=note,
                              synthetic=synthetic)
        steps.next("writing files")
        if "--gis" in staged and audience == "analyst":
            analysis.table.write_gis(staged["--gis"], restricted=True)
        elif "--gis" in staged:
            write_published(published, staged["--gis"])
        placed = release.commit()
    # Here the release is in place and ``placed.files`` is the whole set it holds: the one
    # point where a record of what was published (a ledger) belongs.
    rejects = [p for c, p in zip(inputs.checked, reject_files, strict=True)
               if c.write_rejects(p.parent, name=p.name) is not None]
    map_path = out
    pictures = [outputs[o] for o in ("--png", "--pdf") if o in outputs]
    reports = [outputs[o] for o in ("report", "report PDF") if o in outputs]
    gis_path = outputs.get("--gis")
    summary = "\n".join([*(c.summary() for c in inputs.checked),
                         *(f"warning: {w}" for w in analysis.warnings)])
    return BuildResult(analysis=analysis, map_path=map_path, rejects=rejects, summary=summary,
                       gis_path=gis_path, pictures=pictures, reports=reports,
                       published=published, release=placed)
