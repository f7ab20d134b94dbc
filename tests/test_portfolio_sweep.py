"""Portfolio sweeps: every row equals run_portfolio for its set; chunked, resumable."""

import math

import pandas as pd
import pytest

import fastbt
from fastbt.kernels.metrics import METRIC_NAMES

DATA = fastbt.synthetic_universe(5, 300, seed=3)


def assert_row_is_run(row: pd.Series, result) -> None:
    for name in METRIC_NAMES:
        ours, theirs = row[name], result.metrics[name]
        assert ours == theirs or (math.isnan(ours) and math.isnan(theirs)), (name, ours, theirs)


def _schedule(text: str):
    return int(text) if text.isdigit() else text


@pytest.mark.parametrize(
    "options",
    [
        {"commission": 0.001, "slippage": 0.0005},
        {"fill": "close", "order_sequence": "symbol", "partial": False, "fixed_fee": 2.0},
    ],
)
def test_momentum_rotation_rows_equal_run_portfolio(options):
    grid = {"lookback": [5, 40], "top_k": [1, 2, 5], "rebalance": ["M", 10]}
    table = fastbt.sweep(DATA, "momentum_rotation", grid, progress=False, **options)
    assert len(table) == 12
    assert (table["symbol"] == "portfolio").all()
    assert table.attrs["sweep"]["symbols"] == list(DATA)
    for _, row in table.iterrows():
        result = fastbt.run_portfolio(
            DATA,
            "momentum_rotation",
            lookback=int(row["lookback"]),
            top_k=int(row["top_k"]),
            rebalance=_schedule(row["rebalance"]),
            **options,
        )
        assert_row_is_run(row, result)


@pytest.mark.parametrize(
    "options", [{"size": 0.3}, {"size": 0.3, "direction": "both", "reversal_fee": "per_order"}]
)
def test_signal_strategy_rows_equal_run_portfolio(options):
    grid = {"fast": [3, 8], "slow": [20, 50], "sl": [None, 0.05]}
    table = fastbt.sweep(DATA, "ma_cross", grid, portfolio=True, progress=False, **options)
    assert len(table) == 8
    if "direction" in options:
        assert (table["n_short_trades"] > 0).all()
    for _, row in table.iterrows():
        sl = None if math.isnan(row["sl"]) else row["sl"]
        result = fastbt.run_portfolio(
            DATA, "ma_cross", fast=int(row["fast"]), slow=int(row["slow"]), sl=sl, **options
        )
        assert_row_is_run(row, result)


def test_chunks_and_resume_give_the_same_table(tmp_path):
    grid = {"lookback": [5, 20, 60], "top_k": [1, 3]}
    whole = fastbt.sweep(DATA, "momentum_rotation", grid, progress=False)
    out = tmp_path / "run"
    chunked = fastbt.sweep(DATA, "momentum_rotation", grid, progress=False, chunk_size=4, out=out)
    pd.testing.assert_frame_equal(chunked, whole)
    resumed = fastbt.sweep(DATA, "momentum_rotation", grid, progress=False, out=out, resume=True)
    pd.testing.assert_frame_equal(resumed, whole)
    assert resumed.attrs["sweep"]["n_resumed"] == 2
    assert resumed.attrs["sweep"]["n_computed"] == 0


def test_invalid_sets_are_dropped_and_counted():
    table = fastbt.sweep(
        DATA, "momentum_rotation", {"lookback": [10, 400], "top_k": [2, 9]}, progress=False
    )
    assert table[["lookback", "top_k"]].values.tolist() == [[10, 2]]
    assert table.attrs["sweep"]["n_invalid"] == 3


@pytest.mark.parametrize(
    ("strategy", "kwargs", "message"),
    [
        ("momentum_rotation", {"grid": {"window": [3]}}, "unknown parameter(s)"),
        ("momentum_rotation", {"grid": {"rebalance": ["Y"]}}, "rebalance schedule must be"),
        ("momentum_rotation", {"grid": {"sl": [0.1]}}, "stops do not apply"),
        ("momentum_rotation", {"size": 0.5}, "size: not available"),
        ("momentum_rotation", {"direction": "both"}, "direction: not available"),
        ("ma_cross", {"portfolio": True, "order_sequence": "random"}, "order_sequence must be"),
        ("momentum_rotation", {"grid": {"lookback": [400]}}, "no valid parameter sets"),
    ],
)
def test_bad_portfolio_sweeps_are_refused(strategy, kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fastbt.sweep(DATA, strategy, progress=False, **kwargs)


def test_signal_arrays_are_refused_in_portfolio_sweeps():
    with pytest.raises(ValueError, match="a portfolio sweep takes a strategy"):
        fastbt.sweep(DATA, "ma_cross", portfolio=True, signals=([True], [False]), progress=False)
