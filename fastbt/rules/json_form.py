"""Rule strategies as JSON: a tree of plain objects, read without evaluating any code
(for the service and for saving a strategy). docs/strategies.md, "Rules as JSON".

    {"name": "bb_revert",
     "params": [{"name": "window", "default": 20, "minimum": 2},
                {"name": "k", "default": 2.0, "minimum": 0.5, "maximum": 4.0}],
     "entry": {"op": "crosses_below", "args": [
                 {"price": "close"},
                 {"indicator": "bbands", "inputs": [{"price": "close"}],
                  "params": [{"param": "window"}, {"param": "k"}], "output": "lower"}]},
     "exit": ...,
     "constraints": ["fast < slow"]}

A node is a number, ``{"price": column}``, ``{"param": name}`` (declared in
``params``), ``{"indicator": kind, "inputs": [...], "params": [...], "output": name}``
(``output`` only for kinds with several), or ``{"op": op, "args": [...]}`` with op one
of ``+ - * / neg > < >= <= crosses_above crosses_below & | ~ shift`` (shift also
takes ``"n"``). Every error names the path of the bad part, e.g. ``entry.args[1]``.
"""

import numbers

from fastbt.rules.definition import check_rule, constraint_text
from fastbt.rules.language import crosses_above, crosses_below, indicator, param, shift
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
from fastbt.rules.strategy import strategy

_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "&": lambda a, b: a & b,
    "|": lambda a, b: a | b,
    "crosses_above": crosses_above,
    "crosses_below": crosses_below,
}
_UNARY = {"neg": lambda a: -a, "~": lambda a: ~a}
OPS = (*_BINARY, *_UNARY, "shift")


def node_to_json(node):
    """The JSON form of a rule node."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Price):
        return {"price": node.column}
    if isinstance(node, ParamRef):
        return {"param": node.name}
    if isinstance(node, Output):
        call = node.call
        out = {
            "indicator": call.kind.name,
            "inputs": [node_to_json(i) for i in call.inputs],
            "params": [node_to_json(a) for a in call.args],
        }
        if len(call.kind.outputs) > 1:
            out["output"] = node.name
        return out
    if isinstance(node, Arithmetic | Compare | Logic):
        return {"op": node.op, "args": [node_to_json(node.a), node_to_json(node.b)]}
    if isinstance(node, Cross):
        name = "crosses_above" if node.above else "crosses_below"
        return {"op": name, "args": [node_to_json(node.a), node_to_json(node.b)]}
    if isinstance(node, Negate | Not):
        return {"op": "neg" if isinstance(node, Negate) else "~", "args": [node_to_json(node.a)]}
    if isinstance(node, Shift):
        return {"op": "shift", "args": [node_to_json(node.a)], "n": node.n}
    raise TypeError(f"no JSON form for {type(node).__name__} `{node!r}`")


def strategy_to_json(rule_strategy) -> dict:
    """The JSON form of a strategy made from rules. Constraints written as strings or
    comparisons are kept; ``fastbt.Constraint`` objects (code) have no JSON form."""
    if rule_strategy.rules is None:
        raise ValueError(
            f"strategy '{rule_strategy.name}' is not made of rules; it has no JSON form"
        )
    params = []
    for p in rule_strategy.params:
        entry = {"name": p.name, "default": p.default}
        entry |= {
            k: v for k, v in (("minimum", p.minimum), ("maximum", p.maximum)) if v is not None
        }
        params.append(entry | ({"doc": p.doc} if p.doc else {}))
    document = {
        "name": rule_strategy.name,
        "description": rule_strategy.description,
        "params": params,
    }
    document |= {name: node_to_json(node) for name, node in rule_strategy.rules.rules}
    return document | {"constraints": list(rule_strategy.rules.constraints)}


class RuleJSONError(ValueError):
    """A bad part of a rule strategy's JSON form. ``path`` locates it: keys and list
    positions from the document's top, e.g. ``("entry", "args", 1)``; empty for the
    strategy as a whole. The message leads with the path written ``entry.args[1]``."""

    def __init__(self, path: tuple, message: str):
        super().__init__(f"{dotted(path)}: {message}" if path else message)
        self.path = path


def dotted(path: tuple) -> str:
    """``("entry", "args", 1, "output")`` as ``entry.args[1].output``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


def strategy_from_json(document: dict):
    """A ``fastbt.Strategy`` from its JSON form; a ``RuleJSONError`` (a ValueError)
    naming the bad part otherwise."""
    if not isinstance(document, dict):
        raise RuleJSONError(
            (), f"a rule strategy must be a JSON object, got {type(document).__name__}"
        )
    unknown = sorted(
        set(document) - {"name", "description", "params", "entry", "exit", "constraints"}
    )
    if unknown:
        raise RuleJSONError(
            (unknown[0],),
            f"unknown field(s) {', '.join(unknown)} (fields: name, description, params, "
            "entry, exit, constraints)",
        )
    for field in ("name", "entry", "exit"):
        if field not in document:
            raise RuleJSONError((field,), f"field '{field}' is missing")
    name = document["name"]
    if not isinstance(name, str) or not name:
        raise RuleJSONError(
            ("name",), f"a strategy needs a name (a non-empty string), got {name!r}"
        )
    params = _params(document.get("params", []))
    constraints = document.get("constraints", [])
    if not isinstance(constraints, list):
        raise RuleJSONError(
            ("constraints",), "constraints must be a list of strings like 'fast < slow'"
        )
    for position, text in enumerate(constraints):
        if not isinstance(text, str):
            raise RuleJSONError(
                ("constraints", position),
                f"a constraint is a string like 'fast < slow', got {text!r}",
            )
        _named(("constraints", position), lambda text=text: constraint_text(text))
    reader = _Reader(params)
    rules = {}
    for rule in ("entry", "exit"):
        node = reader.node(document[rule], (rule,))
        rules[rule] = _named((rule,), lambda rule=rule, node=node: check_rule(rule, node, True))
    built = _named(
        (),
        lambda: strategy(
            name,
            **rules,
            constraints=constraints,
            description=str(document.get("description", "")),
        ),
    )
    used = {p.name for p in built.params}
    unused = [name for name in params if name not in used]
    if unused:
        raise RuleJSONError(
            ("params", list(params).index(unused[0])),
            f"params {', '.join(unused)} are declared but used by neither entry nor exit",
        )
    return built


