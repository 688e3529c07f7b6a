"""From an analysed cell table to the definition of the release the gate will protect.

The definition holds no fact about a single incident: the period is the one asked for, or the
whole calendar months the data fall in (never the first and last incident's days); category
names are taxonomy words, with any category of fewer than k incidents merged into "other";
cell sets are the study area's, the WDD areas', the covered cells' and the cells covered by
posts whose officers speak the chosen language.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.analysis.cells import cells_to_str
from geo.analysis.table import CellTable
from geo.inputs.taxonomy import OTHER, Taxonomy
from geo.privacy.release import BandSpec, ReleaseSpec, area_key, area_rows, cell_rows

__all__ = ["Draft", "draft_release", "whole_months", "month_rows", "MONTH_BAND", "UNDATED"]


@dataclass
class Draft:
    """A release before protection: its definition, events and rows."""

    spec: ReleaseSpec
    events: pd.DataFrame
    core: list[dict]
    extras: dict[str, list[dict]] = field(default_factory=dict)
    """Optional figures, each shown whole or left out, in the order they are tried."""
    week: bool = False
    """The core rows hold the week grid and its hour sums (after the category totals)."""
    months: tuple[str, ...] = ()
    """Months (``YYYY-MM``) whose cell counts per band end the core rows (window
    ``m<month>`` each)."""


def whole_months(first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of ``first``'s month and the last day of ``last``'s.

    >>> whole_months(dt.date(2025, 3, 14), dt.date(2025, 5, 2))
    (datetime.date(2025, 3, 1), datetime.date(2025, 5, 31))
    """
    end = calendar.monthrange(last.year, last.month)[1]
    return first.replace(day=1), last.replace(day=end)


