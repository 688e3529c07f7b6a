"""The questions planners bring to a meeting: did the plan work, what is emerging, where do the
next posts go. Each answer is computed from the same checked incidents and cell table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.stats import binomtest

from geo.analysis.bands import band_masks, exposure_days
from geo.analysis.cells import points_to_cells
from geo.analysis.change import areas_from_cells, rate_test, split_period_bounds, wdd
from geo.analysis.emerging import EmergingHotSpots, emerging_hot_spots
from geo.analysis.figures import predictive_accuracy
from geo.analysis.hotspots import hot_spots, neighbour_matrix
from geo.analysis.presence import cells_within
from geo.analysis.siting import Siting, suggest_posts
from geo.analysis.table import CellTable, incident_weights

__all__ = ["Decisions", "decide", "change_summary", "plan_target", "area_wdd"]


@dataclass
class Decisions:
    """Before/after results, emerging hot spots and suggested posts (each None if not run)."""

    change: pd.DataFrame | None = None
    change_cells: dict[str, pd.DataFrame] = field(default_factory=dict)
    emerging: EmergingHotSpots | None = None
    siting: Siting | None = None
    notes: list[str] = field(default_factory=list)
    wdd: pd.DataFrame | None = None
    """Per band: counts before and after in the target, buffer and control, and the WDD."""
    target: str = ""
    """What the WDD's target area is, in words."""
    wdd_areas: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    """Target, buffer and control masks over the table's cells."""
    prediction: pd.DataFrame | None = None
    """Hot spots of the earlier period scored on the later one: per ``band`` and
    ``selection`` (top 5/10/20 % of the area, the earlier period's 95 % Gi* hot spots), the
    PAI, PEI and recapture rate index (:func:`geo.analysis.figures.predictive_accuracy`)."""
    prediction_split: str = ""
    """The local date the later period starts on."""


def change_summary(before: np.ndarray, after: np.ndarray, t_before: float,
                   t_after: float) -> dict:
    """Area-level change of one band: counts, rates per 30 days, ratio and an exact test.

    ``t_before`` and ``t_after`` are the band's exposures in calendar-equivalent days
    (:func:`geo.analysis.bands.exposure_days`).
    """
    n_before, n_after = int(before.sum()), int(after.sum())
    share = t_after / (t_before + t_after)
    n = n_before + n_after
    p = binomtest(n_after, n, share).pvalue if n else 1.0
    rate_before, rate_after = n_before / t_before * 30, n_after / t_after * 30
    return {"before": n_before, "after": n_after, "exposure_before": t_before,
            "exposure_after": t_after, "rate_before": rate_before, "rate_after": rate_after,
            "ratio": rate_after / rate_before if rate_before else float("nan"), "p": p}


def plan_target(posts: pd.DataFrame | None, cells: np.ndarray, *, change_date: str,
                reach_m: float) -> np.ndarray | None:
    """Cells within reach of the posts that became active on or after ``change_date``: where
    a plan that added posts should show first. None when no post started then."""
    if posts is None or not len(posts):
        return None
    start = pd.Timestamp(change_date)
    new = posts[posts["active_from"].notna() & (posts["active_from"] >= start)]
    if not len(new):
        return None
    near = cells_within(cells, new["lat"].to_numpy(float), new["lng"].to_numpy(float),
                        reach_m=reach_m).any(axis=0)
    return near if near.any() else None


def area_wdd(before: np.ndarray, after: np.ndarray, target: np.ndarray, *, t_before: float,
             t_after: float, buffer_k: int = 1, cells: np.ndarray) -> dict:
    """WDD of a target (mask over ``cells``) with a ``buffer_k``-ring buffer, against the rest
    of the area as control, scaled to the target's and the buffer's before-period counts.

    Returns the eight counts (``target_before`` ...) and :func:`geo.analysis.change.wdd`'s result.
    """
    t_mask, b_mask, c_mask = areas_from_cells(cells, target, buffer_k=buffer_k)
    counts = {f"{name}_{when}": int(values[mask].sum())
              for name, mask in (("target", t_mask), ("buffer", b_mask), ("control", c_mask))
              for when, values in (("before", before), ("after", after))}
    control = counts["control_before"]
    w_t = counts["target_before"] / control if control else 1.0
    w_d = counts["buffer_before"] / control if control else 1.0
    result = wdd(counts["target_before"], counts["target_after"], counts["buffer_before"],
                 counts["buffer_after"], counts["control_before"], counts["control_after"],
                 scale_after=t_before / t_after, control_weight=max(w_t, 1e-9),
                 buffer_control_weight=max(w_d, 1e-9))
    return {**counts, "target_cells": int(t_mask.sum()), "buffer_cells": int(b_mask.sum()),
            "control_cells": int(c_mask.sum()), **result}


