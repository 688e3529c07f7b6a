"""Coverage gaps: where need (incidents, hot spots) is high and patrol presence is low.

Need and presence are each cut into low / medium / high per band: zero is always low, and the
positive values are split at their terciles (so "high" means the top third of cells that have
any). A significant hot spot (Gi* bin +2 or +3, 95 % or more) is high need whatever its count.
The 3x3 class ``"<need>-<presence>"`` (``"3-1"`` = high need, low presence) drives the
bivariate map; gap cells are ranked worst first. Coverage is the share of incidents in covered
cells (:func:`demand_weighted_coverage`), also by the posts whose officers speak a language
(:func:`add_language_coverage`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["tercile_classes", "bivariate_classes", "rank_gaps", "demand_weighted_coverage",
           "add_language_coverage", "GAP_ORDER"]

GAP_ORDER = ("3-1", "3-2", "2-1")
"""Gap classes, worst first: high need & low presence, high & medium, medium & low."""


def tercile_classes(values: np.ndarray) -> np.ndarray:
    """1 (low), 2 (medium) or 3 (high): zero is low, positive values split at their terciles.

    >>> tercile_classes(np.array([0, 1, 2, 3, 4, 5, 6])).tolist()
    [1, 1, 1, 2, 2, 3, 3]
    """
    values = np.asarray(values, dtype=float)
    out = np.ones(len(values), dtype=np.int8)
    positive = values[np.isfinite(values) & (values > 0)]
    if len(positive) == 0:
        return out
    low, high = np.quantile(positive, [1 / 3, 2 / 3])
    out[values > low] = 2
    out[values > high] = 3
    if low == high:  # few distinct values: positive and above the lower cut are high
        out[values > low] = 3
    return out


def bivariate_classes(need: np.ndarray, presence: np.ndarray,
                      hot_bin: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """(need class, presence class, ``"n-p"`` label) per cell."""
    need_class = tercile_classes(need)
    if hot_bin is not None:
        need_class = np.where(np.asarray(hot_bin) >= 2, 3, need_class).astype(np.int8)
    presence_class = tercile_classes(presence)
    label = np.char.add(np.char.add(need_class.astype(str), "-"), presence_class.astype(str))
    return need_class, presence_class, label.astype(object)


def rank_gaps(frame: pd.DataFrame, *, band: str, limit: int | None = 20) -> pd.DataFrame:
    """Gap cells of one band, worst first.

    ``frame`` is the analysis table (hexadecimal ``cell`` column plus ``<measure>_<band>``
    columns). Rows are ordered by gap class (:data:`GAP_ORDER`), then most incidents, then
    least presence.
    """
    cols = {"incidents": f"incidents_{band}", "gi_bin": f"gi_bin_{band}",
            "presence_min": f"presence_min_{band}", "visits": f"visits_{band}",
            "post_min": f"post_min_{band}", "gap_class": f"gap_class_{band}"}
    have = {k: v for k, v in cols.items() if v in frame}
    out = frame[["cell", *have.values()]].rename(columns={v: k for k, v in have.items()})
    out = out[out["gap_class"].isin(GAP_ORDER)].copy()
    out["rank_class"] = out["gap_class"].map({c: i for i, c in enumerate(GAP_ORDER)})
    keys = [k for k in ("rank_class", "incidents", "presence_min") if k in out]
    out = out.sort_values(keys, ascending=[True, False, True][: len(keys)], kind="stable")
    out = out.drop(columns="rank_class").reset_index(drop=True)
    out.insert(1, "band", band)
    return out.head(limit) if limit else out


def demand_weighted_coverage(counts: np.ndarray, covered: np.ndarray) -> float:
    """Share of incidents that fall in covered cells; NaN without incidents.

    >>> demand_weighted_coverage(np.array([6, 3, 1]), np.array([True, False, True]))
    0.7
    """
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    return float(counts[np.asarray(covered, dtype=bool)].sum() / total) if total else float("nan")


def add_language_coverage(table, posts: pd.DataFrame | None, language: str, *,
                          reach_m: float = 400.0, tz: str = "Europe/Belgrade") -> pd.DataFrame:
    """Add ``covered_lang_<band>``: within reach of a post staffed in the band by officers who
    speak ``language``; return per band the share of incidents in those cells
    (:func:`demand_weighted_coverage` of the band's counts and that mask)."""
    from geo._errors import UsageError
    from geo.analysis.presence import posts_to_presence

    if posts is None or not len(posts) or table.period is None:
        msg = f"--language {language}: needs a posts file with a languages column"
        raise UsageError(msg)
    spoken = posts["languages"].fillna("") if "languages" in posts else pd.Series("", posts.index)
    if not spoken.str.len().any():
        msg = (f"--language {language}: the posts file has no languages column (e.g. "
               "'sr;sq'); add one to measure coverage by language")
        raise UsageError(msg)
    code = language.strip().lower()
    table.language = code
    speaks = spoken.str.split(";").map(lambda found: code in found).to_numpy(bool)
    _, covered = posts_to_presence(posts[speaks], table.cells, period=table.period,
                                   reach_m=reach_m, bands=table.bands, tz=tz)
    rows = {}
    for band in table.band_names:
        mask = covered[band].to_numpy(bool)
        table.frame[f"covered_lang_{band}"] = mask
        counts = table.frame[f"incidents_{band}"].to_numpy()
        rows[band] = {"language": code, "incidents": int(counts.sum()),
                      "covered": int(counts[mask].sum()),
                      "share": demand_weighted_coverage(counts, mask),
                      "cells_covered": int(mask.sum())}
    if not speaks.any():
        table.notes.append(f"no post lists the language {code!r}: its coverage is 0")
    return pd.DataFrame.from_dict(rows, orient="index")
