"""``run_portfolio`` and ``verify_portfolio``: several symbols, one cash balance.

Validate once, turn weights or per-symbol signals into a (bars x symbols) orders
array, run the kernel or the reference engine, and wrap the output in a
``PortfolioResult`` (docs/portfolios.md).
"""

import math
import warnings

import numpy as np
import pandas as pd

from fastbt.errors import RunWarning, VerificationError
from fastbt.kernels.metrics import COUNT_METRICS, METRIC_NAMES
from fastbt.kernels.portfolio import PORTFOLIO_TRADE_FIELDS, simulate_portfolio
from fastbt.kernels.rules import EXIT_REASONS
from fastbt.options import RunOptions
from fastbt.portfolio.compare import compare_portfolios
from fastbt.portfolio.result import PortfolioResult
from fastbt.portfolio.rotation import CROSS_SECTIONAL
from fastbt.portfolio.universe import Universe, universe
from fastbt.reference.history import History
from fastbt.reference.shared_cash import run_shared_cash
from fastbt.strategies import Strategy, get_strategy
from fastbt.strategies.signal_output import checked_signals

ENGINES = ("fast", "reference")
ORDER_SEQUENCES = ("value", "symbol")
# Shorts and reversals, stops and entry orders (docs/execution.md) apply to the symbols
# of strategy portfolios; target weights are long-only market orders.
SIGNAL_OPTIONS = (
    "direction",
    "reversal_fee",
    "sl",
    "tp",
    "trail",
    "trail_on",
    "stop_anchor",
    "stop_priority",
    "stop_slippage",
    "stop_bar_signals",
    "stop_on_fill_bar",
    "entry_order",
    "entry_offset",
    "entry_expiry",
)


def _first_difference(weights_index: pd.Index, index: pd.DatetimeIndex) -> str:
    extra = weights_index.difference(index)
    missing = index.difference(weights_index)
    if len(missing):
        return f"it has no row for {missing[0]}"
    if len(extra):
        return f"it has a row for {extra[0]}, which is not a bar of the data"
    return "its rows are not in the data's order"


def weights_array(weights, data: Universe) -> np.ndarray:
    """Target weights as a (bars x symbols) float64 array in the data's symbol order, or a
    ValueError naming what is wrong (index, columns, values)."""
    if not isinstance(weights, pd.DataFrame):
        raise ValueError(
            "weights must be a DataFrame (timestamps x symbols) of target weights in [0, 1], "
            f"NaN for no order; got {type(weights).__name__}"
        )
    if not weights.index.equals(data.index):
        problem = _first_difference(weights.index, data.index)
        raise ValueError(
            f"weights must have the data's timestamps as index: {problem}; "
            "build it with fastbt.rebalance(..., data) or reindex it to the data"
        )
    columns = weights.columns.astype(str).tolist()
    if columns != list(data.symbols):
        known, given = set(data.symbols), set(columns)
        missing = [s for s in data.symbols if s not in given]
        extra = [c for c in columns if c not in known]
        if missing or extra or len(given) != len(columns):
            raise ValueError(
                f"weights columns must be the symbols {', '.join(data.symbols)} once each; "
                f"missing: {', '.join(missing) or 'none'}, "
                f"not in the data: {', '.join(extra) or 'none'}"
            )
        weights = weights.set_axis(columns, axis=1)[list(data.symbols)]
    try:
        values = np.ascontiguousarray(weights.to_numpy(dtype="float64"))
    except (TypeError, ValueError):
        raise ValueError("weights must be numbers (NaN for no order)") from None
    if not (np.fmin.reduce(values, axis=None) >= 0.0 and np.fmax.reduce(values, axis=None) <= 1.0):
        bad = ~np.isnan(values) & ~((values >= 0.0) & (values <= 1.0))
        if bad.any():  # (all NaN passes: fmin/fmax of only NaNs is NaN)
            i, k = np.argwhere(bad)[0]
            raise ValueError(
                f"weights must be in [0, 1] (or NaN for no order); {data.symbols[k]} at "
                f"{data.index[i]} is {float(values[i, k])!r} (portfolios are long-only)"
            )
    return values


def _signal_codes(entry: np.ndarray, exit_: np.ndarray) -> np.ndarray:
    """+1 entry, -1 exit, NaN nothing (both signals: nothing)."""
    return np.where(entry & ~exit_, 1.0, np.where(exit_ & ~entry, -1.0, np.nan))


