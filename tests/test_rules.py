"""The rule language (fastbt.rules): definition-time errors, hand-computed cases, and
the array form equal to the bar-by-bar form bit for bit, on random rule trees."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import fastbt
from fastbt.indicators import INDICATORS
from fastbt.reference.history import History
from fastbt.rules import (
    close,
    crosses_above,
    crosses_below,
    high,
    low,
    open_,
    param,
    rsi,
    shift,
    sma,
    volume,
)
from fastbt.rules.arrays import evaluate
from fastbt.rules.definition import RuleSet, gather_params
from fastbt.rules.nodes import CONDITION, Node
from fastbt.rules.stream import reference_class
from tests.helpers import make_bars
from tests.rule_kinds import CHANNEL  # noqa: F401  (registers test_channel)
from tests.test_properties import price_bars

pytestmark = pytest.mark.filterwarnings("ignore::fastbt.RunWarning")
channel = fastbt.rules.test_channel


def _bars(closes):
    closes = np.asarray(closes, dtype=float)
    return make_bars(closes, closes)


def _rule_strategy(entry, exit_, **kwargs):
    return fastbt.Strategy.from_rules("t", entry=entry, exit=exit_, **kwargs)


# -- definition-time errors --------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "words"),
    [
        (lambda: close & sma(close, 5), TypeError, ["left side of `&`", "`close` is a number"]),
        (lambda: (close > 1) | rsi(close), TypeError, ["right side of `|`", "rsi(close, 14)"]),
        (lambda: close + (close > 1), TypeError, ["right side of `+`", "close > 1", "condition"]),
        (lambda: ~close, TypeError, ["`~`", "`close` is a number"]),
        (lambda: crosses_above(close > 1, close), TypeError, ["first argument of crosses_above"]),
        (lambda: shift(close, -2), ValueError, ["look 2 bar(s) ahead", "n must be >= 1"]),
        (lambda: shift(close, 0), ValueError, ["the expression itself"]),
        (lambda: shift(close, 1.5), TypeError, ["whole number of bars"]),
        (lambda: sma(close, 0), ValueError, ["sma()", "'window' must be >= 1, got 0"]),
        (lambda: sma(close, 2.5), ValueError, ["sma()", "whole number"]),
        (lambda: sma(close, window=3, size=2), TypeError, ["no argument 'size'", "window"]),
        (lambda: sma(window=3), TypeError, ["needs its input 'source'"]),
        (lambda: sma(close, param("w", 2.5)), TypeError, ["'w' is a float", "int default"]),
        (lambda: rsi(close, param("w", 1)), ValueError, ["'w'", "rsi()", ">= 2"]),
        (lambda: sma(close * param("m", 2.0), 5), TypeError, ["uses the parameter 'm'"]),
        (lambda: sma(shift(close, 1), 5), TypeError, ["contains `shift(close, 1)`"]),
        (lambda: sma(sma(close, 3), 5), TypeError, ["contains `sma(close, 3)`"]),
        (lambda: sma(close, 3 + param("w", 2)), TypeError, ["expressions of parameters"]),
        (lambda: close > channel(high, low), TypeError, ["2 outputs", "upper, lower", ".lower"]),
        (lambda: channel(high, low).middle, AttributeError, ["no output 'middle'"]),
        (lambda: close == sma(close, 5), TypeError, ["`==` is not supported"]),
        (lambda: close > 1 and close < 2, TypeError, ["&, | and ~"]),
        (lambda: close > "window", TypeError, ["only stand for a parameter"]),
        (lambda: param("n_bars", 3), ValueError, ["reserved"]),
        (lambda: param("w", 3, 5, 10), ValueError, ["'w' must be >= 5, got 3"]),
        (lambda: param("w", 3, 10, 5), ValueError, ["minimum 10 is above maximum 5"]),
        (lambda: fastbt.rules.macd_not_a_kind, AttributeError, ["indicators: ", "sma"]),
    ],
)
def test_a_bad_rule_fails_where_it_is_written_naming_the_bad_part(build, error, words):
    with pytest.raises(error) as caught:
        build()
    for word in words:
        assert word in str(caught.value)


def test_strategy_level_errors_name_the_parameter_and_the_way_out():
    w = param("window", 20, 5, 200)
    with pytest.raises(
        ValueError, match=r"unknown parameter 'windw' in the exit rule.*declared: window"
    ):
        _rule_strategy(close > sma(close, w), close < sma(close, "windw"))
    with pytest.raises(
        ValueError, match=r"'window' is declared twice.*param\('window', 10, 5, 200\)"
    ):
        _rule_strategy(close > sma(close, w), close < sma(close, param("window", 10, 5, 200)))
    with pytest.raises(
        TypeError, match=r"exit must be a condition.*`sma\(close, window\)` is a number"
    ):
        _rule_strategy(close > sma(close, w), sma(close, w))
    with pytest.raises(TypeError, match=r"entry is the Python bool False"):
        _rule_strategy(False, close > 1)
    with pytest.raises(
        ValueError, match=r"constraint 'window < slow' names 'slow'.*declared: window"
    ):
        _rule_strategy(close > sma(close, w), close < 1, constraints=["window < slow"])
    with pytest.raises(ValueError, match=r"may only compare parameters and numbers"):
        _rule_strategy(close > sma(close, w), close < 1, constraints=[w < close])
    with pytest.raises(TypeError, match=r"'w' is a float"):  # a name is checked when assembled
        _rule_strategy(close > param("w", 2.0), close < sma(close, "w"))


def test_a_parameter_declared_identically_twice_is_one_parameter_with_narrowed_bounds():
    rules = (("entry", close > sma(close, param("w", 5))), ("exit", rsi(close, param("w", 5)) > 1))
    (window,) = gather_params(rules)
    # declared without bounds; sma needs >= 1 and rsi >= 2: the narrower bound holds
    assert (window.name, window.kind, window.default, window.minimum) == ("w", int, 5, 2)


def test_an_indicator_s_own_parameter_rules_hold_in_the_strategy():
    gap = fastbt.rules.test_gap  # its rule: fast < slow
    with pytest.raises(
        ValueError, match=r"test_gap\(\): parameter 'fast' must be below 'slow', got fast=5 slow=3"
    ):
        gap(close, 5, 3)
    short, long_ = param("short", 1, 0), param("long", 4, 1)
    strategy = _rule_strategy(gap(close, short, long_) > 0, gap(close, 2, long_) < 0)
    with pytest.raises(
        ValueError,
        match=r"`test_gap\(close, short, long\)`: parameter 'fast' must be below 'slow', got fast=6 slow=4",
    ):
        strategy.resolve({"short": 6}, 100)
    with pytest.raises(ValueError, match=r"`test_gap\(close, 2, long\)`: .* got fast=2 slow=2"):
        strategy.resolve({"long": 2}, 100)
    columns = {"short": np.array([0, 3, 1]), "long": np.array([4, 4, 2])}
    assert strategy.valid_sets(columns, 100).tolist() == [True, True, False]


def test_constraints_from_strings_and_param_comparisons_reject_bad_sets():
    fast, slow = param("fast", 5, 1), param("slow", 20, 2)
    strategy = _rule_strategy(
        crosses_above(sma(close, fast), sma(close, slow)),
        crosses_below(sma(close, fast), sma(close, slow)),
        constraints=[fast < slow, "slow < n_bars"],
    )
    with pytest.raises(ValueError, match=r"parameters must satisfy fast < slow, got fast=9 slow=7"):
        strategy.resolve({"fast": 9, "slow": 7}, 100)
    with pytest.raises(ValueError, match=r"slow < n_bars, got slow=150 n_bars=100"):
        strategy.resolve({"slow": 150}, 100)
    columns = {"fast": np.array([1, 9, 3]), "slow": np.array([5, 7, 200])}
    assert strategy.valid_sets(columns, 100).tolist() == [True, False, False]


# -- readable form and shape -------------------------------------------------------


def test_repr_is_the_python_that_builds_the_same_rule():
    k = param("k", 2.0, 0.5, 4.0)
    rule = (crosses_below(close, channel(high, low, "w", k).lower) & ~(rsi(close) < 30)) | (
        shift(-(close - open_) / 2, 3) >= volume * k
    )
    text = repr(rule)
    assert text == (
        "(crosses_below(close, test_channel(high, low, w, k).lower) & ~(rsi(close, 14) < 30)) "
        "| (shift(-(close - open) / 2, 3) >= volume * k)"
    )
    namespace = {name: getattr(fastbt.rules, name) for name in dir(fastbt.rules)}
    namespace |= {"k": k, "w": "w"}
    assert eval(text, namespace).key() == rule.key()


def test_shape_abstracts_parameter_values_but_not_structure():
    a = crosses_above(sma(close, param("fast", 5)), sma(close, param("slow", 20)))
    b = crosses_above(sma(close, 7), sma(close, 50))
    c = crosses_below(sma(close, 7), sma(close, 50))
    d = crosses_above(sma(high, 7), sma(close, 50))
    assert a.shape() == b.shape()
    assert len({b.shape(), c.shape(), d.shape()}) == 3
    assert (close > 3).shape() == (close > param("level", 2.5)).shape()


# -- hand-computed cases -----------------------------------------------------------


def _signals(rule, closes, **values):
    strategy = _rule_strategy(rule, close < -1)
    columns = {c: np.asarray(closes, dtype=float) for c in ("open", "high", "low", "close")}
    columns["volume"] = np.ones(len(closes))
    names = [p.name for p in strategy.params]
    values = {n: values.get(n, p.default) for n, p in zip(names, strategy.params, strict=True)}
    return strategy.signals(*columns.values(), *values.values())[0]


def test_crossing_fires_after_a_tie_and_never_at_bar_zero_or_from_undefined():
    closes = [1, 2, 2, 3, 2, 1]  # docs/strategies.md: with a constant 2
    assert np.flatnonzero(_signals(crosses_above(close, 2), closes)).tolist() == [3]
    assert np.flatnonzero(_signals(crosses_below(close, 2), closes)).tolist() == [5]
    # sma(close, 2) = nan, 1.5, 2, 2.5, 2.5, 1.5: undefined at bar 0, so no cross at bar 1
    assert np.flatnonzero(_signals(crosses_above(sma(close, 2), 1.0), closes)).tolist() == []
    assert np.flatnonzero(_signals(crosses_above(sma(close, 2), 1.8), closes)).tolist() == [2]


def test_undefined_values_make_comparisons_false_and_their_negation_true():
    closes = [1, 2, 3, 4]
    assert _signals(sma(close, 3) > 0, closes).tolist() == [False, False, True, True]
    assert _signals(~(sma(close, 3) > 0), closes).tolist() == [True, True, False, False]
    assert _signals(shift(close, 2) < 5, closes).tolist() == [False, False, True, True]
    assert _signals(shift(close > 1, 1), closes).tolist() == [False, False, True, True]
    assert _signals(close / 0 > 1e308, closes).tolist() == [True] * 4  # x / 0 = inf


def test_parameters_reach_the_rule_and_the_indicators():
    closes = [10, 11, 12, 13, 14, 15]
    rule = close > sma(close, param("w", 2)) + param("margin", 0.0)
    assert _signals(rule, closes).tolist() == [False] + [True] * 5
    assert _signals(rule, closes, margin=0.5).tolist() == [False] * 6
    assert _signals(rule, closes, w=4, margin=1.0).tolist() == [False] * 3 + [True] * 3


def test_a_rule_strategy_runs_verifies_and_draws_its_indicators():
    w = param("window", 10, 2, 100)
    strategy = _rule_strategy(
        crosses_below(rsi(close, w), param("low", 30.0)) & (close > sma(close, 20)),
        crosses_above(rsi(close, "window"), 60),
    )
    result = fastbt.verify("GOOG", strategy, window=8, low=35.0, commission=0.001)
    assert result.metrics["n_trades"] > 0
    charts = strategy.indicators(
        *(result.bars[c].to_numpy() for c in fastbt.rules.nodes.SERIES), 8, 35.0
    )
    assert [(i.name, i.overlay, i.levels) for i in charts] == [
        ("rsi(close, 8)", False, (35.0, 60.0)),
        ("sma(close, 20)", True, ()),
    ]


def test_warm_up_longer_than_the_data_gives_no_signals():
    strategy = _rule_strategy(crosses_above(close, sma(close, 50)), close < sma(close, 50))
    result = fastbt.verify(_bars(np.arange(100.0, 120.0)), strategy)
    assert result.metrics["n_trades"] == 0


# -- array form == bar-by-bar form, bit for bit, on random trees --------------------


def _bits(values) -> np.ndarray:
    """Booleans as they are; floats as their bit patterns, every NaN as one pattern (a NaN's
    sign and payload mean nothing here: all comparisons with it are false)."""
    array = np.asarray(values)
    if array.dtype == np.bool_:
        return array
    return np.where(np.isnan(array), np.nan, array).astype(np.float64).view(np.int64)


def assert_forms_agree(rules: RuleSet, bars, values: dict):
    """Every node of ``rules`` has the same bits in both forms, on every bar."""
    columns = {c: bars[c].to_numpy() for c in fastbt.rules.nodes.SERIES}
    arrays = evaluate(rules, columns, values)
    reference = reference_class("t", rules)(**values)
    history, per_bar = History(), []
    for t, row in zip(bars.index, bars.itertuples(index=False), strict=True):
        history.append(t, row.open, row.high, row.low, row.close, row.volume)
        per_bar.append(reference.step(history))
    for pos, node in enumerate(reference.nodes):
        if node.__class__.__name__ == "IndicatorCall":
            continue  # a tuple of outputs; each Output node is compared
        fast = arrays[node.key()]
        slow = [bar[pos] for bar in per_bar]
        expected = _bits(np.asarray(slow, dtype=fast.dtype))
        assert np.array_equal(_bits(fast), expected), f"{node!r}: {fast} != {slow}"


PRICE = st.sampled_from([open_, high, low, close, volume])


@st.composite
def indicator_outputs(draw):
    """Any registered kind, inputs drawn from the price columns, parameters near their
    lower bound (short windows: ties and warm-up edges are common)."""
    kind = fastbt.indicators.indicator_kind(draw(st.sampled_from(sorted(INDICATORS))))
    inputs = [draw(PRICE) for _ in kind.inputs]
    args = []
    for p in kind.params:
        low_bound = p.minimum if p.minimum is not None else 0
        if p.kind is int:
            high_bound = p.maximum if p.maximum is not None else low_bound + 8
            args.append(draw(st.integers(int(low_bound), int(min(high_bound, low_bound + 8)))))
        else:
            args.append(
                draw(st.sampled_from([p.default, float(low_bound), float(low_bound) + 0.5]))
            )
    try:  # parameter values that break the kind's own rules (e.g. fast < slow) are redrawn
        call = fastbt.rules.indicator(kind.name)(*inputs, *args)
    except ValueError:
        assume(False)
    if len(kind.outputs) == 1:
        return call
    return getattr(call, draw(st.sampled_from(kind.outputs)))


LEVEL = param("level", 1.5)
NUMBERS = st.recursive(
    st.one_of(PRICE, indicator_outputs(), st.sampled_from([0, 1, 2.5, -0.1, 50.0, LEVEL])).map(
        fastbt.rules.nodes.as_node
    ),
    lambda inner: st.one_of(
        st.tuples(inner, inner, st.sampled_from(["+", "-", "*", "/"])).map(
            lambda t: fastbt.rules.nodes.Arithmetic(t[2], t[0], t[1])
        ),
        inner.map(lambda a: -a),
        st.tuples(inner, st.integers(1, 3)).map(lambda t: shift(*t)),
    ),
    max_leaves=5,
)
CONDITIONS = st.recursive(
    st.one_of(
        st.tuples(NUMBERS, NUMBERS, st.sampled_from([">", "<", ">=", "<="])).map(
            lambda t: fastbt.rules.nodes.Compare(t[2], t[0], t[1])
        ),
        st.tuples(NUMBERS, NUMBERS, st.booleans()).map(
            lambda t: fastbt.rules.nodes.Cross(t[0], t[1], t[2])
        ),
    ),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda t: t[0] & t[1]),
        st.tuples(inner, inner).map(lambda t: t[0] | t[1]),
        inner.map(lambda a: ~a),
        st.tuples(inner, st.integers(1, 3)).map(lambda t: shift(*t)),
    ),
    max_leaves=4,
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bars=price_bars(min_bars=2, max_bars=60),
    entry=CONDITIONS,
    exit_=CONDITIONS,
    level=st.sampled_from([1.5, 0.0, 30.0]),
)
def test_array_form_equals_bar_by_bar_form_on_random_rules(bars, entry, exit_, level):
    assert isinstance(entry, Node) and entry.type == CONDITION
    rules = (("entry", entry), ("exit", exit_))
    ruleset = RuleSet(rules, gather_params(rules))
    values = {p.name: level for p in ruleset.params}
    assert_forms_agree(ruleset, bars, values)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bars=price_bars(min_bars=20, max_bars=80), entry=CONDITIONS, exit_=CONDITIONS)
def test_fast_engine_equals_reference_engine_on_random_rule_strategies(bars, entry, exit_):
    strategy = _rule_strategy(entry, exit_)
    fastbt.verify(bars, strategy, direction="both", commission=0.001)


def test_the_examples_in_the_docs_are_verified_on_tick_data():
    ticks = np.round(50 + np.cumsum(np.random.default_rng(3).choice([-1, 0, 0, 1], 300)), 0) * 0.1
    bars = _bars(ticks)
    for entry, exit_ in [
        (crosses_above(sma(close, 3), sma(close, 8)), crosses_below(sma(close, 3), sma(close, 8))),
        (crosses_below(rsi(close, 5), 30) | (close < shift(low, 2)), rsi(close, 5) > 70),
        (
            crosses_above(close, channel(high, low, 4, 0.0).upper),
            close < channel(high, low, 4).lower,
        ),
    ]:
        for fill in ("next_open", "close"):
            fastbt.verify(bars, _rule_strategy(entry, exit_), fill=fill)