def _params(items) -> dict:
    if not isinstance(items, list):
        raise RuleJSONError(
            ("params",), "params must be a list of {name, default, minimum, maximum, doc}"
        )
    declared = {}
    for position, item in enumerate(items):
        where = ("params", position)
        if not isinstance(item, dict) or "name" not in item or "default" not in item:
            raise RuleJSONError(where, "must be an object with at least name and default")
        extra = sorted(set(item) - {"name", "default", "minimum", "maximum", "doc"})
        if extra:
            raise RuleJSONError((*where, extra[0]), f"unknown field(s) {', '.join(extra)}")
        if not isinstance(item["name"], str):
            raise RuleJSONError(
                (*where, "name"), f"a parameter's name must be a string, got {item['name']!r}"
            )
        if item["name"] in declared:
            raise RuleJSONError((*where, "name"), f"parameter '{item['name']}' is declared twice")
        declared[item["name"]] = _named(where, lambda item=item: param(**item))
    return declared


def _named(where: tuple, build):
    """``build()``, its errors re-raised as a ``RuleJSONError`` at ``where`` (one that
    already names its own path is passed on as it is)."""
    try:
        return build()
    except RuleJSONError:
        raise
    except (TypeError, ValueError, AttributeError) as error:
        raise RuleJSONError(where, str(error)) from None


class _Reader:
    """Turns JSON nodes into rule nodes, with the declared parameters."""

    def __init__(self, params: dict):
        self.params = params

    def node(self, value, where: tuple):
        if isinstance(value, bool) or value is None:
            raise RuleJSONError(where, f"expected a number or an object, got {value!r}")
        if isinstance(value, numbers.Real):
            return _named(where, lambda: Const(value))
        if not isinstance(value, dict):
            raise RuleJSONError(
                where, f"expected a number or an object, got {type(value).__name__}"
            )
        if "price" in value:
            return _named(where, lambda: Price(value["price"]))
        if "param" in value:
            return self._param(value["param"], where)
        if "indicator" in value:
            return self._indicator(value, where)
        if "op" in value:
            return self._op(value, where)
        raise RuleJSONError(where, "an object node needs one of price, param, indicator, op")

    def _param(self, name, where: tuple):
        if not isinstance(name, str) or name not in self.params:
            known = ", ".join(self.params) or "none"
            raise RuleJSONError(where, f"unknown parameter {name!r} (declared in params: {known})")
        return self.params[name]

    def _indicator(self, value: dict, where: tuple):
        inputs = value.get("inputs", [])
        params = value.get("params", [])
        if not isinstance(inputs, list) or not isinstance(params, list):
            raise RuleJSONError(where, "inputs and params of an indicator must be lists")
        function = _named((*where, "indicator"), lambda: indicator(value["indicator"]))
        args = [self.node(v, (*where, "inputs", i)) for i, v in enumerate(inputs)]
        args += [self._indicator_param(v, (*where, "params", i)) for i, v in enumerate(params)]
        call = _named(where, lambda: function(*args))
        if "output" not in value:
            if isinstance(call, IndicatorCall):
                raise RuleJSONError(where, f'{call.pick_message("this node")} (add "output")')
            return call
        if not isinstance(call, IndicatorCall):
            raise RuleJSONError(
                where, f"indicator '{value['indicator']}' has one output; drop \"output\""
            )
        output = value["output"]
        if not isinstance(output, str):
            raise RuleJSONError((*where, "output"), f"output must be a name, got {output!r}")
        return _named((*where, "output"), lambda: getattr(call, output))

    def _indicator_param(self, value, where: tuple):
        if isinstance(value, dict) and set(value) == {"param"}:
            return self._param(value["param"], where)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise RuleJSONError(where, f'expected a number or {{"param": name}}, got {value!r}')
        return value

    def _op(self, value: dict, where: tuple):
        op, args = value["op"], value.get("args", [])
        if not isinstance(op, str) or op not in OPS:
            raise RuleJSONError((*where, "op"), f"unknown op {op!r} (ops: {' '.join(OPS)})")
        count = 2 if op in _BINARY else 1
        if not isinstance(args, list) or len(args) != count:
            raise RuleJSONError(where, f"op {op!r} takes {count} argument(s) in args")
        nodes = [self.node(v, (*where, "args", i)) for i, v in enumerate(args)]
        if op == "shift":
            return _named(where, lambda: shift(nodes[0], value.get("n")))
        build = _BINARY.get(op) or _UNARY[op]
        return _named(where, lambda: build(*nodes))
