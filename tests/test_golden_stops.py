"""Hand-computed cases of stop-loss, take-profit and trailing stops (docs/execution.md), on
both engines.

Unless a test says otherwise: cash 10,000, fill="next_open", the entry is decided on bar 0
(close 100) and fills at open[1] = 100, so qty = 10,000/100 = 100 and, with sl = tp = 0.25,
the long levels are SL = 100*(1 - 0.25) = 75 and TP = 100*(1 + 0.25) = 125 (short: SL 125,
TP 75). Bar 1 (100, 110, 90, 100) touches neither level. Bars are (open, high, low, close).
"""

import pytest

from tests.golden_v2 import (
    CASH,
    ENGINES,
    backtest,
    check_counts,
    check_series,
    check_trade,
    ohlc,
)

SIGNAL_BAR = (100, 100, 100, 100)
QUIET_BAR = (100, 110, 90, 100)
LAST_BAR = (100, 100, 100, 100)
PRIORITIES = ("open_first", "sl_first")

# Bar 2 of each case and the exit price under (open_first, sl_first).
LONG_CASES = {
    # L 70 <= SL 75, O 100 above it: the stop-loss fills at its level.
    "sl_touched": ((100, 105, 70, 80), ("sl", 75), ("sl", 75)),
    # O 70 <= SL 75: gap through the stop, it fills at the open.
    "sl_gap": ((70, 80, 60, 78), ("sl", 70), ("sl", 70)),
    # H 130 >= TP 125: the take-profit fills at its level.
    "tp_touched": ((100, 130, 95, 120), ("tp", 125), ("tp", 125)),
    # O 130 >= TP 125: the take-profit fills at the open.
    "tp_gap": ((130, 140, 110, 135), ("tp", 130), ("tp", 130)),
    # Opens between the levels and touches both: L <= SL comes before H >= TP in both orders.
    "both_touched": ((100, 130, 70, 100), ("sl", 75), ("sl", 75)),
    # Opens beyond TP and trades through SL: open_first takes TP at O = 130; sl_first
    # tries L 70 <= SL 75 first and fills the stop-loss at 75.
    "tp_gap_then_sl": ((130, 135, 70, 80), ("tp", 130), ("sl", 75)),
    # Gaps through SL and later touches TP: the open decides, SL at 70.
    "sl_gap_then_tp": ((70, 130, 60, 100), ("sl", 70), ("sl", 70)),
}

# The mirror image for a short: SL = 100*(1 + 0.25) = 125, TP = 100*(1 - 0.25) = 75.
SHORT_CASES = {
    "sl_touched": ((100, 130, 95, 120), ("sl", 125), ("sl", 125)),
    "sl_gap": ((130, 140, 120, 135), ("sl", 130), ("sl", 130)),
    "tp_touched": ((100, 105, 70, 80), ("tp", 75), ("tp", 75)),
    "tp_gap": ((70, 80, 60, 78), ("tp", 70), ("tp", 70)),
    "both_touched": ((100, 130, 70, 100), ("sl", 125), ("sl", 125)),
    # Opens below TP 75 and trades up through SL 125: open_first takes TP at O = 70,
    # sl_first fills the stop-loss at 125.
    "tp_gap_then_sl": ((70, 130, 65, 100), ("tp", 70), ("sl", 125)),
    "sl_gap_then_tp": ((130, 135, 70, 100), ("sl", 130), ("sl", 130)),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("priority", PRIORITIES)
@pytest.mark.parametrize("case", sorted(LONG_CASES))
def test_long_stop_levels_and_priority(engine, priority, case):
    # Long 100 units at 100 (cash 0). The stop fills on bar 2 at price p: cash = 100*p,
    # pnl = 100*(p - 100).
    bar, *outcomes = LONG_CASES[case]
    reason, price = outcomes[PRIORITIES.index(priority)]
    bars = ohlc([SIGNAL_BAR, QUIET_BAR, bar, LAST_BAR])
    result = backtest(bars, [0], [], engine, sl=0.25, tp=0.25, stop_priority=priority)
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=1, entry_price=100, qty=100,
        exit_bar=2, exit_price=price, exit_reason=reason,
    )  # fmt: skip
    check_series(
        result,
        equity=[CASH, CASH, 100 * price, 100 * price],
        cash=[CASH, 0, 100 * price, 100 * price],
        position=[0, 100, 0, 0],
    )
    check_counts(result, n_trades=1, n_long=1, n_stop=1)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("priority", PRIORITIES)