def signal_array(strategy: Strategy, values: dict, data: Universe) -> np.ndarray:
    """Each symbol's signals from the strategy's fast form, as codes (bars x symbols)."""
    codes = np.empty(data.close.shape)
    for k, symbol in enumerate(data.symbols):
        columns = [
            np.ascontiguousarray(getattr(data, c)[:, k])
            for c in ("open", "high", "low", "close", "volume")
        ]
        entry, exit_ = checked_signals(
            strategy.signals(*columns, *values.values()),
            f"the signal function of strategy '{strategy.name}' on {symbol}",
            n_bars=len(data.index),
        )
        codes[:, k] = _signal_codes(entry, exit_)
    return codes


def _reference_signals(strategy: Strategy, values: dict, data: Universe):
    """``decide(i)``: each symbol's reference strategy shown bar i, as codes +1/-1/0."""
    forms = [strategy.reference(**values) for _ in data.symbols]
    histories = [History() for _ in data.symbols]
    source = f"{strategy.reference.__name__}.generate_signals"

    def decide(i: int) -> list:
        codes = []
        for k, (form, history) in enumerate(zip(forms, histories, strict=True)):
            history.append(
                data.index[i],
                data.open[i, k],
                data.high[i, k],
                data.low[i, k],
                data.close[i, k],
                data.volume[i, k],
            )
            entry, exit_ = checked_signals(form.generate_signals(history), source, bar=i)
            codes.append(1.0 if entry and not exit_ else -1.0 if exit_ and not entry else 0.0)
        return codes

    return decide


def _raw_rows(trades: list) -> np.ndarray:
    """Reference trade rows as raw rows (``RAW_TRADE_FIELDS`` + symbol position)."""
    rows = []
    for t in trades:
        still_open = t.exit_bar is None
        rows.append(
            [
                t.entry_bar,
                t.entry_price,
                -1 if still_open else t.exit_bar,
                math.nan if still_open else t.exit_price,
                t.qty,
                t.entry_fee,
                math.nan if still_open else t.exit_fee,
                math.nan if still_open else t.pnl,
                math.nan if still_open else t.trade_return,
                1.0 if t.direction == "long" else -1.0,
                math.nan if still_open else EXIT_REASONS.index(t.exit_reason),
                t.symbol,
            ]
        )
    return np.array(rows, dtype="float64").reshape(-1, len(PORTFOLIO_TRADE_FIELDS))


def _orders(strategy, weights, params: dict, bars: Universe, engine: str):
    """``(name, params, orders, decide)``: the fast engine's orders array (weights or
    signal codes, bars x symbols) or the reference engine's ``decide(i)``."""
    fast = engine == "fast"
    if weights is not None:
        if params:
            raise ValueError(
                f"unknown option(s) for a weights portfolio: {', '.join(sorted(params))}"
            )
        orders = weights_array(weights, bars)
        return "weights", {}, orders, lambda i: list(orders[i])
    if isinstance(strategy, str) and strategy in CROSS_SECTIONAL:
        rotation = CROSS_SECTIONAL[strategy]
        values = rotation.resolve(params, len(bars.index), len(bars.symbols))
        if fast:
            return strategy, values, rotation.weights(bars, values), None
        return strategy, values, None, rotation.reference(bars, values)
    spec = get_strategy(strategy)
    values = spec.resolve(params, len(bars.index))
    if fast:
        return spec.name, values, signal_array(spec, values, bars), None
    return spec.name, values, None, _reference_signals(spec, values, bars)


def _options(params: dict, targets: bool, **given) -> RunOptions:
    """The run options, with the stop options taken out of ``params`` (strategy
    portfolios only); options portfolios do not have are refused."""
    signal_options = {name: params.pop(name) for name in SIGNAL_OPTIONS if name in params}
    if targets and signal_options:
        raise ValueError(
            f"{', '.join(signal_options)}: shorts, reversals, stops and entry orders apply to "
            "strategy portfolios, not to target weights (they are long-only); leave them out "
            "or use strategy="
        )
    return RunOptions.resolve(**given, **signal_options)


