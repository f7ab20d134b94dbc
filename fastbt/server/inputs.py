"""Request bodies checked with the library's own rules, and the bars they name.

Every problem becomes an ``InvalidInput`` carrying the location of the field at
fault (as FastAPI reports its own validation errors), so a client sees 422 with
``loc`` and the library's message. Workers use the same loaders, so a run reads
its data exactly as its request was checked.
"""

import math
import re
from dataclasses import dataclass, fields
from pathlib import Path

import pandas as pd

import fastbt
from fastbt.data.samples import SAMPLE_INTERVALS, SAMPLES, check_sample_interval, read_sample
from fastbt.rules import strategy_from_json
from fastbt.server import data_warnings
from fastbt.server.invalid import InvalidInput
from fastbt.server.rule_input import rule_strategy, stored_form
from fastbt.server.schemas import BacktestCreate, GridRange, SweepCreate, plain_text
from fastbt.storage import MarketStore, check_interval, check_symbol
from fastbt.sweep.grid import expand_grid

_OPTION_NAMES = tuple(f.name for f in fields(fastbt.RunOptions))
DEFAULT_INTERVAL = "1d"  # of stored symbols, when a request names none
_NAMED = re.compile(r"(?:parameter|grid) '(\w+)'")


@dataclass(frozen=True)
class BacktestInput:
    """A checked backtest request: what the worker will run."""

    strategy: str
    rules: dict | None  # the JSON form of a rule strategy sent with the request
    params: dict
    options: fastbt.RunOptions
    bars: pd.DataFrame
    interval: str
    warnings: list[str]  # what the loader said about the bars (its DataWarnings)


@dataclass(frozen=True)
class SweepInput:
    """A checked sweep request: the grid as lists, the symbols, counts."""

    strategy: str
    rules: dict | None  # the JSON form of a rule strategy sent with the request
    grid: dict
    symbols: list
    options: fastbt.RunOptions
    n_sets: int


def run_options(options: dict) -> fastbt.RunOptions:
    """``fastbt.RunOptions.resolve(**options)`` (so ``like`` applies its preset and the
    options given override it, as in ``fastbt.run``), errors located at the option
    they name."""
    unknown = sorted(set(options) - set(_OPTION_NAMES))
    if unknown:
        raise InvalidInput(
            ("body", "options", unknown[0]),
            f"unknown run option(s): {', '.join(unknown)} (known: {', '.join(_OPTION_NAMES)})",
        )
    try:
        resolved = fastbt.RunOptions.resolve(**options)
    except ValueError as error:
        name = str(error).split(" ", 1)[0]
        raise InvalidInput(("body", "options", name), str(error)) from None
    if resolved.risk_free == "series":  # marks a per-bar series given to fastbt.run
        raise InvalidInput(
            ("body", "options", "risk_free"),
            "risk_free must be a number here (an annual rate; 0.04 is 4%), got 'series'",
        )
    return resolved


def strategy(value) -> fastbt.Strategy:
    """The registered strategy named ``value``, or the rule strategy ``value`` is the
    JSON form of (``fastbt.server.rule_input``); errors are located under body.strategy."""
    if isinstance(value, dict):
        return rule_strategy(value)
    if not isinstance(value, str):
        kind = "array" if isinstance(value, list) else type(value).__name__
        raise InvalidInput(
            ("body", "strategy"),
            f"must be a strategy name (GET /strategies) or a rule strategy object "
            f"(docs/service.md), not {kind} {value!r}"[:300],
        )
    try:
        plain_text(value)
        if len(value) > 100:
            raise ValueError(f"a strategy name has at most 100 characters, got {len(value)}")
        return fastbt.get_strategy(value)
    except ValueError as error:
        raise InvalidInput(("body", "strategy"), str(error)) from None


def rules_of(spec: fastbt.Strategy, body) -> dict | None:
    """The JSON form stored with a run whose request sent a rule strategy, else None."""
    return stored_form(spec) if isinstance(body.strategy, dict) else None


def run_strategy(name: str, rules: dict | None) -> str | fastbt.Strategy:
    """What a worker runs for a stored run: its rule strategy rebuilt from the stored
    JSON form, else the registered strategy's name."""
    return name if rules is None else strategy_from_json(rules)


def _located(error: ValueError, loc: tuple) -> InvalidInput:
    """``error`` at ``loc``, unless it already names its own field."""
    return error if isinstance(error, InvalidInput) else InvalidInput(loc, str(error))


def _interval(interval: str | None) -> str | None:
    if interval is None:
        return None
    try:
        return check_interval(interval)
    except ValueError as error:
        raise InvalidInput(("body", "interval"), str(error)) from None


def symbol_bars(symbol: str, interval: str | None, home: Path) -> pd.DataFrame:
    """Validated bars of a stored symbol, else of a bundled sample (never a file path).

    ``interval`` None means "not asked": 1d bars in the store, or the sample's own.
    A sample asked for at another interval is an error, not its bars at the wrong
    interval. ``attrs["interval"]`` is the interval of the bars returned.
    """
    name = check_symbol(symbol)
    market = MarketStore(home)
    stored = interval or DEFAULT_INTERVAL
    if market.exists(name, stored):
        frame, interval = market.read(name, interval=stored), stored
    elif name in SAMPLES:
        try:
            check_sample_interval(name, interval)
        except ValueError as error:
            raise InvalidInput(("body", "interval"), str(error)) from None
        own = SAMPLE_INTERVALS[name]
        frame, interval = read_sample(name), own
    else:
        raise ValueError(
            f"unknown symbol {symbol!r}: no {stored} bars in the store and not a bundled "
            f"sample ({', '.join(SAMPLES)}); see GET /symbols"
        )
    bars = fastbt.load(frame)
    bars.attrs["symbol"] = name
    bars.attrs["interval"] = interval
    return bars


