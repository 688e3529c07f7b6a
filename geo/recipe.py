"""Recipe files: a TOML file that makes a monthly map one repeatable command.

A recipe names the inputs, the study area, the map settings and, when guessing is not enough,
the columns. Paths in a recipe are relative to the recipe file::

    title = "North Mitrovica, October"
    note = "Police records, October 2025"

    [inputs]
    incidents = "incidents_2025_10.xlsx"
    patrols = ["gps/v1.gpx", "gps/v2.gpx"]
    posts = "posts.csv"

    [area]
    file = "boundary.gpkg"       # or "extent"; omit for the bundled North Mitrovica area
    name = "Severna Mitrovica"   # one feature of a file holding many (or all = true)

    [map]
    out = "maps/october.html"
    res = 9
    k = 5
    tiles = true

    [analysis]
    bands = "day=06-18, evening=18-22, night=22-06, weekend_night=22-06@weekend"
    categories = ["verbal sexual harassment", "fight"]
    k_ring = 1           # hot spot neighbours
    inference = "analytic"   # or "permutation"
    cap = 120            # seconds one ping may stand for
    reach = 400          # metres a fixed post covers

    [columns]
    crs = "EPSG:9141"
    x_col = "X"
    y_col = "Y"
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path

from geo._errors import InputError

__all__ = ["COLUMN_OPTIONS", "OUTPUT_KEYS", "load_recipe", "recipe_text"]

COLUMN_OPTIONS = ("lat_col", "lng_col", "x_col", "y_col", "time_col", "category_col",
                  "unit_col", "crs", "tz", "encoding", "delimiter", "sheet", "layer",
                  "date_col", "hour_col", "count_col", "duration_col")
_SECTIONS = {"title": str, "note": str, "synthetic": bool, "inputs": dict, "area": dict,
             "map": dict, "analysis": dict, "columns": dict}
_KEYS = {"inputs": {"incidents", "patrols", "posts", "population", "patrol_points",
                    "visit_minutes", "context", "context_attribution", "no_context"},
         "area": {"file", "name", "all", "large"},
         "map": {"out", "res", "k", "tiles", "gis", "lang", "png", "pdf", "picture",
                 "audience", "epsilon", "epsilon_budget", "no_report", "no_report_pdf",
                 "ledger", "taxonomy"},
         "analysis": {"bands", "categories", "k_ring", "inference", "permutations", "cap",
                      "reach",
                      "change_date", "slices", "new_posts", "posts_band", "candidates",
                      "target", "buffer_rings", "before", "after", "evaluate_from",
                      "language", "from", "to", "no_times", "engine", "scheduler",
                      "months"},
         "columns": set(COLUMN_OPTIONS) | {"lon_col"}}
_ALIASES = {"lon_col": "lng_col"}  # the key named like the option --lon-col


def load_recipe(path: str | Path, *, given: Iterable[str] = ()) -> dict:
    """Read a recipe into the flat settings the command line uses (paths made absolute).

    ``given`` names settings the command line sets: a recipe output among them is not used,
    so it is not checked either.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        msg = f"{path}: recipe file not found"
        raise InputError(msg) from None
    except tomllib.TOMLDecodeError as err:
        msg = f"{path}: not a valid TOML recipe ({err})"
        raise InputError(msg) from None
    for key, value in data.items():
        if key not in _SECTIONS:
            msg = f"{path}: unknown recipe entry {key!r}; known: {sorted(_SECTIONS)}"
            raise InputError(msg)
        if not isinstance(value, _SECTIONS[key]):
            kind = {dict: "a [section]", str: "a text", bool: "true or false"}[_SECTIONS[key]]
            msg = f"{path}: recipe entry {key!r} must be {kind}"
            raise InputError(msg)
        unknown = set(value) - _KEYS[key] if isinstance(value, dict) else set()
        if unknown:
            msg = (
                f"{path}: unknown key(s) {sorted(unknown)} in [{key}]; "
                f"known: {sorted(_KEYS[key])}"
            )
            raise InputError(msg)
    base = path.parent

    def rel(value):
        if value is None:
            return None
        if isinstance(value, list):
            return [rel(v) for v in value]
        return value if value == "extent" else str(base / value)

    inputs, area, map_ = data.get("inputs", {}), data.get("area", {}), data.get("map", {})
    for key in OUTPUT_KEYS:
        if isinstance(map_.get(key), str) and key not in set(given):
            _inside(path, key, map_[key])
    settings = {
        "incidents": rel(inputs.get("incidents")), "patrols": rel(inputs.get("patrols")),
        "posts": rel(inputs.get("posts")), "population": rel(inputs.get("population")),
        "context": rel(inputs.get("context")),
        "context_attribution": inputs.get("context_attribution"),
        "no_context": inputs.get("no_context") is True,
        "area": rel(area.get("file")),
        "area_name": area.get("name"), "patrol_points": rel(inputs.get("patrol_points")),
        "visit_minutes": inputs.get("visit_minutes"), "area_all": area.get("all") is True,
        "large_area": area.get("large") is True, "out": rel(map_.get("out")),
        "res": map_.get("res"),
        "k": map_.get("k"), "tiles": map_.get("tiles") is True, "lang": map_.get("lang"),
        "synthetic": data.get("synthetic") is True, "png": rel(map_.get("png")),
        "pdf": rel(map_.get("pdf")), "picture": map_.get("picture"),
        "audience": map_.get("audience"), "epsilon": map_.get("epsilon"),
        "epsilon_budget": map_.get("epsilon_budget"), "ledger": rel(map_.get("ledger")),
        "taxonomy": rel(map_.get("taxonomy")),
        "title": data.get("title"), "note": data.get("note"), "gis": rel(map_.get("gis")),
    }
    analysis = dict(data.get("analysis", {}))
    for key in ("candidates", "target"):
        if key in analysis:
            analysis[key] = rel(analysis[key])
    for key in ("from", "to"):
        if key in analysis:
            analysis[f"date_{key}"] = str(analysis.pop(key))
    if "no_times" in analysis:
        analysis["no_times"] = analysis["no_times"] is True
    settings.update(analysis)
    settings.update({key: map_[key] is True for key in ("no_report", "no_report_pdf")
                     if key in map_})
    columns = dict(data.get("columns", {}))
    for alias, key in _ALIASES.items():
        if alias in columns:
            if key in columns and columns[key] != columns[alias]:
                msg = f"{path}: [columns] gives both {alias} and {key}; keep one"
                raise InputError(msg)
            columns[key] = columns.pop(alias)
    settings.update(columns)
    return settings


