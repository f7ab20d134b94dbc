"""Rule strategies sent to the REST service as JSON expression trees: run like the
library runs them, refused with 422 naming the bad part, held to the server's limits."""

import copy
import math

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
pytest.importorskip("sqlalchemy")

import pandas as pd

import fastbt
from fastbt.rules import strategy_from_json, strategy_to_json
from fastbt.server.rule_input import MAX_CONSTRAINTS, MAX_DEPTH, MAX_NODES, MAX_SHIFT
from fastbt.server.schemas import RULE_EXAMPLE
from tests.server_fixtures import Server, wait_for

# RULE_EXAMPLE (bb_revert's rules under another name) plus a filter: only while close
# is above its own value 3 bars earlier, so shift and & are exercised too.
RULES = copy.deepcopy(RULE_EXAMPLE)
RULES["entry"] = {
    "op": "&",
    "args": [
        RULES["entry"],
        {
            "op": ">",
            "args": [{"price": "close"}, {"op": "shift", "args": [{"price": "low"}], "n": 3}],
        },
    ],
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("api-rules"), "--workers", "1").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def alice(server):
    with server.client(server.add_user("alice")) as client:
        yield client


def assert_same_metrics(got: dict, expected: dict) -> None:
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(got[name]), name
        else:
            assert got[name] == value, name


def _run_backtest(client, body) -> dict:
    created = client.post("/backtests", json=body)
    assert created.status_code == 202, created.text
    return wait_for(client, f"/backtests/{created.json()['id']}", timeout=300)


def test_a_rule_backtest_equals_fastbt_run(alice):
    body = {"symbol": "GOOG", "strategy": RULES, "params": {"window": 15, "k": 1.5}}
    state = _run_backtest(alice, body)
    assert state["status"] == "completed", state
    strategy = strategy_from_json(RULES)
    assert state["strategy"] == "my_bb"
    assert state["rules"] == strategy_to_json(strategy)  # stored as read, shown back
    served = fastbt.Result.from_dict(alice.get(f"/backtests/{state['id']}/results").json())
    expected = fastbt.run("GOOG", strategy, window=15, k=1.5)
    assert expected.metrics["n_trades"] > 5
    assert_same_metrics(served.metrics, expected.metrics)
    pd.testing.assert_series_equal(served.equity, expected.equity, check_freq=False)
    pd.testing.assert_frame_equal(served.trades, expected.trades)
    chart = alice.get(f"/backtests/{state['id']}/chart", params={"chart_type": "price"})
    assert chart.status_code == 200 and chart.content[:4] == b"\x89PNG"


def test_a_rule_sweep_equals_fastbt_sweep(alice):
    grid = {"window": {"start": 10, "stop": 40, "step": 10}, "k": [1.5, 2.0, 2.5]}
    body = {
        "symbols": ["GOOG"],
        "strategy": RULE_EXAMPLE,
        "grid": grid,
        "options": {"fill": "close"},
    }
    created = alice.post("/sweeps", json=body)
    assert created.status_code == 202, created.text
    assert created.json()["n_sets"] == 9
    state = wait_for(alice, f"/sweeps/{created.json()['id']}", timeout=600)
    assert state["status"] == "completed", state
    assert state["rules"]["entry"] == RULE_EXAMPLE["entry"]
    url = f"/sweeps/{state['id']}/results"
    served = pd.DataFrame(alice.get(url, params={"limit": 1000}).json()["rows"])
    expected = fastbt.sweep(
        ["GOOG"],
        strategy_from_json(RULE_EXAMPLE),
        {"window": [10, 20, 30], "k": [1.5, 2.0, 2.5]},
        fill="close",
        progress=False,
    )
    ranked = fastbt.top(expected, len(expected), "sharpe", min_trades=0).reset_index(drop=True)
    pd.testing.assert_frame_equal(served, ranked, check_dtype=False, check_exact=True)


def _changed(path: str, value) -> dict:
    """RULES with the part at ``path`` (keys and positions, dot-separated) replaced."""
    document = copy.deepcopy(RULES)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = document
    for part in parents:
        target = target[part]
    target[last] = value
    return document


LOOK_AHEAD = {"op": "shift", "args": [{"op": ">", "args": [{"price": "close"}, 1]}], "n": -1}


@pytest.mark.parametrize(
    ("strategy", "loc", "words"),
    [
        (
            _changed("entry.args.0.args.1.indicator", "bbandz"),
            ["entry", "args", 0, "args", 1, "indicator"],
            "unknown indicator 'bbandz'",
        ),
        (
            _changed("entry.args.0.args.1.params.0", {"param": "windw"}),
            ["entry", "args", 0, "args", 1, "params", 0],
            "unknown parameter 'windw'",
        ),
        (
            _changed("entry.args.1.args.1", LOOK_AHEAD),
            ["entry", "args", 1, "args", 1],
            "would look 1 bar(s) ahead",
        ),
        (_changed("entry.args.1.op", "=="), ["entry", "args", 1, "op"], "unknown op '=='"),
        (_changed("exit", {"price": "close"}), ["exit"], "must be a condition"),
        (_changed("exit.args.1.output", "centre"), ["exit", "args", 1, "output"], "no output"),
        (_changed("exit.args.0", {"price": "adj_close"}), ["exit", "args", 0], "unknown price"),
        (
            _changed("params.0.default", 2.5),
            ["entry", "args", 0, "args", 1],
            "needs a whole number",
        ),
        (_changed("constraints", ["window < x"]), [], "names 'x', which is not a parameter"),
        (_changed("name", "bb_revert"), ["name"], "name of a registered strategy"),
        (_changed("name", "a\x00b"), ["name"], "NUL"),
        (_changed("exit.args.0", 10**400), ["exit", "args", 0], "too large"),
        (_changed("colour", "red"), ["colour"], "unknown field(s) colour"),
        (_changed("params.1.name", {}), ["params", 1, "name"], "must be a string"),
        (42, [], "must be a strategy name"),
    ],
)
def test_bad_rule_strategies_are_422_naming_the_path(alice, strategy, loc, words):
    body = {"symbol": "GOOG", "strategy": strategy}
    response = alice.post("/backtests", json=body)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "strategy", *loc], error
    assert words in error["msg"], error


