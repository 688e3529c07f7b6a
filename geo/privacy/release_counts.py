"""The numbers of one release: protected counts, then everything derived from them.

:func:`community_counts` protects a drafted release (exact counts with joint suppression, or
noisy atoms with ``epsilon``), unpacks the rows into the per-band arrays renderers draw, and
computes every derived layer and figure from the published values. :func:`exact_counts` is
the analyst's view: the analysis' own exact values, marked restricted by the gate.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from geo.analysis.change import wdd
from geo.analysis.decisions import change_summary
from geo.privacy import derived
from geo.privacy._spec import MONTH_BAND, Draft
from geo.privacy.disclosure import Earlier, protect
from geo.privacy.model import build_model
from geo.privacy.release import COMPLEMENT, SHOWN, SMALL, UNKNOWN

__all__ = ["ReleaseCounts", "community_counts", "exact_counts"]


@dataclass
class ReleaseCounts:
    """Per-band arrays and report parts of one release, as the gate issues them."""

    incidents: dict[str, np.ndarray]
    reason: dict[str, np.ndarray]
    totals: dict[str, int | None]
    total_reason: dict[str, int]
    category_totals: dict[str, np.ndarray]
    week: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
    extras: dict[str, tuple[np.ndarray, np.ndarray]]
    presence_hours: dict[str, np.ndarray] | None
    hot_bin: dict[str, np.ndarray]
    gap_class: dict[str, np.ndarray] | None
    stand_ins: dict[str, np.ndarray]
    figures: dict[str, dict]
    lorenz: dict[str, tuple[np.ndarray, np.ndarray]]
    change: tuple[dict, ...] = ()
    wdd: tuple[dict, ...] = ()
    siting: dict | None = None
    suggested: tuple = ()
    emerging: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    public: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict)
    days: dict[str, float] = field(default_factory=dict)
    clusters: dict[str, np.ndarray] | None = None
    residents: np.ndarray | None = None
    rates: dict[str, np.ndarray] | None = None
    reported_visits: dict[str, np.ndarray] | None = None
    month_incidents: dict[str, dict[str, np.ndarray]] | None = None
    month_reason: dict[str, dict[str, np.ndarray]] | None = None
    month_presence_hours: dict[str, dict[str, np.ndarray]] | None = None


def _month_presence(table, months: tuple[str, ...]) -> dict[str, dict[str, np.ndarray]] | None:
    """Patrol and post hours per month and band (patrol data, by cell), for the release's
    months; None without presence per month."""
    if table.month_presence_min is None or not months:
        return None
    index = {m: j for j, m in enumerate(table.months)}
    zero = np.zeros(len(table.cells))
    return {m: {b: np.round(table.month_presence_min[index[m], i] / 60.0, 1)
                if m in index else zero for i, b in enumerate(table.band_names)}
            for m in months}


def _presence(table) -> dict[str, np.ndarray] | None:
    frame = table.frame
    bands = table.band_names
    if not any(f"presence_min_{b}" in frame or f"post_min_{b}" in frame for b in bands):
        return None
    out = {}
    for b in bands:
        minutes = np.zeros(len(frame))
        for column in (f"presence_min_{b}", f"post_min_{b}"):
            if column in frame:
                minutes = minutes + frame[column].to_numpy(dtype=float)
        out[b] = np.round(minutes / 60.0, 1)
    return out


def _unpack(draft: Draft, labels: np.ndarray, values: np.ndarray) -> dict:
    """Core rows (cells, totals, categories, week, hours) back into arrays."""
    spec = draft.spec
    bands = [b.name for b in spec.bands]
    n_c, n_b, n_g = len(spec.cells), len(bands), len(spec.groups)
    cell_lab = labels[: n_c * n_b].reshape(n_c, n_b)
    cell_val = values[: n_c * n_b].reshape(n_c, n_b)
    pos = n_c * n_b
    tot_lab, tot_val = labels[pos:pos + n_b], values[pos:pos + n_b]
    pos += n_b
    cat_lab = labels[pos:pos + n_g * n_b].reshape(n_g, n_b)
    cat_val = values[pos:pos + n_g * n_b].reshape(n_g, n_b)
    pos += n_g * n_b
    week = None
    if draft.week:
        w_lab, w_val = labels[pos:pos + 168], values[pos:pos + 168]
        h_lab, h_val = labels[pos + 168:pos + 192], values[pos + 168:pos + 192]
        week = (np.where(w_lab == SHOWN, w_val, np.nan), w_lab.astype(np.int8),
                np.where(h_lab == SHOWN, h_val, np.nan), h_lab.astype(np.int8))
        pos += 192
    n_m = len(draft.months)
    m_lab = labels[pos:pos + n_m * n_c].reshape(n_m, n_c)
    m_val = values[pos:pos + n_m * n_c].reshape(n_m, n_c)
    return {
        "month_incidents": {m: {MONTH_BAND: np.where(m_lab[j] == SHOWN, m_val[j], np.nan)}
                            for j, m in enumerate(draft.months)} if n_m else None,
        "month_reason": {m: {MONTH_BAND: m_lab[j].astype(np.int8)}
                         for j, m in enumerate(draft.months)} if n_m else None,
        "incidents": {b: np.where(cell_lab[:, i] == SHOWN, cell_val[:, i], np.nan)
                      for i, b in enumerate(bands)},
        "reason": {b: cell_lab[:, i].astype(np.int8) for i, b in enumerate(bands)},
        "totals": {b: int(tot_val[i]) if tot_lab[i] == SHOWN else None
                   for i, b in enumerate(bands)},
        "total_reason": {b: int(tot_lab[i]) for i, b in enumerate(bands)},
        "category_totals": {b: np.where(cat_lab[:, i] == SMALL, -1.0,
                                        np.where(cat_lab[:, i] == COMPLEMENT, -2.0,
                                                 cat_val[:, i]))
                            for i, b in enumerate(bands)},
        "week": week}


def _window_days(spec, name: str) -> float:
    first, last = spec.days(name)
    return float((last - first).days + 1)


def _change_rows(spec, extras) -> tuple[dict, ...]:
    rows = []
    if not {"before", "after"} <= set(spec.windows):
        return ()
    t_b, t_a = _window_days(spec, "before"), _window_days(spec, "after")
    for band in (b.name for b in spec.bands):
        labels, values = extras.get(f"period:{band}", (np.zeros(0), np.zeros(0)))
        entry = {"band": band, "shown": False, "cells_up": None, "cells_down": None,
                 "small": bool(len(labels) and (labels == SMALL).any())}
        if len(labels) == 2 and (labels == SHOWN).all():
            summary = change_summary(np.array([values[0]]), np.array([values[1]]), t_b, t_a)
            entry.update(shown=True, before=int(values[0]), after=int(values[1]),
                         rate_before=summary["rate_before"], rate_after=summary["rate_after"],
                         ratio=summary["ratio"], p=summary["p"])
        rows.append(entry)
    return tuple(rows)


_WDD = ("target_before", "target_after", "buffer_before", "buffer_after", "control_before",
        "control_after")


def _wdd_rows(spec, extras) -> tuple[dict, ...]:
    if "wdd_target" not in spec.areas or not {"before", "after"} <= set(spec.windows):
        return ()
    scale = _window_days(spec, "before") / _window_days(spec, "after")
    rows = []
    for band in (b.name for b in spec.bands):
        labels, values = extras.get(f"wdd:{band}", (np.zeros(0), np.zeros(0)))
        entry = {"band": band, "shown": bool(len(labels) and (labels == SHOWN).all()),
                 "small": bool(len(labels) and (labels == SMALL).any()),
                 "target_cells": len(spec.areas["wdd_target"]),
                 "buffer_cells": len(spec.areas["wdd_buffer"])}
        if entry["shown"]:
            c = dict(zip(_WDD, (int(v) for v in values), strict=True))
            control = c["control_before"]
            w_t = c["target_before"] / control if control else 1.0
            w_d = c["buffer_before"] / control if control else 1.0
            result = wdd(c["target_before"], c["target_after"], c["buffer_before"],
                         c["buffer_after"], c["control_before"], c["control_after"],
                         scale_after=scale, control_weight=max(w_t, 1e-9),
                         buffer_control_weight=max(w_d, 1e-9))
            entry.update(c)
            entry.update({key: float(result[key]) for key in
                          ("wdd", "se", "z", "p", "local", "displacement", "expected_change")})
        rows.append(entry)
    return tuple(rows)


def _coverage(spec, extras, figures, totals) -> None:
    """The share of each band's incidents in covered cells (and in cells covered in the
    chosen language), where both that count and the band's total are shown."""
    for band in (b.name for b in spec.bands):
        for kind, name, cells_key in (("coverage", f"covered_{band}", "cells_covered"),
                                      ("coverage_lang", f"covered_lang_{band}",
                                       "cells_covered_lang")):
            if name not in spec.areas:
                continue
            figures[band][cells_key] = len(spec.areas[name])
            figures[band].setdefault(kind, None)
            labels, values = extras.get(f"{kind}:{band}", (np.zeros(0), np.zeros(0)))
            if len(labels) == 1 and labels[0] == SHOWN and totals.get(band):
                figures[band][kind] = round(float(values[0]) / totals[band], 3)


