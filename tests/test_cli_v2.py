"""The v2 flags of run, verify and sweep: shorts, stops, entry orders and --like."""

import json
import subprocess

import pytest

import fastbt
from fastbt.cli import _execution_options, build_parser, main
from tests.test_cli import assert_one_line_error, cli

COMMANDS = (("run", "GOOG"), ("verify", "GOOG"), ("sweep", "GOOG", "-g", "fast=5", "-g", "slow=20"))


def kwargs(*flags) -> dict:
    return _execution_options(build_parser().parse_args(["run", "GOOG", *flags]))


def test_flags_not_given_are_left_to_the_defaults_and_the_preset():
    given = kwargs()
    for name in ("fill", "fractional", "direction", "sl", "tp", "like", "reversal_fee"):
        assert name not in given
    assert fastbt.RunOptions.resolve(**given) == fastbt.RunOptions()
    preset = fastbt.RunOptions.resolve(**kwargs("--like", "vectorbt"))
    assert preset == fastbt.RunOptions.resolve(like="vectorbt")
    assert preset.fill == "close" and preset.reversal_fee == "per_order"


def test_explicit_flags_override_the_preset():
    options = fastbt.RunOptions.resolve(
        **kwargs("--like", "backtesting.py", "--no-whole-units", "--fill", "close")
    )
    assert options.like == "backtesting.py"
    assert options.fractional is True and options.fill == "close"
    assert options.stop_priority == "sl_first"  # still the preset's
    assert fastbt.RunOptions.resolve(**kwargs("--whole-units")).fractional is False


def test_every_v2_flag_reaches_the_options():
    flags = [
        "--direction",
        "both",
        "--sl",
        "0.05",
        "--tp",
        "0.1",
        "--trail",
        "--trail-on",
        "close",
        "--stop-anchor",
        "signal_close",
        "--stop-priority",
        "sl_first",
        "--stop-slippage",
        "both",
        "--stop-bar-signals",
        "drop",
        "--no-stop-on-fill-bar",
        "--entry-order",
        "stop",
        "--entry-offset",
        "0.01",
        "--entry-expiry",
        "3",
        "--reversal-fee",
        "per_order",
        "--on-ruin",
        "continue",
    ]
    options = fastbt.RunOptions.resolve(**kwargs(*flags))
    assert options == fastbt.RunOptions(
        direction="both",
        sl=0.05,
        tp=0.1,
        trail=True,
        trail_on="close",
        stop_anchor="signal_close",
        stop_priority="sl_first",
        stop_slippage="both",
        stop_bar_signals="drop",
        stop_on_fill_bar=False,
        entry_order="stop",
        entry_offset=0.01,
        entry_expiry=3,
        reversal_fee="per_order",
        on_ruin="continue",
    )


BAD_FLAGS = [
    (("--direction", "sideways"), ("--direction", "invalid choice", "both")),
    (("--sl", "-0.1"), ("sl must be above 0",)),
    (("--sl", "1.5"), ("sl must be below 1",)),
    (("--sl", "nan"), ("sl must be finite",)),
    (("--sl", "tight"), ("--sl", "invalid float value")),
    (("--tp", "0"), ("tp must be above 0",)),
    (("--direction", "short", "--tp", "1"), ("tp must be below 1",)),
    (("--trail-on", "open"), ("--trail-on", "invalid choice")),
    (("--stop-anchor", "entry"), ("--stop-anchor", "invalid choice")),
    (("--stop-priority", "tp_first"), ("--stop-priority", "invalid choice")),
    (("--stop-slippage", "tp_only"), ("--stop-slippage", "invalid choice")),
    (("--stop-bar-signals", "skip"), ("--stop-bar-signals", "invalid choice")),
    (("--entry-order", "stop_limit"), ("--entry-order", "invalid choice")),
    (("--entry-offset", "-0.01"), ("entry_offset must not be negative",)),
    (("--entry-expiry", "0"), ("entry_expiry must be a whole number",)),
    (("--entry-expiry", "2.5"), ("entry_expiry must be a whole number",)),
    (("--reversal-fee", "none"), ("--reversal-fee", "invalid choice")),
    (("--on-ruin", "stop"), ("--on-ruin", "invalid choice")),
    (("--like", "zipline"), ("--like", "invalid choice", "vectorbt")),
]


