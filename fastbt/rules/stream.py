"""The reference form of a rule strategy: the same rules interpreted one bar at a time.

Each bar, every distinct node is evaluated once, children first, in plain Python
floats and bools: indicators through their streaming ``reference`` objects (fed
one input value per bar), a crossing from its operands' values at this bar and
the previous one, a shift from a buffer of its operand's last values. Undefined
numbers are NaN (an indicator's None becomes NaN), so the operations are the same
IEEE operations the array form performs (``fastbt.rules.arrays``).
"""

import math
from collections import deque

from fastbt.reference.history import History
from fastbt.reference.strategies import ReferenceStrategy
from fastbt.rules.arrays import param_value
from fastbt.rules.definition import OPERATORS, RuleSet
from fastbt.rules.nodes import (
    CONDITION,
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


def divide(a: float, b: float) -> float:
    """``a / b`` with NumPy's answers for a zero divisor: +-inf, or NaN for 0/0 and NaN/0."""
    if b != 0.0:
        return a / b
    if a != a or a == 0.0:
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


_ARITHMETIC = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": divide,
}


def _defined(value) -> float:
    return math.nan if value is None else float(value)


class RuleReference(ReferenceStrategy):
    """Bar-by-bar evaluation of ``rules`` (set on a subclass per strategy)."""

    rules: RuleSet

    def __init__(self, **params):
        super().__init__(**params)
        self.nodes = self.rules.distinct()
        self.position = {node.key(): pos for pos, node in enumerate(self.nodes)}
        self.state = [self._start(node) for node in self.nodes]
        self.roots = [self.position[root.key()] for root in self.rules.roots()]

    def _start(self, node):
        """The state a node keeps between bars."""
        if isinstance(node, IndicatorCall):
            spec = node.kind.params
            return node.kind.reference(
                *(param_value(a, s, self.params) for a, s in zip(node.args, spec, strict=True))
            )
        if isinstance(node, Cross):
            return [math.nan, math.nan]  # operands at the previous bar (none before bar 0)
        if isinstance(node, Shift):
            return deque(maxlen=node.n)
        return None

    def step(self, history: History) -> list:
        """The value of every distinct node (``self.nodes``) at the newest bar."""
        values = []
        for pos, node in enumerate(self.nodes):
            values.append(self._value(pos, node, values, history))
        return values

    def generate_signals(self, history: History) -> tuple:
        values = self.step(history)
        return tuple(values[pos] for pos in self.roots)

    def _value(self, pos: int, node, values: list, history: History):
        get = lambda child: values[self.position[child.key()]]  # noqa: E731
        if isinstance(node, Price):
            return getattr(history, node.column)[-1]
        if isinstance(node, Const):
            return float(node.value)
        if isinstance(node, ParamRef):
            return float(self.params[node.name])
        if isinstance(node, IndicatorCall):
            return tuple(_defined(v) for v in self.state[pos].update(*map(get, node.inputs)))
        if isinstance(node, Output):
            return get(node.call)[node.index]
        if isinstance(node, Arithmetic):
            return _ARITHMETIC[node.op](get(node.a), get(node.b))
        if isinstance(node, Negate):
            return -get(node.a)
        if isinstance(node, Compare):
            return OPERATORS[node.op](get(node.a), get(node.b))
        if isinstance(node, Cross):
            return self._cross(self.state[pos], get(node.a), get(node.b), node.above)
        if isinstance(node, Logic):
            a, b = get(node.a), get(node.b)
            return (a and b) if node.op == "&" else (a or b)
        if isinstance(node, Not):
            return not get(node.a)
        if isinstance(node, Shift):
            return self._shift(self.state[pos], get(node.a), node)
        raise TypeError(f"unknown rule node {type(node).__name__}")

    @staticmethod
    def _cross(previous: list, a: float, b: float, above: bool) -> bool:
        """Strict at this bar, non-strict at the previous one; NaN never crosses."""
        a_prev, b_prev = previous
        previous[:] = [a, b]
        if above:
            return a > b and a_prev <= b_prev
        return a < b and a_prev >= b_prev

    @staticmethod
    def _shift(buffer: deque, value, node: Shift):
        """The value ``node.n`` bars ago (undefined until that many bars were seen)."""
        if len(buffer) == node.n:
            earlier = buffer[0]
        else:
            earlier = False if node.type == CONDITION else math.nan
        buffer.append(value)
        return earlier


def reference_class(name: str, rules: RuleSet) -> type[RuleReference]:
    """A ``RuleReference`` subclass for one strategy, named after it."""
    title = "".join(part.capitalize() for part in name.replace("-", "_").split("_")) or "Rule"
    return type(f"{title}Rules", (RuleReference,), {"rules": rules, "__module__": __name__})
