"""Rule expression nodes: what a rule strategy is made of (docs/strategies.md).

A node is either a **number** series (a price column, a constant, a parameter, an
indicator output, arithmetic on these) or a **condition** (a comparison, a
crossing, ``&``, ``|``, ``~``); ``shift`` keeps the type of what it shifts. Types
are checked when a node is built, so a mistake fails where it is written, naming
the bad part. Undefined values (indicator warm-up, bars before the first) are NaN;
NaN propagates through arithmetic, every comparison with NaN is false, a crossing
needs all four values defined, and a condition is never undefined (false).

Every node has a readable ``repr`` that is also valid Python for the same rule, a
``key`` (its structure with parameter names and constant values, for finding
repeated parts) and a ``shape`` (its structure with parameters and constants
abstracted: rules of the same shape share one compiled sweep kernel).
"""

import math
import numbers
from typing import ClassVar

NUMBER = "number"
CONDITION = "condition"
SERIES = ("open", "high", "low", "close", "volume")


class Node:
    """Base of all rule nodes: operators build new nodes, with type checks."""

    type = NUMBER
    precedence = 9  # for repr: higher binds tighter (atoms)

    def children(self) -> tuple["Node", ...]:
        return ()

    def key(self) -> tuple:
        raise NotImplementedError

    def shape(self) -> tuple:
        raise NotImplementedError

    def walk(self):
        """This node and every node below it, children first (post-order)."""
        for child in self.children():
            yield from child.walk()
        yield self

    # -- arithmetic --------------------------------------------------------------
    def __add__(self, other):
        return Arithmetic("+", self, as_node(other))

    def __radd__(self, other):
        return Arithmetic("+", as_node(other), self)

    def __sub__(self, other):
        return Arithmetic("-", self, as_node(other))

    def __rsub__(self, other):
        return Arithmetic("-", as_node(other), self)

    def __mul__(self, other):
        return Arithmetic("*", self, as_node(other))

    def __rmul__(self, other):
        return Arithmetic("*", as_node(other), self)

    def __truediv__(self, other):
        return Arithmetic("/", self, as_node(other))

    def __rtruediv__(self, other):
        return Arithmetic("/", as_node(other), self)

    def __neg__(self):
        return Negate(self)

    # -- comparisons ---------------------------------------------------------------
    def __gt__(self, other):
        return Compare(">", self, as_node(other))

    def __lt__(self, other):
        return Compare("<", self, as_node(other))

    def __ge__(self, other):
        return Compare(">=", self, as_node(other))

    def __le__(self, other):
        return Compare("<=", self, as_node(other))

    def __eq__(self, other):
        raise TypeError(
            f"`==` is not supported in rules ({self!r} == ...): computed prices are rarely "
            "exactly equal; use `>=` and `<=`, or crosses_above/crosses_below"
        )

    def __ne__(self, other):
        raise TypeError(f"`!=` is not supported in rules ({self!r} != ...); use `<` or `>`")

    __hash__ = object.__hash__

    # -- logic -------------------------------------------------------------------
    def __and__(self, other):
        return Logic("&", self, as_node(other))

    def __rand__(self, other):
        return Logic("&", as_node(other), self)

    def __or__(self, other):
        return Logic("|", self, as_node(other))

    def __ror__(self, other):
        return Logic("|", as_node(other), self)

    def __invert__(self):
        return Not(self)

    def __bool__(self):
        raise TypeError(
            f"a rule has no true/false value while it is being written ({self!r}); "
            "combine conditions with &, | and ~ (not `and`, `or`, `not`), and write "
            "`a < b < c` as `(a < b) & (b < c)`"
        )


def as_node(value) -> Node:
    """``value`` as a node: nodes as they are, numbers as constants."""
    if isinstance(value, Node):
        return value
    if isinstance(value, bool):
        raise TypeError(
            f"a Python bool ({value}) cannot be part of a rule; if it came from `==`, "
            "note that `==` is not supported (use `>=` and `<=`)"
        )
    if isinstance(value, numbers.Real):
        return Const(value)
    if isinstance(value, str):
        raise TypeError(
            f"the string {value!r} can only stand for a parameter inside an indicator "
            f"call (e.g. sma(close, {value!r})); elsewhere reuse the param(...) object"
        )
    raise TypeError(f"cannot use {type(value).__name__} {value!r} in a rule")


def _wrap(node: Node, precedence: int) -> str:
    """``repr(node)``, in parentheses when it binds looser than ``precedence``."""
    text = repr(node)
    return f"({text})" if node.precedence < precedence else text


