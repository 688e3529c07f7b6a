"""The questions planners bring to a meeting: did the plan work, what is emerging, where do the
next posts go. Each answer is computed from the same checked incidents and cell table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from geo.bands import band_masks
from geo.cells import points_to_cells
from geo.change import rate_test, split_periods
from geo.emerging import EmergingHotSpots, emerging_hot_spots
from geo.siting import Siting, suggest_posts
from geo.table import CellTable

__all__ = ["Decisions", "decide", "change_summary"]


@dataclass
class Decisions:
    """Before/after results, emerging hot spots and suggested posts (each None if not run)."""

    change: pd.DataFrame | None = None
    change_cells: dict[str, pd.DataFrame] = field(default_factory=dict)
    emerging: EmergingHotSpots | None = None
    siting: Siting | None = None
    notes: list[str] = field(default_factory=list)


def change_summary(before: np.ndarray, after: np.ndarray, t_before: float,
                   t_after: float) -> dict:
    """Area-level change of one band: counts, rates per 30 days, ratio and an exact test."""
    n_before, n_after = int(before.sum()), int(after.sum())
    share = t_after / (t_before + t_after)
    n = n_before + n_after
    p = binomtest(n_after, n, share).pvalue if n else 1.0
    rate_before, rate_after = n_before / t_before * 30, n_after / t_after * 30
    return {"before": n_before, "after": n_after, "days_before": t_before,
            "days_after": t_after, "rate_before": rate_before, "rate_after": rate_after,
            "ratio": rate_after / rate_before if rate_before else float("nan"), "p": p}


def decide(incidents: pd.DataFrame, table: CellTable, *, posts: pd.DataFrame | None,
           change_date: str | None, slices: str = "month", new_posts: int = 2,
           posts_band: str = "night", reach_m: float = 400.0, permutations: int = 999,
           seed: int | None = 2025, tz: str = "Europe/Belgrade") -> Decisions:
    """Run the decision analyses on accepted incidents (``lat``, ``lng``, ``time``)."""
    decisions = Decisions()
    cells = table.cells
    idx = np.searchsorted(cells, points_to_cells(incidents["lat"].to_numpy(),
                                                 incidents["lng"].to_numpy(), res=table.res))
    masks = band_masks(incidents["time"], table.bands, tz=tz)
    if change_date:
        before, after, t_before, t_after = split_periods(incidents["time"],
                                                         change_date=change_date, tz=tz)
        rows = []
        for band in table.band_names:
            b = np.bincount(idx[masks[band] & before], minlength=len(cells))
            a = np.bincount(idx[masks[band] & after], minlength=len(cells))
            cells_test = rate_test(b, a, t_before, t_after)
            decisions.change_cells[band] = cells_test
            rows.append({"band": band, **change_summary(b, a, t_before, t_after),
                         "cells_up": int((cells_test["significant"]
                                          & (cells_test["direction"] == "up")).sum()),
                         "cells_down": int((cells_test["significant"]
                                            & (cells_test["direction"] == "down")).sum())})
        decisions.change = pd.DataFrame(rows).set_index("band")
    emerging = emerging_hot_spots(incidents, cells, res=table.res, freq=slices,
                                  permutations=permutations, seed=seed or 0)
    decisions.emerging = emerging
    decisions.notes.extend(f"emerging hot spots: {w}" for w in emerging.warnings[:3])
    if posts_band in table.band_names and new_posts > 0:
        existing = _active_posts(posts, table)
        demand = np.bincount(idx[masks[posts_band]], minlength=len(cells))
        decisions.siting = suggest_posts(demand, cells, existing_latlng=existing, p=new_posts,
                                         reach_m=reach_m, band=posts_band)
    return decisions


def _active_posts(posts: pd.DataFrame | None, table: CellTable) -> np.ndarray | None:
    """(lat, lng) of the posts active at the end of the period."""
    if posts is None or not len(posts) or table.period is None:
        return None
    end = pd.Timestamp(table.period[1]).tz_convert("Europe/Belgrade").tz_localize(None)
    active = (posts["active_from"].isna() | (posts["active_from"] <= end)) & (
        posts["active_to"].isna() | (posts["active_to"] >= end.normalize()))
    chosen = posts[active]
    return chosen[["lat", "lng"]].to_numpy(dtype=float) if len(chosen) else None
