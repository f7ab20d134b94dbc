"""Builders and checks shared by the hand-computed v2 golden tests (shorts, stops, entry orders).

Bars are written as rows ``(open, high, low, close)`` so each test shows the whole
price path next to the arithmetic worked out from docs/execution.md.
"""

import math

import pandas as pd
import pytest

import fastbt
from tests.helpers import make_bars, scripted

CASH = 10_000.0
ENGINES = ("fast", "reference")


def ohlc(rows) -> pd.DataFrame:
    """Bar frame from ``(open, high, low, close)`` rows; refuses a row that is not a valid bar."""
    for i, (o, h, low, c) in enumerate(rows):
        assert h >= max(o, c) and low <= min(o, c), f"test bar {i} is not a valid bar"
    open_, high, low, close = (list(column) for column in zip(*rows, strict=True))
    return make_bars(open_, close, high, low)


def flat_bars(closes) -> pd.DataFrame:
    """Bars that open, close and trade at one price each (no intrabar range)."""
    return ohlc([(c, c, c, c) for c in closes])


def backtest(bars, entries, exits, engine, **options):
    """Run scripted signals (bar indices) on ``bars`` with ``engine`` and ``options``."""
    strategy = scripted(entries, exits, n=len(bars))
    return fastbt.run(bars, strategy, engine=engine, **options)


def check_trade(
    trade,
    *,
    direction,
    entry_bar,
    entry_price,
    qty,
    exit_bar=None,
    exit_price=None,
    exit_reason=None,
    entry_fee=0.0,
    exit_fee=0.0,
):
    """Assert one trade row; pnl and return follow the trade formulas of the rules.

    ``exit_bar=None`` means the trade is still open at the end.
    """
    assert trade["direction"] == direction
    assert trade["entry_bar"] == entry_bar
    assert trade["entry_price"] == pytest.approx(entry_price, rel=1e-12)
    assert trade["qty"] == pytest.approx(qty, rel=1e-12)
    assert trade["entry_fee"] == pytest.approx(entry_fee, rel=1e-12, abs=1e-12)
    if exit_bar is None:
        assert trade["status"] == "open"
        assert pd.isna(trade["exit_bar"]) and pd.isna(trade["exit_reason"])
        assert math.isnan(trade["exit_price"]) and math.isnan(trade["pnl"])
        return
    sign = 1.0 if direction == "long" else -1.0
    pnl = sign * qty * (exit_price - entry_price) - (entry_fee + exit_fee)
    assert trade["status"] == "closed"
    assert trade["exit_bar"] == exit_bar
    assert trade["exit_reason"] == exit_reason
    assert trade["exit_price"] == pytest.approx(exit_price, rel=1e-12)
    assert trade["exit_fee"] == pytest.approx(exit_fee, rel=1e-12, abs=1e-12)
    assert trade["fees"] == pytest.approx(entry_fee + exit_fee, rel=1e-12, abs=1e-12)
    assert trade["pnl"] == pytest.approx(pnl, rel=1e-12, abs=1e-9)
    assert trade["return"] == pytest.approx(
        pnl / (qty * entry_price + entry_fee), rel=1e-12, abs=1e-12
    )
    assert trade["bars_held"] == exit_bar - entry_bar


def check_series(result, *, equity=None, cash=None, position=None):
    """Assert the per-bar equity, cash and signed position against hand-computed lists."""
    for name, expected in (("equity", equity), ("cash", cash), ("position", position)):
        if expected is not None:
            got = getattr(result, name).to_numpy().tolist()
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-9), name


def check_counts(result, *, n_trades, n_long=0, n_short=0, n_stop=0, n_expired=0, n_skipped=0):
    """Assert the trade and order counts among the metrics (exact integers)."""
    m = result.metrics
    got = (
        m["n_trades"],
        m["n_long_trades"],
        m["n_short_trades"],
        m["n_stop_exits"],
        m["n_expired"],
        m["n_skipped"],
    )
    assert got == (n_trades, n_long, n_short, n_stop, n_expired, n_skipped)
    assert all(type(count) is int for count in got)