@pytest.mark.parametrize("case", sorted(SHORT_CASES))
def test_short_stop_levels_and_priority(engine, priority, case):
    # Short 100 units at 100 (cash 20,000). The cover fills on bar 2 at p:
    # cash = 20,000 - 100*p, pnl = 100*(100 - p).
    bar, *outcomes = SHORT_CASES[case]
    reason, price = outcomes[PRIORITIES.index(priority)]
    bars = ohlc([SIGNAL_BAR, QUIET_BAR, bar, LAST_BAR])
    result = backtest(
        bars, [0], [], engine, direction="short", sl=0.25, tp=0.25, stop_priority=priority
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="short", entry_bar=1, entry_price=100, qty=100,
        exit_bar=2, exit_price=price, exit_reason=reason,
    )  # fmt: skip
    after = 20_000 - 100 * price
    check_series(
        result, equity=[CASH, CASH, after, after], cash=[CASH, 20_000, after, after],
        position=[0, -100, 0, 0],
    )  # fmt: skip
    check_counts(result, n_trades=1, n_short=1, n_stop=1)


S = 0.25
# Bar 2, level price p for a long (SL 75, TP 125) and the exec price under each mode:
# the stop-loss slips to p*(1 - s) under sl_only and both, the take-profit only under both.
LONG_SLIP_CASES = {
    "sl_touched": ((100, 105, 70, 80), "sl", 75, {"sl_only": 56.25, "none": 75, "both": 56.25}),
    "sl_gap": ((70, 80, 60, 78), "sl", 70, {"sl_only": 52.5, "none": 70, "both": 52.5}),
    "tp_touched": ((100, 130, 95, 120), "tp", 125, {"sl_only": 125, "none": 125, "both": 93.75}),
}
# Short (SL 125, TP 75): a cover slips up to p*(1 + s).
SHORT_SLIP_CASES = {
    "sl_touched": (
        (100, 130, 95, 120),
        "sl",
        125,
        {"sl_only": 156.25, "none": 125, "both": 156.25},
    ),
    "sl_gap": ((130, 140, 120, 135), "sl", 130, {"sl_only": 162.5, "none": 130, "both": 162.5}),
    "tp_touched": ((100, 105, 70, 80), "tp", 75, {"sl_only": 75, "none": 75, "both": 93.75}),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mode", ["sl_only", "none", "both"])
@pytest.mark.parametrize("direction", ["long", "short"])
@pytest.mark.parametrize("case", ["sl_touched", "sl_gap", "tp_touched"])
def test_stop_slippage_modes(engine, mode, direction, case):
    # slippage s = 0.25, 64 units, stop_anchor="signal_close" so the levels come from the
    # signal bar's close 100 whatever the entry slippage: long SL 75 / TP 125, short SL 125 /
    # TP 75. Entry exec: long 100*(1 + 0.25) = 125, short 100*(1 - 0.25) = 75.
    # Long: cash 10,000 - 64*125 = 2,000, then + 64*exec. Short: cash 10,000 + 64*75 = 14,800,
    # then - 64*exec. E.g. long sl_touched, sl_only: exec 75*(1 - 0.25) = 56.25.
    cases = LONG_SLIP_CASES if direction == "long" else SHORT_SLIP_CASES
    bar, reason, _level, execs = cases[case]
    exec_price = execs[mode]
    bars = ohlc([SIGNAL_BAR, QUIET_BAR, bar, LAST_BAR])
    result = backtest(
        bars, [0], [], engine, direction=direction, sl=0.25, tp=0.25, slippage=S,
        size=64, size_type="units", stop_anchor="signal_close", stop_slippage=mode,
    )  # fmt: skip
    entry_price = 125 if direction == "long" else 75
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction=direction, entry_bar=1, entry_price=entry_price, qty=64,
        exit_bar=2, exit_price=exec_price, exit_reason=reason,
    )  # fmt: skip
    if direction == "long":
        held, after = 2_000, 2_000 + 64 * exec_price
    else:
        held, after = 14_800, 14_800 - 64 * exec_price
    check_series(result, cash=[CASH, held, after, after])