def decide(incidents: pd.DataFrame, table: CellTable, *, posts: pd.DataFrame | None,
           change_date: str | None, slices: str = "month", new_posts: int = 2,
           posts_band: str = "night", reach_m: float = 400.0, k_ring: int = 1,
           inference: str = "analytic", permutations: int = 9_999,
           seed: int | None = 2025, tz: str = "Europe/Belgrade",
           target: np.ndarray | None = None, target_label: str = "", buffer_k: int = 1,
           candidates_latlng: np.ndarray | None = None,
           periods: tuple[tuple[str, str] | None, tuple[str, str] | None] = (None, None),
           evaluate_from: str | None = None, areas: np.ndarray | None = None,
           timed: bool = True, positions: np.ndarray | None = None) -> Decisions:
    """Run the decision analyses on accepted incidents (``lat``, ``lng``, ``time``).

    ``target`` (a mask over the table's cells, described by ``target_label``) is the area
    the WDD evaluates; without it, the cells within reach of posts that started on the
    change date. ``candidates_latlng`` are the sites new posts may take (cell centres when
    None). ``periods`` gives the before and after periods explicitly (first and last local
    day each), instead of everything before and after the change date. Hot spots are scored as
    predictions from the period before ``evaluate_from`` (by default the before/after split)
    on the period from it, with ``areas`` the cells' inside areas.
    Incidents count by their ``count`` column when they have one. Without ``timed``
    (incidents without times) only the suggested posts are made: before/after, emerging hot
    spots and the prediction scores need times. ``positions`` are the incidents' rows in the
    table, when the caller has them already.
    """
    decisions = Decisions()
    cells = table.cells
    idx = positions if positions is not None else np.searchsorted(cells, points_to_cells(
        incidents["lat"].to_numpy(), incidents["lng"].to_numpy(), res=table.res))
    # one for every band and slice of the hot spots that need times
    neighbours = neighbour_matrix(cells, k=k_ring) if timed else None
    masks = band_masks(incidents["time"], table.bands, tz=tz)
    weights = incident_weights(incidents).astype(float)

    def per_cell(mask: np.ndarray) -> np.ndarray:
        return np.bincount(idx[mask], weights=weights[mask], minlength=len(cells)).round()

    if change_date and timed:
        before, after, before_days, after_days = split_period_bounds(
            incidents["time"], change_date=change_date, tz=tz, before=periods[0],
            after=periods[1])
        one_day = np.timedelta64(1, "D")
        calendar = [float((end - start) / one_day) + 1 for start, end in (before_days,
                                                                          after_days)]
        rows, split, exposure = [], {}, {}
        for band_def in table.bands:
            band = band_def.name
            t_before = exposure_days(*before_days, band_def)
            t_after = exposure_days(*after_days, band_def)
            if not (t_before and t_after):
                decisions.notes.append(f"{band}: a period holds none of the band's days; no "
                                       "before/after for it")
                continue
            exposure[band] = t_before, t_after
            b = per_cell(masks[band] & before)
            a = per_cell(masks[band] & after)
            split[band] = b, a
            cells_test = rate_test(b, a, t_before, t_after)
            decisions.change_cells[band] = cells_test
            rows.append({"band": band, "days_before": calendar[0], "days_after": calendar[1],
                         **change_summary(b, a, t_before, t_after),
                         "cells_up": int((cells_test["significant"]
                                          & (cells_test["direction"] == "up")).sum()),
                         "cells_down": int((cells_test["significant"]
                                            & (cells_test["direction"] == "down")).sum())})
        decisions.change = pd.DataFrame(rows).set_index("band")
        if target is None:
            target = plan_target(posts, cells, change_date=change_date, reach_m=reach_m)
            target_label = (f"cells within {reach_m:.0f} m of the posts active from "
                            f"{change_date}")
        if target is not None and target.any():
            decisions.target = target_label
            decisions.wdd_areas = areas_from_cells(cells, target, buffer_k=buffer_k)
            wdd_rows = []
            for band, (b, a) in split.items():
                t_before, t_after = exposure[band]
                wdd_rows.append({"band": band, **area_wdd(b, a, target, t_before=t_before,
                                                          t_after=t_after, buffer_k=buffer_k,
                                                          cells=cells)})
            decisions.wdd = pd.DataFrame(wdd_rows).set_index("band")
        else:
            decisions.notes.append("no target area for the weighted displacement difference: "
                                   "give --target FILE, or posts active from the change date")
    if timed and (evaluate_from or change_date):
        if evaluate_from:
            early, late, _, _ = split_period_bounds(incidents["time"],
                                                    change_date=evaluate_from, tz=tz)
        else:
            early, late = before, after
        decisions.prediction = _prediction(idx, masks, early, late, table, areas=areas,
                                           k_ring=k_ring, weights=weights,
                                           neighbours=neighbours)
        decisions.prediction_split = evaluate_from or str(change_date)
    if timed:
        emerging = emerging_hot_spots(incidents, cells, res=table.res, freq=slices,
                                      k_ring=k_ring, inference=inference,
                                      permutations=permutations, seed=seed or 0,
                                      period=table.period, tz=tz, positions=idx,
                                      neighbours=neighbours)
        decisions.emerging = emerging
        decisions.notes.extend(f"emerging hot spots: {w}" for w in emerging.warnings[:3])
    if posts_band in table.band_names and new_posts > 0:
        existing = _active_posts(posts, table, tz)
        demand = per_cell(masks[posts_band])
        decisions.siting = suggest_posts(demand, cells, existing_latlng=existing, p=new_posts,
                                         reach_m=reach_m, band=posts_band,
                                         candidates_latlng=candidates_latlng)
        decisions.notes.extend(f"new posts: {n}" for n in decisions.siting.notes)
    return decisions


