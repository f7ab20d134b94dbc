"""Fills and the account they change (docs/execution.md, "Fills", "Shorts and reversals").

``Book`` is the account between fills: cash, the signed position with its entry
data, and the order counters. Each fill function takes a book and returns the
new one; a closing fill also returns the closed trade as a ``TRADE_FIELDS`` row.
"""

from collections import namedtuple

import numpy as np

from fastbt.kernels.jit import inline_kernel, kernel
from fastbt.kernels.rules import EXIT_REVERSE

TRADE_FIELDS = (
    "entry_bar",
    "entry_price",
    "exit_bar",
    "exit_price",
    "qty",
    "entry_fee",
    "exit_fee",
    "pnl",
    "return",
    "direction",
    "exit_reason",
)
N_TRADE_FIELDS = len(TRADE_FIELDS)

# qty is signed (negative when short); n_skipped counts orders not filled for want of
# cash or collateral, n_expired entry orders whose last live bar passed unfilled;
# ruined: the account was liquidated (on_ruin="liquidate") and trades no more.
Book = namedtuple(
    "Book",
    (
        "cash",
        "qty",
        "entry_bar",
        "entry_price",
        "entry_fee",
        "total_fees",
        "n_skipped",
        "n_expired",
        "ruined",
    ),
)


@inline_kernel
def start_book(cash0):
    """The book before the first bar: all cash, no position."""
    return Book(cash0, 0.0, -1, 0.0, 0.0, 0.0, 0, 0, False)


@kernel
def execution_price(price, slippage, is_buy):
    """Price paid on a buy (``p*(1+s)``) or received on a sell (``p*(1-s)``)."""
    if is_buy:
        return price * (1.0 + slippage)
    return price * (1.0 - slippage)


@kernel
def fill_fee(exec_price, qty, commission, fixed_fee):
    """Fee of one fill: fixed part plus commission on the executed notional."""
    return fixed_fee + commission * exec_price * qty


@kernel
def order_quantity(cash, exec_price, commission, fixed_fee, size, size_in_units, fractional):
    """Units to buy or sell short: a share of cash with fees included, or a fixed unit count."""
    if size_in_units:
        qty = size
    else:
        qty = (size * cash - fixed_fee) / (exec_price * (1.0 + commission))
    if not fractional:
        qty = np.floor(qty)
    return qty


@kernel
def affordable(qty, cost, cash):
    """Whether an opening fill goes ahead: positive size and cost (a long's price, a short's
    collateral) within cash, with a 1e-9 tolerance."""
    return qty > 0.0 and cost <= cash * (1.0 + 1e-9)


@inline_kernel
def _settle_open(book, side, bar, fill, qty, fee):
    """Book with a new position of ``side`` (+1/-1), ``qty`` units at ``fill``."""
    if side > 0:
        cash = max(book.cash - (qty * fill + fee), 0.0)
    else:
        cash = book.cash + qty * fill - fee
    return Book(
        cash,
        side * qty,
        bar,
        fill,
        fee,
        book.total_fees + fee,
        book.n_skipped,
        book.n_expired,
        book.ruined,
    )


@inline_kernel
def _settle_close(book, bar, fill, fee, reason):
    """Flat book after closing the position at ``fill`` with ``fee``, and the closed trade."""
    side = 1.0 if book.qty > 0.0 else -1.0
    qty = abs(book.qty)
    if side > 0.0:
        cash = book.cash + qty * fill - fee
    else:
        cash = book.cash - qty * fill - fee
    pnl = side * qty * (fill - book.entry_price) - (book.entry_fee + fee)
    trade_return = pnl / (qty * book.entry_price + book.entry_fee)
    trade = (
        float(book.entry_bar),
        book.entry_price,
        float(bar),
        fill,
        qty,
        book.entry_fee,
        fee,
        pnl,
        trade_return,
        side,
        float(reason),
    )
    flat = Book(
        cash,
        0.0,
        book.entry_bar,
        book.entry_price,
        book.entry_fee,
        book.total_fees + fee,
        book.n_skipped,
        book.n_expired,
        book.ruined,
    )
    return flat, trade


