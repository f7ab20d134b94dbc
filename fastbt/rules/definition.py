"""A rule strategy's definition: its entry and exit rules, the parameters they
declare (checked and gathered once), and constraints between parameters."""

import operator
import re
from dataclasses import dataclass, replace

from fastbt.rules.language import RESERVED, check_param_fits, kind_constraints
from fastbt.rules.nodes import CONDITION, Compare, Const, IndicatorCall, Node, ParamRef
from fastbt.strategies.spec import Constraint, Param

OPERATORS = {">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le}
_CONSTRAINT = re.compile(r"^\s*([\w.]+)\s*(<=|>=|<|>)\s*([\w.]+)\s*$")


@dataclass(frozen=True, eq=False)
class RuleSet:
    """Named rules (``entry``, ``exit``) over the strategy's ``params``, in the
    order they first appear. Compared by identity (rule nodes have no ``==``)."""

    rules: tuple[tuple[str, Node], ...]
    params: tuple[Param, ...]
    constraints: tuple[str, ...] = ()  # those with a text form (not Constraint objects)

    def roots(self) -> tuple[Node, ...]:
        return tuple(node for _, node in self.rules)

    def shape(self) -> tuple:
        """The rules' structure with parameter values abstracted (the compile key)."""
        return tuple((name, node.shape()) for name, node in self.rules)

    def distinct(self) -> list[Node]:
        """Every distinct node of the rules (by ``key``), children before parents."""
        return distinct(self.roots())


def distinct(roots) -> list[Node]:
    """Every distinct node under ``roots`` (by ``key``), children before parents."""
    seen, nodes = set(), []
    for root in roots:
        for node in root.walk():
            if node.key() not in seen:
                seen.add(node.key())
                nodes.append(node)
    return nodes


def _same(a: Param, b: Param) -> bool:
    return (a.kind, a.default, a.minimum, a.maximum) == (b.kind, b.default, b.minimum, b.maximum)


def _show(p: Param) -> str:
    bounds = "".join(f", {b!r}" for b in (p.minimum, p.maximum))
    return f"param({p.name!r}, {p.default!r}{bounds})"


def gather_params(rules: tuple[tuple[str, Node], ...]) -> tuple[Param, ...]:
    """The declared parameters of ``rules``: each declared once (or identically),
    every name used declared somewhere, bounds narrowed to what each indicator using
    the parameter accepts."""
    declared: dict[str, Param] = {}
    for _, root in rules:
        for node in root.walk():
            if isinstance(node, ParamRef) and node.decl is not None:
                seen = declared.setdefault(node.name, node.decl)
                if not _same(seen, node.decl):
                    raise ValueError(
                        f"parameter '{node.name}' is declared twice with different settings: "
                        f"{_show(seen)} and {_show(node.decl)}; declare it once and reuse the "
                        f"object, or refer to it by name ('{node.name}') inside indicator calls"
                    )
    for rule_name, root in rules:
        for node in root.walk():
            if isinstance(node, ParamRef) and node.name not in declared:
                known = ", ".join(declared) or "none"
                raise ValueError(
                    f"unknown parameter '{node.name}' in the {rule_name} rule `{root!r}` "
                    f"(declared: {known}); declare it with param('{node.name}', default, "
                    "minimum, maximum)"
                )
    for _, root in rules:
        for node in root.walk():
            if isinstance(node, IndicatorCall):
                for spec, arg in zip(node.kind.params, node.args, strict=True):
                    if isinstance(arg, ParamRef):
                        declared[arg.name] = _narrowed(declared[arg.name], spec, node.kind.name)
    return tuple(declared.values())


def _narrowed(decl: Param, spec: Param, kind_name: str) -> Param:
    """``decl`` with bounds no wider than indicator parameter ``spec`` accepts."""
    check_param_fits(decl, spec, kind_name)
    low = [b for b in (decl.minimum, spec.minimum) if b is not None]
    high = [b for b in (decl.maximum, spec.maximum) if b is not None]
    return replace(decl, minimum=max(low) if low else None, maximum=min(high) if high else None)


def check_rule(name: str, node, required: bool) -> Node | None:
    """``node`` if it is a condition (or None when not ``required``), else a clear error."""
    if node is None and not required:
        return None
    if isinstance(node, bool):
        raise TypeError(
            f"{name} is the Python bool {node}, not a rule; `==` between rule "
            "expressions is not supported (use `>=` and `<=`)"
        )
    if not isinstance(node, Node):
        raise TypeError(f"{name} must be a rule expression, got {type(node).__name__} {node!r}")
    if isinstance(node, IndicatorCall) or node.type != CONDITION:
        raise TypeError(
            f"{name} must be a condition (true/false), but `{node!r}` is a number; "
            "compare it, e.g. `close > sma(close, 20)`"
        )
    return node


def constraint_text(rule) -> str | None:
    """``"left op right"`` of a constraint given as a string or a comparison of param
    objects and numbers; None for a ``Constraint`` (code, with no text form)."""
    if isinstance(rule, Constraint):
        return None
    if isinstance(rule, str):
        match = _CONSTRAINT.match(rule)
        if not match:
            raise ValueError(
                f"constraint {rule!r} must compare two parameters, a parameter and a "
                "number, or a parameter and n_bars, e.g. 'fast < slow'"
            )
        return " ".join(match.groups())
    if isinstance(rule, Compare):
        sides = []
        for side in (rule.a, rule.b):
            if isinstance(side, ParamRef):
                sides.append(side.name)
            elif isinstance(side, Const):
                sides.append(repr(side.value))
            else:
                raise ValueError(
                    f"constraint `{rule!r}` may only compare parameters and numbers, not `{side!r}`"
                )
        return f"{sides[0]} {rule.op} {sides[1]}"
    raise TypeError(
        f"a constraint is a string like 'fast < slow', a comparison of param objects "
        f"or a fastbt.Constraint, got {type(rule).__name__} {rule!r}"
    )


def constraint(rule, params: tuple[Param, ...]) -> Constraint:
    """A ``Constraint`` from ``"fast < slow"``, ``"slow < n_bars"``, a comparison of
    parameters and numbers (``fast < slow`` with param objects), or a Constraint."""
    text = constraint_text(rule)
    if text is None:
        return rule
    left, op, right = text.split(" ")
    names = [p.name for p in params]
    terms = [_term(side, names, rule) for side in (left, right)]
    shown = [side for side in (left, right) if not _is_number(side)]
    check = OPERATORS[op]

    def holds(values, n_bars):
        return check(*(t(values, n_bars) for t in terms))

    got = " ".join(f"{n}={{{n}}}" for n in dict.fromkeys(shown))
    return Constraint(holds, f"parameters must satisfy {left} {op} {right}, got {got}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _term(text: str, names: list[str], rule):
    """A function ``(values, n_bars) -> value`` for one side of a constraint."""
    if _is_number(text):
        number = float(text)
        return lambda values, n_bars: number
    if text in RESERVED:
        return lambda values, n_bars: n_bars
    if text not in names:
        raise ValueError(
            f"constraint {rule!r} names '{text}', which is not a parameter "
            f"(declared: {', '.join(names) or 'none'}; n_bars is the number of bars)"
        )
    return lambda values, n_bars: values[text]


class _Placeholder:
    """Formats as ``{name:spec}``: turns an indicator's message template, written with
    its own parameter names, into one written with the strategy's."""

    def __init__(self, name: str):
        self.name = name

    def __format__(self, spec: str) -> str:
        return "{" + self.name + (f":{spec}" if spec else "") + "}"


def indicator_constraints(rules: tuple[tuple[str, Node], ...]) -> tuple[Constraint, ...]:
    """The constraints of the indicator kinds the rules use (e.g. MACD's fast < slow),
    restated over the strategy's parameters, for calls given parameters. (A call with
    numbers only was checked when written.)"""
    made, seen = [], set()
    for _, root in rules:
        for node in root.walk():
            if not isinstance(node, IndicatorCall) or node.key() in seen:
                continue
            seen.add(node.key())
            if all(isinstance(a, Const) for a in node.args):
                continue
            names = [p.name for p in node.kind.params]
            for rule in kind_constraints(node.kind):
                made.append(_restated(rule, node, names))
    return tuple(made)


def _restated(rule: Constraint, call: IndicatorCall, names: list[str]) -> Constraint:
    def given(values):
        return {
            n: a.value if isinstance(a, Const) else values[a.name]
            for n, a in zip(names, call.args, strict=True)
        }

    template = rule.message.format(
        **{
            n: a.value if isinstance(a, Const) else _Placeholder(a.name)
            for n, a in zip(names, call.args, strict=True)
        }
    )
    return Constraint(
        lambda values, n_bars: rule.holds(given(values), None), f"`{call!r}`: {template}"
    )
