"""Text from input files made fit to travel: no control, format or direction characters.

One cleaning for every room: the inputs clean category names, unit ids and headers with it,
and the privacy gate cleans every text that reaches a page with it (renderers still escape).
"""

from __future__ import annotations

import re

__all__ = ["CONTROL", "WORD", "clean_text", "strip_controls"]

CONTROL = re.compile(
    "["
    "\u0000-\u0008\u000b-\u001f\u007f-\u009f"  # C0 and C1 controls (tab and newline are spaces)
    "\u061c"  # Arabic letter mark
    "\u180e"  # Mongolian vowel separator (an invisible format character)
    "\u200b-\u200f"  # zero-width space, joiners, left-to-right and right-to-left marks
    "\u2028-\u2029"  # line and paragraph separators
    "\u202a-\u202e"  # embeddings and overrides
    "\u2060-\u206f"  # word joiner, invisible operators, isolates (U+2066-9), deprecated formats
    "\ufeff"  # byte order mark
    "\ufff9-\ufffb"  # interlinear annotation
    "]"
)
"""Characters removed from any text the tool carries: controls and every Unicode bidi control
and mark (U+061C, U+200E/F, U+202A-E, U+2066-9), with the invisible format characters."""


WORD = re.compile(r"^[\w\s\-–.,'’()/&]{1,80}$")
"""A category name a community file may print: letters, digits, spaces and plain punctuation
(no markup, formula, math or quote characters beyond the apostrophe)."""


def strip_controls(text: object) -> str:
    r"""The text without :data:`CONTROL` characters and with its runs of white space as one
    space, trimmed; no length limit (for names and categories read from files).

    >>> strip_controls("fi\u200eght \u061c\u2067theft\u2069\t")
    'fight theft'
    """
    return " ".join(CONTROL.sub("", str(text)).split())


def clean_text(text: object, *, limit: int = 200) -> str:
    r"""Text fit for a page: no control or direction characters, at most ``limit`` characters.

    >>> clean_text("\u202eevil\u202c  name\n")
    'evil name'
    """
    cleaned = strip_controls(text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def first_line(err: Exception) -> str:
    """A library's error as a short line (it names what failed; the file's text stays out)."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    text = strip_controls(text)
    return text if len(text) <= 120 else text[:117] + "..."
