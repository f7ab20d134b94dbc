"""``fastbt portfolio``: in-process through cli.main, and one real subprocess."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import fastbt
from fastbt import cli
from fastbt.formatting import format_metric

DATA = fastbt.synthetic_universe(3, 260, seed=5)


@pytest.fixture
def files(tmp_path):
    """The symbols as CSV files, and their NAME=FILE arguments."""
    names = []
    for symbol, frame in DATA.items():
        path = tmp_path / f"{symbol}.csv"
        frame.to_csv(path)
        names.append(f"{symbol}={path}")
    return names


def weights_csv(tmp_path, frame, name="w.csv") -> str:
    path = tmp_path / name
    frame.to_csv(path, index_label="timestamp")
    return str(path)


def test_momentum_rotation_prints_the_run_portfolio_metrics(files, capsys):
    argv = ["portfolio", *files, "-s", "momentum_rotation", "-p", "lookback=20", "-p", "top_k=2"]
    assert cli.main([*argv, "--rebalance", "W", "--commission", "0.001"]) == 0
    out = capsys.readouterr().out
    expected = fastbt.run_portfolio(
        DATA, "momentum_rotation", lookback=20, top_k=2, rebalance="W", commission=0.001
    )
    assert out.startswith(repr(expected))
    for name in ("total_return", "sharpe", "n_trades"):
        assert f"{format_metric(name, expected.metrics[name]):>12}" in out


def test_weights_file_on_rebalance_rows_only(files, tmp_path, capsys):
    weights = fastbt.rebalance({"SYN000": 0.6, "SYN001": 0.4}, DATA, every="M")
    path = weights_csv(tmp_path, weights.dropna())  # rows of the rebalance bars only
    assert cli.main(["portfolio", *files, "--weights", path, "--fixed-fee", "1"]) == 0
    expected = fastbt.run_portfolio(DATA, weights=weights, fixed_fee=1.0)
    assert capsys.readouterr().out.startswith(repr(expected))


def test_strategy_portfolio_both_directions(files, capsys):
    argv = ["portfolio", *files, "-s", "ma_cross", "-p", "fast=5", "-p", "slow=20"]
    assert cli.main([*argv, "--direction", "both", "--reversal-fee", "per_order"]) == 0
    expected = fastbt.run_portfolio(
        DATA, "ma_cross", fast=5, slow=20, direction="both", reversal_fee="per_order"
    )
    assert expected.metrics["n_short_trades"] > 0
    assert capsys.readouterr().out.startswith(repr(expected))


def _bad_weights(tmp_path):
    weights = fastbt.rebalance({"SYN000": 0.5}, DATA, every="M").dropna()
    unknown = weights.rename(columns={"SYN002": "XYZ"})
    shifted = weights.set_axis(weights.index + pd.Timedelta(hours=1), axis=0)
    high = weights.copy()
    high.iloc[2, 1] = 1.5
    text = weights.astype(object)
    text.iloc[0, 0] = "half"
    return {
        "unknown": (unknown, "not a symbol given: XYZ; missing: SYN002"),
        "shifted": (shifted, "is not a bar of the data"),
        "high": (high, "must be in [0, 1]"),
        "text": (text, "weights must be numbers"),
    }


@pytest.mark.parametrize("case", ["unknown", "shifted", "high", "text"])
def test_bad_weights_file_is_one_line_exit_2(files, tmp_path, capsys, case):
    frame, message = _bad_weights(tmp_path)[case]
    path = weights_csv(tmp_path, frame)
    assert cli.main(["portfolio", *files, "--weights", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "give -s STRATEGY"),
        (["-s", "ma_cross", "--rebalance", "M"], "--rebalance applies to -s momentum_rotation"),
        (["-s", "momentum_rotation", "--size", "0.5"], "size does not apply"),
        (["-s", "momentum_rotation", "--direction", "both"], "not to target weights"),
    ],
)
def test_bad_arguments_are_one_line_exit_2(files, capsys, extra, message):
    assert cli.main(["portfolio", *files, *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_misaligned_symbols_need_align(capsys):
    assert cli.main(["portfolio", "GOOG", "BTCUSD", "-s", "ma_cross"]) == 2
    assert "fastbt.align" in capsys.readouterr().err


def test_subprocess_with_report(files, tmp_path):
    report = tmp_path / "p.html"
    fastbt_script = Path(sys.executable).parent / "fastbt"
    argv = [str(fastbt_script), "portfolio", *files, "-s", "ma_cross", "-p", "fast=5"]
    done = subprocess.run(
        [*argv, "-p", "slow=30", "--size", "0.3", "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    expected = fastbt.run_portfolio(DATA, "ma_cross", fast=5, slow=30, size=0.3)
    assert done.stdout.startswith(repr(expected))
    assert report.stat().st_size > 0
