#!/usr/bin/env python3
"""Benchmark: patrol pings to presence, against per-point and bare bulk H3 baselines.

Generates N pings (default 10 million) of patrol units moving in a box around the North
Mitrovica area (about 60 % of them fall outside it and are rejected), writes them to Parquet,
and times (A in this process, the others each in a fresh one, see below):

- baseline A: a per-point ``h3.latlng_to_cell`` loop over the same points;
- baseline B: one bare call of the bulk binding (h3ronpy ``coordinates_to_cells``), one core;
- baseline C: the same bare conversion split over the cores
  (``geo.analysis.cells.points_to_cells``: a million points a thread);
- patrolmap's whole presence path: read Parquet, check rows, cells, sort, dwell, per-cell
  per-band sums (``geo.inputs.validate.read_pings`` then
  ``geo.analysis.presence.pings_to_presence``).

B, C and the path each run ``--repeat`` times, interleaved, each run in a fresh process
(as a command runs: this process's own history, the generated data and the loop's ten million
strings, is charged to none of them), the fastest run of each kept (the machine may be
shared); beside each wall time it prints the CPU seconds of that process and its threads,
and for the path its peak memory. Every process first takes the allocator settings the
``patrolmap`` command takes (``geo._memory``). Prints each figure and ratio; exits 1 when a
target is missed:

- cell assignment over the cores at least 3x faster than the per-point loop;
- the presence path at least 0.8x the throughput of the bare conversion over the cores;
- peak memory under 2 GB.

Usage: python scripts/bench.py [--pings N] [--res R] [--repeat K] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BOX = (42.886, 20.836, 42.911, 20.892)  # (min lat, min lng, max lat, max lng), around the area


def make_pings(n: int, *, units: int = 24, seed: int = 7) -> pd.DataFrame:
    """N pings of ``units`` units on random walks in BOX, every 10-60 s, sorted by unit."""
    rng = np.random.default_rng(seed)
    per = np.full(units, n // units)
    per[: n % units] += 1
    unit = np.repeat(np.arange(units), per)
    steps = rng.integers(10, 61, n).astype("timedelta64[s]")
    starts = np.cumsum(np.r_[0, per[:-1]])
    t = np.cumsum(steps)
    t -= np.repeat(t[starts] - steps[starts], per)  # restart the clock for each unit
    time0 = np.datetime64("2025-01-01T00:00:00")
    lat0, lng0, lat1, lng1 = BOX
    walk_lat = np.cumsum(rng.normal(0, 2e-4, n))
    walk_lng = np.cumsum(rng.normal(0, 3e-4, n))
    lat = lat0 + np.abs(np.mod(walk_lat, 2 * (lat1 - lat0)) - (lat1 - lat0))
    lng = lng0 + np.abs(np.mod(walk_lng, 2 * (lng1 - lng0)) - (lng1 - lng0))
    names = np.array([f"U{u:02d}" for u in range(units)])
    return pd.DataFrame({
        "unit_id": pd.Categorical.from_codes(unit, categories=names),
        "timestamp": pd.DatetimeIndex(time0 + t).tz_localize("UTC"),
        "lat": lat, "lon": lng,
    })


def presence_path(path: str, res: int) -> tuple[float, float, int]:
    """patrolmap's own path from a Parquet file to presence sums; (wall s, CPU s, cells)."""
    from geo.analysis.cells import area_to_cells
    from geo.analysis.presence import pings_to_presence
    from geo.inputs.area import default_area
    from geo.inputs.validate import read_pings

    area = default_area()
    cells = area_to_cells(area, res=res)
    start, start_cpu = time.perf_counter(), time.process_time()
    checked = read_pings(path, area=area)
    presence = pings_to_presence(checked.accepted, cells, res=res)
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    assert len(checked.accepted) + checked.judged.rejected == checked.rows_read
    return seconds, cpu, int((presence.minutes["all"] > 0).sum())


