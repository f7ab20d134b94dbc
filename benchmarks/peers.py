"""Run the same signals through fastbt, vectorbt and backtesting.py; compare the trades.

Each engine's trades come back in one layout (``TRADE_LAYOUT``, one row per
round trip, open trades last with exit fields NaN) plus the final equity, so a
scenario's three runs can be compared field by field. ``peer_match.py`` builds
the peer-match table from these pieces; ``tests/test_peers.py`` checks them.

Option mapping (fastbt -> peer), per scenario option:

| fastbt | vectorbt ``Portfolio.from_signals`` | backtesting.py ``Backtest`` + ``SignalStrategy`` |
| --- | --- | --- |
| ``like="vectorbt"`` (fill close, fractional) / ``like="backtesting.py"`` (next open, whole units) | default ``price`` (close), ``size=np.inf`` | ``trade_on_close=False``, default ``buy()``/``sell()`` size |
| direction long / short / both | ``direction`` longonly / shortonly / both, ``upon_opposite_entry="reverse"`` | buy / sell / both in ``next()``; a reversal is ``position.close()`` then the new order |
| ``sl``, ``tp`` (anchor: the signal bar's close) | ``sl_stop``, ``tp_stop``, ``stop_entry_price="close"``, ``stop_exit_price="stoplimit"`` | ``buy(sl=Close[-1]*(1-sl), tp=Close[-1]*(1+tp))`` (short mirrored) |
| ``trail=True`` (on the high) | ``sl_trail=True`` | ``trade.sl = max(trade.sl, High[-1]*(1-sl))`` in ``next()`` (short: min, Low) |
| ``trail_on="close"`` | (none) | ``trade.sl = max(trade.sl, Close[-1]*(1-sl))`` |
| ``stop_anchor="fill"``, ``stop_on_fill_bar=False`` | (none) | levels set in ``next()`` from ``trade.entry_price`` |
| ``entry_order`` limit / stop, ``entry_offset=o`` | (none) | ``buy(limit=Close[-1]*(1-o))`` / ``buy(stop=Close[-1]*(1+o))``; an exit signal or a new entry cancels the pending one |
| ``size=u, size_type="units"`` | ``size=u`` (amount) | ``buy(size=u)`` / ``sell(size=u)`` |
| ``commission``, ``fixed_fee`` | ``fees``, ``fixed_fees`` | ``commission=(fixed_fee, commission)`` |
| entry and exit on one bar: nothing | ``upon_*_conflict="ignore"``, ``upon_dir_conflict="ignore"`` | the same rule in ``next()`` |
| ``close_at_end=False`` | an open position stays open | ``finalize_trades=False``; open trades from ``stats._strategy.trades`` |
"""

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

import fastbt

CASH = 10_000.0
TRADE_LAYOUT = (
    "direction",  # +1 long, -1 short
    "entry_bar",
    "exit_bar",  # -1: still open at the end
    "entry_price",
    "exit_price",
    "qty",  # positive
    "fees",  # both legs (entry leg only while open)
    "pnl",  # NaN while open
)
RTOL = 1e-9  # "matches to 1e-9": prices, qty, equity relative; fees and pnl relative to notional


@dataclass(frozen=True)
class Scenario:
    """One row of the peer-match table: fastbt options a peer can express."""

    name: str
    direction: str = "long"
    sl: float | None = None
    tp: float | None = None
    trail: bool = False
    commission: float = 0.0
    fixed_fee: float = 0.0
    v2: bool = True  # False: only v1 options (long, no stops): runs on today's fastbt
    data: str = "standard"  # which signals: "standard" (see ``datasets``) or "ruin"
    units: float | None = None  # a fixed order size in units; None: all cash
    trail_on: str = "high"  # "close": backtesting.py only (coded in next())
    anchor: str = "signal_close"  # "fill": levels set in next() from the entry price
    # backtesting.py, levels set in next(): also trail on the fill bar's extreme (the probe
    # ``btpy_trail_on_fill_bar``); fastbt's extreme moves on live bars only
    trail_on_fill_bar: bool = False
    entry_order: str = "market"  # "limit" / "stop": backtesting.py only
    entry_offset: float = 0.0
    peers: tuple[str, ...] = ("vectorbt", "backtesting.py")  # the peers that can express it

    def fastbt_options(self, peer: str) -> dict:
        """Keywords of ``fastbt.run`` that reproduce ``peer`` ("vectorbt"/"backtesting.py")."""
        options = {"commission": self.commission, "fixed_fee": self.fixed_fee, "cash": CASH}
        if self.units is not None:
            options |= {"size": self.units, "size_type": "units"}
        if not self.v2:  # today's fastbt: the v1 options the peer needs, no ``like``
            if peer == "vectorbt":
                return {**options, "fill": "close"}
            return {**options, "fractional": False}
        options |= {"like": peer, "direction": self.direction, "sl": self.sl, "tp": self.tp}
        if peer == "vectorbt":
            options["fill"] = "close"  # the preset's value too; vectorbt has no next-open fills
        if self.trail:
            options |= {"trail": True, "trail_on": self.trail_on}
        if self.anchor == "fill":  # levels set in next() once the trade exists
            options |= {"stop_anchor": "fill", "stop_on_fill_bar": False}
        if self.entry_order != "market":  # good till filled or cancelled, as in the peer
            options |= {
                "entry_order": self.entry_order,
                "entry_offset": self.entry_offset,
                "entry_expiry": None,
            }
        return options


