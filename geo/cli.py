"""The ``patrolmap`` command line: demo, check, ingest, sample and build.

Exit codes: 0 on success, 2 on bad usage or bad input (one line on stderr, no traceback),
1 on an internal error.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

from geo import __version__
from geo._errors import InputError, PatrolmapError, UsageError, interrupted
from geo._progress import wanted
from geo._summary import analysis_text
from geo.analysis.bands import parse_bands
from geo.analysis.steps import Settings
from geo.i18n import LANGUAGES
from geo.inputs.validate import Options
from geo.privacy.gate import DEFAULT_K
from geo.recipe import COLUMN_OPTIONS, OUTPUT_KEYS, load_recipe

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """Bad usage is one line on stderr (what is wrong, where help is), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"patrolmap: error: {' '.join(message.split())} "
                     f"(see '{self.prog} --help')\n")


def _add_reading_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("reading columns (guessed when not given)")
    group.add_argument("--lat-col", metavar="NAME", help="latitude column (WGS84 degrees)")
    group.add_argument("--lon-col", dest="lng_col", metavar="NAME", help="longitude column")
    group.add_argument("--x-col", metavar="NAME", help="projected x / easting column")
    group.add_argument("--y-col", metavar="NAME", help="projected y / northing column")
    group.add_argument("--crs", metavar="CRS",
                       help="CRS of x/y or lat/lon columns, e.g. EPSG:32634 or EPSG:9141")
    group.add_argument("--time-col", metavar="NAME", action="append",
                       help="date-and-time column; given twice: a date column, then a "
                            "time-of-day column")
    group.add_argument("--date-col", metavar="NAME",
                       help="date column to combine with --hour-col")
    group.add_argument("--hour-col", metavar="NAME",
                       help="time of day: a clock time (21:35), an hour 0-23, HHMM (2135) or "
                            "minutes after midnight")
    group.add_argument("--category-col", metavar="NAME", help="incident category column")
    group.add_argument("--count-col", metavar="NAME",
                       help="incidents each row stands for (found by name: count, n, broj, "
                            "numri)")
    group.add_argument("--duration-col", metavar="NAME",
                       help="minutes of each reported patrol visit (--patrol-points)")
    group.add_argument("--visit-minutes", type=float, metavar="M",
                       help="minutes a reported patrol visit counts without a duration "
                            "(default 15)")
    group.add_argument("--no-times", action="store_true",
                       help="the incident files have no usable time of day: map all hours "
                            "together, with no time bands, week grid, emerging hot spots or "
                            "before/after")
    group.add_argument("--from", dest="date_from", metavar="DATE",
                       help="keep rows from this local day on (rows before it are counted as "
                            "outside the period)")
    group.add_argument("--to", dest="date_to", metavar="DATE",
                       help="keep rows up to this local day (inclusive)")
    group.add_argument("--unit-col", metavar="NAME", help="patrol unit id column")
    group.add_argument("--tz", metavar="ZONE", help="time zone of times without an offset "
                       "(default Europe/Belgrade)")
    group.add_argument("--encoding", metavar="ENC", help="text encoding: utf-8, cp1250, cp1251")
    group.add_argument("--delimiter", metavar="CHAR", help="CSV delimiter (guessed by default)")
    group.add_argument("--sheet", metavar="NAME", help="Excel sheet (first with data by default)")
    group.add_argument("--layer", metavar="NAME", help="GeoPackage layer (first by default)")


def _add_area_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--area", metavar="FILE|extent",
                        help="study area: a boundary file, or 'extent' for the data's own extent "
                             "(default: the bundled North Mitrovica area)")
    parser.add_argument("--area-name", metavar="NAME",
                        help="pick the feature with this name from a boundary file of many")
    parser.add_argument("--area-all", action="store_true",
                        help="use the union of every feature of the boundary file")
    parser.add_argument("--large-area", action="store_true",
                        help="map a study area far larger than the data's extent")


