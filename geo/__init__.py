"""patrolmap: hexagon maps of incident hot spots and patrol coverage gaps.

The names below are the public API, for notebooks::

    import geo
    area = geo.default_area()
    incidents = geo.read_incidents("incidents.csv", area=area)
    result = geo.analyse(incidents.accepted, area)
    geo.render_map(geo.publish(result.table), "map.html")

They are imported on first use, so ``import geo`` (and the command line) starts quickly.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("patrolmap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

_PUBLIC = {
    "default_area": "geo.area", "read_area": "geo.area", "extent_area": "geo.area",
    "StudyArea": "geo.area",
    "read_incidents": "geo.validate", "read_pings": "geo.validate",
    "read_posts": "geo.validate", "Options": "geo.validate",
    "points_to_cells": "geo.cells", "area_to_cells": "geo.cells",
    "count_cells": "geo.table", "CellTable": "geo.table",
    "pings_to_presence": "geo.presence", "posts_to_presence": "geo.presence",
    "hot_spots": "geo.hotspots", "concentration_summary": "geo.figures",
    "analyse": "geo.analysis", "Settings": "geo.analysis", "parse_bands": "geo.bands",
    "publish": "geo.privacy", "render_map": "geo.maps", "render_picture": "geo.picture",
    "write_published": "geo.gis", "audit_file": "geo.audit",
    "load_inputs": "geo.pipeline", "build": "geo.pipeline",
}
__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    msg = f"module 'geo' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(__all__)