SCENARIOS = (
    Scenario("v1: long, no stops", v2=False),
    Scenario("v1: long, fees 0.1% + 1.0", commission=0.001, fixed_fee=1.0, v2=False),
    Scenario("long only"),
    Scenario("short only", direction="short"),
    Scenario("both, reversals", direction="both"),
    Scenario("both, sl 5%", direction="both", sl=0.05),
    Scenario("both, tp 8%", direction="both", tp=0.08),
    Scenario("both, sl 5% + tp 8%", direction="both", sl=0.05, tp=0.08),
    Scenario("both, trailing sl 5%", direction="both", sl=0.05, trail=True),
    Scenario("short only, sl 5% + tp 8%", direction="short", sl=0.05, tp=0.08),
    Scenario("both, fees 0.1% + 1.0", direction="both", commission=0.001, fixed_fee=1.0),
    Scenario(
        "both, percent fee 0.1%, sl + tp", direction="both", sl=0.05, tp=0.08, commission=0.001
    ),
    Scenario(
        "both, 5 units, fees 0.1% + 1.0, sl + tp",
        direction="both",
        sl=0.05,
        tp=0.08,
        commission=0.001,
        fixed_fee=1.0,
        units=5.0,
    ),
    Scenario("both, trailing sl 5% + tp 8%", direction="both", sl=0.05, tp=0.08, trail=True),
    # tight levels: bars that touch both, and bars that open beyond the TP
    Scenario("both, tight sl 1.5% + tp 2%", direction="both", sl=0.015, tp=0.02),
    Scenario(
        "long, tight trailing sl 1.5% + tp 2%", direction="long", sl=0.015, tp=0.02, trail=True
    ),
    Scenario(
        "both, 20 units: some orders beyond the cash",
        direction="both",
        commission=0.001,
        fixed_fee=1.0,
        units=20.0,
    ),
    Scenario("short into ruin, then cover", direction="short", data="ruin"),
    Scenario(
        "both, trailing sl 5% on the close",
        direction="both",
        sl=0.05,
        trail=True,
        trail_on="close",
        peers=("backtesting.py",),
    ),
    Scenario(
        "both, sl 5% + tp 8% set in next() from the entry price",
        direction="both",
        sl=0.05,
        tp=0.08,
        anchor="fill",
        peers=("backtesting.py",),
    ),
    Scenario(
        "both, trailing sl 5% set in next() from the entry price",
        direction="both",
        sl=0.05,
        trail=True,
        anchor="fill",
        peers=("backtesting.py",),
    ),
    Scenario(
        "long, limit entry 1% below, sl 5% + tp 8%",
        sl=0.05,
        tp=0.08,
        entry_order="limit",
        entry_offset=0.01,
        peers=("backtesting.py",),
    ),
    Scenario(
        "long, stop entry 1% above, sl 5% + tp 8%",
        sl=0.05,
        tp=0.08,
        entry_order="stop",
        entry_offset=0.01,
        peers=("backtesting.py",),
    ),
    Scenario(
        "short, limit entry 1% above, sl 5% + tp 8%",
        direction="short",
        sl=0.05,
        tp=0.08,
        entry_order="limit",
        entry_offset=0.01,
        peers=("backtesting.py",),
    ),
    Scenario(
        "short, stop entry 1% below, sl 5% + tp 8%",
        direction="short",
        sl=0.05,
        tp=0.08,
        entry_order="stop",
        entry_offset=0.01,
        peers=("backtesting.py",),
    ),
)


