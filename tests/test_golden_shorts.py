"""Hand-computed cases of shorts, reversals and ruin (docs/execution.md), on both engines.

Every expected number is worked out in the comments from the written rules, never
taken from an engine's output. Cash starts at 10,000 unless a test says otherwise.
"""

import pytest

from tests.golden_v2 import (
    CASH,
    ENGINES,
    backtest,
    check_counts,
    check_series,
    check_trade,
    flat_bars,
    ohlc,
)


@pytest.mark.parametrize("engine", ENGINES)
def test_long_only_ignores_an_exit_while_flat_and_an_entry_while_long(engine):
    # fill=close. Bar 0: exit while flat -> nothing (no short with direction="long").
    # Bar 1: buy 10,000/100 = 100 at 100. Bar 2: entry while long -> nothing.
    # Bar 3: sell 100 at 125 -> cash 12,500. Bar 4: flat.
    bars = flat_bars([100, 100, 125, 125, 150])
    result = backtest(bars, [1, 2], [0, 3], engine, fill="close", direction="long")
    check_series(
        result,
        equity=[CASH, CASH, 12_500, 12_500, 12_500],
        cash=[CASH, 0, 0, 12_500, 12_500],
        position=[0, 100, 100, 0, 0],
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="long", entry_bar=1, entry_price=100, qty=100,
        exit_bar=3, exit_price=125, exit_reason="signal",
    )  # fmt: skip
    check_counts(result, n_trades=1, n_long=1)


