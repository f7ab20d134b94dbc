"""Fused sweeps of rule strategies (fastbt.rules.fused): the same metrics as running the
strategy set by set, shared indicator tables, and compiled kernels kept on disk.

Each new rule shape compiles a kernel (tens of seconds), so these tests use few
shapes: ``ma_cross`` and ``rsi`` (compiled for the built-ins anyway) and one rule
that uses every kind of node.
"""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastbt
from fastbt.data.validate import bar_arrays
from fastbt.kernels.metrics import METRIC_NAMES
from fastbt.options import RunOptions
from fastbt.rules import (
    close,
    crosses_above,
    crosses_below,
    fused,
    high,
    low,
    open_,
    param,
    shift,
    sma,
    volume,
)
from fastbt.strategies.sweep_inputs import ma_cross_sweep_inputs, rsi_sweep_inputs
from fastbt.sweep.chunks import run_sets
from fastbt.sweep.grid import expand_grid
from tests.helpers import make_bars
from tests.rule_kinds import CHANNEL  # noqa: F401  (registers test_channel)
from tests.test_properties import price_bars

pytestmark = pytest.mark.filterwarnings("ignore::fastbt.RunWarning")
N_TRADES = METRIC_NAMES.index("n_trades")

OPTION_SETS = [
    {},
    {"fill": "close", "commission": 0.001, "direction": "both"},
    {"direction": "short", "sl": 0.03, "tp": 0.06, "trail": True, "fixed_fee": 1.0},
]


def tick_bars(n=400, seed=7):
    """Prices on a 0.1 tick with flat runs: ties between indicators are common."""
    rng = np.random.default_rng(seed)
    level = np.maximum(500 + np.cumsum(rng.choice([-2, -1, 0, 0, 0, 1, 2], n)), 10)
    close_ = level * 0.1
    open_ = np.concatenate(([close_[0]], close_[:-1]))
    wick = rng.integers(0, 3, n) * 0.1
    return make_bars(
        open_, close_, np.maximum(open_, close_) + wick, np.minimum(open_, close_) - wick
    )


def set_by_set(strategy):
    """The same strategy without its fused path: signal function + simulate per set."""
    return replace(strategy, rules=None, sweep_inputs=None)


def assert_fused_equals_set_by_set(strategy, bars, grid, options):
    arrays = bar_arrays(bars)
    sets = expand_grid(strategy, grid, len(bars), options=RunOptions(**options)).columns
    run_options = RunOptions(**options)
    fused_metrics = run_sets(arrays, strategy, sets, run_options, 252.0)
    plain = run_sets(arrays, set_by_set(strategy), sets, run_options, 252.0)
    np.testing.assert_array_equal(fused_metrics, plain)
    return fused_metrics


@pytest.mark.parametrize("options", OPTION_SETS)
@pytest.mark.parametrize(
    ("name", "hand_inputs", "grid"),
    [
        ("ma_cross", ma_cross_sweep_inputs, {"fast": [1, 2, 3, 5, 8], "slow": [2, 4, 9, 21]}),
        (
            "rsi",
            rsi_sweep_inputs,
            {"window": [2, 3, 14], "oversold": [20.0, 30.0, 50.0], "overbought": [50.0, 70.0]},
        ),
    ],
)
def test_built_ins_sweep_on_rule_kernels_exactly_as_on_the_hand_written_one(
    name, hand_inputs, grid, options
):
    rule = fastbt.get_strategy(name)
    assert rule.sweep_inputs is None and rule.rules is not None
    hand = replace(rule, sweep_inputs=hand_inputs)
    for bars in (tick_bars(), fastbt.load("EURUSD")):
        arrays = bar_arrays(bars)
        sets = expand_grid(rule, grid, len(bars)).columns
        run_options = RunOptions(**options)
        got = run_sets(arrays, rule, sets, run_options, 252.0)
        np.testing.assert_array_equal(got, run_sets(arrays, hand, sets, run_options, 252.0))
    assert got[:, N_TRADES].sum() > 0  # some trades


K = param("k", 0.2, 0.0, 5.0)
EVERYTHING = fastbt.Strategy.from_rules(
    "every_node",
    entry=(
        crosses_above(close, fastbt.rules.test_channel(high, low, param("w", 5, 1, 50), K).upper)
        | (crosses_below(sma(close, param("n", 4, 1, 50)), shift(low, 2)) & ~(volume < 0))
    )
    & (shift(close > open_, 1) | (-(close - open_) / (high - low + 0.1) < K)),
    exit=crosses_below(close, fastbt.rules.test_channel(high, low, "w", K).lower)
    | (close < sma((high + low) / 2, "n") - K * 3),
)


