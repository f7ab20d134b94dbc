"""Portfolio sweeps: every parameter set is one portfolio over all the symbols, sharing
one cash balance; one row per set with the portfolio metrics (docs/sweeps.md).

``momentum_rotation`` runs fused: per chunk, each lookback's ranking is computed once
(a bars x symbols table of symbol order), then every set is one pass of the portfolio
kernel on Numba threads. A per-symbol strategy runs set by set: its signals on every
symbol, then the portfolio kernel without recording. Either way a set keeps O(symbols)
state, so memory does not grow with bars x sets.
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from fastbt.kernels.metrics import N_METRICS
from fastbt.kernels.portfolio import simulate_portfolio
from fastbt.kernels.rotation import momentum_ranks, sweep_rotation
from fastbt.options import RunOptions
from fastbt.portfolio.engine import (
    ORDER_SEQUENCES,
    SIGNAL_OPTIONS,
    signal_array,
)
from fastbt.portfolio.rotation import CROSS_SECTIONAL, is_cross_sectional
from fastbt.portfolio.universe import Universe, universe
from fastbt.portfolio.weights import check_every, rebalance_bars
from fastbt.strategies import get_strategy
from fastbt.strategies.spec import Param
from fastbt.sweep.chunks import plan_chunks
from fastbt.sweep.grid import LEVEL_OPTIONS, expand_grid

LABEL = "portfolio"  # the table's ``symbol`` column: every row is the whole universe


@dataclass(frozen=True)
class _RotationGrid:
    """Momentum rotation's parameters for ``expand_grid``, with ``rebalance`` as the
    position of its schedule in ``schedules`` (so every grid column is numeric)."""

    name: str
    params: tuple
    n_symbols: int

    def valid_sets(self, columns: dict, n_bars: int) -> np.ndarray:
        return (columns["lookback"] < n_bars) & (columns["top_k"] <= self.n_symbols)


@dataclass(frozen=True)
class PortfolioSets:
    """How a chunk of portfolio sets runs (``run_chunk`` calls ``run_sets``)."""

    name: str
    rotation: bool
    strategy: object  # the per-symbol Strategy, or None for momentum rotation
    masks: np.ndarray | None  # rebalance bars of each schedule (schedules x bars)
    by_value: bool
    partial: bool

    def run_sets(
        self, bars: Universe, params: dict, options: RunOptions, periods_per_year: float
    ) -> np.ndarray:
        """Metrics (sets x ``METRIC_NAMES``) of one chunk's sets."""
        if self.rotation:
            return self._rotation(bars, params, options, periods_per_year)
        n_sets = len(next(iter(params.values())))
        out = np.empty((n_sets, N_METRICS))
        names = [p.name for p in self.strategy.params]
        for s in range(n_sets):
            values = {name: params[name][s].item() for name in names}
            levels = {n: params[n][s].item() for n in LEVEL_OPTIONS if n in params}
            set_options = replace(
                options, **{n: None if math.isnan(v) else v for n, v in levels.items()}
            )
            out[s] = simulate_portfolio(
                bars.open,
                bars.high,
                bars.low,
                bars.close,
                signal_array(self.strategy, values, bars),
                False,
                set_options.cash,
                set_options.rules(),
                self.by_value,
                self.partial,
                periods_per_year,
                False,
            )[0]
        return out

    def _rotation(self, bars, params, options, periods_per_year):
        lookbacks, ranks_of_set = np.unique(params["lookback"], return_inverse=True)
        ranks = np.stack([momentum_ranks(bars.close, int(lookback)) for lookback in lookbacks])
        return sweep_rotation(
            bars.open,
            bars.high,
            bars.low,
            bars.close,
            ranks,
            ranks_of_set.astype(np.int64),
            np.ascontiguousarray(params["top_k"], dtype=np.int64),
            self.masks,
            np.ascontiguousarray(params["rebalance"], dtype=np.int64),
            options.cash,
            options.rules(),
            self.by_value,
            self.partial,
            periods_per_year,
        )


def _portfolio_options(run_options: dict, rotation: bool) -> tuple[RunOptions, str, bool]:
    """The run options of every set, and ``order_sequence`` and ``partial``."""
    run_options = dict(run_options)
    order_sequence = run_options.pop("order_sequence", "value")
    partial = run_options.pop("partial", True)
    if order_sequence not in ORDER_SEQUENCES:
        raise ValueError(f"order_sequence must be one of value, symbol, got {order_sequence!r}")
    if not isinstance(partial, bool):
        raise ValueError(f"partial must be True or False, got {partial!r}")
    refused = []
    if rotation:
        refused = [n for n in (*SIGNAL_OPTIONS, "size", "size_type") if n in run_options]
    if refused:
        raise ValueError(
            f"{', '.join(refused)}: not available for this portfolio sweep (target weights "
            "are long-only and take no size, shorts, stops or entry orders; "
            "docs/portfolios.md); leave it out"
        )
    if run_options.get("size_type") == "target_percent":
        raise ValueError(
            "size_type='target_percent' is for weights; a strategy uses 'percent' or 'units'"
        )
    return RunOptions.resolve(**run_options), order_sequence, partial