def _siting(spec, result, publish_rows, totals) -> tuple[dict | None, tuple]:
    """The suggested posts of ``result`` (:func:`derived.siting` of the stand-in counts);
    each gain shown only if it pins nothing."""
    if result is None or not len(result.sites):
        return None, ()
    band = result.band
    out = {"band": band, "reach_m": float(result.reach_m), "baseline": None, "sites": []}
    shown_before = None
    masks = result.covered_cells
    labels_values = []
    for i, mask in enumerate(masks):
        name = f"posts_{i}"
        spec.areas[name] = tuple(np.asarray(spec.cells, dtype=object)[np.asarray(mask)])
        labels_values.append(publish_rows([{"t": "area", "area": name, "band": band}]))
    total = totals.get(band)
    covered = None
    if labels_values and labels_values[0][0][0] == SHOWN and total:
        covered = float(labels_values[0][1][0])
        out["baseline"] = shown_before = covered / total
    hidden = covered is None
    import h3

    for i, r in enumerate(result.sites.itertuples(), start=1):
        centre = h3.cell_to_latlng(h3.latlng_to_cell(float(r.lat), float(r.lng), spec.res))
        lab, val = labels_values[i] if i < len(labels_values) else (np.array([UNKNOWN]),
                                                                     np.array([np.nan]))
        small = bool(lab[0] == SMALL)
        hidden = hidden or lab[0] != SHOWN
        gain = None if hidden else int(val[0])
        if not hidden:
            covered += gain
        out["sites"].append({"rank": int(r.rank), "lat": round(centre[0], 6),
                             "lng": round(centre[1], 6), "gain": gain, "small": small,
                             "coverage_after": None if hidden else covered / total})
    suggested = []
    before = shown_before
    for site in out["sites"]:
        suggested.append((site["lat"], site["lng"], site["rank"], before,
                          site["coverage_after"], band, float(result.reach_m)))
        before = site["coverage_after"]
    return out, tuple(suggested)


