"""Peer presets (like=) and the validation of every v2 option (docs/execution.md)."""

import math
import re

import pytest

from fastbt.options import RunOptions
from tests.golden_v2 import CASH, ENGINES, backtest, check_trade, ohlc

# The switches a preset sets, with fastbt's defaults and each peer's values.
DEFAULTS = {
    "fill": "next_open",
    "fractional": True,
    "reversal_fee": "per_leg",
    "on_ruin": "liquidate",
    "stop_anchor": "fill",
    "stop_priority": "open_first",
    "stop_slippage": "sl_only",
    "stop_bar_signals": "honor",
}
PRESETS = {
    "backtesting.py": {
        "fill": "next_open",
        "fractional": False,
        "reversal_fee": "per_leg",
        "on_ruin": "liquidate",
        "stop_anchor": "signal_close",
        "stop_priority": "sl_first",
        "stop_slippage": "none",
        "stop_bar_signals": "honor",
    },
    "vectorbt": {
        "fill": "close",
        "fractional": True,
        "reversal_fee": "per_order",
        "on_ruin": "continue",
        "stop_anchor": "signal_close",
        "stop_priority": "sl_first",
        "stop_slippage": "none",
        "stop_bar_signals": "drop",
    },
}
# The other v2 options, which no preset touches.
V2_DEFAULTS = {
    "direction": "long",
    "sl": None,
    "tp": None,
    "trail": False,
    "trail_on": "high",
    "stop_on_fill_bar": True,
    "entry_order": "market",
    "entry_offset": 0.0,
    "entry_expiry": None,
}
# A value different from the preset's for each switch, to show the caller wins.
OTHER = {
    "fill": {"next_open": "close", "close": "next_open"},
    "fractional": {True: False, False: True},
    "reversal_fee": {"per_leg": "per_order", "per_order": "per_leg"},
    "on_ruin": {"liquidate": "continue", "continue": "liquidate"},
    "stop_anchor": {"fill": "signal_close", "signal_close": "fill"},
    "stop_priority": {"open_first": "sl_first", "sl_first": "open_first"},
    "stop_slippage": {"sl_only": "none", "none": "both", "both": "sl_only"},
    "stop_bar_signals": {"honor": "drop", "drop": "honor"},
}


def resolved(options: RunOptions) -> dict:
    return {name: getattr(options, name) for name in (*DEFAULTS, *V2_DEFAULTS)}


def test_without_a_preset_every_option_has_the_fastbt_default():
    for options in (RunOptions(), RunOptions.resolve(), RunOptions.resolve(like=None)):
        assert options.like is None
        assert resolved(options) == DEFAULTS | V2_DEFAULTS


@pytest.mark.parametrize("like", sorted(PRESETS))
def test_preset_sets_every_switch_of_the_table(like):
    options = RunOptions.resolve(like=like)
    assert options.like == like
    assert resolved(options) == PRESETS[like] | V2_DEFAULTS
    assert options.as_dict()["like"] == like


@pytest.mark.parametrize("like", sorted(PRESETS))
@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_explicit_option_overrides_the_preset(like, name):
    value = OTHER[name][PRESETS[like][name]]
    options = RunOptions.resolve(like=like, **{name: value})
    assert getattr(options, name) == value
    assert resolved(options) == PRESETS[like] | V2_DEFAULTS | {name: value}
    assert options.like == like


@pytest.mark.parametrize("like", sorted(PRESETS))
def test_an_explicit_fastbt_default_still_overrides_the_preset(like):
    # Giving the default value is a choice too: it is not "not given".
    options = RunOptions.resolve(like=like, **DEFAULTS)
    assert resolved(options) == DEFAULTS | V2_DEFAULTS
    assert options.like == like


def test_preset_leaves_the_other_options_to_the_caller():
    options = RunOptions.resolve(like="vectorbt", direction="both", sl=0.25, commission=0.001)
    assert (options.direction, options.sl, options.commission) == ("both", 0.25, 0.001)
    assert options.fill == "close"


