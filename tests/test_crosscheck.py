"""Fast engine == reference engine on the bundled real data (docs/verification.md)."""

import pytest

import fastbt
from fastbt.compare import compare_results

CASES = [
    ("GOOG", "ma_cross", {"fast": 10, "slow": 30}, {}),
    ("GOOG", "ma_cross", {"fast": 5, "slow": 20}, {"fill": "close", "commission": 0.001}),
    ("GOOG", "ma_cross", {"fast": 50, "slow": 200}, {"fractional": False, "fixed_fee": 1.0}),
    ("GOOG", "ma_cross", {"fast": 2, "slow": 3}, {"slippage": 0.002, "close_at_end": True}),
    ("GOOG", "rsi", {}, {}),
    ("GOOG", "rsi", {"window": 5, "oversold": 20, "overbought": 80}, {"fill": "close"}),
    (
        "GOOG",
        "rsi",
        {"window": 30, "oversold": 45, "overbought": 55},
        {"size": 10, "size_type": "units", "commission": 0.0005},
    ),
    ("EURUSD", "ma_cross", {"fast": 12, "slow": 48}, {"commission": 0.0001}),
    ("EURUSD", "ma_cross", {"fast": 1, "slow": 2}, {"fill": "close", "close_at_end": True}),
    ("EURUSD", "rsi", {}, {"fixed_fee": 0.5, "size": 0.5}),
    ("EURUSD", "rsi", {"window": 3, "oversold": 10, "overbought": 90}, {"fractional": False}),
    ("BTCUSD", "ma_cross", {"fast": 3, "slow": 12}, {"close_at_end": True}),
]


@pytest.mark.parametrize(("symbol", "strategy", "params", "options"), CASES)
def test_fast_engine_matches_reference_on_real_data(symbol, strategy, params, options):
    fast = fastbt.run(symbol, strategy, engine="fast", **options, **params)
    reference = fastbt.run(symbol, strategy, engine="reference", **options, **params)
    assert compare_results(fast, reference) == []
    # Trade bars must be identical, not merely close.
    assert fast.trades["entry_bar"].tolist() == reference.trades["entry_bar"].tolist()
    assert fast.trades["exit_bar"].tolist() == reference.trades["exit_bar"].tolist()


def test_cases_exercise_trades():
    """Guard against a cross-check that passes only because nothing traded."""
    trades = [fastbt.run(s, st, **o, **p).metrics["n_trades"] for s, st, p, o in CASES]
    assert sum(t > 5 for t in trades) >= 8


def test_verify_returns_the_fast_result():
    result = fastbt.verify("GOOG", "ma_cross", fast=10, slow=30)
    assert result.engine == "fast"
    assert result.metrics["n_trades"] > 10


def test_verify_reports_every_difference(monkeypatch):
    """Break the reference portfolio's fee on purpose: verify must name the fields."""
    from fastbt.reference import portfolio

    monkeypatch.setattr(portfolio.Portfolio, "_fee", lambda self, price, qty: 1.0)
    with pytest.raises(fastbt.VerificationError) as error:
        fastbt.verify("GOOG", "ma_cross", fast=10, slow=30, commission=0.001)
    message = str(error.value)
    assert "metric total_fees" in message
    assert "trade 0 entry_fee" in message
    assert "equity differs" in message
