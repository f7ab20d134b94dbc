"""Where the peers part from fastbt's rules, shown on tiny hand-made bars, and recognised
in the peer-match table.

Each probe is a few bars, one signal pattern and fastbt's answer worked out by hand
from docs/execution.md; running it shows the peer's answer beside it. ``explain``
looks at the first difference of a peer-match comparison and names the probe (the
documented peer behaviour) that accounts for it, when one does.
"""

import math
import sys
from dataclasses import dataclass

import numpy as np
import pandas as pd
from peers import (
    CASH,
    Match,
    Scenario,
    Trades,
    backtesting_trades,
    fastbt_trades,
    flags,
    vectorbt_trades,
)

EPS = sys.float_info.epsilon


def bars_from(rows: list[tuple[float, float, float, float]]) -> pd.DataFrame:
    """OHLC rows as a daily frame."""
    frame = pd.DataFrame(rows, columns=["open", "high", "low", "close"])
    frame["volume"] = 1_000.0
    frame.index = pd.date_range("2024-01-01", periods=len(rows), freq="D")
    return frame


FLAT = (97.3, 98.0, 97.0, 97.3)


@dataclass(frozen=True)
class Probe:
    """A peer behaviour: bars, signals, options, fastbt's hand-computed value and the field."""

    key: str
    peer: str
    behaviour: str
    bars: tuple
    entry: tuple[int, ...]
    exit: tuple[int, ...]
    scenario: Scenario
    field: str  # compared on trade 0
    fastbt_value: float
    why: str  # fastbt's value, worked out

    def run(self, engine: str = "peer") -> float:
        """The value of ``field`` on the first trade of the peer, or of fastbt with
        ``like=<peer>`` (``engine="fastbt"``; needs the v2 options)."""
        bars = bars_from(list(self.bars))
        n = len(bars)
        entry, exit_ = flags(n, list(self.entry)), flags(n, list(self.exit))
        if engine == "fastbt":
            options = self.scenario.fastbt_options(self.peer)
            trades = fastbt_trades(bars, entry, exit_, **options)
        else:
            peer = backtesting_trades if self.peer == "backtesting.py" else vectorbt_trades
            trades = peer(bars, entry, exit_, self.scenario)
        return float(trades.frame[self.field].iat[0])


GAP_UP_THROUGH_BOTH = (106.0, 107.0, 92.0, 95.0)  # opens above TP 105.084, trades below SL 92.435

PROBES = (
    Probe(
        "btpy_sl_first",
        "backtesting.py",
        "A bar that opens beyond the take-profit and also trades through the stop-loss "
        "exits at the stop-loss: SL orders go to the front of the queue (stop_priority "
        "sl_first in its preset).",
        (FLAT, FLAT, FLAT, GAP_UP_THROUGH_BOTH),
        (1,),
        (),
        Scenario("long, sl 5% + tp 8%", sl=0.05, tp=0.08),
        "exit_price",
        97.3 * (1 - 0.05),
        "sl_first: L 92 <= SL 97.3*0.95 = 92.435 fills at the SL before O 106 >= TP is tried",
    ),
    Probe(
        "vbt_sl_first",
        "vectorbt",
        "The same bar in vectorbt: its stop check tries the stop-loss first (stop_priority "
        "sl_first in its preset).",
        (FLAT, FLAT, GAP_UP_THROUGH_BOTH),
        (1,),
        (),
        Scenario("long, sl 5% + tp 8%", sl=0.05, tp=0.08),
        "exit_price",
        97.3 * (1 - 0.05),
        "sl_first: L 92 <= SL 97.3*0.95 = 92.435 fills at the SL before O 106 >= TP is tried",
    ),
    Probe(
        "btpy_sl_before_close",
        "backtesting.py",
        "A market close decided on the bar before fills at the open, before the stop-loss "
        "(as in fastbt): Trade.close() puts its order at the front of the queue, ahead of the "
        "SL order. (Setting trade.sl after position.close() in next() would put the SL back "
        "in front, and the stop would win.)",
        (FLAT, FLAT, FLAT, (96.0, 96.5, 90.0, 92.0)),
        (1,),
        (2,),
        Scenario("long, sl 5%", sl=0.05),
        "exit_price",
        96.0,
        "exit signal on bar 2: the close fills at open[3] = 96.0 (SL 92.435 is below that open)",
    ),
    Probe(
        "btpy_tp_before_close",
        "backtesting.py",
        "The same for a take-profit: the close order goes ahead of the TP order queued when "
        "the trade opened, so a bar that opens below the TP and trades through it exits at "
        "the open.",
        (FLAT, FLAT, FLAT, (99.0, 110.0, 98.0, 100.0)),
        (1,),
        (2,),
        Scenario("long, tp 8%", tp=0.08),
        "exit_price",
        99.0,
        "exit signal on bar 2: the close fills at open[3] = 99.0 (TP 105.084 is above that open)",
    ),
    Probe(
        "btpy_trail_on_fill_bar",
        "backtesting.py",
        "A trailing stop whose levels are set in next() from trade.entry_price, coded as "
        "`trade.sl = max(trade.sl, High[-1]*(1-sl))` on every bar, already trails the fill "
        "bar's high; fastbt's extreme moves only on bars where the stops are live, and with "
        "stop_on_fill_bar=False the fill bar is not one. The strategy must skip the update "
        "on the trade's entry bar to match.",
        (
            FLAT,
            FLAT,
            (97.3, 105.0, 97.0, 104.0),
            (101.0, 102.0, 98.0, 99.0),
            (100.0, 100.5, 99.5, 100.0),
        ),
        (1,),
        (3,),
        Scenario(
            "long, trailing sl 5% from the entry price",
            sl=0.05,
            trail=True,
            anchor="fill",
            trail_on_fill_bar=True,
            peers=("backtesting.py",),
        ),
        "exit_price",
        100.0,
        "SL 97.3*0.95 = 92.435 on bar 3 (L 98: no hit), the exit signal of bar 3 fills at "
        "open[4] = 100.0; the peer's SL had trailed to 105*0.95 = 99.75 on bar 2",
    ),
    Probe(
        "btpy_fixed_fee_sizing",
        "backtesting.py",
        "An all-equity order is sized as floor(cash / (price*(1+c) + F)): the fixed fee is "
        "counted once per unit (the fee of a 0.9999-unit order divided by its size). fastbt "
        "spends cash - F: floor((cash - F) / (price*(1+c))). Use size_type='units' with the "
        "same size in both to compare fees.",
        (FLAT, FLAT, FLAT, FLAT),
        (1,),
        (),
        Scenario("long, fixed fee 10", fixed_fee=10.0),
        "qty",
        102.0,
        "floor((10000 - 10) / 97.3) = floor(102.67) = 102",
    ),
    Probe(
        "btpy_one_minus_eps",
        "backtesting.py",
        "The default order size is 1 - 2**-52 of equity, so when cash / price is a whole "
        "number the order buys one unit less.",
        (FLAT, FLAT, (100.0, 100.5, 99.5, 100.0), (100.0, 100.5, 99.5, 100.0)),
        (1,),
        (),
        Scenario("long"),
        "qty",
        100.0,
        "floor(10000 / 100.0) = 100",
    ),
    Probe(
        "vbt_partial_cover",
        "vectorbt",
        "A short whose cover costs more than the cash is covered only in part (documented "
        "gap: fastbt covers in full and lets cash go negative); vectorbt records the covered "
        "part as one trade and keeps the rest open.",
        (
            (101.3, 101.8, 100.8, 101.3),
            (101.3, 101.8, 100.8, 101.3),
            (101.3, 101.8, 100.8, 101.3),
            (150.0, 260.0, 149.0, 255.0),
            (255.0, 256.0, 254.0, 255.0),
        ),
        (2,),
        (3,),
        Scenario("short", direction="short"),
        "qty",
        10_000.0 / 101.3,
        "short 10000/101.3 = 98.7167 units at close[2]; the exit on bar 3 covers all of them "
        "at 255.0 (cash 20000 - 25173 < 0)",
    ),
)


