"""Request and response bodies (pydantic). Shapes only: the library's own rules
(``RunOptions``, ``Strategy.resolve``, ``fastbt.load``) are applied in
``fastbt.server.inputs``, so the service accepts exactly what ``fastbt.run`` does."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SkipValidation,
    StrictFloat,
    StrictInt,
    field_validator,
)

from fastbt.indicators import INDICATORS
from fastbt.options import finite_number
from fastbt.rules.json_form import OPS

Number = int | float
Status = Literal["pending", "running", "completed", "failed"]
ChartType = Literal["equity", "drawdown", "returns", "monthly", "price", "weights"]
PORTFOLIO_CHARTS = ("equity", "drawdown", "weights")  # the chart types a portfolio has

_OPTIONS_DOC = (
    "Run options of fastbt.run: cash, commission, fixed_fee, slippage, fill "
    "(next_open|close), size, size_type (percent|units), fractional, close_at_end, "
    "periods_per_year; shorts, stops and entry orders: direction (long|short|both), "
    "sl, tp (fractions, null = off), trail, trail_on (high|close), stop_anchor "
    "(fill|signal_close), stop_priority (open_first|sl_first), stop_slippage "
    "(sl_only|none|both), stop_bar_signals (honor|drop), stop_on_fill_bar, entry_order "
    "(market|limit|stop), entry_offset, entry_expiry (bars, null = until filled), "
    "reversal_fee (per_leg|per_order), on_ruin (liquidate|continue); risk_free (annual "
    "rate for Sharpe and Sortino, 0.04 = 4%); like "
    "(backtesting.py|vectorbt) applies a peer's preset, options given override it. "
    "Missing ones take their defaults (docs/execution.md, docs/peers.md)."
)
_INTERVAL_DOC = (
    "Bar interval (1d, 1h, ...). Left out: 1d bars of a stored symbol, else a bundled "
    "sample's own (GOOG 1d, EURUSD 1h, BTCUSD 1mo)."
)
_DATE_DOC = "First/last bar to use (inclusive), e.g. 2010-01-01; empty: all bars."


def plain_text(text: str) -> str:
    """Text a database can store and an answer can encode: no NUL characters
    (PostgreSQL cannot store them) and no lone UTF-16 surrogates (not UTF-8)."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters (\\u0000)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        bad = text[error.start].encode("unicode_escape").decode()
        raise ValueError(
            f"must be valid Unicode text: lone surrogate {bad} at position {error.start}"
        ) from None
    return text


def _plain_number(number: int | float) -> int | float:
    """A number the library can compute with (the library's own rule: finite, and a whole
    number small enough to become a float; a 400-digit integer cannot). Ints stay ints."""
    finite_number("the number", number)
    return number


def _plain_value(value: Any) -> Any:
    """One option or parameter value: plain text, a plain number, true/false or null.
    (A list or object is no value of either; refused here, its nesting is never walked.)"""
    if isinstance(value, str):
        return plain_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return _plain_number(value)
    raise ValueError(f"must be a number, text, true/false or null, not a JSON {_kind(value)}")


def _kind(value: Any) -> str:
    return "array" if isinstance(value, list) else "object"