@inline_kernel
def skip_order(book):
    """Book with one more order skipped for want of cash or collateral."""
    return Book(
        book.cash,
        book.qty,
        book.entry_bar,
        book.entry_price,
        book.entry_fee,
        book.total_fees,
        book.n_skipped + 1,
        book.n_expired,
        book.ruined,
    )


@inline_kernel
def expire_order(book):
    """Book with one more entry order expired unfilled."""
    return Book(
        book.cash,
        book.qty,
        book.entry_bar,
        book.entry_price,
        book.entry_fee,
        book.total_fees,
        book.n_skipped,
        book.n_expired + 1,
        book.ruined,
    )


@inline_kernel
def close_account(book):
    """Book of a ruined account: no cash, no position, no more trading."""
    return Book(
        0.0,
        0.0,
        book.entry_bar,
        book.entry_price,
        book.entry_fee,
        book.total_fees,
        book.n_skipped,
        book.n_expired,
        True,
    )


@inline_kernel
def open_position(book, side, bar, price, slippage, rules):
    """Buy (``side`` 1) or sell short (-1) at reference ``price`` with ``slippage``, sized
    from the cash; skipped when not affordable (long) or not collateralised (short)."""
    fill = execution_price(price, slippage, side > 0)
    qty = order_quantity(
        book.cash,
        fill,
        rules.commission,
        rules.fixed_fee,
        rules.size,
        rules.size_in_units,
        rules.fractional,
    )
    fee = fill_fee(fill, qty, rules.commission, rules.fixed_fee)
    if not affordable(qty, qty * fill + fee, book.cash):
        return skip_order(book)
    return _settle_open(book, side, bar, fill, qty, fee)


@inline_kernel
def close_position(book, bar, price, slippage, reason, rules):
    """Sell a long or cover a short in full at reference ``price`` (always executes);
    returns the flat book and the closed trade."""
    fill = execution_price(price, slippage, book.qty < 0.0)
    fee = fill_fee(fill, abs(book.qty), rules.commission, rules.fixed_fee)
    return _settle_close(book, bar, fill, fee, reason)


@inline_kernel
def reverse_position(book, bar, price, rules):
    """Close the position and open the opposite one at reference ``price``; returns the
    book and the closed trade. ``per_leg``: two normal fills. ``per_order``: one order
    paying the fixed fee once, its fee split between the legs in proportion to size."""
    side = 1 if book.qty > 0.0 else -1
    if not rules.reversal_per_order:
        book, trade = close_position(book, bar, price, rules.slippage, EXIT_REVERSE, rules)
        return open_position(book, -side, bar, price, rules.slippage, rules), trade
    c, fixed = rules.commission, rules.fixed_fee
    fill = execution_price(price, rules.slippage, side < 0)
    closed = abs(book.qty)
    # The cash the new leg is sized from: as if the close leg paid no fixed fee.
    if side > 0:
        sizing_cash = book.cash + closed * fill * (1.0 - c)
    else:
        sizing_cash = book.cash - closed * fill * (1.0 + c)
    qty = order_quantity(
        sizing_cash, fill, c, fixed, rules.size, rules.size_in_units, rules.fractional
    )
    if qty > 0.0:
        total_fee = fixed + c * fill * (closed + qty)
        open_fee = total_fee * qty / (closed + qty)
        if affordable(qty, qty * fill + open_fee, sizing_cash):
            book, trade = _settle_close(
                book, bar, fill, total_fee * closed / (closed + qty), EXIT_REVERSE
            )
            return _settle_open(book, -side, bar, fill, qty, open_fee), trade
    book, trade = _settle_close(book, bar, fill, fill_fee(fill, closed, c, fixed), EXIT_REVERSE)
    return skip_order(book), trade
