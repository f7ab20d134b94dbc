"""``strategy(...)`` / ``Strategy.from_rules``: a rule strategy as a normal ``fastbt.Strategy``."""

from fastbt.rules.arrays import RuleSignals, evaluate
from fastbt.rules.definition import (
    RuleSet,
    check_rule,
    constraint,
    constraint_text,
    gather_params,
    indicator_constraints,
)
from fastbt.rules.nodes import Compare, Const, Cross, Output, ParamRef
from fastbt.rules.stream import reference_class
from fastbt.strategies.spec import Constraint, Indicator, Strategy


def strategy(
    name: str,
    *,
    entry,
    exit,
    constraints=(),
    description: str = "",
) -> Strategy:
    """A ``fastbt.Strategy`` from ``entry`` and ``exit`` rules (conditions).

    Both forms come from the rules: ``signals`` evaluates them over arrays, the
    reference form one bar at a time, so ``fastbt.verify`` needs nothing more.
    ``constraints``: strings like ``"fast < slow"`` or ``"slow < n_bars"``,
    comparisons of param objects, or ``fastbt.Constraint``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a strategy needs a name (a non-empty string), got {name!r}")
    if isinstance(constraints, str | Constraint | Compare):
        constraints = (constraints,)  # one constraint given on its own
    rules = (("entry", check_rule("entry", entry, True)), ("exit", check_rule("exit", exit, True)))
    params = gather_params(rules)
    texts = tuple(t for t in map(constraint_text, constraints) if t is not None)
    ruleset = RuleSet(rules, params, texts)
    return Strategy(
        name=name,
        description=description or f"entry: {entry!r}; exit: {exit!r}",
        params=params,
        signals=RuleSignals(ruleset),
        reference=reference_class(name, ruleset),
        constraints=tuple(constraint(c, params) for c in constraints)
        + indicator_constraints(rules),
        indicators=RuleIndicators(ruleset),
        rules=ruleset,
    )


class RuleIndicators:
    """What a price chart draws for a rule strategy: every indicator output the rules
    use (over the price or in a panel, as its kind says), with the constants and
    parameters a panel indicator is compared with or crossed as levels."""

    def __init__(self, rules: RuleSet):
        self.rules = rules
        self.names = [p.name for p in rules.params]

    def __call__(self, open_, high, low, close, volume, *values) -> list[Indicator]:
        values = dict(zip(self.names, values, strict=True))
        columns = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
        arrays = evaluate(self.rules, columns, values)
        outputs = [n for n in self.rules.distinct() if isinstance(n, Output)]
        return [
            Indicator(
                _label(node, values),
                arrays[node.key()],
                node.call.kind.overlay,
                () if node.call.kind.overlay else self._levels(node, values),
            )
            for node in outputs
        ]

    def _levels(self, output: Output, values: dict) -> tuple[float, ...]:
        levels = []
        for node in self.rules.distinct():
            if isinstance(node, Compare | Cross):
                for this, other in ((node.a, node.b), (node.b, node.a)):
                    if this.key() == output.key() and isinstance(other, Const | ParamRef):
                        level = other.value if isinstance(other, Const) else values[other.name]
                        levels.append(float(level))
        return tuple(dict.fromkeys(levels))


def _label(output: Output, values: dict) -> str:
    """``bbands(close, 20, 2.0).lower`` with this run's parameter values."""
    call = output.call
    args = [repr(values[a.name]) if isinstance(a, ParamRef) else repr(a) for a in call.args]
    text = f"{call.kind.name}({', '.join([*map(repr, call.inputs), *args])})"
    return text if len(call.kind.outputs) == 1 else f"{text}.{output.name}"
