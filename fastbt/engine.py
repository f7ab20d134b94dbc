"""``run`` and ``verify``: validate once, dispatch to the kernels or the reference
engine, and wrap the output in a ``Result``."""

import math
import warnings

import numpy as np
import pandas as pd

from fastbt.compare import compare_results
from fastbt.data.load import load
from fastbt.data.validate import bar_arrays
from fastbt.errors import RunWarning, VerificationError
from fastbt.kernels.metrics import BENCHMARK_METRICS, COUNT_METRICS, METRIC_NAMES
from fastbt.kernels.rules import EXIT_REASONS
from fastbt.kernels.simulate import TRADE_FIELDS, simulate
from fastbt.options import RunOptions
from fastbt.periods import infer_periods_per_year
from fastbt.reference.engine import run_reference
from fastbt.reference.metrics import relative_metrics
from fastbt.relative import benchmark_prices, relative_rows, risk_free_label
from fastbt.result import Result, trades_frame
from fastbt.strategies import Strategy, get_strategy
from fastbt.strategies.external import NOT_VERIFIABLE, check_source, signals_strategy
from fastbt.strategies.signal_output import checked_signals

ENGINES = ("fast", "reference")


def simulate_strategy(
    arrays: dict,
    strategy: Strategy,
    values,
    options: RunOptions,
    periods: float,
    record: bool,
    relative: np.ndarray | None = None,
):
    """The strategy's signal function on ``bar_arrays``, its output checked (length, dtype,
    shape: the kernel must never read past the signals), then ``simulate`` (its outputs).
    Sweeps of strategies without a fused kernel run through here too. ``relative``: see
    ``fastbt.relative.relative_rows``."""
    columns = [arrays[c] for c in ("open", "high", "low", "close", "volume")]
    entry, exit_ = checked_signals(
        strategy.signals(*columns, *values),
        f"the signal function of strategy '{strategy.name}'",
        n_bars=len(arrays["close"]),
    )
    return simulate(
        arrays["open"],
        arrays["high"],
        arrays["low"],
        arrays["close"],
        entry,
        exit_,
        options.cash,
        options.rules(),
        periods,
        record,
        relative,
    )


def _run_fast(
    bars, strategy: Strategy, params: dict, options: RunOptions, periods: float, relative
):
    metrics, equity, cash, position, trades = simulate_strategy(
        bar_arrays(bars), strategy, params.values(), options, periods, True, relative
    )
    names = METRIC_NAMES if relative is None else METRIC_NAMES + BENCHMARK_METRICS
    values = {name: float(v) for name, v in zip(names, metrics, strict=True)}
    return values, equity, cash, position, trades


def _raw_trade(trade) -> dict:
    """One reference trade as the kernels' raw row fields (``TRADE_FIELDS``): exit_bar -1
    and NaN exit fields while open; direction +1/-1; exit_reason as its code."""
    still_open = trade.exit_bar is None
    return {
        "entry_bar": trade.entry_bar,
        "entry_price": trade.entry_price,
        "exit_bar": -1 if still_open else trade.exit_bar,
        "exit_price": trade.exit_price,
        "qty": trade.qty,
        "entry_fee": trade.entry_fee,
        "exit_fee": trade.exit_fee,
        "pnl": trade.pnl,
        "return": trade.trade_return,
        "direction": 1.0 if trade.direction == "long" else -1.0,
        "exit_reason": math.nan if still_open else EXIT_REASONS.index(trade.exit_reason),
    }


def _run_reference(
    bars, strategy: Strategy, params: dict, options: RunOptions, periods: float, relative
):
    run = run_reference(bars, strategy.reference(**params), options, periods)
    rows = np.array(
        [[_raw_trade(t)[name] for name in TRADE_FIELDS] for t in run.trades], dtype="float64"
    ).reshape(-1, len(TRADE_FIELDS))
    values = {name: float(run.metrics[name]) for name in METRIC_NAMES}
    if relative is not None:
        equity = pd.Series(run.equity, index=bars.index)
        values |= relative_metrics(equity, options.cash, periods, relative[0], relative[1])
    return values, run.equity, run.cash, run.position, rows


def skipped_buys_message(n_skipped: int, options: RunOptions) -> str:
    """Why every one of ``n_skipped`` entries failed (docs/execution.md, "Skipped orders"),
    worked out from the options: none filled, so cash stayed at its start. A short sale
    needs its notional plus fees as collateral, as a buy needs them as cash."""
    order, orders = ("buy", "buys") if options.direction == "long" else ("entry", "entries")
    spend = options.size * options.cash
    if options.size_type == "units":
        reason = (
            f"{options.size:g} units plus fees cost more than the cash ({options.cash:,.2f}); "
            "lower size or raise cash"
        )
    elif options.fixed_fee >= spend:
        reason = (
            f"the fixed fee ({options.fixed_fee:,.2f}) is not below the cash to spend "
            f"(size x cash = {spend:,.2f}); lower fixed_fee or raise cash or size"
        )
    elif not options.fractional:
        reason = (
            f"one whole unit plus fees cost more than the cash to spend ({spend:,.2f}); "
            "raise cash or size, or allow fractional units"
        )
    else:
        reason = f"each cost more than the cash to spend ({spend:,.2f})"
    what = (
        f"the only {order} was" if n_skipped == 1 else f"every one of the {n_skipped} {orders} was"
    )
    return f"{what} skipped, so no trade was made: {reason}"


