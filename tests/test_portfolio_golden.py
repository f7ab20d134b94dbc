"""Hand-computed cases for each rule of docs/portfolios.md (SPEC 2e), in both engines.

The main case is the worked example of the docs: four symbols, one rebalancing bar
with a sell, two buys (the larger one cut short by cash) and a NaN target.
"""

import math

import numpy as np
import pandas as pd
import pytest

import fastbt
from tests.helpers import make_bars

# Price jumps of 2x in these tiny hand-made series look like splits to the loader.
pytestmark = pytest.mark.filterwarnings("ignore::fastbt.DataWarning")

ENGINES = ("fast", "reference")
C, F = 0.001, 1.0
CASH0 = 971.668  # leaves cash 300 after the buys of bars 0 and 1


def universe(closes: dict, opens: dict | None = None) -> dict:
    """Symbol -> bars with the given closes (opens default to the closes)."""
    opens = opens or closes
    return {s: make_bars(opens[s], closes[s]) for s in closes}


def example():
    """Bars 0-1 build A (4 @ 45, then 6 @ 48) and C (5 @ 40); bar 2 is the docs' rebalance."""
    data = universe({"A": [45, 48, 50], "B": [20, 20, 20], "C": [40, 40, 40], "D": [10, 10, 10]})
    nan = math.nan
    v1 = (CASH0 - (180 + 1.18) - (200 + 1.2)) + 4 * 48 + 5 * 40
    weights = pd.DataFrame(
        {
            "A": [180 / CASH0, 480 / v1, 0.2],
            "B": [nan, nan, 0.5],
            "C": [200 / CASH0, nan, nan],
            "D": [nan, nan, 0.2],
        },
        index=data["A"].index,
    )
    return data, weights


