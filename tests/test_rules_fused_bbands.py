"""Bollinger bands in fused sweeps: the kernel reads them as ``sma -/+ k * std`` from
one row per window (fastbt.rules.fused._bbands_parts), which must give the bits of
``bbands`` itself, so the fused sweep equals running each set on its own."""

import numpy as np
import pytest

import fastbt
from fastbt.data.validate import bar_arrays
from fastbt.rules import bbands, close, crosses_above, fused, param
from tests.test_rules_fused import OPTION_SETS, assert_fused_equals_set_by_set, tick_bars

pytestmark = pytest.mark.filterwarnings("ignore::fastbt.RunWarning")
GRID = {"window": [2, 3, 5, 20], "k": [0.0, 0.5, 1.0, 2.0, 3.5]}


@pytest.mark.parametrize("options", OPTION_SETS)
@pytest.mark.parametrize(
    "bars", [tick_bars(), fastbt.load("GOOG").iloc[:600]], ids=["ticks", "goog"]
)
def test_bb_revert_sweeps_fused_exactly_as_set_by_set(bars, options):
    metrics = assert_fused_equals_set_by_set(fastbt.get_strategy("bb_revert"), bars, GRID, options)
    assert metrics[:, fastbt.kernels.metrics.METRIC_NAMES.index("n_trades")].sum() > 0


def test_the_bands_read_from_sma_and_std_rows_have_bbands_bits():
    arrays = bar_arrays(tick_bars())
    layout = fused.plan(fastbt.get_strategy("bb_revert").rules)
    assert [repr(o) for o in layout.outputs] == ["sma(close, window)", "std(close, window)"]
    params = {"window": np.array([5, 5, 20, 20]), "k": np.array([0.5, 2.0, 0.5, 2.0])}
    table, rows = fused.tables(layout.outputs, arrays, params, 4)
    assert table.shape == (2 * 2, len(arrays["close"]))  # per window, not per (window, k)
    for set_, (window, k) in enumerate(zip(params["window"], params["k"], strict=True)):
        middle, upper, lower = fastbt.indicators.INDICATORS["bbands"].compute(
            arrays["close"], int(window), float(k)
        )
        sma_row, std_row = table[rows[set_, 0]], table[rows[set_, 1]]
        np.testing.assert_array_equal(sma_row, middle)
        np.testing.assert_array_equal(sma_row - k * std_row, lower)
        np.testing.assert_array_equal(sma_row + k * std_row, upper)


def test_a_rule_using_the_upper_band_with_a_constant_k_sweeps_fused_as_set_by_set():
    window = param("window", 10, 2)
    strategy = fastbt.Strategy.from_rules(
        "upper_break",
        entry=crosses_above(close, bbands(close, window, 1.5).upper),
        exit=close < bbands(close, window, 1.5).middle,
    )
    assert_fused_equals_set_by_set(strategy, tick_bars(), {"window": [2, 4, 9]}, {})
