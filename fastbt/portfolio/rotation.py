"""Cross-sectional strategies: target weights computed across the symbols.

``momentum_rotation`` holds, from every rebalance bar on, the ``top_k`` symbols with
the highest trailing ``lookback``-bar return, equally weighted. Its fast form is a
Numba kernel over the whole closes array; its reference form ranks one bar at a
time in plain Python, from the closes seen so far (docs/portfolios.md).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from fastbt.kernels.rotation import momentum_weights
from fastbt.portfolio.universe import Universe, universe
from fastbt.portfolio.weights import check_every, period_key, rebalance_bars
from fastbt.strategies.spec import Param


@dataclass(frozen=True)
class CrossSectional:
    """A strategy over all symbols at once: numeric ``params``, a rebalancing schedule,
    a fast form ``weights(data, values)`` (the whole weights array) and a reference form
    ``reference(data, values)`` that returns ``decide(i)`` (the weights of bar i, from
    bars 0..i)."""

    name: str
    description: str
    params: tuple[Param, ...]
    weights: Callable
    reference: Callable

    def resolve(self, given: dict, n_bars: int, n_symbols: int) -> dict:
        """Parameters checked: known names, types and ranges, plus ``rebalance``."""
        given = dict(given)
        every = check_every(given.pop("rebalance", "M"))
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) for strategy '{self.name}': {', '.join(unknown)} "
                f"(known: {', '.join(sorted(known | {'rebalance'}))})"
            )
        values = {p.name: p.coerce(given.get(p.name, p.default)) for p in self.params}
        if values["lookback"] >= n_bars:
            raise ValueError(
                f"parameter 'lookback' ({values['lookback']}) must be below the number of bars ({n_bars})"
            )
        if values["top_k"] > n_symbols:
            raise ValueError(
                f"parameter 'top_k' ({values['top_k']}) must be at most the number of symbols ({n_symbols})"
            )
        return values | {"rebalance": every}


def _momentum_fast(data: Universe, values: dict) -> np.ndarray:
    mask = rebalance_bars(data.index, values["rebalance"])
    return momentum_weights(data.close, values["lookback"], values["top_k"], mask)


def _momentum_reference(data: Universe, values: dict):
    """``decide(i)``: sees bar i's closes, ranks on the first bar of a period."""
    lookback, top_k, every = values["lookback"], values["top_k"], values["rebalance"]
    seen: list[list[float]] = []

    def is_rebalance_bar(i: int) -> bool:
        if isinstance(every, int):
            return i % every == 0
        return i == 0 or period_key(data.index[i], every) != period_key(data.index[i - 1], every)

    def decide(i: int) -> list:
        seen.append([float(c) for c in data.close[i]])
        n_symbols = len(seen[-1])
        if i < lookback or not is_rebalance_bar(i):
            return [math.nan] * n_symbols
        trailing = [seen[i][k] / seen[i - lookback][k] - 1.0 for k in range(n_symbols)]
        ranked = sorted(range(n_symbols), key=lambda k: -trailing[k])
        chosen = set(ranked[:top_k])
        return [1.0 / top_k if k in chosen else 0.0 for k in range(n_symbols)]

    return decide


MOMENTUM_ROTATION = CrossSectional(
    name="momentum_rotation",
    description="hold the top_k symbols by trailing lookback-bar return, equally weighted, "
    "re-ranked on every rebalance bar",
    params=(
        Param("lookback", int, 126, 1, None, "bars of trailing return to rank by"),
        Param("top_k", int, 1, 1, None, "how many symbols to hold"),
    ),
    weights=_momentum_fast,
    reference=_momentum_reference,
)

CROSS_SECTIONAL = {MOMENTUM_ROTATION.name: MOMENTUM_ROTATION}


def momentum_rotation(data, lookback: int = 126, top_k: int = 1, rebalance="M") -> pd.DataFrame:
    """The weights frame of momentum rotation (fast form), for ``run_portfolio(weights=)``."""
    bars = universe(data)
    values = MOMENTUM_ROTATION.resolve(
        {"lookback": lookback, "top_k": top_k, "rebalance": rebalance},
        len(bars.index),
        len(bars.symbols),
    )
    return pd.DataFrame(_momentum_fast(bars, values), index=bars.index, columns=list(bars.symbols))


def is_cross_sectional(strategy) -> bool:
    """Whether ``strategy`` names a built-in cross-sectional strategy."""
    return isinstance(strategy, str) and strategy in CROSS_SECTIONAL
