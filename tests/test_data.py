"""Loading bars from samples, files and frames; synthetic series; periods per year."""

import numpy as np
import pandas as pd
import pytest

import fastbt
from fastbt.periods import infer_periods_per_year


@pytest.mark.parametrize(("symbol", "n_bars"), [("GOOG", 2148), ("EURUSD", 5000), ("BTCUSD", 156)])
def test_bundled_samples_load_with_their_real_values(symbol, n_bars):
    bars = fastbt.load(symbol.lower())
    assert len(bars) == n_bars
    assert bars.attrs["symbol"] == symbol
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert (bars.dtypes == "float64").all()
    assert bars.index.is_monotonic_increasing and bars.index.is_unique


def test_goog_sample_matches_the_source_rows():
    bars = fastbt.load("GOOG")
    first = bars.iloc[0]
    assert bars.index[0] == pd.Timestamp("2004-08-19")
    assert (first.open, first.high, first.low, first.close) == (100.0, 104.06, 95.96, 100.34)
    assert first.volume == 22351900


def test_csv_and_parquet_files_round_trip(tmp_path):
    bars = fastbt.load("BTCUSD")
    csv = tmp_path / "btc.csv"
    bars.reset_index().rename(columns={"timestamp": "Date"}).to_csv(csv, index=False)
    parquet = tmp_path / "btc.parquet"
    bars.to_parquet(parquet)
    for path in (csv, parquet, str(csv)):
        loaded = fastbt.load(path)
        pd.testing.assert_frame_equal(loaded, bars, check_freq=False, check_exact=True)
    assert fastbt.load(csv).attrs["symbol"] == "BTC"


def test_unknown_source_and_file_type(tmp_path):
    with pytest.raises(ValueError, match=r"not a file, not in the store.*not a bundled sample"):
        fastbt.load("NOPE")
    bad = tmp_path / "bars.xlsx"
    bad.write_text("x")
    with pytest.raises(ValueError, match=r"unsupported file type '.xlsx'"):
        fastbt.load(bad)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(ValueError, match=r"broken\.parquet: could not be read"):
        fastbt.load(broken)
    with pytest.raises(ValueError, match="must be a DataFrame, a file path or a symbol"):
        fastbt.load(42)


def test_validation_errors_from_files_name_the_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Date,Open,High,Low,Close\n2024-01-01,1,2,1,1\n")
    with pytest.raises(ValueError, match=r"bad\.csv: need at least 2 bars"):
        fastbt.load(path)


def test_timezone_aware_index_is_converted_to_utc():
    index = pd.date_range("2024-01-01 09:30", periods=3, freq="h", tz="America/New_York")
    frame = pd.DataFrame({"open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0}, index=index)
    loaded = fastbt.load(frame)
    assert str(loaded.index.tz) == "UTC"
    assert loaded.index[0] == pd.Timestamp("2024-01-01 14:30", tz="UTC")


def test_synthetic_is_seeded_valid_and_any_length():
    a = fastbt.synthetic(500, seed=7)
    pd.testing.assert_frame_equal(a, fastbt.synthetic(500, seed=7))
    assert not a.equals(fastbt.synthetic(500, seed=8))
    pd.testing.assert_frame_equal(fastbt.load(a), a, check_freq=False)
    big = fastbt.synthetic(200_000, seed=1, freq="min")
    assert len(big) == 200_000 and fastbt.load(big) is not None


def test_synthetic_universe_has_independent_symbols():
    universe = fastbt.synthetic_universe(3, 100, seed=1)
    assert list(universe) == ["SYN000", "SYN001", "SYN002"]
    closes = [frame["close"].to_numpy() for frame in universe.values()]
    assert not np.array_equal(closes[0], closes[1])
    again = fastbt.synthetic_universe(3, 100, seed=1)
    pd.testing.assert_frame_equal(again["SYN002"], universe["SYN002"])


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("MS", 12.0), ("W", 52.0), ("B", 252.0), ("D", 365.0), ("h", 365.0 * 24)],
)
def test_periods_per_year_from_spacing(freq, expected):
    index = pd.date_range("2021-01-04", periods=400, freq=freq)
    assert infer_periods_per_year(index) == expected


def test_periods_per_year_intraday_on_trading_days_only():
    days = pd.bdate_range("2021-01-04", periods=60)
    index = pd.DatetimeIndex(
        [
            day + pd.Timedelta(hours=9, minutes=30) + k * pd.Timedelta(minutes=30)
            for day in days
            for k in range(13)
        ]
    )
    assert infer_periods_per_year(index) == 252.0 * 13


def test_periods_per_year_of_the_samples():
    assert fastbt.run("GOOG", "ma_cross", fast=5, slow=20).metrics["periods_per_year"] == 252
    assert fastbt.run("BTCUSD", "ma_cross", fast=2, slow=5).metrics["periods_per_year"] == 12
    eurusd = fastbt.run("EURUSD", "rsi").metrics["periods_per_year"]
    assert eurusd == 252 * 24  # hourly FX, weekends closed
    given = fastbt.run("GOOG", "ma_cross", fast=5, slow=20, periods_per_year=250)
    assert given.metrics["periods_per_year"] == 250
