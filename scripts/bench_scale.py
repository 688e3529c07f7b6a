#!/usr/bin/env python3
"""Benchmark the ping path at scale: ingest, the presence kernel, and Dask, in one run.

Writes N pings (default 10 million) of patrol units on random walks in the North Mitrovica
box as Parquet files of about a million pings each (a few units per file, months of pings
each), then times in this process:

- baseline: the bare bulk H3 conversion of the same points, each file's points split over
  the cores (``geo.analysis.cells.points_to_cells``, one part a thread);
- ``patrolmap ingest`` of the files into a dataset (read, check every row, write the rejects,
  store each ping's cell at ``--res``, partition);
- presence over the dataset, in-process (``--engine local``, a group of partitions a
  thread), reading the stored cells, and the kernel over the partitions in one thread
  (the in-process throughput of one core);
- presence over the dataset on a Dask ``LocalCluster`` of one single-threaded worker per core
  (``--engine dask``), unless ``--no-dask``.

The three presence timings (one thread, in-process, Dask on a running cluster) run
``--repeat`` times (3), interleaved, and the fastest of each is kept: one run of under a
second says little on a shared machine.

Beside each wall time it prints the CPU seconds of the stage (this process and its threads;
for Dask, the workers' processes too), which a machine shared with other work disturbs less:
the Dask CPU efficiency is one thread's kernel CPU over the CPU of the workers and this
process.

``--child`` runs ingest and presence alone in a fresh process and prints its peak memory:
use it for the out-of-core run (``--pings 100000000 --child``). Prints every figure and ratio;
exits 1 when a target is missed:

- whole ping path (ingest + presence) at least 0.8x the throughput of the bare conversion;
- Dask parallel efficiency (one thread's kernel time / (cores x Dask time)) at least 0.8;
- peak memory of ingest + presence under 2 GB (``--child``).

Usage: python scripts/bench_scale.py [--pings N] [--res R] [--keep DIR] [--child] [--no-dask]
       [--repeat K]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BOX = (42.886, 20.836, 42.911, 20.892)  # (min lat, min lng, max lat, max lng)
"""Around the study area: about 60 % of the pings fall outside it and are rejected, each
with its position written to the rejects, as pings of units that drive through."""
PER_FILE = 1_000_000
UNITS_PER_FILE = 4


def write_files(folder: Path, n: int, *, seed: int = 7) -> list[Path]:
    """N pings as Parquet files of PER_FILE pings, UNITS_PER_FILE units each, every 10-60 s
    from 2025-01-01 (each unit ~3 months), one file in memory at a time."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    lat0, lng0, lat1, lng1 = BOX
    for f, lo in enumerate(range(0, n, PER_FILE)):
        size = min(PER_FILE, n - lo)
        rng = np.random.default_rng(seed + f)
        per = np.full(UNITS_PER_FILE, size // UNITS_PER_FILE)
        per[: size % UNITS_PER_FILE] += 1
        unit = np.repeat(np.arange(UNITS_PER_FILE), per)
        steps = rng.integers(10, 61, size).astype("timedelta64[s]")
        starts = np.cumsum(np.r_[0, per[:-1]])
        t = np.cumsum(steps)
        t -= np.repeat(t[starts] - steps[starts], per)
        walk_lat = np.cumsum(rng.normal(0, 2e-4, size))
        walk_lng = np.cumsum(rng.normal(0, 3e-4, size))
        names = np.array([f"U{f:04d}-{u}" for u in range(UNITS_PER_FILE)])
        frame = pd.DataFrame({
            "unit_id": pd.Categorical.from_codes(unit, categories=names),
            "timestamp": pd.DatetimeIndex(np.datetime64("2025-01-01T00:00:00") + t
                                          ).tz_localize("UTC"),
            "lat": lat0 + np.abs(np.mod(walk_lat, 2 * (lat1 - lat0)) - (lat1 - lat0)),
            "lon": lng0 + np.abs(np.mod(walk_lng, 2 * (lng1 - lng0)) - (lng1 - lng0)),
        })
        path = folder / f"pings_{f:04d}.parquet"
        frame.to_parquet(path, index=False)
        files.append(path)
    return files


def bare_conversion(files: list[Path], res: int) -> tuple[float, float]:
    """Wall and CPU seconds of the bulk H3 conversion of every point, each file's points
    split over the cores (one part a thread)."""
    from geo._arrays import in_chunks, worker_threads
    from geo.analysis.cells import points_to_cells

    seconds = cpu = 0.0
    for path in files:
        frame = pd.read_parquet(path, columns=["lat", "lon"])
        lat, lng = frame["lat"].to_numpy(), frame["lon"].to_numpy()
        part = -(-len(lat) // worker_threads())
        start, start_cpu = time.perf_counter(), time.process_time()
        in_chunks(lambda a, b: points_to_cells(a, b, res=res), lat, lng, size=part)
        seconds += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
    return seconds, cpu


def kernel_in_one_thread(out: Path, res: int) -> tuple[float, float, int]:
    """Wall and CPU seconds of the presence kernel over every partition in turn, in this
    thread (the in-process throughput of one core), and the minutes checksum."""
    from geo.analysis.bands import DEFAULT_BANDS
    from geo.analysis.cells import area_to_cells
    from geo.analysis.engines import partition_partials
    from geo.analysis.partials import add_partials
    from geo.inputs.area import default_area
    from geo.inputs.dataset import open_dataset

    cells = area_to_cells(default_area(), res=res)
    dataset = open_dataset(out)
    start, start_cpu = time.perf_counter(), time.process_time()
    total = add_partials(partition_partials(p, cells, res=res, bands=DEFAULT_BANDS,
                                            cap_s=120.0, tz="Europe/Belgrade",
                                            stored_res=dataset.res)
                         for p in dataset.partitions)
    return (time.perf_counter() - start, time.process_time() - start_cpu,
            int(total.minutes_us.sum()))


def ingest_and_presence(files: list[Path], out: Path, res: int, engine: str = "local"
                        ) -> dict:
    from geo.analysis.bands import DEFAULT_BANDS
    from geo.analysis.cells import area_to_cells
    from geo.analysis.engines import dataset_partials
    from geo.inputs.area import default_area
    from geo.inputs.dataset import open_dataset
    from geo.inputs.ingest import ingest_pings

    area = default_area()
    start, start_cpu = time.perf_counter(), time.process_time()
    result = ingest_pings(files, out, area=area, res=res)
    t_ingest, cpu_ingest = time.perf_counter() - start, time.process_time() - start_cpu
    dataset = open_dataset(out)
    assert sum(f["rows_read"] for f in dataset.manifest["files"]) == (
        sum(f["accepted"] + f["rejected"] for f in dataset.manifest["files"]))
    cells = area_to_cells(area, res=res)
    start, start_cpu = time.perf_counter(), time.process_time()
    total = dataset_partials(dataset, cells, res=res, bands=DEFAULT_BANDS, cap_s=120.0,
                             engine=engine)
    t_presence, cpu_presence = time.perf_counter() - start, time.process_time() - start_cpu
    return {"ingest_s": t_ingest, "presence_s": t_presence, "ingest_cpu_s": cpu_ingest,
            "presence_cpu_s": cpu_presence, "rows": result.rows,
            "pings": total.pings, "partitions": len(dataset.partitions),
            "minutes_us": int(total.minutes_us.sum())}


def presence_only(out: Path, res: int, engine: str, scheduler: str | None = None
                  ) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (with the Dask workers' own) and the minutes checksum."""
    from geo.analysis.bands import DEFAULT_BANDS
    from geo.analysis.cells import area_to_cells
    from geo.analysis.engines import dataset_partials
    from geo.inputs.area import default_area
    from geo.inputs.dataset import open_dataset

    cells = area_to_cells(default_area(), res=res)
    workers_cpu = _workers_cpu(scheduler)
    start, start_cpu = time.perf_counter(), time.process_time()
    total = dataset_partials(open_dataset(out), cells, res=res, bands=DEFAULT_BANDS,
                             cap_s=120.0, engine=engine, scheduler=scheduler)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return wall, cpu + _workers_cpu(scheduler) - workers_cpu, int(total.minutes_us.sum())


def _workers_cpu(scheduler: str | None) -> float:
    """CPU seconds the workers' processes have used so far (0 without a scheduler)."""
    if scheduler is None:
        return 0.0
    from distributed import Client

    with Client(scheduler) as client:
        return sum(client.run(time.process_time).values())


def _child(args) -> int:
    folder = Path(args.keep or tempfile.mkdtemp(prefix="patrolmap-scale-"))
    start = time.perf_counter()
    files = write_files(folder / "gps", args.pings)
    print(f"generated {args.pings:,} pings in {len(files)} files in "
          f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    got = ingest_and_presence(files, folder / "dataset", args.res)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    got.update(peak_mb=peak_kb / 1024, generator_peak_mb=before / 1024)
    print(json.dumps(got))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pings", type=int, default=10_000_000)
    parser.add_argument("--res", type=int, default=10)
    parser.add_argument("--keep", metavar="DIR", help="keep the files and dataset in DIR")
    parser.add_argument("--child", action="store_true",
                        help="ingest + presence in a fresh process, with its peak memory")
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each presence timing, interleaved, the fastest kept")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from geo._memory import keep_freed_memory

    keep_freed_memory()  # as the patrolmap command does before any work
    if args.inner:
        return _child(args)
    cores = os.cpu_count() or 1
    results = []
    if args.child:
        run = subprocess.run([sys.executable, __file__, "--inner", "--pings", str(args.pings),
                              "--res", str(args.res), *(["--keep", args.keep] if args.keep
                                                        else [])],
                             capture_output=True, text=True, check=True)
        got = json.loads(run.stdout.strip().splitlines()[-1])
        total = got["ingest_s"] + got["presence_s"]
        print(f"{args.pings:,} pings: ingest {got['ingest_s']:.0f} s, presence "
              f"{got['presence_s']:.0f} s over {got['partitions']} partitions: "
              f"{args.pings / total:,.0f} pings/s; peak memory {got['peak_mb']:,.0f} MB "
              f"(the generator alone {got['generator_peak_mb']:,.0f} MB)")
        results.append((f"peak memory {got['peak_mb']:,.0f} MB", got["peak_mb"] < 2048))
    else:
        folder = Path(args.keep or tempfile.mkdtemp(prefix="patrolmap-scale-"))
        files = write_files(folder / "gps", args.pings)
        t_bare, cpu_bare = bare_conversion(files, args.res)
        got = ingest_and_presence(files, folder / "dataset", args.res)
        t_path = got["ingest_s"] + got["presence_s"]
        ratio = t_bare / t_path
        print(f"{args.pings:,} pings in {len(files)} files, {got['partitions']} partitions, "
              f"{cores} cores (wall s, CPU s)")
        print(f"bare bulk H3 conversion (over the cores)      {t_bare:8.2f} {cpu_bare:8.2f}")
        print(f"ingest (read, check, rejects, partition)      {got['ingest_s']:8.2f} "
              f"{got['ingest_cpu_s']:8.2f}")
        print(f"presence over the dataset, in-process         {got['presence_s']:8.2f} "
              f"{got['presence_cpu_s']:8.2f}")
        print(f"whole ping path: {ratio:.2f}x the throughput of the bare conversion "
              f"(presence alone {t_bare / got['presence_s']:.2f}x; in CPU "
              f"{cpu_bare / (got['ingest_cpu_s'] + got['presence_cpu_s']):.2f}x)")
        results.append((f"whole ping path at {ratio:.2f}x the bare conversion", ratio >= 0.8))
        if not args.no_dask:
            t_cold, _, sum_cold = presence_only(folder / "dataset", args.res, "dask")
            from geo.analysis.engines import local_cluster

            dataset = folder / "dataset"
            runs: dict[str, list[tuple[float, float, int]]] = {"one": [], "local": [],
                                                               "dask": []}
            with local_cluster(cores) as cluster:
                address = cluster.scheduler_address
                presence_only(dataset, args.res, "dask", address)  # warm up
                for _ in range(max(1, args.repeat)):  # interleaved, the fastest kept
                    runs["one"].append(kernel_in_one_thread(dataset, args.res))
                    runs["local"].append(presence_only(dataset, args.res, "local"))
                    runs["dask"].append(presence_only(dataset, args.res, "dask", address))
            (t_one, cpu_one, sum_one), (t_local, cpu_local, sum_local), (
                t_dask, cpu_dask, sum_dask) = (min(runs[key]) for key in ("one", "local",
                                                                          "dask"))
            assert {sum_one, sum_local, sum_cold, sum_dask} == {got["minutes_us"]}
            assert len({run[2] for key in runs for run in runs[key]}) == 1
            efficiency = t_one / (cores * t_dask)
            print(f"presence kernel in one thread {t_one:.2f} s ({cpu_one:.2f} s CPU); "
                  f"in-process over {cores} threads {t_local:.2f} s ({cpu_local:.2f} s CPU); "
                  f"on LocalCluster({cores}) {t_dask:.2f} s on a running cluster "
                  f"({t_cold:.2f} s starting one), {cpu_dask:.2f} s CPU: parallel "
                  f"efficiency {efficiency:.2f}, CPU efficiency {cpu_one / cpu_dask:.2f}")
            results.append((f"Dask parallel efficiency {efficiency:.2f}", efficiency >= 0.8))
    missed = 0
    for text, ok in results:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
        missed += not ok
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
