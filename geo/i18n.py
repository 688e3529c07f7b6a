"""Every word patrolmap shows, in English, Serbian (Cyrillic and Latin) and Albanian.

This is the one place translations live. :data:`TEXT` maps a key to its text per language;
``{k}``-style fields are filled by :func:`t`. Category names known from the field have
translations in :data:`CATEGORIES`; others are shown as the data give them.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "TEXT", "CATEGORIES", "t", "category_name", "check_complete"]

LANGUAGES = ("en", "sr-Cyrl", "sr-Latn", "sq")
"""English, Serbian in Cyrillic, Serbian in Latin script, Albanian."""

_L = LANGUAGES

TEXT: dict[str, dict[str, str]] = {
    "title": {
        "en": "{area}: incidents, patrols and gaps",
        "sr-Cyrl": "{area}: инциденти, патроле и празнине",
        "sr-Latn": "{area}: incidenti, patrole i praznine",
        "sq": "{area}: incidente, patrulla dhe boshllëqe",
    },
    "layer_incidents": {"en": "Incidents per cell", "sr-Cyrl": "Инциденти по ћелији",
                        "sr-Latn": "Incidenti po ćeliji", "sq": "Incidente për qelizë"},
    "layer_presence": {"en": "Patrol presence (hours)", "sr-Cyrl": "Присуство патрола (сати)",
                       "sr-Latn": "Prisustvo patrola (sati)",
                       "sq": "Prania e patrullave (orë)"},
    "layer_gaps": {"en": "Coverage gaps", "sr-Cyrl": "Празнине у покривености",
                   "sr-Latn": "Praznine u pokrivenosti", "sq": "Boshllëqe në mbulim"},
    "layer_hotspots": {"en": "Hot spots (Gi*)", "sr-Cyrl": "Жаришта (Gi*)",
                       "sr-Latn": "Žarišta (Gi*)", "sq": "Pika të nxehta (Gi*)"},
    "layer_posts": {"en": "Fixed posts", "sr-Cyrl": "Стални пунктови",
                    "sr-Latn": "Stalni punktovi", "sq": "Poste fikse"},
    "layer_area": {"en": "Study area", "sr-Cyrl": "Подручје анализе",
                   "sr-Latn": "Područje analize", "sq": "Zona e studimit"},
    "band_all": {"en": "All hours", "sr-Cyrl": "Цео дан", "sr-Latn": "Ceo dan",
                 "sq": "Të gjitha orët"},
    "band_day": {"en": "Day", "sr-Cyrl": "Дан", "sr-Latn": "Dan", "sq": "Ditë"},
    "band_evening": {"en": "Evening", "sr-Cyrl": "Вече", "sr-Latn": "Veče", "sq": "Mbrëmje"},
    "band_night": {"en": "Night", "sr-Cyrl": "Ноћ", "sr-Latn": "Noć", "sq": "Natë"},
    "band_weekday": {"en": "Weekdays", "sr-Cyrl": "Радни дани", "sr-Latn": "Radni dani",
                     "sq": "Ditë pune"},
    "band_weekend": {"en": "Weekend", "sr-Cyrl": "Викенд", "sr-Latn": "Vikend",
                     "sq": "Fundjavë"},
    "time_of_day": {"en": "Time", "sr-Cyrl": "Време", "sr-Latn": "Vreme", "sq": "Koha"},
    "language": {"en": "Language", "sr-Cyrl": "Језик", "sr-Latn": "Jezik", "sq": "Gjuha"},
    "fullscreen": {"en": "Full screen", "sr-Cyrl": "Цео екран", "sr-Latn": "Ceo ekran",
                   "sq": "Ekran i plotë"},
    "methods": {"en": "Methods", "sr-Cyrl": "Методе", "sr-Latn": "Metode", "sq": "Metodat"},
    "fewer_than": {"en": "fewer than {k}", "sr-Cyrl": "мање од {k}", "sr-Latn": "manje od {k}",
                   "sq": "më pak se {k}"},
    "not_shown": {"en": "not shown (protects a small count)",
                  "sr-Cyrl": "није приказано (штити мали број)",
                  "sr-Latn": "nije prikazano (štiti mali broj)",
                  "sq": "nuk shfaqet (mbron një numër të vogël)"},
    "noise": {"en": "Counts include random noise for privacy (ε = {eps}).",
              "sr-Cyrl": "Бројеви садрже случајни шум ради приватности (ε = {eps}).",
              "sr-Latn": "Brojevi sadrže slučajni šum radi privatnosti (ε = {eps}).",
              "sq": "Numrat përmbajnë zhurmë të rastësishme për privatësi (ε = {eps})."},
    "by_category": {"en": "Incidents by category, whole area",
                    "sr-Cyrl": "Инциденти по врсти, цело подручје",
                    "sr-Latn": "Incidenti po vrsti, celo područje",
                    "sq": "Incidente sipas llojit, e gjithë zona"},
    "none": {"en": "none", "sr-Cyrl": "нема", "sr-Latn": "nema", "sq": "asnjë"},
    "hot_3": {"en": "Hot spot, 99 % confidence", "sr-Cyrl": "Жариште, 99 % поузданости",
              "sr-Latn": "Žarište, 99 % pouzdanosti", "sq": "Pikë e nxehtë, besueshmëri 99 %"},
    "hot_2": {"en": "Hot spot, 95 % confidence", "sr-Cyrl": "Жариште, 95 % поузданости",
              "sr-Latn": "Žarište, 95 % pouzdanosti", "sq": "Pikë e nxehtë, besueshmëri 95 %"},
    "hot_1": {"en": "Hot spot, 90 % confidence", "sr-Cyrl": "Жариште, 90 % поузданости",
              "sr-Latn": "Žarište, 90 % pouzdanosti", "sq": "Pikë e nxehtë, besueshmëri 90 %"},
    "hot_0": {"en": "Not significant", "sr-Cyrl": "Није значајно", "sr-Latn": "Nije značajno",
              "sq": "Jo domethënëse"},
    "hot_-1": {"en": "Cold spot, 90 % confidence", "sr-Cyrl": "Хладна тачка, 90 % поузданости",
               "sr-Latn": "Hladna tačka, 90 % pouzdanosti",
               "sq": "Pikë e ftohtë, besueshmëri 90 %"},
    "hot_-2": {"en": "Cold spot, 95 % confidence", "sr-Cyrl": "Хладна тачка, 95 % поузданости",
               "sr-Latn": "Hladna tačka, 95 % pouzdanosti",
               "sq": "Pikë e ftohtë, besueshmëri 95 %"},
    "hot_-3": {"en": "Cold spot, 99 % confidence", "sr-Cyrl": "Хладна тачка, 99 % поузданости",
               "sr-Latn": "Hladna tačka, 99 % pouzdanosti",
               "sq": "Pikë e ftohtë, besueshmëri 99 %"},
    "need": {"en": "Need", "sr-Cyrl": "Потреба", "sr-Latn": "Potreba", "sq": "Nevoja"},
    "presence": {"en": "Presence", "sr-Cyrl": "Присуство", "sr-Latn": "Prisustvo",
                 "sq": "Prania"},
    "low": {"en": "low", "sr-Cyrl": "ниска", "sr-Latn": "niska", "sq": "e ulët"},
    "medium": {"en": "medium", "sr-Cyrl": "средња", "sr-Latn": "srednja", "sq": "e mesme"},
    "high": {"en": "high", "sr-Cyrl": "висока", "sr-Latn": "visoka", "sq": "e lartë"},
    "gap_note": {"en": "High need, low presence = gap",
                 "sr-Cyrl": "Висока потреба, ниско присуство = празнина",
                 "sr-Latn": "Visoka potreba, nisko prisustvo = praznina",
                 "sq": "Nevojë e lartë, prani e ulët = boshllëk"},
    "incidents": {"en": "Incidents", "sr-Cyrl": "Инциденти", "sr-Latn": "Incidenti",
                  "sq": "Incidente"},
    "patrol_hours": {"en": "Patrol hours", "sr-Cyrl": "Сати патроле", "sr-Latn": "Sati patrole",
                     "sq": "Orë patrullimi"},
    "post_reach": {"en": "Post, reach {m} m", "sr-Cyrl": "Пункт, домет {m} m",
                   "sr-Latn": "Punkt, domet {m} m", "sq": "Post, rreze {m} m"},
    "staffed": {"en": "Staffed {hours}", "sr-Cyrl": "Дежурство {hours}",
                "sr-Latn": "Dežurstvo {hours}", "sq": "Në shërbim {hours}"},
    "hotspot": {"en": "Hot spot", "sr-Cyrl": "Жариште", "sr-Latn": "Žarište",
                "sq": "Pikë e nxehtë"},
    "coverage": {"en": "Need / presence", "sr-Cyrl": "Потреба / присуство",
                 "sr-Latn": "Potreba / prisustvo", "sq": "Nevoja / prania"},
    "synthetic": {"en": "Synthetic sample data: not real incidents or patrols.",
                  "sr-Cyrl": "Синтетички узорак података: нису стварни инциденти ни патроле.",
                  "sr-Latn": "Sintetički uzorak podataka: nisu stvarni incidenti ni patrole.",
                  "sq": "Të dhëna sintetike shembull: jo incidente apo patrulla të vërteta."},
    "suppressed_note": {
        "en": "Cells with 1–{k1} incidents are shown as “fewer than {k}”.",
        "sr-Cyrl": "Ћелије са 1–{k1} инцидената приказане су као „мање од {k}”.",
        "sr-Latn": "Ćelije sa 1–{k1} incidenata prikazane su kao „manje od {k}”.",
        "sq": "Qelizat me 1–{k1} incidente shfaqen si „më pak se {k}”.",
    },
    "approximate_area": {"en": "The study area outline is approximate.",
                         "sr-Cyrl": "Граница подручја је приближна.",
                         "sr-Latn": "Granica područja je približna.",
                         "sq": "Kufiri i zonës është i përafërt."},
    "period": {"en": "{start} – {end}", "sr-Cyrl": "{start} – {end}",
               "sr-Latn": "{start} – {end}", "sq": "{start} – {end}"},
    "total_incidents": {"en": "{n} incidents", "sr-Cyrl": "{n} инцидената",
                        "sr-Latn": "{n} incidenata", "sq": "{n} incidente"},
    "sparse": {"en": "Counts are sparse: hot spots may not mean much.",
               "sr-Cyrl": "Бројеви су мали: жаришта можда не значе много.",
               "sr-Latn": "Brojevi su mali: žarišta možda ne znače mnogo.",
               "sq": "Numrat janë të pakët: pikat e nxehta mund të mos kenë shumë kuptim."},
    "north": {"en": "N", "sr-Cyrl": "С", "sr-Latn": "S", "sq": "V"},
    "method_cells": {
        "en": "Incidents are counted in H3 hexagons (resolution {res}, about {km2} km² each) "
              "over {days} days.",
        "sr-Cyrl": "Инциденти су бројани у H3 шестоугловима (резолуција {res}, око {km2} km² "
                   "сваки) током {days} дана.",
        "sr-Latn": "Incidenti su brojani u H3 šestouglovima (rezolucija {res}, oko {km2} km² "
                   "svaki) tokom {days} dana.",
        "sq": "Incidentet numërohen në gjashtëkëndësha H3 (rezolucioni {res}, rreth {km2} km² "
              "secili) gjatë {days} ditëve.",
    },
    "method_presence": {
        "en": "Patrol presence: each GPS ping counts until the unit's next ping, at most "
              "{cap} s. Fixed posts cover cells within {reach} m while staffed.",
        "sr-Cyrl": "Присуство патрола: сваки GPS сигнал важи до следећег сигнала исте "
                   "јединице, највише {cap} s. Стални пунктови покривају ћелије до {reach} m "
                   "док су заузети.",
        "sr-Latn": "Prisustvo patrola: svaki GPS signal važi do sledećeg signala iste "
                   "jedinice, najviše {cap} s. Stalni punktovi pokrivaju ćelije do {reach} m "
                   "dok su zauzeti.",
        "sq": "Prania e patrullave: çdo sinjal GPS vlen deri në sinjalin e radhës të së njëjtës "
              "njësi, jo më shumë se {cap} s. Postet fikse mbulojnë qelizat deri në {reach} m "
              "kur janë në shërbim.",
    },
    "method_hotspots": {
        "en": "Hot spots: Getis-Ord Gi* with neighbouring cells, {perms} random permutations "
              "and false discovery rate correction.",
        "sr-Cyrl": "Жаришта: Getis-Ord Gi* са суседним ћелијама, {perms} случајних пермутација "
                   "и корекција стопе лажних открића.",
        "sr-Latn": "Žarišta: Getis-Ord Gi* sa susednim ćelijama, {perms} slučajnih permutacija "
                   "i korekcija stope lažnih otkrića.",
        "sq": "Pikat e nxehta: Getis-Ord Gi* me qelizat fqinje, {perms} ndërrime të rastësishme "
              "dhe korrigjim i shkallës së zbulimeve të rreme.",
    },
    "method_gaps": {
        "en": "Gaps: need (incidents, hot spots) against presence (patrol and post hours), "
              "each split into thirds.",
        "sr-Cyrl": "Празнине: потреба (инциденти, жаришта) наспрам присуства (сати патрола и "
                   "пунктова), свака подељена на трећине.",
        "sr-Latn": "Praznine: potreba (incidenti, žarišta) naspram prisustva (sati patrola i "
                   "punktova), svaka podeljena na trećine.",
        "sq": "Boshllëqet: nevoja (incidente, pika të nxehta) kundrejt pranisë (orë patrullimi "
              "dhe postesh), secila e ndarë në të treta.",
    },
    "restricted": {"en": "Restricted: analyst view, not for publication",
                   "sr-Cyrl": "Ограничено: аналитички приказ, није за објављивање",
                   "sr-Latn": "Ograničeno: analitički prikaz, nije za objavljivanje",
                   "sq": "E kufizuar: pamje analitike, jo për publikim"},
    "ehs_new_hot": {"en": "New hot spot", "sr-Cyrl": "Ново жариште",
                   "sr-Latn": "Novo žarište", "sq": "Pikë e nxehtë e re"},
    "ehs_new_cold": {"en": "New cold spot", "sr-Cyrl": "Нова хладна тачка",
                    "sr-Latn": "Nova hladna tačka", "sq": "Pikë e ftohtë e re"},
    "ehs_consecutive_hot": {"en": "Consecutive hot spot", "sr-Cyrl": "Узастопно жариште",
                   "sr-Latn": "Uzastopno žarište", "sq": "Pikë e nxehtë e njëpasnjëshme"},
    "ehs_consecutive_cold": {"en": "Consecutive cold spot", "sr-Cyrl": "Узастопна хладна тачка",
                    "sr-Latn": "Uzastopna hladna tačka", "sq": "Pikë e ftohtë e njëpasnjëshme"},
    "ehs_intensifying_hot": {"en": "Intensifying hot spot", "sr-Cyrl": "Све јаче жариште",
                   "sr-Latn": "Sve jače žarište", "sq": "Pikë e nxehtë në forcim"},
    "ehs_intensifying_cold": {"en": "Intensifying cold spot", "sr-Cyrl": "Све јача хладна тачка",
                    "sr-Latn": "Sve jača hladna tačka", "sq": "Pikë e ftohtë në forcim"},
    "ehs_persistent_hot": {"en": "Persistent hot spot", "sr-Cyrl": "Трајно жариште",
                   "sr-Latn": "Trajno žarište", "sq": "Pikë e nxehtë e vazhdueshme"},
    "ehs_persistent_cold": {"en": "Persistent cold spot", "sr-Cyrl": "Трајна хладна тачка",
                    "sr-Latn": "Trajna hladna tačka", "sq": "Pikë e ftohtë e vazhdueshme"},
    "ehs_diminishing_hot": {"en": "Diminishing hot spot", "sr-Cyrl": "Све слабије жариште",
                   "sr-Latn": "Sve slabije žarište", "sq": "Pikë e nxehtë në dobësim"},
    "ehs_diminishing_cold": {"en": "Diminishing cold spot", "sr-Cyrl": "Све слабија хладна тачка",
                    "sr-Latn": "Sve slabija hladna tačka", "sq": "Pikë e ftohtë në dobësim"},
    "ehs_sporadic_hot": {"en": "Sporadic hot spot", "sr-Cyrl": "Повремено жариште",
                   "sr-Latn": "Povremeno žarište", "sq": "Pikë e nxehtë sporadike"},
    "ehs_sporadic_cold": {"en": "Sporadic cold spot", "sr-Cyrl": "Повремена хладна тачка",
                    "sr-Latn": "Povremena hladna tačka", "sq": "Pikë e ftohtë sporadike"},
    "ehs_oscillating_hot": {"en": "Oscillating hot spot", "sr-Cyrl": "Променљиво жариште",
                   "sr-Latn": "Promenljivo žarište", "sq": "Pikë e nxehtë e luhatshme"},
    "ehs_oscillating_cold": {"en": "Oscillating cold spot", "sr-Cyrl": "Променљива хладна тачка",
                    "sr-Latn": "Promenljiva hladna tačka", "sq": "Pikë e ftohtë e luhatshme"},
    "ehs_historical_hot": {"en": "Historical hot spot", "sr-Cyrl": "Некадашње жариште",
                   "sr-Latn": "Nekadašnje žarište", "sq": "Pikë e nxehtë historike"},
    "ehs_historical_cold": {"en": "Historical cold spot", "sr-Cyrl": "Некадашња хладна тачка",
                    "sr-Latn": "Nekadašnja hladna tačka", "sq": "Pikë e ftohtë historike"},
    "ehs_none": {"en": "No pattern", "sr-Cyrl": "Без обрасца", "sr-Latn": "Bez obrasca",
                 "sq": "Pa model"},
    "layer_emerging": {"en": "Emerging hot spots", "sr-Cyrl": "Жаришта у настајању",
                       "sr-Latn": "Žarišta u nastajanju", "sq": "Pika të nxehta në zhvillim"},
    "layer_suggested": {"en": "Suggested new posts", "sr-Cyrl": "Предложени нови пунктови",
                        "sr-Latn": "Predloženi novi punktovi", "sq": "Poste të reja të propozuara"},
    "suggested_post": {"en": "Suggested post {rank}: coverage {before} → {after}",
                       "sr-Cyrl": "Предложени пункт {rank}: покривеност {before} → {after}",
                       "sr-Latn": "Predloženi punkt {rank}: pokrivenost {before} → {after}",
                       "sq": "Posti i propozuar {rank}: mbulimi {before} → {after}"},
    "hours_unit": {"en": "h", "sr-Cyrl": "ч", "sr-Latn": "č", "sq": "orë"},
}

CATEGORIES: dict[str, dict[str, str]] = {
    "verbal sexual harassment": {"en": "verbal sexual harassment",
                                 "sr-Cyrl": "вербално сексуално узнемиравање",
                                 "sr-Latn": "verbalno seksualno uznemiravanje",
                                 "sq": "ngacmim seksual verbal"},
    "domestic violence": {"en": "domestic violence", "sr-Cyrl": "насиље у породици",
                          "sr-Latn": "nasilje u porodici", "sq": "dhunë në familje"},
    "fight": {"en": "fight", "sr-Cyrl": "туча", "sr-Latn": "tuča", "sq": "përleshje"},
    "narcotics": {"en": "narcotics", "sr-Cyrl": "наркотици", "sr-Latn": "narkotici",
                  "sq": "narkotikë"},
    "theft": {"en": "theft", "sr-Cyrl": "крађа", "sr-Latn": "krađa", "sq": "vjedhje"},
    "property damage": {"en": "property damage", "sr-Cyrl": "оштећење имовине",
                        "sr-Latn": "oštećenje imovine", "sq": "dëmtim prone"},
}


def t(key: str, lang: str = "en", **fields) -> str:
    """The text for ``key`` in ``lang``, with ``{fields}`` filled.

    >>> t("fewer_than", "sr-Latn", k=5)
    'manje od 5'
    """
    if lang not in LANGUAGES:
        msg = f"language {lang!r} is not one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)
    text = TEXT[key][lang]
    return text.format(**fields) if fields else text


def category_name(name: str, lang: str = "en") -> str:
    """A category's name in ``lang`` when known, else as the data give it."""
    known = CATEGORIES.get(name.strip().casefold())
    return known[lang] if known else name


def check_complete() -> list[str]:
    """Keys missing or empty in any language, as ``"key: lang"`` lines (empty when complete)."""
    missing = []
    for table in (TEXT, CATEGORIES):
        for key, texts in table.items():
            missing.extend(f"{key}: {lang}" for lang in _L if not texts.get(lang, "").strip())
    return missing
