"""Engine v2 around the engines: the trade table's direction and exit_reason, saved
results (JSON, Parquet, and files saved before v2), verify's comparison and the
metric texts. Raw rows are made by hand here, so these tests need no engine."""

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest

import fastbt
from fastbt.compare import compare_results
from fastbt.formatting import METRIC_DESCRIPTIONS, format_metric
from fastbt.kernels.rules import EXIT_REASONS
from fastbt.result import TRADE_COLUMNS, trades_frame
from fastbt.trade_layout import RAW_TRADE_FIELDS
from tests.test_exports import assert_same_result

NAN = math.nan
NEW_METRICS = ("n_long_trades", "n_short_trades", "n_stop_exits", "n_expired", "skew", "kurtosis")

# entry_bar, entry_price, exit_bar, exit_price, qty, entry_fee, exit_fee, pnl, return,
# direction, exit_reason (code; NaN while open)
ROWS = np.array(
    [
        [1, 10.0, 3, 11.0, 2.0, 0.1, 0.1, 1.8, 0.0891, 1, 0],  # long, signal
        [3, 11.0, 5, 12.0, 1.0, 0.1, 0.1, -1.2, -0.108, -1, 1],  # short, reversed
        [5, 12.0, 6, 11.4, 1.0, 0.1, 0.1, -0.8, -0.066, 1, 2],  # long, stop-loss
        [7, 11.0, 8, 9.9, 1.0, 0.1, 0.1, 0.9, 0.081, -1, 3],  # short, take-profit
        [8, 10.0, 9, 10.5, 1.0, 0.0, 0.0, 0.5, 0.05, 1, 4],  # long, end
        [9, 10.5, -1, NAN, 1.0, 0.0, NAN, NAN, NAN, -1, NAN],  # short, open
    ]
)
INDEX = pd.date_range("2024-01-01", periods=10, freq="D")


def test_raw_rows_follow_the_v2_layout():
    assert RAW_TRADE_FIELDS[-2:] == ("direction", "exit_reason")
    assert len(RAW_TRADE_FIELDS) == ROWS.shape[1]
    assert EXIT_REASONS == ("signal", "reverse", "sl", "tp", "end", "ruin")


def test_trades_frame_names_direction_and_exit_reason_before_status():
    frame = trades_frame(ROWS, INDEX)
    assert list(frame.columns) == list(TRADE_COLUMNS)
    assert list(frame.columns[-3:]) == ["direction", "exit_reason", "status"]
    assert frame["direction"].tolist() == ["long", "short", "long", "short", "long", "short"]
    assert frame["exit_reason"].iloc[:5].tolist() == ["signal", "reverse", "sl", "tp", "end"]
    assert frame["exit_reason"].isna().tolist() == [False] * 5 + [True]
    assert frame["status"].tolist() == ["closed"] * 5 + ["open"]
    assert frame["exit_bar"].isna().tolist() == [False] * 5 + [True]
    empty = trades_frame(np.empty((0, len(RAW_TRADE_FIELDS))), INDEX)
    assert list(empty.columns) == list(TRADE_COLUMNS)
    assert empty["direction"].dtype == frame["direction"].dtype


def test_a_ruin_exit_is_named():
    row = ROWS[:1].copy()
    row[0, -1] = EXIT_REASONS.index("ruin")
    assert trades_frame(row, INDEX)["exit_reason"].tolist() == ["ruin"]


@pytest.fixture(scope="module")
def base():
    return fastbt.run("GOOG", "ma_cross", fast=10, slow=30)


def v2_result(base) -> fastbt.Result:
    """A Result carrying every v2 field: hand-made trades, v2 options and metrics."""
    index = base.equity.index[:10]
    options = fastbt.RunOptions.resolve(
        like="vectorbt",
        direction="both",
        sl=0.05,
        tp=0.1,
        trail=True,
        trail_on="close",
        stop_on_fill_bar=False,
        entry_order="limit",
        entry_offset=0.01,
        entry_expiry=3,
        stop_priority="open_first",
    )
    metrics = dict(base.metrics) | {
        "n_long_trades": 3,
        "n_short_trades": 2,
        "n_stop_exits": 2,
        "n_expired": 4,
        "skew": NAN,
        "kurtosis": 2.5,
    }
    return dataclasses.replace(
        base,
        options=options,
        metrics=metrics,
        equity=base.equity.iloc[:10],
        cash=base.cash.iloc[:10],
        position=-base.position.iloc[:10],
        trades=trades_frame(ROWS, index),
        bars=base.bars.iloc[:10],
    )