@dataclass
class Trades:
    """One engine's run in the common layout."""

    engine: str
    frame: pd.DataFrame  # columns TRADE_LAYOUT
    final_equity: float
    notes: list[str] = field(default_factory=list)


def _frame(**columns) -> pd.DataFrame:
    frame = pd.DataFrame(
        {name: np.asarray(columns[name], dtype="float64") for name in TRADE_LAYOUT}
    )
    return frame.sort_values(["entry_bar", "exit_bar"], kind="stable").reset_index(drop=True)


def signal_frame(bars: pd.DataFrame, entry: np.ndarray, exit_: np.ndarray) -> pd.DataFrame:
    """Bars with the signals as two boolean columns (what the peers read)."""
    return bars.assign(entry=np.asarray(entry, dtype=bool), exit=np.asarray(exit_, dtype=bool))


# --------------------------------------------------------------------- fastbt


def given_signals(entry: np.ndarray, exit_: np.ndarray) -> fastbt.Strategy:
    """A fastbt strategy whose signals are the given arrays (fast engine only)."""
    entry, exit_ = np.asarray(entry, dtype=np.bool_), np.asarray(exit_, dtype=np.bool_)

    class NoReference(fastbt.ReferenceStrategy):
        def generate_signals(self, history):
            raise NotImplementedError("given_signals runs on the fast engine only")

    return fastbt.Strategy(
        name="given_signals",
        description="precomputed entry/exit arrays",
        params=(),
        signals=lambda *arrays: (entry, exit_),
        reference=NoReference,
    )


def fastbt_trades(bars: pd.DataFrame, entry, exit_, **options) -> Trades:
    """``fastbt.run`` on the signals, in the common layout."""
    result = fastbt.run(bars, given_signals(entry, exit_), **options)
    trades = result.trades
    is_open = trades["status"].to_numpy() == "open"
    if "direction" in trades:
        direction = np.where(trades["direction"].to_numpy() == "short", -1.0, 1.0)
    else:  # v1: long only
        direction = np.ones(len(trades))
    frame = _frame(
        direction=direction,
        entry_bar=trades["entry_bar"],
        exit_bar=np.where(is_open, -1, trades["exit_bar"].fillna(-1).to_numpy(dtype="int64")),
        entry_price=trades["entry_price"],
        exit_price=np.where(is_open, np.nan, trades["exit_price"]),
        qty=trades["qty"],
        fees=trades["fees"],
        pnl=np.where(is_open, np.nan, trades["pnl"]),
    )
    return Trades("fastbt", frame, float(result.equity.iloc[-1]))


# ------------------------------------------------------------------- vectorbt


def vectorbt_trades(bars: pd.DataFrame, entry, exit_, scenario: Scenario) -> Trades:
    """``vbt.Portfolio.from_signals`` on the signals (fill at this bar's close)."""
    import vectorbt as vbt
    from vectorbt.portfolio.enums import TradeDirection, TradeStatus

    directions = {"long": "longonly", "short": "shortonly", "both": "both"}
    index = bars.index
    portfolio = vbt.Portfolio.from_signals(
        bars["close"],
        pd.Series(np.asarray(entry, dtype=bool), index=index),
        pd.Series(np.asarray(exit_, dtype=bool), index=index),
        open=bars["open"],
        high=bars["high"],
        low=bars["low"],
        direction=directions[scenario.direction],
        init_cash=CASH,
        size=np.inf if scenario.units is None else scenario.units,
        fees=scenario.commission,
        fixed_fees=scenario.fixed_fee,
        accumulate=False,
        upon_long_conflict="ignore",
        upon_short_conflict="ignore",
        upon_dir_conflict="ignore",
        upon_opposite_entry="reverse",
        sl_stop=np.nan if scenario.sl is None else scenario.sl,
        tp_stop=np.nan if scenario.tp is None else scenario.tp,
        sl_trail=scenario.trail,
        stop_entry_price="close",
        stop_exit_price="stoplimit",
        freq="D",
    )
    records = portfolio.trades.values
    is_open = records["status"] == TradeStatus.Open
    frame = _frame(
        direction=np.where(records["direction"] == TradeDirection.Short, -1.0, 1.0),
        entry_bar=records["entry_idx"],
        exit_bar=np.where(is_open, -1, records["exit_idx"]),
        entry_price=records["entry_price"],
        exit_price=np.where(is_open, np.nan, records["exit_price"]),
        qty=records["size"],
        fees=records["entry_fees"] + np.where(is_open, 0.0, records["exit_fees"]),
        pnl=np.where(is_open, np.nan, records["pnl"]),
    )
    return Trades("vectorbt", frame, float(portfolio.value().iloc[-1]))


