"""Portfolios: several symbols sharing one cash balance (docs/portfolios.md)."""

from fastbt.portfolio.compare import compare_portfolios
from fastbt.portfolio.engine import run_portfolio, verify_portfolio
from fastbt.portfolio.result import PortfolioResult
from fastbt.portfolio.rotation import momentum_rotation
from fastbt.portfolio.universe import Alignment, Universe, align, universe
from fastbt.portfolio.weights import equal_weight, inverse_volatility, rebalance, rebalance_bars

__all__ = [
    "Alignment",
    "PortfolioResult",
    "Universe",
    "align",
    "compare_portfolios",
    "equal_weight",
    "inverse_volatility",
    "momentum_rotation",
    "rebalance",
    "rebalance_bars",
    "run_portfolio",
    "universe",
    "verify_portfolio",
]
