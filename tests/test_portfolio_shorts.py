"""Shorts and reversals in strategy portfolios (docs/portfolios.md, "Shorts and
reversals"), computed by hand from the rules, in both engines.

Every case fills at the close, with commission C and fixed fee F, half the free cash
per entry (size 0.5). Each symbol's signals are scripted per bar: +1 entry, -1 exit.
"""

import numpy as np
import pytest

import fastbt
from tests.helpers import make_bars

pytestmark = pytest.mark.filterwarnings("ignore::fastbt.DataWarning")

ENGINES = ("fast", "reference")
C, F = 0.001, 1.0


def scripted_by_symbol(codes: dict) -> fastbt.Strategy:
    """A strategy whose signals per bar (+1 entry, -1 exit, 0 none) depend on the symbol,
    told apart by its first close (``codes`` is keyed by it), in both engines."""
    arrays = {first: np.asarray(c) for first, c in codes.items()}

    def signals(o, h, low, c, v):
        code = arrays[float(c[0])]
        return code == 1, code == -1

    class Reference(fastbt.ReferenceStrategy):
        def generate_signals(self, history):
            code = codes[history.close[0]][len(history) - 1]
            return code == 1, code == -1

    return fastbt.Strategy(
        name="by_symbol", description="scripted", params=(), signals=signals, reference=Reference
    )


def run(closes: dict, codes: dict, engine: str, **options):
    data = {s: make_bars(c, c) for s, c in closes.items()}
    strategy = scripted_by_symbol({closes[s][0]: codes[s] for s in closes})
    kwargs = dict(cash=1000.0, commission=C, fixed_fee=F, size=0.5, fill="close") | options
    return fastbt.run_portfolio(data, strategy=strategy, engine=engine, **kwargs)


def percent_units(free: float, price: float) -> float:
    """v1 percent sizing of half of ``free`` at ``price``, fees included."""
    return (0.5 * free - F) / (price * (1 + C))


def fee(price: float, qty: float) -> float:
    return F + C * price * qty


# Bar 0: A sells short. Bar 1: A covers and B sells short, in one batch.
CLOSES = {"A": [50.0, 40.0, 40.0], "B": [20.0, 20.0, 20.0]}
CODES = {"A": [1, -1, 0], "B": [0, 1, 0]}


def short_of_a():
    """Bar 0: the cash after A's short sale (1000 free), and its units."""
    q_a = percent_units(1000.0, 50.0)
    return 1000.0 + q_a * 50.0 - fee(50.0, q_a), q_a


@pytest.mark.parametrize("engine", ENGINES)
def test_a_short_sale_credits_the_shared_cash_and_locks_twice_its_value(engine):
    r = run(CLOSES, CODES, engine, direction="short")
    cash0, q_a = short_of_a()
    assert r.positions["A"].iloc[0] == pytest.approx(-q_a)
    assert r.cash.iloc[0] == pytest.approx(cash0)
    assert cash0 == pytest.approx(1000.0 + 500.0 - 2 * fee(50.0, q_a))
    assert r.equity.iloc[0] == pytest.approx(cash0 - q_a * 50.0)


