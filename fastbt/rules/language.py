"""The words a rule is written with: price columns, ``param``, indicator calls,
``crosses_above``/``crosses_below`` and ``shift`` (docs/strategies.md)."""

import keyword
import math
import numbers

from fastbt.indicators import IndicatorKind, indicator_kind
from fastbt.rules.nodes import (
    CONDITION,
    Arithmetic,
    Const,
    Cross,
    IndicatorCall,
    Negate,
    Node,
    Output,
    ParamRef,
    Price,
    Shift,
    as_node,
)
from fastbt.strategies.spec import Param

open_ = Price("open")
high = Price("high")
low = Price("low")
close = Price("close")
volume = Price("volume")

RESERVED = ("n_bars",)  # a name constraints use for the number of bars


def param(
    name: str,
    default: int | float,
    minimum: float | None = None,
    maximum: float | None = None,
    doc: str = "",
) -> ParamRef:
    """A strategy parameter with its default and inclusive bounds: a whole number if
    ``default`` is an int, else a float. Use the returned object wherever the value goes;
    inside an indicator call, the name as a string refers to it too."""
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"param name must be a Python identifier, got {name!r}")
    if name in RESERVED:
        raise ValueError(f"param name {name!r} is reserved (constraints use it for the bar count)")
    if isinstance(default, bool) or not isinstance(default, numbers.Real):
        raise TypeError(f"param {name!r}: default must be a number, got {default!r}")
    kind = int if isinstance(default, numbers.Integral) else float
    for label, bound in (("minimum", minimum), ("maximum", maximum)):
        if bound is not None and (
            isinstance(bound, bool) or not isinstance(bound, numbers.Real) or math.isnan(bound)
        ):
            raise TypeError(f"param {name!r}: {label} must be a number or None, got {bound!r}")
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ValueError(f"param {name!r}: minimum {minimum} is above maximum {maximum}")
    decl = Param(name, kind, kind(default), minimum, maximum, doc)
    decl.coerce(default)  # the default itself must be valid
    return ParamRef(name, decl)


def crosses_above(a, b) -> Cross:
    """True at bar i when ``a[i] > b[i]`` and ``a[i-1] <= b[i-1]`` (a tie at i-1 counts)."""
    return Cross(as_node(a), as_node(b), True)


def crosses_below(a, b) -> Cross:
    """True at bar i when ``a[i] < b[i]`` and ``a[i-1] >= b[i-1]`` (a tie at i-1 counts)."""
    return Cross(as_node(a), as_node(b), False)


def shift(a, n: int) -> Shift:
    """``a`` as it was ``n >= 1`` bars earlier (undefined on the first ``n`` bars)."""
    return Shift(as_node(a), n)


def _input_problem(node: Node) -> str | None:
    """Why ``node`` cannot feed an indicator, or None. Inputs are price columns,
    constants and arithmetic on them: defined on every bar and the same for every
    parameter set, so one indicator table serves a whole sweep."""
    for part in node.walk():
        if isinstance(part, ParamRef):
            return f"it uses the parameter '{part.name}'"
        if not isinstance(part, Price | Const | Arithmetic | Negate):
            return f"it contains `{part!r}`"
    return None


class IndicatorFunction:
    """Calling it builds an indicator node: inputs first, then parameters, in the
    kind's order (or by name). Missing parameters take the kind's defaults."""

    def __init__(self, kind: IndicatorKind):
        self.kind = kind
        self.__name__ = kind.name
        self.__doc__ = kind.description

    def __repr__(self):
        params = ", ".join(f"{p.name}={p.default!r}" for p in self.kind.params)
        return f"{self.kind.name}({', '.join(self.kind.inputs)}, {params})"

    def __call__(self, *args, **kwargs) -> Node:
        kind = self.kind
        names = list(kind.inputs) + [p.name for p in kind.params]
        if len(args) > len(names):
            raise TypeError(f"{self!r} takes {len(names)} arguments, got {len(args)}")
        given = dict(zip(names, args, strict=False))
        for name, value in kwargs.items():
            if name not in names:
                raise TypeError(
                    f"{kind.name}() has no argument '{name}' (arguments: {', '.join(names)})"
                )
            if name in given:
                raise TypeError(f"{kind.name}() got argument '{name}' twice")
            given[name] = value
        inputs = tuple(self._input(name, given) for name in kind.inputs)
        values = tuple(self._param(p, given.get(p.name, p.default)) for p in kind.params)
        call = IndicatorCall(kind, inputs, values)
        if all(isinstance(v, Const) for v in values):
            for rule in kind_constraints(kind):
                given = {p.name: v.value for p, v in zip(kind.params, values, strict=True)}
                if not rule.holds(given, None):
                    raise ValueError(f"{kind.name}(): {rule.message.format(**given)}")
        return Output(call, 0) if len(kind.outputs) == 1 else call

    def _input(self, name: str, given: dict) -> Node:
        if name not in given:
            raise TypeError(
                f"{self.kind.name}() needs its input '{name}', e.g. "
                f"{self.kind.name}({', '.join('close' for _ in self.kind.inputs)}, ...)"
            )
        node = as_node(given[name])
        where = f"input '{name}' of {self.kind.name}()"
        if isinstance(node, IndicatorCall):
            raise TypeError(node.pick_message(where))
        if node.type == CONDITION:
            raise TypeError(f"{where} needs a number series, but `{node!r}` is a condition")
        problem = _input_problem(node)
        if problem:
            raise TypeError(
                f"{where} must be price columns, constants and arithmetic on them, "
                f"but `{node!r}`: {problem}"
            )
        return node

    def _param(self, spec: Param, value) -> Node:
        where = f"{self.kind.name}() parameter '{spec.name}'"
        if isinstance(value, str):
            return ParamRef(value)  # checked when the strategy is assembled
        if isinstance(value, ParamRef):
            if value.decl is not None:
                check_param_fits(value.decl, spec, self.kind.name)
            return value
        if isinstance(value, Node):
            raise TypeError(
                f"{where} must be a number, param(...) or a parameter's name, got `{value!r}` "
                "(expressions of parameters are not supported)"
            )
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{where} must be a number, got {value!r}")
        try:
            return Const(spec.coerce(value))
        except ValueError as error:
            raise ValueError(f"{self.kind.name}(): {error}") from None


def check_param_fits(decl: Param, spec: Param, kind_name: str) -> None:
    """A declared parameter can feed indicator parameter ``spec``: a float parameter
    cannot be a whole-number one, and its default must be in the indicator's range."""
    if spec.kind is int and decl.kind is not int:
        raise TypeError(
            f"parameter '{decl.name}' is a float (default {decl.default!r}) but "
            f"{kind_name}() parameter '{spec.name}' needs a whole number; "
            f"declare it with an int default"
        )
    try:
        spec.coerce(decl.default)
    except ValueError as error:
        raise ValueError(
            f"parameter '{decl.name}': its default does not suit {kind_name}() "
            f"parameter '{spec.name}': {error}"
        ) from None


def kind_constraints(kind: IndicatorKind) -> tuple:
    """Rules between a kind's parameters (e.g. MACD's fast < slow), if it has any."""
    return getattr(kind, "constraints", ())


def indicator(name: str) -> IndicatorFunction:
    """The call builder of the registered indicator kind ``name``."""
    return IndicatorFunction(indicator_kind(name))