def upload_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Uploaded (or stored uploaded) bars, validated like ``fastbt.load``."""
    bars = fastbt.load(frame)
    bars.attrs["symbol"] = "upload"
    return bars


def _uploaded_frame(body: BacktestCreate) -> pd.DataFrame:
    columns = body.bars.model_dump(exclude_none=True)
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        raise InvalidInput(("body", "bars"), f"bars columns must have equal lengths, got {lengths}")
    try:
        return upload_bars(pd.DataFrame(columns))
    except ValueError as error:
        raise InvalidInput(("body", "bars"), str(error)) from None


def _bound(value: str | None, index: pd.DatetimeIndex, field: str) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if stamp is pd.NaT:
        raise InvalidInput(("body", field), f"{field} {value!r} is not a date or timestamp")
    if index.tz is not None:
        return stamp.tz_localize(index.tz) if stamp.tz is None else stamp.tz_convert(index.tz)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tz is not None else stamp


def sliced(bars: pd.DataFrame, start: str | None, end: str | None) -> pd.DataFrame:
    """The bars with ``start <= timestamp <= end``; fewer than two is an error."""
    low, high = _bound(start, bars.index, "start"), _bound(end, bars.index, "end")
    if low is None and high is None:
        return bars
    keep = (bars.index >= low if low is not None else True) & (
        bars.index <= high if high is not None else True
    )
    part = bars[keep]
    if len(part) < 2:
        raise InvalidInput(
            ("body", "start" if start else "end"),
            f"only {len(part)} bar(s) between start={start} and end={end}; "
            f"the data spans {bars.index[0]} .. {bars.index[-1]}",
        )
    return part


def _params_error(error: ValueError, where: tuple) -> InvalidInput:
    match = _NAMED.search(str(error))
    return InvalidInput((*where, match.group(1)) if match else where, str(error))


def backtest(body: BacktestCreate, home: Path) -> BacktestInput:
    """Check a backtest request as ``fastbt.run`` would; return what to run."""
    for name in ("weights", "order_sequence", "partial", "align"):
        if getattr(body, name) is not None:
            raise InvalidInput(("body", name), f"{name} applies to portfolios: give symbols")
    options = run_options(body.options)
    spec = strategy(body.strategy or "ma_cross")
    interval = _interval(body.interval)
    if (body.symbol is None) == (body.bars is None):
        raise InvalidInput(("body", "symbol"), "give either a symbol or uploaded bars")
    with data_warnings.collected() as said:
        if body.bars is not None:
            bars = _uploaded_frame(body)
        else:
            try:
                bars = symbol_bars(body.symbol, interval, home)
            except ValueError as error:
                raise _located(error, ("body", "symbol")) from None
    bars = sliced(bars, body.start, body.end)
    try:
        params = spec.resolve(body.params, len(bars))
    except ValueError as error:
        raise _params_error(error, ("body", "params")) from None
    interval = bars.attrs.get("interval", interval or DEFAULT_INTERVAL)
    return BacktestInput(spec.name, rules_of(spec, body), params, options, bars, interval, said)


def _axis(name: str, values) -> list:
    if isinstance(values, GridRange):
        values = values.model_dump()
    if isinstance(values, dict):
        values = list(range(values["start"], values["stop"], values["step"]))
    if not values:
        raise InvalidInput(("body", "grid", name), f"grid '{name}' has no values")
    return values


def grid_values(grid: dict) -> dict:
    """Each grid axis as a list of values (ranges, given as GridRange or as stored, expanded)."""
    return {name: _axis(name, values) for name, values in grid.items()}


def sweep(body: SweepCreate, home: Path, max_grid: int) -> SweepInput:
    """Check a sweep request as ``fastbt.sweep`` would, and its size against ``max_grid``."""
    options = run_options(body.options)
    spec = strategy(body.strategy)
    interval = _interval(body.interval)
    sizes = {
        name: len(range(v.start, v.stop, v.step)) if isinstance(v, GridRange) else len(v)
        for name, v in body.grid.items()
    }
    for name, size in sizes.items():
        if size == 0:
            raise InvalidInput(("body", "grid", name), f"grid '{name}' has no values")
    n_backtests = math.prod(sizes.values()) * len(body.symbols)
    if n_backtests > max_grid:
        raise InvalidInput(
            ("body", "grid"),
            f"the grid has {math.prod(sizes.values()):,} parameter sets x "
            f"{len(body.symbols)} symbol(s) = {n_backtests:,} backtests; this server runs "
            f"at most {max_grid:,} per sweep (limit set by fastbt serve --max-grid)",
        )
    grid = grid_values(body.grid)
    names, lengths = [], []
    for position, symbol in enumerate(body.symbols):
        try:
            bars = symbol_bars(symbol, interval, home)
        except ValueError as error:
            raise _located(error, ("body", "symbols", position)) from None
        if bars.attrs["symbol"] in names:
            raise InvalidInput(
                ("body", "symbols", position), f"symbol {bars.attrs['symbol']} is listed twice"
            )
        names.append(bars.attrs["symbol"])
        lengths.append(len(bars))
    try:
        sets = expand_grid(spec, grid, min(lengths), sample=body.sample, seed=body.seed)
    except ValueError as error:
        raise _params_error(error, ("body", "grid")) from None
    if len(sets) == 0:
        raise InvalidInput(
            ("body", "grid"),
            f"no valid parameter sets: all {sets.n_total} combinations break a rule of "
            f"strategy '{spec.name}' (see GET /strategies)",
        )
    return SweepInput(spec.name, rules_of(spec, body), grid, names, options, len(sets))