def _day(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


UNDATED = dt.date(1, 1, 1)
"""The one notional day of incidents without times."""


def _period(events: pd.DataFrame, requested) -> tuple[dt.date, dt.date]:
    dated = events["day"][events["day"] > 1] if len(events) else events["day"]
    if not len(dated) and not (requested and any(requested)):
        return UNDATED, UNDATED
    if len(dated):
        first, last = whole_months(dt.date.fromordinal(int(dated.min())),
                                   dt.date.fromordinal(int(dated.max())))
    else:
        first = last = None
    if requested is not None:
        first = _day(requested[0]) if requested[0] else first
        last = _day(requested[1]) if requested[1] else last
    return first or last, last or first


def _windows(first: dt.date, last: dt.date, change_date, before, after) -> dict:
    if not change_date:
        return {}
    change = _day(change_date)
    b = (_day(before[0]), _day(before[1])) if before else (first, change - dt.timedelta(days=1))
    a = (_day(after[0]), _day(after[1])) if after else (change, last)
    clip = {n: (max(w[0], first), min(w[1], last)) for n, w in (("before", b), ("after", a))}
    return {n: w for n, w in clip.items() if w[0] <= w[1]}


def _month_windows(first: dt.date, last: dt.date) -> dict[str, tuple[dt.date, dt.date]]:
    """Every calendar month the period touches, as window ``m<YYYY-MM>`` clipped to it.

    >>> list(_month_windows(dt.date(2025, 1, 15), dt.date(2025, 3, 1)).items())[-1]
    ('m2025-03', (datetime.date(2025, 3, 1), datetime.date(2025, 3, 1)))
    """
    out, start = {}, first.replace(day=1)
    while start <= last:
        end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        out[f"m{start:%Y-%m}"] = (max(start, first), min(end, last))
        start = end + dt.timedelta(days=1)
    return out


MONTH_BAND = "all"
"""The band counted per month: a cell's count in one month of one part of the day is below
k almost everywhere, and would only add rows that are all hidden."""


def month_rows(spec: ReleaseSpec, months: tuple[str, ...]) -> list[dict]:
    """The month slider's rows: every cell's count in the whole day, in each month."""
    if not any(band.name == MONTH_BAND for band in spec.bands):
        return []
    return [{"t": "cell", "cell": cell, "band": MONTH_BAND, "part": f"m{month}"}
            for month in months for cell in spec.cells]


def _groups(events: pd.DataFrame, keys: list[str], k: int) -> dict[str, tuple[str, ...]]:
    totals = events.groupby("category")["count"].sum()
    own = [c for c in keys if c != OTHER and totals.get(c, 0) >= k]
    rest = tuple(c for c in keys if c not in own)
    groups = {c: (c,) for c in own}
    if rest:
        groups[OTHER] = rest
    return groups


def draft_release(table: CellTable, *, k: int, taxonomy: Taxonomy, week: bool,
                  categories=None, period=None, change_date=None, before=None, after=None,
                  wdd_areas=None, months: bool = False) -> Draft:
    """The release of ``table`` as the gate will protect it.

    ``categories`` are the category texts the user chose (all when None), ``period`` the
    requested first and last day, ``change_date``, ``before`` and ``after`` the before/after
    windows, and ``wdd_areas`` the target, buffer and control masks over the table's cells.
    ``months`` adds every cell's count per band in each calendar month of the period (for
    the map's month slider), as more rows of the same joint model.
    """
    events = table.events.copy()
    events["category"] = taxonomy.classify_all(events["category"])
    first, last = _period(events, period)
    if first == UNDATED:  # no times: every incident on the one notional day
        events["day"] = UNDATED.toordinal()
    inside = events["day"].between(first.toordinal(), last.toordinal())
    chosen = list(taxonomy.keys) if not categories else \
        sorted({taxonomy.classify(c) for c in categories}, key=list(taxonomy.keys).index)
    counted = events[inside & events["category"].isin(chosen)]
    groups = _groups(counted, chosen, k)
    cells = tuple(cells_to_str(table.cells))
    areas = {}
    bands = tuple(BandSpec.of(b) for b in table.bands)
    for band in table.band_names:
        for column in (f"covered_{band}", f"covered_lang_{band}"):
            if column in table.frame:
                mask = table.frame[column].to_numpy(bool)
                areas[column] = tuple(np.asarray(cells, dtype=object)[mask])
    if wdd_areas is not None:
        for name, mask in zip(("target", "buffer", "control"), wdd_areas, strict=True):
            areas[f"wdd_{name}"] = tuple(np.asarray(cells, dtype=object)[np.asarray(mask)])
    windows = _windows(first, last, change_date, before, after)
    change_parts = tuple(windows)
    month_list: tuple[str, ...] = ()
    if months and first != UNDATED and any(b.name == MONTH_BAND for b in bands):
        by_month = _month_windows(first, last)
        windows.update(by_month)
        month_list = tuple(name[1:] for name in by_month)
    spec = ReleaseSpec(area=area_key(cells, table.res), res=table.res, cells=cells,
                       first_day=first, last_day=last, bands=bands, groups=groups, k=k,
                       windows=windows, areas=areas)
    core = cell_rows(spec) + area_rows(spec, week=week) + month_rows(spec, month_list)
    extras: dict[str, list[dict]] = {}
    for band in table.band_names:
        if change_parts:
            extras[f"period:{band}"] = [{"t": "period", "band": band, "part": p}
                                        for p in change_parts]
    for band in table.band_names:
        for kind, name in (("coverage", f"covered_{band}"),
                           ("coverage_lang", f"covered_lang_{band}")):
            if name in areas:
                extras[f"{kind}:{band}"] = [{"t": "area", "area": name, "band": band}]
    if wdd_areas is not None and spec.windows.keys() >= {"before", "after"}:
        for band in table.band_names:
            extras[f"wdd:{band}"] = [{"t": "area", "area": f"wdd_{name}", "band": band,
                                      "part": p} for name in ("target", "buffer", "control")
                                     for p in ("before", "after")]
    return Draft(spec=spec, events=events, core=core, extras=extras, week=week,
                 months=month_list)
