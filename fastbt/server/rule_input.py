"""Rule strategies sent to the service as JSON (docs/service.md, "Rule strategies").

A request may carry, instead of a strategy name, the JSON form of a rule strategy
(``fastbt.rules.strategy_to_json``). It is read with the library's own
``strategy_from_json``, which builds nodes from plain data and never evaluates code;
its errors locate the bad part, so a client gets 422 with ``loc`` such as
``body.strategy.entry.args[1].indicator``. Before that, the document is held to
limits: every sweep of a new rule shape compiles a kernel, whose source and compile
time grow with the tree, so one request must not be able to ask for an unbounded one.
"""

import fastbt
from fastbt.options import finite_number
from fastbt.rules.json_form import RuleJSONError, strategy_from_json, strategy_to_json
from fastbt.server.invalid import InvalidInput
from fastbt.server.schemas import plain_text

MAX_DEPTH = 16  # levels of an entry or exit tree (the root is level 1)
MAX_NODES = 100  # nodes of entry and exit together (numbers and objects)
MAX_SHIFT = 100_000  # bars a shift may look back
MAX_CONSTRAINTS = 20
MAX_NAME = 100  # characters of the strategy's name (as of a registered strategy's)
MAX_DESCRIPTION = 5000
LIMITS_DOC = (
    f"at most {MAX_NODES} nodes in entry and exit together, nested at most {MAX_DEPTH} "
    f"levels deep, shifts of at most {MAX_SHIFT:,} bars, {MAX_CONSTRAINTS} constraints, "
    f"a name of at most {MAX_NAME} characters"
)


def rule_strategy(document: dict, where: tuple = ("body", "strategy")) -> fastbt.Strategy:
    """The strategy of a JSON rule document, checked as ``strategy_from_json`` checks
    it and within this server's limits; an ``InvalidInput`` located under ``where``."""
    _plain_values(document, where)
    _within_limits(document, where)
    try:
        spec = strategy_from_json(document)
    except RuleJSONError as error:
        raise InvalidInput((*where, *error.path), str(error)) from None
    if spec.name in {registered.name for registered in fastbt.list_strategies()}:
        raise InvalidInput(
            (*where, "name"),
            f"'{spec.name}' is the name of a registered strategy; send "
            f'"strategy": "{spec.name}" to run that one, or give these rules another name',
        )
    return spec


def stored_form(spec: fastbt.Strategy) -> dict:
    """What is stored with the run and shown back: the strategy's JSON form as read
    (parameter bounds narrowed to what its indicators accept)."""
    return strategy_to_json(spec)


def _plain_values(document, where: tuple) -> None:
    """Every key and string plain text, every number one a float can hold (as every
    other field of a request), walked without recursion."""
    stack = [((), document)]
    while stack:
        path, value = stack.pop()
        try:
            if isinstance(value, str):
                plain_text(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                finite_number("the number", value)
        except ValueError as error:
            raise InvalidInput((*where, *path), str(error)) from None
        if isinstance(value, dict):
            for key, item in value.items():
                try:
                    plain_text(key)
                except ValueError as error:
                    raise InvalidInput((*where, *path), f"a key {error}") from None
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in enumerate(value))


def _within_limits(document, where: tuple) -> None:
    if not isinstance(document, dict):
        return  # strategy_from_json says what it must be
    name, description = document.get("name"), document.get("description", "")
    if isinstance(name, str) and len(name) > MAX_NAME:
        raise InvalidInput(
            (*where, "name"), f"the name has {len(name)} characters; at most {MAX_NAME}"
        )
    if isinstance(description, str) and len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            (*where, "description"),
            f"the description has {len(description)} characters; at most {MAX_DESCRIPTION}",
        )
    constraints = document.get("constraints", [])
    if isinstance(constraints, list) and len(constraints) > MAX_CONSTRAINTS:
        raise InvalidInput(
            (*where, "constraints"),
            f"{len(constraints)} constraints; this server accepts at most {MAX_CONSTRAINTS}",
        )
    stack = [((rule,), document[rule], 1) for rule in ("exit", "entry") if rule in document]
    count = 0
    while stack:
        path, node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise InvalidInput(
                where,
                f"entry and exit have more than {MAX_NODES} nodes together; this server "
                f"accepts at most {MAX_NODES} ({LIMITS_DOC}): split the idea into simpler "
                "rules, or run it with the library",
            )
        if depth > MAX_DEPTH:
            raise InvalidInput(
                (*where, *path),
                f"the rule is nested more than {MAX_DEPTH} levels deep here; this server "
                f"accepts at most {MAX_DEPTH} ({LIMITS_DOC})",
            )
        if not isinstance(node, dict):
            continue
        shift = node.get("n")
        if node.get("op") == "shift" and isinstance(shift, int) and shift > MAX_SHIFT:
            raise InvalidInput(
                (*where, *path, "n"),
                f"shift by {shift:,} bars; this server accepts at most {MAX_SHIFT:,}",
            )
        for field in ("params", "inputs", "args"):
            children = node.get(field)
            if isinstance(children, list):
                stack.extend(
                    ((*path, field, i), child, depth + 1)
                    for i, child in reversed(list(enumerate(children)))
                )
