"""The presence kernel on Dask: a LocalCluster of 2 workers gives exactly the cell table the
in-process engine gives on the same dataset."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from test_ingest import _pings, _write_files

from geo.analysis.steps import Settings, analyse
from geo.inputs.area import default_area
from geo.inputs.dataset import open_dataset
from geo.inputs.ingest import ingest_pings

try:
    import distributed
except ImportError:  # the scale extra is not installed
    if os.environ.get("CI") == "true":
        raise
    distributed = None

needs_dask = pytest.mark.skipif(distributed is None,
                                reason="needs the scale extra: pip install 'patrolmap[scale]'")


def _incidents(n: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    times = pd.Timestamp("2025-01-25", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 45 * 86400, n), unit="s")
    frame = pd.DataFrame({"row": np.arange(2, n + 2), "time": times,
                          "lat": 42.8938 + rng.normal(0, 0.002, n),
                          "lng": 20.8652 + rng.normal(0, 0.003, n),
                          "category": rng.choice(["fight", "theft"], n), "count": 1})
    inside = default_area().contains_latlng(frame["lat"].to_numpy(), frame["lng"].to_numpy())
    return frame[inside].reset_index(drop=True)  # accepted rows lie in the area


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("engines")
    files = _write_files(root / "gps", _pings(seed=11))
    ingest_pings(files, root / "ds", area=default_area(), buckets=4, chunk_rows=200)
    return open_dataset(root / "ds")


@needs_dask
@pytest.mark.slow
@pytest.mark.dask
@pytest.mark.parametrize("add_every", [8, 2])  # 2: the partials added over two levels
def test_dask_local_cluster_gives_the_in_process_cell_table(dataset, add_every, monkeypatch):
    from distributed import LocalCluster

    import geo.analysis.engines as engines

    monkeypatch.setattr(engines, "_ADD_EVERY", add_every)
    incidents, area = _incidents(), default_area()
    base = {"res": 10, "decisions": False}
    local = analyse(incidents, area, pings=dataset, settings=Settings(**base))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        on_dask = analyse(incidents, area, pings=dataset,
                          settings=Settings(**base, engine="dask",
                                            scheduler=cluster.scheduler_address))
    assert len(dataset.partitions) >= 6  # units over 4 buckets and 3 months
    left, right = local.table.frame, on_dask.table.frame
    assert list(left.columns) == list(right.columns)
    presence = [c for c in left.columns if c.startswith(("presence_min_", "visits_", "stops_"))]
    assert len(presence) == 3 * len(local.table.band_names)
    assert left["presence_min_all"].sum() > 0 and left["stops_all"].sum() > 0
    for column in left.columns:  # every column, every band
        pd.testing.assert_series_equal(left[column], right[column], check_exact=True)
    assert np.array_equal(local.week["patrol_hours"], on_dask.week["patrol_hours"])
    p, q = local.presence, on_dask.presence
    assert (p.intervals, p.capped) == (q.intervals, q.capped)
    assert np.array_equal(p.interval_counts, q.interval_counts)


def test_unknown_engine_and_scheduler_without_dask_are_usage_errors(dataset):
    from geo._errors import UsageError
    from geo.analysis.bands import DEFAULT_BANDS
    from geo.analysis.engines import dataset_partials

    cells = np.array([0], dtype=np.uint64)
    with pytest.raises(UsageError, match="choose local or dask"):
        dataset_partials(dataset, cells, res=10, bands=DEFAULT_BANDS, cap_s=120.0,
                         engine="spark")
    with pytest.raises(UsageError, match="needs --engine dask"):
        dataset_partials(dataset, cells, res=10, bands=DEFAULT_BANDS, cap_s=120.0,
                         scheduler="tcp://127.0.0.1:1")


def test_partitions_go_to_dask_in_few_groups_of_about_equal_rows():
    from geo.analysis.engines import balanced_groups

    paths = [f"p{i}" for i in range(7)]
    rows = [50, 10, 40, 30, 20, 25, 5]
    groups = balanced_groups(paths, rows, 3)
    assert sorted(p for g in groups for p in g) == paths  # each partition once
    loads = sorted(sum(rows[paths.index(p)] for p in g) for g in groups)
    assert loads == [60, 60, 60]  # 180 rows in three
    assert balanced_groups(paths[:2], rows[:2], 6) == [["p0"], ["p1"]]
