"""Strategy definitions and the name -> strategy registry."""

from fastbt.strategies.registry import get_strategy, list_strategies, register_strategy
from fastbt.strategies.spec import Constraint, Param, Strategy

__all__ = [
    "Constraint",
    "Param",
    "Strategy",
    "get_strategy",
    "list_strategies",
    "register_strategy",
]