# ------------------------------------------------------------- backtesting.py


def _quiet_backtesting() -> None:
    """Backtest.run draws a tqdm bar on stderr; swap the wrapper for a no-op."""
    import backtesting.backtesting as engine

    if hasattr(engine, "_tqdm"):
        engine._tqdm = lambda sequence, **_: sequence


def backtesting_strategy(scenario: Scenario):
    """A backtesting.py Strategy that trades the ``entry``/``exit`` columns with fastbt's rules.

    Decisions follow fastbt's direction table (docs/execution.md): a reversal closes
    the position and then places the opposite order, so the new leg is sized from
    the cash after the close. Stops go with the order, from the signal bar's close;
    a trailing stop moves in ``next()`` after each bar, from the high (long) or low.
    """
    from backtesting import Strategy

    sl, tp, trail, direction = scenario.sl, scenario.tp, scenario.trail, scenario.direction
    size = {} if scenario.units is None else {"size": scenario.units}

    extreme = "High" if scenario.trail_on == "high" else "Close"
    low_extreme = "Low" if scenario.trail_on == "high" else "Close"
    with_order = scenario.anchor == "signal_close"
    offset = scenario.entry_offset

    def levels(side: int, price: float) -> dict:
        """sl/tp prices of a position on ``side`` anchored at ``price``."""
        return {
            "sl": None if sl is None else price * (1 - sl) if side > 0 else price * (1 + sl),
            "tp": None if tp is None else price * (1 + tp) if side > 0 else price * (1 - tp),
        }

    class SignalStrategy(Strategy):
        def init(self):
            pass

        def _open(self, side: int):
            close = self.data.Close[-1]
            kwargs = dict(size, **(levels(side, close) if with_order else {}))
            if scenario.entry_order == "limit":
                kwargs["limit"] = close * (1 - offset) if side > 0 else close * (1 + offset)
            elif scenario.entry_order == "stop":
                kwargs["stop"] = close * (1 + offset) if side > 0 else close * (1 - offset)
            (self.buy if side > 0 else self.sell)(**kwargs)

        def _cancel_entry_orders(self):
            for order in self.orders:
                if not order.is_contingent:
                    order.cancel()

        def next(self):
            for trade in self.trades:
                if not with_order and trade.sl is None and trade.tp is None:
                    side = 1 if trade.is_long else -1
                    for name, level in levels(side, trade.entry_price).items():
                        if level is not None:
                            setattr(trade, name, level)
                fill_bar = trade.entry_bar == len(self.data) - 1
                if trail and (with_order or scenario.trail_on_fill_bar or not fill_bar):
                    if trade.is_long:
                        trade.sl = max(trade.sl, getattr(self.data, extreme)[-1] * (1 - sl))
                    else:
                        trade.sl = min(trade.sl, getattr(self.data, low_extreme)[-1] * (1 + sl))
            go_in, go_out = self.data.entry[-1], self.data.exit[-1]
            if go_in == go_out:
                return
            position = self.position
            if direction in ("long", "short"):
                side = 1 if direction == "long" else -1
                if not position and go_in:
                    self._cancel_entry_orders()  # a later entry replaces a pending one
                    self._open(side)
                elif not position and go_out:
                    self._cancel_entry_orders()  # an exit cancels it
                elif position and go_out:
                    position.close()
            else:
                side = +1 if go_in else -1
                if not position:
                    self._open(side)
                elif (position.is_long and side < 0) or (position.is_short and side > 0):
                    position.close()
                    self._open(side)

    return SignalStrategy