def _add_map_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--audience", choices=("community", "analyst"),
                        help="community (default: small counts hidden, safe to show) or "
                             "analyst (restricted: exact counts, marked on every page)")
    parser.add_argument("--epsilon", type=float, metavar="E",
                        help="publish counts with discrete Laplace noise of privacy budget E "
                             "(0.01-10, e.g. 1.0; smaller is more private) instead of exact "
                             "suppressed counts")
    parser.add_argument("--epsilon-budget", type=float, metavar="B",
                        help="most privacy budget the releases of one area may spend on one "
                             "year's incidents (default 2.0; the ledger adds them up)")
    parser.add_argument("--ledger", metavar="FILE",
                        help="the release ledger (default: one per study area in "
                             "~/.local/share/patrolmap/ledgers)")
    parser.add_argument("--taxonomy", metavar="FILE",
                        help="category names a community output may print (CSV: category, "
                             "en, sr-Cyrl, sr-Latn, sq, sensitive, aliases); default: the "
                             "bundled list")
    parser.add_argument("--res", type=_resolution, metavar="N|auto",
                        help="H3 resolution 0-15, or auto (the default): the finest the data "
                             "support, at most 10 (street blocks)")
    parser.add_argument("--k", type=int, metavar="K",
                        help=f"hide counts of 1..K-1 (default {DEFAULT_K}; at least 3 for "
                             "community output; analyst default 1)")
    parser.add_argument("--lang", choices=LANGUAGES, metavar="LANG",
                        help="language of the map: en, sr-Cyrl, sr-Latn or sq (default en; "
                             "switchable on the page)")
    tiles = parser.add_mutually_exclusive_group()
    tiles.add_argument("--tiles", action="store_true",
                       help="add an OpenStreetMap basemap, fetched when the map is opened online")
    tiles.add_argument("--offline", action="store_true",
                       help="one file that needs no network at all (the default)")
    context = parser.add_mutually_exclusive_group()
    context.add_argument("--context", nargs="+", metavar="FILE",
                         help="reference layers drawn under the cells: water, streets and "
                              "landmarks from any file GDAL reads or an OpenStreetMap extract "
                              "(.osm.pbf) (default: the bundled OpenStreetMap river and "
                              "landmarks for the bundled area)")
    context.add_argument("--no-context", action="store_true",
                         help="draw no river, streets or landmarks")
    parser.add_argument("--context-attribution", metavar="TEXT",
                        help="the credit the context data's licence asks for (OpenStreetMap "
                             "extracts get \"© OpenStreetMap contributors\")")
    parser.add_argument("--png", nargs="?", const="", metavar="FILE",
                        help="also draw a 1920x1080 picture for a projector (default: beside "
                             "the map, .png)")
    parser.add_argument("--pdf", nargs="?", const="", metavar="FILE",
                        help="also draw an A4 landscape page for print (default: beside the "
                             "map, .pdf)")
    parser.add_argument("--picture", metavar="LAYER[:BAND]",
                        help="what the picture shows: incidents, presence, hotspots or gaps, "
                             "optionally with a band, e.g. gaps:night (default incidents:all)")
    parser.add_argument("--gis", metavar="FILE",
                        help="also write the cell table as GeoPackage (.gpkg) or GeoParquet "
                             "(.parquet) for QGIS")
    parser.add_argument("--no-report", action="store_true",
                        help="do not write the planner's report (<map>_report.html and .pdf)")
    parser.add_argument("--no-report-pdf", action="store_true",
                        help="write the report as HTML only")
    group = parser.add_argument_group("analysis")
    group.add_argument("--bands", metavar="SPEC",
                       help="time bands, e.g. 'day=06-18,evening=18-22,night=22-06,"
                            "weekend_night=22-06@weekend' (default: day, evening, night, "
                            "weekday, weekend)")
    group.add_argument("--categories", metavar="LIST",
                       help="only these incident categories, comma-separated")
    group.add_argument("--k-ring", type=int, metavar="K",
                       help="hot spot neighbours: cells within K steps (default 1)")
    group.add_argument("--inference", choices=("analytic", "permutation"),
                       help="hot spot test: analytic (default: the Gi* z-score's normal p, "
                            "as ArcGIS Pro) or permutation (every count shuffled)")
    group.add_argument("--permutations", type=int, metavar="N",
                       help="draws of --inference permutation (default 9999, 999 over 2,000 "
                            "cells)")
    group.add_argument("--cap", type=float, metavar="SECONDS",
                       help="longest interval one ping stands for (default 120)")
    group.add_argument("--reach", type=float, metavar="METRES",
                       help="a fixed post covers cells within this distance (default 400)")
    group.add_argument("--change-date", metavar="YYYY-MM-DD",
                       help="compare before and after this local date (e.g. 2025-05-29)")
    group.add_argument("--before", metavar="FIRST,LAST",
                       help="the before period, two local dates (default: from the start to "
                            "the day before --change-date)")
    group.add_argument("--after", metavar="FIRST,LAST",
                       help="the after period, two local dates (default: from --change-date "
                            "to the end; it sets the change date when none is given)")
    group.add_argument("--evaluate-from", metavar="YYYY-MM-DD",
                       help="score hot spots drawn from the data before this local date on "
                            "the data from it: PAI, PEI and recapture rate (default: the "
                            "--change-date split)")
    group.add_argument("--slices", choices=("month", "week"),
                       help="time slices for emerging hot spots (default month)")
    group.add_argument("--new-posts", type=int, metavar="P",
                       help="suggest P new fixed posts (default 2; 0 to skip)")
    group.add_argument("--posts-band", metavar="BAND",
                       help="the band whose incidents new posts should cover (default night)")
    group.add_argument("--candidates", metavar="FILE",
                       help="places new posts may take (points, read like a posts file; "
                            "default: every cell centre)")
    group.add_argument("--target", metavar="FILE",
                       help="the area the plan targeted (a polygon file), for the weighted "
                            "displacement difference (default: cells within --reach of posts "
                            "active from --change-date)")
    group.add_argument("--language", metavar="CODE",
                       help="coverage by posts whose officers speak this language (e.g. sr), "
                            "from the posts' languages column")
    group.add_argument("--buffer-rings", type=int, metavar="K",
                       help="the WDD buffer: cells within K steps of the target (default 1)")
    group.add_argument("--months", action="store_true", default=None,
                       help="a month slider on the map: patrol presence per calendar month, "
                            "and incidents per cell and month through the same privacy gate")


