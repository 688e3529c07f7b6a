"""Every word patrolmap shows, in English, Serbian (Cyrillic and Latin) and Albanian.

This is the one place translations live. :data:`TEXT` maps a key to its text per language;
``{k}``-style fields are filled by :func:`t`. Category names known from the field have
translations in :data:`CATEGORIES`; others are shown as the data give them.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["LANGUAGES", "TEXT", "REPORT_TEXT", "CATEGORIES", "t", "category_name",
           "check_complete", "to_latin", "to_cyrillic", "number", "REASONS", "reason_text",
           "month_name"]

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
    "layer_presence": {"en": "Patrol and post hours, where officers are",
                       "sr-Cyrl": "Сати патрола и пунктова, где су полицајци",
                       "sr-Latn": "Sati patrola i punktova, gde su policajci",
                       "sq": "Orë patrullash dhe postesh, ku janë policët"},
    "layer_gaps": {"en": "Coverage gaps", "sr-Cyrl": "Празнине у покривености",
                   "sr-Latn": "Praznine u pokrivenosti", "sq": "Boshllëqe në mbulim"},
    "layer_hotspots": {"en": "Hot spots (Gi*)", "sr-Cyrl": "Жаришта (Gi*)",
                       "sr-Latn": "Žarišta (Gi*)", "sq": "Pika të nxehta (Gi*)"},
    "layer_posts": {"en": "Fixed posts", "sr-Cyrl": "Стални пунктови",
                    "sr-Latn": "Stalni punktovi", "sq": "Poste fikse"},
    "layer_context": {"en": "River, streets and landmarks", "sr-Cyrl": "Река, улице и знаменитости",
                      "sr-Latn": "Reka, ulice i znamenitosti",
                      "sq": "Lumi, rrugët dhe pikat e njohura"},
    "ctx_water": {"en": "River and water", "sr-Cyrl": "Река и вода", "sr-Latn": "Reka i voda",
                  "sq": "Lumi dhe ujërat"},
    "ctx_streets": {"en": "Streets", "sr-Cyrl": "Улице", "sr-Latn": "Ulice", "sq": "Rrugët"},
    "ctx_synthetic": {"en": "Streets of the synthetic sample (not real streets)",
                      "sr-Cyrl": "Улице синтетичког узорка (нису стварне улице)",
                      "sr-Latn": "Ulice sintetičkog uzorka (nisu stvarne ulice)",
                      "sq": "Rrugët e mostrës sintetike (jo rrugë të vërteta)"},
    "ctx_landmarks": {"en": "Landmarks", "sr-Cyrl": "Знаменитости", "sr-Latn": "Znamenitosti",
                      "sq": "Pikat e njohura"},
    "not_staffed_band": {"en": "Not staffed in this time band (drawn hollow)",
                         "sr-Cyrl": "Нема дежурства у овом добу дана (празан круг)",
                         "sr-Latn": "Nema dežurstva u ovom dobu dana (prazan krug)",
                         "sq": "Pa shërbim në këtë pjesë të ditës (rreth bosh)"},
    "near_place": {"en": "near {place}", "sr-Cyrl": "близу: {place}", "sr-Latn": "blizu: {place}",
                   "sq": "pranë: {place}"},
    "col_place": {"en": "Near", "sr-Cyrl": "Близу", "sr-Latn": "Blizu", "sq": "Pranë"},
    "overview_note": {"en": "Incidents per cell, all hours (darker is more; grey: fewer than {k}), "
                             "with the river, landmarks and fixed posts.",
                      "sr-Cyrl": "Инциденти по ћелији, цео дан (тамније је више; сиво: мање "
                                 "од {k}), са реком, знаменитостима и сталним пунктовима.",
                      "sr-Latn": "Incidenti po ćeliji, ceo dan (tamnije je više; sivo: manje "
                                 "od {k}), sa rekom, znamenitostima i stalnim punktovima.",
                      "sq": "Incidente për qelizë, të gjitha orët (më e errët është më shumë; gri: "
                            "më pak se {k}), me lumin, pikat e njohura dhe postet fikse."},
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
    # the month slider
    "month": {"en": "Month", "sr-Cyrl": "Месец", "sr-Latn": "Mesec", "sq": "Muaji"},
    "whole_period": {"en": "Whole period", "sr-Cyrl": "Цео период", "sr-Latn": "Ceo period",
                     "sq": "E gjithë periudha"},
    "month_play": {"en": "Play the months", "sr-Cyrl": "Пусти месеце редом",
                   "sr-Latn": "Pusti mesece redom", "sq": "Shfaq muajt me radhë"},
    "month_pause": {"en": "Pause", "sr-Cyrl": "Заустави", "sr-Latn": "Zaustavi",
                    "sq": "Ndalo"},
    "month_whole_only": {"en": "This layer shows the whole period",
                         "sr-Cyrl": "Овај слој приказује цео период",
                         "sr-Latn": "Ovaj sloj prikazuje ceo period",
                         "sq": "Kjo shtresë tregon të gjithë periudhën"},
    "month_day_only": {"en": "Incidents per month: whole day only",
                       "sr-Cyrl": "Инциденти по месецима: само цео дан",
                       "sr-Latn": "Incidenti po mesecima: samo ceo dan",
                       "sq": "Incidentet sipas muajve: vetëm gjithë dita"},
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
    "noise": {"en": "Counts include random noise for privacy (ε = {eps}): no count tells "
                    "whether any one incident is in the data. Patrol presence has no noise.",
              "sr-Cyrl": "Бројеви садрже случајни шум ради приватности (ε = {eps}): ниједан "
                         "број не открива да ли је неки појединачни инцидент у подацима. "
                         "Присуство патрола нема шум.",
              "sr-Latn": "Brojevi sadrže slučajni šum radi privatnosti (ε = {eps}): nijedan "
                         "broj ne otkriva da li je neki pojedinačni incident u podacima. "
                         "Prisustvo patrola nema šum.",
              "sq": "Numrat përmbajnë zhurmë të rastësishme për privatësi (ε = {eps}): asnjë "
                    "numër nuk tregon nëse një incident i vetëm është në të dhëna. Prania e "
                    "patrullave nuk ka zhurmë."},
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
    "patrol_hours": {"en": "Patrol and post hours", "sr-Cyrl": "Сати патрола и пунктова",
                     "sr-Latn": "Sati patrola i punktova", "sq": "Orë patrullash dhe postesh"},
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
              "{cap} s. A fixed post's staffed hours count once, in the post's own cell; it "
              "covers the cells within {reach} m while staffed.",
        "sr-Cyrl": "Присуство патрола: сваки GPS сигнал важи до следећег сигнала исте "
                   "јединице, највише {cap} s. Сати сталног пункта рачунају се једном, у "
                   "ћелији пункта; пункт покрива ћелије до {reach} m док је заузет.",
        "sr-Latn": "Prisustvo patrola: svaki GPS signal važi do sledećeg signala iste "
                   "jedinice, najviše {cap} s. Sati stalnog punkta računaju se jednom, u "
                   "ćeliji punkta; punkt pokriva ćelije do {reach} m dok je zauzet.",
        "sq": "Prania e patrullave: çdo sinjal GPS vlen deri në sinjalin e radhës të së njëjtës "
              "njësi, jo më shumë se {cap} s. Orët e një posti fiks numërohen një herë, në "
              "qelizën e postit; posti mbulon qelizat deri në {reach} m kur është në shërbim.",
    },
    "method_hotspots": {
        "en": "Hot spots: Getis-Ord Gi* of each cell with its neighbours, tested as in ArcGIS "
              "Pro (z-score, normal p-value, false discovery rate correction).",
        "sr-Cyrl": "Жаришта: Getis-Ord Gi* сваке ћелије са суседима, тестирано као у ArcGIS "
                   "Pro (z-вредност, нормална p-вредност, корекција стопе лажних открића).",
        "sr-Latn": "Žarišta: Getis-Ord Gi* svake ćelije sa susedima, testirano kao u ArcGIS "
                   "Pro (z-vrednost, normalna p-vrednost, korekcija stope lažnih otkrića).",
        "sq": "Pikat e nxehta: Getis-Ord Gi* i çdo qelize me fqinjët, testuar si në ArcGIS Pro "
              "(vlera z, vlera p normale, korrigjim i shkallës së zbulimeve të rreme).",
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
    "layer_clusters": {"en": "Clusters and outliers (Local Moran)",
                       "sr-Cyrl": "Кластери и изузеци (локални Моран)",
                       "sr-Latn": "Klasteri i izuzeci (lokalni Moran)",
                       "sq": "Grupime dhe përjashtime (Moran lokal)"},
    "lisa_high-high": {"en": "High among high", "sr-Cyrl": "Високо међу високим",
                       "sr-Latn": "Visoko među visokim", "sq": "E lartë mes të lartave"},
    "lisa_low-low": {"en": "Low among low", "sr-Cyrl": "Ниско међу ниским",
                     "sr-Latn": "Nisko među niskim", "sq": "E ulët mes të ulëtave"},
    "lisa_high-low": {"en": "High among low (outlier)", "sr-Cyrl": "Високо међу ниским (изузетак)",
                      "sr-Latn": "Visoko među niskim (izuzetak)",
                      "sq": "E lartë mes të ulëtave (përjashtim)"},
    "lisa_low-high": {"en": "Low among high (outlier)", "sr-Cyrl": "Ниско међу високим (изузетак)",
                      "sr-Latn": "Nisko među visokim (izuzetak)",
                      "sq": "E ulët mes të lartave (përjashtim)"},
    "lisa_not significant": {"en": "Not significant", "sr-Cyrl": "Није значајно",
                             "sr-Latn": "Nije značajno", "sq": "Jo domethënëse"},
    "layer_emerging": {"en": "Emerging hot spots", "sr-Cyrl": "Жаришта у настајању",
                       "sr-Latn": "Žarišta u nastajanju", "sq": "Pika të nxehta në zhvillim"},
    "layer_suggested": {"en": "Suggested new posts", "sr-Cyrl": "Предложени нови пунктови",
                        "sr-Latn": "Predloženi novi punktovi", "sq": "Poste të reja të propozuara"},
    # the map's reported visits, rates and language coverage, and which coverage it shows
    "layer_visits": {"en": "Reported patrol visits per cell",
                     "sr-Cyrl": "Пријављене посете патрола по ћелији",
                     "sr-Latn": "Prijavljene posete patrola po ćeliji",
                     "sq": "Vizita të raportuara të patrullave për qelizë"},
    "visits_tip": {"en": "Reported patrol visits: {n}", "sr-Cyrl": "Пријављене посете патрола: {n}",
                   "sr-Latn": "Prijavljene posete patrola: {n}",
                   "sq": "Vizita të raportuara të patrullave: {n}"},
    "visits_note": {"en": "Visits patrols reported, counted by cell: patrol data, not incidents.",
                    "sr-Cyrl": "Посете које су патроле пријавиле, бројане по ћелији: подаци о "
                               "патролама, не инциденти.",
                    "sr-Latn": "Posete koje su patrole prijavile, brojane po ćeliji: podaci o "
                               "patrolama, ne incidenti.",
                    "sq": "Vizitat që patrullat raportuan, të numëruara për qelizë: të dhëna "
                          "patrullimi, jo incidente."},
    "layer_rates": {"en": "Incidents per 1,000 residents (smoothed)",
                    "sr-Cyrl": "Инциденти на 1.000 становника (изглађено)",
                    "sr-Latn": "Incidenti na 1.000 stanovnika (izglađeno)",
                    "sq": "Incidente për 1 000 banorë (të zbutura)"},
    "rate_tip": {"en": "{rate} per 1,000 residents; {residents} residents",
                 "sr-Cyrl": "{rate} на 1.000 становника; {residents} становника",
                 "sr-Latn": "{rate} na 1.000 stanovnika; {residents} stanovnika",
                 "sq": "{rate} për 1 000 banorë; {residents} banorë"},
    "rate_no_residents": {"en": "No residents: no rate", "sr-Cyrl": "Нема становника: нема стопе",
                          "sr-Latn": "Nema stanovnika: nema stope",
                          "sq": "Pa banorë: pa normë"},
    "rate_caveat": {
        "en": "Residents are the wrong denominator at night and for visitors: the people about "
              "then are visitors, workers and night-life, not the residents asleep at home. "
              "Where few people live, a rate is pulled towards the area's rate.",
        "sr-Cyrl": "Становници су погрешан именилац ноћу и за посетиоце: тада су напољу "
                   "посетиоци, радници и ноћни живот, а не становници који спавају код куће. "
                   "Где живи мало људи, стопа је приближена стопи целог подручја.",
        "sr-Latn": "Stanovnici su pogrešan imenilac noću i za posetioce: tada su napolju "
                   "posetioci, radnici i noćni život, a ne stanovnici koji spavaju kod kuće. "
                   "Gde živi malo ljudi, stopa je približena stopi celog područja.",
        "sq": "Banorët janë emëruesi i gabuar natën dhe për vizitorët: atëherë jashtë janë "
              "vizitorë, punëtorë dhe jeta e natës, jo banorët që flenë në shtëpi. Ku jetojnë "
              "pak njerëz, norma afrohet me normën e gjithë zonës.",
    },
    "layer_language": {"en": "Reach of posts whose officers speak {language}",
                       "sr-Cyrl": "Домет пунктова са полицајцима који говоре {language}",
                       "sr-Latn": "Domet punktova sa policajcima koji govore {language}",
                       "sq": "Rrezja e posteve me policë që flasin {language}"},
    "language_tip": {"en": "Within reach of a post with officers who speak {language}",
                     "sr-Cyrl": "У домету пункта са полицајцима који говоре {language}",
                     "sr-Latn": "U dometu punkta sa policajcima koji govore {language}",
                     "sq": "Brenda rrezes së një posti me policë që flasin {language}"},
    "language_share": {
        "en": "Within reach of a post with officers who speak {language}, {band}: {share} of "
              "incidents",
        "sr-Cyrl": "У домету пункта са полицајцима који говоре {language}, {band}: {share} "
                   "инцидената",
        "sr-Latn": "U dometu punkta sa policajcima koji govore {language}, {band}: {share} "
                   "incidenata",
        "sq": "Brenda rrezes së një posti me policë që flasin {language}, {band}: {share} e "
              "incidenteve",
    },
    "language_share_hidden": {
        "en": "Within reach of a post with officers who speak {language}, {band}: share of "
              "incidents not shown",
        "sr-Cyrl": "У домету пункта са полицајцима који говоре {language}, {band}: удео "
                   "инцидената није приказан",
        "sr-Latn": "U dometu punkta sa policajcima koji govore {language}, {band}: udeo "
                   "incidenata nije prikazan",
        "sq": "Brenda rrezes së një posti me policë që flasin {language}, {band}: pjesa e "
              "incidenteve nuk shfaqet",
    },
    "suggested_name": {"en": "Suggested post {rank}", "sr-Cyrl": "Предложени пункт {rank}",
                       "sr-Latn": "Predloženi punkt {rank}", "sq": "Posti i propozuar {rank}"},
    "suggested_coverage": {
        "en": "Coverage by fixed posts, {band}: share of incidents within {m} m of a post",
        "sr-Cyrl": "Покривеност сталним пунктовима, {band}: удео инцидената до {m} m од пункта",
        "sr-Latn": "Pokrivenost stalnim punktovima, {band}: udeo incidenata do {m} m od punkta",
        "sq": "Mbulimi nga postet fikse, {band}: pjesa e incidenteve deri në {m} m nga një post",
    },
    "suggested_change": {"en": "+{rank}: {before} → {after}",
                         "sr-Cyrl": "+{rank}: {before} → {after}",
                         "sr-Latn": "+{rank}: {before} → {after}",
                         "sq": "+{rank}: {before} → {after}"},
    "gap_tip": {"en": "Need / presence (patrol and post hours), {band}",
                "sr-Cyrl": "Потреба / присуство (сати патрола и пунктова), {band}",
                "sr-Latn": "Potreba / prisustvo (sati patrola i punktova), {band}",
                "sq": "Nevoja / prania (orë patrullash dhe postesh), {band}"},
    "gap_presence": {"en": "Presence: patrol and post hours, {band}",
                     "sr-Cyrl": "Присуство: сати патрола и пунктова, {band}",
                     "sr-Latn": "Prisustvo: sati patrola i punktova, {band}",
                     "sq": "Prania: orë patrullash dhe postesh, {band}"},
    "suggested_post": {"en": "Suggested post {rank}: coverage {before} → {after}",
                       "sr-Cyrl": "Предложени пункт {rank}: покривеност {before} → {after}",
                       "sr-Latn": "Predloženi punkt {rank}: pokrivenost {before} → {after}",
                       "sq": "Posti i propozuar {rank}: mbulimi {before} → {after}"},
    "hours_unit": {"en": "h", "sr-Cyrl": "ч", "sr-Latn": "č", "sq": "orë"},
    # the planner's report: residents, reported visits, coverage in a language
    "sec_rates": {
        "en": "Incidents per 1,000 residents",
        "sr-Cyrl": "Инциденти на 1.000 становника",
        "sr-Latn": "Incidenti na 1.000 stanovnika",
        "sq": "Incidente për 1 000 banorë",
    },
    "rates_note": {
        "en": "Smoothed by empirical Bayes: a cell where few people live gives a wild raw rate (2 "
              "incidents among 3 residents would be 667 per 1,000), so each cell's rate is pulled "
              "toward the area's rate, the more so the fewer its residents. Cells where nobody "
              "lives have no rate; hidden counts enter at a fixed stand-in. The cells with the "
              "highest rates, per time band:",
        "sr-Cyrl": "Изглађено емпиријским Бајесом: ћелија у којој живи мало људи даје нестабилну "
                   "сирову стопу (2 инцидента на 3 становника била би 667 на 1.000), па се стопа "
                   "сваке ћелије привлачи ка стопи подручја, утолико више што има мање становника."
                   " Ћелије у којима нико не живи немају стопу; скривени бројеви улазе са сталном "
                   "заменском вредношћу. Ћелије са највишом стопом, по периоду дана:",
        "sr-Latn": "Izglađeno empirijskim Bajesom: ćelija u kojoj živi malo ljudi daje nestabilnu "
                   "sirovu stopu (2 incidenta na 3 stanovnika bila bi 667 na 1.000), pa se stopa "
                   "svake ćelije privlači ka stopi područja, utoliko više što ima manje "
                   "stanovnika. Ćelije u kojima niko ne živi nemaju stopu; skriveni brojevi ulaze "
                   "sa stalnom zamenskom vrednošću. Ćelije sa najvišom stopom, po periodu dana:",
        "sq": "Të zbutura me metodën empirike të Bayes: një qelizë ku jetojnë pak njerëz jep një "
              "normë të papërpunuar të paqëndrueshme (2 incidente mes 3 banorëve do të ishin 667 "
              "për 1 000), prandaj norma e çdo qelize tërhiqet drejt normës së zonës, aq më shumë "
              "sa më pak banorë ka. Qelizat ku nuk jeton askush nuk kanë normë; numrat e fshehur "
              "hyjnë me një vlerë zëvendësuese të fiksuar. Qelizat me normat më të larta, sipas "
              "brezit kohor:",
    },
    "rates_caveat": {
        "en": "Residents are the wrong denominator at night and for places people visit (the "
              "market, the bus station, the centre): the people about then are visitors and "
              "workers, not the residents at home. These rates show where incidents are many for "
              "the people who live there, not where a passer-by runs the most risk.",
        "sr-Cyrl": "Становници су погрешан именилац ноћу и за места која људи посећују (пијаца, "
                   "аутобуска станица, центар): тада су напољу посетиоци и запослени, а не "
                   "становници код куће. Ове стопе показују где је много инцидената за оне који ту"
                   " живе, а не где пролазник највише ризикује.",
        "sr-Latn": "Stanovnici su pogrešan imenilac noću i za mesta koja ljudi posećuju (pijaca, "
                   "autobuska stanica, centar): tada su napolju posetioci i zaposleni, a ne "
                   "stanovnici kod kuće. Ove stope pokazuju gde je mnogo incidenata za one koji tu"
                   " žive, a ne gde prolaznik najviše rizikuje.",
        "sq": "Banorët janë emëruesi i gabuar natën dhe për vendet që njerëzit i vizitojnë (tregu,"
              " stacioni i autobusëve, qendra): njerëzit përreth atëherë janë vizitorë dhe "
              "punëtorë, jo banorët në shtëpi. Këto norma tregojnë ku incidentet janë të shumta "
              "për ata që jetojnë aty, jo ku një kalimtar rrezikon më shumë.",
    },
    "rates_none": {
        "en": "No cell where people live had incidents.",
        "sr-Cyrl": "Ниједна ћелија у којој људи живе није имала инциденте.",
        "sr-Latn": "Nijedna ćelija u kojoj ljudi žive nije imala incidente.",
        "sq": "Asnjë qelizë ku jetojnë njerëz nuk pati incidente.",
    },
    "col_residents": {
        "en": "Residents",
        "sr-Cyrl": "Становници",
        "sr-Latn": "Stanovnici",
        "sq": "Banorë",
    },
    "col_rate_eb": {
        "en": "Per 1,000 residents (smoothed)",
        "sr-Cyrl": "На 1.000 становника (изглађено)",
        "sr-Latn": "Na 1.000 stanovnika (izglađeno)",
        "sq": "Për 1 000 banorë (e zbutur)",
    },
    "sec_visits": {
        "en": "Reported patrol visits",
        "sr-Cyrl": "Пријављене патролне посете",
        "sr-Latn": "Prijavljene patrolne posete",
        "sq": "Vizita të raportuara të patrullave",
    },
    "report_visits_note": {
        "en": "Reported patrol visits, from patrol reports and counted in patrol presence with the"
              " GPS pings, per time band: {totals}.",
        "sr-Cyrl": "Пријављене патролне посете, из извештаја патрола и урачунате у присуство "
                   "патрола уз GPS сигнале, по периоду дана: {totals}.",
        "sr-Latn": "Prijavljene patrolne posete, iz izveštaja patrola i uračunate u prisustvo "
                   "patrola uz GPS signale, po periodu dana: {totals}.",
        "sq": "Vizitat e raportuara të patrullave, nga raportet e patrullave dhe të numëruara në "
              "praninë e patrullave së bashku me sinjalet GPS, sipas brezit kohor: {totals}.",
    },
    "visits_top": {
        "en": "The cells with the most reported visits ({band}):",
        "sr-Cyrl": "Ћелије са највише пријављених посета ({band}):",
        "sr-Latn": "Ćelije sa najviše prijavljenih poseta ({band}):",
        "sq": "Qelizat me më shumë vizita të raportuara ({band}):",
    },
    "language_sr": {
        "en": "Serbian",
        "sr-Cyrl": "српски",
        "sr-Latn": "srpski",
        "sq": "serbisht",
    },
    "language_sq": {
        "en": "Albanian",
        "sr-Cyrl": "албански",
        "sr-Latn": "albanski",
        "sq": "shqip",
    },
    "language_en": {
        "en": "English",
        "sr-Cyrl": "енглески",
        "sr-Latn": "engleski",
        "sq": "anglisht",
    },
    "language_bs": {
        "en": "Bosnian",
        "sr-Cyrl": "босански",
        "sr-Latn": "bosanski",
        "sq": "boshnjakisht",
    },
    "language_tr": {
        "en": "Turkish",
        "sr-Cyrl": "турски",
        "sr-Latn": "turski",
        "sq": "turqisht",
    },
    "sec_language": {
        "en": "Within reach of officers who speak {language}",
        "sr-Cyrl": "У домету полицајаца који говоре {language}",
        "sr-Latn": "U dometu policajaca koji govore {language}",
        "sq": "Në shtrirjen e policëve që flasin {language}",
    },
    "language_note": {
        "en": "Per time band: the share of incidents in covered cells (where patrols regularly "
              "are, or within {m} m of a fixed post staffed in the band) beside the share within "
              "{m} m of a fixed post staffed in the band by officers who speak {language}. It "
              "measures how far a promise of officers who speak {language} at key points is kept: "
              "where the second share is much lower, a resident who speaks {language} is less "
              "likely to find an officer nearby to talk to.",
        "sr-Cyrl": "По периоду дана: удео инцидената у покривеним ћелијама (где су патроле "
                   "редовно, или до {m} m од сталног пункта заузетог у том периоду) поред удела до"
                   " {m} m од сталног пункта на коме су у том периоду полицајци који говоре "
                   "{language}. То мери колико је испуњено обећање о полицајцима који говоре "
                   "{language} на кључним местима: где је други удео много мањи, становник који "
                   "говори {language} ређе ће у близини наћи полицајца са којим може да разговара.",
        "sr-Latn": "Po periodu dana: udeo incidenata u pokrivenim ćelijama (gde su patrole "
                   "redovno, ili do {m} m od stalnog punkta zauzetog u tom periodu) pored udela do"
                   " {m} m od stalnog punkta na kome su u tom periodu policajci koji govore "
                   "{language}. To meri koliko je ispunjeno obećanje o policajcima koji govore "
                   "{language} na ključnim mestima: gde je drugi udeo mnogo manji, stanovnik koji "
                   "govori {language} ređe će u blizini naći policajca sa kojim može da razgovara.",
        "sq": "Për çdo brez kohor: pjesa e incidenteve në qelizat e mbuluara (ku patrullat janë "
              "rregullisht, ose brenda {m} m nga një post fiks në shërbim në atë brez) krahas "
              "pjesës brenda {m} m nga një post fiks në shërbim në atë brez me policë që flasin "
              "{language}. Kjo mat sa mbahet premtimi për policë që flasin {language} në pika "
              "kyçe: ku pjesa e dytë është shumë më e ulët, një banor që flet {language} ka më pak"
              " gjasa të gjejë afër një polic me të cilin të flasë.",
    },
    "col_coverage_lang": {
        "en": "Within reach of a post with officers who speak {language}",
        "sr-Cyrl": "У домету пункта са полицајцима који говоре {language}",
        "sr-Latn": "U dometu punkta sa policajcima koji govore {language}",
        "sq": "Në shtrirjen e një posti me policë që flasin {language}",
    },
    "col_cells_lang": {
        "en": "Cells within reach of those posts",
        "sr-Cyrl": "Ћелије у домету тих пунктова",
        "sr-Latn": "Ćelije u dometu tih punktova",
        "sq": "Qeliza në shtrirjen e këtyre posteve",
    },
    "chart_coverage": {
        "en": "Share of the band's incidents covered",
        "sr-Cyrl": "Удео покривених инцидената у периоду",
        "sr-Latn": "Udeo pokrivenih incidenata u periodu",
        "sq": "Pjesa e incidenteve të mbuluara të brezit",
    },
    "coverage_hidden": {
        "en": "Not shown: the incidents behind that share are fewer than {k}, or the share would "
              "give a hidden count back with the other published numbers.",
        "sr-Cyrl": "Није приказано: инцидената иза тог удела има мање од {k}, или би удео уз "
                   "остале објављене бројеве открио скривени број.",
        "sr-Latn": "Nije prikazano: incidenata iza tog udela ima manje od {k}, ili bi udeo uz "
                   "ostale objavljene brojeve otkrio skriveni broj.",
        "sq": "Nuk shfaqet: incidentet pas asaj pjese janë më pak se {k}, ose pjesa do të zbulonte"
              " një numër të fshehur së bashku me numrat e tjerë të publikuar.",
    },
    "siting_note_posts": {
        "en": "Maximal covering location model: existing posts stay, each new post reaches {m} m, "
              "and the aim is to cover the most incidents of the band ({band}). Coverage here is "
              "the share of the band's incidents within {m} m of a fixed post, whatever its "
              "staffed hours; patrols are not counted. Coverage by existing posts: {base}.",
        "sr-Cyrl": "Модел максималног покривања: постојећи пунктови остају, сваки нови досеже {m} "
                   "m, а циљ је покрити највише инцидената у периоду ({band}). Покривеност овде је"
                   " удео инцидената тог периода до {m} m од сталног пункта, без обзира на сате "
                   "дежурства; патроле се не рачунају. Покривеност постојећим пунктовима: {base}.",
        "sr-Latn": "Model maksimalnog pokrivanja: postojeći punktovi ostaju, svaki novi doseže {m}"
                   " m, a cilj je pokriti najviše incidenata u periodu ({band}). Pokrivenost ovde "
                   "je udeo incidenata tog perioda do {m} m od stalnog punkta, bez obzira na sate "
                   "dežurstva; patrole se ne računaju. Pokrivenost postojećim punktovima: {base}.",
        "sq": "Modeli i mbulimit maksimal: postet ekzistuese mbeten, çdo post i ri arrin {m} m, "
              "dhe synimi është të mbulohen sa më shumë incidente të brezit ({band}). Mbulimi këtu"
              " është pjesa e incidenteve të brezit brenda {m} m nga një post fiks, pavarësisht "
              "orëve të shërbimit; patrullat nuk numërohen. Mbulimi nga postet ekzistuese: {base}.",
    },
    "col_coverage_posts": {
        "en": "{band}: within reach of a post, after",
        "sr-Cyrl": "{band}: у домету пункта, после",
        "sr-Latn": "{band}: u dometu punkta, posle",
        "sq": "{band}: në shtrirjen e një posti, pas",
    },
    "sec_change_none": {
        "en": "Before and after a change",
        "sr-Cyrl": "Пре и после промене",
        "sr-Latn": "Pre i posle promene",
        "sq": "Para dhe pas një ndryshimi",
    },
    "bands_lead": {
        "en": "The same per time band (coverage: the band's incidents where patrols regularly "
              "are or a post staffed in the band is within reach):",
        "sr-Cyrl": "Исто по периоду дана (покривеност: инциденти периода где су патроле редовно "
                   "или је у домету пункт заузет у том периоду):",
        "sr-Latn": "Isto po periodu dana (pokrivenost: incidenti perioda gde su patrole redovno "
                   "ili je u dometu punkt zauzet u tom periodu):",
        "sq": "E njëjta sipas brezit kohor (mbulimi: incidentet e brezit ku patrullat janë "
              "rregullisht ose ku një post në shërbim në atë brez është në shtrirje):",
    },
    "method_coverage": {
        "en": "Coverage in a time band: the share of the band's incidents in covered cells, that "
              "is cells patrols are in regularly in that band (GPS pings and reported visits) or "
              "within {reach} m of a fixed post staffed at some time in the band. Coverage in a "
              "language counts only posts whose officers speak it; the new posts' coverage counts "
              "fixed posts only, whatever their hours.",
        "sr-Cyrl": "Покривеност у периоду дана: удео инцидената тог периода у покривеним ћелијама,"
                   " тј. ћелијама у којима су патроле редовно у том периоду (GPS сигнали и "
                   "пријављене посете) или до {reach} m од сталног пункта заузетог у неко време "
                   "тог периода. Покривеност на неком језику рачуна само пунктове чији полицајци "
                   "говоре тај језик; покривеност нових пунктова рачуна само сталне пунктове, без "
                   "обзира на сате.",
        "sr-Latn": "Pokrivenost u periodu dana: udeo incidenata tog perioda u pokrivenim ćelijama,"
                   " tj. ćelijama u kojima su patrole redovno u tom periodu (GPS signali i "
                   "prijavljene posete) ili do {reach} m od stalnog punkta zauzetog u neko vreme "
                   "tog perioda. Pokrivenost na nekom jeziku računa samo punktove čiji policajci "
                   "govore taj jezik; pokrivenost novih punktova računa samo stalne punktove, bez "
                   "obzira na sate.",
        "sq": "Mbulimi në një brez kohor: pjesa e incidenteve të brezit në qelizat e mbuluara, pra"
              " qelizat ku patrullat janë rregullisht në atë brez (sinjale GPS dhe vizita të "
              "raportuara) ose brenda {reach} m nga një post fiks në shërbim në ndonjë kohë të "
              "brezit. Mbulimi në një gjuhë numëron vetëm postet, policët e të cilave e flasin "
              "atë; mbulimi i posteve të reja numëron vetëm postet fikse, pavarësisht orëve.",
    },
}

_CYRILLIC_TO_LATIN = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ђ": "đ", "е": "e", "ж": "ž", "з": "z",
    "и": "i", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m", "н": "n", "њ": "nj", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "ć", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "č", "џ": "dž", "ш": "š", "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Ђ": "Đ",
    "Е": "E", "Ж": "Ž", "З": "Z", "И": "I", "Ј": "J", "К": "K", "Л": "L", "Љ": "Lj", "М": "M",
    "Н": "N", "Њ": "Nj", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T", "Ћ": "Ć", "У": "U",
    "Ф": "F", "Х": "H", "Ц": "C", "Ч": "Č", "Џ": "Dž", "Ш": "Š"})


def to_latin(text: str) -> str:
    """Serbian Cyrillic written in Serbian Latin script (one letter for one, as the standard
    alphabets pair them).

    >>> to_latin("Ноћна жаришта у Северној Митровици")
    'Noćna žarišta u Severnoj Mitrovici'
    """
    return text.translate(_CYRILLIC_TO_LATIN)


_LATIN_TO_CYRILLIC = {latin: cyrillic for cyrillic, latin in
                      ((chr(c), chr(c).translate(_CYRILLIC_TO_LATIN)) for c in _CYRILLIC_TO_LATIN)}
_LATIN_TO_CYRILLIC.update({"LJ": "Љ", "NJ": "Њ", "DŽ": "Џ"})
_SERBIAN_LATIN = re.compile("(?:" + "|".join(sorted(map(re.escape, _LATIN_TO_CYRILLIC),
                                                     key=len, reverse=True)) + ")")


_ROMAN = re.compile(r"[IVXLCDM]+")  # "Kralja Petra I": numerals stay Latin in Cyrillic text
_ROMAN_OR_LETTERS = re.compile(r"[^\W\d_]+")


def to_cyrillic(text: str) -> str | None:
    """Serbian Latin written in Serbian Cyrillic; None when the text holds a letter the Serbian
    Latin alphabet has not (q, w, x, y, ë, ç...), so is not Serbian.

    >>> to_cyrillic("Bolnica Kosovska Mitrovica"), to_cyrillic("Njegoševa"), to_cyrillic("Ibër")
    ('Болница Косовска Митровица', 'Његошева', None)
    >>> to_cyrillic("Kralja Petra I")
    'Краља Петра I'
    """
    text = unicodedata.normalize("NFC", text)
    letters = _SERBIAN_LATIN.sub("", text)
    if any(ch.isalpha() for ch in letters):
        return None
    return _ROMAN_OR_LETTERS.sub(lambda word: word[0] if _ROMAN.fullmatch(word[0]) else
                                 _SERBIAN_LATIN.sub(lambda found: _LATIN_TO_CYRILLIC[found[0]],
                                                    word[0]), text)


def _w(en: str, sr: str, sq: str) -> dict[str, str]:
    """A text in English, Serbian Cyrillic (Latin derived from it) and Albanian."""
    return {"en": en, "sr-Cyrl": sr, "sr-Latn": to_latin(sr), "sq": sq}


REPORT_TEXT: dict[str, dict[str, str]] = {
    "report_title": _w("{area}: planner's report", "{area}: извештај за планере",
                       "{area}: raport për planifikuesit"),
    "report_period": _w("{start} – {end}, {days} days", "{start} – {end}, {days} дана",
                        "{start} – {end}, {days} ditë"),
    "report_map_note": _w(
        "The interactive map of the same data is the HTML file beside this report.",
        "Интерактивна мапа истих података је HTML датотека поред овог извештаја.",
        "Harta interaktive e të njëjtave të dhëna është skedari HTML pranë këtij raporti."),
    "sec_headline": _w("Headline figures", "Кључни подаци", "Shifrat kryesore"),
    "fig_incidents": _w("Incidents, {band}", "Инциденти, {band}", "Incidente, {band}"),
    "fig_cells": _w("Hexagon cells in the study area", "Шестоугаоних ћелија у подручју",
                    "Qeliza gjashtëkëndore në zonë"),
    "fig_hot_cells": _w("Hot spot cells, {band} (90 % or more)",
                        "Ћелије жаришта, {band} (90 % или више)",
                        "Qeliza me pika të nxehta, {band} (90 % e më shumë)"),
    "fig_gap_cells": _w("Gap cells, {band} (high need, low presence)",
                        "Ћелије празнина, {band} (висока потреба, мало присуство)",
                        "Qeliza boshllëku, {band} (nevojë e lartë, prani e ulët)"),
    "fig_coverage": _w("Incidents in cells covered by patrols or posts, {band}",
                       "Инциденти у ћелијама које покривају патроле или пунктови, {band}",
                       "Incidente në qeliza të mbuluara nga patrullat ose postet, {band}"),
    "fig_half": _w("Share of cells holding half of all incidents",
                   "Удео ћелија са половином свих инцидената",
                   "Pjesa e qelizave me gjysmën e të gjitha incidenteve"),
    "fig_gini": _w("Concentration (Gini, 0 = even, 1 = all in one cell)",
                   "Концентрација (Gini, 0 = равномерно, 1 = све у једној ћелији)",
                   "Përqendrimi (Gini, 0 = njëtrajtshëm, 1 = gjithçka në një qelizë)"),
    "sec_when": _w("When: incidents and patrol presence by hour and weekday",
                   "Када: инциденти и присуство патрола по сату и дану",
                   "Kur: incidentet dhe prania e patrullave sipas orës dhe ditës"),
    "when_note": _w(
        "Darker means more. Hatched squares are hidden to protect small counts. Patrol hours "
        "are the average per week, GPS patrols and staffed posts together.",
        "Тамније значи више. Шрафирана поља су скривена да би се заштитили мали бројеви. "
        "Сати патрола су просек по недељи, GPS патроле и пунктови заједно.",
        "Më e errët do të thotë më shumë. Katrorët me viza janë fshehur për të mbrojtur numrat "
        "e vegjël. Orët e patrullimit janë mesatarja javore, patrullat GPS dhe postet së "
        "bashku."),
    "chart_incidents": _w("Incidents", "Инциденти", "Incidente"),
    "chart_patrol": _w("Patrol hours per week", "Сати патрола недељно",
                       "Orë patrullimi në javë"),
    "chart_hours": _w("Share per hour of the day: where the lines part, need and presence "
                      "do not match", "Удео по сату: где се линије размичу, потреба и "
                      "присуство се не поклапају", "Pjesa për çdo orë: ku vijat ndahen, "
                      "nevoja dhe prania nuk përputhen"),
    "share_incidents": _w("Share of incidents", "Удео инцидената", "Pjesa e incidenteve"),
    "share_patrol": _w("Share of patrol time", "Удео времена патроле",
                       "Pjesa e kohës së patrullimit"),
    "hour": _w("Hour", "Сат", "Ora"),
    "day_0": _w("Mon", "пон", "Hën"), "day_1": _w("Tue", "уто", "Mar"),
    "day_2": _w("Wed", "сре", "Mër"), "day_3": _w("Thu", "чет", "Enj"),
    "day_4": _w("Fri", "пет", "Pre"), "day_5": _w("Sat", "суб", "Sht"),
    "day_6": _w("Sun", "нед", "Die"),
    "sec_where": _w("Where: how concentrated incidents are", "Где: колико су инциденти "
                    "концентрисани", "Ku: sa të përqendruara janë incidentet"),
    "lorenz_note": _w(
        "Lorenz curve: the share of incidents in the busiest share of cells. The further the "
        "curve bows from the diagonal, the more a few places matter.",
        "Лоренцова крива: удео инцидената у најоптерећенијем уделу ћелија. Што је крива даље "
        "од дијагонале, то је неколико места важније.",
        "Kurba e Lorencit: pjesa e incidenteve në pjesën më të ngarkuar të qelizave. Sa më "
        "larg diagonales, aq më shumë kanë rëndësi disa vende."),
    "share_cells": _w("Share of cells, busiest first", "Удео ћелија, најоптерећеније прво",
                      "Pjesa e qelizave, më të ngarkuarat së pari"),
    "even_line": _w("Even spread", "Равномерно", "Shpërndarje e njëtrajtshme"),
    "pai_line": _w("Predictive accuracy index of the busiest 5 / 10 / 20 % of the area: "
                   "{a} / {b} / {c}.",
                   "Индекс тачности предвиђања за најоптерећенијих 5 / 10 / 20 % подручја: "
                   "{a} / {b} / {c}.",
                   "Indeksi i saktësisë së parashikimit për 5 / 10 / 20 % më të ngarkuar të "
                   "zonës: {a} / {b} / {c}."),
    "sec_gaps": _w("Top gap cells, {band}", "Главне празнине, {band}",
                   "Boshllëqet kryesore, {band}"),
    "gaps_note": _w(
        "Cells with high need and low patrol presence, most incidents first; the numbers are "
        "the map's. The small map shows where each lies.",
        "Ћелије са високом потребом и малим присуством патрола, прво оне са највише "
        "инцидената; бројеви су исти као на мапи. Мала мапа показује где је која.",
        "Qeliza me nevojë të lartë dhe prani të ulët patrullimi, së pari ato me më shumë "
        "incidente; numrat janë ata të hartës. Harta e vogël tregon ku ndodhet secila."),
    "no_gaps": _w("No gap cells in this band.", "Нема празнина у овом периоду.",
                  "Nuk ka boshllëqe në këtë brez kohor."),
    "no_patrol": _w("No patrol data were given: presence and gaps are unknown.",
                    "Нису дати подаци о патролама: присуство и празнине нису познати.",
                    "Nuk u dhanë të dhëna patrullimi: prania dhe boshllëqet janë të panjohura."),
    "col_rank": _w("#", "#", "#"),
    "col_cell": _w("Cell (H3)", "Ћелија (H3)", "Qeliza (H3)"),
    "col_incidents": _w("Incidents", "Инциденти", "Incidente"),
    "col_patrol_hours": _w("Patrol hours", "Сати патрола", "Orë patrullimi"),
    "col_hot": _w("Hot spot", "Жариште", "Pikë e nxehtë"),
    "sec_change": _w("Before and after {date}", "Пре и после {date}", "Para dhe pas {date}"),
    "change_note": _w(
        "Incidents per 30 days before ({before} days) and after ({after} days), with 95 % "
        "intervals. p: exact test that the rate stayed the same. Cells up / down: cells whose "
        "change is significant after false discovery rate correction.",
        "Инциденти на 30 дана пре ({before} дана) и после ({after} дана), са интервалима од "
        "95 %. p: тачан тест да је стопа остала иста. Ћелије горе / доле: ћелије чија је "
        "промена значајна после корекције стопе лажних открића.",
        "Incidente për 30 ditë para ({before} ditë) dhe pas ({after} ditë), me intervale 95 %. "
        "p: testi i saktë që norma mbeti e njëjtë. Qeliza lart / poshtë: qeliza ndryshimi i të "
        "cilave është i rëndësishëm pas korrigjimit të shkallës së zbulimeve të rreme."),
    "no_change": _w("No change date was given, so before and after are not compared.",
                    "Датум промене није задат, па пре и после нису поређени.",
                    "Nuk u dha datë ndryshimi, prandaj para dhe pas nuk krahasohen."),
    "emerging_left_out": _w(
        "Left out of this community report: emerging hot spot patterns are worked out from "
        "each cell's incidents month by month, and those counts are mostly too small to "
        "publish safely. The analyst view has them.",
        "Изостављено из овог извештаја за заједницу: нови и трајни обрасци жаришта рачунају "
        "се из инцидената сваке ћелије по месецима, а ти бројеви су углавном премали да би се "
        "безбедно објавили. Аналитички приказ их садржи.",
        "Mbetur jashtë këtij raporti për komunitetin: modelet e pikave të nxehta që shfaqen "
        "llogariten nga incidentet e çdo qelize muaj pas muaji, dhe këta numra janë kryesisht "
        "shumë të vegjël për t'u publikuar në mënyrë të sigurt. Pamja e analistit i ka."),
    "noisy_left_out": _w(
        "Left out: with added noise, before/after figures and post gains would need exact "
        "counts.",
        "Изостављено: уз додати шум, подаци пре/после и добит од пунктова захтевали би тачне "
        "бројеве.",
        "Lënë jashtë: me zhurmën e shtuar, shifrat para/pas dhe fitimet nga postet do të "
        "kërkonin numra të saktë."),
    "col_band": _w("Time band", "Период", "Brezi kohor"),
    "col_before": _w("Before", "Пре", "Para"),
    "col_after": _w("After", "После", "Pas"),
    "col_rate": _w("Per 30 days, before → after", "На 30 дана, пре → после",
                   "Për 30 ditë, para → pas"),
    "col_ratio": _w("Ratio", "Однос", "Raporti"),
    "col_p": _w("p", "p", "p"),
    "col_cells_updown": _w("Cells up / down", "Ћелије горе / доле", "Qeliza lart / poshtë"),
    "too_few": _w("too few to compare", "премало за поређење", "shumë pak për krahasim"),
    "chart_rates": _w("Incidents per 30 days with 95 % intervals",
                      "Инциденти на 30 дана са интервалима од 95 %",
                      "Incidente për 30 ditë me intervale 95 %"),
    "sec_wdd": _w("Did incidents just move? Weighted displacement difference",
                  "Да ли су се инциденти само преместили? Пондерисана разлика померања",
                  "A thjesht u zhvendosën incidentet? Diferenca e ponderuar e zhvendosjes"),
    "wdd_note": _w(
        "Target: {target} ({cells} cells). Buffer: the {buffer} cells around it, where "
        "incidents could move. Control: the rest of the area, scaled to the target's and the "
        "buffer's counts before. WDD below 0 means fewer incidents in target and buffer than "
        "the control predicts; SE is its standard error.",
        "Циљ: {target} ({cells} ћелија). Појас: {buffer} ћелија око њега, куда би се "
        "инциденти могли преместити. Контрола: остатак подручја, сразмерно бројевима циља и "
        "појаса пре. WDD испод 0 значи мање инцидената у циљу и појасу него што контрола "
        "предвиђа; SE је његова стандардна грешка.",
        "Objektivi: {target} ({cells} qeliza). Brezi: {buffer} qelizat përreth tij, ku "
        "incidentet mund të zhvendosen. Kontrolli: pjesa tjetër e zonës, në përpjesëtim me "
        "numrat e objektivit dhe brezit më parë. WDD nën 0 do të thotë më pak incidente në "
        "objektiv dhe brez nga sa parashikon kontrolli; SE është gabimi i tij standard."),
    "wdd_target_posts": _w("cells within {m} m of the posts active from {date}",
                           "ћелије до {m} m од пунктова активних од {date}",
                           "qelizat brenda {m} m nga postet aktive që nga {date}"),
    "col_target": _w("Target before → after", "Циљ пре → после", "Objektivi para → pas"),
    "col_buffer": _w("Buffer before → after", "Појас пре → после", "Brezi para → pas"),
    "col_control": _w("Control before → after", "Контрола пре → после",
                      "Kontrolli para → pas"),
    "col_wdd": _w("WDD ± SE", "WDD ± SE", "WDD ± SE"),
    "col_reading": _w("Reading", "Тумачење", "Leximi"),
    "wdd_fewer": _w("fewer than expected", "мање од очекиваног", "më pak se e pritshmja"),
    "wdd_more": _w("more than expected", "више од очекиваног", "më shumë se e pritshmja"),
    "wdd_chance": _w("within chance", "у границама случаја", "brenda rastësisë"),
    "sec_emerging": _w("What is getting worse: emerging hot spots",
                       "Шта се погоршава: жаришта у настајању",
                       "Çfarë po përkeqësohet: pika të nxehta në zhvillim"),
    "emerging_note": _w(
        "Gi* in each of {n} time slices and a Mann-Kendall trend per cell, classified as in "
        "the emerging hot spot method. Cells per pattern:",
        "Gi* у сваком од {n} временских одсечака и Mann-Kendall тренд по ћелији, разврстано "
        "као у методи жаришта у настајању. Ћелије по обрасцу:",
        "Gi* në secilën nga {n} periudhat kohore dhe trendi Mann-Kendall për qelizë, të "
        "klasifikuara si në metodën e pikave të nxehta në zhvillim. Qeliza sipas modelit:"),
    "col_pattern": _w("Pattern", "Образац", "Modeli"),
    "col_cells": _w("Cells", "Ћелије", "Qeliza"),
    "sec_siting": _w("Where the next posts help most, {band}",
                     "Где би следећи пунктови највише помогли, {band}",
                     "Ku ndihmojnë më shumë postet e ardhshme, {band}"),
    "col_post": _w("New post", "Нови пункт", "Post i ri"),
    "col_where": _w("Location (lat, lng)", "Локација (шир., дуж.)",
                    "Vendndodhja (gjer., gjat.)"),
    "col_gain": _w("Incidents added", "Додатно покривених инцидената", "Incidente të shtuara"),
    "sec_quality": _w("Data quality", "Квалитет података", "Cilësia e të dhënave"),
    "quality_note": _w(
        "Every row read is either accepted or rejected with a reason; rejected rows are "
        "listed in the rejects files for the analyst.",
        "Сваки прочитани ред је прихваћен или одбијен уз разлог; одбијени редови су наведени "
        "у датотекама одбијених редова за аналитичара.",
        "Çdo rresht i lexuar ose pranohet ose refuzohet me një arsye; rreshtat e refuzuar "
        "renditen në skedarët e refuzimeve për analistin."),
    "col_file": _w("File", "Датотека", "Skedari"),
    "col_kind": _w("Kind", "Врста", "Lloji"),
    "col_read": _w("Rows read", "Прочитано редова", "Rreshta të lexuar"),
    "col_accepted": _w("Accepted", "Прихваћено", "Të pranuar"),
    "col_rejected": _w("Rejected", "Одбијено", "Të refuzuar"),
    "col_reasons": _w("Why rejected", "Зашто одбијено", "Pse u refuzuan"),
    "kind_incidents": _w("incidents", "инциденти", "incidente"),
    "kind_pings": _w("patrol pings", "GPS сигнали патрола", "sinjale GPS të patrullave"),
    "kind_posts": _w("fixed posts", "стални пунктови", "poste fikse"),
    "intervals_note": _w(
        "Ping intervals: {a} up to 10 s, {b} 10–30 s, {c} 30–60 s, {d} from 60 s to the cap, "
        "{e} over the {cap} s cap (each counted as {cap} s, so presence there is understated).",
        "Интервали сигнала: {a} до 10 s, {b} 10–30 s, {c} 30–60 s, {d} од 60 s до границе, "
        "{e} преко границе од {cap} s (сваки се рачуна као {cap} s, па је присуство ту "
        "потцењено).",
        "Intervalet e sinjaleve: {a} deri në 10 s, {b} 10–30 s, {c} 30–60 s, {d} nga 60 s deri "
        "te kufiri, {e} mbi kufirin prej {cap} s (secili numërohet si {cap} s, ndaj prania "
        "atje është nënvlerësuar)."),
    "sec_methods": _w("Methods and references", "Методе и литература",
                      "Metodat dhe referencat"),
    "method_change": _w(
        "Before/after: exact conditional binomial test of equal rates per band and cell, with "
        "false discovery rate correction over cells; weighted displacement difference for the "
        "target area.",
        "Пре/после: тачан условни биномни тест једнаких стопа по периоду и ћелији, са "
        "корекцијом стопе лажних открића; пондерисана разлика померања за циљно подручје.",
        "Para/pas: test i saktë binomial i kushtëzuar i normave të barabarta për brez dhe "
        "qelizë, me korrigjim të shkallës së zbulimeve të rreme; diferenca e ponderuar e "
        "zhvendosjes për zonën objektiv."),
    "method_siting": _w(
        "New posts: maximal covering location problem solved exactly (PySAL spopt), existing "
        "posts fixed.",
        "Нови пунктови: проблем максималног покривања решен тачно (PySAL spopt), постојећи "
        "пунктови фиксни.",
        "Poste të reja: problemi i mbulimit maksimal i zgjidhur saktë (PySAL spopt), postet "
        "ekzistuese të fiksuara."),
    "method_privacy": _w(
        "Privacy: counts of 1 to {k1} are shown as fewer than {k}, and further values are "
        "hidden where a total would give them back. No point, address or note is in this "
        "report.",
        "Приватност: бројеви од 1 до {k1} приказани су као мање од {k}, а даље вредности су "
        "скривене где би их неки збир открио. У извештају нема тачака, адреса ни белешки.",
        "Privatësia: numrat nga 1 deri në {k1} shfaqen si më pak se {k}, dhe vlera të tjera "
        "fshihen kur një shumë do t'i zbulonte. Në këtë raport nuk ka pika, adresa apo "
        "shënime."),
    "unknown": _w("unknown", "непознато", "e panjohur"),
    "locator_note": _w(
        "Red: the gap cells by rank. Black dots in dashed circles: fixed posts and their reach. "
        "Green stars: suggested new posts (P1, P2 ...).",
        "Црвено: празнине по рангу. Црне тачке у испрекиданим круговима: стални пунктови и "
        "њихов домет. Зелене звезде: предложени нови пунктови (P1, P2 ...).",
        "E kuqe: boshllëqet sipas renditjes. Pikat e zeza në rrathë me vija: postet fikse dhe "
        "shtrirja e tyre. Yjet e gjelbër: postet e reja të sugjeruara (P1, P2 ...)."),
    "not_shown_short": _w("not shown", "није приказано", "nuk shfaqet"),
    "wdd_hidden": _w("not shown: its area totals would give a hidden cell count back",
                     "није приказано: збирови подручја открили би скривени број у ћелији",
                     "nuk shfaqet: shumat e zonave do të zbulonin një numër të fshehur "
                     "qelize"),
    "col_hot_cells": _w("Hot spot cells", "Ћелије жаришта", "Qeliza të nxehta"),
    "col_gap_cells": _w("Gap cells", "Ћелије празнина", "Qeliza boshllëku"),
    "col_coverage_band": _w("Coverage (patrols or posts)", "Покривеност (патроле или пунктови)",
                            "Mbulimi (patrulla ose poste)"),
    "col_half": _w("Cells with half the incidents", "Ћелије са пола инцидената",
                   "Qeliza me gjysmën e incidenteve"),
    "col_gini": _w("Gini", "Gini", "Gini"),
    "no_times_note": _w(
        "Times of day were not used: all hours are shown together; time bands, "
        "the weekday × hour grid, hour charts, emerging hot spots and before/after are left "
        "out.",
        "Доба дана није коришћено: сви сати су приказани заједно; периоди дана, "
        "мрежа дан × сат, графикони по сатима, жаришта у настајању и поређење пре/после су "
        "изостављени.",
        "Ora e ditës nuk u përdor: të gjitha orët shfaqen së bashku; brezat "
        "kohorë, rrjeta ditë × orë, grafikët sipas orës, pikat e nxehta në zhvillim dhe "
        "krahasimi para/pas janë lënë jashtë."),
    "sec_no_times": _w("Left out: what needs a time of day",
                       "Изостављено: оно што захтева доба дана",
                       "Lënë jashtë: çfarë kërkon orën e ditës"),
    "no_times_left_out": _w(
        "The incident records give no time of day, so nothing in this report depends on one: "
        "there are no day, evening or night bands, no weekday × hour grid or hour chart, no "
        "emerging hot spots (they need time slices) and no before/after comparison.",
        "Записи о инцидентима не дају доба дана, па ништа у овом извештају не зависи од њега: "
        "нема дневног, вечерњег ни ноћног периода, мреже дан × сат ни графикона по сатима, "
        "жаришта у настајању (потребни су временски одсечци) ни поређења пре/после.",
        "Të dhënat e incidenteve nuk japin orën e ditës, ndaj asgjë në këtë raport nuk varet "
        "prej saj: nuk ka breza dite, mbrëmjeje apo nate, as rrjetë ditë × orë apo grafik "
        "sipas orës, as pika të nxehta në zhvillim (duhen periudha kohore) dhe as krahasim "
        "para/pas."),
    "kind_patrol_points": _w("reported patrol visits", "пријављене патролне посете",
                             "vizita të raportuara të patrullave"),
    "col_outside": _w("Outside the period", "Ван периода", "Jashtë periudhës"),
}
"""The planner's report's words."""

REASONS: dict[str, dict[str, str]] = {
    "missing geometry": _w("missing geometry", "нема геометрије", "mungon gjeometria"),
    "geometry is not a point": _w("geometry is not a point", "геометрија није тачка",
                                  "gjeometria nuk është pikë"),
    "missing latitude": _w("missing latitude", "нема географске ширине",
                           "mungon gjerësia gjeografike"),
    "missing longitude": _w("missing longitude", "нема географске дужине",
                            "mungon gjatësia gjeografike"),
    "latitude is not a number": _w("latitude is not a number", "ширина није број",
                                   "gjerësia nuk është numër"),
    "longitude is not a number": _w("longitude is not a number", "дужина није број",
                                    "gjatësia nuk është numër"),
    "missing x coordinate": _w("missing x coordinate", "нема x координате",
                               "mungon koordinata x"),
    "missing y coordinate": _w("missing y coordinate", "нема y координате",
                               "mungon koordinata y"),
    "x is not a number": _w("x is not a number", "x није број", "x nuk është numër"),
    "y is not a number": _w("y is not a number", "y није број", "y nuk është numër"),
    "geometry is not a WKT point": _w("geometry is not a WKT point",
                                      "геометрија није WKT тачка",
                                      "gjeometria nuk është pikë WKT"),
    "latitude and longitude look swapped": _w(
        "latitude and longitude look swapped", "ширина и дужина изгледају замењено",
        "gjerësia dhe gjatësia duken të ndërruara"),
    "latitude out of range (-90..90)": _w("latitude out of range (-90..90)",
                                          "ширина ван опсега (-90..90)",
                                          "gjerësia jashtë kufijve (-90..90)"),
    "longitude out of range (-180..180)": _w("longitude out of range (-180..180)",
                                             "дужина ван опсега (-180..180)",
                                             "gjatësia jashtë kufijve (-180..180)"),
    "coordinates are 0, 0 (no position)": _w("coordinates are 0, 0 (no position)",
                                             "координате су 0, 0 (нема положаја)",
                                             "koordinatat janë 0, 0 (pa pozicion)"),
    "outside the study area": _w("outside the study area", "ван подручја анализе",
                                 "jashtë zonës së studimit"),
    "missing date or time": _w("missing date or time", "нема датума или времена",
                               "mungon data ose ora"),
    "time is not a date and time": _w("time is not a date and time",
                                      "време није датум и час",
                                      "koha nuk është datë dhe orë"),
    "time of day missing (date only)": _w("time of day missing (date only)",
                                          "нема доба дана (само датум)",
                                          "mungon ora e ditës (vetëm data)"),
    "time is in the future": _w("time is in the future", "време је у будућности",
                                "koha është në të ardhmen"),
    "missing unit id": _w("missing unit id", "нема ознаке јединице",
                          "mungon identifikuesi i njësisë"),
    "duplicate ping (same unit and time)": _w(
        "duplicate ping (same unit and time)", "двоструки сигнал (иста јединица и време)",
        "sinjal i dyfishtë (e njëjta njësi dhe kohë)"),
    "staffed hour is not a time like 18:00": _w(
        "staffed hour is not a time like 18:00", "сат дежурства није време као 18:00",
        "ora e shërbimit nuk është kohë si 18:00"),
    "not a date like 2025-05-29": _w("not a date like 2025-05-29",
                                     "није датум као 2025-05-29",
                                     "nuk është datë si 2025-05-29"),
    "row has more fields than the header": _w(
        "row has more fields than the header", "ред има више поља од заглавља",
        "rreshti ka më shumë fusha se koka"),
    "missing date": _w("missing date", "нема датума", "mungon data"),
    "date is not a date": _w("date is not a date", "датум није датум",
                             "data nuk është datë"),
    "missing time of day": _w("missing time of day", "нема доба дана", "mungon ora e ditës"),
    "hour is not a whole number 0-23": _w("hour is not a whole number 0-23",
                                          "сат није цео број 0-23",
                                          "ora nuk është numër i plotë 0-23"),
    "time of day is not HHMM like 2130": _w("time of day is not HHMM like 2130",
                                            "доба дана није ЧЧММ као 2130",
                                            "ora e ditës nuk është OOMM si 2130"),
    "minutes after midnight are not 0-1439": _w(
        "minutes after midnight are not 0-1439", "минути после поноћи нису 0-1439",
        "minutat pas mesnatës nuk janë 0-1439"),
    "time of day is not a clock time like 21:35": _w(
        "time of day is not a clock time like 21:35", "доба дана није време као 21:35",
        "ora e ditës nuk është kohë si 21:35"),
    "time zone name instead of an offset like +01:00": _w(
        "time zone name instead of an offset like +01:00",
        "назив временске зоне уместо помака као +01:00",
        "emër i zonës kohore në vend të zhvendosjes si +01:00"),
    "UTC offset out of range (-12:00 to +14:00)": _w(
        "UTC offset out of range (-12:00 to +14:00)",
        "помак од UTC ван опсега (-12:00 до +14:00)",
        "zhvendosja nga UTC jashtë kufijve (-12:00 deri +14:00)"),
    "day and month cannot be told apart (the column writes both orders)": _w(
        "day and month cannot be told apart (the column writes both orders)",
        "дан и месец се не могу разликовати (колона пише оба редоследа)",
        "dita dhe muaji nuk dallohen (kolona shkruan të dy renditjet)"),
    "missing count": _w("missing count", "нема броја", "mungon numri"),
    "count is not a number": _w("count is not a number", "број није број",
                                "numri nuk është numër"),
    "count is negative": _w("count is negative", "број је негативан", "numri është negativ"),
    "count is not a whole number": _w("count is not a whole number", "број није цео број",
                                      "numri nuk është numër i plotë"),
    "count is implausibly large (over 1,000,000)": _w(
        "count is implausibly large (over 1,000,000)",
        "број је невероватно велик (преко 1.000.000)",
        "numri është tepër i madh (mbi 1.000.000)"),
    "duplicate visit (same unit, time and place)": _w(
        "duplicate visit (same unit, time and place)",
        "двострука посета (иста јединица, време и место)",
        "vizitë e dyfishtë (e njëjta njësi, kohë dhe vend)"),
    "duration is not a number of minutes": _w("duration is not a number of minutes",
                                              "трајање није број минута",
                                              "kohëzgjatja nuk është numër minutash"),
    "duration is not positive": _w("duration is not positive", "трајање није позитивно",
                                   "kohëzgjatja nuk është pozitive"),
    "duration is longer than a day": _w("duration is longer than a day",
                                        "трајање је дуже од дана",
                                        "kohëzgjatja është më e gjatë se një ditë"),
}
"""Why a row was rejected, as the checks say it in English, in every language."""


def reason_text(reason: str, lang: str = "en") -> str:
    """A reject reason in ``lang`` when known, else as the checks give it.

    >>> reason_text("outside the study area", "sq")
    'jashtë zonës së studimit'
    """
    known = REASONS.get(reason)
    return known[lang] if known else reason


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
    "other": {"en": "other", "sr-Cyrl": "остало", "sr-Latn": "ostalo", "sq": "tjetër"},
}


TEXT.update(REPORT_TEXT)


def _plural(forms: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Plural forms by CLDR category as ``key#category`` entries, every language complete:
    a language without a category (English has no ``few``) takes its ``other`` form."""
    out = {}
    for category in ("one", "few"):
        out[category] = {lang: texts.get(category, texts["other"]) for lang, texts in forms.items()}
    out["other"] = {lang: texts["other"] for lang, texts in forms.items()}
    return out


