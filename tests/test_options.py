"""Option and parameter ranges (docs/execution.md, "Options"): every out-of-range or
unrepresentable number is a ValueError naming it, and a one-line CLI error."""

import pytest

import fastbt
from fastbt.cli import main
from tests.helpers import make_bars

HUGE = 10**400  # an int no float can hold: float(HUGE) raises OverflowError


def _short(value):
    """Test ids without 400 digits (None: pytest's default id)."""
    if isinstance(value, int) and abs(value) == HUGE:
        return "-1e400" if value < 0 else "1e400"
    if isinstance(value, list) and any(isinstance(a, str) and len(a) > 50 for a in value):
        return "-".join(a[:12] for a in value)
    return None


@pytest.fixture(scope="module")
def bars():
    return make_bars([10, 11, 12, 13, 14], [10.5, 11.5, 12.5, 13.5, 14.5])


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("commission", 1, r"commission must be below 1 \(a fraction of notional"),
        ("commission", 5.0, "commission must be below 1"),
        ("slippage", 1, r"slippage must be below 1 \(a fraction of price"),
        ("cash", HUGE, r"cash is too large \(about 1e400\)"),
        ("commission", HUGE, "commission is too large"),
        ("fixed_fee", -HUGE, "fixed_fee is too large"),
        ("size", HUGE, "size is too large"),
        ("periods_per_year", HUGE, "periods_per_year is too large"),
    ],
    ids=_short,
)
def test_options_out_of_range_are_refused_by_name(bars, option, value, message):
    with pytest.raises(ValueError, match=message):
        fastbt.run(bars, "ma_cross", fast=1, slow=2, **{option: value})


def test_commission_just_below_one_is_accepted(bars):
    assert fastbt.run(bars, "ma_cross", fast=1, slow=2, commission=0.99).options.commission == 0.99


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fast": HUGE, "slow": 3}, r"parameter 'fast' is too large \(about 1e400\)"),
        ({"fast": 1, "slow": 2**63}, r"parameter 'slow' is too large for a whole number"),
        ({"fast": 1, "slow": 1e300}, r"parameter 'slow' is too large for a whole number"),
    ],
    ids=["fast-1e400", "slow-2**63", "slow-1e300"],
)
def test_parameters_too_large_are_refused_by_name(bars, params, message):
    with pytest.raises(ValueError, match=message):
        fastbt.run(bars, "ma_cross", **params)


def test_float_parameter_too_large_for_a_float_is_refused(bars):
    with pytest.raises(ValueError, match="parameter 'oversold' is too large"):
        fastbt.run(bars, "rsi", window=2, oversold=HUGE)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ({"fast": [1, HUGE], "slow": [3]}, "parameter 'fast' values must be numbers that fit 64"),
        ({"fast": [1], "slow": [3, 1e300]}, "parameter 'slow' values must be whole numbers below"),
        ({"fast": [1], "slow": [3, 2**63]}, "parameter 'slow' values must be whole numbers below"),
    ],
    ids=["fast-1e400", "slow-1e300", "slow-2**63"],
)
def test_sweep_grids_with_unrepresentable_values_are_refused(bars, grid, message):
    with pytest.raises(ValueError, match=message):
        fastbt.sweep(bars, "ma_cross", grid, progress=False)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--commission", "5"], "commission must be below 1"),
        (["-p", "fast=1e400"], "parameter fast: the value must be finite, got inf"),
        (["-p", f"fast={HUGE}"], "parameter fast: the value is too large (about 1e400)"),
        (["-p", "fast=nan"], "parameter fast: the value must be finite"),
        (["--cash", str(HUGE)], "cash must be finite"),
        (["-p", f"fast={2**70}"], "parameter 'fast' is too large for a whole number"),
    ],
    ids=_short,
)
def test_cli_numbers_out_of_range_are_one_line_errors(capsys, args, fragment):
    try:
        status = main(["run", "GOOG", *args])
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastbt: error: "), captured.err
    assert fragment in lines[0]
    assert len(lines[0]) < 200  # the 400-digit number is not echoed back
