"""Data bundled with patrolmap: the North Mitrovica study area (installed as ``geo.data``)."""
