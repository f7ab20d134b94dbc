"""Hand-computed cases of the execution rules (docs/execution.md), on both engines.

Every expected number is worked out here from the written rules, step by step,
never taken from an engine's output.
"""

import math

import numpy as np
import pandas as pd
import pytest

import fastbt
from tests.helpers import make_bars, scripted

# Runs where every buy is skipped warn (tests/test_skipped_buys.py); here they are just cases.
pytestmark = pytest.mark.filterwarnings("ignore::fastbt.RunWarning")

OPEN = [10.0, 11.0, 12.0, 13.0, 14.0]
CLOSE = [10.5, 11.5, 12.5, 13.5, 14.5]
CASH = 10_000.0
ENGINES = ("fast", "reference")


def backtest(entries, exits, engine, **options):
    bars = make_bars(OPEN, CLOSE)
    return fastbt.run(bars, scripted(entries, exits, n=len(CLOSE)), engine=engine, **options)


def only_trade(result):
    assert len(result.trades) == 1
    return result.trades.iloc[0]


@pytest.mark.parametrize("engine", ENGINES)
def test_next_open_buy_and_sell(engine):
    # Entry decided at bar 0 fills at open[1] = 11; exit decided at bar 2 fills at open[3] = 13.
    result = backtest([0], [2], engine)
    qty = CASH / 11.0
    trade = only_trade(result)
    assert (trade.entry_bar, trade.exit_bar) == (1, 3)
    assert trade.entry_price == 11.0 and trade.exit_price == 13.0
    assert trade.qty == pytest.approx(qty, rel=1e-12)
    assert trade.pnl == pytest.approx(qty * 2.0, rel=1e-12)
    assert trade["return"] == pytest.approx(2.0 / 11.0, rel=1e-12)
    assert trade.bars_held == 2 and trade.status == "closed"
    expected_equity = [CASH, qty * 11.5, qty * 12.5, qty * 13.0, qty * 13.0]
    np.testing.assert_allclose(result.equity.to_numpy(), expected_equity, rtol=1e-12)
    np.testing.assert_allclose(result.position.to_numpy(), [0, qty, qty, 0, 0], rtol=1e-12)
    assert result.metrics["total_return"] == pytest.approx(qty * 13.0 / CASH - 1, rel=1e-12)
    assert result.metrics["exposure"] == pytest.approx(2 / 5)
    assert result.metrics["n_trades"] == 1 and result.metrics["win_rate"] == 1.0
    assert math.isinf(result.metrics["profit_factor"])


@pytest.mark.parametrize("engine", ENGINES)
def test_close_fill_buys_and_sells_at_the_signal_bar_close(engine):
    result = backtest([0], [2], engine, fill="close")
    qty = CASH / 10.5
    trade = only_trade(result)
    assert (trade.entry_bar, trade.exit_bar) == (0, 2)
    assert (trade.entry_price, trade.exit_price) == (10.5, 12.5)
    assert result.equity.iloc[-1] == pytest.approx(qty * 12.5, rel=1e-12)
    assert result.metrics["exposure"] == pytest.approx(2 / 5)