@pytest.mark.parametrize("engine", ENGINES)
def test_short_only_sells_short_on_entry_and_covers_on_exit(engine):
    # fill=close, direction="short".
    # Bar 0: entry -> sell short 10,000/100 = 100 at 100: cash 10,000 + 100*100 = 20,000,
    #        position -100, equity 20,000 - 100*100 = 10,000.
    # Bar 1: entry while short -> nothing; equity 20,000 - 100*80 = 12,000.
    # Bar 2: equity 12,000. Bar 3: exit -> cover 100 at 75: cash 20,000 - 7,500 = 12,500.
    # Bar 4: exit while flat -> nothing (no buy with direction="short").
    # pnl = -1*100*(75 - 100) = 2,500; return = 2,500 / (100*100) = 0.25.
    bars = flat_bars([100, 80, 80, 75, 75])
    result = backtest(bars, [0, 1], [3, 4], engine, fill="close", direction="short")
    check_series(
        result,
        equity=[CASH, 12_000, 12_000, 12_500, 12_500],
        cash=[20_000, 20_000, 20_000, 12_500, 12_500],
        position=[-100, -100, -100, 0, 0],
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="short", entry_bar=0, entry_price=100, qty=100,
        exit_bar=3, exit_price=75, exit_reason="signal",
    )  # fmt: skip
    assert trade["pnl"] == 2_500 and trade["return"] == 0.25
    check_counts(result, n_trades=1, n_short=1)
    assert result.metrics["exposure"] == pytest.approx(3 / 5, rel=1e-12)
    assert result.metrics["total_return"] == pytest.approx(0.25, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_short_at_the_next_open(engine):
    # next_open: the short decided on bar 0 fills at open[1] = 128: qty = 10,000/128 = 78.125,
    # cash 10,000 + 78.125*128 = 20,000. The cover decided on bar 2 fills at open[3] = 64:
    # cash 20,000 - 78.125*64 = 15,000; pnl = 78.125*(128 - 64) = 5,000.
    bars = flat_bars([100, 128, 100, 64, 64])
    result = backtest(bars, [0], [2], engine, direction="short")
    check_series(
        result,
        equity=[CASH, CASH, 20_000 - 7_812.5, 15_000, 15_000],
        cash=[CASH, 20_000, 20_000, 15_000, 15_000],
        position=[0, -78.125, -78.125, 0, 0],
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="short", entry_bar=1, entry_price=128, qty=78.125,
        exit_bar=3, exit_price=64, exit_reason="signal",
    )  # fmt: skip
    assert trade["pnl"] == 5_000


@pytest.mark.parametrize("engine", ENGINES)
def test_both_directions_walk_every_transition(engine):
    # fill=close, direction="both", closes 100, 80, 80, 100, 125, 100.
    # Bar 0 flat + exit: sell short 100 at 100, cash 20,000.
    # Bar 1 short + exit: nothing; equity 20,000 - 8,000 = 12,000.
    # Bar 2 short + entry: reverse to long at 80. Cover 100: cash 20,000 - 8,000 = 12,000;
    #       buy 12,000/80 = 150: cash 0. Short trade pnl 100*(100 - 80) = 2,000, "reverse".
    # Bar 3 long + entry: nothing; equity 150*100 = 15,000.
    # Bar 4 long + exit: reverse to short at 125. Sell 150: cash 18,750 (long pnl 150*45 = 6,750);
    #       short 18,750/125 = 150: cash 37,500; equity 37,500 - 150*125 = 18,750.
    # Bar 5: equity 37,500 - 150*100 = 22,500; the short stays open.
    bars = flat_bars([100, 80, 80, 100, 125, 100])
    result = backtest(bars, [2, 3], [0, 1, 4], engine, fill="close", direction="both")
    check_series(
        result,
        equity=[CASH, 12_000, 12_000, 15_000, 18_750, 22_500],
        cash=[20_000, 20_000, 0, 0, 37_500, 37_500],
        position=[-100, -100, 150, 150, -150, -150],
    )
    first, second, third = result.trades.to_dict("records")
    check_trade(
        first, direction="short", entry_bar=0, entry_price=100, qty=100,
        exit_bar=2, exit_price=80, exit_reason="reverse",
    )  # fmt: skip
    check_trade(
        second, direction="long", entry_bar=2, entry_price=80, qty=150,
        exit_bar=4, exit_price=125, exit_reason="reverse",
    )  # fmt: skip
    check_trade(third, direction="short", entry_bar=4, entry_price=125, qty=150)
    check_counts(result, n_trades=2, n_long=1, n_short=1)
    assert result.metrics["exposure"] == 1.0
    assert list(result.trades.columns[-3:]) == ["direction", "exit_reason", "status"]


@pytest.mark.parametrize("engine", ENGINES)
def test_reversal_at_the_next_open_fills_both_legs_at_that_open(engine):
    # next_open, direction="both". Entry on bar 0 buys 100 at open[1] = 100.
    # Exit on bar 1 reverses at open[2] = 125: sell 100 -> cash 12,500 (pnl 2,500),
    # then short 12,500/125 = 100 -> cash 25,000. Bar 3 closes at 100: equity 25,000 - 10,000.
    bars = ohlc([(100, 100, 100, 100), (100, 100, 100, 100), (125, 125, 125, 125),
                 (120, 120, 100, 100)])  # fmt: skip
    result = backtest(bars, [0], [1], engine, direction="both")
    check_series(
        result,
        equity=[CASH, CASH, 12_500, 15_000],
        cash=[CASH, 0, 25_000, 25_000],
        position=[0, 100, -100, -100],
    )
    first, second = result.trades.to_dict("records")
    check_trade(
        first, direction="long", entry_bar=1, entry_price=100, qty=100,
        exit_bar=2, exit_price=125, exit_reason="reverse",
    )  # fmt: skip
    check_trade(second, direction="short", entry_bar=2, entry_price=125, qty=100)


@pytest.mark.parametrize("engine", ENGINES)
def test_both_signals_on_one_bar_place_no_order_in_any_state(engine):
    # fill=close, direction="both", all prices 100. Bar 0 both signals while flat: nothing.
    # Bar 1 entry: buy 100. Bar 2 both while long: nothing. Bar 3 exit: reverse to short
    # (sell 100 -> cash 10,000; short 100 -> cash 20,000). Bar 4 both while short: nothing.
    bars = flat_bars([100] * 6)
    result = backtest(bars, [0, 1, 2, 4], [0, 2, 3, 4], engine, fill="close", direction="both")
    check_series(
        result,
        equity=[CASH] * 6,
        cash=[CASH, 0, 0, 20_000, 20_000, 20_000],
        position=[0, 100, 100, -100, -100, -100],
    )
    first, second = result.trades.to_dict("records")
    check_trade(
        first, direction="long", entry_bar=1, entry_price=100, qty=100,
        exit_bar=3, exit_price=100, exit_reason="reverse",
    )  # fmt: skip
    check_trade(second, direction="short", entry_bar=3, entry_price=100, qty=100)
    check_counts(result, n_trades=1, n_long=1)


@pytest.mark.parametrize("engine", ENGINES)
def test_close_at_end_covers_a_short_with_reason_end(engine):
    # fill=close, direction="short": short 100 at 100 on bar 0, covered at close[1] = 80 on the
    # last bar: pnl 100*20 = 2,000, exit_reason "end".
    result = backtest(
        flat_bars([100, 80]), [0], [], engine, fill="close", direction="short", close_at_end=True
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="short", entry_bar=0, entry_price=100, qty=100,
        exit_bar=1, exit_price=80, exit_reason="end",
    )  # fmt: skip
    check_series(result, equity=[CASH, 12_000], position=[-100, 0])


F = 10.0
FEE_CASH = 10_010.0  # (10,010 - F)/100 = 100 units exactly on the first fill


def long_to_short(reversal_fee, c):
    """Expected (first trade's exit fee, new qty, new entry fee, cash after) of the reversal
    at 125 of 100 units bought at 100 with all cash (cash 0 before the reversal)."""
    q1, price, cash = (FEE_CASH - F) / (100 * (1 + c)), 125.0, 0.0
    if reversal_fee == "per_leg":
        close_fee = F + c * price * q1
        cash = cash + q1 * price - close_fee
        new_qty = (cash - F) / (price * (1 + c))
        open_fee = F + c * price * new_qty
        return close_fee, new_qty, open_fee, cash + new_qty * price - open_fee
    new_qty = (cash + q1 * price * (1 - c) - F) / (price * (1 + c))
    total = F + c * price * (q1 + new_qty)
    share = q1 / (q1 + new_qty)
    cash = cash + (q1 + new_qty) * price - total
    return total * share, new_qty, total * (1 - share), cash


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("c", [0.0, 1 / 64])
@pytest.mark.parametrize("reversal_fee", ["per_leg", "per_order"])
def test_reversal_fees_long_to_short(engine, reversal_fee, c):
    # fill=close, cash 10,010, F = 10. Bar 0 buys (10,010 - 10)/100 = 100 at 100 (c = 0); cash 0.
    # Bar 1 reverses at 125.
    # per_leg (c = 0): sell 100 -> cash 12,500 - 10 = 12,490; short (12,490 - 10)/125 = 99.84
    #   -> cash 12,490 + 12,480 - 10 = 24,960; equity 24,960 - 99.84*125 = 12,480.
    # per_order (c = 0): S = (0 + 100*125 - 10)/125 = 99.92, one fee of 10 split 100 : 99.92
    #   -> cash 0 + 199.92*125 - 10 = 24,980; equity 24,980 - 99.92*125 = 12,490.
    # With c > 0 the same steps, in the formulas of the rules (see long_to_short).
    bars = flat_bars([100, 125, 125])
    result = backtest(
        bars, [0], [1], engine, fill="close", direction="both", cash=FEE_CASH,
        fixed_fee=F, commission=c, reversal_fee=reversal_fee,
    )  # fmt: skip
    q1 = (FEE_CASH - F) / (100 * (1 + c))
    close_fee, new_qty, open_fee, cash = long_to_short(reversal_fee, c)
    if c == 0:
        expected = {"per_leg": (10, 99.84, 10, 24_960), "per_order": (None, 99.92, None, 24_980)}
        fee, qty, _, total_cash = expected[reversal_fee]
        assert (new_qty, cash) == pytest.approx((qty, total_cash), rel=1e-12)
        if fee is not None:
            assert close_fee == fee
        else:
            assert close_fee == pytest.approx(10 * 100 / 199.92, rel=1e-12)
    first, second = result.trades.to_dict("records")
    check_trade(
        first, direction="long", entry_bar=0, entry_price=100, qty=q1,
        exit_bar=1, exit_price=125, exit_reason="reverse",
        entry_fee=F + c * 100 * q1, exit_fee=close_fee,
    )  # fmt: skip
    check_trade(
        second, direction="short", entry_bar=1, entry_price=125, qty=new_qty, entry_fee=open_fee
    )
    check_series(
        result,
        cash=[0, cash, cash],
        position=[q1, -new_qty, -new_qty],
        equity=[q1 * 100, cash - new_qty * 125, cash - new_qty * 125],
    )
    assert result.metrics["total_fees"] == pytest.approx(
        F + c * 100 * q1 + close_fee + open_fee, rel=1e-12
    )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("reversal_fee", ["per_leg", "per_order"])
def test_reversal_fees_short_to_long(engine, reversal_fee):
    # fill=close, cash 10,010, F = 10, c = 0. Bar 0: short (10,010 - 10)/100 = 100 at 100
    # -> cash 10,010 + 10,000 - 10 = 20,000. Bar 1 reverses to long at 80.
    # per_leg: cover -> cash 20,000 - 8,000 - 10 = 11,990 (short pnl 2,000 - 20 = 1,980);
    #   buy (11,990 - 10)/80 = 149.75 -> cash 0; equity 149.75*80 = 11,980.
    # per_order: S = (20,000 - 10)/(1 + 0)/80 - 100 = 249.875 - 100 = 149.875; one fee of 10
    #   split 100 : 149.875 -> cash 20,000 - 249.875*80 - 10 = 0; equity 149.875*80 = 11,990.
    bars = flat_bars([100, 80, 80])
    result = backtest(
        bars, [1], [0], engine, fill="close", direction="both", cash=FEE_CASH,
        fixed_fee=F, reversal_fee=reversal_fee,
    )  # fmt: skip
    if reversal_fee == "per_leg":
        new_qty, cover_fee, buy_fee, total_fees = 149.75, 10.0, 10.0, 30.0
    else:
        new_qty, total_fees = 149.875, 20.0
        cover_fee, buy_fee = 10 * 100 / 249.875, 10 * 149.875 / 249.875
    first, second = result.trades.to_dict("records")
    check_trade(
        first, direction="short", entry_bar=0, entry_price=100, qty=100,
        exit_bar=1, exit_price=80, exit_reason="reverse", entry_fee=10, exit_fee=cover_fee,
    )  # fmt: skip
    check_trade(
        second, direction="long", entry_bar=1, entry_price=80, qty=new_qty, entry_fee=buy_fee
    )
    check_series(
        result,
        cash=[20_000, 0, 0],
        position=[-100, new_qty, new_qty],
        equity=[20_000 - 10_000, new_qty * 80, new_qty * 80],
    )
    assert result.metrics["total_fees"] == pytest.approx(total_fees, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_reversal_fee_modes_agree_without_a_fixed_fee(engine):
    # With F = 0 both modes size the new leg from the same cash: per_order's
    # (cash + L*exec*(1-c))/(exec*(1+c)) is per_leg's close-then-open. Commission 1/64.
    bars = flat_bars([100, 125, 80, 90])
    runs = [
        backtest(
            bars,
            [0, 2],
            [1],
            engine,
            fill="close",
            direction="both",
            commission=1 / 64,
            reversal_fee=mode,
        )
        for mode in ("per_leg", "per_order")
    ]
    per_leg, per_order = runs
    assert per_order.cash.tolist() == pytest.approx(per_leg.cash.tolist(), rel=1e-12, abs=1e-9)
    assert per_order.position.tolist() == pytest.approx(per_leg.position.tolist(), rel=1e-12)
    assert per_order.trades["qty"].tolist() == pytest.approx(
        per_leg.trades["qty"].tolist(), rel=1e-12
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_short_sizing_uses_the_short_sale_price_with_slippage_and_commission(engine):
    # next_open, direction="short", size 0.75, s = 0.25, c = 0.25.
    # Short at open[1] = 100: exec 100*(1 - 0.25) = 75; qty = 0.75*10,000/(75*1.25) = 80;
    #   fee 0.25*75*80 = 1,500; cash 10,000 + 80*75 - 1,500 = 14,500.
    # Cover at open[3] = 50: exec 50*(1 + 0.25) = 62.5; fee 0.25*62.5*80 = 1,250;
    #   cash 14,500 - 80*62.5 - 1,250 = 8,250.
    # pnl = -80*(62.5 - 75) - 2,750 = -1,750; return = -1,750/(80*75 + 1,500).
    bars = flat_bars([100, 100, 60, 50, 50])
    result = backtest(
        bars, [0], [2], engine, direction="short", size=0.75, slippage=0.25, commission=0.25
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="short", entry_bar=1, entry_price=75, qty=80,
        exit_bar=3, exit_price=62.5, exit_reason="signal", entry_fee=1_500, exit_fee=1_250,
    )  # fmt: skip
    assert trade["pnl"] == pytest.approx(-1_750, rel=1e-12)
    assert trade["return"] == pytest.approx(-1_750 / 7_500, rel=1e-12)
    check_series(
        result,
        cash=[CASH, 14_500, 14_500, 8_250, 8_250],
        equity=[CASH, 14_500 - 8_000, 14_500 - 4_800, 8_250, 8_250],
        position=[0, -80, -80, 0, 0],
    )
    assert result.metrics["total_fees"] == 2_750


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("size", "size_type", "fee", "skipped"),
    [
        (100, "units", 0.0, False),  # 100*100 + 0 = 10,000 <= 10,000: fully collateralised
        (101, "units", 0.0, True),  # 10,100 > 10,000
        (100, "units", 1.0, True),  # 10,000 + 1 > 10,000*(1 + 1e-9): the fee counts
        (1.0, "percent", 20_000.0, True),  # qty = (10,000 - 20,000)/100 < 0
    ],
)
def test_short_must_be_collateralised_or_is_skipped(engine, size, size_type, fee, skipped):
    # fill=close, direction="short": short decided on bar 0 at 100, cover on bar 2 at 100.
    bars = flat_bars([100, 100, 100, 100])
    result = backtest(
        bars, [0], [2], engine, fill="close", direction="short",
        size=size, size_type=size_type, fixed_fee=fee,
    )  # fmt: skip
    if skipped:
        assert len(result.trades) == 0
        check_counts(result, n_trades=0, n_skipped=1)
        check_series(result, equity=[CASH] * 4, cash=[CASH] * 4, position=[0] * 4)
    else:
        check_counts(result, n_trades=1, n_short=1)
        check_series(result, cash=[20_000, 20_000, CASH, CASH], position=[-100, -100, 0, 0])


@pytest.mark.parametrize("engine", ENGINES)
def test_cover_executes_even_when_cash_goes_negative(engine):
    # on_ruin="continue", fill=close, direction="short". Short 100 at 100: cash 20,000.
    # Bar 1: equity 20,000 - 15,000 = 5,000. Bar 2: exit, cover at 250 -> cash 20,000 - 25,000
    # = -5,000 (equity -5,000, kept under "continue"). Bar 3: entry sizes
    # (-5,000)/150 < 0 units -> skipped.
    bars = flat_bars([100, 150, 250, 150])
    result = backtest(
        bars, [0, 3], [2], engine, fill="close", direction="short", on_ruin="continue"
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="short", entry_bar=0, entry_price=100, qty=100,
        exit_bar=2, exit_price=250, exit_reason="signal",
    )  # fmt: skip
    assert trade["pnl"] == -15_000
    check_series(
        result,
        equity=[CASH, 5_000, -5_000, -5_000],
        cash=[20_000, 20_000, -5_000, -5_000],
        position=[-100, -100, 0, 0],
    )
    check_counts(result, n_trades=1, n_short=1, n_skipped=1)


RUIN_BARS = [100, 150, 250, 150, 100]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fee", [0.0, 10.0])
def test_ruin_liquidates_and_closes_the_account(engine, fee):
    # fill=close, direction="short", on_ruin="liquidate" (default), cash 10,000 + F so that
    # qty = (10,000 + F - F)/100 = 100. Short 100 at 100: cash 10,000 + F + 10,000 - F = 20,000.
    # Bar 1: equity 5,000. Bar 2: equity 20,000 - 25,000 = -5,000 <= 0 -> cover at close 250,
    # a normal fill (fee F), exit_reason "ruin", pnl -15,000 - 2F; equity, cash and position
    # read 0 from bar 2 on. Bar 3's exit and bar 4's entry decide nothing: no order, nothing
    # skipped.
    bars = flat_bars(RUIN_BARS)
    result = backtest(
        bars, [0, 4], [3], engine, fill="close", direction="short", cash=CASH + fee, fixed_fee=fee
    )
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="short", entry_bar=0, entry_price=100, qty=100,
        exit_bar=2, exit_price=250, exit_reason="ruin", entry_fee=fee, exit_fee=fee,
    )  # fmt: skip
    assert trade["pnl"] == -15_000 - 2 * fee
    check_series(
        result,
        equity=[CASH, 5_000, 0, 0, 0],
        cash=[20_000, 20_000, 0, 0, 0],
        position=[-100, -100, 0, 0, 0],
    )
    check_counts(result, n_trades=1, n_short=1)
    assert result.metrics["total_return"] == -1.0
    assert result.metrics["max_drawdown"] == 1.0
    assert result.metrics["exposure"] == pytest.approx(2 / 5, rel=1e-12)
    if fee == 0:
        # Bar returns 0, -0.5, -1, then 0 and 0 (0 after 0 counts as 0). Mean -0.3; deviations
        # 0.3, -0.2, -0.7, 0.3, 0.3: m2 = 0.8/5 = 0.16, m3 = -0.27/5 = -0.054,
        # m4 = 0.266/5 = 0.0532. skew = -0.054/0.16**1.5 = -0.84375, kurtosis = 0.0532/0.0256.
        assert result.metrics["skew"] == pytest.approx(-0.84375, rel=1e-9)
        assert result.metrics["kurtosis"] == pytest.approx(2.078125, rel=1e-9)


@pytest.mark.parametrize("engine", ENGINES)
def test_ruin_drops_the_order_pending_for_the_next_open(engine):
    # next_open, direction="short". Short at open[1] = 100 (100 units, cash 20,000).
    # Bar 3 closes at 250: equity -5,000 -> liquidated at close[3] = 250 ("ruin"). The cover
    # decided on bar 3 never fills at open[4], and bar 4's entry is never decided.
    bars = flat_bars([100, 100, 150, 250, 150, 100])
    result = backtest(bars, [0, 4], [3], engine, direction="short")
    (trade,) = result.trades.to_dict("records")
    check_trade(
        trade, direction="short", entry_bar=1, entry_price=100, qty=100,
        exit_bar=3, exit_price=250, exit_reason="ruin",
    )  # fmt: skip
    check_series(
        result,
        equity=[CASH, CASH, 5_000, 0, 0, 0],
        cash=[CASH, 20_000, 20_000, 0, 0, 0],
        position=[0, -100, -100, 0, 0, 0],
    )
    check_counts(result, n_trades=1, n_short=1)


@pytest.mark.parametrize("engine", ENGINES)
def test_on_ruin_continue_keeps_trading_with_negative_equity(engine):
    # Same bars and signals as the liquidation case, on_ruin="continue".
    # Bar 2: equity -5,000 is kept. Bar 3: exit -> cover at 150: cash 20,000 - 15,000 = 5,000
    # (pnl -5,000, "signal"). Bar 4: entry -> short 5,000/100 = 50 at 100: cash 10,000,
    # equity 10,000 - 5,000 = 5,000; the short stays open.
    bars = flat_bars(RUIN_BARS)
    result = backtest(
        bars, [0, 4], [3], engine, fill="close", direction="short", on_ruin="continue"
    )
    first, second = result.trades.to_dict("records")
    check_trade(
        first, direction="short", entry_bar=0, entry_price=100, qty=100,
        exit_bar=3, exit_price=150, exit_reason="signal",
    )  # fmt: skip
    check_trade(second, direction="short", entry_bar=4, entry_price=100, qty=50)
    check_series(
        result,
        equity=[CASH, 5_000, -5_000, 5_000, 5_000],
        cash=[20_000, 20_000, 20_000, 5_000, 10_000],
        position=[-100, -100, -100, 0, -50],
    )
    check_counts(result, n_trades=1, n_short=1)
