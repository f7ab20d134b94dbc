"""Hand-computed cases of limit and stop entry orders (docs/execution.md), on both engines.

Unless a test says otherwise: cash 10,000, 32 units per order (so quantities stay exact),
the entry is decided on bar 0 whose close is 100, and entry_offset o = 0.25 gives the levels
long limit 100*(1 - 0.25) = 75, long stop 100*(1 + 0.25) = 125, short limit 125, short
stop 75. Bars are (open, high, low, close).
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

OFFSET = 0.25
Q = 32
UNITS = {"size": Q, "size_type": "units"}
# Bar 0 would fill every order if it were live; orders are live from the next bar on.
SIGNAL_BAR = (100, 130, 70, 100)
# Between 75 and 125: touches no level.
QUIET_BAR = (100, 120, 80, 110)
LAST_BAR = (100, 100, 100, 100)
DOWN_TOUCH = (90, 95, 70, 80)  # L 70 <= 75, O 90 above: fills at the level 75
DOWN_GAP = (72, 80, 70, 78)  # O 72 <= 75: fills at the open 72
UP_TOUCH = (110, 130, 105, 128)  # H 130 >= 125, O 110 below: fills at the level 125
UP_GAP = (128, 135, 120, 130)  # O 128 >= 125: fills at the open 128

# (direction, entry_order, bar 2) -> (price p before slippage, slippage applies)
FILL_CASES = {
    # Long limit: L <= level, at min(O, level), no slippage.
    ("long", "limit", "touch"): (DOWN_TOUCH, 75, False),
    ("long", "limit", "gap"): (DOWN_GAP, 72, False),
    # Long stop: H >= level, at max(O, level), with slippage p*(1 + s).
    ("long", "stop", "touch"): (UP_TOUCH, 125, True),
    ("long", "stop", "gap"): (UP_GAP, 128, True),
    # Short limit: H >= level, at max(O, level), no slippage.
    ("short", "limit", "touch"): (UP_TOUCH, 125, False),
    ("short", "limit", "gap"): (UP_GAP, 128, False),
    # Short stop: L <= level, at min(O, level), with slippage p*(1 - s).
    ("short", "stop", "touch"): (DOWN_TOUCH, 75, True),
    ("short", "stop", "gap"): (DOWN_GAP, 72, True),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fill", ["next_open", "close"])
@pytest.mark.parametrize("s", [0.0, 0.25])
@pytest.mark.parametrize("case", sorted(FILL_CASES))
def test_entry_order_fill_condition_and_price(engine, fill, s, case):
    # Bar 0 places the order (its own range does not count, under either fill mode); bar 1
    # touches no level; bar 2 fills at p, exec p*(1 + s) for a long stop, p*(1 - s) for a
    # short stop, p for limits. E.g. long stop touch, s = 0.25: 125*1.25 = 156.25; short stop
    # gap: 72*0.75 = 54. Long cash 10,000 - 32*exec; short cash 10,000 + 32*exec.
    direction, order, _ = case
    bar, price, slips = FILL_CASES[case]
    sign = 1 if direction == "long" else -1
    exec_price = price * (1 + sign * s) if slips else price
    bars = ohlc([SIGNAL_BAR, QUIET_BAR, bar, LAST_BAR])
    result = backtest(
        bars, [0], [], engine, fill=fill, direction=direction, slippage=s,
        entry_order=order, entry_offset=OFFSET, **UNITS,
    )  # fmt: skip
    (trade,) = result.trades.to_dict("records")
    check_trade(trade, direction=direction, entry_bar=2, entry_price=exec_price, qty=Q)
    cash = CASH - sign * Q * exec_price
    check_series(
        result,
        cash=[CASH, CASH, cash, cash],
        position=[0, 0, sign * Q, sign * Q],
        equity=[CASH, CASH, cash + sign * Q * bar[3], cash + sign * Q * 100],
    )
    check_counts(result, n_trades=0)


@pytest.mark.parametrize("engine", ENGINES)
def test_limit_entry_is_sized_from_the_cash_at_the_fill(engine):
    # Percent sizing at the fill: long limit at 100*(1 - 0.2) = 80 fills on bar 2 (L 76 <= 80,
    # O 92 above) at 80: qty = 10,000/80 = 125; bar 2 equity 125*90 = 11,250.
    level = 100 * (1 - 0.2)
    bars = ohlc([SIGNAL_BAR, (100, 102, 84, 95), (92, 93, 76, 90), (90, 95, 88, 92)])
    result = backtest(bars, [0], [], engine, entry_order="limit", entry_offset=0.2)
    (trade,) = result.trades.to_dict("records")
    check_trade(trade, direction="long", entry_bar=2, entry_price=level, qty=125)
    check_series(result, equity=[CASH, CASH, 11_250, 11_500], position=[0, 0, 125, 125])


EXPIRY_BARS = [SIGNAL_BAR, QUIET_BAR, (100, 110, 80, 100), DOWN_TOUCH, LAST_BAR]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("expiry", "fills"), [(1, False), (2, False), (3, True), (None, True)])
def test_entry_order_expires_after_entry_expiry_bars(engine, expiry, fills):
    # Long limit at 75 placed on bar 0 is live on bars 1 .. expiry. Bars 1 and 2 stay above 75;
    # bar 3 touches it. expiry 1 or 2: expired unfilled (n_expired 1), bar 3 does nothing.
    # expiry 3 or None: fills on bar 3 at 75, cash 10,000 - 32*75 = 7,600.
    bars = ohlc(EXPIRY_BARS)
    result = backtest(
        bars,
        [0],
        [],
        engine,
        entry_order="limit",
        entry_offset=OFFSET,
        entry_expiry=expiry,
        **UNITS,
    )
    if fills:
        (trade,) = result.trades.to_dict("records")
        check_trade(trade, direction="long", entry_bar=3, entry_price=75, qty=Q)
        check_series(result, cash=[CASH] * 3 + [7_600] * 2)
        check_counts(result, n_trades=0, n_expired=0)
    else:
        assert len(result.trades) == 0
        check_series(result, equity=[CASH] * 5, position=[0] * 5)
        check_counts(result, n_trades=0, n_expired=1)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("entries", "cancelled"), [([0], True), ([0, 1], False)])
def test_exit_signal_cancels_the_pending_entry_order(engine, entries, cancelled):
    # Long limit at 75 placed on bar 0; bar 1 has an exit signal and stays above 75.
    # exit alone: the order is cancelled (not expired), bar 3's touch fills nothing.
    # exit and entry together on bar 1: no decision at all, so the order stays and bar 3
    # fills it at 75.
    bars = ohlc(EXPIRY_BARS)
    result = backtest(bars, entries, [1], engine, entry_order="limit", entry_offset=OFFSET, **UNITS)
    if cancelled:
        assert len(result.trades) == 0
        check_series(result, equity=[CASH] * 5, position=[0] * 5)
    else:
        (trade,) = result.trades.to_dict("records")
        check_trade(trade, direction="long", entry_bar=3, entry_price=75, qty=Q)
    check_counts(result, n_trades=0, n_expired=0)


@pytest.mark.parametrize("engine", ENGINES)
def test_later_entry_signal_replaces_the_pending_order(engine):
    # entry_expiry 2. Bar 0 places a long limit at 75 (live bars 1-2). Bar 1 (100, 104, 80, 96)
    # stays above 75 and has a new entry: the order is replaced by one at 96*(1 - 0.25) = 72,
    # live on bars 2-3. Bar 2 (90, 92, 74, 88): L 74 would fill the old order but not the new.
    # Bar 3 (80, 82, 70, 76): L 70 <= 72 -> fills at min(80, 72) = 72; cash 10,000 - 32*72
    # = 7,696.
    # The replaced order is not counted as expired.
    level = 96 * (1 - OFFSET)
    bars = ohlc([SIGNAL_BAR, (100, 104, 80, 96), (90, 92, 74, 88), (80, 82, 70, 76), LAST_BAR])
    result = backtest(
        bars, [0, 1], [], engine, entry_order="limit", entry_offset=OFFSET, entry_expiry=2, **UNITS
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(trade, direction="long", entry_bar=3, entry_price=level, qty=Q)
    assert level == 72
    check_series(result, cash=[CASH, CASH, CASH, 7_696, 7_696])
    check_counts(result, n_trades=0, n_expired=0)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("direction", ["long", "short"])
def test_stop_entry_takes_its_profit_on_the_fill_bar(engine, direction):
    # sl = tp = 0.25, anchor "fill". Long stop at 125 fills on bar 2 (110, 160, 100, 150) at 125:
    # TP = 125*1.25 = 156.25, SL = 125*0.75 = 93.75. H 160 >= TP and L 100 > SL: the path went
    # through 125 before 156.25 and never reached SL -> exit at max(110, 156.25) on bar 2,
    # pnl 32*31.25 = 1,000.
    # Short stop at 75 fills on bar 2 (90, 92, 50, 60) at 75: TP = 75*0.75 = 56.25,
    # SL = 75*1.25 = 93.75. L 50 <= TP and H 92 < SL -> exit at min(90, 56.25),
    # pnl 32*18.75 = 600.
    if direction == "long":
        bar, entry, tp = (110, 160, 100, 150), 125, 156.25
    else:
        bar, entry, tp = (90, 92, 50, 60), 75, 56.25
    bars = ohlc([SIGNAL_BAR, QUIET_BAR, bar, LAST_BAR])
    result = backtest(
        bars, [0], [], engine, direction=direction, entry_order="stop", entry_offset=OFFSET,
        sl=0.25, tp=0.25, **UNITS,
    )  # fmt: skip
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction=direction, entry_bar=2, entry_price=entry, qty=Q,
        exit_bar=2, exit_price=tp, exit_reason="tp",
    )  # fmt: skip
    n_long, n_short = (1, 0) if direction == "long" else (0, 1)
    check_counts(result, n_trades=1, n_long=n_long, n_short=n_short, n_stop=1)


@pytest.mark.parametrize("engine", ENGINES)
def test_stop_entry_fill_bar_take_profit_at_the_open(engine):
    # o = 0.125: long stop at 100*1.125 = 112.5; stop_anchor "signal_close": TP = 100*1.25 = 125,
    # SL = 75. Bar 2 (130, 135, 120, 132) gaps over the level: fills at max(130, 112.5) = 130;
    # H 135 >= TP and L 120 > SL -> exit on the fill bar at max(O, TP) = max(130, 125) = 130.
    bars = ohlc([SIGNAL_BAR, (100, 110, 80, 105), (130, 135, 120, 132), LAST_BAR])
    result = backtest(
        bars, [0], [], engine, entry_order="stop", entry_offset=0.125, sl=0.25, tp=0.25,
        stop_anchor="signal_close", **UNITS,
    )  # fmt: skip
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=2, entry_price=130, qty=Q,
        exit_bar=2, exit_price=130, exit_reason="tp",
    )  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_stop_entry_keeps_its_take_profit_when_the_fill_bar_reaches_the_stop_loss(engine):
    # Long stop at 125, TP 156.25, SL 93.75. Bar 2 (110, 160, 90, 150): fills at 125, but
    # L 90 <= SL, so the order of the touches is unknown: no exit on the fill bar.
    # Bar 3 (150, 158, 148, 155): stops live, O 150 < TP, H 158 >= TP -> exit at 156.25.
    bars = ohlc([SIGNAL_BAR, QUIET_BAR, (110, 160, 90, 150), (150, 158, 148, 155), LAST_BAR])
    result = backtest(
        bars, [0], [], engine, entry_order="stop", entry_offset=OFFSET, sl=0.25, tp=0.25, **UNITS
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=2, entry_price=125, qty=Q,
        exit_bar=3, exit_price=156.25, exit_reason="tp",
    )  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_limit_entry_stops_start_on_the_next_bar(engine):
    # Long limit at 75 fills on bar 2 (90, 95, 50, 80); SL = 75*0.75 = 56.25 and
    # TP = 75*1.25 = 93.75 are both inside bar 2's range but not live there.
    # Bar 3 (80, 85, 70, 80): no touch. Bar 4 (80, 96, 78, 90): H 96 >= 93.75 -> TP at 93.75.
    bars = ohlc([SIGNAL_BAR, QUIET_BAR, (90, 95, 50, 80), (80, 85, 70, 80), (80, 96, 78, 90)])
    result = backtest(
        bars, [0], [], engine, entry_order="limit", entry_offset=OFFSET, sl=0.25, tp=0.25, **UNITS
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=2, entry_price=75, qty=Q,
        exit_bar=4, exit_price=93.75, exit_reason="tp",
    )  # fmt: skip


@pytest.mark.parametrize("engine", ENGINES)
def test_both_directions_use_entry_orders_from_flat_and_reverse_at_market(engine):
    # direction "both", limit entries, next_open. Bar 0 places a long limit at 75.
    # Bar 1 (90, 92, 72, 88) fills it at min(90, 75) = 75: cash 10,000 - 32*75 = 7,600.
    # Bar 2 exit while long: a market reversal at open[3] = 96 (not a short limit at
    # 96*1.25 = 120, which bar 3 never reaches): sell 32 -> cash 7,600 + 3,072 = 10,672;
    # short 32 -> cash 13,744; bar 3 equity 13,744 - 32*96 = 10,672.
    bars = ohlc([SIGNAL_BAR, (90, 92, 72, 88), (88, 96, 86, 96), (96, 100, 90, 96)])
    result = backtest(
        bars, [0], [2], engine, direction="both", entry_order="limit", entry_offset=OFFSET, **UNITS
    )
    first, second = result.trades.to_dict("records")
    check_trade(
        first, direction="long", entry_bar=1, entry_price=75, qty=Q,
        exit_bar=3, exit_price=96, exit_reason="reverse",
    )  # fmt: skip
    check_trade(second, direction="short", entry_bar=3, entry_price=96, qty=Q)
    check_series(
        result,
        cash=[CASH, 7_600, 7_600, 13_744],
        position=[0, Q, Q, -Q],
        equity=[CASH, 7_600 + 32 * 88, 7_600 + 32 * 96, 10_672],
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_both_directions_place_a_short_entry_order_on_an_exit_while_flat(engine):
    # direction "both", limit entries: flat + exit is a short entry, so it places a short
    # limit at 100*(1 + 0.25) = 125. Bar 1 stays below; bar 2 (110, 130, 105, 128) fills it at
    # 125: cash 10,000 + 32*125 = 14,000.
    bars = ohlc([SIGNAL_BAR, QUIET_BAR, UP_TOUCH, LAST_BAR])
    result = backtest(
        bars, [], [0], engine, direction="both", entry_order="limit", entry_offset=OFFSET, **UNITS
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(trade, direction="short", entry_bar=2, entry_price=125, qty=Q)
    check_series(result, cash=[CASH, CASH, 14_000, 14_000], position=[0, 0, -Q, -Q])
