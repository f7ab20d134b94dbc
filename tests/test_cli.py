"""The ``fastbt`` command, run as a real subprocess."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import fastbt

FASTBT = Path(sys.executable).parent / "fastbt"


def cli(*args, timeout=300):
    return subprocess.run([str(FASTBT), *args], capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(completed, *fragments):
    assert completed.returncode == 2
    assert completed.stdout == ""
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("fastbt: error: ")
    assert "Traceback" not in completed.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_run_prints_a_metrics_table_equal_to_the_api():
    completed = cli("run", "GOOG", "--strategy", "ma_cross", "-p", "fast=10", "-p", "slow=20")
    assert completed.returncode == 0, completed.stderr
    expected = fastbt.run("GOOG", "ma_cross", fast=10, slow=20)
    lines = completed.stdout.splitlines()
    assert (
        lines[1]
        == f"trades: {expected.metrics['n_trades']} closed ({expected.metrics['n_trades']} long, 0 short), 0 stop exits, 1 open"
    )
    table = dict(line.split() for line in lines[2:])
    assert set(table) == set(expected.metrics)
    assert table["n_trades"] == str(expected.metrics["n_trades"])
    assert table["total_return"] == f"{100 * expected.metrics['total_return']:.2f}%"
    assert table["sharpe"] == f"{expected.metrics['sharpe']:.3f}"


def test_run_json_is_one_object_with_null_for_non_finite():
    completed = cli(
        "run",
        "BTCUSD",
        "-p",
        "fast=2",
        "-p",
        "slow=100",
        "--fill",
        "close",
        "--commission",
        "0.001",
        "--slippage",
        "0.001",
        "--json",
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    expected = fastbt.run(
        "BTCUSD", "ma_cross", fast=2, slow=100, fill="close", commission=0.001, slippage=0.001
    )
    assert payload["params"] == {"fast": 2, "slow": 100}
    assert payload["n_trades"] == expected.metrics["n_trades"]
    assert payload["metrics"]["total_return"] == pytest.approx(expected.metrics["total_return"])
    for name, value in expected.metrics.items():
        if value != value or value in (float("inf"), float("-inf")):
            assert payload["metrics"][name] is None
    assert "NaN" not in completed.stdout and "Infinity" not in completed.stdout


def test_reference_engine_from_the_cli_gives_the_same_numbers():
    args = ("run", "EURUSD", "-s", "rsi", "-p", "window=10", "--json", "--close-at-end")
    fast = json.loads(cli(*args).stdout)
    reference = json.loads(cli(*args, "--engine", "reference").stdout)
    assert reference["engine"] == "reference"
    assert reference["metrics"]["n_trades"] == fast["metrics"]["n_trades"]
    assert reference["metrics"]["sharpe"] == pytest.approx(fast["metrics"]["sharpe"], rel=1e-9)


def test_verify_command():
    completed = cli("verify", "GOOG", "-p", "fast=5", "-p", "slow=40", "--commission", "0.001")
    assert completed.returncode == 0, completed.stderr
    assert "fast and reference engines agree" in completed.stdout


def test_strategies_lists_parameters_and_defaults():
    completed = cli("strategies")
    assert completed.returncode == 0
    assert "ma_cross" in completed.stdout and "fast=50" in completed.stdout
    assert "slow=200" in completed.stdout
    assert "window=14" in completed.stdout and "oversold=30.0" in completed.stdout
    assert "overbought=70.0" in completed.stdout
    assert "entry: crosses_above(sma(close, fast), sma(close, slow))" in completed.stdout


def test_csv_file_source_and_data_notes(tmp_path):
    bars = fastbt.load("GOOG").iloc[:300]
    path = tmp_path / "goog.csv"
    shuffled = bars.iloc[::-1]
    shuffled.reset_index().to_csv(path, index=False)
    completed = cli("run", str(path), "-p", "fast=5", "-p", "slow=20", "--json")
    assert completed.returncode == 0, completed.stderr
    assert "fastbt: note: timestamps were not sorted; sorted them" in completed.stderr
    assert json.loads(completed.stdout)["symbol"] == "GOOG"


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("run", "NOPE"), ("unknown data source 'NOPE'",)),
        (("run", "GOOG", "-s", "macd"), ("unknown strategy 'macd'",)),
        (("run", "GOOG", "-p", "fast=30", "-p", "slow=10"), ("'fast' must be below 'slow'",)),
        (("run", "GOOG", "-p", "span=3"), ("unknown parameter(s)", "span")),
        (("run", "GOOG", "-p", "fast"), ("expected NAME=VALUE",)),
        (("run", "GOOG", "-p", "fast=ten"), ("not a number",)),
        (("run", "GOOG", "--cash", "-5"), ("cash must be positive",)),
        (("run", "GOOG", "--commission", "-0.1"), ("commission must not be negative",)),
        (("run", "GOOG", "--fill", "open"), ("--fill", "invalid choice")),
        (("run", "GOOG", "--cash", "lots"), ("--cash", "invalid float value")),
        (("run",), ("required", "source")),
        (("frobnicate",), ("invalid choice",)),
        ((), ("required",)),
    ],
)
def test_bad_input_is_one_line_exit_2(args, fragments):
    assert_one_line_error(cli(*args), *fragments)


def test_bad_file_is_one_line_exit_2(tmp_path):
    path = tmp_path / "bars.csv"
    path.write_text("Date,Open,High,Low,Close\n2024-01-01,1,2,1,1\n2024-01-02,1,0.5,1,1\n")
    assert_one_line_error(cli("run", str(path)), "column 'high' at row 1", "bars.csv")


def test_demo_runs_cross_checks_and_writes_reports(tmp_path):
    completed = cli("demo", "--reports", str(tmp_path))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.count("cross-check: the reference engine agrees") == 2
    assert "9,900 backtests in" in completed.stdout
    names = ["GOOG-ma_cross.html", "EURUSD-rsi.html", "sweep-ma_cross.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)
    for name in names:
        assert str(tmp_path / name) in completed.stdout
    goog = (tmp_path / "GOOG-ma_cross.html").read_text()
    expected = fastbt.run("GOOG", "ma_cross", fast=10, slow=30, commission=0.001)
    assert f"{100 * expected.metrics['total_return']:.2f}%" in goog


def test_verify_disagreement_exits_1_with_the_differences(tmp_path):
    """A deliberately broken reference rule, injected through a sitecustomize module."""
    (tmp_path / "sitecustomize.py").write_text(
        "from fastbt.reference import portfolio\n"
        "portfolio.Portfolio._fee = lambda self, price, qty: 1.0\n"
    )
    completed = subprocess.run(
        [str(FASTBT), "verify", "GOOG", "-p", "fast=5", "-p", "slow=40", "--commission", "0.01"],
        capture_output=True,
        text=True,
        timeout=300,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(Path(fastbt.__file__).parents[1])]),
        },
    )
    assert completed.returncode == 1
    assert "Traceback" not in completed.stderr
    assert "fastbt: fast and reference engines disagree" in completed.stderr
    assert "metric total_fees: fast=" in completed.stderr


def test_sweep_prints_the_top_rows_and_throughput():
    completed = cli(
        "sweep",
        "GOOG",
        "-g",
        "fast=2:12",
        "-g",
        "slow=10:40:5",
        "--top",
        "3",
        "--sort",
        "total_return",
        "--no-progress",
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    assert lines[0].split()[:4] == ["symbol", "fast", "slow", "total_return"]
    assert len(lines) == 5
    best = fastbt.top(
        fastbt.sweep(
            "GOOG", "ma_cross", {"fast": range(2, 12), "slow": range(10, 40, 5)}, progress=False
        ),
        1,
        "total_return",
    ).iloc[0]
    assert lines[1].split()[1:3] == [str(best.fast), str(best.slow)]
    n_valid = sum(f < s for f in range(2, 12) for s in range(10, 40, 5))
    assert f"backtests ({n_valid} sets x 1 symbol(s))" in lines[-1] and "sets/s" in lines[-1]


def test_sweep_json_out_and_resume(tmp_path):
    out = tmp_path / "run"
    args = (
        "sweep",
        "GOOG",
        "EURUSD",
        "-s",
        "rsi",
        "-g",
        "window=5:20:5",
        "-g",
        "oversold=20,30",
        "--out",
        str(out),
        "--chunk-size",
        "2",
        "--json",
        "--top",
        "4",
    )
    first = cli(*args)
    assert first.returncode == 0, first.stderr
    payload = json.loads(first.stdout)
    assert payload["n_sets"] == 6 and payload["n_rows"] == 12 and len(payload["top"]) == 4
    assert cli(*args).returncode == 2  # out holds results: needs --resume
    again = json.loads(cli(*args, "--resume").stdout)
    assert again["top"] == payload["top"]
    assert (payload["n_computed"], payload["n_resumed"]) == (12, 0)
    assert (again["n_computed"], again["n_resumed"]) == (0, 6)
    assert again["sets_per_second"] is None and again["bar_evaluations_per_second"] is None
    text = cli(*args[:-3], "--resume", "--no-progress")
    assert text.returncode == 0, text.stderr
    last = text.stdout.strip().splitlines()[-1]
    assert "0 computed, all 12 read back from 6 saved chunk(s) in " in last
    assert "/s" not in last


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("sweep", "GOOG", "-g", "fast=2:1"), "has no values"),
        (("sweep", "GOOG", "-g", "fast=a:b"), "not a number"),
        (("sweep", "GOOG", "-g", "fast"), "expected NAME=START:STOP"),
        (("sweep", "GOOG", "-g", "fast=50", "-g", "slow=10"), "no valid parameter sets"),
        (("sweep", "GOOG", "-g", "span=1,2"), "unknown parameter(s)"),
        (("sweep", "GOOG", "--backend", "dask"), "needs scheduler="),
        (("sweep", "GOOG", "--sort", "alpha"), "--sort must be a metric"),
    ],
)
def test_sweep_bad_input_is_one_line_exit_2(args, fragment):
    assert_one_line_error(cli(*args), fragment)


RSI_SOME_NEVER_TRADE = ("GOOG", "-s", "rsi", "-g", "window=5,14,30", "-g", "oversold=5,10,20,30")


def test_sweep_ranks_only_sets_with_enough_closed_trades_and_says_how_many_not():
    table = fastbt.sweep(
        "GOOG", "rsi", {"window": [5, 14, 30], "oversold": [5.0, 10.0, 20.0, 30.0]}, progress=False
    )
    args = ("sweep", *RSI_SOME_NEVER_TRADE, "--sort", "max_drawdown", "--no-progress")
    completed = cli(*args, "--top", "3")
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    expected = fastbt.top(table, 3, "max_drawdown")
    assert [line.split()[1:3] for line in lines[1:4]] == [
        [str(w), str(o)] for w, o in zip(expected.window, expected.oversold, strict=True)
    ]
    assert "n_trades" in lines[0] and all(line.split()[-1] != "0" for line in lines[1:4])
    assert lines[4] == (
        "3 of 12 backtests have no closed trade and are not ranked (--min-trades 0 ranks every set)"
    )
    busy = json.loads(cli(*args, "--min-trades", "5", "--top", "12", "--json").stdout)
    assert (busy["min_trades"], busy["n_not_ranked"]) == (5, int((table.n_trades < 5).sum()))
    assert len(busy["top"]) == (table.n_trades >= 5).sum()
    assert all(row["n_trades"] >= 5 for row in busy["top"])
    everything = json.loads(cli(*args, "--min-trades", "0", "--json").stdout)
    assert everything["n_not_ranked"] == 0 and everything["top"][0]["n_trades"] == 0
    none = cli(*args, "--min-trades", "1000")
    assert none.returncode == 0, none.stderr
    assert none.stdout.splitlines()[0].startswith(
        "12 of 12 backtests have fewer than 1,000 closed trades and are not ranked"
    )
    assert_one_line_error(cli(*args, "--min-trades", "-1"), "--min-trades must be 0 or more")


def test_sweep_float_ranges_exclude_the_stop_without_float_noise():
    completed = cli(
        "sweep", "GOOG", "-s", "rsi", "-g", "oversold=20:20.3:0.1", "--json", "--top", "10"
    )
    assert completed.returncode == 0, completed.stderr
    levels = sorted(row["oversold"] for row in json.loads(completed.stdout)["top"])
    assert levels == [20.0, 20.1, 20.2]


def test_sweep_top_must_be_positive():
    assert_one_line_error(cli("sweep", "GOOG", "-g", "fast=2", "--top", "0"), "--top must be")


def test_sweep_reads_a_given_store_and_interval(tmp_path):
    fastbt.MarketStore(tmp_path).write("HOURLY", fastbt.load("EURUSD"), interval="1h")
    completed = cli(
        "sweep",
        "HOURLY",
        "-g",
        "fast=5",
        "-g",
        "slow=20",
        "--interval",
        "1h",
        "--store",
        str(tmp_path),
        "--json",
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["symbols"] == ["HOURLY"]
    assert payload["bar_evaluations_per_second"] > 0


def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
    store = fastbt.MarketStore(tmp_path)
    bars = fastbt.load("GOOG").iloc[:20]
    for k in range(800):  # a listing larger than a pipe's buffer (64 KiB)
        store.write(f"SYM{k:04d}", bars)
    child = subprocess.Popen(
        [str(FASTBT), "data", "ls", "--store", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout.readline().split()[0] == b"symbol"
    child.stdout.close()  # as `fastbt data ls | head -1` does
    assert child.wait(timeout=120) == 0
    assert child.stderr.read() == b""


def interrupted_sweep(args, out=None):
    """Run ``fastbt sweep ARGS`` and send it SIGINT (Ctrl-C) once it is under way: after
    its first part file in ``out``, else once its progress bar appears on stderr."""
    child = subprocess.Popen(
        [str(FASTBT), "sweep", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # SIGINT as in a terminal, even where the test runner's shell ignores it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 240
    seen = b""
    while not (list(out.glob("part-*.parquet")) if out else b"sweep:" in seen):
        assert child.poll() is None, "the sweep finished before it could be interrupted"
        assert time.monotonic() < deadline
        if out is None:
            seen += os.read(child.stderr.fileno(), 1)
        time.sleep(0.002)
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=120)
    return child.returncode, stdout.decode(), (seen + stderr).decode()


LONG_SWEEP = ("GOOG", "-g", "fast=2:60", "-g", "slow=3:300", "--chunk-size", "100")


def test_ctrl_c_during_a_sweep_says_what_was_kept_and_how_to_resume(tmp_path):
    out = tmp_path / "run"
    args = (*LONG_SWEEP, "--jobs", "1", "--no-progress", "--out", str(out))
    code, stdout, stderr = interrupted_sweep(args, out)
    assert (code, stdout) == (130, ""), stderr
    (line,) = stderr.splitlines()
    kept = len(list(out.glob("part-*.parquet")))
    n_chunks = json.loads((out / "manifest.json").read_text())["n_chunks"]
    assert 0 < kept < n_chunks
    resume = f"fastbt sweep {' '.join(args)} --resume"
    assert line == (
        f"fastbt: interrupted: {kept} of {n_chunks} chunks kept in {out}; resume with `{resume}`"
    )
    resumed = cli("sweep", *args, "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["n_resumed"] == kept
    uninterrupted = fastbt.sweep(
        "GOOG", "ma_cross", {"fast": range(2, 60), "slow": range(3, 300)}, progress=False
    )
    pd.testing.assert_frame_equal(fastbt.load_sweep(out), uninterrupted, check_dtype=False)


def test_ctrl_c_during_a_sweep_without_out_says_nothing_was_kept():
    code, stdout, stderr = interrupted_sweep((*LONG_SWEEP, "--jobs", "1"))
    assert (code, stdout) == (130, ""), stderr
    assert "Traceback" not in stderr
    last = stderr.splitlines()[-1]  # after the progress bar's last state
    assert last == "fastbt: interrupted: nothing kept (use --out DIR to keep partial results)"


@pytest.mark.parametrize("stop", ["1000000000000", str(10**300)])
def test_a_grid_axis_too_long_to_build_is_one_line_error(stop):
    # Without the cap, range(1, 10**12) is listed into memory (MemoryError) and
    # 10**300 overflows; both must be the usual one-line refusal, before any work.
    completed = cli("sweep", "GOOG", "-g", f"fast=1:{stop}", "-g", "slow=50", timeout=60)
    assert_one_line_error(completed, "grid fast", "at most 10,000,000")