def test_json_keeps_v2_trades_options_and_metrics(base):
    result = v2_result(base)
    text = result.to_json()
    payload = json.loads(text)
    assert payload["version"] == 2
    assert [t["direction"] for t in payload["trades"]][:2] == ["long", "short"]
    assert [t["exit_reason"] for t in payload["trades"]] == [*EXIT_REASONS[:5], None]
    assert payload["metrics"]["skew"] is None
    assert payload["options"]["like"] == "vectorbt"
    assert payload["options"]["reversal_fee"] == "per_order"
    loaded = fastbt.Result.from_json(text)
    assert_same_result(loaded, result)  # counts come back as ints, skew as NaN
    assert loaded.options.entry_expiry == 3 and loaded.options.sl == 0.05


def test_parquet_keeps_v2_trades_options_and_metrics(base, tmp_path):
    result = v2_result(base)
    result.to_parquet(tmp_path / "saved")
    loaded = fastbt.Result.from_parquet(tmp_path / "saved")
    assert_same_result(loaded, result)
    assert loaded.options == result.options
    assert loaded.trades["exit_reason"].iloc[3] == "tp"


def v1_payload(result: fastbt.Result, close_at_end: bool) -> dict:
    """``result`` as a format-1 file had it: no v2 options, trades without the v2 fields."""
    payload = json.loads(result.to_json())
    payload["version"] = 1
    payload["options"] = {
        k: v
        for k, v in payload["options"].items()
        if k in ("cash", "commission", "fixed_fee", "slippage", "fill", "size")
        or k in ("size_type", "fractional", "close_at_end", "periods_per_year")
    } | {"close_at_end": close_at_end}
    for trade in payload["trades"]:
        del trade["direction"], trade["exit_reason"]
    return payload


@pytest.mark.parametrize("close_at_end", [False, True])
def test_results_saved_before_v2_still_load(close_at_end):
    bars = fastbt.load("GOOG")  # 10/30 holds a position on the last bar
    result = fastbt.run(bars, "ma_cross", fast=10, slow=30, close_at_end=close_at_end)
    loaded = fastbt.Result.from_dict(v1_payload(result, close_at_end))
    assert loaded.options == fastbt.RunOptions(close_at_end=close_at_end)
    assert (loaded.trades["direction"] == "long").all()
    closed = loaded.trades["status"] == "closed"
    last = loaded.trades["exit_bar"] == len(bars) - 1
    expected = np.where(last & close_at_end, "end", "signal")
    assert loaded.trades.loc[closed, "exit_reason"].tolist() == expected[closed].tolist()
    assert loaded.trades.loc[~closed, "exit_reason"].isna().all()
    assert close_at_end == bool((last & closed).any())


def test_parquet_saved_before_v2_still_loads(base, tmp_path):
    base.to_parquet(tmp_path)
    payload = v1_payload(base, close_at_end=False)
    meta = json.loads((tmp_path / "result.json").read_text())
    meta["version"], meta["options"] = 1, payload["options"]
    (tmp_path / "result.json").write_text(json.dumps(meta))
    trades = pd.read_parquet(tmp_path / "trades.parquet")
    trades.drop(columns=["direction", "exit_reason"]).to_parquet(tmp_path / "trades.parquet")
    loaded = fastbt.Result.from_parquet(tmp_path)
    assert loaded.options == fastbt.RunOptions()
    pd.testing.assert_frame_equal(loaded.trades, base.trades)


def test_a_newer_format_is_refused():
    payload = {"format": "fastbt.result", "version": 3}
    with pytest.raises(ValueError, match="version 3 is not supported"):
        fastbt.Result.from_dict(payload)


@pytest.mark.parametrize("column, value", [("direction", "short"), ("exit_reason", "tp")])
def test_verify_compares_direction_and_exit_reason_exactly(base, column, value):
    result = v2_result(base)
    trades = result.trades.copy()
    trades.loc[0, column] = value
    other = dataclasses.replace(result, trades=trades)
    assert compare_results(result, result) == []
    assert compare_results(result, other) == [
        f"trade 0 {column}: fast={trades_frame(ROWS, INDEX)[column].iloc[0]!r} reference={value!r}"
    ]


def test_verify_tells_an_open_trade_from_a_closed_one(base):
    result = v2_result(base)
    trades = result.trades.copy()
    trades.loc[5, "exit_reason"] = "end"
    diffs = compare_results(result, dataclasses.replace(result, trades=trades))
    assert diffs == ["trade 5 exit_reason: fast=nan reference='end'"]


def test_new_metrics_have_a_format_and_a_meaning():
    for name in NEW_METRICS:
        assert METRIC_DESCRIPTIONS[name], name
    assert format_metric("n_long_trades", 1234) == "1,234"
    assert format_metric("n_expired", 0) == "0"
    assert format_metric("skew", -0.12345) == "-0.123"
    assert format_metric("kurtosis", 3.0) == "3.000"
    assert format_metric("skew", NAN) == "n/a"
