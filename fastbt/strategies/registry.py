"""Strategies by name: the built-ins plus whatever a user registers."""

from fastbt.strategies.builtin import BUILTIN
from fastbt.strategies.spec import Strategy

_REGISTRY: dict[str, Strategy] = {s.name: s for s in BUILTIN}


def register_strategy(strategy: Strategy, *, replace: bool = False) -> Strategy:
    """Make ``strategy`` available by name to ``fastbt.run``, the CLI and sweeps."""
    if not isinstance(strategy, Strategy):
        raise ValueError(f"expected a fastbt Strategy, got {type(strategy).__name__}")
    if strategy.name in _REGISTRY and not replace:
        raise ValueError(f"strategy '{strategy.name}' is already registered (pass replace=True)")
    _REGISTRY[strategy.name] = strategy
    return strategy


def get_strategy(strategy: str | Strategy) -> Strategy:
    """The Strategy for a name (or the Strategy itself), with a clear error if unknown."""
    if isinstance(strategy, Strategy):
        return strategy
    try:
        return _REGISTRY[strategy]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown strategy {strategy!r}; available: {', '.join(sorted(_REGISTRY))}"
        ) from None


def list_strategies() -> list[Strategy]:
    """All registered strategies, sorted by name."""
    return [_REGISTRY[name] for name in sorted(_REGISTRY)]
