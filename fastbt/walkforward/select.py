"""Choosing a window's parameter set and ranking it out of sample."""

import numpy as np

from fastbt.kernels.metrics import METRIC_NAMES
from fastbt.sweep.analysis import LOWER_IS_BETTER


def check_objective(objective: str) -> None:
    if objective not in METRIC_NAMES:
        raise ValueError(
            f"objective must be a metric of the sweep table ({', '.join(METRIC_NAMES)}), "
            f"got {objective!r}"
        )


def check_min_trades(min_trades) -> int:
    if (
        isinstance(min_trades, bool)
        or not isinstance(min_trades, int | np.integer)
        or min_trades < 0
    ):
        raise ValueError(f"min_trades must be a whole number of 0 or more, got {min_trades!r}")
    return int(min_trades)


def scores(values, objective: str) -> np.ndarray:
    """The objective as "larger is better" (negated for drawdown, volatility, fees...),
    NaN as -inf."""
    values = np.asarray(values, dtype=np.float64)
    if objective in LOWER_IS_BETTER:
        values = -values
    return np.where(np.isnan(values), -np.inf, values)


def choose(values, n_trades, objective: str, min_trades: int) -> int | None:
    """Position of the best set (first on ties, NaN as -inf) among those with at least
    ``min_trades`` closed trades; None when no set has that many."""
    candidates = np.flatnonzero(np.asarray(n_trades) >= min_trades)
    if len(candidates) == 0:
        return None
    return int(candidates[np.argmax(scores(values, objective)[candidates])])


def rank(values, position: int, objective: str) -> float:
    """Ascending rank (1 = worst, N = best; ties averaged, NaN as -inf) of set
    ``position`` among all sets."""
    score = scores(values, objective)
    mine = score[position]
    return float(np.sum(score < mine) + (np.sum(score == mine) + 1) / 2)
