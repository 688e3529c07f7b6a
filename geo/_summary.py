"""What a build prints: the planners' figures and decisions, as plain console lines."""

from __future__ import annotations

import math

__all__ = ["analysis_text"]


def analysis_text(analysis) -> str:
    """The figures, gaps and decisions of an analysis as lines for the console."""
    figures = analysis.figures
    lines = ["", "band        incidents  cells for 50%  Gini (kind)       PAI 5/10/20%       "
             "coverage"]
    for band, row in figures.iterrows():
        lines.append(
            f"{band:<11} {int(row['incidents']):>9,}  {_pct(row.get('share_cells_50')):>12}  "
            f"{_num(row['gini'], '.2f'):>4} ({row['gini_kind']:<11}) "
            f"{_num(row['pai_5'], '5.1f'):>5} {_num(row['pai_10'], '5.1f'):>5} "
            f"{_num(row['pai_20'], '5.1f'):>5}  {_pct(row.get('coverage')):>8}")
    gaps = analysis.gaps
    night = gaps[(gaps["band"] == "night") & (gaps["gap_class"] == "3-1")]
    if len(night):
        lines.append(f"night gaps (high need, low presence): {len(night)} cells")
    lines.extend(_layers_text(analysis))
    lines.extend(_decisions_text(analysis.decisions))
    return "\n".join(lines)


def _layers_text(analysis) -> list[str]:
    """Clusters and outliers, rates per resident and coverage in a language, per band."""
    lines = []
    if analysis.clusters is not None:
        lines += ["", "clusters and outliers (Local Moran, FDR 5 %): cells high-high / "
                      "low-low / high-low / low-high"]
        for band, row in analysis.clusters.iterrows():
            lines.append(f"{band:<11} {row['high-high']:>4} / {row['low-low']} / "
                         f"{row['high-low']} / {row['low-high']}")
    if analysis.rates is not None:
        lines += ["", "incidents per 1,000 residents   rate   cells with residents   "
                      "incidents where no one lives"]
        for band, row in analysis.rates.iterrows():
            lines.append(f"{band:<31} {row['rate']:>5.1f}   {int(row['cells_with_residents']):>20}"
                         f"   {int(row['incidents_without_residents']):>28}")
    if analysis.language_coverage is not None:
        found = analysis.language_coverage
        language = found["language"].iloc[0]
        shares = ", ".join(f"{band} {row['share']:.0%}" for band, row in found.iterrows()
                           if row["share"] == row["share"])
        lines += ["", f"incidents within reach of a post speaking {language!r}: {shares}"]
    return lines
def _pct(share) -> str:
    """A share as a whole percent, or ``-`` when it is not known (never ``nan%``)."""
    return f"{share:.0%}" if isinstance(share, (int, float)) and math.isfinite(share) else "-"


def _num(value, spec: str) -> str:
    """A number in ``spec``, or ``-`` when it is not known."""
    return format(value, spec) if isinstance(value, (int, float)) and math.isfinite(value) \
        else "-"


def _decisions_text(decisions) -> list[str]:
    if decisions is None:
        return []
    lines = []
    if decisions.change is not None:
        lines += ["", "before/after   per 30 days before -> after   ratio   p (exact)   "
                      "cells up/down (FDR)"]
        for band, row in decisions.change.iterrows():
            lines.append(f"{band:<14} {row['rate_before']:>10.1f} -> {row['rate_after']:<8.1f}"
                         f" {row['ratio']:>6.2f}   {row['p']:<10.3g}  "
                         f"{int(row['cells_up'])}/{int(row['cells_down'])}")
    if decisions.wdd is not None:
        first = decisions.wdd.iloc[0]
        lines += ["", f"WDD: target {decisions.target} ({first['target_cells']} cells, buffer "
                      f"{first['buffer_cells']}); control: the rest, scaled to the target",
                  "band           WDD ± SE        z       p"]
        for band, row in decisions.wdd.iterrows():
            lines.append(f"{band:<14} {row['wdd']:>6.1f} ± {row['se']:<6.1f} {row['z']:>6.2f} "
                         f"{row['p']:>7.3g}")
    if decisions.prediction is not None:
        lines += ["", f"hot spots before {decisions.prediction_split} as predictions of the "
                      "data from it", "band        chosen       cells   PAI    PEI    RRI"]
        for (band, selection), row in decisions.prediction.iterrows():
            if band not in ("all", "night"):
                continue
            lines.append(f"{band:<11} {selection:<11} {int(row['cells']):>6}  "
                         f"{row['pai']:>5.1f}  {row['pei']:>5.2f}  {row['rri']:>5.2f}")
    if decisions.emerging is not None:
        counts = decisions.emerging.frame["category"].value_counts()
        shown = ", ".join(f"{name}: {n}" for name, n in counts.items()
                          if name != "no pattern detected")
        lines += ["", f"emerging hot spots ({len(decisions.emerging.slices)} "
                      f"slices): {shown or 'no pattern detected'}"]
    if decisions.siting is not None and len(decisions.siting.sites):
        s = decisions.siting
        lines += ["", f"new posts for {s.band} (reach {s.reach_m:.0f} m): coverage "
                      f"{_pct(s.baseline_coverage)} now"]
        for row in s.sites.itertuples():
            lines.append(f"  post {row.rank}: near {row.lat:.5f}, {row.lng:.5f} "
                         f"-> {_pct(row.coverage_after)}")
    return lines