@pytest.mark.parametrize("engine", ENGINES)
def test_commission_is_paid_on_both_legs_and_included_in_sizing(engine):
    c = 0.01
    result = backtest([0], [2], engine, commission=c)
    qty = CASH / (11.0 * (1 + c))
    entry_fee = c * 11.0 * qty
    exit_fee = c * 13.0 * qty
    trade = only_trade(result)
    assert trade.qty == pytest.approx(qty, rel=1e-12)
    assert trade.entry_fee == pytest.approx(entry_fee, rel=1e-12)
    assert trade.exit_fee == pytest.approx(exit_fee, rel=1e-12)
    assert trade.pnl == pytest.approx(qty * 2.0 - entry_fee - exit_fee, rel=1e-12)
    assert trade["return"] == pytest.approx(trade.pnl / (qty * 11.0 + entry_fee), rel=1e-12)
    assert result.cash.iloc[1] == 0.0  # all cash spent, fees included
    assert result.equity.iloc[-1] == pytest.approx(qty * 13.0 - exit_fee, rel=1e-12)
    assert result.metrics["total_fees"] == pytest.approx(entry_fee + exit_fee, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_fixed_fee_per_fill(engine):
    fee = 5.0
    result = backtest([0], [2], engine, fixed_fee=fee)
    qty = (CASH - fee) / 11.0
    trade = only_trade(result)
    assert trade.qty == pytest.approx(qty, rel=1e-12)
    assert (trade.entry_fee, trade.exit_fee) == (fee, fee)
    assert result.equity.iloc[-1] == pytest.approx(qty * 13.0 - fee, rel=1e-12)
    assert result.metrics["total_fees"] == 10.0


@pytest.mark.parametrize("engine", ENGINES)
def test_slippage_moves_both_fills_against_the_trader(engine):
    s = 0.01
    result = backtest([0], [2], engine, slippage=s)
    buy, sell = 11.0 * (1 + s), 13.0 * (1 - s)
    qty = CASH / buy
    trade = only_trade(result)
    assert trade.entry_price == pytest.approx(buy, rel=1e-15)
    assert trade.exit_price == pytest.approx(sell, rel=1e-15)
    assert trade.pnl == pytest.approx(qty * (sell - buy), rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_units_order_larger_than_cash_is_skipped(engine):
    result = backtest([0, 3], [2], engine, size=1000, size_type="units")
    # 1000 units at open[1] = 11 cost 11,000 > 10,000: skipped; at open[4] = 14: skipped too.
    assert len(result.trades) == 0
    assert result.metrics["n_skipped"] == 2
    assert (result.equity == CASH).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_units_order_that_fits_buys_exactly_that_many(engine):
    result = backtest([0], [2], engine, size=100, size_type="units")
    trade = only_trade(result)
    assert trade.qty == 100
    assert result.cash.iloc[1] == CASH - 1100.0
    assert result.equity.iloc[-1] == CASH + 200.0


@pytest.mark.parametrize("engine", ENGINES)
def test_whole_units_floor_the_quantity(engine):
    result = backtest([0], [2], engine, fractional=False)
    trade = only_trade(result)
    assert trade.qty == 909  # floor(10,000 / 11)
    assert result.cash.iloc[1] == CASH - 909 * 11.0
    assert result.equity.iloc[-1] == CASH - 909 * 11.0 + 909 * 13.0


@pytest.mark.parametrize("engine", ENGINES)
def test_percent_size_spends_that_share_of_cash(engine):
    result = backtest([0], [2], engine, size=0.5)
    trade = only_trade(result)
    assert trade.qty == pytest.approx(5000.0 / 11.0, rel=1e-12)
    assert result.cash.iloc[1] == pytest.approx(5000.0, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_order_decided_on_the_last_bar_never_fills(engine):
    result = backtest([4], [], engine)
    assert len(result.trades) == 0
    assert result.metrics["n_skipped"] == 0
    assert (result.equity == CASH).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_open_position_at_the_end_stays_open(engine):
    result = backtest([0], [], engine)
    qty = CASH / 11.0
    trade = only_trade(result)
    assert trade.status == "open" and trade.entry_bar == 1
    assert pd.isna(trade.exit_bar) and pd.isna(trade.exit_time)
    assert math.isnan(trade.exit_price) and math.isnan(trade.pnl)
    assert result.equity.iloc[-1] == pytest.approx(qty * 14.5, rel=1e-12)
    assert result.metrics["n_trades"] == 0
    assert math.isnan(result.metrics["win_rate"])
    assert math.isnan(result.metrics["profit_factor"])
    assert math.isnan(result.metrics["expectancy"])


@pytest.mark.parametrize("engine", ENGINES)
def test_close_at_end_sells_at_the_last_close_with_costs(engine):
    s, c = 0.001, 0.002
    result = backtest([0], [], engine, close_at_end=True, slippage=s, commission=c)
    buy = 11.0 * (1 + s)
    qty = CASH / (buy * (1 + c))
    sell = 14.5 * (1 - s)
    exit_fee = c * sell * qty
    trade = only_trade(result)
    assert trade.status == "closed" and trade.exit_bar == 4
    assert trade.exit_price == pytest.approx(sell, rel=1e-15)
    assert trade.exit_fee == pytest.approx(exit_fee, rel=1e-12)
    assert result.position.iloc[-1] == 0
    assert result.equity.iloc[-1] == pytest.approx(qty * sell - exit_fee, rel=1e-12)
    assert result.metrics["n_trades"] == 1


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_entry_and_exit_on_the_same_bar(engine, fill):
    # next_open: decided at bar 3, filled at open[4]; close: filled at close[4].
    # Either way close_at_end sells at close[4]: a round trip inside one bar.
    entry_bar = 3 if fill == "next_open" else 4
    result = backtest([entry_bar], [], engine, fill=fill, close_at_end=True)
    trade = only_trade(result)
    assert trade.entry_bar == trade.exit_bar == 4
    assert trade.bars_held == 0
    price = 14.0 if fill == "next_open" else 14.5
    assert trade.pnl == pytest.approx((CASH / price) * (14.5 - price), rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_entry_and_exit_signals_together_place_no_order(engine):
    result = backtest([0, 1], [1, 3], engine, fill="close")
    # Bar 0 buys at close; bar 1 has both signals: nothing; bar 3 exits at close.
    trade = only_trade(result)
    assert (trade.entry_bar, trade.exit_bar) == (0, 3)


@pytest.mark.parametrize("engine", ENGINES)
def test_sell_executes_even_when_the_fixed_fee_exceeds_the_proceeds(engine):
    result = backtest([0], [2], engine, size=1, size_type="units", fixed_fee=20.0)
    trade = only_trade(result)
    assert trade.exit_bar == 3
    assert result.cash.iloc[-1] == CASH - (11.0 + 20.0) + (13.0 - 20.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_drawdown_metrics_on_a_falling_position(engine):
    bars = make_bars([10, 10, 8, 6, 9, 10], [10, 10, 8, 6, 9, 12])
    result = fastbt.run(bars, scripted([0], [], n=6), engine=engine, fill="close")
    equity = CASH / 10 * np.array([10, 10, 8, 6, 9, 12])
    np.testing.assert_allclose(result.equity.to_numpy(), equity, rtol=1e-12)
    assert result.metrics["max_drawdown"] == pytest.approx(0.4, rel=1e-12)
    assert result.metrics["max_drawdown_bars"] == 3  # bars 2, 3, 4 below the peak of 10,000
    returns = np.diff(np.concatenate(([CASH], equity))) / np.concatenate(([CASH], equity[:-1]))
    p = result.metrics["periods_per_year"]
    assert p == 365.0  # daily bars every calendar day: weekends are 2/7 of the bars
    sharpe = returns.mean() / returns.std(ddof=1) * math.sqrt(p)
    downside = math.sqrt(np.mean(np.minimum(returns, 0) ** 2))
    assert result.metrics["sharpe"] == pytest.approx(sharpe, rel=1e-9)
    assert result.metrics["sortino"] == pytest.approx(
        returns.mean() / downside * math.sqrt(p), rel=1e-9
    )
    assert result.metrics["volatility"] == pytest.approx(
        returns.std(ddof=1) * math.sqrt(p), rel=1e-9
    )
    cagr = (equity[-1] / CASH) ** (p / 6) - 1
    assert result.metrics["cagr"] == pytest.approx(cagr, rel=1e-9)
    assert result.metrics["calmar"] == pytest.approx(cagr / 0.4, rel=1e-9)
    assert result.metrics["buy_and_hold_return"] == pytest.approx(0.2, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_trade_statistics_over_several_round_trips(engine):
    # fill=close: trades 0->1 (10->12, +), 2->3 (12->9, -), 4->5 (9->9, flat pnl 0).
    closes = [10, 12, 12, 9, 9, 9, 9]
    bars = make_bars(closes, closes)
    result = fastbt.run(bars, scripted([0, 2, 4], [1, 3, 5], n=7), engine=engine, fill="close")
    q1 = CASH / 10
    pnl1 = q1 * 2
    q2 = (CASH + pnl1) / 12
    pnl2 = q2 * -3
    pnls = np.array([pnl1, pnl2, 0.0])
    rets = np.array([0.2, -0.25, 0.0])
    m = result.metrics
    assert m["n_trades"] == 3
    assert m["win_rate"] == pytest.approx(1 / 3)
    assert m["profit_factor"] == pytest.approx(pnl1 / abs(pnl2), rel=1e-12)
    assert m["avg_trade_return"] == pytest.approx(rets.mean(), rel=1e-12)
    assert m["best_trade_return"] == pytest.approx(0.2, rel=1e-12)
    assert m["worst_trade_return"] == pytest.approx(-0.25, rel=1e-12)
    assert m["expectancy"] == pytest.approx(pnls.mean(), rel=1e-12)
    assert m["sqn"] == pytest.approx(math.sqrt(3) * pnls.mean() / pnls.std(ddof=1), rel=1e-9)


@pytest.mark.parametrize("entries", [[], [0]])
def test_trade_times_keep_the_timezone_with_no_or_only_open_trades(entries):
    bars = make_bars(OPEN, CLOSE).tz_localize("UTC")
    result = fastbt.run(bars, scripted(entries, [], n=5))
    assert str(result.trades["entry_time"].dt.tz) == "UTC"
    assert str(result.trades["exit_time"].dt.tz) == "UTC"


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fill", ["next_open", "close"])
@pytest.mark.parametrize("size_type", ["percent", "units"])
def test_conflicting_signals_while_flat_place_no_order(engine, fill, size_type):
    # Bar 0: entry and exit together while flat: no order (not a skipped one either).
    # Bar 1: exit while flat: nothing. Bar 2: entry alone: buy, at open[3] = 13
    # (next_open) or close[2] = 12.5 (close). Bar 3: both signals while long: no sell.
    size = 1.0 if size_type == "percent" else 100.0
    result = backtest([0, 2, 3], [0, 1, 3], engine, fill=fill, size=size, size_type=size_type)
    price, bar = (13.0, 3) if fill == "next_open" else (12.5, 2)
    qty = CASH / price if size_type == "percent" else 100.0
    trade = only_trade(result)
    assert trade.status == "open" and trade.entry_bar == bar and trade.entry_price == price
    assert trade.qty == pytest.approx(qty, rel=1e-12)
    assert result.metrics["n_skipped"] == 0
    assert (result.position.iloc[:bar] == 0).all()
    assert result.equity.iloc[-1] == pytest.approx(CASH - qty * price + qty * 14.5, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_profit_factor_of_only_zero_pnl_trades_is_nan(engine):
    # Flat prices, no costs, fill at the close: trades 0->1 and 2->3 each make exactly 0.
    # No gross profit and no gross loss: the ratio is undefined, not infinite.
    flat = [10.0] * 5
    result = fastbt.run(
        make_bars(flat, flat), scripted([0, 2], [1, 3], n=5), engine=engine, fill="close"
    )
    assert result.trades["pnl"].tolist() == [0.0, 0.0]
    m = result.metrics
    assert m["n_trades"] == 2 and m["win_rate"] == 0.0 and m["expectancy"] == 0.0
    assert math.isnan(m["profit_factor"])


@pytest.mark.parametrize("engine", ENGINES)
def test_drawdown_counts_from_the_starting_cash_when_bar_0_buys_at_the_close(engine):
    # Entry on bar 0 at close[0] = 10 with a fixed fee of 10: qty = (10,000 - 10) / 10
    # = 999, cash left 0, so equity[0] = 9,990 is already below the starting 10,000.
    # Equity 999 x close = 9990, 9990, 8991, 10989, 11988. Peak: 10,000 for bars
    # 0-2, then 10989 and 11988. Deepest: 1 - 8991/10000 on bar 2; bars 0-2 below peak.
    closes = [10.0, 10.0, 9.0, 11.0, 12.0]
    result = fastbt.run(
        make_bars(closes, closes),
        scripted([0], [], n=5),
        engine=engine,
        fill="close",
        fixed_fee=10.0,
    )
    np.testing.assert_array_equal(result.equity.to_numpy(), 999.0 * np.array(closes))
    assert result.metrics["max_drawdown"] == pytest.approx(1 - 8991 / 10_000, rel=1e-12)
    assert result.metrics["max_drawdown_bars"] == 3


LIMIT = 1000.0 * (1.0 + 1e-9)  # the most a buy may cost with cash 1000 (docs/execution.md)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("cash", "price", "buys"),
    [
        (1100.0, 11.0, True),  # 100 units at 11: cost 1100 equals the cash exactly
        (1000.0, LIMIT / 100, True),  # cost 100 x price is exactly the tolerance limit
        (1000.0, np.nextafter(LIMIT, np.inf) / 100, False),  # one step above the limit
    ],
    ids=["cost-equals-cash", "cost-at-limit", "cost-above-limit"],
)
def test_a_buy_costing_exactly_what_the_rule_allows_goes_ahead(engine, cash, price, buys):
    cost = 100 * price  # exact in binary floats for these prices
    assert cost in (cash, LIMIT) if buys else cost > LIMIT
    bars = make_bars([price] * 3, [price] * 3)
    result = fastbt.run(
        bars, scripted([0], [], n=3), engine=engine, cash=cash, size=100, size_type="units"
    )
    assert len(result.trades) == int(buys)
    assert result.metrics["n_skipped"] == int(not buys)
    assert result.cash.iloc[-1] == (0.0 if buys else cash)
