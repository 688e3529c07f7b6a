"""Find the columns a table's header uses for position, time, category and unit.

Names are matched after folding case, accents and punctuation, in English, Serbian (Latin and
Cyrillic) and Albanian. A name the user gives (``--lat-col`` and friends) always wins.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from geo._errors import InputError
from geo._text import strip_controls

LAT = ("lat", "latitude", "lat_wgs84", "latitude_wgs84", "geo_lat", "y_wgs84", "sirina",
       "geografska_sirina", "gjeresia", "gjeresia_gjeografike", "широта", "ширина",
       "географска_ширина", "latitud", "breite")
LNG = ("lon", "lng", "long", "longitude", "lon_wgs84", "lng_wgs84", "longitude_wgs84",
       "geo_lon", "geo_lng", "x_wgs84", "duzina", "geografska_duzina", "gjatesia",
       "gjatesia_gjeografike", "дужина", "географска_дужина", "долгота", "longitud", "laenge")
X = ("x", "easting", "east", "x_coord", "xcoord", "coord_x", "point_x", "koord_x",
     "x_koordinata", "e")
Y = ("y", "northing", "north", "y_coord", "ycoord", "coord_y", "point_y", "koord_y",
     "y_koordinata", "n")
WKT = ("wkt", "geometry", "geom", "the_geom", "geometrija", "gjeometria")
DATETIME = ("date_time", "datetime", "timestamp", "time_stamp", "occurred_at", "occurred",
            "reported_at", "event_time", "incident_time", "recorded_at", "gps_time",
            "datum_i_vreme", "datum_vreme", "datum_i_vrijeme", "vreme_dogadjaja",
            "датум_и_време", "data_dhe_ora", "data_ora", "koha_e_ngjarjes")
DATE = ("date", "datum", "data", "датум", "dita", "incident_date", "event_date")
TIME = ("time", "vreme", "vrijeme", "време", "ora", "koha", "hour", "sat", "cas", "čas", "час",
        "сат", "incident_time_of_day", "time_of_day", "hour_of_day", "vreme_dogadjaja_sat",
        "minutes_after_midnight")
_EVENT_WORDS = (
    ("occurrence", "occurred", "occ", "incident", "event", "offense", "offence", "crime",
     "dogadjaja", "dogadjaj", "incidenta", "e_ngjarjes", "ngjarjes", "e_incidentit", "догађаја"),
    ("reported", "report", "rptd", "prijave", "prijavljeno", "raportimit", "e_raportimit"),
)
"""Words that make a date or time column an event's (``occurrencedate``, ``DATE OCC``), most
wanted first: when something happened before when it was reported."""
COUNT = ("count", "counts", "cnt", "n", "broj", "број", "numri", "incident_count",
         "incidents_count", "num_incidents", "n_incidents", "broj_incidenata",
         "numri_i_incidenteve")
DURATION = ("duration", "duration_min", "duration_minutes", "minutes", "mins", "min",
            "time_spent", "minutes_spent", "trajanje", "trajanje_min", "minuta", "трајање",
            "минута", "kohezgjatja", "kohëzgjatja", "minuta_qendrimi", "dwell", "dwell_min")
CATEGORY = ("category", "type", "incident_type", "offence", "offense", "crime_type",
            "crime", "kategorija", "vrsta", "tip", "kategoria", "lloji", "категорија",
            "врста", "тип")
UNIT = ("unit_id", "unit", "vehicle", "vehicle_id", "device", "device_id", "callsign",
        "patrol", "patrol_id", "tracker", "tracker_id", "jedinica", "patrola", "njesia",
        "патрола", "јединица")
POST_NAME = ("name", "post", "post_name", "location", "place", "naziv", "mesto", "emri",
             "vendi", "назив", "место")
POST_ID = ("post_id", "id", "post_no", "fid")
STAFFED_FROM = ("staffed_from", "from", "start", "opens", "open", "shift_start", "od",
                "pocetak", "nga", "fillimi", "од")
STAFFED_TO = ("staffed_to", "to", "end", "closes", "close", "until", "shift_end", "do",
              "kraj", "deri", "mbarimi", "до")
LANGUAGES = ("languages", "language", "langs", "lang", "spoken_languages", "jezici", "jezik",
             "gjuhet", "gjuha", "језици", "језик")
ACTIVE_FROM = ("active_from", "valid_from", "since", "start_date", "aktivan_od")
ACTIVE_TO = ("active_to", "valid_to", "end_date", "aktivan_do")


def fold(name: str) -> str:
    """Fold a column name for matching: lower case, no accents, ``_`` for punctuation.

    >>> fold(" Geografska Širina ")
    'geografska_sirina'
    """
    text = unicodedata.normalize("NFKD", str(name).strip().lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("đ", "dj")
    return re.sub(r"[^\w]+", "_", text).strip("_")


def find_column(
    columns: Iterable[str], names: tuple[str, ...], *, given: str | None = None,
    path: Path | None = None, option: str = "",
) -> str | None:
    """The column named ``given``, else the first column whose folded name is in ``names``."""
    columns = list(columns)
    if given is not None:
        if given in columns:
            return given
        folded = {fold(c): c for c in columns}
        if fold(given) in folded:
            return folded[fold(given)]
        msg = f"{path}: column {given!r} (from {option}) not found; columns are {_shown(columns)}"
        raise InputError(
            msg
        )
    folded = {}
    for column in columns:
        folded.setdefault(fold(column), column)
    for name in names:
        if name in folded:
            return folded[name]
    return None


def find_event_column(columns: Iterable[str], names: tuple[str, ...]) -> str | None:
    """The column named one of ``names``, else one named so with an event word before or after
    it (``occurrencedate``, ``occ_hour``, ``DATE OCC``, ``datum_dogadjaja``); occurrence words
    are preferred to report words.

    >>> find_event_column(["reporteddate", "occurrencedate", "Lat"], DATE)
    'occurrencedate'
    """
    columns = list(columns)
    exact = find_column(columns, names)
    if exact is not None:
        return exact
    wanted = set(names)
    for words in _EVENT_WORDS:
        for column in columns:
            folded = fold(column)
            for word in words:
                for rest in (folded.removeprefix(word), folded.removesuffix(word)):
                    if rest != folded and rest.strip("_") in wanted:
                        return column
    return None


def _shown(columns: list[str]) -> str:
    visible = [c for c in columns if not c.startswith("_")]
    text = ", ".join(repr(c) for c in visible[:20])
    return text + (f" and {len(visible) - 20} more" if len(visible) > 20 else "")


def shown_columns(columns: Iterable[str]) -> str:
    """The columns of a table as an error message lists them."""
    return _shown(list(columns))


_KNOWN = set(LAT + LNG + X + Y + WKT + DATETIME + DATE + TIME + CATEGORY + UNIT
             + STAFFED_FROM + STAFFED_TO + COUNT + DURATION)


def header_row(rows: list[list[object]], *, look: int = 10) -> int:
    """Index of the header among the first rows: the first naming at least two known columns.

    Exports often put a title or a blank line above the header. Returns 0 when no row looks
    like a header (the first row is then taken as it is).

    >>> header_row([["Police report, June"], ["", ""], ["Datum", "Lat", "Lon"], [1, 2, 3]])
    2
    """
    for i, row in enumerate(rows[:look]):
        names = {fold(v) for v in row if isinstance(v, str) and v.strip()}
        if len(names & _KNOWN) >= 2:
            return i
    return 0


def unique_names(names: list[str]) -> list[str]:
    """Column names without controls or direction marks, blank ones named, repeats numbered."""
    seen: dict[str, int] = {}
    out = []
    for i, name in enumerate(names):
        name = strip_controls(name) or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out