def run_portfolio(
    data,
    strategy: str | Strategy | None = None,
    weights: pd.DataFrame | None = None,
    *,
    cash: float = 10_000.0,
    commission: float = 0.0,
    fixed_fee: float = 0.0,
    slippage: float = 0.0,
    fill: str | None = None,
    size: float = 1.0,
    size_type: str | None = None,
    fractional: bool | None = None,
    close_at_end: bool = False,
    periods_per_year: float | None = None,
    on_ruin: str | None = None,
    like: str | None = None,
    order_sequence: str = "value",
    partial: bool = True,
    engine: str = "fast",
    load_options: dict | None = None,
    **params,
) -> PortfolioResult:
    """Backtest several symbols sharing one cash balance (docs/portfolios.md).

    ``data``: a list of symbols, a dict of symbol -> bars, or a ``Panel``, all on one
    timestamp index (``fastbt.align`` makes them so). Give either ``weights`` (target
    weights, timestamps x symbols, NaN for no order; ``size_type="target_percent"``), or
    a ``strategy`` run on every symbol with ``params`` (sized with ``size`` of the
    shared cash, or units), or the cross-sectional ``strategy="momentum_rotation"``.
    ``order_sequence`` ("value" or "symbol") and ``partial`` say how a batch of orders
    executes; ``direction``, ``reversal_fee`` and the stop and entry-order options of
    ``fastbt.run`` (``sl``, ``tp``, ``trail``, ...) apply to each symbol of a strategy
    portfolio (shorts backed by the shared cash: docs/portfolios.md). ``engine="reference"`` runs the
    bar-by-bar twin.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if order_sequence not in ORDER_SEQUENCES:
        raise ValueError(f"order_sequence must be one of value, symbol, got {order_sequence!r}")
    if not isinstance(partial, bool):
        raise ValueError(f"partial must be True or False, got {partial!r}")
    if (strategy is None) == (weights is None):
        raise ValueError(
            "give either weights= (target weights) or strategy= (one per symbol), not both or neither"
        )
    cross_sectional = isinstance(strategy, str) and strategy in CROSS_SECTIONAL
    targets = weights is not None or cross_sectional
    if targets and size_type not in (None, "target_percent"):
        raise ValueError(f"size_type must be 'target_percent' with weights, got {size_type!r}")
    if not targets and size_type == "target_percent":
        raise ValueError(
            "size_type='target_percent' needs weights=; a strategy uses 'percent' or 'units'"
        )
    if targets and size != 1.0:
        raise ValueError(
            "size does not apply to target weights (each target is a share of the bar's "
            "value); leave it out, or use a strategy with size_type 'percent' or 'units'"
        )
    resolved_size_type = "target_percent" if targets else (size_type or "percent")
    options = _options(
        params,
        targets,
        like=like,
        cash=cash,
        commission=commission,
        fixed_fee=fixed_fee,
        slippage=slippage,
        fill=fill,
        size=size,
        size_type="percent" if targets else resolved_size_type,
        fractional=fractional,
        close_at_end=close_at_end,
        periods_per_year=periods_per_year,
        on_ruin=on_ruin,
    )
    bars = universe(data, load_options)
    periods = options.periods_per_year or bars.periods_per_year
    name, values, orders, decide = _orders(strategy, weights, params, bars, engine)
    if engine == "fast":
        metrics, equity, cash_held, positions, rows = simulate_portfolio(
            bars.open,
            bars.high,
            bars.low,
            bars.close,
            orders,
            targets,
            options.cash,
            options.rules(),
            order_sequence == "value",
            partial,
            periods,
            True,
        )
        metrics = {n: float(v) for n, v in zip(METRIC_NAMES, metrics, strict=True)}
    else:
        run = run_shared_cash(
            bars.open,
            bars.high,
            bars.low,
            bars.close,
            decide,
            targets,
            options,
            partial,
            order_sequence,
            periods,
        )
        metrics = {n: float(run.metrics[n]) for n in METRIC_NAMES}
        equity, cash_held, positions, rows = (
            run.equity,
            run.cash,
            run.positions,
            _raw_rows(run.trades),
        )
    for metric in COUNT_METRICS:
        metrics[metric] = int(metrics[metric])
    metrics["periods_per_year"] = periods
    index = bars.index
    return PortfolioResult(
        strategy=name,
        params=values,
        options=options,
        order_sequence=order_sequence,
        partial=partial,
        size_type=resolved_size_type,
        metrics=metrics,
        equity=pd.Series(equity, index=index, name="equity"),
        cash=pd.Series(cash_held, index=index, name="cash"),
        positions=pd.DataFrame(positions, index=index, columns=bars.columns, copy=False),
        close=bars.close_frame(),
        trade_rows=rows,
        engine=engine,
    )


def verify_portfolio(
    data, strategy=None, weights=None, *, load_options=None, **kwargs
) -> PortfolioResult:
    """Run both engines with the same arguments; return the fast result if they agree,
    else raise ``VerificationError`` listing every difference."""
    if "engine" in kwargs:
        raise ValueError("verify_portfolio runs both engines; do not pass engine=")
    bars = universe(data, load_options)
    fast = run_portfolio(bars, strategy, weights, engine="fast", **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunWarning)
        reference = run_portfolio(bars, strategy, weights, engine="reference", **kwargs)
    diffs = compare_portfolios(fast, reference)
    if diffs:
        raise VerificationError(
            f"fast and reference engines disagree on {len(diffs)} point(s):\n  "
            + "\n  ".join(diffs)
        )
    return fast
