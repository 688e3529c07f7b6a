"""Outputs: the HTML map, the projector picture, the planner's report and the GIS file.

Every renderer takes :class:`geo.privacy.PublishedCells` and nothing else.
"""

from geo._lazy import lazy_exports

_PUBLIC = {
    "render_map": "geo.outputs.maps", "map_payload": "geo.outputs.maps",
    "render_picture": "geo.outputs.picture", "picture_texts": "geo.outputs.picture",
    "render_report": "geo.outputs.report", "render_report_pdf": "geo.outputs.report",
    "report_blocks": "geo.outputs.report",
    "write_published": "geo.outputs.gis", "published_frame": "geo.outputs.gis",
}
__all__ = list(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