@pytest.mark.parametrize("engine", ENGINES)
def test_value_order_sells_short_before_the_cover_from_the_free_cash(engine):
    """Bar 1, order_sequence="value": B's short sale (estimate -0.5*cash) comes before
    A's cover (estimate +q*40); B is sized from the free cash, A's collateral kept out."""
    r = run(CLOSES, CODES, engine, direction="short")
    cash0, q_a = short_of_a()
    free = cash0 - 2 * q_a * 50.0
    assert free == pytest.approx(500.0)
    q_b = percent_units(free, 20.0)
    cash1 = cash0 + q_b * 20.0 - fee(20.0, q_b)  # B's short sale
    cash1 = cash1 - q_a * 40.0 - fee(40.0, q_a)  # A's cover
    assert r.positions.iloc[1].tolist() == pytest.approx([0.0, -q_b])
    assert r.cash.iloc[1] == pytest.approx(cash1)
    assert r.equity.iloc[1] == pytest.approx(cash1 - q_b * 20.0)
    closed = r.trades[r.trades["status"] == "closed"].iloc[0]
    assert (closed["symbol"], closed["direction"], closed["exit_bar"]) == ("A", "short", 1)
    assert closed["qty"] == pytest.approx(q_a)
    pnl = -q_a * (40.0 - 50.0) - (fee(50.0, q_a) + fee(40.0, q_a))
    assert closed["pnl"] == pytest.approx(pnl)
    assert closed["return"] == pytest.approx(pnl / (q_a * 50.0 + fee(50.0, q_a)))
    still_open = r.trades[r.trades["status"] == "open"].iloc[0]
    assert (still_open["symbol"], still_open["direction"]) == ("B", "short")
    assert r.metrics["n_short_trades"] == 1 and r.metrics["n_long_trades"] == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_symbol_order_covers_first_and_frees_the_collateral(engine):
    r = run(CLOSES, CODES, engine, direction="short", order_sequence="symbol")
    cash0, q_a = short_of_a()
    cash1 = cash0 - q_a * 40.0 - fee(40.0, q_a)  # A's cover first: no short left
    q_b = percent_units(cash1, 20.0)
    cash1 = cash1 + q_b * 20.0 - fee(20.0, q_b)
    assert r.positions.iloc[1].tolist() == pytest.approx([0.0, -q_b])
    assert r.cash.iloc[1] == pytest.approx(cash1)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_cover_the_cash_cannot_pay_for_executes_in_full(engine):
    """A is short (locking its value twice), B bought with half the free cash. A rises to
    2.5x: covering it costs more than the cash, and partial=True does not cut a cover
    (a position must be closable); cash goes negative and B's buy in the same batch,
    after the cover, is skipped."""
    closes = {"A": [50.0, 125.0, 125.0], "B": [20.0, 20.0, 20.0]}
    codes = {"A": [-1, 1, 0], "B": [1, 1, 0]}
    # Bar 0 (direction both): A's exit sells short (estimate -500), B's entry buys (+500).
    r = run(closes, codes, engine, direction="both", partial=True)
    cash0, q_a = short_of_a()
    q_b = percent_units(cash0 - 2 * q_a * 50.0, 20.0)
    cash0 = cash0 - (q_b * 20.0 + fee(20.0, q_b))
    assert r.cash.iloc[0] == pytest.approx(cash0)
    # Bar 1: A's entry reverses to long (a buy: estimate q_a*125 + 0.5*cash); B holds.
    cover = q_a * 125.0 + fee(125.0, q_a)
    assert cover > cash0
    cash1 = cash0 - cover
    assert r.positions.iloc[1].tolist() == pytest.approx([0.0, q_b])
    assert r.cash.iloc[1] == pytest.approx(cash1)
    assert r.equity.iloc[1] == pytest.approx(cash1 + q_b * 20.0)
    assert r.metrics["n_skipped"] == 1  # the long leg of the reversal
    closed = r.trades[r.trades["status"] == "closed"].iloc[0]
    assert (closed["symbol"], closed["direction"], closed["exit_reason"]) == (
        "A",
        "short",
        "reverse",
    )
    assert closed["qty"] == pytest.approx(q_a)


# Bar 0: A and B sell short. Bar 1: A reverses to long while B stays short.
REV_CLOSES = {"A": [50.0, 40.0, 40.0], "B": [20.0, 20.0, 20.0]}
REV_CODES = {"A": [-1, 1, 0], "B": [-1, 0, 0]}


def two_shorts():
    """Bar 0 (direction both): A, then B (a tie at -500, symbol order), sell short."""
    cash0, q_a = short_of_a()
    q_b = percent_units(cash0 - 2 * q_a * 50.0, 20.0)
    return cash0 + q_b * 20.0 - fee(20.0, q_b), q_a, q_b