def _resolution(text: str) -> int | str:
    """``auto`` or an integer, for ``--res``."""
    if str(text).strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        msg = f"{text!r} is not auto or a whole number"
        raise argparse.ArgumentTypeError(msg) from None


_NEEDS_TIMES = ("bands", "change_date", "before", "after", "slices", "months")


def _settings(values: dict) -> Settings:
    """Analysis settings from command-line or recipe values."""
    given: dict = {}
    if values.get("res") is not None:
        given["res"] = _res_value(values["res"])
    if values.get("no_times"):
        asked = [k for k in _NEEDS_TIMES if values.get(k)]
        if values.get("posts_band") not in (None, "all"):
            asked.append("posts_band")
        if asked:
            names = ", ".join("--" + k.replace("_", "-") for k in asked)
            msg = f"{names} need times of day; with --no-times there is only the all band"
            raise UsageError(msg)
        given["no_times"] = True
    if values.get("date_from") or values.get("date_to"):
        from geo.inputs._period import parse_period_days

        parse_period_days(values.get("date_from"), values.get("date_to"))
        given["period"] = (values.get("date_from"), values.get("date_to"))
    if values.get("bands"):
        given["bands"] = parse_bands(values["bands"])
    if values.get("categories"):
        cats = values["categories"]
        given["categories"] = tuple(c.strip() for c in (cats.split(",") if isinstance(cats, str)
                                                        else cats) if c.strip())
    for key, name in (("k_ring", "k_ring"), ("permutations", "permutations"),
                      ("cap", "cap_s"), ("reach", "reach_m"), ("engine", "engine"),
                      ("scheduler", "scheduler")):
        if values.get(key) is not None:
            given[name] = values[key]
    if given.get("k_ring", 1) < 1 or given.get("permutations", 999) < 99:
        msg = "--k-ring must be at least 1 and --permutations at least 99"
        raise UsageError(msg)
    if not all(math.isfinite(given.get(key, 1)) and given.get(key, 1) > 0
               for key in ("cap_s", "reach_m")):
        msg = "--cap and --reach must be positive numbers of seconds and metres"
        raise UsageError(msg)
    if values.get("tz"):
        given["tz"] = _zone(values["tz"])
    if values.get("inference") is not None:
        if values["inference"] not in ("analytic", "permutation"):
            msg = f"inference {values['inference']!r}: choose analytic or permutation"
            raise UsageError(msg)
        given["inference"] = values["inference"]
    if values.get("months"):
        given["months"] = values["months"] is True
    for key in ("change_date", "slices", "new_posts", "posts_band", "evaluate_from",
                "language"):
        if values.get(key) is not None:
            given[key] = values[key]
    for key in ("before", "after"):
        if values.get(key):
            given[key] = _period(values[key], key)
    if given.get("before") and not (given.get("after") or given.get("change_date")):
        msg = "--before needs --after or --change-date (where the after period starts)"
        raise UsageError(msg)
    if values.get("buffer_rings") is not None:
        if values["buffer_rings"] < 1:
            msg = "--buffer-rings must be at least 1"
            raise UsageError(msg)
        given["buffer_k"] = values["buffer_rings"]
    if values.get("target"):
        from geo.inputs.area import read_area

        given["target"] = read_area(values["target"])
    if values.get("candidates"):
        from geo.pipeline import read_candidates

        given["candidates"] = read_candidates(values["candidates"])
    if given.get("new_posts", 0) < 0:
        msg = "--new-posts must be 0 or more"
        raise UsageError(msg)
    bands = {b.name for b in given.get("bands", Settings().bands)}
    posts_band = given.get("posts_band", Settings.posts_band)
    if not given.get("no_times") and posts_band not in bands:
        named = ", ".join(sorted(bands))
        msg = (f"--posts-band {posts_band}: no such band; bands are {named}"
               if "posts_band" in given else
               f"--bands has no band {posts_band!r}, the band new posts are sited for; "
               f"name one of {named} with --posts-band")
        raise UsageError(msg)
    return Settings(**given)


