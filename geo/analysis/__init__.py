"""Analysis: cells, time bands, patrol presence, hot spots, gaps, figures and decisions.

It takes checked tables from :mod:`geo.inputs` and gives a :class:`CellTable` (one row per
cell) that only :mod:`geo.privacy` turns into something to publish.
"""

from geo._lazy import lazy_exports

_PUBLIC = {
    "Settings": "geo.analysis.steps", "Analysis": "geo.analysis.steps",
    "analyse": "geo.analysis.steps",
    "Band": "geo.analysis.bands", "DEFAULT_BANDS": "geo.analysis.bands",
    "parse_bands": "geo.analysis.bands",
    "points_to_cells": "geo.analysis.cells", "area_to_cells": "geo.analysis.cells",
    "CellTable": "geo.analysis.table", "count_cells": "geo.analysis.table",
    "Presence": "geo.analysis.presence", "pings_to_presence": "geo.analysis.presence",
    "posts_to_presence": "geo.analysis.presence",
    "Partials": "geo.analysis.partials", "presence_partials": "geo.analysis.partials",
    "dataset_partials": "geo.analysis.engines",
    "hot_spots": "geo.analysis.hotspots", "local_moran": "geo.analysis.clusters",
    "concentration_summary": "geo.analysis.figures",
    "emerging_hot_spots": "geo.analysis.emerging", "suggest_posts": "geo.analysis.siting",
    "Decisions": "geo.analysis.decisions", "decide": "geo.analysis.decisions",
}
__all__ = list(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
