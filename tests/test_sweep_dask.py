"""The same sweep on a Dask cluster (a LocalCluster on loopback) equals the local run."""

import pandas as pd
import pytest

import fastbt

distributed = pytest.importorskip("distributed", reason="needs the dask extra")

GRID = {"fast": range(2, 30, 3), "slow": range(10, 80, 9)}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as local_cluster:
        yield local_cluster


def test_dask_backend_gives_the_local_table(cluster):
    local = fastbt.sweep(["GOOG", "BTCUSD"], "ma_cross", GRID, chunk_size=15, progress=False)
    remote = fastbt.sweep(
        ["GOOG", "BTCUSD"],
        "ma_cross",
        GRID,
        chunk_size=15,
        progress=False,
        backend="dask",
        scheduler=cluster.scheduler_address,
    )
    pd.testing.assert_frame_equal(remote, local)


def test_dask_backend_accepts_an_existing_client(cluster, tmp_path):
    local = fastbt.sweep("GOOG", "rsi", {"window": [5, 14], "oversold": [25, 30]}, progress=False)
    with distributed.Client(cluster.scheduler_address) as client:
        remote = fastbt.sweep(
            "GOOG",
            "rsi",
            {"window": [5, 14], "oversold": [25, 30]},
            progress=False,
            backend="dask",
            scheduler=client,
            out=tmp_path / "run",
            chunk_size=1,
        )
        assert client.status == "running"  # a client we were given stays open
    pd.testing.assert_frame_equal(remote, local, check_dtype=False)


def test_dask_backend_brings_the_block_statistics_back(cluster):
    local = fastbt.sweep("GOOG", "ma_cross", GRID, chunk_size=15, progress=False, blocks=8)
    remote = fastbt.sweep(
        "GOOG",
        "ma_cross",
        GRID,
        chunk_size=15,
        progress=False,
        blocks=8,
        backend="dask",
        scheduler=cluster.scheduler_address,
    )
    pd.testing.assert_frame_equal(remote, local)
    assert (remote.attrs["blocks"].stats["GOOG"] == local.attrs["blocks"].stats["GOOG"]).all()


def test_dask_backend_runs_portfolio_sweeps(cluster):
    data = fastbt.synthetic_universe(4, 200, seed=1)
    grid = {"lookback": [5, 20], "top_k": [1, 2]}
    local = fastbt.sweep(data, "momentum_rotation", grid, progress=False)
    remote = fastbt.sweep(
        data,
        "momentum_rotation",
        grid,
        chunk_size=3,
        progress=False,
        backend="dask",
        scheduler=cluster.scheduler_address,
    )
    pd.testing.assert_frame_equal(remote, local)
