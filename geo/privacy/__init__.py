"""Privacy: the gate between the analysis and anything published, and the audit of its files.

:func:`publish` is the only maker of :class:`PublishedCells`, the one type the renderers in
:mod:`geo.outputs` accept; :func:`audit_file` checks a written file from its contents alone.
"""

from geo._lazy import lazy_exports

_PUBLIC = {
    "publish": "geo.privacy.gate", "PublishedCells": "geo.privacy.gate",
    "PublicPost": "geo.privacy.gate", "SuggestedPost": "geo.privacy.gate",
    "ReportInputs": "geo.privacy.gate", "ReportFacts": "geo.privacy.gate",
    "check_published": "geo.privacy.gate", "clean_text": "geo.privacy.gate",
    "DEFAULT_K": "geo.privacy.gate", "MIN_COMMUNITY_K": "geo.privacy.gate",
    "AuditResult": "geo.privacy.audit", "audit_file": "geo.privacy.audit",
}
__all__ = list(_PUBLIC)
__getattr__, __dir__ = lazy_exports(__name__, _PUBLIC)