def _need(node: Node, type_: str, where: str) -> None:
    """A TypeError naming ``node`` unless it has type ``type_``."""
    if isinstance(node, IndicatorCall):
        raise TypeError(node.pick_message(where))
    if node.type == type_:
        return
    if type_ == NUMBER:
        raise TypeError(f"{where} needs a number, but `{node!r}` is a condition (true/false)")
    raise TypeError(
        f"{where} needs a condition (true/false), but `{node!r}` is a number; "
        "compare it first, e.g. `close > sma(close, 20)`"
    )


class Price(Node):
    """One of the bar columns: open, high, low, close, volume."""

    def __init__(self, column: str):
        if column not in SERIES:
            raise ValueError(f"unknown price column {column!r} (known: {', '.join(SERIES)})")
        self.column = column

    def key(self):
        return ("price", self.column)

    shape = key

    def __repr__(self):
        return self.column


class Const(Node):
    """A number written in the rule."""

    def __init__(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"a constant must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"a constant must be finite, got {value!r}")
        self.value = int(value) if isinstance(value, numbers.Integral) else float(value)

    def key(self):
        return ("const", type(self.value).__name__, self.value)

    def shape(self):
        return ("scalar",)

    def __repr__(self):
        return repr(self.value)


class ParamRef(Node):
    """A strategy parameter used in the rule: declared here (``decl``) or named only.

    ``decl`` is a ``fastbt.Param`` for ``param(...)``; ``None`` for a string naming a
    parameter declared elsewhere in the same strategy.
    """

    def __init__(self, name: str, decl=None):
        self.name = name
        self.decl = decl

    def key(self):
        return ("param", self.name)

    def shape(self):
        return ("scalar",)

    def __repr__(self):
        return self.name


class IndicatorCall(Node):
    """An indicator kind applied to input series with parameter values (constants or
    parameters). A kind with one output is used through ``Output`` directly; with
    several, pick one by name (``bbands(...).lower``)."""

    def __init__(self, kind, inputs: tuple, args: tuple):
        self.kind = kind
        self.inputs = inputs
        self.args = args

    def children(self):
        return self.inputs + self.args

    def key(self):
        return ("call", self.kind.name, *(n.key() for n in self.children()))

    def shape(self):
        # parameter values vary per set: they pick a table row, not a compiled shape
        return ("call", self.kind.name, *(n.shape() for n in self.inputs))

    def __repr__(self):
        return f"{self.kind.name}({', '.join(repr(n) for n in self.children())})"

    def pick_message(self, where: str) -> str:
        outputs = self.kind.outputs
        return (
            f"{where} needs one series, but `{self!r}` has {len(outputs)} outputs "
            f"({', '.join(outputs)}); pick one, e.g. `{self!r}.{outputs[-1]}`"
        )

    def __getattr__(self, name: str):
        kind = self.__dict__.get("kind")
        if kind is None or name.startswith("_"):
            raise AttributeError(name)
        if name not in kind.outputs:
            raise AttributeError(
                f"indicator '{kind.name}' has no output '{name}' (outputs: {', '.join(kind.outputs)})"
            )
        return Output(self, kind.output_index(name))


class Output(Node):
    """One output series of an indicator call."""

    def __init__(self, call: IndicatorCall, index: int):
        self.call = call
        self.index = index

    @property
    def name(self) -> str:
        return self.call.kind.outputs[self.index]

    def children(self):
        return (self.call,)

    def key(self):
        return ("output", self.index, self.call.key())

    def shape(self):
        return ("output", self.index, self.call.shape())

    def __repr__(self):
        if len(self.call.kind.outputs) == 1:
            return repr(self.call)
        return f"{self.call!r}.{self.name}"


class Arithmetic(Node):
    """``a + b``, ``a - b``, ``a * b``, ``a / b`` (x / 0 is inf or NaN, as in NumPy)."""

    LEVEL: ClassVar[dict] = {"+": 4, "-": 4, "*": 5, "/": 5}

    def __init__(self, op: str, a: Node, b: Node):
        _need(a, NUMBER, f"the left side of `{op}`")
        _need(b, NUMBER, f"the right side of `{op}`")
        self.op, self.a, self.b = op, a, b
        self.precedence = self.LEVEL[op]

    def children(self):
        return (self.a, self.b)

    def key(self):
        return ("arith", self.op, self.a.key(), self.b.key())

    def shape(self):
        return ("arith", self.op, self.a.shape(), self.b.shape())

    def __repr__(self):
        # left-associative: the right operand needs parentheses at equal precedence
        return f"{_wrap(self.a, self.precedence)} {self.op} {_wrap(self.b, self.precedence + 1)}"


class Negate(Node):
    """``-a``."""

    precedence = 6

    def __init__(self, a: Node):
        _need(a, NUMBER, "`-` (negation)")
        self.a = a

    def children(self):
        return (self.a,)

    def key(self):
        return ("neg", self.a.key())

    def shape(self):
        return ("neg", self.a.shape())

    def __repr__(self):
        return f"-{_wrap(self.a, self.precedence)}"


class Compare(Node):
    """``a > b``, ``a < b``, ``a >= b``, ``a <= b``: false when either side is undefined."""

    type = CONDITION
    precedence = 3

    def __init__(self, op: str, a: Node, b: Node):
        _need(a, NUMBER, f"the left side of `{op}`")
        _need(b, NUMBER, f"the right side of `{op}`")
        self.op, self.a, self.b = op, a, b

    def children(self):
        return (self.a, self.b)

    def key(self):
        return ("compare", self.op, self.a.key(), self.b.key())

    def shape(self):
        return ("compare", self.op, self.a.shape(), self.b.shape())

    def __repr__(self):
        return f"{_wrap(self.a, 4)} {self.op} {_wrap(self.b, 4)}"


class Cross(Node):
    """``a`` crosses above (below) ``b`` at bar i: ``a[i] > b[i]`` and
    ``a[i-1] <= b[i-1]`` (``<``, ``>=`` for below). A tie at the earlier bar counts;
    an undefined value at either bar never crosses."""

    type = CONDITION

    def __init__(self, a: Node, b: Node, above: bool):
        name = "crosses_above" if above else "crosses_below"
        _need(a, NUMBER, f"the first argument of {name}")
        _need(b, NUMBER, f"the second argument of {name}")
        self.a, self.b, self.above = a, b, above

    def children(self):
        return (self.a, self.b)

    def key(self):
        return ("cross", self.above, self.a.key(), self.b.key())

    def shape(self):
        return ("cross", self.above, self.a.shape(), self.b.shape())

    def __repr__(self):
        name = "crosses_above" if self.above else "crosses_below"
        return f"{name}({self.a!r}, {self.b!r})"


class Logic(Node):
    """``a & b`` and ``a | b`` on conditions."""

    type = CONDITION

    def __init__(self, op: str, a: Node, b: Node):
        _need(a, CONDITION, f"the left side of `{op}`")
        _need(b, CONDITION, f"the right side of `{op}`")
        self.op, self.a, self.b = op, a, b
        self.precedence = 2 if op == "&" else 1

    def children(self):
        return (self.a, self.b)

    def key(self):
        return ("logic", self.op, self.a.key(), self.b.key())

    def shape(self):
        return ("logic", self.op, self.a.shape(), self.b.shape())

    def __repr__(self):
        # comparisons bind looser than & and | in Python: parenthesise them
        return f"{_wrap(self.a, 4)} {self.op} {_wrap(self.b, 4)}"


class Not(Node):
    """``~a``: true where the condition ``a`` is false (also during warm-up)."""

    type = CONDITION
    precedence = 6

    def __init__(self, a: Node):
        _need(a, CONDITION, "`~`")
        self.a = a

    def children(self):
        return (self.a,)

    def key(self):
        return ("not", self.a.key())

    def shape(self):
        return ("not", self.a.shape())

    def __repr__(self):
        return f"~{_wrap(self.a, 7)}"


class Shift(Node):
    """The value of ``a`` ``n`` bars earlier (``n >= 1``): NaN, or false for a condition,
    on the first ``n`` bars."""

    def __init__(self, a: Node, n: int):
        if isinstance(a, IndicatorCall):
            raise TypeError(a.pick_message("shift"))
        if isinstance(n, bool) or not isinstance(n, numbers.Integral):
            raise TypeError(f"shift({a!r}, {n!r}): n must be a whole number of bars, >= 1")
        if n < 1:
            problem = "is the expression itself" if n == 0 else f"would look {-n} bar(s) ahead"
            raise ValueError(
                f"shift({a!r}, {n}) {problem}: a rule may only use the current and "
                "earlier bars; n must be >= 1 (bars earlier)"
            )
        self.a, self.n = a, int(n)
        self.type = a.type

    def children(self):
        return (self.a,)

    def key(self):
        return ("shift", self.n, self.a.key())

    def shape(self):
        return ("shift", self.n, self.a.shape())

    def __repr__(self):
        return f"shift({self.a!r}, {self.n})"