def run_example(engine, **options):
    data, weights = example()
    return fastbt.run_portfolio(
        data,
        weights=weights,
        cash=CASH0,
        commission=C,
        fixed_fee=F,
        fill="close",
        engine=engine,
        **options,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_worked_example_bar_value_once_sells_first_smallest_buy_first_cut_buy(engine):
    r = run_example(engine)
    # Before bar 2: A 10, C 5, cash 300 (the setup is as the docs say).
    assert r.positions.iloc[1].to_dict() == pytest.approx({"A": 10, "B": 0, "C": 5, "D": 0})
    assert r.cash.iloc[1] == pytest.approx(300.0, rel=1e-12)
    held = r.positions.iloc[2]
    # V = 1000 computed once: A sells 6 (to 4), D buys 20 in full at the value before any fee.
    assert held["A"] == pytest.approx(4.0, rel=1e-12)
    assert held["D"] == pytest.approx(20.0, rel=1e-12)
    # NaN: C keeps its 5 units.
    assert held["C"] == 5.0
    # B, the largest buy, comes last and is cut to all the cash left (397.50).
    assert held["B"] == pytest.approx(((397.5 - 1) / 1.001) / 20, rel=1e-12)
    assert r.cash.iloc[2] == pytest.approx(0.0, abs=1e-9)
    assert r.equity.iloc[2] == pytest.approx(996.1038961038962, rel=1e-12)
    fees = 1.18 + 1.2 + 1.288 + 1.3 + 1.2 + (1 + 0.001 * 20 * held["B"])
    assert r.metrics["total_fees"] == pytest.approx(fees, rel=1e-12)
    assert r.metrics["n_skipped"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_worked_example_trade_row_at_average_cost(engine):
    r = run_example(engine, close_at_end=False)
    closed = r.closed_trades
    assert len(closed) == 1
    row = closed.iloc[0]
    assert row["symbol"] == "A"
    assert row["entry_bar"] == 0 and row["exit_bar"] == 2
    assert row["entry_price"] == pytest.approx(46.8, rel=1e-12)
    assert row["exit_price"] == 50.0
    assert row["qty"] == pytest.approx(6.0, rel=1e-12)
    assert row["entry_fee"] == pytest.approx(1.4808, rel=1e-12)
    assert row["exit_fee"] == pytest.approx(1.3, rel=1e-12)
    assert row["pnl"] == pytest.approx(16.4192, rel=1e-10)
    assert row["return"] == pytest.approx(16.4192 / (6 * 46.8 + 1.4808), rel=1e-10)
    # Still held: A (4 at 46.80 average, fees 0.9872), B, C, D, one open row each.
    still = r.trades[r.trades["status"] == "open"].set_index("symbol")
    assert list(still.index) == ["A", "B", "C", "D"]
    assert still.loc["A", "qty"] == pytest.approx(4.0, rel=1e-12)
    assert still.loc["A", "entry_price"] == pytest.approx(46.8, rel=1e-12)
    assert still.loc["A", "entry_fee"] == pytest.approx(0.9872, rel=1e-12)
    assert still.loc["A", "entry_bar"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_partial_false_skips_the_buy_cash_cannot_pay(engine):
    r = run_example(engine, partial=False)
    assert r.positions.iloc[2]["B"] == 0.0
    assert r.cash.iloc[2] == pytest.approx(397.5, rel=1e-12)
    assert r.metrics["n_skipped"] == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_symbol_order_buys_b_in_full_and_cuts_d(engine):
    r = run_example(engine, order_sequence="symbol")
    held = r.positions.iloc[2]
    assert held["B"] == pytest.approx(25.0, rel=1e-12)
    assert held["D"] == pytest.approx(((97.2 - 1) / 1.001) / 10, rel=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_sells_before_buys_even_when_the_seller_comes_later(engine):
    """X (first symbol) is to be bought with the cash of Y's sale on the same bar."""
    data = universe({"X": [10, 10], "Y": [10, 10]})
    weights = pd.DataFrame({"X": [0.0, 1.0], "Y": [1.0, 0.0]}, index=data["X"].index)
    by_value = fastbt.run_portfolio(data, weights=weights, fill="close", cash=1000, engine=engine)
    assert by_value.positions.iloc[1].tolist() == pytest.approx([100.0, 0.0], rel=1e-12)
    by_symbol = fastbt.run_portfolio(
        data, weights=weights, fill="close", cash=1000, engine=engine, order_sequence="symbol"
    )
    # In symbol order X's buy comes first, with no cash: skipped; then Y is sold.
    assert by_symbol.positions.iloc[1].tolist() == [0.0, 0.0]
    assert by_symbol.metrics["n_skipped"] == 1


@pytest.mark.parametrize("engine", ENGINES)
def test_largest_sell_first_and_a_flat_symbol_restarts_its_entry_bar(engine):
    """Two sells and a re-entry: rows in execution order, the re-bought symbol gets a new
    entry bar and a fresh average."""
    data = universe({"A": [10, 10, 20, 25], "B": [10, 10, 10, 10]})
    nan = math.nan
    weights = pd.DataFrame(
        {"A": [0.25, nan, 0.0, 0.5], "B": [0.75, nan, 0.0, nan]}, index=data["A"].index
    )
    r = fastbt.run_portfolio(data, weights=weights, fill="close", cash=1000, engine=engine)
    closed = r.closed_trades
    # Bar 2: B holds 750 and A 500 (25 units at 20): B's sell is the larger, so it comes first.
    assert closed["symbol"].tolist() == ["B", "A"]
    assert closed["exit_bar"].tolist() == [2, 2]
    assert closed["pnl"].tolist() == pytest.approx([0.0, 250.0])
    # Bar 3: V = 1250, half in A at 25.
    opened = r.trades[r.trades["status"] == "open"].iloc[0]
    assert opened["symbol"] == "A" and opened["entry_bar"] == 3
    assert opened["qty"] == pytest.approx(25.0) and opened["entry_price"] == 25.0


@pytest.mark.parametrize("engine", ENGINES)
def test_next_open_fills_the_row_at_the_next_open_with_v_at_the_opens(engine):
    data = universe({"A": [11, 21, 26]}, opens={"A": [10, 20, 25]})
    weights = pd.DataFrame({"A": [0.5, math.nan, 1.0]}, index=data["A"].index)
    r = fastbt.run_portfolio(data, weights=weights, cash=1000, engine=engine)
    # Bar 0's row fills at open[1] = 20: V = 1000, 25 units; bar 2's row never fills.
    assert r.positions["A"].tolist() == [0.0, 25.0, 25.0]
    assert r.equity.tolist() == [1000.0, 500 + 25 * 21, 500 + 25 * 26]


@pytest.mark.parametrize("engine", ENGINES)
def test_nan_rows_place_no_orders_and_drift_is_left_alone(engine):
    data = universe({"A": [10, 20, 40], "B": [10, 10, 10]})
    nan = math.nan
    weights = pd.DataFrame({"A": [0.5, nan, nan], "B": [0.5, nan, 0.5]}, index=data["A"].index)
    r = fastbt.run_portfolio(data, weights=weights, fill="close", cash=1000, engine=engine)
    # Bar 2: V = 0 + 50*40 + 50*10 = 2500; B goes to 1250 (buy 75) but cash is 0: cut to 0,
    # skipped. A (80% of V) is not touched: its target is NaN.
    assert r.positions["A"].tolist() == [50.0, 50.0, 50.0]
    assert r.positions["B"].tolist() == [50.0, 50.0, 50.0]
    assert r.metrics["n_skipped"] == 1
    assert len(r.closed_trades) == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_fees_and_slippage_on_each_fill(engine):
    data = universe({"A": [100, 100]})
    weights = pd.DataFrame({"A": [0.5, 0.0]}, index=data["A"].index)
    r = fastbt.run_portfolio(
        data,
        weights=weights,
        fill="close",
        cash=1000,
        commission=0.01,
        fixed_fee=2,
        slippage=0.1,
        engine=engine,
    )
    # Buy 5 units (0.5*1000/100) at 110: fee 2 + 0.01*550 = 7.5, cash 1000 - 557.5 = 442.5.
    assert r.cash.iloc[0] == pytest.approx(442.5)
    # Sell 5 at 90: fee 2 + 4.5 = 6.5; cash 442.5 + 450 - 6.5 = 886.
    assert r.cash.iloc[1] == pytest.approx(886.0)
    row = r.trades.iloc[0]
    assert (row["entry_price"], row["exit_price"], row["entry_fee"], row["exit_fee"]) == (
        pytest.approx(110),
        pytest.approx(90),
        pytest.approx(7.5),
        pytest.approx(6.5),
    )
    assert row["pnl"] == pytest.approx(5 * (90 - 110) - 14.0)
    assert r.metrics["total_fees"] == pytest.approx(14.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_signal_portfolio_entries_share_the_cash_in_turn(engine):
    """size=0.5: the first entry of the bar takes half the cash, the second half of the rest."""
    data = universe({"A": [10, 10, 10], "B": [20, 20, 20]})
    entries = np.array([[False, False], [True, True], [False, False]])
    strategy = fastbt.Strategy(
        name="by_symbol",
        description="enter on bar 1",
        params=(),
        signals=lambda o, h, low, c, v: (
            entries[:, 0] if c[0] == 10 else entries[:, 1],
            np.zeros(3, bool),
        ),
        reference=_EnterOnBarOne,
    )
    r = fastbt.run_portfolio(
        data, strategy=strategy, size=0.5, fill="close", cash=1000, engine=engine
    )
    # Both entries estimate 0.5*1000: a tie, so symbol order: A gets 500 (50 units), B 250.
    assert r.positions.iloc[1].tolist() == pytest.approx([50.0, 12.5])
    assert r.cash.iloc[1] == pytest.approx(250.0)


class _EnterOnBarOne(fastbt.ReferenceStrategy):
    def generate_signals(self, history):
        return len(history) == 2, False
