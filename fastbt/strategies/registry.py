"""Strategies by name: the built-ins plus whatever a user registers or imports."""

import importlib
import importlib.util
import sys
from pathlib import Path

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


def import_strategies(source: str) -> list[Strategy]:
    """Import a Python file (``my_strategies.py``) or module (``pkg.strategies``) and
    register every ``Strategy`` defined at its top level; return them.

    A module may also register its strategies itself. A name already taken by a
    different strategy is an error (as in ``register_strategy``).
    """
    before = set(_REGISTRY)
    module = _import(source)
    found = [value for value in vars(module).values() if isinstance(value, Strategy)]
    for strategy in found:
        if _REGISTRY.get(strategy.name) is not strategy:
            register_strategy(strategy)
    added = [_REGISTRY[name] for name in sorted(set(_REGISTRY) - before)]
    if not found and not added:
        raise ValueError(
            f"{source} defines no fastbt.Strategy; define one at the top level, e.g. "
            "my_rule = fastbt.Strategy.from_rules(...)"
        )
    return list({id(s): s for s in [*found, *added]}.values())


def _import(source: str):
    """The module of a ``.py`` path or a dotted module name (the working directory first)."""
    if source.endswith(".py"):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"cannot import strategies: no file {source}")
        name = f"fastbt_user_{path.stem}"
        loaded = sys.modules.get(name)
        if loaded is not None and Path(loaded.__file__).resolve() == path.resolve():
            return loaded  # imported before in this process: the same strategy objects
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        return importlib.import_module(source)
    except ModuleNotFoundError as error:
        raise ValueError(
            f"cannot import strategies from {source!r}: {error}; give a .py file or an "
            "importable module name"
        ) from None