@pytest.mark.parametrize("engine", ENGINES)
def test_per_leg_reversal_covers_then_buys_from_the_free_cash(engine):
    r = run(REV_CLOSES, REV_CODES, engine, direction="both", reversal_fee="per_leg")
    cash0, q_a, q_b = two_shorts()
    assert r.cash.iloc[0] == pytest.approx(cash0)
    cash1 = cash0 - q_a * 40.0 - fee(40.0, q_a)  # the close leg
    q_long = percent_units(cash1 - 2 * q_b * 20.0, 40.0)  # B's collateral stays locked
    cash1 = cash1 - (q_long * 40.0 + fee(40.0, q_long))
    assert r.positions.iloc[1].tolist() == pytest.approx([q_long, -q_b])
    assert r.cash.iloc[1] == pytest.approx(cash1)
    assert r.metrics["total_fees"] == pytest.approx(
        fee(50.0, q_a) + fee(20.0, q_b) + fee(40.0, q_a) + fee(40.0, q_long)
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_per_order_reversal_pays_the_fixed_fee_once(engine):
    """S = (cash - F)/(1+c)/exec - L with size 1 (SPEC 2b); with size 0.5 the new leg is
    the percent sizing of the free cash after a close leg without fixed fee."""
    r = run(REV_CLOSES, REV_CODES, engine, direction="both", reversal_fee="per_order")
    cash0, q_a, q_b = two_shorts()
    sizing_cash = cash0 - q_a * 40.0 * (1 + C) - 2 * q_b * 20.0
    q_long = percent_units(sizing_cash, 40.0)
    total_fee = F + C * 40.0 * (q_a + q_long)
    cash1 = cash0 - q_a * 40.0 - total_fee * q_a / (q_a + q_long)
    cash1 = cash1 - (q_long * 40.0 + total_fee * q_long / (q_a + q_long))
    assert r.positions.iloc[1].tolist() == pytest.approx([q_long, -q_b])
    assert r.cash.iloc[1] == pytest.approx(cash1)
    closed = r.trades[r.trades["exit_reason"] == "reverse"].iloc[0]
    assert closed["exit_fee"] == pytest.approx(total_fee * q_a / (q_a + q_long))
    opened = r.trades[(r.trades["status"] == "open") & (r.trades["symbol"] == "A")].iloc[0]
    assert opened["direction"] == "long"
    assert opened["entry_fee"] == pytest.approx(total_fee * q_long / (q_a + q_long))
    assert r.metrics["total_fees"] == pytest.approx(fee(50.0, q_a) + fee(20.0, q_b) + total_fee)


@pytest.mark.parametrize("engine", ENGINES)
def test_ruin_on_the_portfolio_equity_covers_every_short(engine):
    """A short of all the cash (size 1) loses it all when A triples: equity <= 0 at the
    close closes every position (exit reason ruin) and equity is 0 from then on."""
    closes = {"A": [50.0, 150.0, 150.0], "B": [20.0, 20.0, 20.0]}
    codes = {"A": [1, 0, 0], "B": [0, 0, 0]}
    r = run(closes, codes, engine, direction="short", size=1.0, commission=0.0, fixed_fee=0.0)
    q_a = 1000.0 / 50.0
    assert 2000.0 - q_a * 150.0 < 0.0
    assert r.equity.tolist() == pytest.approx([1000.0, 0.0, 0.0])
    row = r.trades.iloc[0]
    assert (row["direction"], row["exit_reason"], row["exit_bar"]) == ("short", "ruin", 1)
    assert row["pnl"] == pytest.approx(-q_a * (150.0 - 50.0))
    assert r.positions.iloc[1:].abs().sum().sum() == 0.0


@pytest.mark.parametrize("engine", ENGINES)
def test_long_only_portfolios_are_unchanged_by_the_collateral_rule(engine):
    """Direction long never shorts: the free cash is the cash."""
    r = run(CLOSES, {"A": [1, -1, 0], "B": [0, 1, 0]}, engine, order_sequence="symbol")
    q_a = percent_units(1000.0, 50.0)
    cash1 = 1000.0 - (q_a * 50.0 + fee(50.0, q_a)) + q_a * 40.0 - fee(40.0, q_a)
    q_b = percent_units(cash1, 20.0)
    assert r.positions.iloc[1].tolist() == pytest.approx([0.0, q_b])