def _sr(one: str, few: str, other: str) -> dict[str, dict[str, str]]:
    return {"sr-Cyrl": {"one": one, "few": few, "other": other},
            "sr-Latn": {"one": to_latin(one), "few": to_latin(few), "other": to_latin(other)}}


PLURALS = {
    "total_incidents": {"en": {"one": "{n} incident", "other": "{n} incidents"},
                        **_sr("{n} инцидент", "{n} инцидента", "{n} инцидената"),
                        "sq": {"one": "{n} incident", "other": "{n} incidente"}},
    "report_period": {"en": {"one": "{start} – {end}, {days} day",
                             "other": "{start} – {end}, {days} days"},
                      **_sr("{start} – {end}, {days} дан", "{start} – {end}, {days} дана",
                            "{start} – {end}, {days} дана"),
                      "sq": {"one": "{start} – {end}, {days} ditë",
                             "other": "{start} – {end}, {days} ditë"}},
}
for _key, _forms in PLURALS.items():
    for _category, _texts in _plural(_forms).items():
        TEXT[_key if _category == "other" else f"{_key}#{_category}"] = _texts


_LOCALES = {"en": "en", "sr-Cyrl": "sr_Cyrl", "sr-Latn": "sr_Latn", "sq": "sq"}


def number(value: float, lang: str = "en", *, decimals: int = 1) -> str:
    """A number as pages write it in ``lang`` (CLDR, through Babel): grouped thousands, at most
    ``decimals``.

    >>> number(12345.5, "sr-Latn"), number(12345.0, "en"), number(0.25, "sq", decimals=2)
    ('12.345,5', '12,345', '0,25')
    >>> number(3168, "sq", decimals=0)
    '3\xa0168'
    """
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_LOCALES[lang])