def _rotation_grid(grid: dict, bars: Universe, sample, seed, options):
    """Momentum rotation's sets (rebalance as a schedule position), the columns the
    table shows (rebalance as text) and each schedule's rebalance bars."""
    grid = dict(grid)
    schedules = grid.pop("rebalance", ["M"])
    if isinstance(schedules, str | int):
        schedules = [schedules]
    schedules = [check_every(every) for every in schedules]
    if not schedules:
        raise ValueError("grid 'rebalance' has no values")
    spec = CROSS_SECTIONAL["momentum_rotation"]
    params = (*spec.params, Param("rebalance", int, 0, 0, len(schedules) - 1))
    levels = sorted(set(grid) & set(LEVEL_OPTIONS))
    if levels:
        raise ValueError(
            f"grid {', '.join(levels)}: stops do not apply to target weights; leave them out"
        )
    shim = _RotationGrid(spec.name, params, len(bars.symbols))
    grid["rebalance"] = range(len(schedules))
    sets = expand_grid(shim, grid, len(bars.index), sample=sample, seed=seed, options=options)
    labels = np.array([str(every) for every in schedules], dtype=object)
    shown = {k: v for k, v in sets.columns.items() if k != "rebalance"}
    shown["rebalance"] = labels[sets.columns["rebalance"]]
    masks = np.stack([rebalance_bars(bars.index, every) for every in schedules])
    return spec.name, sets, shown, masks


def sweep_portfolio(
    data,
    strategy,
    grid: dict | None,
    *,
    started: float,
    chunk_size: int,
    sample,
    seed,
    load_options,
    execution: dict,
    **run_options,
):
    """``fastbt.sweep(..., portfolio=True)`` (see its docstring)."""
    from fastbt.sweep.api import _sets_digest, run_sweep_chunks

    grid = {} if grid is None else grid
    rotation = is_cross_sectional(strategy)
    options, order_sequence, partial = _portfolio_options(run_options, rotation)
    bars = universe(data, load_options)
    if rotation:
        name, sets, shown, masks = _rotation_grid(grid, bars, sample, seed, options)
        spec = None
    else:
        if strategy is None:
            raise ValueError("a portfolio sweep needs strategy= (a name or a Strategy)")
        spec = get_strategy(strategy)
        name, masks = spec.name, None
        sets = expand_grid(spec, grid, len(bars.index), sample=sample, seed=seed, options=options)
        shown = sets.columns
    if len(sets) == 0:
        raise ValueError(
            f"no valid parameter sets: all {sets.n_total} combinations break a rule of "
            f"strategy '{name}' for {len(bars.index)} bars and {len(bars.symbols)} symbols"
        )
    job = PortfolioSets(name, rotation, spec, masks, order_sequence == "value", partial)
    periods = {LABEL: options.periods_per_year or bars.periods_per_year}
    fingerprint = {
        "strategy": name,
        "portfolio": [order_sequence, partial],
        "sets": _sets_digest(sets.columns),
        "options": options.as_dict(),
        "data": {
            s: [
                len(bars.index),
                str(bars.index[0]),
                str(bars.index[-1]),
                float(bars.close[:, k].sum()),
            ]
            for k, s in enumerate(bars.symbols)
        },
    }

    def task(c):
        params = {k: v[c.start : c.stop] for k, v in sets.columns.items()}
        return (c, bars, job, params, options, periods[LABEL])

    return run_sweep_chunks(
        plan_chunks([LABEL], len(sets), chunk_size),
        task,
        shown,
        periods,
        fingerprint,
        bars_of={LABEL: len(bars.index) * len(bars.symbols)},
        fused=rotation,
        attrs={
            "strategy": name,
            "portfolio": True,
            "symbols": list(bars.symbols),
            "order_sequence": order_sequence,
            "partial": partial,
            "options": options.as_dict(),
            "n_sets": len(sets),
            "n_invalid": sets.n_invalid,
            "n_total": sets.n_total,
            "sampled": sets.sampled,
        },
        started=started,
        size=chunk_size,
        **execution,
    )