def backtesting_trades(bars: pd.DataFrame, entry, exit_, scenario: Scenario) -> Trades:
    """backtesting.py's ``Backtest.run`` on the signals (fills at the next open, whole units)."""
    from backtesting import Backtest

    _quiet_backtesting()
    data = signal_frame(bars, entry, exit_).rename(
        columns={c: c.capitalize() for c in ("open", "high", "low", "close", "volume")}
    )
    commission = (
        (scenario.fixed_fee, scenario.commission) if scenario.fixed_fee else scenario.commission
    )
    backtest = Backtest(
        data,
        backtesting_strategy(scenario),
        cash=CASH,
        commission=commission,
        spread=0.0,
        trade_on_close=False,
        hedging=False,
        exclusive_orders=False,
        finalize_trades=False,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stats = backtest.run()
    closed = stats["_trades"]
    still_open = list(stats["_strategy"].trades)

    def entry_fee(size, price):
        return scenario.fixed_fee + abs(size) * price * scenario.commission

    sizes = [*closed["Size"], *(t.size for t in still_open)]
    frame = _frame(
        direction=np.sign(sizes),
        entry_bar=[*closed["EntryBar"], *(t.entry_bar for t in still_open)],
        exit_bar=[*closed["ExitBar"], *(-1 for _ in still_open)],
        entry_price=[*closed["EntryPrice"], *(t.entry_price for t in still_open)],
        exit_price=[*closed["ExitPrice"], *(np.nan for _ in still_open)],
        qty=np.abs(sizes),
        fees=[*closed["Commission"], *(entry_fee(t.size, t.entry_price) for t in still_open)],
        pnl=[*closed["PnL"], *(np.nan for _ in still_open)],
    )
    notes = sorted({str(w.message).split(":", 1)[-1].split("(")[0].strip() for w in caught})
    return Trades("backtesting.py", frame, float(stats["Equity Final [$]"]), notes)


PEERS = {"vectorbt": vectorbt_trades, "backtesting.py": backtesting_trades}


# ------------------------------------------------------------------ comparing


@dataclass(frozen=True)
class Match:
    """How a peer's run compares with fastbt's: "exact", "1e-9" or "differs" (with where)."""

    level: str
    detail: str
    n_trades: int
    trade: int = -1  # first differing trade (-1: none, or the final equity / trade count)
    field: str = ""

    @property
    def matched(self) -> bool:
        return self.level != "differs"


def _close(a: float, b: float, scale: float) -> bool:
    if math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= RTOL * max(abs(a), abs(b), scale)


def compare(theirs: Trades, ours: Trades) -> Match:
    """Trades (bars, direction, prices, qty, fees, pnl) and final equity of two runs.

    Bars and directions must be identical. "exact": every float bit for bit;
    "1e-9": prices, qty and equity within 1e-9 relative, fees and pnl within 1e-9
    of the trade's notional. Otherwise the first difference, with its bar.
    """
    a, b = theirs.frame, ours.frame
    n = min(len(a), len(b))
    for k in range(n):
        for name in ("entry_bar", "exit_bar", "direction"):
            if a[name].iat[k] != b[name].iat[k]:
                return Match(
                    "differs",
                    f"trade {k}: {name} {a[name].iat[k]:g} against fastbt's {b[name].iat[k]:g} "
                    f"(entry bar {b['entry_bar'].iat[k]:g})",
                    len(a),
                    k,
                    name,
                )
        notional = b["qty"].iat[k] * b["entry_price"].iat[k]
        for name in ("entry_price", "exit_price", "qty", "fees", "pnl"):
            x, y = a[name].iat[k], b[name].iat[k]
            scale = notional if name in ("fees", "pnl") else 0.0
            if not _close(x, y, scale):
                return Match(
                    "differs",
                    f"trade {k} (bars {b['entry_bar'].iat[k]:g}-{b['exit_bar'].iat[k]:g}): "
                    f"{name} {float(x)!r} against fastbt's {float(y)!r}",
                    len(a),
                    k,
                    name,
                )
    if len(a) != len(b):
        return Match("differs", f"{len(a)} trades against fastbt's {len(b)}", len(a), n, "count")
    if not _close(theirs.final_equity, ours.final_equity, 0.0):
        return Match(
            "differs",
            f"final equity {theirs.final_equity!r} against fastbt's {ours.final_equity!r}",
            len(a),
            -1,
            "final_equity",
        )
    if a.equals(b):
        if theirs.final_equity == ours.final_equity:
            return Match("exact", "", len(a))
        gap = abs(theirs.final_equity - ours.final_equity) / max(abs(ours.final_equity), 1e-300)
        return Match("1e-9", f"trades bit for bit, final equity {gap:.1e} relative", len(a))
    worst = max(
        (
            abs(a[c] - b[c]).max() / max(abs(b[c]).max(), 1e-300)
            for c in ("entry_price", "exit_price", "qty", "pnl")
            if len(a)
        ),
        default=0.0,
    )
    return Match("1e-9", f"largest relative difference {worst:.1e}", len(a))


# -------------------------------------------------------------------- signals


def random_signals(n: int, seed: int, rate: float = 0.04) -> tuple[np.ndarray, np.ndarray]:
    """Independent random entry/exit flags (about ``rate`` of bars each), none on bar 0.

    backtesting.py calls ``next()`` from bar 1 on, so bar 0 carries no signal.
    Both flags on one bar happen (about rate^2 of bars): the conflict rule is tested too.
    """
    rng = np.random.default_rng(seed)
    entry, exit_ = rng.random(n) < rate, rng.random(n) < rate
    entry[0] = exit_[0] = False
    return entry, exit_


def ma_cross(bars: pd.DataFrame, fast: int = 10, slow: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """fastbt's own ma_cross signals (the "real" signals)."""
    from fastbt.kernels.strategies import ma_cross_signals

    columns = [np.ascontiguousarray(bars[c].to_numpy(dtype="float64")) for c in bars.columns[:5]]
    return ma_cross_signals(*columns, fast, slow)


def ruin_bars() -> pd.DataFrame:
    """A short's ruin: a short sold near 101 on bar 2, the price then nearly triples.

    Prices are not round, so an all-cash order never divides the cash exactly (see
    the probe on backtesting.py's 1 - eps order size in ``probes.py``).
    """
    close = np.array(
        [101.3, 101.1, 101.7, 103.1, 121.3, 151.7, 181.9, 211.3, 241.7, 262.1, 271.3, 281.9]
    )
    open_ = np.r_[close[0], close[:-1] + 0.1]
    index = pd.date_range("2024-01-01", periods=len(close), freq="D")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + 0.5,
            "low": np.minimum(open_, close) - 0.5,
            "close": close,
            "volume": 1_000.0,
        },
        index=index,
    )


