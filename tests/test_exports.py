"""Saving results and sweep tables: JSON, Parquet and CSV, and loading them back."""

import json
import math

import numpy as np
import pandas as pd
import pytest

import fastbt
from tests.helpers import make_bars, scripted


def assert_same_result(loaded: fastbt.Result, original: fastbt.Result) -> None:
    assert loaded.strategy == original.strategy
    assert loaded.symbol == original.symbol
    assert loaded.params == original.params
    assert loaded.options == original.options
    assert loaded.metrics.keys() == original.metrics.keys()
    for name, value in original.metrics.items():
        same = value == loaded.metrics[name] or (
            math.isnan(value) and math.isnan(loaded.metrics[name])
        )
        assert same, name
        assert type(loaded.metrics[name]) is type(value), name
    for name in ("equity", "cash", "position"):
        pd.testing.assert_series_equal(
            getattr(loaded, name), getattr(original, name), check_freq=False
        )
    pd.testing.assert_frame_equal(loaded.trades, original.trades)


@pytest.fixture(scope="module")
def results():
    """A result with trades and an open one, a tz-aware intraday one, one with NaN
    metrics and one with an infinite profit factor (no losing trade)."""
    flat = make_bars([10.0] * 30, [10.0] * 30)
    flat.attrs["symbol"] = "FLAT"
    rising = make_bars(np.arange(10.0, 40.0), np.arange(10.5, 40.5))
    return {
        "winner": fastbt.run(rising, scripted([1, 10], [5, 15], n=30)),
        "open_trade": fastbt.run("GOOG", "ma_cross", fast=10, slow=30, commission=0.001),
        "intraday": fastbt.run("EURUSD", "rsi", window=10, fixed_fee=0.5),
        "no_trades": fastbt.run(flat, scripted([], [], n=30)),
        "reference": fastbt.run("BTCUSD", "ma_cross", fast=2, slow=5, engine="reference"),
    }


@pytest.mark.parametrize("name", ["open_trade", "intraday", "no_trades", "reference", "winner"])
def test_json_round_trips_and_is_standard_json(results, name):
    result = results[name]
    text = result.to_json()
    payload = json.loads(text, parse_constant=lambda token: pytest.fail(f"non-standard {token}"))
    assert payload["metrics"]["n_trades"] == result.metrics["n_trades"]
    assert len(payload["index"]) == len(result.equity)
    assert_same_result(fastbt.Result.from_json(text), result)


def test_json_writes_non_finite_metrics_as_null(results):
    result = results["no_trades"]
    assert math.isnan(result.metrics["sharpe"])
    payload = json.loads(result.to_json(series=False))
    assert payload["metrics"]["sharpe"] is None
    winner = results["winner"]
    assert winner.metrics["profit_factor"] == math.inf
    payload = json.loads(winner.to_json(series=False))
    assert payload["metrics"]["profit_factor"] is None
    assert fastbt.Result.from_json(winner.to_json()).metrics["profit_factor"] == math.inf
    assert "index" not in payload and "equity" not in payload
    with pytest.raises(ValueError, match="without its series"):
        fastbt.Result.from_json(result.to_json(series=False))


def test_open_trade_survives_the_round_trip(results):
    result = results["open_trade"]
    assert (result.trades["status"] == "open").sum() == 1
    loaded = fastbt.Result.from_json(result.to_json())
    assert loaded.trades["exit_time"].isna().sum() == 1
    assert loaded.trades["exit_bar"].isna().sum() == 1


@pytest.mark.parametrize("name", ["open_trade", "intraday", "no_trades", "reference", "winner"])
def test_parquet_directory_round_trips_with_bars(results, name, tmp_path):
    result = results[name]
    result.to_parquet(tmp_path / "saved")
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == [
        "bars.parquet",
        "result.json",
        "series.parquet",
        "trades.parquet",
    ]
    loaded = fastbt.Result.from_parquet(tmp_path / "saved")
    assert_same_result(loaded, result)
    pd.testing.assert_frame_equal(loaded.bars, result.bars)


def test_parquet_save_replaces_an_earlier_save(results, tmp_path):
    results["intraday"].to_parquet(tmp_path)
    results["open_trade"].to_parquet(tmp_path)
    assert_same_result(fastbt.Result.from_parquet(tmp_path), results["open_trade"])