@pytest.mark.parametrize("engine", ENGINES)
def test_stop_fill_pays_the_fees_of_any_fill(engine):
    # 64 units, F = 1, c = 1/64. Entry at 100: fee 1 + 100*64/64 = 101, cash 10,000 - 6,400
    # - 101 = 3,499. SL 75 hit on bar 2: fee 1 + 75*64/64 = 76, cash 3,499 + 4,800 - 76 = 8,223;
    # pnl 64*(75 - 100) - 177 = -1,777.
    bars = ohlc([SIGNAL_BAR, QUIET_BAR, (100, 105, 70, 80), LAST_BAR])
    result = backtest(
        bars, [0], [], engine, sl=0.25, fixed_fee=1, commission=1 / 64, size=64, size_type="units"
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=1, entry_price=100, qty=64,
        exit_bar=2, exit_price=75, exit_reason="sl", entry_fee=101, exit_fee=76,
    )  # fmt: skip
    check_series(result, cash=[CASH, 3_499, 8_223, 8_223])
    assert result.metrics["total_fees"] == 177


@pytest.mark.parametrize("engine", ENGINES)
def test_fill_anchor_includes_the_entry_slippage(engine):
    # s = 0.25, 64 units, stop_anchor="fill": entry exec 100*1.25 = 125 is the anchor, so
    # SL = 125*(1 - 0.25) = 93.75 (with signal_close it would be 75). Bar 1 low 96 > 93.75;
    # bar 2 low 92 <= 93.75 -> stop at 93.75, exec 93.75*(1 - 0.25) = 70.3125 (sl_only).
    bars = ohlc([SIGNAL_BAR, (100, 104, 96, 100), (100, 100, 92, 95), LAST_BAR])
    result = backtest(bars, [0], [], engine, sl=0.25, slippage=S, size=64, size_type="units")
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=1, entry_price=125, qty=64,
        exit_bar=2, exit_price=70.3125, exit_reason="sl",
    )  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("anchor", ["fill", "signal_close"])
def test_stop_anchor_fill_or_signal_close(engine, anchor):
    # Signal bar closes at 100, the entry fills at open[1] = 80: qty 10,000/80 = 125.
    # fill anchor 80: SL = 80*0.75 = 60, TP = 80*1.25 = 100.
    # signal_close anchor 100: SL 75, TP 125.
    # Bar 1 (80, 90, 78, 85) touches neither set. Bar 2 (90, 104, 74, 90):
    #   fill: O, L inside, H 104 >= TP 100 -> take-profit at 100, pnl 125*20 = 2,500;
    #   signal_close: L 74 <= SL 75 -> stop-loss at 75, pnl 125*(-5) = -625.
    bars = ohlc([SIGNAL_BAR, (80, 90, 78, 85), (90, 104, 74, 90), LAST_BAR])
    result = backtest(bars, [0], [], engine, sl=0.25, tp=0.25, stop_anchor=anchor)
    reason, price = ("tp", 100) if anchor == "fill" else ("sl", 75)
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=1, entry_price=80, qty=125,
        exit_bar=2, exit_price=price, exit_reason=reason,
    )  # fmt: skip


