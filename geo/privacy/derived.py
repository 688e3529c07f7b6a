"""Layers and figures derived from published counts alone (post-processing).

Hot-spot bins, cluster and outlier classes, smoothed rates, coverage-gap classes,
concentration figures (Gini, share of cells, PAI, the
Lorenz curve) and suggested post sites of a community release are computed from the counts
the release shows, with each hidden count standing in at a fixed value: "fewer than k" as
k // 2, "not shown" as k. Anyone holding the published files can compute them again and gets
the same answer, so they say nothing the counts do not; the audit checks that they do.
(The stand-ins are whole numbers, k // 2 and k, as the statistics count incidents.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo._arrays import in_threads
from geo.analysis.clusters import default_permutations, local_moran
from geo.analysis.figures import concentration_summary
from geo.analysis.gaps import bivariate_classes
from geo.analysis.hotspots import hot_spots, neighbour_matrix
from geo.analysis.rates import incident_rates
from geo.analysis.siting import suggest_posts
from geo.privacy.release import COMPLEMENT, SHOWN, SMALL

__all__ = ["DeriveSettings", "stand_in", "hot_bins", "cluster_classes", "smoothed_rates",
           "gap_classes", "figures", "lorenz", "siting"]


@dataclass(frozen=True)
class DeriveSettings:
    """How derived layers are computed (the same settings as the analysis)."""

    k_ring: int = 1
    inference: str = "analytic"
    permutations: int | None = None
    """None: as the analysis chooses, 9,999 up to 2,000 cells and 999 above."""
    seed: int | None = 2025
    new_posts: int = 2
    posts_band: str = "night"
    reach_m: float = 400.0
    candidates: tuple[tuple[float, float], ...] | None = None
    existing: tuple[tuple[float, float], ...] | None = None


def _permutations(settings: DeriveSettings, cells: np.ndarray) -> int:
    return settings.permutations or default_permutations(len(cells))


def stand_in(values: np.ndarray, reason: np.ndarray, k: int) -> np.ndarray:
    """Counts with each hidden one at its stand-in value (k // 2 small, k not shown).

    >>> stand_in(np.array([7.0, np.nan, np.nan]), np.array([0, 1, 2]), 5).tolist()
    [7, 2, 5]
    """
    out = np.where(reason == SHOWN, np.nan_to_num(values), 0.0)
    out = np.where(reason == SMALL, k // 2, out)
    return np.where(reason == COMPLEMENT, k, out).astype(np.int64)


def hot_bins(counts: dict[str, np.ndarray], cells: np.ndarray, settings: DeriveSettings
             ) -> dict[str, np.ndarray]:
    """Gi* bins (-3..3) per band from stand-in counts."""
    neighbours = neighbour_matrix(cells, k=settings.k_ring)  # one for every band

    def bins(values: np.ndarray) -> np.ndarray:
        return hot_spots(values, cells, k_ring=settings.k_ring, inference=settings.inference,
                         permutations=_permutations(settings, cells), seed=settings.seed,
                         neighbours=neighbours).frame["bin"].to_numpy().astype(np.int8)
    return dict(zip(counts, in_threads(bins, list(counts.values())), strict=True))


def cluster_classes(counts: dict[str, np.ndarray], cells: np.ndarray,
                    settings: DeriveSettings) -> dict[str, np.ndarray]:
    """Local Moran's I classes (``high-high`` ... ``not significant``) per band from stand-in
    counts (only the classes: cells that cannot be significant stop drawing early)."""
    neighbours = neighbour_matrix(cells, k=settings.k_ring)  # one for every band

    def classes(values: np.ndarray) -> np.ndarray:
        return local_moran(values, cells, k_ring=settings.k_ring,
                           permutations=_permutations(settings, cells), seed=settings.seed,
                           neighbours=neighbours, classes_only=True
                           ).frame["cls"].to_numpy(dtype=object)
    return dict(zip(counts, in_threads(classes, list(counts.values())), strict=True))


def smoothed_rates(counts: dict[str, np.ndarray], residents: np.ndarray
                   ) -> dict[str, np.ndarray]:
    """Empirical Bayes incidents per 1,000 residents per band from stand-in counts (NaN
    where no one lives). The raw rate of a cell with a hidden count would be a guess shown
    as a number, so only the smoothed rate is published."""
    return {band: np.round(incident_rates(values, residents)[1], 2)
            for band, values in counts.items()}


def gap_classes(counts: dict[str, np.ndarray], presence_hours: dict[str, np.ndarray],
                bins: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The 3x3 need x presence class per band (need from stand-in counts and hot bins)."""
    return {band: bivariate_classes(values, presence_hours[band], bins[band])[2]
            for band, values in counts.items()}


def figures(counts: dict[str, np.ndarray], totals: dict[str, int | None]) -> dict[str, dict]:
    """Concentration figures per band, where the band's total is shown."""
    out = {}
    for band, values in counts.items():
        entry = {"total": totals.get(band), "gini": None, "gini_kind": "",
                 "share_cells_50": None, "pai_5": None, "pai_10": None, "pai_20": None,
                 "coverage": None, "cells_covered": None}
        if totals.get(band):
            row = concentration_summary(values)
            entry.update(gini=round(float(row["gini"]), 2), gini_kind=str(row["gini_kind"]),
                         share_cells_50=round(float(row["share_cells_50"]), 3),
                         **{key: round(float(row[key]), 1) for key in ("pai_5", "pai_10",
                                                                        "pai_20")})
        out[band] = entry
    return out


def lorenz(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Share of cells (0..1 by 1 %) against share of incidents, busiest cells first."""
    total = float(values.sum())
    if not total or len(values) == 0:
        return np.zeros(0), np.zeros(0)
    ranked = np.sort(values)[::-1]
    cum = np.r_[0, np.cumsum(ranked)]
    x = np.linspace(0, 1, 101)
    y = np.interp(x * len(ranked), np.arange(len(cum)), cum) / total
    return x, np.round(y, 3)


def siting(counts: dict[str, np.ndarray], cells: np.ndarray, settings: DeriveSettings):
    """Suggested new posts for the stand-in counts of the posts band (None when off)."""
    if settings.new_posts <= 0 or settings.posts_band not in counts:
        return None
    existing = np.array(settings.existing, float).reshape(-1, 2) if settings.existing else None
    candidates = (np.array(settings.candidates, float).reshape(-1, 2)
                  if settings.candidates else None)
    return suggest_posts(counts[settings.posts_band], cells, existing_latlng=existing,
                         candidates_latlng=candidates, p=settings.new_posts,
                         reach_m=settings.reach_m, band=settings.posts_band)