Text = Annotated[str, AfterValidator(plain_text)]  # every string of a request
Value = Annotated[Any, AfterValidator(_plain_value)]
Values = dict[Text, Value]  # options and params: names to values, checked by the library
# no true/false or "5" where a number belongs, and nothing a float cannot hold
StrictNumber = Annotated[StrictInt | StrictFloat, AfterValidator(_plain_number)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------- rule strategies
# The JSON form of a rule strategy (fastbt.rules.strategy_to_json), described for the
# OpenAPI schema only: a request's tree is checked by the library's own reader
# (fastbt.server.rule_input), so its errors name the bad part's path exactly.

RULE_EXAMPLE = {
    "name": "my_bb",
    "description": "buy below the lower band, sell back above the middle band",
    "params": [
        {"name": "window", "default": 20, "minimum": 2},
        {"name": "k", "default": 2.0, "minimum": 0.5, "maximum": 4.0},
    ],
    "entry": {
        "op": "crosses_below",
        "args": [
            {"price": "close"},
            {
                "indicator": "bbands",
                "inputs": [{"price": "close"}],
                "params": [{"param": "window"}, {"param": "k"}],
                "output": "lower",
            },
        ],
    },
    "exit": {
        "op": "crosses_above",
        "args": [
            {"price": "close"},
            {
                "indicator": "bbands",
                "inputs": [{"price": "close"}],
                "params": [{"param": "window"}, {"param": "k"}],
                "output": "middle",
            },
        ],
    },
    "constraints": [],
}


class PriceNode(BaseModel):
    """A bar column."""

    price: Literal["open", "high", "low", "close", "volume"]


class ParamNode(BaseModel):
    """A parameter declared in the strategy's ``params``."""

    param: str


class IndicatorNode(BaseModel):
    """An indicator over input series (price columns, numbers and arithmetic on them)."""

    indicator: str = Field(description=f"one of: {', '.join(sorted(INDICATORS))}")
    inputs: list["RuleNode"] = Field(description="the kind's input series, in its order")
    params: list[float | ParamNode] = Field(
        default_factory=list, description="the kind's parameters in order; missing: defaults"
    )
    output: str | None = Field(
        None, description="for kinds with several outputs (bbands: upper, middle, lower)"
    )


class OpNode(BaseModel):
    """An operator: arithmetic (+ - * / neg), comparisons (> < >= <=), crossings,
    logic (& | ~) or ``shift`` (the value ``n`` >= 1 bars earlier)."""

    op: Literal[OPS]
    args: list["RuleNode"] = Field(min_length=1, max_length=2)
    n: int | None = Field(None, ge=1, description="bars back, for shift only")


RuleNode = Annotated[
    float | PriceNode | ParamNode | IndicatorNode | OpNode,
    Field(description="a number or one node object"),
]
IndicatorNode.model_rebuild()
OpNode.model_rebuild()


class RuleParam(BaseModel):
    name: str = Field(description="a Python identifier")
    default: float = Field(description="a whole number makes an integer parameter")
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""


class RuleStrategy(BaseModel):
    """A rule strategy as JSON (``fastbt.rules.strategy_to_json``): entry and exit
    conditions as expression trees, parameters with their ranges, constraints like
    ``"fast < slow"``. Read without evaluating code (docs/service.md, "Rule strategies")."""

    model_config = ConfigDict(json_schema_extra={"examples": [RULE_EXAMPLE]})

    name: str = Field(max_length=100, description="not a registered strategy's name")
    description: str = ""
    params: list[RuleParam] = Field(default_factory=list)
    entry: RuleNode
    exit: RuleNode
    constraints: list[str] = Field(default_factory=list)


# Shown as "a name or a RuleStrategy" in the schema; fastbt.server.inputs.strategy checks it.
StrategyField = SkipValidation[Text | RuleStrategy]
_STRATEGY_DOC = (
    "a registered strategy's name (GET /strategies), or a rule strategy as a JSON "
    "expression tree (RuleStrategy; limits in docs/service.md)"
)


class Bars(_Body):
    """Uploaded OHLCV bars, column by column (validated like ``fastbt.load``)."""

    timestamp: list[Text] = Field(min_length=1)
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float] | None = None