TRAIL_BARS = [
    SIGNAL_BAR,
    (100, 120, 90, 110),
    (110, 112, 96, 100),
    (100, 104, 88, 95),
    (90, 92, 80, 85),
    (85, 85, 85, 85),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("trail_on", ["high", "close"])
def test_trailing_stop_long_on_high_or_close(engine, trail_on):
    # sl = 0.25, trail. The extreme starts at the anchor 100 and moves after each live bar's
    # check, so the level in force on a bar depends only on earlier bars.
    # Bar 1 (fill bar, live): SL 100*0.75 = 75, L 90 no hit (had bar 1's own high 120 been
    #   used, SL would be 90 and L 90 would hit). Extreme: high 120 / close 110.
    # high:  bar 2 SL 120*0.75 = 90, L 96 no; extreme max(120, 112) = 120.
    #        bar 3 SL 90, O 100 > 90, L 88 <= 90 -> stop at 90, pnl 100*(90 - 100) = -1,000.
    # close: bar 2 SL 110*0.75 = 82.5, L 96 no; extreme max(110, 100) = 110.
    #        bar 3 SL 82.5, L 88 no; extreme 110. Bar 4 SL 82.5, O 90, L 80 -> stop at 82.5,
    #        pnl 100*(82.5 - 100) = -1,750.
    bars = ohlc(TRAIL_BARS)
    result = backtest(bars, [0], [], engine, sl=0.25, trail=True, trail_on=trail_on)
    exit_bar, price = (3, 90) if trail_on == "high" else (4, 82.5)
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=1, entry_price=100, qty=100,
        exit_bar=exit_bar, exit_price=price, exit_reason="sl",
    )  # fmt: skip
    check_counts(result, n_trades=1, n_long=1, n_stop=1)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("trail_on", ["high", "close"])
def test_trailing_stop_short_on_low_or_close(engine, trail_on):
    # Short 100 at 100, sl = 0.25, trail. Bar 1 (fill bar): SL 125, H 104 no hit.
    # Extreme: "high" means the favourable extreme, the low: min(100, 76) = 76; close: 90.
    # high:  bar 2 SL 76*1.25 = 95, O 90 < 95, H 96 >= 95 -> cover at 95, pnl 100*5 = 500.
    # close: bar 2 SL 90*1.25 = 112.5, H 96 no; extreme min(90, 92) = 90.
    #        bar 3 SL 112.5, O 92, H 114 -> cover at 112.5, pnl 100*(-12.5) = -1,250.
    bars = ohlc([SIGNAL_BAR, (100, 104, 76, 90), (90, 96, 88, 92), (92, 114, 90, 110),
                 (110, 110, 110, 110)])  # fmt: skip
    result = backtest(
        bars, [0], [], engine, direction="short", sl=0.25, trail=True, trail_on=trail_on
    )
    exit_bar, price = (2, 95) if trail_on == "high" else (3, 112.5)
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="short", entry_bar=1, entry_price=100, qty=100,
        exit_bar=exit_bar, exit_price=price, exit_reason="sl",
    )  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("on_fill_bar", [True, False])
def test_stops_live_on_the_open_fill_bar_or_from_the_next(engine, on_fill_bar):
    # Fill at open[1] = 100, SL 75. Bar 1 (100, 104, 72, 96) trades through 75.
    # stop_on_fill_bar=True: the stop fills on bar 1 at 75 (a round trip inside one bar).
    # False: bar 1 is not checked; bar 2 (96, 100, 80, 90) L 80 > 75; bar 3 (90, 92, 70, 80)
    # O 90 > 75, L 70 <= 75 -> stop at 75 on bar 3.
    bars = ohlc([SIGNAL_BAR, (100, 104, 72, 96), (96, 100, 80, 90), (90, 92, 70, 80), LAST_BAR])
    result = backtest(bars, [0], [], engine, sl=0.25, stop_on_fill_bar=on_fill_bar)
    exit_bar = 1 if on_fill_bar else 3
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=1, entry_price=100, qty=100,
        exit_bar=exit_bar, exit_price=75, exit_reason="sl",
    )  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("on_fill_bar", [True, False])
