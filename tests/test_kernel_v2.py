"""The v2 fast path beyond the hand-computed cases: sweeps over stop levels equal single
runs, streaming skew and kurtosis equal the full-array moments, and busy v2 runs (a trade
closed on almost every bar, two on some) keep every trade row."""

import numpy as np
import pytest

import fastbt
from tests.helpers import make_bars, scripted

V2_OPTIONS = [
    {"direction": "both", "trail": True, "fill": "close"},
    {"direction": "short", "stop_priority": "sl_first", "stop_slippage": "both", "slippage": 0.001},
    {"entry_order": "limit", "entry_expiry": 5, "commission": 0.001, "fixed_fee": 1.0},
    {"direction": "both", "entry_order": "stop", "reversal_fee": "per_order", "fixed_fee": 2.0},
]


@pytest.mark.parametrize("options", V2_OPTIONS)
def test_sweep_over_stop_levels_equals_single_runs(options):
    grid = {
        "fast": [5, 10],
        "slow": [30],
        "sl": [0.02, 0.05],
        "tp": [None, 0.08],
        "entry_offset": [0.0, 0.01],
    }
    bars = fastbt.load("GOOG")
    table = fastbt.sweep(bars, "ma_cross", grid, progress=False, **options)
    assert len(table) == 16
    assert table["tp"].isna().sum() == 8
    for row in table.itertuples(index=False):
        tp = None if np.isnan(row.tp) else row.tp
        single = fastbt.run(
            bars, "ma_cross", fast=row.fast, slow=row.slow, sl=row.sl, tp=tp,
            entry_offset=row.entry_offset, **options,
        ).metrics  # fmt: skip
        for name in fastbt.kernels.METRIC_NAMES:
            assert getattr(row, name) == pytest.approx(single[name], rel=1e-12, nan_ok=True), name


def test_a_level_swept_and_given_as_an_option_is_refused():
    with pytest.raises(ValueError, match="sl given both in grid and as a run option"):
        fastbt.sweep("GOOG", "ma_cross", {"sl": [0.01, 0.02]}, sl=0.05, progress=False)


def test_grid_level_values_are_checked_like_the_option():
    with pytest.raises(ValueError, match=r"grid 'sl'.*sl"):
        fastbt.sweep("GOOG", "ma_cross", {"sl": [0.01, 1.5]}, progress=False)


def _moments(result):
    """Biased skew and kurtosis of the bar returns, two-pass from the equity curve."""
    equity = result.equity.to_numpy()
    previous = np.concatenate([[result.options.cash], equity[:-1]])
    returns = np.where(equity == previous, 0.0, equity / previous - 1.0)
    deviation = returns - returns.mean()
    m2 = np.mean(deviation**2)
    return np.mean(deviation**3) / m2**1.5, np.mean(deviation**4) / m2**2


@pytest.mark.parametrize(
    "options",
    [{}, {"direction": "both", "sl": 0.03, "tp": 0.05, "commission": 0.002}],
)
@pytest.mark.parametrize("symbol", ["GOOG", "BTCUSD"])
def test_streaming_skew_and_kurtosis_equal_the_full_array_moments(symbol, options):
    result = fastbt.run(symbol, "ma_cross", fast=5, slow=20, **options)
    skew, kurtosis = _moments(result)
    assert result.metrics["skew"] == pytest.approx(skew, rel=1e-9)
    assert result.metrics["kurtosis"] == pytest.approx(kurtosis, rel=1e-9)


def test_moments_stay_accurate_when_returns_sit_far_from_zero():
    # Bought at bar 0's close, then a steady 1% gain a bar with a 1e-6 wobble: returns
    # whose level is far above their spread (bar 0's return of 0 aside).
    n = 400
    close = list(100 * np.cumprod(1.01 + 1e-6 * np.sin(np.arange(n))))
    result = fastbt.run(make_bars(close, close), scripted([0], [], n=n), fill="close", cash=1e4)
    skew, kurtosis = _moments(result)
    assert result.metrics["skew"] == pytest.approx(skew, rel=1e-9)
    assert result.metrics["kurtosis"] == pytest.approx(kurtosis, rel=1e-9)


def test_busy_runs_keep_every_trade_row():
    # Entries on every bar, a stop-loss and take-profit inside most bars' range, live on the
    # fill bar: nearly every bar opens and closes a trade; with "both" and stop entries a
    # bar can fill an entry order and reverse at the close.
    bars = fastbt.load("GOOG").iloc[:300]
    n = len(bars)
    every = scripted(list(range(0, n, 1)), list(range(1, n, 3)), n=n)
    for options in (
        {"sl": 0.001, "tp": 0.001, "close_at_end": True},
        {"direction": "both", "fill": "close", "entry_order": "stop", "sl": 0.002, "tp": 0.002},
    ):
        result = fastbt.run(bars, every, **options)
        trades = result.trades
        closed = trades[trades["status"] == "closed"]
        assert len(closed) == result.metrics["n_trades"]
        assert result.metrics["n_trades"] > n // 3
        assert (closed["exit_bar"] >= closed["entry_bar"]).all()
