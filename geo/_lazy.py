"""Names a package exports, imported from their modules on first use.

``import geo`` (and the command line) then starts quickly: the heavy libraries behind a name
(esda, spopt, matplotlib, OpenDP) load only when it is used.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module


def lazy_exports(package: str, names: dict[str, str]) -> tuple[Callable, Callable]:
    """A module ``__getattr__`` and ``__dir__`` that load ``names`` (name -> module) on use."""

    def get(name: str):
        if name in names:
            return getattr(import_module(names[name]), name)
        msg = f"module {package!r} has no attribute {name!r}"
        raise AttributeError(msg)

    def listing() -> list[str]:
        return sorted(names)

    return get, listing