def _period(value, name: str) -> tuple[str, str]:
    """Two dates from "FIRST,LAST" text or a two-item list (recipes)."""
    parts = [p.strip() for p in value.split(",")] if isinstance(value, str) else list(value)
    if len(parts) != 2 or not all(parts):
        msg = (f"--{name} {value}: give two dates, the first and last day, like "
               "2025-03-01,2025-05-28")
        raise UsageError(msg)
    return parts[0], parts[1]


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="patrolmap",
        description="Hexagon maps of incident hot spots and patrol coverage gaps.",
    )
    parser.add_argument("--version", action="version", version=f"patrolmap {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    quiet = _Parser(add_help=False)  # -q after the command too: patrolmap demo -q
    quiet.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                       help="print only errors")

    demo = sub.add_parser("demo", parents=[quiet],
                          help="make the North Mitrovica map from the bundled sample",
                          description="Generate the synthetic North Mitrovica sample and build "
                                      "maps/north_mitrovica.html from it.")
    demo.add_argument("--out", default="maps", metavar="DIR",
                      help="folder for the map (default: maps)")
    demo.add_argument("--days", type=int, default=365, help="days of sample data (default 365)")
    demo.add_argument("--seed", type=int, default=2025, help="sample seed (default 2025)")
    _add_map_options(demo)

    check = sub.add_parser("check", parents=[quiet],
                          help="validate input files without building anything",
                           description="Read each file, check every row, print what was "
                                       "accepted and why rows were rejected.")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--kind", choices=("auto", "incidents", "pings", "posts", "patrol_points"),
                       default="auto",
                       help="what the files hold (default: guessed from the columns)")
    check.add_argument("--rejects-dir", metavar="DIR",
                       help="write <file>_rejects.csv for each file with rejects here")
    _add_area_options(check)
    _add_reading_options(check)

    ingest = sub.add_parser("ingest", parents=[quiet],
                            help="check ping files into a partitioned dataset",
                            description="Read ping files (and folders of them) in chunks, "
                                        "check every row as check does, and add the accepted "
                                        "pings to a Parquet dataset by unit bucket and month. "
                                        "Running it again on the same files changes nothing; "
                                        "a killed run is finished by the next.")
    ingest.add_argument("files", nargs="+", metavar="FILE|DIR")
    ingest.add_argument("--out", required=True, metavar="DATASET",
                        help="the dataset folder (made when missing, added to when not)")
    ingest.add_argument("--buckets", type=int, default=16, metavar="N",
                        help="unit buckets of a new dataset (default 16)")
    ingest.add_argument("--res", type=int, default=10, metavar="N",
                        help="H3 resolution whose cell each ping keeps in a new dataset "
                             "(default 10): a build at it converts no position again")
    _add_area_options(ingest)
    _add_reading_options(ingest)

    sample = sub.add_parser("sample", parents=[quiet],
                          help="write the synthetic sample inputs",
                            description="Write realistic synthetic sample inputs (incidents, "
                                        "patrol pings, fixed posts, a recipe) to a folder.")
    sample.add_argument("--out", required=True, metavar="DIR",
                        help="folder to write the sample files and recipe to")
    sample.add_argument("--days", type=int, default=365,
                        help="days of synthetic data from 2025-01-01 (default 365)")
    sample.add_argument("--seed", type=int, default=2025,
                        help="random seed: the same seed writes the same files (default 2025)")

    audit = sub.add_parser("audit", parents=[quiet],
                          help="check produced files before showing them",
                           description="Check maps, pictures and GIS files for small counts, "
                                       "point coordinates, markup and file paths. Exit code "
                                       "0: all clean; 1: problems; 2: unreadable.")
    audit.add_argument("files", nargs="+", metavar="FILE|DIR")

    ledger = sub.add_parser("ledger", parents=[quiet],
                          help="list the community releases recorded for an area",
                            description="List the releases in a ledger: what each published "
                                        "and when. --delete forgets them all: do it only when "
                                        "no earlier release is in anyone's hands.")
    ledger.add_argument("--ledger", metavar="FILE",
                        help="the ledger file (default: the bundled area's)")
    _add_area_options(ledger)
    ledger.add_argument("--synthetic", action="store_true",
                        help="the ledger of the synthetic demo")
    ledger.add_argument("--delete", action="store_true", help="delete the ledger file")

    build = sub.add_parser("build", parents=[quiet],
                          help="build the map from your files",
                           description="Build the map from your own files, from options or a "
                                       "TOML recipe (options override the recipe).")
    build.add_argument("--recipe", metavar="FILE", help="TOML recipe (see README)")
    build.add_argument("--incidents", nargs="+", metavar="FILE", help="incident file(s)")
    build.add_argument("--patrols", nargs="+", metavar="FILE",
                       help="patrol ping file(s), or one dataset made by 'patrolmap ingest'")
    build.add_argument("--engine", choices=("local", "dask"),
                       help="where presence is computed over a ping dataset: local (default, "
                            "this process) or dask (needs pip install 'patrolmap[scale]')")
    build.add_argument("--scheduler", metavar="ADDRESS",
                       help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (default with "
                            "--engine dask: a local cluster, one worker per core)")
    build.add_argument("--posts", nargs="+", metavar="FILE", help="fixed post file(s)")
    build.add_argument("--population", metavar="FILE",
                       help="residents for incident rates per 1,000: polygons with a "
                            "population column, an H3 table (e.g. Kontur) or a GeoTIFF")
    build.add_argument("--patrol-points", nargs="+", metavar="FILE",
                       help="reported patrol visits (position, time, optional unit and "
                            "minutes), for forces without GPS")
    build.add_argument("--out", metavar="FILE.html", help="map to write (default "
                       "maps/<area>.html)")
    build.add_argument("--title", metavar="TEXT")
    build.add_argument("--note", metavar="TEXT", help="data source note shown on the map")
    build.add_argument("--rejects-dir", metavar="DIR")
    _add_area_options(build)
    _add_map_options(build)
    _add_reading_options(build)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return _COMMANDS[args.command](args)
    except PatrolmapError as err:
        print(f"patrolmap: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return interrupted()
    except ModuleNotFoundError as err:  # an install older than the code it runs
        print(f"patrolmap: error: the library {err.name or 'a dependency'!r} is not installed; "
              "install patrolmap again (in its folder: pip install .)", file=sys.stderr)
        return 1
    except Exception as err:  # an internal error: still one line, never a traceback
        print(f"patrolmap: internal error: {type(err).__name__}: {_one_line(err)} "
              "(please report it)", file=sys.stderr)
        return 1


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


def _say(args, text: str) -> None:
    if not args.quiet:
        print(text)


def _res_value(value) -> int | str:
    """A resolution from the command line (already parsed) or a recipe (int or "auto")."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        msg = f"res {value!r}: give auto or a whole number 0-15"
        raise UsageError(msg)
    try:
        return _resolution(value) if isinstance(value, str) else value
    except argparse.ArgumentTypeError as err:
        msg = f"res {err}"
        raise UsageError(msg) from None


def _options(values: dict) -> Options:
    kwargs = {k: values[k] for k in COLUMN_OPTIONS if values.get(k) is not None}
    if "tz" in kwargs:
        kwargs["tz"] = _zone(kwargs["tz"])
    time_col = kwargs.get("time_col")
    if isinstance(time_col, (list, tuple)):
        if len(time_col) > 2:
            msg = "--time-col given more than twice: give one column, or a date and a time"
            raise UsageError(msg)
        kwargs["time_col"] = time_col[0] if len(time_col) == 1 else tuple(time_col)
    for key in ("date_from", "date_to"):
        if values.get(key):
            kwargs[key] = str(values[key])
    if values.get("no_times"):
        kwargs["no_times"] = True
    if values.get("visit_minutes") is not None:
        if not 0 < float(values["visit_minutes"]) <= 24 * 60:
            msg = f"--visit-minutes {values['visit_minutes']}: give minutes above 0, up to a day"
            raise UsageError(msg)
        kwargs["visit_minutes"] = float(values["visit_minutes"])
    return Options(**kwargs)


def _zone(name: str) -> str:
    """A time zone name pandas and the tz database know, or a usage error."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"--tz {name}: not a known time zone; use a name like Europe/Belgrade"
        raise UsageError(msg) from None
    return name


# ------------------------------------------------------------------ commands

def _run_demo(args) -> int:
    from geo.pipeline import build, load_inputs
    from geo.sample import sample_streets, write_sample

    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="patrolmap-sample-") as tmp:
        _say(args, f"Generating {args.days} days of synthetic North Mitrovica data ...")
        files = write_sample(tmp, seed=args.seed, days=args.days)
        show = wanted(files.values(), quiet=args.quiet)
        inputs = load_inputs(files["incidents"], patrols=files["patrols"], posts=files["posts"],
                             progress=show, context=_context(vars(args)),
                             context_attribution=args.context_attribution)
        if inputs.context is not None and inputs.context.source == "bundled":
            inputs.context = inputs.context.merged(sample_streets())
        result = build(inputs, out / "north_mitrovica.html", settings=_settings(vars(args)),
                       k=_k(vars(args)), synthetic=True, lang=args.lang or "en",
                       audience=args.audience or "community", epsilon=args.epsilon,
                       tiles=args.tiles, gis=args.gis, progress=show, **_privacy(vars(args)),
                       report=not args.no_report, report_pdf=not args.no_report_pdf,
                       **_pictures(vars(args), out / "north_mitrovica.html"))
    _report(args, result)
    return 0


def _context(values: dict):
    """The context files of a run: None for the default, False for none."""
    if values.get("no_context"):
        return False
    found = values.get("context")
    return [found] if isinstance(found, str) else (found or None)


def _privacy(values: dict) -> dict:
    """The ledger, budget and taxonomy options, for build()."""
    found = {}
    if values.get("ledger"):
        found["ledger"] = values["ledger"]
    if values.get("epsilon_budget") is not None:
        found["epsilon_budget"] = float(values["epsilon_budget"])
    if values.get("taxonomy"):
        from geo.inputs.taxonomy import read_taxonomy

        found["taxonomy"] = read_taxonomy(values["taxonomy"])
    return found


def _k(values: dict) -> int:
    if values.get("k") is not None:
        return int(values["k"])
    return 1 if values.get("audience") == "analyst" else DEFAULT_K


def _pictures(values: dict, out: Path) -> dict:
    """Picture files and what they show, from --png, --pdf and --picture."""
    if values.get("picture") and all(values.get(k) in (None, False) for k in ("png", "pdf")):
        print(f"note: --picture {values['picture']} does nothing without --png or --pdf",
              file=sys.stderr)
    layer, _, band = (values.get("picture") or "incidents").partition(":")
    found = {"picture_layer": layer, "picture_band": band or "all"}
    for kind in ("png", "pdf"):
        target = values.get(kind)
        if target is not None and target is not False:
            found[kind] = Path(target) if target else out.with_suffix(f".{kind}")
    return found


def _report(args, result) -> None:
    _say(args, result.summary)
    _say(args, analysis_text(result.analysis))
    for path in result.rejects:
        _say(args, f"rejects: {path}")
    if result.gis_path:
        _say(args, f"cell table: {result.gis_path}")
    for picture in result.pictures:
        _say(args, f"picture: {picture}")
    for report in result.reports:
        _say(args, f"report: {report}")
    _say(args, f"map: {result.map_path}")
    if result.placed is not None:
        _say(args, result.placed.text())


def _guess_kind(table) -> str:
    from geo.inputs import _columns as names
    from geo.inputs._columns import find_column

    cols = table.frame.columns
    if table.row_word == "point":
        return "pings"
    if find_column(cols, names.STAFFED_FROM) or find_column(cols, names.STAFFED_TO):
        return "posts"
    if find_column(cols, names.DURATION) and not find_column(cols, names.CATEGORY):
        return "patrol_points"
    if find_column(cols, names.UNIT) and not find_column(cols, names.CATEGORY):
        return "pings"
    return "incidents"


def _checking_area(args):
    """The area rows are checked against: ``--area FILE``, none for ``extent``, else the
    bundled one."""
    from geo.inputs.area import default_area, read_area

    if args.area == "extent":
        return None
    if args.area:
        return read_area(args.area, name=args.area_name, all_features=args.area_all)
    if args.area_name or args.area_all:
        msg = f"--area-{'name' if args.area_name else 'all'} needs --area FILE"
        raise UsageError(msg)
    return default_area()


_NOT_TABLES = {".md", ".txt", ".toml", ".html", ".htm", ".pdf", ".png", ".json", ".log"}


def _run_check(args) -> int:
    from geo._release import check_outputs
    from geo.inputs.readers import read_table
    from geo.inputs.validate import _CHECKS, rejects_names

    opts = _options(vars(args))
    area = _checking_area(args)
    worst = 0
    names = rejects_names(args.files)
    if args.rejects_dir:
        check_outputs({f"--rejects-dir {args.rejects_dir}": Path(args.rejects_dir) / n
                       for n in names}, args.files)
    for file, name in zip(args.files, names, strict=True):
        if Path(file).is_dir() or Path(file).suffix.lower() in _NOT_TABLES:
            print(f"note: {file}: skipped, not a table of incidents, pings or posts")
            continue
        try:
            table = read_table(file, encoding=opts.encoding, delimiter=opts.delimiter,
                               sheet=opts.sheet, layer=opts.layer)
            kind = args.kind if args.kind != "auto" else _guess_kind(table)
            checked = _CHECKS[kind](table, area=area, options=opts)
        except InputError as err:
            print(f"patrolmap: error: {_one_line(err)}", file=sys.stderr)
            worst = 2
            continue
        print(checked.summary())
        if args.rejects_dir:
            path = checked.write_rejects(args.rejects_dir, name=name)
            if path:
                print(f"  rejects: {path}")
        if len(checked.accepted) == 0:
            worst = 2
    return worst


def _run_ingest(args) -> int:
    from geo.inputs.ingest import ingest_pings

    opts = _options(vars(args))
    area = _checking_area(args)
    result = ingest_pings(args.files, args.out, area=area, options=opts, buckets=args.buckets,
                          res=args.res,
                          on_file=None if args.quiet else
                          (lambda name: print(f"reading {name}", file=sys.stderr)))
    _say(args, result.summary())
    return 0


def _run_sample(args) -> int:
    from geo.sample import write_sample

    files = write_sample(args.out, seed=args.seed, days=args.days)
    for key, path in files.items():
        _say(args, f"{key}: {path}")
    _say(args, f"run: patrolmap build --recipe {files['recipe']}")
    return 0


def _run_build(args) -> int:
    from geo.pipeline import build, load_inputs

    given = {k: v for k, v in vars(args).items() if v is not None and v is not False}
    settings = load_recipe(args.recipe, given=given) if args.recipe else {}
    if args.recipe and given.get("out"):  # the recipe's other outputs follow the map there
        for key in OUTPUT_KEYS[1:]:
            if settings.get(key) and key not in given:
                settings[key] = str(Path(given["out"]).parent / Path(settings[key]).name)
    settings.update(given)
    if not settings.get("incidents"):
        msg = "build needs --incidents FILE (or a recipe with [inputs] incidents)"
        raise UsageError(msg)
    files = [f for key in ("incidents", "patrols", "patrol_points", "posts") for f in
             ([settings[key]] if isinstance(settings.get(key), str) else settings.get(key) or [])]
    show = wanted(files, quiet=args.quiet)
    analysis_settings = _settings(settings)
    inputs = load_inputs(settings["incidents"], patrols=settings.get("patrols"),
                         posts=settings.get("posts"), area=settings.get("area"),
                         area_name=settings.get("area_name"), options=_options(settings),
                         progress=show, population=settings.get("population"),
                         patrol_points=settings.get("patrol_points"),
                         area_all=bool(settings.get("area_all")),
                         large_area=bool(settings.get("large_area")),
                         context=_context(settings),
                         context_attribution=settings.get("context_attribution"))
    if inputs.ping_dataset is None and (settings.get("engine") not in (None, "local")
                                        or settings.get("scheduler")):
        msg = ("--engine and --scheduler run presence over a ping dataset: give --patrols "
               "DATASET (made by 'patrolmap ingest')")
        raise UsageError(msg)
    out = settings.get("out") or f"maps/{_slug(inputs.area.name)}.html"
    sources = [settings.get(key) for key in ("recipe", "area", "target", "candidates")]
    sources += _context(settings) or []
    result = build(inputs, out, settings=analysis_settings, k=_k(settings),
                   sources=[s for s in sources if s and s != "extent"],
                   audience=settings.get("audience") or "community",
                   epsilon=settings.get("epsilon"), **_privacy(settings),
                   title=settings.get("title"), note=settings.get("note") or "",
                   tiles=bool(settings.get("tiles")), rejects_dir=settings.get("rejects_dir"),
                   lang=settings.get("lang") or "en", synthetic=bool(settings.get("synthetic")),
                   **_pictures(settings, Path(out)),
                   gis=settings.get("gis"), progress=show,
                   report=not settings.get("no_report"),
                   report_pdf=not settings.get("no_report_pdf"))
    _report(args, result)
    return 0


def _slug(name: str) -> str:
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "map"


def _run_audit(args) -> int:
    from geo._release import recover
    from geo.privacy.audit import audit_paths

    finished = set()
    for folder in dict.fromkeys(Path(f) if Path(f).is_dir() else Path(f).parent
                                for f in args.files):
        if folder.is_dir():  # a build killed while putting its files in place is finished
            for name in recover(folder):
                finished.add(folder)
                print(f"patrolmap: finished putting the release of {name} in place in "
                      f"{folder}", file=sys.stderr)
    worst = 0
    present = []
    for item in args.files:
        if not Path(item).exists() and Path(item).parent in finished:
            print(f"patrolmap: {item}: not in the release just finished (kept in .previous)",
                  file=sys.stderr)
            continue
        if not Path(item).exists():
            print(f"patrolmap: error: {item}: file not found", file=sys.stderr)
            worst = 2
        else:
            present.append(item)
    try:
        results = audit_paths(present)
    except Exception as err:  # a broken file is a finding, not a crash
        print(f"patrolmap: error: cannot be read ({_one_line(err)})", file=sys.stderr)
        return 2
    for result in results:
        print(result.report())
        if result.unreadable:
            worst = 2
        elif not result.ok:
            worst = max(worst, 1)
    return worst


def _run_ledger(args) -> int:
    from geo.inputs.area import default_area, read_area
    from geo.privacy.ledger import Ledger, area_slug, default_ledger_path

    if args.ledger:
        book = Ledger(args.ledger)
    else:
        area = read_area(args.area, name=args.area_name) if args.area else default_area()
        slug = area_slug(area.name, area.geometry.wkb) + ("-synthetic" if args.synthetic else "")
        book = Ledger(default_ledger_path(slug))
    if args.delete:
        gone = book.delete()
        print(f"deleted {book.path}" if gone else f"no ledger at {book.path}")
        return 0
    entries = book.entries()
    print(f"{book.path}: {len(entries)} release(s)")
    for entry in entries:
        print("  " + entry.line())
    return 0


_COMMANDS = {"demo": _run_demo, "check": _run_check, "ingest": _run_ingest,
             "sample": _run_sample,
             "build": _run_build, "audit": _run_audit, "ledger": _run_ledger}

if __name__ == "__main__":
    sys.exit(main())
