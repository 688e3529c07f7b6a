"""Running the presence kernel over a ping dataset: in this process, or on a Dask cluster.

Both engines run :func:`geo.analysis.partials.presence_partials` once per partition (whole
units of one month, with their context pings) and add the partials up (in-process, a group
of partitions of about equal rows per thread, one thread per core); the sums are whole
microseconds and counts, so the result is the same, to the last bit, whichever engine and in
whatever order. Only the partials travel: a worker reads its partitions from the dataset path
itself (every worker must see the same path), and what comes back is one row per (cell, band)
that got any presence. On Dask the partitions go out in a few tasks per worker thread, of
about equal rows, and each task adds its partitions' partials before it returns one.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import numpy as np

from geo._arrays import in_threads, worker_threads
from geo._errors import UsageError
from geo._memory import keep_freed_memory
from geo.analysis.bands import Band
from geo.analysis.partials import Partials, add_partials, presence_partials
from geo.inputs.dataset import PingDataset, read_partition

__all__ = ["ENGINES", "partition_partials", "dataset_partials", "balanced_groups",
           "local_cluster"]

ENGINES = ("local", "dask")
_TASKS_PER_THREAD = 3
"""Tasks per worker thread: few enough that scheduling costs little, enough that a slow
worker does not keep the others idle at the end."""


def partition_partials(path: str | Path, cells: np.ndarray, *, res: int,
                       bands: Sequence[Band], cap_s: float, tz: str,
                       period: tuple | None = None, months: tuple[int, int] | None = None,
                       stored_res: int | None = None) -> Partials:
    """The presence partials of one partition file; its stored cells are read when they
    are at ``res`` (``stored_res``, the dataset's), else the positions are converted."""
    part = read_partition(path, period=period, cells=stored_res == res)
    return presence_partials(part["unit"], part["t_us"], part["lat"], part["lng"], cells,
                             res=res, bands=bands, cap_s=cap_s, tz=tz, owned=part["owned"],
                             months=months, cell=part.get("cell"))


def _on_group(group: list[str], kernel) -> list[Partials]:
    """The summed partials of a task's group of partitions: one small result per task."""
    keep_freed_memory()  # in the worker process, as the command does in its own
    return [add_partials(kernel(path) for path in group)]


_ADD_EVERY = 8
"""Partials added by one task of the reduction on the workers."""


def _added(*parts: list[Partials]) -> list[Partials]:
    """The sum of tasks' partials, as one task's result."""
    return [add_partials(p for part in parts for p in part)]


def balanced_groups(paths: Sequence[str], rows: Sequence[int], n: int) -> list[list[str]]:
    """``paths`` in at most ``n`` groups of about equal rows (the largest placed first, each
    into the lightest group), so that a few tasks carry the work with little idle time."""
    groups: list[list[str]] = [[] for _ in range(max(1, min(n, len(paths))))]
    heap = [(0, i) for i in range(len(groups))]
    for at in sorted(range(len(paths)), key=lambda i: -rows[i]):
        load, i = heapq.heappop(heap)
        groups[i].append(paths[at])
        heapq.heappush(heap, (load + rows[at], i))
    return [g for g in groups if g]


def dataset_partials(dataset: PingDataset, cells: np.ndarray, *, res: int,
                     bands: Sequence[Band], cap_s: float, tz: str = "Europe/Belgrade",
                     period: tuple | None = None, engine: str = "local",
                     scheduler: str | None = None,
                     months: tuple[int, int] | None = None) -> Partials:
    """Presence partials of a whole dataset, summed.

    Parameters
    ----------
    period
        (first, last) UTC times: pings outside are left out, as a build from files does.
    engine
        ``local``: partition after partition in this process; ``dask``: tasks over groups of
        partitions on a Dask cluster, then a tree reduction of the partials on the workers.
    scheduler
        The address of a running Dask scheduler (``tcp://host:8786``); None starts a
        ``LocalCluster`` of one worker process per core for the run.
    months
        Presence per local month too (see :func:`~geo.analysis.partials.presence_partials`).
    """
    if engine not in ENGINES:
        msg = f"--engine {engine}: choose local or dask"
        raise UsageError(msg)
    if scheduler and engine != "dask":
        msg = "--scheduler needs --engine dask"
        raise UsageError(msg)
    kernel = partial(partition_partials, cells=cells, res=res, bands=tuple(bands),
                     cap_s=cap_s, tz=tz, period=period, months=months,
                     stored_res=dataset.res)
    paths = [str(p) for p in dataset.partitions]
    if not paths:
        return Partials()
    rows = [dataset.manifest["partitions"][key]["rows"]
            for key in sorted(dataset.manifest["partitions"])]
    if engine == "local":  # a group of partitions a thread: pyarrow and numpy free the GIL
        return add_partials(in_threads(lambda group: add_partials(map(kernel, group)),
                                       balanced_groups(paths, rows, worker_threads())))
    return _on_dask(paths, rows, kernel, scheduler)


def local_cluster(n_workers: int | None = None):
    """A Dask ``LocalCluster`` of ``n_workers`` single-threaded worker processes (one per
    core by default) that keep the memory the kernel frees for its next arrays.

    Dask starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which hands every freed
    array back to the system at once: each partition's arrays are then faulted in afresh,
    and the kernel costs about 1.7x the CPU it costs in one process. Here the variable is
    left unset, so the C library keeps its own adaptive thresholds, as in any process. The
    workers' sampling profiler (for a dashboard this cluster does not serve) is off: it
    takes the GIL from the kernel a hundred times a second.
    """
    try:
        import dask
        from distributed import LocalCluster
    except ImportError:
        msg = "dask is needed for --engine dask: pip install 'patrolmap[scale]'"
        raise UsageError(msg) from None
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                          "distributed.worker.profile.enabled": False}):
        return LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                            processes=True, dashboard_address=None)


def _on_dask(paths: list[str], rows: list[int], kernel, scheduler: str | None) -> Partials:
    try:
        from distributed import Client
    except ImportError:
        msg = "dask is needed for --engine dask: pip install 'patrolmap[scale]'"
        raise UsageError(msg) from None
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as err:
            msg = f"--scheduler {scheduler}: no Dask scheduler answers there ({err})"
            raise UsageError(msg) from None
    else:
        cluster = local_cluster()
        client = Client(cluster)
    try:
        threads = sum(client.nthreads().values()) or 1
        groups = balanced_groups(paths, rows, _TASKS_PER_THREAD * threads)
        # tasks submitted as futures, their partials added 8 at a time on the workers: the
        # same sums as a dask.bag reduction, without building and optimising its graph
        # (about a third of a second a run on a small cluster)
        futures = client.map(_on_group, groups, kernel=kernel, pure=False)
        while len(futures) > 1:
            futures = [client.submit(_added, *futures[i:i + _ADD_EVERY], pure=False)
                       for i in range(0, len(futures), _ADD_EVERY)]
        return client.gather(futures[0])[0]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