def test_loading_something_else_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"no result\.json"):
        fastbt.Result.from_parquet(tmp_path)
    (tmp_path / "result.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match="not a saved fastbt result"):
        fastbt.Result.from_parquet(tmp_path)
    with pytest.raises(ValueError, match="not valid JSON"):
        fastbt.Result.from_json("{nope")
    target = tmp_path / "file.txt"
    target.write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        fastbt.run("GOOG", "ma_cross", fast=5, slow=20).to_parquet(target)


def test_csv_holds_metrics_series_and_every_trade(results, tmp_path):
    result = results["intraday"]
    result.to_csv(tmp_path)
    metrics = pd.read_csv(tmp_path / "metrics.csv")
    values = dict(zip(metrics["name"], metrics["value"], strict=True))
    for name, value in result.metrics.items():
        assert float(values[name]) == pytest.approx(value, rel=1e-12, nan_ok=True)
    assert values["param.window"] == "10"
    assert values["option.fixed_fee"] == "0.5"
    equity = pd.read_csv(tmp_path / "equity.csv")
    np.testing.assert_array_equal(equity["equity"].to_numpy(), result.equity.to_numpy())
    trades = pd.read_csv(tmp_path / "trades.csv")
    assert len(trades) == len(result.trades)
    np.testing.assert_allclose(trades["pnl"], result.trades["pnl"], rtol=1e-12)


@pytest.fixture(scope="module")
def table():
    grid = {"window": range(5, 12), "oversold": [20, 25.5, 30]}
    return fastbt.sweep(["GOOG", "BTCUSD"], "rsi", grid, progress=False)


def test_sweep_table_parquet_round_trip_keeps_the_summary(table, tmp_path):
    fastbt.sweep_to_parquet(table, tmp_path / "saved")
    loaded = fastbt.load_sweep(tmp_path / "saved")
    pd.testing.assert_frame_equal(loaded, table)
    assert loaded.attrs["sweep"]["n_sets"] == table.attrs["sweep"]["n_sets"]
    assert loaded.attrs["sweep"]["options"] == table.attrs["sweep"]["options"]
    with pytest.raises(ValueError, match="not empty"):
        fastbt.sweep_to_parquet(table, tmp_path / "saved")


def test_a_streamed_sweep_directory_loads_like_a_saved_one(tmp_path):
    grid = {"fast": range(2, 12), "slow": range(5, 30, 5)}
    table = fastbt.sweep(
        "GOOG", "ma_cross", grid, out=tmp_path / "out", chunk_size=7, progress=False
    )
    assert len(list((tmp_path / "out").glob("part-*.parquet"))) > 1
    pd.testing.assert_frame_equal(fastbt.load_sweep(tmp_path / "out"), table)


def test_an_unfinished_sweep_directory_is_refused_with_a_hint(tmp_path):
    grid = {"fast": range(2, 12), "slow": range(5, 30, 5)}
    fastbt.sweep("GOOG", "ma_cross", grid, out=tmp_path, chunk_size=7, progress=False)
    (tmp_path / "sweep.json").unlink()
    with pytest.raises(ValueError, match="resume=True"):
        fastbt.load_sweep(tmp_path)


def test_sweep_json_round_trip_and_nulls(table):
    text = fastbt.sweep_to_json(table)
    payload = json.loads(text, parse_constant=lambda token: pytest.fail(f"non-standard {token}"))
    assert payload["columns"] == list(table.columns)
    assert len(payload["rows"]) == len(table)
    nan_sortino = table["sortino"].isna()
    column = payload["columns"].index("sortino")
    assert [row[column] is None for row in payload["rows"]] == nan_sortino.tolist()
    expected = table.copy()
    assert np.isinf(expected["profit_factor"]).any()  # no losing trade: inf comes back NaN
    expected["profit_factor"] = expected["profit_factor"].where(
        np.isfinite(expected["profit_factor"])
    )
    pd.testing.assert_frame_equal(fastbt.sweep_from_json(text), expected)


def test_sweep_csv(table, tmp_path):
    fastbt.sweep_to_csv(table, tmp_path)
    loaded = pd.read_csv(tmp_path / "sweep.csv")
    assert len(loaded) == len(table)
    np.testing.assert_allclose(loaded["sharpe"], table["sharpe"], rtol=1e-12)
    summary = json.loads((tmp_path / "sweep.json").read_text())
    assert summary["strategy"] == "rsi"
