"""The kernels never read or write out of bounds: backtests and sweeps rerun in a process
where Numba checks every index (NUMBA_BOUNDSCHECK=1, its own compile cache, since
cached code compiled without checks would be loaded otherwise)."""

import os
import subprocess
import sys

import pytest

# Runs in the checked process. First proves the checks are on (a short signal array
# or indicator row must raise IndexError), then runs real workloads through every
# kernel. Numba cannot raise from inside a ``prange`` loop, so the sweep kernel runs
# as its Python loop (``py_func``) over the checked per-set kernel, and must give the
# parallel kernel's numbers.
SCRIPT = r"""
import numba
import numpy as np
import fastbt
from fastbt.data.validate import bar_arrays
from fastbt.kernels.blocks import segment_ends
from fastbt.kernels.simulate import simulate
from fastbt.kernels.sweep import run_crossings, sweep_crossings
from fastbt.rules.fused import sweep_arguments
from fastbt.strategies.sweep_inputs import ma_cross_sweep_inputs, rsi_sweep_inputs, set_levels

assert numba.config.BOUNDSCHECK == 1
close = np.linspace(10.0, 20.0, 50)
rules = fastbt.RunOptions().rules()
for name, call in [
    ("simulate", lambda: simulate(close, close, close, close, np.zeros(49, np.bool_),
                                  np.zeros(50, np.bool_), 1e4, rules, 252.0, True, None)),
    ("run_crossings", lambda: run_crossings(close, close, close, close, close[:49], close, True,
                                            close, close, False, rules, 1e4, 252.0, None,
                                            np.array([50]), np.empty((0, 3)))),
]:
    try:
        call()
    except IndexError:
        pass
    else:
        raise SystemExit(f"{name} read past a short array without an IndexError")

option_sets = [
    {},
    {"fill": "close", "close_at_end": True, "commission": 0.001},
    {"size": 10, "size_type": "units", "fixed_fee": 1.0, "slippage": 0.001},
    {"fractional": False, "size": 0.5, "fill": "close"},
    {"direction": "both", "sl": 0.01, "tp": 0.02, "trail": True, "close_at_end": True},
    {"direction": "both", "fill": "close", "entry_order": "stop", "entry_offset": 0.001,
     "sl": 0.02, "tp": 0.005, "reversal_fee": "per_order", "fixed_fee": 1.0},
    {"direction": "short", "entry_order": "limit", "entry_offset": 0.002, "entry_expiry": 3,
     "stop_on_fill_bar": False, "sl": 0.5, "on_ruin": "continue"},
]
for symbol in ("GOOG", "EURUSD", "BTCUSD"):
    bars = fastbt.load(symbol)
    for options in option_sets:
        fastbt.run(bars, "ma_cross", fast=2, slow=5, **options)
        fastbt.run(bars, "rsi", window=3, oversold=40, overbought=60, **options)
    arrays = bar_arrays(bars)
    grids = [
        (ma_cross_sweep_inputs, {"fast": np.array([1, 2, 5]), "slow": np.array([3, 8, 8])}),
        (rsi_sweep_inputs, {"window": np.array([2, 3, 14]), "oversold": np.array([30.0, 45, 20]),
                            "overbought": np.array([70.0, 55, 80])}),
    ]
    for sweep_inputs, params in grids:
        x = sweep_inputs(arrays["close"], params)
        for options in option_sets:
            o = fastbt.RunOptions(**options)
            levels = set_levels(params, o.rules(), len(x.entry_a_rows))
            args = (arrays["open"], arrays["high"], arrays["low"], arrays["close"], x.entry_a,
                    x.entry_a_rows, x.entry_b, x.entry_b_rows, x.entry_above, x.exit_a,
                    x.exit_a_rows, x.exit_b, x.exit_b_rows, x.exit_above, *levels, o.rules(),
                    o.cash, 252.0, None)
            n_sets, n_bars = len(x.entry_a_rows), len(arrays["close"])
            for blocks in (None, 4):
                ends = segment_ends(n_bars, blocks)
                out = np.empty((n_sets, 0 if blocks is None else blocks, 3))
                checked_out = np.empty_like(out)
                checked = sweep_crossings.py_func(*args, ends, checked_out)
                np.testing.assert_array_equal(checked, sweep_crossings(*args, ends, out))
                np.testing.assert_array_equal(checked_out, out)
    for name, params in (("ma_cross", grids[0][1]), ("rsi", grids[1][1])):
        n_sets, n_bars = len(next(iter(params.values()))), len(arrays["close"])
        for options in option_sets:
            for blocks in (None, 4):
                ends = segment_ends(n_bars, blocks)
                out = np.empty((n_sets, 0 if blocks is None else blocks, 3))
                checked_out = np.empty_like(out)
                rule_kernel, args = sweep_arguments(fastbt.get_strategy(name).rules, arrays,
                                                    params, fastbt.RunOptions(**options), 252.0,
                                                    ends, out)
                checked = rule_kernel.py_func(*args[:-1], checked_out)
                np.testing.assert_array_equal(checked, rule_kernel(*args))
                np.testing.assert_array_equal(checked_out, out)
print("ok")
"""


@pytest.mark.heavy
def test_kernels_stay_in_bounds_with_numba_boundscheck(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env |= {"NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=900
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip() == "ok"