def timed(func, *args) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    start, start_cpu = time.perf_counter(), time.process_time()
    func(*args)
    return time.perf_counter() - start, time.process_time() - start_cpu


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (``VmHWM``; ``ru_maxrss`` is
    not used: Linux carries it over from the parent through fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(path: str, res: int, what: str) -> None:
    """One timed figure in this fresh process, printed as JSON: the path, or a baseline
    over the file's points (read before the clock starts)."""
    if what == "path":
        seconds, cpu, cells = presence_path(path, res)
        print(json.dumps({"seconds": seconds, "cpu": cpu, "cells": cells,
                          "peak_mb": peak_rss_mb()}))
        return
    from h3ronpy.vector import coordinates_to_cells

    from geo.analysis.cells import points_to_cells

    frame = pd.read_parquet(path, columns=["lat", "lon"])
    lat, lng = frame["lat"].to_numpy(), frame["lon"].to_numpy()
    del frame
    if what == "one":
        seconds, cpu = timed(coordinates_to_cells, lat, lng, res)
    else:
        seconds, cpu = timed(lambda: points_to_cells(lat, lng, res=res))
    print(json.dumps({"seconds": seconds, "cpu": cpu}))


def in_child(path: Path, res: int, what: str) -> dict:
    """:func:`_child` in a new process."""
    run = subprocess.run([sys.executable, __file__, "--child", str(path), "--res", str(res),
                          "--what", what], capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=10_000_000)
    parser.add_argument("--res", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each timing, the fastest kept (default 3)")
    parser.add_argument("--keep", metavar="DIR", help="keep the Parquet file in DIR")
    parser.add_argument("--child", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--what", default="path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from geo._memory import keep_freed_memory

    keep_freed_memory()  # as the patrolmap command does before any work
    if args.child:
        _child(args.child, args.res, args.what)
        return 0

    import h3
    from h3ronpy.vector import coordinates_to_cells

    from geo._arrays import worker_threads
    from geo.analysis.cells import points_to_cells

    folder = Path(args.keep or tempfile.mkdtemp(prefix="patrolmap-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pings.parquet"
    t0 = time.perf_counter()
    frame = make_pings(args.pings)
    frame.to_parquet(path, index=False)
    print(f"generated {len(frame):,} pings in {time.perf_counter() - t0:.1f} s -> {path}")
    lat = frame["lat"].to_numpy()
    lng = frame["lon"].to_numpy()
    del frame

    t0 = time.perf_counter()
    loop = [h3.latlng_to_cell(a, b, args.res) for a, b in zip(lat.tolist(), lng.tolist(),
                                                                strict=True)]
    t_loop = time.perf_counter() - t0
    bare = np.asarray(coordinates_to_cells(lat, lng, args.res), dtype=np.uint64)
    ours = points_to_cells(lat, lng, res=args.res)
    pick = np.random.default_rng(0).choice(len(lat), 1000, replace=False)
    assert all(format(int(ours[i]), "x") == loop[i] for i in pick), "cells differ from h3"
    assert np.array_equal(ours, bare)
    del loop, bare, ours

    runs: dict[str, list[dict]] = {"one": [], "split": [], "path": []}
    for _ in range(max(1, args.repeat)):  # interleaved: a busy spell hits every figure
        for what in runs:
            runs[what].append(in_child(path, args.res, what))
    (t_one, cpu_one), (t_split, cpu_split), (t_path, cpu_path) = (
        min((run["seconds"], run["cpu"]) for run in runs[key])
        for key in ("one", "split", "path"))
    cells = runs["path"][0]["cells"]
    peak_mb = max(run["peak_mb"] for run in runs["path"])

    print(f"{args.pings:,} pings, {worker_threads()} threads; fastest of {args.repeat} "
          "(wall s, CPU s)")
    for name, seconds, cpu in (
            ("per-point h3.latlng_to_cell loop", t_loop, t_loop),
            ("bare bulk call (h3ronpy), one core", t_one, cpu_one),
            ("bare bulk conversion over the cores (points_to_cells)", t_split, cpu_split),
            ("patrolmap presence path (Parquet -> checked rows -> presence)", t_path,
             cpu_path)):
        print(f"{name:<62} {seconds:8.2f} {cpu:8.2f}")
    print(f"cells with presence: {cells:,}; peak memory of the presence path "
          f"(its own process, the largest of its runs): {peak_mb:,.0f} MB")
    speedup = t_loop / t_split
    throughput = t_split / t_path
    print(f"presence path: {throughput:.2f}x the throughput of the conversion over the "
          f"cores ({t_one / t_path:.2f}x of one bare call; in CPU "
          f"{cpu_split / cpu_path:.2f}x)")
    results = [
        (f"cell assignment vs per-point loop: {speedup:.1f}x faster", speedup >= 3),
        (f"presence path at {throughput:.2f}x the throughput of the bare conversion over "
         "the cores", throughput >= 0.8),
        (f"peak memory: {peak_mb:,.0f} MB", peak_mb < 2048),
    ]
    missed = 0
    for text, ok in results:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
        missed += not ok
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