class BacktestCreate(_Body):
    """A backtest to run: data (a symbol or uploaded bars), strategy, parameters, options."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "GOOG 10/30",
                    "symbol": "GOOG",
                    "strategy": "ma_cross",
                    "params": {"fast": 10, "slow": 30},
                    "options": {"commission": 0.001},
                    "start": "2006-01-01",
                },
                {
                    "name": "momentum rotation",
                    "symbols": ["AAPL", "MSFT", "GOOG"],
                    "strategy": "momentum_rotation",
                    "params": {"lookback": 126, "top_k": 2, "rebalance": "M"},
                    "options": {"commission": 0.001},
                },
                {
                    "name": "60/40",
                    "symbols": ["SPY", "TLT"],
                    "weights": {
                        "2020-01-02": {"SPY": 0.6, "TLT": 0.4},
                        "2020-07-01": {"SPY": 0.6, "TLT": 0.4},
                    },
                    "order_sequence": "value",
                    "partial": True,
                },
                {
                    "name": "GOOG, my own Bollinger rules",
                    "symbol": "GOOG",
                    "strategy": RULE_EXAMPLE,
                    "params": {"window": 30, "k": 2.5},
                },
            ]
        }
    )

    name: Text = Field("", max_length=200)
    description: Text = Field("", max_length=5000)
    strategy: StrategyField | None = Field(
        None,
        description=_STRATEGY_DOC + "; default ma_cross. With symbols: momentum_rotation "
        "(params lookback, top_k, rebalance) or a registered strategy run on every symbol",
    )
    symbol: Text | None = Field(
        None, max_length=100, description="a symbol of GET /symbols (store or bundled sample)"
    )
    symbols: list[Text] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="a portfolio: these symbols share one cash balance (instead of symbol); "
        "give strategy or weights (docs/portfolios.md)",
    )
    weights: dict[Text, dict[Text, float | None]] | list[dict[Text, Text | float | None]] | None = (
        Field(
            None,
            description="portfolio target weights instead of a strategy: timestamp -> "
            "{symbol: weight}, or a list of rows {timestamp, symbol: weight, ...}. Each "
            "timestamp a bar of the data, each symbol one of symbols, each weight in [0, 1]; "
            "bars and symbols left out (or null) get no order",
        )
    )
    order_sequence: Literal["value", "symbol"] | None = Field(
        None, description="portfolio: order of a bar's orders (default value)"
    )
    partial: bool | None = Field(
        None, description="portfolio: cut a buy to the cash left (default true) or skip it"
    )
    align: Literal["inner", "ffill"] | None = Field(
        None,
        description="portfolio: put the symbols on one timestamp index first (default: they "
        "must share one)",
    )
    bars: Bars | None = Field(None, description="uploaded bars instead of a symbol")
    interval: Text | None = Field(None, max_length=8, description=_INTERVAL_DOC)
    params: Values = Field(default_factory=dict, description="strategy parameters")
    options: Values = Field(default_factory=dict, description=_OPTIONS_DOC)
    start: Text | None = Field(None, max_length=40, description=_DATE_DOC)
    end: Text | None = Field(None, max_length=40, description=_DATE_DOC)


class GridRange(_Body):
    """Whole numbers ``start, start+step, ...`` below ``stop`` (as Python's range)."""

    start: StrictInt = Field(ge=-(10**12), le=10**12)
    stop: StrictInt = Field(ge=-(10**12), le=10**12)
    step: StrictInt = Field(1, ge=1, le=10**12)


class SweepCreate(_Body):
    """A parameter grid (each axis a list of values or a range) over one or more symbols."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "ma_cross grid",
                    "symbols": ["GOOG", "EURUSD"],
                    "strategy": "ma_cross",
                    "grid": {"fast": {"start": 2, "stop": 50}, "slow": [50, 100, 150, 200]},
                    "options": {"commission": 0.001},
                },
                {
                    "name": "my own Bollinger rules",
                    "symbols": ["GOOG"],
                    "strategy": RULE_EXAMPLE,
                    "grid": {"window": {"start": 10, "stop": 60, "step": 5}, "k": [1.5, 2.0, 2.5]},
                },
            ]
        }
    )

    name: Text = Field("", max_length=200)
    description: Text = Field("", max_length=5000)
    strategy: StrategyField = Field("ma_cross", description=_STRATEGY_DOC)
    symbols: list[Text] = Field(min_length=1, max_length=100)
    interval: Text | None = Field(None, max_length=8, description=_INTERVAL_DOC)
    grid: dict[Text, list[StrictNumber | None] | GridRange] = Field(
        description=(
            "parameter -> values; the sets are their product. The run options sl, tp and "
            "entry_offset may be axes too (null: no stop-loss / take-profit)"
        )
    )
    options: Values = Field(default_factory=dict, description=_OPTIONS_DOC)
    sample: StrictInt | None = Field(
        None, ge=1, le=10**9, description="run this many random valid sets"
    )
    seed: StrictInt | None = Field(None, ge=0, le=2**32 - 1, description="seed of the sample")


class _RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    strategy: str = Field(description="the strategy's name")
    rules: dict[str, Any] | None = Field(
        None,
        description="the rule strategy sent with the request, as stored and run "
        "(its JSON form); null for a registered strategy",
    )
    interval: str
    options: dict[str, Any]
    status: Status
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @field_validator("created_at", "started_at", "finished_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """Times are stored in UTC: SQLite drops the zone, so restore it; PostgreSQL
        answers in its session's zone, so convert back."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class BacktestOut(_RunOut):
    params: dict[str, Any]
    kind: Literal["single", "portfolio"] = Field(
        description="single: one symbol (or uploaded bars); portfolio: symbols sharing cash"
    )
    symbol: str | None
    portfolio: dict[str, Any] | None = Field(
        None, description="portfolio: symbols, order_sequence, partial, align, weights given"
    )
    data: Literal["symbol", "upload"]
    start: str | None
    end: str | None
    n_bars: int | None
    metrics: dict[str, Number | None] | None
    warnings: list[str] = Field(
        description="what the loader said about the bars, e.g. the repairs it made "
        "(timestamps sorted, duplicates dropped); empty when it had nothing to say"
    )

    @field_validator("kind", mode="before")
    @classmethod
    def _single_by_default(cls, value: str | None) -> str:
        return value or "single"  # rows written before portfolios have no kind

    @field_validator("warnings", mode="before")
    @classmethod
    def _none_is_empty(cls, value: list[str] | None) -> list[str]:
        return value or []


class SweepOut(_RunOut):
    symbols: list[str]
    grid: dict[str, Any]
    n_sets: int = Field(description="valid parameter sets run on each symbol")
    n_total: int = Field(description="backtests in the sweep (sets x symbols)")
    n_done: int
    progress: float = Field(ge=0, le=1)
    summary: dict[str, Any] | None


class BacktestResults(BaseModel):
    """``Result.to_dict()`` of the run plus its id: metrics, trades (raw fields and
    times) and the per-bar equity, cash and position on ``index``."""

    id: int
    strategy: str
    symbol: str | None
    engine: str
    params: dict[str, Number]
    options: dict[str, Any]
    metrics: dict[str, Number | None]
    trades: list[dict[str, Any]]
    index: list[str]
    equity: list[float | None]
    cash: list[float | None]
    position: list[float | None]


class PortfolioResults(BaseModel):
    """``PortfolioResult.to_dict()`` of a portfolio run plus its id, the trade table with
    symbols (``trade_table``) and the weights held (symbol -> per-bar list on ``index``)."""

    id: int
    kind: Literal["portfolio"]
    strategy: str
    engine: str
    symbols: list[str]
    params: dict[str, Any]
    options: dict[str, Any]
    metrics: dict[str, Number | None]
    trades: list[dict[str, Any]]
    trade_table: list[dict[str, Any]]
    index: list[str]
    equity: list[float | None]
    cash: list[float | None]
    positions: list[list[float | None]]
    weights: dict[str, list[float | None]]


class Chart(BaseModel):
    id: int
    chart_type: ChartType
    media_type: Literal["image/png"] = "image/png"
    data: str = Field(description="the PNG, base64-encoded")


class SweepResults(BaseModel):
    id: int
    sort: str
    skip: int
    limit: int
    n_rows: int
    rows: list[dict[str, Any]]


class ParamOut(BaseModel):
    name: str
    type: Literal["int", "float"]
    default: Number
    minimum: float | None
    maximum: float | None
    doc: str


class StrategyOut(BaseModel):
    name: str
    description: str
    params: list[ParamOut]


class SampleSymbol(BaseModel):
    symbol: str
    description: str


class StoredSymbol(BaseModel):
    symbol: str
    interval: str
    first: str | None = None
    last: str | None = None
    rows: int | None = None
    source: str | None = None
    error: str | None = None


class Symbols(BaseModel):
    samples: list[SampleSymbol]
    stored: list[StoredSymbol]


class Error(BaseModel):
    """Any refusal but 422: what went wrong, in words."""

    detail: str


class FieldError(BaseModel):
    type: str
    loc: list[str | int] = Field(description="where: body, then the field's path")
    msg: str


class Invalid(BaseModel):
    """422: the request's fields at fault (FastAPI's validation error shape)."""

    detail: list[FieldError]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
