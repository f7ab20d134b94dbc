"""Fill arithmetic shared by every simulation kernel (docs/execution.md, "Fills")."""

import numpy as np

from fastbt.kernels.jit import kernel


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
def buy_quantity(cash, exec_price, commission, fixed_fee, size, size_in_units, fractional):
    """Units to buy: a share of cash with fees included, or a fixed unit count."""
    if size_in_units:
        qty = size
    else:
        qty = (size * cash - fixed_fee) / (exec_price * (1.0 + commission))
    if not fractional:
        qty = np.floor(qty)
    return qty


@kernel
def affordable(qty, cost, cash):
    """Whether a buy goes ahead: positive size and cost within cash (1e-9 tolerance)."""
    return qty > 0.0 and cost <= cash * (1.0 + 1e-9)
