#!/usr/bin/env python3
"""Benchmark a national-size community release: many incidents over some 100,000 cells.

Builds a square study area of about ``--cells`` res-9 cells (a country's worth at res 9, or a
large city at res 11) with ``--incidents`` incidents around 120 hot centres over 2025, and in
this one process times each step of a community build with every layer and the report:

- analysis (``analyse``: cells, bands, Gi* and Local Moran with sparse k-ring weights,
  gaps and suggested posts where there are posts);
- the privacy gate (``publish``: the joint suppression and every derived layer);
- the map, the report (HTML and PDF) and the GIS file;
- with ``--audit``, ``patrolmap audit`` of the folder.

Prints each time (wall and CPU), the peak memory of the process, the sizes of the files and
the share of cell counts hidden. Exits 1 when a target is missed:

- analysis, gate, map and report together under 5 minutes;
- the report (HTML and PDF each) under 2 MB;
- peak memory under 16 GB (the machine has 24).

Usage: python scripts/bench_national.py [--cells N] [--incidents N] [--audit] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_privacy import synthetic_city, verdict  # noqa: E402

BUILD_LIMIT_S = 300
REPORT_LIMIT_MB = 2.0
MEMORY_LIMIT_GB = 16.0


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB on Linux


def _step(times: dict, label: str, fn):
    """Run one step; print its wall time and its CPU time (which other work on a shared
    machine disturbs less; above the wall time where threads ran on both cores)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    times[label] = time.perf_counter() - start
    print(f"  {label:<9} {times[label]:7.1f} s   CPU {time.process_time() - cpu:7.1f} s   "
          f"(peak memory so far {_peak_gb():.1f} GB)", flush=True)
    return value


def national(folder: Path, cells: int, incidents: int, *, audit: bool) -> list[str]:
    from geo.analysis.steps import Settings, analyse
    from geo.outputs.gis import write_published
    from geo.outputs.maps import render_map
    from geo.outputs.report import render_report, render_report_pdf
    from geo.privacy.gate import ReportInputs, publish

    times: dict[str, float] = {}
    area, frame = _step(times, "data", lambda: synthetic_city(cells, incidents))
    print(f"  {len(frame):,} incidents in the area", flush=True)
    analysis = _step(times, "analysis", lambda: analyse(
        frame, area, settings=Settings(res=9, permutations=999)))
    print(f"  {len(analysis.table.frame):,} cells", flush=True)
    published = _step(times, "gate", lambda: publish(
        analysis.table, k=5, decisions=analysis.decisions,
        report=ReportInputs(week=analysis.week)))
    out = folder / "national"
    files = {"map": out / "national.html", "report": out / "national_report.html",
             "report PDF": out / "national_report.pdf", "GIS": out / "national.gpkg"}
    _step(times, "map", lambda: render_map(published, files["map"]))
    _step(times, "report", lambda: (render_report(published, files["report"]),
                                    render_report_pdf(published, files["report PDF"])))
    _step(times, "GIS", lambda: write_published(published, files["GIS"]))
    hidden = sum(int((r != 0).sum()) for r in published.reason.values())
    total = sum(len(r) for r in published.reason.values())
    print(f"  hidden {hidden:,} of {total:,} cell counts")
    for name, path in files.items():
        print(f"  {name:<10} {path.stat().st_size / 2**20:7.2f} MB")
    failed = []
    if audit:
        from geo.privacy.audit import audit_paths

        results = _step(times, "audit", lambda: audit_paths([out]))
        problems = [p for r in results for p in r.problems]
        print(f"  audit problems: {len(problems)}")
        if problems:
            failed.append("the audit found problems")
    build = sum(times[k] for k in ("analysis", "gate", "map", "report"))
    print(f"  build (analysis + gate + map + report) {build:.0f} s (target < {BUILD_LIMIT_S}); "
          f"gate / analysis = {times['gate'] / times['analysis']:.2f}; peak memory "
          f"{_peak_gb():.1f} GB (target < {MEMORY_LIMIT_GB:g})")
    if build >= BUILD_LIMIT_S:
        failed.append(f"build over {BUILD_LIMIT_S} s")
    for name in ("report", "report PDF"):
        if files[name].stat().st_size >= REPORT_LIMIT_MB * 2**20:
            failed.append(f"{name} over {REPORT_LIMIT_MB:g} MB")
    if _peak_gb() >= MEMORY_LIMIT_GB:
        failed.append(f"peak memory over {MEMORY_LIMIT_GB:g} GB")
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=100_000)
    parser.add_argument("--incidents", type=int, default=10_000_000)
    parser.add_argument("--audit", action="store_true", help="audit the folder as well")
    parser.add_argument("--keep", metavar="DIR", help="keep the release in DIR")
    args = parser.parse_args()
    print(f"national: about {args.cells:,} cells, {args.incidents:,} incidents", flush=True)
    with tempfile.TemporaryDirectory(prefix="pm-national-") as scratch:
        folder = Path(args.keep or scratch)
        return verdict(national(folder, args.cells, args.incidents, audit=args.audit))


if __name__ == "__main__":
    sys.exit(main())
