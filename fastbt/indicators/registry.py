"""What an indicator kind is, and the registry the rule language looks kinds up in.

An ``IndicatorKind`` has two forms that perform the same float64 operations in
the same order (identical bits, docs/indicators.md):

- ``compute(*inputs, *params) -> tuple of arrays``: a Numba kernel over whole
  float64 input arrays, one output array per name in ``outputs``, NaN where the
  value is not defined yet (warm-up);
- ``reference(*params)``: a plain-Python object whose ``update(*input values)`` is
  called once per bar, in order, and returns the tuple of this bar's output values
  (``None`` where not defined). It sees only the values it was given.

Both forms compute each run of bars whose inputs are all defined separately: an
undefined input (NaN, or None for the reference) makes the outputs undefined on
that bar and starts the warm-up again (docs/indicators.md, "Conventions").
"""

from collections.abc import Callable
from dataclasses import dataclass

from fastbt.strategies.spec import Constraint, Param


@dataclass(frozen=True)
class IndicatorKind:
    """One indicator kind: its series inputs, parameters, outputs and both forms."""

    name: str
    description: str
    inputs: tuple[str, ...]
    params: tuple[Param, ...]
    outputs: tuple[str, ...]
    compute: Callable
    reference: type
    overlay: bool = True
    constraints: tuple[Constraint, ...] = ()

    def output_index(self, output: str) -> int:
        """Position of ``output`` among the outputs, or a ValueError naming the choices."""
        if output not in self.outputs:
            raise ValueError(
                f"indicator '{self.name}' has no output '{output}' "
                f"(outputs: {', '.join(self.outputs)})"
            )
        return self.outputs.index(output)

    def resolve(self, given: dict) -> tuple:
        """Parameter values in ``params`` order: defaults filled in, types coerced, ranges
        and ``constraints`` checked, or a ValueError naming the parameter.

        A constraint's ``holds(values, n_bars)`` gets the values by this kind's parameter
        names (``n_bars`` is None here) and works on arrays too, for sweep grids.
        """
        known = [p.name for p in self.params]
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ValueError(
                f"indicator '{self.name}' has no parameter(s) {', '.join(unknown)} "
                f"(parameters: {', '.join(known) or 'none'})"
            )
        values = {p.name: p.coerce(given.get(p.name, p.default)) for p in self.params}
        for rule in self.constraints:
            if not rule.holds(values, None):
                raise ValueError(rule.message.format(**values))
        return tuple(values.values())


INDICATORS: dict[str, IndicatorKind] = {}


def register(kind: IndicatorKind) -> IndicatorKind:
    """Add ``kind`` to the registry (names are unique)."""
    if kind.name in INDICATORS:
        raise ValueError(f"an indicator named '{kind.name}' is already registered")
    INDICATORS[kind.name] = kind
    return kind


def indicator_kind(name: str) -> IndicatorKind:
    """The registered kind called ``name``, or a ValueError listing the known ones."""
    if name not in INDICATORS:
        raise ValueError(f"unknown indicator '{name}' (known: {', '.join(sorted(INDICATORS))})")
    return INDICATORS[name]
