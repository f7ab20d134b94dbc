"""Portfolio backtest requests (``"symbols": [...]``) checked with the library's rules.

The symbols' bars come from the store or the samples as for single backtests, then go
on one timestamp index (``fastbt.universe``, or ``fastbt.align`` when ``align`` is
given). Weights are read as the CLI's ``read_weights`` reads a CSV: every symbol one of
``symbols``, every timestamp a bar of the data, every weight a number in [0, 1]. Each
problem is an ``InvalidInput`` located at its field. Workers rebuild the data with
``portfolio_bars``, so a run sees exactly what its request was checked against.
"""

import inspect
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import fastbt
from fastbt.portfolio.engine import SIGNAL_OPTIONS
from fastbt.portfolio.rotation import CROSS_SECTIONAL
from fastbt.portfolio.universe import Universe
from fastbt.server import data_warnings, inputs
from fastbt.server.inputs import InvalidInput
from fastbt.server.schemas import BacktestCreate

_KEYWORDS = inspect.signature(fastbt.run_portfolio).parameters
# run options a portfolio takes (shorts, stops and entry orders reach each symbol's position)
PORTFOLIO_OPTIONS = tuple(
    name
    for name, p in _KEYWORDS.items()
    if p.kind is p.KEYWORD_ONLY
    and name not in ("order_sequence", "partial", "engine", "load_options")
) + tuple(SIGNAL_OPTIONS)
_SINGLE_ONLY = ("bars", "start", "end")


@dataclass(frozen=True)
class PortfolioInput:
    """A checked portfolio request: what the worker will run."""

    strategy: str  # "weights" for a weights portfolio
    params: dict
    options: dict  # run_portfolio's option keywords, as given (checked)
    bars: Universe
    weights: pd.DataFrame | None  # timestamps x symbols, NaN: no order
    interval: str
    settings: dict  # symbols, order_sequence, partial, align, weights (given or not)
    warnings: list[str]


def portfolio_bars(symbols: list, interval: str | None, align: str | None, home: Path):
    """The symbols' bars on one index (``fastbt.align`` first when ``align`` is given)."""
    frames = {}
    for position, symbol in enumerate(symbols):
        try:
            bars = inputs.symbol_bars(symbol, interval, home)
        except ValueError as error:
            raise inputs._located(error, ("body", "symbols", position)) from None
        name = bars.attrs["symbol"]
        if name in frames:
            raise InvalidInput(("body", "symbols", position), f"symbol {name} is listed twice")
        frames[name] = bars
    intervals = {bars.attrs["interval"] for bars in frames.values()}
    if len(intervals) > 1:
        raise InvalidInput(
            ("body", "interval"),
            f"the symbols' bars have different intervals ({', '.join(sorted(intervals))}); "
            "give interval to choose one",
        )
    try:
        data = fastbt.align(frames, how=align) if align else frames
        return fastbt.universe(data), intervals.pop()
    except ValueError as error:
        where = "align" if align else "symbols"
        raise InvalidInput(
            ("body", where), f"{error} (align: inner or ffill aligns them)"
        ) from None


def _weight_rows(weights) -> dict:
    """``{timestamp text: {symbol: weight}}`` from either accepted JSON shape."""
    if isinstance(weights, dict):
        return weights
    rows = {}
    for k, row in enumerate(weights):
        row = dict(row)
        stamp = row.pop("timestamp", None)
        if not isinstance(stamp, str):
            raise InvalidInput(("body", "weights", k, "timestamp"), "each row needs a timestamp")
        if stamp in rows:
            raise InvalidInput(("body", "weights", k), f"timestamp {stamp} appears twice")
        rows[stamp] = row
    return rows


def weights_frame(weights, index: pd.DatetimeIndex, symbols) -> pd.DataFrame:
    """The weights frame (timestamps x symbols, NaN: no order) the request's weights give."""
    rows = _weight_rows(weights)
    where = ("body", "weights")
    stamps = []
    for stamp in rows:
        try:
            parsed = pd.Timestamp(stamp)
        except (ValueError, TypeError):
            parsed = pd.NaT
        if parsed is pd.NaT:
            raise InvalidInput((*where, stamp), f"{stamp!r} is not an ISO timestamp (2024-01-31)")
        # as start and end: a stamp without offset is in the data's zone
        if index.tz is not None:
            parsed = (
                parsed.tz_localize(index.tz) if parsed.tz is None else parsed.tz_convert(index.tz)
            )
        elif parsed.tz is not None:
            parsed = parsed.tz_convert("UTC").tz_localize(None)
        stamps.append(parsed)
    frame = pd.DataFrame(np.nan, index=pd.DatetimeIndex(stamps), columns=list(symbols))
    for stamp, (text, row) in zip(stamps, rows.items(), strict=True):
        if stamp not in index:
            raise InvalidInput(
                (*where, text),
                f"timestamp {text} is not a bar of the data ({index[0]} .. {index[-1]}); "
                "give weights only for bars of the data",
            )
        for symbol, weight in row.items():
            if symbol not in frame.columns:
                raise InvalidInput(
                    (*where, text, symbol),
                    f"{symbol!r} is not one of the symbols ({', '.join(symbols)})",
                )
            if weight is None:
                continue
            if isinstance(weight, bool | str) or not (math.isfinite(weight) and 0 <= weight <= 1):
                raise InvalidInput(
                    (*where, text, symbol), f"weight must be a number in [0, 1], got {weight!r}"
                )
            frame.loc[stamp, symbol] = float(weight)
    if frame.index.has_duplicates:
        raise InvalidInput(where, f"timestamp {frame.index[frame.index.duplicated()][0]} twice")
    return frame.reindex(index)