def flags(n: int, bars: list[int]) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[bars] = True
    return out


def datasets(kind: str = "standard") -> dict[str, tuple[pd.DataFrame, np.ndarray, np.ndarray]]:
    """Name -> (bars, entry, exit).

    "standard": real signals (fastbt's ma_cross) on GOOG, random ones on GOOG and on
    synthetic bars. "ruin": a short entered on bar 2 and covered on bar 10, on bars
    that nearly triple in between (equity crosses 0 on bar 7).
    """
    if kind == "ruin":
        bars = ruin_bars()
        return {"ruin bars": (bars, flags(len(bars), [2]), flags(len(bars), [10]))}
    goog = fastbt.load("GOOG")
    synthetic = fastbt.synthetic(3_000, seed=7)
    return {
        "GOOG ma_cross(10, 50)": (goog, *ma_cross(goog)),
        "GOOG random": (goog, *random_signals(len(goog), seed=1)),
        "synthetic random": (synthetic, *random_signals(len(synthetic), seed=2)),
    }


def supports_v2() -> bool:
    """True once fastbt runs the v2 options: a short with a stop on a few bars.

    Having the keywords is not enough: until both engines implement them, fastbt
    refuses a non-default v2 option ("not implemented yet").
    """
    bars = ruin_bars()
    signals = given_signals(flags(len(bars), [2]), flags(len(bars), [5]))
    try:
        fastbt.run(bars, signals, direction="short", sl=0.5, like="vectorbt")
    except (TypeError, ValueError):
        return False
    return True


def run_scenario(
    peer: str, scenario: Scenario, bars, entry, exit_, ours: Callable | None = None
) -> tuple[Match, Trades, Trades]:
    """One peer and fastbt on the same signals; their comparison.

    ``ours(peer, bars, entry, exit_, scenario) -> Trades`` replaces fastbt (the
    harness passes ``spec_model.simulate`` while fastbt lacks the v2 options).
    """
    theirs = PEERS[peer](bars, entry, exit_, scenario)
    if ours is None:
        mine = fastbt_trades(bars, entry, exit_, **scenario.fastbt_options(peer))
    else:
        mine = ours(peer, bars, entry, exit_, scenario)
    return compare(theirs, mine), theirs, mine
