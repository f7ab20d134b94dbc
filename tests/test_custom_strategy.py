"""A user-defined strategy (docs/strategies.md) works with run, verify and the registry."""

import numpy as np
import pytest
from numba import njit

import fastbt


@njit(cache=False)
def momentum_signals(open_, high, low, close, volume, lookback, threshold):
    """Enter when close rose more than ``threshold`` over ``lookback`` bars; exit on a fall."""
    n = close.shape[0]
    entry = np.zeros(n, dtype=np.bool_)
    exit_ = np.zeros(n, dtype=np.bool_)
    for i in range(lookback, n):
        change = close[i] / close[i - lookback] - 1.0
        entry[i] = change > threshold
        exit_[i] = change < -threshold
    return entry, exit_


class Momentum(fastbt.ReferenceStrategy):
    def __init__(self, lookback, threshold):
        super().__init__(lookback=lookback, threshold=threshold)
        self.lookback = lookback
        self.threshold = threshold

    def generate_signals(self, history):
        i = len(history) - 1
        if i < self.lookback:
            return False, False
        change = history.close[i] / history.close[i - self.lookback] - 1.0
        return change > self.threshold, change < -self.threshold


MOMENTUM = fastbt.Strategy(
    name="test_momentum",
    description="momentum over a lookback",
    params=(
        fastbt.Param("lookback", int, 20, minimum=1),
        fastbt.Param("threshold", float, 0.05, minimum=0),
    ),
    signals=momentum_signals,
    reference=Momentum,
)


@pytest.fixture(scope="module")
def registered():
    fastbt.register_strategy(MOMENTUM, replace=True)
    return MOMENTUM.name


def test_user_strategy_runs_by_name_and_verifies(registered):
    result = fastbt.verify("GOOG", registered, lookback=10, threshold=0.03, commission=0.001)
    assert result.strategy == registered
    assert result.params == {"lookback": 10, "threshold": 0.03}
    assert result.metrics["n_trades"] > 5
    assert registered in [s.name for s in fastbt.list_strategies()]


def test_user_strategy_defaults_and_validation(registered):
    assert fastbt.run("GOOG", registered).params == {"lookback": 20, "threshold": 0.05}
    with pytest.raises(ValueError, match="'lookback' must be >= 1"):
        fastbt.run("GOOG", registered, lookback=0)


def test_registering_a_taken_name_needs_replace(registered):
    with pytest.raises(ValueError, match="already registered"):
        fastbt.register_strategy(MOMENTUM)
    with pytest.raises(ValueError, match="expected a fastbt Strategy"):
        fastbt.register_strategy("ma_cross")


def test_a_strategy_object_can_be_passed_without_registering():
    result = fastbt.run("EURUSD", MOMENTUM, lookback=24, threshold=0.002)
    assert result.strategy == "test_momentum"