OUTPUT_KEYS = ("out", "png", "pdf", "gis")
"""The [map] entries that name files a build writes."""


def _inside(recipe: Path, key: str, value: str) -> None:
    """An output a recipe names stays in the recipe's folder (or one inside it)."""
    base = recipe.parent.resolve()
    target = (base / value).resolve()
    if target != base and base not in target.parents:
        msg = (f"{recipe}: [map] {key} = {value!r} leaves the recipe's folder; a recipe writes "
               "only inside its own folder (give --out on the command line to write elsewhere)")
        raise InputError(msg)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def recipe_text(*, title: str, note: str, incidents: str, patrols: list[str] | None = None,
                posts: str | None = None, out: str = "maps/map.html", res: int | str = "auto",
                k: int = 5, synthetic: bool = False) -> str:
    """A commented recipe for the given files, ready to edit."""
    lines = [
        "# patrolmap recipe: one repeatable command for a map",
        "#   patrolmap build --recipe recipe.toml",
        "# Paths are relative to this file.",
        "",
        f"title = {_toml_value(title)}",
        f"note = {_toml_value(note)}",
        f"synthetic = {_toml_value(synthetic)}",
        "",
        "[inputs]",
        f"incidents = {_toml_value(incidents)}",
    ]
    if patrols:
        lines.append(f"patrols = {_toml_value(patrols)}")
    if posts:
        lines.append(f"posts = {_toml_value(posts)}")
    lines += [
        "",
        "[area]",
        '# file = "boundary.gpkg"    # a boundary file; omit for the bundled North Mitrovica area',
        '# name = "North Mitrovica"  # pick one feature of a file holding many',
        '# file = "extent"           # the data\'s own extent, padded',
        "",
        "[map]",
        f"out = {_toml_value(out)}",
        f"res = {_toml_value(res)}   # auto: the finest the data support (at most 10), or 0-15",
        f"k = {k}",
        "tiles = false   # true: an OpenStreetMap basemap, fetched when opened online",
        '# lang = "sr-Latn"  # en, sr-Cyrl, sr-Latn, sq (switchable on the page)',
        '# gis = "maps/cells.gpkg"   # the cell table for QGIS (.gpkg or .parquet)',
        "",
        "[analysis]",
        '# from = "2025-01-01"   # keep this period (local days); to = "2025-12-31"',
        "# no_times = true       # the incidents have no time of day: all hours only",
        '# bands = "day=06-18, evening=18-22, night=22-06"',
        '# categories = ["verbal sexual harassment", "fight"]',
        "# k_ring = 1",
        '# inference = "analytic"  # hot spot test; "permutation" shuffles every count',
        "# cap = 120    # seconds one ping may stand for",
        "# reach = 400  # metres a fixed post covers",
        "",
        "[columns]",
        "# guessed from the header when not given, e.g.:",
        '# lat_col = "latitude"',
        '# lon_col = "longitude"   # as --lon-col; lng_col is read too',
        '# crs = "EPSG:4326"',
        '# time_col = "date_time"',
        '# date_col = "occurrencedate"   # a date column and a time-of-day column, combined',
        '# hour_col = "occurrencehour"   # 21:35, 21 (an hour), 2135 (HHMM) or minutes',
        '# count_col = "Count"           # incidents each row stands for',
        '# category_col = "category"',
        "",
    ]
    return "\n".join(lines)