def run(
    data,
    strategy: str | Strategy | None = None,
    *,
    signals=None,
    cash: float = 10_000.0,
    commission: float = 0.0,
    fixed_fee: float = 0.0,
    slippage: float = 0.0,
    fill: str | None = None,
    size: float = 1.0,
    size_type: str = "percent",
    fractional: bool | None = None,
    close_at_end: bool = False,
    periods_per_year: float | None = None,
    direction: str = "long",
    sl: float | None = None,
    tp: float | None = None,
    trail: bool = False,
    trail_on: str = "high",
    stop_anchor: str | None = None,
    stop_priority: str | None = None,
    stop_slippage: str | None = None,
    stop_bar_signals: str | None = None,
    stop_on_fill_bar: bool = True,
    entry_order: str = "market",
    entry_offset: float = 0.0,
    entry_expiry: int | None = None,
    reversal_fee: str | None = None,
    on_ruin: str | None = None,
    risk_free=0.0,
    benchmark=None,
    like: str | None = None,
    engine: str = "fast",
    load_options: dict | None = None,
    **params,
) -> Result:
    """Backtest ``strategy`` on ``data`` and return a ``Result``.

    ``data``: a DataFrame of OHLCV bars, a CSV/Parquet path or a bundled sample
    symbol (see ``fastbt.load``). ``strategy``: a registered name or a
    ``Strategy``; its parameters are keyword arguments (defaults otherwise).
    Fill, sizing, fee, short, stop and entry-order rules are in docs/execution.md;
    ``like="backtesting.py"`` or ``"vectorbt"`` sets the switches (those defaulting to
    None here) to that peer's behaviour, and any switch given explicitly overrides it.
    ``engine="reference"``
    runs the slow bar-by-bar engine instead of the Numba kernels. ``load_options``
    are keyword arguments of ``fastbt.load`` (dayfirst=, symbol=, adjust=, ...); they
    load ``benchmark`` too. ``risk_free`` (an annual rate, or a Series of them on the
    bars' index) enters Sharpe and Sortino; ``benchmark`` (a symbol or file, a Series of
    prices or a bars frame, on the bars' index) adds the metrics of
    ``BENCHMARK_METRICS`` (docs/metrics.md).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    options = RunOptions.resolve(
        like=like,
        cash=cash,
        commission=commission,
        fixed_fee=fixed_fee,
        slippage=slippage,
        fill=fill,
        size=size,
        size_type=size_type,
        fractional=fractional,
        close_at_end=close_at_end,
        periods_per_year=periods_per_year,
        direction=direction,
        sl=sl,
        tp=tp,
        trail=trail,
        trail_on=trail_on,
        stop_anchor=stop_anchor,
        stop_priority=stop_priority,
        stop_slippage=stop_slippage,
        stop_bar_signals=stop_bar_signals,
        stop_on_fill_bar=stop_on_fill_bar,
        entry_order=entry_order,
        entry_offset=entry_offset,
        entry_expiry=entry_expiry,
        reversal_fee=reversal_fee,
        on_ruin=on_ruin,
        risk_free=risk_free_label(risk_free),
    )
    check_source(strategy, signals, params, engine)
    spec = get_strategy(strategy) if signals is None else None
    bars = load(data, **(load_options or {}))
    if signals is not None:
        spec = signals_strategy(signals, bars.index, many=False)
    values = spec.resolve(params, len(bars))
    periods = options.periods_per_year or infer_periods_per_year(bars.index)
    prices = None
    if benchmark is not None:
        prices = benchmark_prices(benchmark, bars.index, load_options or {})
    relative = relative_rows(risk_free, prices, bars.index, periods)
    runner = _run_fast if engine == "fast" else _run_reference
    metrics, equity, cash_held, position, trades = runner(
        bars, spec, values, options, periods, relative
    )
    if benchmark is None:
        metrics = {k: v for k, v in metrics.items() if k not in BENCHMARK_METRICS}
    for name in COUNT_METRICS:
        metrics[name] = int(metrics[name])
    metrics["periods_per_year"] = periods
    if metrics["n_skipped"] > 0 and len(trades) == 0:
        warnings.warn(skipped_buys_message(metrics["n_skipped"], options), RunWarning, stacklevel=2)
    index = bars.index
    return Result(
        strategy=spec.name,
        params=values,
        options=options,
        metrics=metrics,
        equity=pd.Series(equity, index=index, name="equity", copy=False),
        cash=pd.Series(cash_held, index=index, name="cash", copy=False),
        position=pd.Series(position, index=index, name="position", copy=False),
        trades=trades_frame(trades, index),
        symbol=bars.attrs.get("symbol"),
        engine=engine,
        bars=bars,
        spec=spec,
        # The benchmark's prices, for the equity chart (not saved with the result).
        extra={} if prices is None else {"benchmark": pd.Series(prices, index=index)},
    )


def verify(
    data, strategy: str | Strategy | None = None, *, load_options: dict | None = None, **kwargs
) -> Result:
    """Run both engines with the same arguments; return the fast Result if they agree.

    Raises ``VerificationError`` listing every metric, per-bar value and trade field
    that differs beyond the tolerance in docs/verification.md. ``signals=`` is refused:
    arrays have no bar-by-bar form to check against.
    """
    if kwargs.get("signals") is not None:
        raise ValueError(NOT_VERIFIABLE)
    if "engine" in kwargs:
        raise ValueError("verify runs both engines; do not pass engine=")
    bars = load(data, **(load_options or {}))
    fast = run(bars, strategy, engine="fast", **kwargs)
    with warnings.catch_warnings():  # the fast run has said it already
        warnings.simplefilter("ignore", RunWarning)
        reference = run(bars, strategy, engine="reference", **kwargs)
    diffs = compare_results(fast, reference)
    if diffs:
        raise VerificationError(
            f"fast and reference engines disagree on {len(diffs)} point(s):\n  "
            + "\n  ".join(diffs)
        )
    return fast