def _derive(table, draft, unpacked, derive, publish_rows) -> dict:
    spec = draft.spec
    k = spec.k
    bands = [b.name for b in spec.bands]
    stand_ins = {b: derived.stand_in(unpacked["incidents"][b], unpacked["reason"][b], k)
                 for b in bands}
    # the statistics, the siting and the concentration figures read only the stand-ins:
    # they run beside the siting's extra rows, which go through the protection one at a
    # time in this thread
    with ThreadPoolExecutor(3) as pool:
        sited = pool.submit(derived.siting, stand_ins, table.cells, derive)
        statistics = pool.submit(lambda: (derived.hot_bins(stand_ins, table.cells, derive),
                                          derived.cluster_classes(stand_ins, table.cells,
                                                                  derive)))
        summaries = pool.submit(_summaries, stand_ins, unpacked["totals"], bands)
        parts = _derive_beside(table, draft, unpacked, sited, publish_rows, stand_ins)
        parts["figures"], parts["lorenz"] = summaries.result()
        bins, clusters = statistics.result()
    presence = parts["presence_hours"]
    parts["gap_class"] = (derived.gap_classes(stand_ins, presence, bins)
                          if presence is not None else None)
    return {**parts, "hot_bin": bins, "clusters": clusters}


def _summaries(stand_ins: dict, totals: dict, bands: list[str]) -> tuple[dict, dict]:
    """Concentration figures and Lorenz curves of the stand-in counts."""
    lorenz = {b: derived.lorenz(stand_ins[b]) if totals.get(b) else (np.zeros(0), np.zeros(0))
              for b in bands}
    return derived.figures(stand_ins, totals), lorenz


def _derive_beside(table, draft, unpacked, sited, publish_rows, stand_ins) -> dict:
    """What :func:`_derive` makes beside the statistics (``sited``: the siting's future)."""
    spec = draft.spec
    bands = [b.name for b in spec.bands]
    frame = table.frame
    residents = (np.round(frame["population"].to_numpy(dtype=float), 1)
                 if "population" in frame else None)  # as published, so rates recompute
    rates = derived.smoothed_rates(stand_ins, residents) if residents is not None else None
    reported = ({b: frame[f"report_visits_{b}"].to_numpy(dtype=np.int64) for b in bands}
                if all(f"report_visits_{b}" in frame for b in bands) else None)
    presence = _presence(table)
    siting, suggested = _siting(spec, sited.result(), publish_rows, unpacked["totals"])
    return {"stand_ins": stand_ins, "presence_hours": presence, "siting": siting,
            "suggested": suggested, "residents": residents,
            "rates": rates, "reported_visits": reported,
            "month_presence_hours": _month_presence(table, draft.months)}


