"""Rule strategies as JSON (fastbt.rules.json_form): a lossless round trip, and errors
that name the path of the bad part. Reading JSON never evaluates code."""

import json

import numpy as np
import pytest

import fastbt
from fastbt.data.validate import bar_arrays
from fastbt.rules import (
    close,
    crosses_above,
    high,
    low,
    open_,
    param,
    rsi,
    shift,
    sma,
    strategy_from_json,
    strategy_to_json,
)
from fastbt.rules.json_form import RuleJSONError
from tests.rule_kinds import CHANNEL  # noqa: F401  (registers test_channel)


def _rich():
    k = param("k", 0.5, 0.0, 5.0, doc="band offset")
    fast, slow = param("fast", 3, 1), param("slow", 12, 2)
    return fastbt.Strategy.from_rules(
        "rich",
        description="every kind of node",
        entry=crosses_above(sma(close, fast), sma(close, slow))
        & ~(shift(rsi(close, 5) > 70, 2) | (-(close - open_) / (high - low + 0.1) > k)),
        exit=close < fastbt.rules.test_channel(high, low, "slow", k).lower * 1.01,
        constraints=["fast < slow", slow < 300, "slow < n_bars"],
    )


def _signals(strategy, **values):
    arrays = bar_arrays(fastbt.load("GOOG"))
    columns = [arrays[c] for c in ("open", "high", "low", "close", "volume")]
    return strategy.signals(*columns, *({**strategy.defaults, **values}).values())


def test_a_strategy_survives_a_round_trip_through_json_text():
    original = _rich()
    document = json.loads(json.dumps(strategy_to_json(original)))
    assert document["constraints"] == ["fast < slow", "slow < 300", "slow < n_bars"]
    assert document["exit"]["args"][1]["args"][0]["output"] == "lower"
    copy = strategy_from_json(document)
    assert [n.key() for n in copy.rules.roots()] == [n.key() for n in original.rules.roots()]
    assert copy.params == original.params and copy.description == original.description
    for got, want in zip(_signals(copy, fast=4), _signals(original, fast=4), strict=True):
        assert np.array_equal(got, want)
    with pytest.raises(ValueError, match="fast < slow, got fast=20 slow=10"):
        copy.resolve({"fast": 20, "slow": 10}, 500)


@pytest.mark.parametrize("name", ["ma_cross", "rsi"])
def test_built_ins_have_a_json_form(name):
    built_in = fastbt.get_strategy(name)
    copy = strategy_from_json(json.loads(json.dumps(strategy_to_json(built_in))))
    assert repr(copy.rules.roots()) == repr(built_in.rules.roots())
    assert copy.params == built_in.params


def _with(**changes):
    document = strategy_to_json(_rich())
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is KeyError:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            _with(entry__args__0__args__0__indicator="smaa"),
            r"entry.args\[0\].args\[0\].indicator: unknown indicator 'smaa'",
        ),
        (_with(entry__op="xor"), r"entry.op: unknown op 'xor' \(ops: "),
        (_with(exit__args=[{"price": "close"}]), r"exit: op '<' takes 2 argument"),
        (
            _with(entry__args__0__args__0__params=[{"param": "fats"}]),
            r"params\[0\]: unknown parameter 'fats' \(declared in params: fast, slow, k\)",
        ),
        (
            _with(entry__args__0__args__0__params=["fast"]),
            r"params\[0\]: expected a number or \{\"param\": name\}, got 'fast'",
        ),
        (
            _with(exit__args__1__args__0={}),
            r"exit.args\[1\].args\[0\]: an object node needs one of",
        ),
        (
            _with(exit__args__1__args__0__output=KeyError),
            r"exit.args\[1\].args\[0\]: this node needs one series.*add \"output\"",
        ),
        (
            _with(exit__args__1__args__0__output="middle"),
            r"exit.args\[1\].args\[0\].output: indicator 'test_channel' has no output 'middle'",
        ),
        (
            _with(entry__args__0__args__1__output="value"),
            r"entry.args\[0\].args\[1\]: indicator 'sma' has one output",
        ),
        (
            _with(exit__args__0={"price": "close_price"}),
            r"exit.args\[0\]: unknown price column 'close_price'",
        ),
        (_with(exit__args__0=True), r"exit.args\[0\]: expected a number or an object, got True"),
        (
            _with(entry__args__1__args__0__args__0__n=-1),
            r"entry.args\[1\].args\[0\].args\[0\]: shift\(.*look 1 bar\(s\) ahead",
        ),
        (_with(entry__op="+"), r"entry: the left side of `\+` needs a number"),
        (_with(params__0__default="a"), r"params\[0\]: param 'fast': default must be a number"),
        (_with(extra=1), r"unknown field\(s\) extra"),
        (_with(entry=KeyError), r"field 'entry' is missing"),
        (_with(constraints=["fast << slow"]), r"constraint 'fast << slow' must compare"),
    ],
)
def test_a_bad_document_is_an_error_naming_the_path(document, message):
    with pytest.raises(ValueError, match=message):
        strategy_from_json(document)


def test_a_declared_parameter_that_no_rule_uses_is_an_error():
    document = _with()
    document["params"].append({"name": "unused", "default": 1})
    with pytest.raises(ValueError, match="params unused are declared but used by neither"):
        strategy_from_json(document)


def test_an_error_carries_the_path_as_keys_and_positions():
    document = _with(entry__args__0__args__0__params=[{"param": "fats"}])
    with pytest.raises(RuleJSONError) as raised:
        strategy_from_json(document)
    assert raised.value.path == ("entry", "args", 0, "args", 0, "params", 0)
    assert str(raised.value).startswith("entry.args[0].args[0].params[0]: unknown parameter")
