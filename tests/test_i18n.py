"""Words in four languages: CLDR plural forms and numbers (Babel), and each language's page
read as a native speaker would first check it: the right script, no English left over, no
command-line text."""

import json
import re

import pytest

from geo._page import MAP_DATA
from geo.i18n import LANGUAGES, TEXT, number, plural_category, t

CYRILLIC = re.compile(r"[\u0400-\u04ff]")
SERBIAN_LATIN = re.compile(r"[čćđšžČĆĐŠŽ]")
LATIN_WORD = re.compile(r"[A-Za-zčćđšžČĆĐŠŽ]{2,}")
FIELD = re.compile(r"\{[a-z_0-9]+\}")
# names, abbreviations and methods a Serbian Cyrillic page writes in Latin letters
TERMS = {"Gi", "H3", "PAI", "PEI", "RRI", "km", "Mann", "Kendall", "Getis", "Ord", "ArcGIS",
         "Pro", "FDR", "MCLP", "PySAL", "spopt", "WDD", "SE", "Gini", "Lorenz", "Moran",
         "Koper", "Benjamini", "Hochberg", "Wheeler", "Ratcliffe", "Bernasco", "Steenbeek",
         "Fisher", "Jenks", "GPS", "OpenDP", "OpenStreetMap", "Laplace", "Poisson", "HiGHS",
         "LP", "et", "al", "HTML"}


@pytest.mark.parametrize(("lang", "forms"), [
    ("en", {1: "1 incident", 2: "2 incidents", 5: "5 incidents", 21: "21 incidents"}),
    ("sr-Latn", {1: "1 incident", 2: "2 incidenta", 5: "5 incidenata", 21: "21 incident",
                 22: "22 incidenta", 111: "111 incidenata"}),
    ("sr-Cyrl", {1: "1 инцидент", 3: "3 инцидента", 11: "11 инцидената", 101: "101 инцидент"}),
    ("sq", {1: "1 incident", 2: "2 incidente", 21: "21 incidente"}),
])
def test_counts_take_the_cldr_plural_form(lang, forms):
    for n, text in forms.items():
        assert t("total_incidents", lang, count=n, n=n) == text


def test_plural_categories_and_numbers_are_cldr():
    assert [plural_category(n, "sr-Cyrl") for n in (0, 1, 2, 4, 5, 12, 21, 24)] == [
        "other", "one", "few", "few", "other", "other", "one", "few"]
    assert [plural_category(n, "sq") for n in (0, 1, 2)] == ["other", "one", "other"]
    assert number(3168, "en", decimals=0) == "3,168"
    assert number(3168, "sr-Cyrl", decimals=0) == "3.168"
    assert number(3168.25, "sr-Latn") == "3.168,2"
    assert number(3168, "sq", decimals=0) == "3\xa0168"
    assert t("report_period", "sr-Latn", count=1, start="a", end="b", days="1") == "a – b, 1 dan"


@pytest.mark.parametrize("key", sorted(TEXT))
def test_every_string_is_in_its_own_script(key):
    texts = TEXT[key]
    cyrillic = [w for w in LATIN_WORD.findall(FIELD.sub("", texts["sr-Cyrl"])) if w not in TERMS]
    assert cyrillic == [], (key, cyrillic)
    assert not CYRILLIC.search(texts["sr-Latn"]), key
    assert not CYRILLIC.search(texts["sq"]) and not SERBIAN_LATIN.search(texts["sq"]), key
    for lang in ("sr-Latn", "sq"):  # nothing longer than a pattern left in English
        english = FIELD.sub("", texts["en"])
        if ("#" not in key  # "1 incident" is Serbian and Albanian too
                and len(english.strip(" –:·,.()")) > 3
                and not set(LATIN_WORD.findall(english)) <= TERMS):
            assert texts[lang] != texts["en"], (key, lang)
    for lang in LANGUAGES:  # a page for a meeting holds no command-line option
        assert not re.search(r"(?<![\w-])--[a-z]", texts[lang]), (key, lang)


def test_each_language_page_holds_its_own_words(published, tmp_path):
    from geo.inputs.context import bundled_context
    from geo.outputs import render_map

    for lang in LANGUAGES:
        text = render_map(published, tmp_path / f"{lang}.html", lang=lang,
                          context=bundled_context()).read_text(encoding="utf-8")
        data = json.loads(MAP_DATA.search(text).group(1))
        assert data["lang"] == lang
        words = data["i18n"][lang]
        assert words["layer_context"] == t("layer_context", lang)
        assert {k for k in words if "#" in k} >= {"total_incidents#one", "total_incidents#few"}
        assert f'<html lang="{lang}">' in text


def test_no_text_key_is_written_twice():
    """A key given twice in one table silently keeps only its last text (another page's
    words on this one): every dict literal in the module names each key once."""
    import ast
    from collections import Counter
    from pathlib import Path

    import geo.i18n

    tree = ast.parse(Path(geo.i18n.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant)]
            twice = [k for k, n in Counter(keys).items() if n > 1]
            assert not twice, f"keys written twice at line {node.lineno}: {twice}"