def _layers(parts: dict) -> dict:
    return {key: parts[key] for key in ("clusters", "residents", "rates", "reported_visits",
                                        "month_presence_hours")}


def _records(draft: Draft, model, index: np.ndarray, epsilon) -> tuple[dict, dict]:
    """The public record (definition, rows, labels, shown values) and the ledger's."""
    labels = model.label[index]
    shown = np.where(labels == SHOWN, model.value[index], np.nan)
    rows = [dict(model.rows[i]) for i in index]
    public = {"spec": draft.spec.to_dict(), "rows": rows, "labels": labels.tolist(),
              "shown": [None if v != v else v for v in shown.tolist()],  # NaN: None
              "epsilon": epsilon}
    record = {"spec": draft.spec, "rows": rows, "labels": labels.copy(), "shown": shown,
              "events": draft.events, "epsilon": epsilon}
    return public, record


def community_counts(table, draft: Draft, derive, *, epsilon: float | None,
                     earlier: list[Earlier], refuse_share: float) -> ReleaseCounts:
    """Protect the draft (or noise it) and derive everything from what it publishes."""
    from geo.privacy.gate import ReleaseRefusedError

    spec = draft.spec
    names = list(draft.extras)
    notes = ["emerging_left_out"]
    if epsilon is None:
        prot = protect(spec, draft.core, draft.events, extras=[draft.extras[n] for n in names],
                       earlier=earlier)
        model = prot.model
        model.value = np.where(model.label == SHOWN, model.true, np.nan)
        if prot.unprotected:
            msg = (f"{prot.unprotected} count(s) of this release could not be made safe beside "
                   "the earlier releases of the area: publish whole months that do not "
                   "overlap them, with the same bands and category groups")
            raise ReleaseRefusedError(msg)
        refusal = _refusal(spec, draft, prot, refuse_share)
        if refusal:
            raise ReleaseRefusedError(refusal)
        extra_rows = sum(len(draft.extras[n]) for n in names)
        extra = _extras_by_name(model, names, draft, start_after=len(model.rows) - extra_rows)

        def publish_rows(rows):
            labels = prot.extra(rows)
            idx = np.arange(len(model.rows) - len(rows), len(model.rows))
            model.value = np.r_[model.value[: idx[0]], np.where(labels == SHOWN,
                                                                model.true[idx], np.nan)]
            return labels, model.value[idx]
    else:
        from geo.privacy.noise import noisy_atoms

        all_rows = draft.core + [r for n in names for r in draft.extras[n]]
        model = build_model([spec], [all_rows], events=draft.events)
        atoms = noisy_atoms(model, epsilon, weight=int(draft.events.attrs.get("max_weight", 1)))

        def label_noisy(idx):
            noisy = model.A[idx] @ atoms
            small = (noisy >= 1) & (noisy <= spec.k - 1)
            model.label[idx] = np.where(small, SMALL, SHOWN)
            model.value[idx] = np.where(small, np.nan, noisy)

        label_noisy(np.arange(len(model.rows)))
        extra = _extras_by_name(model, names, draft, start_after=len(draft.core))

        def publish_rows(rows):
            idx = model.add_rows(list(rows), 0)
            label_noisy(idx)
            return model.label[idx], model.value[idx]
        notes.append("noise_note")
    unpacked = _unpack(draft, model.label[: len(draft.core)],
                       np.nan_to_num(model.value[: len(draft.core)]))
    parts = _derive(table, draft, unpacked, derive, publish_rows)
    figures = parts["figures"]
    _coverage(spec, extra, figures, unpacked["totals"])
    current = np.flatnonzero(model.rel == 0)
    public, record = _records(draft, model, current, epsilon)
    return ReleaseCounts(**unpacked, extras=extra, presence_hours=parts["presence_hours"],
                         hot_bin=parts["hot_bin"], gap_class=parts["gap_class"],
                         stand_ins=parts["stand_ins"], figures=figures, lorenz=parts["lorenz"],
                         change=_change_rows(spec, extra), wdd=_wdd_rows(spec, extra),
                         siting=parts["siting"], suggested=parts["suggested"],
                         **_layers(parts), notes=notes,
                         public=public, record=record)