def test_stops_of_a_close_fill_are_live_from_the_next_bar(engine, on_fill_bar):
    # fill="close": bought at close[0] = 100 (SL 75). Bar 0's low 70 came before the fill and
    # is never checked; bar 1 (100, 104, 72, 96) hits 75. stop_on_fill_bar changes nothing.
    bars = ohlc([(110, 110, 70, 100), (100, 104, 72, 96), LAST_BAR])
    result = backtest(bars, [0], [], engine, fill="close", sl=0.25, stop_on_fill_bar=on_fill_bar)
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=0, entry_price=100, qty=100,
        exit_bar=1, exit_price=75, exit_reason="sl",
    )  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_exit_at_the_open_comes_before_the_stop(engine):
    # Exit decided on bar 1 fills at open[2] = 96 (step 1) although bar 2 trades through SL 75.
    bars = ohlc([SIGNAL_BAR, (100, 104, 96, 100), (96, 96, 60, 70), LAST_BAR])
    result = backtest(bars, [0], [1], engine, sl=0.25)
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=1, entry_price=100, qty=100,
        exit_bar=2, exit_price=96, exit_reason="signal",
    )  # fmt: skip
    check_counts(result, n_trades=1, n_long=1, n_stop=0)


STOP_BAR_SIGNAL_BARS = [SIGNAL_BAR, (100, 104, 96, 100), (96, 96, 72, 80), (80, 88, 78, 84)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fill", ["next_open", "close"])
@pytest.mark.parametrize("policy", ["honor", "drop"])
def test_signals_on_a_stop_bar_honored_or_dropped(engine, fill, policy):
    # Long 100 at 100 (bar 1's open, or bar 0's close with fill="close"), SL 75.
    # Bar 2 (96, 96, 72, 80): L 72 <= 75 -> stop at 75, cash 7,500. Bar 2 also has an entry.
    # honor: decided against the now-flat position: buy 7,500/80 = 93.75 units at close[2] = 80
    #   (fill="close") or open[3] = 80 (next_open); bar 3 equity 93.75*84 = 7,875.
    # drop: the entry is ignored; cash stays 7,500.
    bars = ohlc(STOP_BAR_SIGNAL_BARS)
    result = backtest(bars, [0, 2], [], engine, fill=fill, sl=0.25, stop_bar_signals=policy)
    first_entry = 0 if fill == "close" else 1
    trades = result.trades.to_dict("records")
    check_trade(
        trades[0], direction="long", entry_bar=first_entry, entry_price=100, qty=100,
        exit_bar=2, exit_price=75, exit_reason="sl",
    )  # fmt: skip
    held = 100 if fill == "close" else 0
    if policy == "honor":
        second_entry = 2 if fill == "close" else 3
        assert len(trades) == 2
        check_trade(trades[1], direction="long", entry_bar=second_entry, entry_price=80, qty=93.75)
        position = [held, 100, 93.75 if fill == "close" else 0, 93.75]
        check_series(result, position=position, equity=[CASH, CASH, 7_500, 7_875])
    else:
        assert len(trades) == 1
        check_series(result, position=[held, 100, 0, 0], equity=[CASH, CASH, 7_500, 7_500])
    check_counts(result, n_trades=1, n_long=1, n_stop=1)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("policy", ["honor", "drop"])
def test_exit_signal_on_a_stop_bar_sells_short_when_honored(engine, policy):
    # direction="both", fill="close": long 100 at close[0] = 100, SL 75. Bar 2 stops out at 75
    # (cash 7,500) and has an exit signal. honor: flat + exit -> short 7,500/80 = 93.75 at 80,
    # cash 15,000; bar 3 equity 15,000 - 93.75*84 = 7,125. drop: stays flat at 7,500.
    bars = ohlc(STOP_BAR_SIGNAL_BARS)
    result = backtest(
        bars, [0], [2], engine, fill="close", direction="both", sl=0.25, stop_bar_signals=policy
    )
    if policy == "honor":
        check_series(result, position=[100, 100, -93.75, -93.75], equity=[CASH, CASH, 7_500, 7_125])
        check_trade(
            result.trades.iloc[1], direction="short", entry_bar=2, entry_price=80, qty=93.75
        )
    else:
        check_series(result, position=[100, 100, 0, 0], equity=[CASH, CASH, 7_500, 7_500])
        assert len(result.trades) == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_reversal_gives_the_new_position_fresh_levels(engine):
    # direction="both", fill="close", sl = 0.25.
    # Bar 0: long 100 at 100, SL 75 (live from bar 1). Bar 1 (100, 120, 96, 120): no hit; exit
    #   -> reverse at 120: sell 100 -> cash 12,000 (pnl 2,000); short 12,000/120 = 100 -> cash
    #   24,000. The short's SL = 120*(1 + 0.25) = 150, live from bar 2.
    # Bar 2 (120, 148, 70, 140): the long's old SL 75 is gone; H 148 < 150: no hit.
    #   Equity 24,000 - 14,000 = 10,000.
    # Bar 3 (140, 160, 140, 150): O 140 < 150, H 160 >= 150 -> cover at 150: cash 9,000,
    #   pnl 100*(120 - 150) = -3,000.
    bars = ohlc([SIGNAL_BAR, (100, 120, 96, 120), (120, 148, 70, 140), (140, 160, 140, 150)])
    result = backtest(bars, [0], [1], engine, fill="close", direction="both", sl=0.25)
    first, second = result.trades.to_dict("records")
    check_trade(
        first, direction="long", entry_bar=0, entry_price=100, qty=100,
        exit_bar=1, exit_price=120, exit_reason="reverse",
    )  # fmt: skip
    check_trade(
        second, direction="short", entry_bar=1, entry_price=120, qty=100,
        exit_bar=3, exit_price=150, exit_reason="sl",
    )  # fmt: skip
    check_series(
        result,
        equity=[CASH, 12_000, 10_000, 9_000],
        cash=[0, 24_000, 24_000, 9_000],
        position=[100, -100, -100, 0],
    )
    check_counts(result, n_trades=2, n_long=1, n_short=1, n_stop=1)


@pytest.mark.parametrize("engine", ENGINES)
def test_reversal_at_the_open_arms_the_new_stops_on_that_bar(engine):
    # direction="both", next_open, sl = 0.25. Long 100 at open[1] = 100. The exit on bar 1
    # reverses at open[2] = 120: sell -> cash 12,000; short 12,000/120 = 100 -> cash 24,000,
    # SL = 120*1.25 = 150, live on bar 2 itself (filled at its open).
    # Bar 2 (120, 155, 110, 140): H 155 >= 150 -> cover at 150 on bar 2: cash 24,000 - 15,000.
    bars = ohlc([SIGNAL_BAR, (100, 120, 96, 118), (120, 155, 110, 140), (140, 140, 140, 140)])
    result = backtest(bars, [0], [1], engine, direction="both", sl=0.25)
    first, second = result.trades.to_dict("records")
    check_trade(
        first, direction="long", entry_bar=1, entry_price=100, qty=100,
        exit_bar=2, exit_price=120, exit_reason="reverse",
    )  # fmt: skip
    check_trade(
        second, direction="short", entry_bar=2, entry_price=120, qty=100,
        exit_bar=2, exit_price=150, exit_reason="sl",
    )  # fmt: skip
    check_series(result, cash=[CASH, 0, 9_000, 9_000], position=[0, 100, 0, 0])