# Bar 0 closes at 96 and bar 1 opens at 96: 10,000/96 = 104.1666... units.
PRESET_BARS = [(100, 100, 96, 96), (96, 100, 90, 98), (98, 98, 98, 98)]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("like", "given", "entry_bar", "qty"),
    [
        # next_open, whole units: floor(10,000/96) = 104 at open[1]; cash 10,000 - 9,984 = 16.
        ("backtesting.py", {}, 1, 104),
        ("backtesting.py", {"fractional": True}, 1, CASH / 96),
        # fill at close[0] = 96, fractional.
        ("vectorbt", {}, 0, CASH / 96),
        ("vectorbt", {"fill": "next_open"}, 1, CASH / 96),
    ],
)
def test_run_applies_and_records_the_preset(engine, like, given, entry_bar, qty):
    result = backtest(ohlc(PRESET_BARS), [0], [], engine, like=like, **given)
    (trade,) = result.trades.to_dict("records")
    check_trade(trade, direction="long", entry_bar=entry_bar, entry_price=96, qty=qty)
    assert result.options.like == like
    assert resolved(result.options) == PRESETS[like] | V2_DEFAULTS | given
    if qty == 104:
        assert result.cash.iloc[1] == 16


ENUMS = {
    "direction": ("long", "short", "both"),
    "trail_on": ("high", "close"),
    "stop_anchor": ("fill", "signal_close"),
    "stop_priority": ("open_first", "sl_first"),
    "stop_slippage": ("sl_only", "none", "both"),
    "stop_bar_signals": ("honor", "drop"),
    "entry_order": ("market", "limit", "stop"),
    "reversal_fee": ("per_leg", "per_order"),
    "on_ruin": ("liquidate", "continue"),
    "like": ("backtesting.py", "vectorbt"),
}


@pytest.mark.parametrize("name", sorted(ENUMS))
@pytest.mark.parametrize("build", ["RunOptions", "resolve", "run"])
def test_unknown_switch_value_names_the_option_and_the_allowed_values(name, build):
    bad = {name: "bogus"}
    with pytest.raises(ValueError) as info:
        if build == "RunOptions":
            RunOptions(**bad)
        elif build == "resolve":
            RunOptions.resolve(**bad)
        else:
            backtest(ohlc(PRESET_BARS), [0], [], "fast", **bad)
    message = str(info.value)
    assert re.search(rf"\b{re.escape(name)}\b", message), message
    for allowed in ENUMS[name]:
        assert allowed in message, (allowed, message)
    assert "bogus" in message


BAD_NUMBERS = [
    ("sl", 0.0),
    ("sl", -0.1),
    ("sl", math.nan),
    ("sl", math.inf),
    ("sl", 1.0),  # a long's stop-loss at ref*(1 - 1) = 0 is meaningless: sl < 1 with longs
    ("sl", "5%"),
    ("tp", 0.0),
    ("tp", -0.1),
    ("tp", math.nan),
    ("tp", math.inf),
    ("entry_offset", -0.01),
    ("entry_offset", math.nan),
    ("entry_offset", math.inf),
    ("entry_expiry", 0),
    ("entry_expiry", -1),
    ("entry_expiry", 1.5),
    ("entry_expiry", True),
    ("trail", "yes"),
    ("stop_on_fill_bar", "yes"),
]


@pytest.mark.parametrize(("name", "value"), BAD_NUMBERS)
@pytest.mark.parametrize("build", ["RunOptions", "run"])
def test_invalid_number_or_flag_names_the_option(name, value, build):
    with pytest.raises(ValueError) as info:
        if build == "RunOptions":
            RunOptions(**{name: value})
        else:
            backtest(ohlc(PRESET_BARS), [0], [], "fast", **{name: value})
    assert re.search(rf"\b{re.escape(name)}\b", str(info.value)), str(info.value)


@pytest.mark.parametrize("direction", ["long", "both"])
def test_stop_loss_of_one_or_more_is_refused_when_longs_are_allowed(direction):
    with pytest.raises(ValueError, match=r"\bsl\b"):
        RunOptions(direction=direction, sl=1.5)


@pytest.mark.parametrize(
    "given",
    [
        {"direction": "short", "sl": 1.5},  # a short's SL = ref*(1 + 1.5) is a valid level
        {"entry_offset": 0.0},
        {"entry_expiry": 1},
        {"entry_expiry": None},
        {"sl": None, "tp": None},
        {"tp": 2.0},
    ],
)
def test_valid_edge_values_are_accepted(given):
    options = RunOptions(**given)
    for name, value in given.items():
        assert getattr(options, name) == value