def test_sweep_grids_are_checked_against_the_rule_strategys_params(alice):
    body = {"symbols": ["GOOG"], "strategy": RULE_EXAMPLE, "grid": {"windw": [10, 20]}}
    response = alice.post("/sweeps", json=body)
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"][:2] == ["body", "grid"] and "windw" in error["msg"], error


def _chain(op: str, leaf, length: int):
    """``length`` nodes: ``op`` applied again and again around ``leaf``."""
    node = leaf
    for _ in range(length - 1):
        node = {"op": op, "args": [node]}
    return node


CONDITION = {"op": ">", "args": [{"price": "close"}, 1]}


def _balanced(leaves: int):
    """``CONDITION & CONDITION & ...`` with ``leaves`` comparisons, as a balanced tree."""
    if leaves == 1:
        return CONDITION
    return {"op": "&", "args": [_balanced(leaves // 2), _balanced(leaves - leaves // 2)]}


@pytest.mark.parametrize(
    ("change", "loc", "words"),
    [
        # depth: ~ (not) around ~ ... around a comparison, one level too many
        (
            {"entry": _chain("~", CONDITION, MAX_DEPTH)},
            ["entry", *["args", 0] * MAX_DEPTH],
            f"at most {MAX_DEPTH}",
        ),
        # nodes: a balanced & of 32 comparisons (127 nodes, 7 levels)
        ({"exit": _balanced(32)}, [], f"at most {MAX_NODES} nodes"),
        (
            {"exit": {"op": "shift", "args": [CONDITION], "n": MAX_SHIFT + 1}},
            ["exit", "n"],
            f"at most {MAX_SHIFT:,}",
        ),
        ({"constraints": ["window < 500"] * (MAX_CONSTRAINTS + 1)}, ["constraints"], "at most"),
        ({"name": "x" * 101}, ["name"], "at most 100"),
    ],
)
def test_limits_are_enforced(alice, change, loc, words):
    document = copy.deepcopy(RULE_EXAMPLE) | change
    response = alice.post("/backtests", json={"symbol": "GOOG", "strategy": document})
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "strategy", *loc], error
    assert words in error["msg"], error


def test_a_tree_at_the_limits_is_accepted(alice):
    """Depth exactly MAX_DEPTH (a deeper one is refused above) runs."""
    document = copy.deepcopy(RULE_EXAMPLE)
    document["entry"] = {
        "op": "&",
        "args": [document["entry"], _chain("~", CONDITION, MAX_DEPTH - 2)],
    }
    state = _run_backtest(alice, {"symbol": "GOOG", "strategy": document})
    assert state["status"] == "completed", state


def test_the_openapi_schema_documents_the_json_form(server):
    with server.client() as client:
        schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    assert {"RuleStrategy", "OpNode", "IndicatorNode", "PriceNode", "ParamNode"} <= set(components)
    assert components["RuleStrategy"]["examples"] == [RULE_EXAMPLE]
    assert "crosses_above" in components["OpNode"]["properties"]["op"]["enum"]
    strategy = components["BacktestCreate"]["properties"]["strategy"]
    assert {"$ref": "#/components/schemas/RuleStrategy"} in strategy["anyOf"]
    examples = components["SweepCreate"]["examples"]
    assert any(e["strategy"] == RULE_EXAMPLE for e in examples)
    # the example itself is a valid strategy
    assert strategy_from_json(RULE_EXAMPLE).name == "my_bb"


def test_rule_runs_survive_a_restart(tmp_path):
    server = Server(tmp_path / "api", "--workers", "1").start()
    try:
        token = server.add_user("dora")
        with server.client(token) as client:
            done = _run_backtest(client, {"symbol": "GOOG", "strategy": RULES})
            results = client.get(f"/backtests/{done['id']}/results").json()
            body = {"symbols": ["GOOG"], "strategy": RULE_EXAMPLE, "grid": {"k": [1.0, 2.0]}}
            sweep = wait_for(
                client, f"/sweeps/{client.post('/sweeps', json=body).json()['id']}", timeout=600
            )
            assert sweep["status"] == "completed", sweep
            rows = client.get(f"/sweeps/{sweep['id']}/results").json()
        server.stop()
        server.start()
        with server.client(token) as client:
            assert client.get(f"/backtests/{done['id']}").json() == done
            assert done["rules"] == strategy_to_json(strategy_from_json(RULES))
            assert client.get(f"/backtests/{done['id']}/results").json() == results
            assert client.get(f"/sweeps/{sweep['id']}").json()["rules"] == sweep["rules"]
            assert client.get(f"/sweeps/{sweep['id']}/results").json() == rows
            report = client.get(f"/backtests/{done['id']}/report")
            assert report.status_code == 200 and "my_bb" in report.text
    finally:
        server.stop()