def month_name(month: str, lang: str = "en") -> str:
    """A ``YYYY-MM`` month as the page names it in ``lang`` (CLDR, through Babel).

    >>> month_name("2025-03", "sr-Cyrl"), month_name("2025-03", "sq")
    ('март 2025', 'mars 2025')
    """
    import datetime as dt

    from babel.dates import format_date

    year, number_ = (int(part) for part in month.split("-"))
    return format_date(dt.date(year, number_, 1), "LLLL y", locale=_LOCALES[lang])


def plural_category(count: float, lang: str = "en") -> str:
    """The CLDR plural category (one, few, other, ...) of ``count`` in ``lang``.

    >>> [plural_category(n, "sr-Latn") for n in (1, 3, 5, 21)]
    ['one', 'few', 'other', 'one']
    """
    from babel import Locale

    return Locale.parse(_LOCALES[lang]).plural_form(abs(count))


def t(key: str, lang: str = "en", *, count: float | None = None, **fields) -> str:
    """The text for ``key`` in ``lang``, with ``{fields}`` filled; with ``count``, the form of
    its plural category (``key#one``, ``key#few``) where the language has one.

    >>> t("fewer_than", "sr-Latn", k=5)
    'manje od 5'
    >>> [t("total_incidents", "sr-Latn", count=n, n=n) for n in (1, 3, 25)]
    ['1 incident', '3 incidenta', '25 incidenata']
    """
    if lang not in LANGUAGES:
        msg = f"language {lang!r} is not one of {', '.join(LANGUAGES)}"
        raise ValueError(msg)
    if count is not None:
        key = next((k for k in (f"{key}#{plural_category(count, lang)}",) if k in TEXT), key)
    text = TEXT[key][lang]
    return text.format(**fields) if fields else text


def category_name(name: str, lang: str = "en") -> str:
    """A category's name in ``lang`` when known, else as the data give it."""
    known = CATEGORIES.get(name.strip().casefold())
    return known[lang] if known else name


def check_complete() -> list[str]:
    """Keys missing or empty in any language, as ``"key: lang"`` lines (empty when complete)."""
    missing = []
    for table in (TEXT, CATEGORIES, REASONS):
        for key, texts in table.items():
            missing.extend(f"{key}: {lang}" for lang in _L if not texts.get(lang, "").strip())
    return missing