def _prediction(idx: np.ndarray, masks: dict, early: np.ndarray, late: np.ndarray,
                table: CellTable, *, areas: np.ndarray | None, k_ring: int,
                weights: np.ndarray, neighbours: sp.csr_matrix | None) -> pd.DataFrame:
    """PAI, PEI and RRI per band of hot spots drawn from the early period, on the late one."""
    frames = []
    n = len(table.cells)
    for band in table.band_names:
        pick_train, pick_test = masks[band] & early, masks[band] & late
        train = np.bincount(idx[pick_train], weights=weights[pick_train], minlength=n).round()
        test = np.bincount(idx[pick_test], weights=weights[pick_test], minlength=n).round()
        hot = hot_spots(train, table.cells, k_ring=k_ring,
                        neighbours=neighbours).frame["bin"].to_numpy() >= 2
        found = predictive_accuracy(train, test, areas=areas, hot=hot)
        found.insert(0, "band", band)
        frames.append(found)
    return pd.concat(frames, ignore_index=True).set_index(["band", "selection"])


def _active_posts(posts: pd.DataFrame | None, table: CellTable, tz: str
                  ) -> np.ndarray | None:
    """(lat, lng) of the posts active at the end of the period (every post when there is no
    period: incidents without times)."""
    if posts is None or not len(posts):
        return None
    if table.period is None:
        return posts[["lat", "lng"]].to_numpy(dtype=float)
    end = pd.Timestamp(table.period[1]).tz_convert(tz).tz_localize(None)
    active = (posts["active_from"].isna() | (posts["active_from"] <= end)) & (
        posts["active_to"].isna() | (posts["active_to"] >= end.normalize()))
    chosen = posts[active]
    return chosen[["lat", "lng"]].to_numpy(dtype=float) if len(chosen) else None
