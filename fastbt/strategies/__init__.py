"""Strategy definitions and the name -> strategy registry."""

from fastbt.strategies.registry import (
    get_strategy,
    import_strategies,
    list_strategies,
    register_strategy,
)
from fastbt.strategies.spec import Constraint, Indicator, Param, Strategy

__all__ = [
    "Constraint",
    "Indicator",
    "Param",
    "Strategy",
    "get_strategy",
    "import_strategies",
    "list_strategies",
    "register_strategy",
]
