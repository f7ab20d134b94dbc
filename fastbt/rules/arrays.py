"""The fast form of a rule strategy: the rules evaluated over whole arrays.

Indicators run their Numba ``compute`` kernels; everything else is one NumPy
operation per node on float64 or bool arrays. Each float operation is the same
IEEE operation the reference form performs on one bar (``fastbt.rules.stream``),
so both give identical bits.
"""

import numpy as np

from fastbt.kernels.signals import crossover
from fastbt.rules.definition import RuleSet, distinct
from fastbt.rules.nodes import (
    Arithmetic,
    Compare,
    Const,
    Cross,
    IndicatorCall,
    Logic,
    Negate,
    Not,
    Output,
    ParamRef,
    Price,
    Shift,
)

_ARITHMETIC = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}
_COMPARE = {">": np.greater, "<": np.less, ">=": np.greater_equal, "<=": np.less_equal}


def param_value(arg, spec, values: dict):
    """An indicator parameter's value for this run, as the kind's type."""
    value = arg.value if isinstance(arg, Const) else values[arg.name]
    return spec.kind(value)


def evaluate(rules: RuleSet, columns: dict, values: dict) -> dict:
    """Every distinct node's array (by ``key``) for bars ``columns`` and parameter ``values``."""
    return evaluate_nodes(rules.roots(), columns, values)


def evaluate_nodes(roots, columns: dict, values: dict) -> dict:
    """``evaluate`` for the nodes under ``roots``."""
    n = len(columns["close"])
    out: dict = {}
    for node in distinct(roots):
        out[node.key()] = _node(node, out, columns, values, n)
    return out


def _node(node, out: dict, columns: dict, values: dict, n: int):
    get = lambda child: out[child.key()]  # noqa: E731
    if isinstance(node, Price):
        return np.ascontiguousarray(columns[node.column], dtype=np.float64)
    if isinstance(node, Const):
        return np.full(n, float(node.value))
    if isinstance(node, ParamRef):
        return np.full(n, float(values[node.name]))
    if isinstance(node, IndicatorCall):
        inputs = [np.ascontiguousarray(get(i)) for i in node.inputs]
        params = [
            param_value(a, s, values) for a, s in zip(node.args, node.kind.params, strict=True)
        ]
        return node.kind.compute(*inputs, *params)
    if isinstance(node, Output):
        return np.asarray(get(node.call)[node.index], dtype=np.float64)
    with np.errstate(all="ignore"):
        if isinstance(node, Arithmetic):
            return _ARITHMETIC[node.op](get(node.a), get(node.b))
        if isinstance(node, Negate):
            return np.negative(get(node.a))
        if isinstance(node, Compare):
            return _COMPARE[node.op](get(node.a), get(node.b))
        if isinstance(node, Cross):
            return crossing(get(node.a), get(node.b), node.above)
    if isinstance(node, Logic):
        return (np.logical_and if node.op == "&" else np.logical_or)(get(node.a), get(node.b))
    if isinstance(node, Not):
        return np.logical_not(get(node.a))
    if isinstance(node, Shift):
        return shifted(get(node.a), node.n)
    raise TypeError(f"unknown rule node {type(node).__name__}")


def crossing(a: np.ndarray, b: np.ndarray, above: bool) -> np.ndarray:
    """Bar i where ``a`` crosses ``b``: strict now, non-strict at i-1; never at bar 0
    (the kernels' ``crossover``, one pass without temporaries)."""
    return crossover(np.ascontiguousarray(a), np.ascontiguousarray(b), above)


def shifted(a: np.ndarray, n: int) -> np.ndarray:
    """``a`` moved ``n`` bars later; the first ``n`` bars undefined (NaN, or False)."""
    out = np.full(a.shape[0], np.nan) if a.dtype != np.bool_ else np.zeros(a.shape[0], np.bool_)
    if n < a.shape[0]:
        out[n:] = a[: a.shape[0] - n]
    return out


class RuleSignals:
    """``signals(open, high, low, close, volume, *values) -> (entry, exit)`` of a rule
    strategy (values in the order of its params)."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.names = [p.name for p in rules.params]

    def __call__(self, open_, high, low, close, volume, *values):
        columns = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
        arrays = evaluate(self.rules, columns, dict(zip(self.names, values, strict=True)))
        return tuple(arrays[root.key()] for root in self.rules.roots())