def _extras_by_name(model, names, draft, *, start_after: int) -> dict:
    out, pos = {}, start_after
    for n in names:
        size = len(draft.extras[n])
        idx = np.arange(pos, pos + size)
        out[n] = (model.label[idx].copy(), model.value[idx].copy())
        pos += size
    return out


def _refusal(spec, draft, prot, share: float) -> str | None:
    """A one-line refusal when the earlier releases force hiding most of this one."""
    if not prot.joined and not prot.revised:
        return None
    n = len(spec.cells) * len(spec.bands)
    labels = prot.core[:n]
    true = prot.model.true[:n]
    big = true >= spec.k
    if not big.any():
        return None
    forced = float((labels[big] == COMPLEMENT).mean())
    if forced <= share:
        return None
    alone = protect(spec, draft.core, draft.events)
    alone_forced = float((alone.core[:n][big] == COMPLEMENT).mean())
    if forced <= 2 * alone_forced + 0.05:
        return None
    old = list(prot.model.specs[1:])
    first = min(o.first_day for o in old)
    last = max(o.last_day for o in old)
    nxt = last + dt.timedelta(days=1)
    bands = ", ".join(b.name for b in old[0].bands)
    return (f"this release overlaps earlier ones of the area ({first} .. {last}); beside them "
            f"{forced:.0%} of its cell counts of {spec.k} or more would have to be hidden. "
            f"Publish whole months that do not overlap them (from {nxt}), with the bands "
            f"{bands} and the same category groups, or a period they do not touch")


def exact_counts(table, draft: Draft, decisions, derive) -> ReleaseCounts:
    """The analyst's restricted view: exact counts, only 1..k-1 hidden (k defaults to 1)."""
    model = build_model([draft.spec], [draft.core + [r for n in draft.extras
                                                     for r in draft.extras[n]]],
                        events=draft.events)
    k = draft.spec.k
    small = (model.true >= 1) & (model.true <= k - 1)
    model.label[:] = np.where(small, SMALL, SHOWN)
    model.value = np.where(small, np.nan, model.true).astype(float)

    def publish_rows(rows):
        idx = model.add_rows(list(rows), 0)
        model.label[idx] = np.where((model.true[idx] >= 1) & (model.true[idx] <= k - 1),
                                    SMALL, SHOWN)
        model.value[idx] = np.where(model.label[idx] == SHOWN, model.true[idx], np.nan)
        return model.label[idx], model.value[idx]
    names = list(draft.extras)
    extra = _extras_by_name(model, names, draft, start_after=len(draft.core))
    unpacked = _unpack(draft, model.label[: len(draft.core)],
                       np.nan_to_num(model.value[: len(draft.core)]))
    parts = _derive(table, draft, unpacked, derive, publish_rows)
    frame = table.frame
    for b in unpacked["incidents"]:
        if f"gi_bin_{b}" in frame:
            parts["hot_bin"][b] = frame[f"gi_bin_{b}"].to_numpy().astype(np.int8)
        if f"lisa_{b}" in frame:  # the analyst sees the tests on the exact counts
            parts["clusters"][b] = frame[f"lisa_{b}"].to_numpy(dtype=object)
        if f"rate_eb_{b}" in frame and parts["rates"] is not None:
            parts["rates"][b] = np.round(frame[f"rate_eb_{b}"].to_numpy(dtype=float), 2)
    emerging = None
    if decisions is not None and decisions.emerging is not None:
        emerging = decisions.emerging.frame["category"].reindex(table.cells).fillna(
            "no pattern detected").to_numpy(dtype=object)
    _coverage(draft.spec, extra, parts["figures"], unpacked["totals"])
    public, record = _records(draft, model, np.arange(len(model.rows)), None)
    change = _change_rows(draft.spec, extra)
    if decisions is not None and decisions.change is not None:
        for row in change:
            if row["band"] in decisions.change.index:
                row["cells_up"] = int(decisions.change.loc[row["band"], "cells_up"])
                row["cells_down"] = int(decisions.change.loc[row["band"], "cells_down"])
    return ReleaseCounts(**unpacked, extras=extra, presence_hours=parts["presence_hours"],
                         hot_bin=parts["hot_bin"], gap_class=parts["gap_class"],
                         stand_ins=parts["stand_ins"], figures=parts["figures"],
                         lorenz=parts["lorenz"], change=change,
                         wdd=_wdd_rows(draft.spec, extra), siting=parts["siting"],
                         suggested=parts["suggested"], emerging=emerging, public=public,
                         record=record, **_layers(parts))