def _options(options: dict, targets: bool) -> dict:
    """The run options a portfolio takes, their values checked by ``RunOptions``."""
    for name in options:
        if name not in PORTFOLIO_OPTIONS:
            raise InvalidInput(
                ("body", "options", name),
                f"{name}: not an option of portfolios (they take: {', '.join(PORTFOLIO_OPTIONS)})",
            )
        if targets and name in SIGNAL_OPTIONS:
            raise InvalidInput(
                ("body", "options", name),
                f"{name}: shorts, reversals, stops and entry orders apply to strategy "
                "portfolios, not to target weights or momentum_rotation (long-only); leave it out",
            )
    if targets and options.get("size", 1.0) != 1.0:
        raise InvalidInput(
            ("body", "options", "size"), "size does not apply to target weights; leave it out"
        )
    checked = {k: v for k, v in options.items() if not (targets and k == "size_type")}
    inputs.run_options(checked)
    if targets and options.get("size_type") not in (None, "target_percent"):
        raise InvalidInput(
            ("body", "options", "size_type"), "size_type must be target_percent with weights"
        )
    return dict(options)


def _params(body: BacktestCreate, bars: Universe) -> tuple[str, dict]:
    if body.weights is not None:
        if body.strategy is not None or body.params:
            raise InvalidInput(
                ("body", "weights"), "give either weights or a strategy (with params), not both"
            )
        return "weights", {}
    if body.strategy is None:
        raise InvalidInput(("body", "strategy"), "a portfolio needs a strategy or weights")
    if not isinstance(body.strategy, str):
        raise InvalidInput(
            ("body", "strategy"),
            "a portfolio takes a registered strategy's name (GET /strategies); rule strategy "
            "objects run in single backtests and sweeps",
        )
    try:
        if body.strategy in CROSS_SECTIONAL:
            spec = CROSS_SECTIONAL[body.strategy]
            return spec.name, spec.resolve(body.params, len(bars.index), len(bars.symbols))
        spec = inputs.strategy(body.strategy)
        return spec.name, spec.resolve(body.params, len(bars.index))
    except InvalidInput:
        raise
    except ValueError as error:
        raise inputs._params_error(error, ("body", "params")) from None


def portfolio(body: BacktestCreate, home: Path, max_cells: int) -> PortfolioInput:
    """Check a portfolio request as ``fastbt.run_portfolio`` would, and its size."""
    for name in _SINGLE_ONLY:
        if getattr(body, name) is not None:
            raise InvalidInput(("body", name), f"{name} applies to single backtests, not symbols")
    interval = inputs._interval(body.interval)
    targets = body.weights is not None or (
        isinstance(body.strategy, str) and body.strategy in CROSS_SECTIONAL
    )
    options = _options(body.options, targets)
    with data_warnings.collected() as said:
        bars, interval = portfolio_bars(body.symbols, interval, body.align, home)
    cells = len(bars.symbols) * len(bars.index)
    if cells > max_cells:
        raise InvalidInput(
            ("body", "symbols"),
            f"{len(bars.symbols)} symbols x {len(bars.index):,} bars = {cells:,}; this server "
            f"runs at most {max_cells:,} per portfolio (fastbt serve --max-portfolio-cells)",
        )
    strategy, params = _params(body, bars)
    weights = None
    if body.weights is not None:
        weights = weights_frame(body.weights, bars.index, bars.symbols)
    settings = {
        "symbols": list(bars.symbols),
        "order_sequence": body.order_sequence or "value",
        "partial": True if body.partial is None else body.partial,
        "align": body.align,
        "weights": weights is not None,
    }
    return PortfolioInput(strategy, params, options, bars, weights, interval, settings, said)


def run(row, bars: Universe, weights: pd.DataFrame | None) -> fastbt.PortfolioResult:
    """``fastbt.run_portfolio`` of a stored portfolio backtest."""
    settings = row.portfolio
    return fastbt.run_portfolio(
        bars,
        None if settings["weights"] else row.strategy,
        weights,
        order_sequence=settings["order_sequence"],
        partial=settings["partial"],
        **row.options,
        **row.params,
    )
