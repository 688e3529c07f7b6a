"""patrolmap: hexagon maps of incident hot spots and patrol coverage gaps.

The names below are the public API, for notebooks::

    import geo
    area = geo.default_area()
    incidents = geo.read_incidents("incidents.csv", area=area)
    result = geo.analyse(incidents.accepted, area)
    geo.render_map(geo.publish(result.table), "map.html")

They are imported on first use, so ``import geo`` (and the command line) starts quickly.
"""

from geo._lazy import lazy_exports

_PUBLIC = {
    "default_area": "geo.inputs.area", "read_area": "geo.inputs.area",
    "extent_area": "geo.inputs.area", "StudyArea": "geo.inputs.area",
    "read_incidents": "geo.inputs.validate", "read_pings": "geo.inputs.validate",
    "read_posts": "geo.inputs.validate", "Options": "geo.inputs.validate",
    "points_to_cells": "geo.analysis.cells", "area_to_cells": "geo.analysis.cells",
    "count_cells": "geo.analysis.table", "CellTable": "geo.analysis.table",
    "pings_to_presence": "geo.analysis.presence", "posts_to_presence": "geo.analysis.presence",
    "hot_spots": "geo.analysis.hotspots", "concentration_summary": "geo.analysis.figures",
    "analyse": "geo.analysis.steps", "Settings": "geo.analysis.steps",
    "parse_bands": "geo.analysis.bands",
    "publish": "geo.privacy.gate", "audit_file": "geo.privacy.audit",
    "render_map": "geo.outputs.maps", "render_picture": "geo.outputs.picture",
    "render_report": "geo.outputs.report", "write_published": "geo.outputs.gis",
    "load_inputs": "geo.pipeline", "build": "geo.pipeline",
}
__all__ = ["__version__", *_PUBLIC]
_get, __dir__ = lazy_exports(__name__, _PUBLIC)


def __getattr__(name: str):
    if name == "__version__":  # looked up on use: the console command starts with no imports
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("patrolmap")
        except PackageNotFoundError:  # running from a source tree that is not installed
            return "0.0.0"
    return _get(name)