def run_probes() -> list[tuple[Probe, float]]:
    """Each probe with the peer's value (NaN when the peer could not run it)."""
    out = []
    for probe in PROBES:
        try:
            out.append((probe, probe.run()))
        except Exception:
            out.append((probe, math.nan))
    return out


# ---------------------------------------------------- explaining a mismatch


def _btpy_size(cash: float, price: float, commission: float, fixed_fee: float) -> float:
    """backtesting.py 0.6's whole-unit size of ``buy()``/``sell()`` without a size."""
    size = 1 - EPS
    per_unit = price + (fixed_fee + size * price * commission) / size
    return float((cash * size) // per_unit)


def explain(
    peer: str,
    scenario: Scenario,
    bars: pd.DataFrame,
    match: Match,
    theirs: Trades,
    ours: Trades,
) -> str:
    """The probe key and a short reason for the first difference, or "" when none applies."""
    if match.matched:
        return ""
    a, b = theirs.frame, ours.frame
    k = match.trade
    if peer == "backtesting.py" and match.field == "qty" and k < len(a):
        cash = CASH + float(np.nansum(a["pnl"].to_numpy()[:k]))
        price = float(a["entry_price"].iat[k])
        if a["qty"].iat[k] == _btpy_size(cash, price, scenario.commission, scenario.fixed_fee):
            key = "btpy_fixed_fee_sizing" if scenario.fixed_fee else "btpy_one_minus_eps"
            return f"{key}: size {a['qty'].iat[k]:g} is backtesting.py's sizing of cash {cash:.2f}"
    if peer == "vectorbt" and scenario.units is not None and k < len(a) and k < len(b):
        earlier = a["entry_bar"].iat[k] < b["entry_bar"].iat[k]
        if match.field == "entry_bar" and earlier and a["direction"].iat[k] < 0:
            return (
                "vbt_short_beyond_cash: vectorbt sells a fixed-units short that the cash "
                "does not cover (lock_cash=False; a known, documented gap); fastbt skips it"
            )
        if (a["qty"].iloc[k : k + 2] < scenario.units).any():
            return (
                "vbt_partial_fill: vectorbt fills an order the cash cannot pay in part "
                "(allow_partial=True), here the new leg of a reversal; fastbt's units "
                "order is all or nothing"
            )
    if peer == "vectorbt" and scenario.direction != "long" and k < len(a) and k < len(b):
        same_entry = a["entry_bar"] == b["entry_bar"].iat[k]
        if same_entry.sum() > 1 and a["qty"].iat[k] < b["qty"].iat[k]:
            return "vbt_partial_cover: the cover was cut to the cash (a known, documented gap)"
    if peer == "vectorbt" and match.field in ("count", "final_equity"):
        entries = a["entry_bar"].to_numpy()
        if len(entries) != len(set(entries)) and scenario.direction != "long":
            return "vbt_partial_cover: the cover was cut to the cash (a known, documented gap)"
    return ""
