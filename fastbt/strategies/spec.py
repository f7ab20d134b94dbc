"""What a strategy is: parameters with defaults and ranges, a fast and a reference form."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from fastbt.reference.strategies import ReferenceStrategy


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
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"parameter '{self.name}' must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"parameter '{self.name}' must be finite, got {value!r}")
        if self.kind is int:
            if value != int(value):
                raise ValueError(f"parameter '{self.name}' must be a whole number, got {value!r}")
            value = int(value)
        else:
            value = float(value)
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"parameter '{self.name}' must be >= {self.minimum:g}, got {value:g}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"parameter '{self.name}' must be <= {self.maximum:g}, got {value:g}")
        return value

    def describe(self) -> str:
        """``name=default`` with the range, for listings."""
        low = "" if self.minimum is None else f"{self.minimum:g} <= "
        high = "" if self.maximum is None else f" <= {self.maximum:g}"
        return f"{self.name}={self.default} ({low}{self.kind.__name__}{high})"


@dataclass(frozen=True)
class Strategy:
    """A named strategy in both forms.

    ``signals(open, high, low, close, volume, *values) -> (entry, exit)`` is the fast
    form (a Numba ``@njit`` function; params in the order of ``params``).
    ``reference(**values)`` builds the bar-by-bar form. ``check(values, n_bars)``
    enforces rules that involve several parameters or the data length.
    """

    name: str
    description: str
    params: tuple[Param, ...]
    signals: Callable
    reference: type[ReferenceStrategy]
    check: Callable[[dict, int], None] | None = field(default=None, compare=False)

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
        if self.check is not None:
            self.check(values, n_bars)
        return values
