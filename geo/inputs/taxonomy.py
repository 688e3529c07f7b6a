"""The category taxonomy: the only category names a community output may print.

An incident file's category column is free text: it may hold a typo, a local word, or a name
and an address typed into the wrong column. Community outputs therefore never print it; they
print the taxonomy category it matches (by name or alias, ignoring case, accents and
punctuation), or "other". The bundled taxonomy holds the categories the field uses in North
Mitrovica, with their names in the four languages; ``--taxonomy FILE`` gives another, as a
CSV with the columns ``category`` (required), ``en``, ``sr-Cyrl``, ``sr-Latn``, ``sq``,
``sensitive`` (yes/no) and ``aliases`` (separated by ``|``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from geo._errors import InputError
from geo._text import WORD
from geo.i18n import CATEGORIES, LANGUAGES
from geo.inputs._columns import fold

__all__ = ["Taxonomy", "OTHER", "default_taxonomy", "read_taxonomy"]

OTHER = "other"
_SENSITIVE = frozenset({"verbal sexual harassment", "domestic violence"})
_MAX_CATEGORIES = 200


@dataclass(frozen=True)
class Taxonomy:
    """Category keys with their names per language, which are sensitive, and aliases."""

    names: dict[str, dict[str, str]]
    sensitive: frozenset[str]
    aliases: dict[str, str]

    @property
    def keys(self) -> tuple[str, ...]:
        """Every category, ``other`` last."""
        return (*(k for k in self.names if k != OTHER), OTHER)

    def classify(self, text: object) -> str:
        """The taxonomy key a category text matches, or ``other``.

        >>> default_taxonomy().classify(" Tuča "), default_taxonomy().classify("Ana, Ul. 5")
        ('fight', 'other')
        """
        return self.aliases.get(fold(str(text)), OTHER)

    def classify_all(self, texts) -> np.ndarray:
        """:meth:`classify` of every text, each distinct text folded once (a country's ten
        million incidents hold a few dozen category texts).

        >>> default_taxonomy().classify_all(["Tuča", "tuča", None]).tolist()
        ['fight', 'fight', 'other']
        """
        codes, distinct = pd.factorize(pd.Series(texts, dtype=object), use_na_sentinel=True)
        keys = np.array([self.classify(text) for text in distinct] + [OTHER], dtype=object)
        return keys[codes]  # a missing text (code -1) is the last: other

    def label(self, key: str, lang: str = "en") -> str:
        """The category's name in ``lang``."""
        return self.names.get(key, {}).get(lang) or self.names.get(key, {}).get("en") or key


def _build(names: dict[str, dict[str, str]], sensitive, extra_aliases) -> Taxonomy:
    names = dict(names)
    names.setdefault(OTHER, dict(CATEGORIES[OTHER]))
    aliases: dict[str, str] = {}
    for key, texts in names.items():
        for text in (key, *texts.values()):
            aliases.setdefault(fold(text), key)
    for alias, key in extra_aliases:
        aliases.setdefault(fold(alias), key)
    return Taxonomy(names=names, sensitive=frozenset(sensitive), aliases=aliases)


def default_taxonomy() -> Taxonomy:
    """The bundled taxonomy (names from :data:`geo.i18n.CATEGORIES`)."""
    return _build({k: dict(v) for k, v in CATEGORIES.items()}, _SENSITIVE, ())


def read_taxonomy(path: str | Path) -> Taxonomy:
    """A taxonomy from a CSV file (see the module notes)."""
    path = Path(path)
    try:
        text = path.read_bytes()[:1_000_000].decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        msg = f"{path}: cannot read the taxonomy as UTF-8 text ({type(err).__name__})"
        raise InputError(msg) from None
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip() for f in reader.fieldnames or []]
    if "category" not in fields:
        msg = f"{path}: a taxonomy needs a 'category' column; columns are {fields}"
        raise InputError(msg)
    names: dict[str, dict[str, str]] = {}
    sensitive, aliases = set(), []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        key = row.get("category", "")
        if not key:
            msg = f"{path}: row {line}, column category: empty category name"
            raise InputError(msg)
        if len(key) > 60 or any(ch in key for ch in "<>&\"'=@"):
            msg = (f"{path}: row {line}, column category: a category name is a short word "
                   "(at most 60 characters, no markup or formula characters)")
            raise InputError(msg)
        names[key] = {lang: row.get(lang) or key for lang in LANGUAGES}
        for column, name in [("category", key)] + [(lang, names[key][lang]) for lang in LANGUAGES]:
            if not WORD.match(name):
                msg = (f"{path}: row {line}, column {column}: {name[:40]!r} is not a category "
                       "word (letters, digits, spaces and - . , ' ( ) / only)")
                raise InputError(msg)
        if row.get("sensitive", "").casefold() in ("yes", "y", "1", "true", "da", "po"):
            sensitive.add(key)
        aliases += [(a, key) for a in row.get("aliases", "").split("|") if a.strip()]
        if len(names) > _MAX_CATEGORIES:
            msg = f"{path}: more than {_MAX_CATEGORIES} categories; a taxonomy is a short list"
            raise InputError(msg)
    if not names:
        msg = f"{path}: the taxonomy lists no category"
        raise InputError(msg)
    return _build(names, sensitive, aliases)
