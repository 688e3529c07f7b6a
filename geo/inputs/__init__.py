"""Inputs: reading files, checking every row, and the study area.

Everything downstream takes what this room accepts (``Checked.accepted``) and trusts it.
"""

from geo._lazy import lazy_exports

_PUBLIC = {
    "StudyArea": "geo.inputs.area", "default_area": "geo.inputs.area",
    "read_area": "geo.inputs.area", "extent_area": "geo.inputs.area",
    "RawTable": "geo.inputs.readers", "read_table": "geo.inputs.readers",
    "Options": "geo.inputs.validate", "Checked": "geo.inputs.validate",
    "read_checked": "geo.inputs.validate", "read_incidents": "geo.inputs.validate",
    "read_pings": "geo.inputs.validate", "read_posts": "geo.inputs.validate",
    "check_incidents": "geo.inputs.validate", "check_pings": "geo.inputs.validate",
    "check_posts": "geo.inputs.validate", "check_patrol_points": "geo.inputs.validate",
    "read_patrol_points": "geo.inputs.validate",
    "ingest_pings": "geo.inputs.ingest", "open_dataset": "geo.inputs.dataset",
    "PingDataset": "geo.inputs.dataset",
}
__all__ = list(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
