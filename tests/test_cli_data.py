"""The CLI's file-reading options (docs/data.md): refusals are one line with exit code 2,
and the options that resolve them reach fastbt.load in run, verify, sweep and data import."""

import pandas as pd
import pytest

import fastbt
from fastbt.cli import main
from tests.test_cli import assert_one_line_error, cli


class Completed:
    """main()'s outcome in the shape of subprocess.CompletedProcess."""

    def __init__(self, returncode, captured):
        self.returncode = returncode
        self.stdout = captured.out
        self.stderr = captured.err


@pytest.fixture
def fastbt_cli(capsys, tmp_path):
    def call(*args):
        status = main([*args])
        return Completed(status, capsys.readouterr())

    return call


@pytest.fixture(scope="module")
def goog():
    return fastbt.load("GOOG")


@pytest.fixture
def ambiguous_csv(goog, tmp_path):
    """GOOG bars dated DD/MM/YYYY, only days <= 12: both readings fit every row."""
    frame = goog[goog.index.day <= 12].iloc[:300].reset_index(names="Date")
    frame["Date"] = frame["Date"].dt.strftime("%d/%m/%Y")
    path = tmp_path / "early.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def long_csv(goog, tmp_path):
    """date,symbol,open,... holding GOOG and ACME (half GOOG's prices)."""
    bars = goog.iloc[:300]
    both = pd.concat([bars.assign(symbol="GOOG"), (bars * 0.5).assign(symbol="ACME")])
    path = tmp_path / "long.csv"
    both.sort_index(kind="stable").reset_index(names="date").to_csv(path, index=False)
    return path


def test_ambiguous_dates_are_one_line_errors_until_dayfirst(fastbt_cli, ambiguous_csv):
    for command in ("run", "verify"):
        completed = fastbt_cli(command, str(ambiguous_csv), "-p", "fast=5", "-p", "slow=20")
        assert_one_line_error(completed, "day first", "--dayfirst", "--date-format")
    completed = fastbt_cli("run", str(ambiguous_csv), "-p", "fast=5", "-p", "slow=20", "--dayfirst")
    assert completed.returncode == 0, completed.stderr
    formatted = fastbt_cli(
        "run", str(ambiguous_csv), "-p", "fast=5", "-p", "slow=20", "--date-format", "%d/%m/%Y"
    )
    assert formatted.stdout == completed.stdout


def test_sweep_takes_the_load_options(fastbt_cli, ambiguous_csv, long_csv):
    grid = ("-g", "fast=5:7", "-g", "slow=20:22", "--no-progress", "--json")
    assert_one_line_error(fastbt_cli("sweep", str(ambiguous_csv), *grid), "--dayfirst")
    assert fastbt_cli("sweep", str(ambiguous_csv), *grid, "--dayfirst").returncode == 0
    assert_one_line_error(fastbt_cli("sweep", str(long_csv), *grid), "GOOG, ACME", "--ticker")
    completed = fastbt_cli("sweep", str(long_csv), *grid, "--ticker", "ACME")
    assert completed.returncode == 0, completed.stderr
    assert '"symbols": ["ACME"]' in completed.stdout


def test_two_tickers_are_refused_in_one_line_and_picked_with_ticker(fastbt_cli, long_csv, goog):
    completed = fastbt_cli("run", str(long_csv), "-p", "fast=5", "-p", "slow=20")
    assert_one_line_error(completed, "2 symbols (GOOG, ACME)", "--ticker", "--split-symbols")
    picked = fastbt_cli("run", str(long_csv), "-p", "fast=5", "-p", "slow=20", "--ticker", "GOOG")
    assert picked.returncode == 0, picked.stderr
    assert "on GOOG, 300 bars" in picked.stdout


def test_data_import_split_symbols_stores_each_ticker(fastbt_cli, long_csv, goog, tmp_path):
    store = str(tmp_path / "home")
    assert_one_line_error(
        fastbt_cli("data", "import", str(long_csv), "--symbol", "X", "--store", store),
        "2 symbols (GOOG, ACME)",
    )
    completed = fastbt_cli("data", "import", str(long_csv), "--split-symbols", "--store", store)
    assert completed.returncode == 0, completed.stderr
    assert "GOOG: 300 rows stored (1d)" in completed.stdout
    assert "ACME: 300 rows stored (1d)" in completed.stdout
    market = fastbt.MarketStore(store)
    acme = market.read("ACME")
    assert (acme["close"].to_numpy() == goog["close"].iloc[:300].to_numpy() * 0.5).all()
    one = fastbt_cli("data", "import", str(long_csv), "--ticker", "acme", "--store", store)
    assert one.returncode == 0 and "ACME: 300 rows stored" in one.stdout


def test_data_import_split_symbols_writes_nothing_when_one_ticker_is_bad(
    fastbt_cli, long_csv, tmp_path
):
    frame = pd.read_csv(long_csv)
    bad = frame.index[frame["symbol"] == "ACME"][7]
    frame.loc[bad, "high"] = frame.loc[bad, "low"] / 2  # ACME's high below its body
    frame.to_csv(long_csv, index=False)
    store = tmp_path / "home"
    completed = fastbt_cli(
        "data", "import", str(long_csv), "--split-symbols", "--store", str(store)
    )
    assert_one_line_error(completed, "[ACME]", "column 'high' at row 7")
    assert fastbt.MarketStore(store).symbols() == []


def test_data_import_adjust_choice_is_stored(fastbt_cli, goog, tmp_path):
    path = tmp_path / "adj.csv"
    bars = goog.iloc[:50]
    bars.assign(**{"Adj Close": bars["close"] / 2}).reset_index(names="Date").to_csv(
        path, index=False
    )
    store = str(tmp_path / "home")
    noted = fastbt_cli("data", "import", str(path), "--symbol", "ADJ", "--store", store)
    assert noted.returncode == 0
    assert "fastbt: note: the data has an 'Adj Close' column: used adjusted prices" in noted.stderr
    stored = fastbt.MarketStore(store).read("ADJ")
    assert stored.attrs["adjusted"] is True
    assert stored["close"].iloc[0] == bars["close"].iloc[0] / 2
    raw = fastbt_cli(
        "data", "import", str(path), "--symbol", "ADJ", "--no-adjust", "--store", store
    )
    assert_one_line_error(raw, "stored bars have adjusted=True")


def test_missing_file_and_sample_interval_are_one_line_errors():
    """Through the real console script."""
    completed = cli("run", "nosuch.csv")
    assert_one_line_error(completed, "file not found: nosuch.csv")
    assert "fetch" not in completed.stderr
    assert_one_line_error(cli("run", "GOOG", "--interval", "1m"), "GOOG has 1d bars, not 1m")
    assert cli("run", "EURUSD", "-s", "rsi").returncode == 0