def cli_in_process(capsys, *args) -> subprocess.CompletedProcess:
    """``fastbt ARGS`` through ``cli.main`` in this process (no interpreter start-up per
    case); the subprocess test below checks the same path end to end."""
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse's own refusals
        code = exit_.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(("flags", "fragments"), BAD_FLAGS, ids=lambda x: " ".join(x))
def test_an_invalid_v2_value_is_one_line_exit_2(capsys, command, flags, fragments):
    assert_one_line_error(cli_in_process(capsys, *command, *flags), *fragments)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_an_invalid_v2_value_is_one_line_exit_2_from_the_console_script(command):
    for flags, fragments in (BAD_FLAGS[1], BAD_FLAGS[-1]):  # the library's and argparse's
        assert_one_line_error(cli(*command, *flags), *fragments)


def test_none_is_a_grid_value_of_sl_and_tp_only():
    completed = cli("sweep", "GOOG", "-g", "fast=none,5", "-g", "slow=20")
    assert_one_line_error(completed, "grid fast: none (off) is a value of sl and tp only")


# --- these need the v2 engines (both, since verify runs both) ---------------------


def test_run_with_shorts_and_stops_equals_the_api_and_says_the_counts():
    flags = ("-p", "fast=10", "-p", "slow=30", "--direction", "both", "--sl", "0.05")
    completed = cli("run", "GOOG", *flags, "--tp", "0.1", "--trail")
    assert completed.returncode == 0, completed.stderr
    expected = fastbt.run(
        "GOOG", "ma_cross", fast=10, slow=30, direction="both", sl=0.05, tp=0.1, trail=True
    )
    m = expected.metrics
    assert m["n_short_trades"] > 0 and m["n_stop_exits"] > 0
    summary = completed.stdout.splitlines()[1]
    assert summary.startswith(
        f"trades: {m['n_trades']} closed ({m['n_long_trades']} long, {m['n_short_trades']} "
        f"short), {m['n_stop_exits']} stop exits ("
    )
    table = dict(line.split() for line in completed.stdout.splitlines()[2:])
    assert table["n_short_trades"] == str(m["n_short_trades"])
    assert table["total_return"] == f"{100 * m['total_return']:.2f}%"


def test_like_on_the_cli_equals_like_in_the_api():
    completed = cli(
        "verify",
        "GOOG",
        "-p",
        "fast=10",
        "-p",
        "slow=30",
        "--like",
        "vectorbt",
        "--direction",
        "both",
        "--json",
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    expected = fastbt.run("GOOG", "ma_cross", fast=10, slow=30, like="vectorbt", direction="both")
    assert payload["options"] == expected.options.as_dict()
    assert payload["metrics"]["total_return"] == pytest.approx(expected.metrics["total_return"])


def test_sweep_over_sl_and_tp_with_none_for_off():
    completed = cli(
        "sweep",
        "GOOG",
        "-g",
        "fast=5,10",
        "-g",
        "slow=30",
        "-g",
        "sl=0.02,0.05",
        "-g",
        "tp=none,0.1",
        "--top",
        "8",
        "--json",
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["n_sets"] == 8
    table = fastbt.sweep(
        "GOOG",
        "ma_cross",
        {"fast": [5, 10], "slow": [30], "sl": [0.02, 0.05], "tp": [None, 0.1]},
        progress=False,
    )
    for row in payload["top"]:
        tp = None if row["tp"] is None or row["tp"] != row["tp"] else row["tp"]
        single = fastbt.run("GOOG", "ma_cross", fast=row["fast"], slow=30, sl=row["sl"], tp=tp)
        assert row["total_return"] == pytest.approx(single.metrics["total_return"], rel=1e-9)
    assert len(table) == 8


def test_sweep_table_shows_the_stop_axes():
    completed = cli(
        "sweep",
        "GOOG",
        "-g",
        "fast=5,10",
        "-g",
        "slow=30",
        "-g",
        "sl=0.02,0.05",
        "-g",
        "tp=none,0.1",
        "--top",
        "3",
        "--no-progress",
    )
    assert completed.returncode == 0, completed.stderr
    header = completed.stdout.splitlines()[0].split()
    assert header[:5] == ["symbol", "fast", "slow", "sl", "tp"]
