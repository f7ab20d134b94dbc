"""Property-based cross-checks of engine v2: on price series built to stress stops and
entry orders, with every v2 option drawn, the fast engine equals the reference engine
(trade bars, directions, exit reasons and counts exactly; money and metrics to 1e-9).

The bars come on decimal ticks that binary floats cannot represent (0.1, 0.05, 0.01),
with flat stretches, gaps at the open wide enough to jump a stop or an entry level, and
wicks long enough that one bar often touches both the stop-loss and the take-profit;
or as a full-precision random walk with gaps and, sometimes, violent moves (ruin).
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import fastbt
from fastbt.compare import compare_results
from tests.helpers import make_bars, scripted

# Runs where every order is skipped warn (tests/test_skipped_buys.py), and the violent random
# walks look like unadjusted splits (tests/test_validation.py); here they are just cases.
pytestmark = [
    pytest.mark.filterwarnings("ignore::fastbt.RunWarning"),
    pytest.mark.filterwarnings("ignore::fastbt.errors.DataWarning"),
]


def _ints(draw, n, values):
    return np.array(draw(st.lists(st.sampled_from(values), min_size=n, max_size=n)))


@st.composite
def stress_bars(draw, min_bars=3, max_bars=120):
    """OHLC bars on a decimal tick (flat runs, gaps, long wicks) or a gappy random walk."""
    n = draw(st.integers(min_bars, max_bars))
    if draw(st.booleans()):
        tick = draw(st.sampled_from([0.1, 0.01, 0.05, 0.3, 1.0]))
        level = np.maximum(200 + np.cumsum(_ints(draw, n, [-3, -1, 0, 0, 0, 1, 3])), 20)
        previous = np.concatenate(([level[0]], level[:-1]))
        open_ = np.maximum(previous + _ints(draw, n, [-8, -2, 0, 0, 0, 0, 2, 8]), 10) * tick
        close = level * tick
        high = np.maximum(open_, close) + _ints(draw, n, [0, 0, 1, 3, 6, 10]) * tick
        low = np.minimum(open_, close) - _ints(draw, n, [0, 0, 1, 3, 6, 10]) * tick
        low = np.maximum(low, tick * 0.5)
    else:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        sigma = draw(st.sampled_from([0.005, 0.02, 0.1, 0.3]))
        close = 100 * np.exp(np.cumsum(rng.normal(0, sigma, n)))
        gaps = np.exp(rng.normal(0, sigma, n) * (rng.uniform(size=n) < 0.2))
        open_ = np.concatenate(([close[0]], close[:-1])) * gaps
        high = np.maximum(open_, close) * (1 + rng.uniform(0, 2 * sigma, n))
        low = np.minimum(open_, close) * (1 - rng.uniform(0, 2 * sigma, n))
    return make_bars(open_, close, high, low)


@st.composite
def signal_flags(draw, n):
    """Entry and exit flags per bar, conflicts ("+": both at once) included."""
    bar = st.sampled_from(draw(st.sampled_from(["-ex+", "-----ex+", "--e+", "-exx+", "--ex"])))
    marks = draw(st.lists(bar, min_size=n, max_size=n))
    return [m in "e+" for m in marks], [m in "x+" for m in marks]


def _fraction(draw, common):
    """A stop or offset fraction: off (None), a round value, or any value in range."""
    return draw(st.one_of(st.none(), st.sampled_from(common), st.floats(0.001, 0.3)))


@st.composite
def v2_options(draw):
    """Every run option, v1 and v2, drawn independently."""
    size_type = draw(st.sampled_from(["percent", "units"]))
    if size_type == "percent":
        size = draw(st.one_of(st.just(1.0), st.floats(0.05, 1.0)))
    else:
        size = draw(st.one_of(st.sampled_from([1.0, 10.0, 100.0]), st.floats(0.01, 500)))
    entry_order = draw(st.sampled_from(["market", "limit", "stop"]))
    offset = draw(st.one_of(st.just(0.0), st.sampled_from([0.005, 0.02]), st.floats(0, 0.05)))
    return {
        "cash": draw(st.sampled_from([100.0, 10_000.0, 1_000_000.0])),
        "fill": draw(st.sampled_from(["next_open", "close"])),
        "size": size,
        "size_type": size_type,
        "fractional": draw(st.booleans()),
        "commission": draw(st.one_of(st.sampled_from([0.0, 0.001, 0.01]), st.floats(0, 0.02))),
        "fixed_fee": draw(st.one_of(st.sampled_from([0.0, 1.0, 7.5]), st.floats(0, 10))),
        "slippage": draw(st.one_of(st.sampled_from([0.0, 0.001]), st.floats(0, 0.02))),
        "close_at_end": draw(st.booleans()),
        "direction": draw(st.sampled_from(["long", "short", "both"])),
        "sl": _fraction(draw, [0.01, 0.02, 0.05]),
        "tp": _fraction(draw, [0.01, 0.02, 0.05]),
        "trail": draw(st.booleans()),
        "trail_on": draw(st.sampled_from(["high", "close"])),
        "stop_anchor": draw(st.sampled_from(["fill", "signal_close"])),
        "stop_priority": draw(st.sampled_from(["open_first", "sl_first"])),
        "stop_slippage": draw(st.sampled_from(["sl_only", "none", "both"])),
        "stop_bar_signals": draw(st.sampled_from(["honor", "drop"])),
        "stop_on_fill_bar": draw(st.booleans()),
        "entry_order": entry_order,
        "entry_offset": offset,
        "entry_expiry": draw(st.one_of(st.none(), st.integers(1, 5))),
        "reversal_fee": draw(st.sampled_from(["per_leg", "per_order"])),
        "on_ruin": draw(st.sampled_from(["liquidate", "continue"])),
    }


def assert_engines_agree(fast, reference):
    """compare_results (money and metrics to 1e-9) plus exact trade identity and counts."""
    assert compare_results(fast, reference) == []
    for column in ("entry_bar", "exit_bar", "direction", "exit_reason", "status"):
        assert fast.trades[column].astype(object).fillna("-").tolist() == (
            reference.trades[column].astype(object).fillna("-").tolist()
        ), column
    for name in ("n_trades", "n_long_trades", "n_short_trades", "n_stop_exits", "n_expired"):
        assert fast.metrics[name] == reference.metrics[name], name
    assert fast.metrics["n_skipped"] == reference.metrics["n_skipped"]


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_fast_engine_equals_reference_engine_with_every_v2_option(data):
    bars = data.draw(stress_bars())
    entry, exit_ = data.draw(signal_flags(len(bars)))
    options = data.draw(v2_options())
    strategy = scripted(entry, exit_)
    fast = fastbt.run(bars, strategy, engine="fast", **options)
    reference = fastbt.run(bars, strategy, engine="reference", **options)
    reasons = set(fast.trades["exit_reason"].dropna())
    event(f"exit reasons: {', '.join(sorted(reasons)) or 'none'}")
    event(f"expired orders: {fast.metrics['n_expired'] > 0}")
    assert_engines_agree(fast, reference)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_fast_engine_equals_reference_engine_on_the_peer_presets(data):
    """The like= presets with stops drawn on top: the peers' switches all at once."""
    bars = data.draw(stress_bars())
    entry, exit_ = data.draw(signal_flags(len(bars)))
    like = data.draw(st.sampled_from(["backtesting.py", "vectorbt"]))
    options = {
        "direction": data.draw(st.sampled_from(["long", "short", "both"])),
        "sl": _fraction(data.draw, [0.01, 0.02, 0.05]),
        "tp": _fraction(data.draw, [0.01, 0.02, 0.05]),
        "trail": data.draw(st.booleans()),
        "commission": data.draw(st.sampled_from([0.0, 0.001])),
        "fixed_fee": data.draw(st.sampled_from([0.0, 1.0])),
    }
    strategy = scripted(entry, exit_)
    fast = fastbt.run(bars, strategy, engine="fast", like=like, **options)
    reference = fastbt.run(bars, strategy, engine="reference", like=like, **options)
    assert_engines_agree(fast, reference)