def test_a_rule_using_every_kind_of_node_sweeps_fused_as_it_runs_set_by_set():
    grid = {"w": [1, 3, 5, 12], "k": [0.0, 0.2, 1.0], "n": [1, 4, 9]}
    for options in OPTION_SETS:
        metrics = assert_fused_equals_set_by_set(EVERYTHING, tick_bars(), grid, options)
        assert metrics[:, N_TRADES].sum() > 0


def test_a_swept_stop_level_is_applied_per_set():
    bars = tick_bars(seed=3)
    table = fastbt.sweep(bars, EVERYTHING, {"w": [3, 8], "sl": [None, 0.01, 0.05]}, progress=False)
    for row in table.itertuples():
        sl = None if np.isnan(row.sl) else row.sl
        alone = fastbt.run(bars, EVERYTHING, w=int(row.w), sl=sl)
        assert row.total_return == alone.metrics["total_return"]
        assert row.n_trades == alone.metrics["n_trades"]


def test_each_distinct_indicator_is_computed_once_per_symbol():
    bars = bar_arrays(tick_bars())
    layout = fused.plan(EVERYTHING.rules)
    # channel upper and lower share one call; sma of close and of (high + low) / 2 are two
    assert [repr(o) for o in layout.outputs] == [
        "test_channel(high, low, w, k).upper",
        "sma(close, n)",
        "test_channel(high, low, w, k).lower",
        "sma((high + low) / 2, n)",
    ]
    params = {
        "w": np.array([5, 5, 7, 5]),
        "k": np.array([0.2, 0.2, 0.2, 1.0]),
        "n": np.array([4, 9, 4, 4]),
    }
    table, rows = fused.tables(layout.outputs, bars, params, 4)
    # 3 distinct (w, k) channels x 2 outputs + 2 windows x 2 sma inputs
    assert table.shape == (3 * 2 + 2 * 2, len(bars["close"]))
    assert rows[0, 0] == rows[1, 0] and rows[0, 0] != rows[2, 0]
    assert rows[0, 1] != rows[1, 1] and rows[0, 1] == rows[2, 1]
    upper, lower = fastbt.indicators.INDICATORS["test_channel"].compute(
        bars["high"], bars["low"], 7, 0.2
    )
    np.testing.assert_array_equal(table[rows[2, 0]], upper)
    np.testing.assert_array_equal(table[rows[2, 2]], lower)


def test_the_compiled_kernel_is_loaded_from_numba_s_cache_by_a_new_module():
    source = fused.plan(EVERYTHING.rules).source
    first = fused.compiled(source)
    arrays = bar_arrays(tick_bars())
    run_sets(
        arrays,
        EVERYTHING,
        {"w": np.array([5]), "k": np.array([0.2]), "n": np.array([4])},
        RunOptions(),
        252.0,
    )  # compiled (or loaded) now
    fused._LOADED.clear()
    again = fused.compiled(source)
    assert again is not first
    run_sets(
        arrays,
        EVERYTHING,
        {"w": np.array([5]), "k": np.array([0.2]), "n": np.array([4])},
        RunOptions(),
        252.0,
    )
    if fastbt._numba_cache.CACHE_ENABLED:
        assert sum(again.stats.cache_hits.values()) == 1
        assert not again.stats.cache_misses


def test_the_kernel_source_depends_on_the_shape_not_the_parameter_values():
    def rules(window, level):
        return fastbt.Strategy.from_rules(
            "s", entry=crosses_above(sma(close, window), level), exit=close < level
        ).rules

    assert (
        fused.plan(rules(5, 1.0)).source == fused.plan(rules(param("w", 9), param("x", 2.5))).source
    )
    assert (
        fused.plan(rules(5, 1.0)).source
        != fused.plan(
            fastbt.Strategy.from_rules(
                "s", entry=crosses_below(sma(close, 5), 1.0), exit=close < 1.0
            ).rules
        ).source
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    bars=price_bars(min_bars=2, max_bars=120),
    w=st.lists(st.integers(1, 15), min_size=1, max_size=3, unique=True),
    k=st.lists(st.sampled_from([0.0, 0.1, 0.2, 0.5, 1.0]), min_size=1, max_size=2, unique=True),
    n=st.lists(st.integers(1, 12), min_size=1, max_size=2, unique=True),
    fill=st.sampled_from(["next_open", "close"]),
)
def test_fused_equals_set_by_set_on_random_tie_heavy_data(bars, w, k, n, fill):
    assert_fused_equals_set_by_set(
        EVERYTHING, bars, {"w": w, "k": k, "n": n}, {"fill": fill, "direction": "both"}
    )
