"""What a strategy is: parameters with defaults and ranges, a fast and a reference form."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from fastbt.options import finite_number
from fastbt.reference.strategies import ReferenceStrategy

# Whole-number parameters reach the kernels as int64.
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


@dataclass(frozen=True)
class Param:
    """One strategy parameter: its type (int or float), default and inclusive bounds."""

    name: str
    kind: type
    default: int | float
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""

    def coerce(self, value) -> int | float:
        """``value`` as this parameter's type, or a ValueError naming the parameter."""
        finite_number(f"parameter '{self.name}'", value)
        if self.kind is int:
            if value != int(value):
                raise ValueError(f"parameter '{self.name}' must be a whole number, got {value!r}")
            value = int(value)
            if not _INT64_MIN <= value <= _INT64_MAX:
                raise ValueError(
                    f"parameter '{self.name}' is too large for a whole number "
                    f"(limit 2**63 - 1), got about {float(value):.3g}"
                )
        else:
            value = float(value)
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"parameter '{self.name}' must be >= {self.minimum:g}, got {value:g}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"parameter '{self.name}' must be <= {self.maximum:g}, got {value:g}")
        return value

    def valid(self, values: np.ndarray) -> np.ndarray:
        """Which of many candidate values are in range (for grids: dropped, not errors).

        Raises only for values that cannot be this parameter at all (not numbers,
        or fractional values for an int parameter).
        """
        values = np.asarray(values)
        if values.dtype.kind not in "iuf":
            raise ValueError(
                f"parameter '{self.name}' values must be numbers that fit 64 bits "
                f"(no integers above 2**63), got {values.dtype} values"
            )
        finite = values[np.isfinite(values)]
        if self.kind is int and not np.all(np.mod(finite, 1) == 0):
            raise ValueError(f"parameter '{self.name}' values must be whole numbers")
        if self.kind is int and not np.all((finite >= _INT64_MIN) & (finite < 2**63)):
            raise ValueError(
                f"parameter '{self.name}' values must be whole numbers below 2**63 "
                f"in size, got {finite[np.argmax(np.abs(finite))]:.3g}"
            )
        mask = np.isfinite(values)
        if self.minimum is not None:
            mask &= values >= self.minimum
        if self.maximum is not None:
            mask &= values <= self.maximum
        return mask

    def describe(self) -> str:
        """``name=default`` with the range, for listings."""
        low = "" if self.minimum is None else f"{self.minimum:g} <= "
        high = "" if self.maximum is None else f" <= {self.maximum:g}"
        return f"{self.name}={self.default} ({low}{self.kind.__name__}{high})"


@dataclass(frozen=True)
class Constraint:
    """A rule linking parameters (and the number of bars), for one set or a whole grid.

    ``holds(values, n_bars)`` works on scalars and on NumPy arrays alike, so the
    same rule rejects a bad ``run`` with ``message`` (formatted with the values
    and ``n_bars``) and drops invalid sets from a sweep grid.
    """

    holds: Callable
    message: str


@dataclass(frozen=True)
class Indicator:
    """A series a strategy decides on, for charts: drawn over the price (``overlay``)
    or in its own panel with horizontal ``levels`` (e.g. RSI 30/70)."""

    name: str
    values: np.ndarray
    overlay: bool = True
    levels: tuple[float, ...] = ()


@dataclass(frozen=True)
class Strategy:
    """A named strategy in both forms.

    ``signals(open, high, low, close, volume, *values) -> (entry, exit)`` is the fast
    form (a Numba ``@njit`` function; params in the order of ``params``).
    ``reference(**values)`` builds the bar-by-bar form. ``constraints`` are rules
    that involve several parameters or the data length. ``sweep_inputs``, when
    given, lets sweeps run the strategy on the fused kernel (see fastbt.sweep).
    ``indicators(open, high, low, close, volume, *values) -> list[Indicator]``, when
    given, is what price charts draw beside the trades. ``rules``: the rule
    definition of a strategy made by ``Strategy.from_rules`` (None otherwise).
    """

    name: str
    description: str
    params: tuple[Param, ...]
    signals: Callable
    reference: type[ReferenceStrategy]
    constraints: tuple[Constraint, ...] = ()
    sweep_inputs: Callable | None = None
    indicators: Callable | None = None
    rules: object = None

    @classmethod
    def from_rules(cls, name: str, *, entry, exit, constraints=(), description: str = ""):
        """A strategy from entry and exit rules (``fastbt.rules``; docs/strategies.md)."""
        from fastbt.rules import strategy

        return strategy(
            name, entry=entry, exit=exit, constraints=constraints, description=description
        )

    @property
    def fused(self) -> bool:
        """Whether sweeps run it on a fused kernel (rule strategies and ``sweep_inputs``)."""
        return self.sweep_inputs is not None or self.rules is not None

    @property
    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}

    def resolve(self, given: dict, n_bars: int) -> dict:
        """Validated parameter values: defaults filled in, types coerced, ranges checked."""
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(
                f"unknown parameter(s) for strategy '{self.name}': {', '.join(unknown)} "
                f"(known: {', '.join(p.name for p in self.params)})"
            )
        values = {p.name: p.coerce(given.get(p.name, p.default)) for p in self.params}
        for rule in self.constraints:
            if not rule.holds(values, n_bars):
                raise ValueError(rule.message.format(n_bars=n_bars, **values))
        return values

    def valid_sets(self, columns: dict, n_bars: int) -> np.ndarray:
        """Mask of the parameter sets (one array per parameter) this strategy accepts."""
        mask = (
            np.ones(len(next(iter(columns.values()))), dtype=bool) if columns else np.ones(1, bool)
        )
        for param in self.params:
            mask &= param.valid(columns[param.name])
        for rule in self.constraints:
            mask &= np.asarray(rule.holds(columns, n_bars), dtype=bool)
        return mask
