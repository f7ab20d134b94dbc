"""Files read one way only: date formats, multi-symbol tables, Yahoo layouts, adjusted
prices, split-like jumps, separators, missing paths, sample intervals (docs/data.md)."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastbt
from fastbt.data.load import load_symbols
from fastbt.data.samples import SAMPLES, read_sample
from fastbt.data.validate import validate_bars


@pytest.fixture(scope="module")
def goog():
    return fastbt.load("GOOG")


def write_csv(bars: pd.DataFrame, path: Path, date_format: str | None = None, **columns) -> Path:
    """Bars as a CSV with a Date column (formatted with ``date_format``) and extra columns."""
    frame = bars.reset_index(names="Date").assign(**columns)
    if date_format is not None:
        frame["Date"] = frame["Date"].dt.strftime(date_format)
    frame.to_csv(path, index=False)
    return path


def assert_same_bars(loaded: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        loaded, expected, check_freq=False, check_index_type=False, check_exact=True
    )


def no_data_warnings(function, *args, **kwargs):
    """Call ``function``, failing on any DataWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", fastbt.DataWarning)
        return function(*args, **kwargs)


# -- item 1: one date format for the whole column --------------------------------


def test_day_first_goog_csv_is_read_day_first(goog, tmp_path):
    """GOOG's dates as DD/MM/YYYY: many days are > 12, so only day-first reads every row."""
    path = write_csv(goog, tmp_path / "goog.csv", "%d/%m/%Y")
    assert_same_bars(no_data_warnings(fastbt.load, path), goog)
    assert_same_bars(fastbt.load(path, dayfirst=True), goog)
    assert_same_bars(fastbt.load(path, date_format="%d/%m/%Y"), goog)
    with pytest.raises(ValueError, match=r"row 0 \('19/08/2004'\) does not match %m/%d/%Y"):
        fastbt.load(path, dayfirst=False)


def test_day_first_backtest_equals_the_original(goog, tmp_path):
    """The issue's example: the day-first file gives the same backtest as the sample."""
    path = write_csv(goog.iloc[:600], tmp_path / "goog600.csv", "%d/%m/%Y")
    expected = fastbt.run(goog.iloc[:600], "ma_cross", fast=10, slow=30)
    result = fastbt.run(path, "ma_cross", fast=10, slow=30)
    assert result.metrics["total_return"] == expected.metrics["total_return"]


def test_dates_both_readings_fit_are_refused_until_chosen(goog, tmp_path):
    """Only days <= 12: day-first and month-first both read every row, differently."""
    early = goog[goog.index.day <= 12]
    path = write_csv(early, tmp_path / "early.csv", "%d/%m/%Y")
    with pytest.raises(ValueError) as refused:
        fastbt.load(path)
    message = str(refused.value)
    for fragment in ("%m/%d/%Y (month first)", "%d/%m/%Y (day first)", "dayfirst=", "date_format="):
        assert fragment in message
    assert_same_bars(no_data_warnings(fastbt.load, path, dayfirst=True), early)
    assert_same_bars(fastbt.load(path, date_format="%d/%m/%Y"), early)


def test_month_first_dates_with_a_day_above_12(goog, tmp_path):
    path = write_csv(goog.iloc[:40], tmp_path / "us.csv", "%m/%d/%Y %H:%M")
    assert_same_bars(no_data_warnings(fastbt.load, path), goog.iloc[:40])


def test_a_column_no_single_format_reads_is_refused_naming_the_row(goog, tmp_path):
    frame = goog.iloc[:30].reset_index(names="Date")
    frame["Date"] = frame["Date"].dt.strftime("%Y-%m-%d")
    frame.loc[17, "Date"] = goog.index[17].strftime("%d/%m/%Y")
    with pytest.raises(ValueError, match=r"row 17 \('14/09/2004'\) does not match %Y-%m-%d"):
        fastbt.load(frame)


def test_date_format_must_read_every_row(goog, tmp_path):
    path = write_csv(goog.iloc[:10], tmp_path / "iso.csv")
    with pytest.raises(ValueError, match=r"row 0 .* does not match date_format '%d.%m.%Y'"):
        fastbt.load(path, date_format="%d.%m.%Y")


@pytest.mark.parametrize(
    ("texts", "utc"),
    [
        (["2024-03-01", "2024-03-04", "2024-03-05"], False),
        (["2024-03-01 09:30:00", "2024-03-01 10:30:00", "2024-03-01 11:30:00"], False),
        (["2024-03-01T09:30:00Z", "2024-03-01T10:30:00Z", "2024-03-01T11:30:00Z"], True),
        (["2024-03-09T10:00-05:00", "2024-03-10T10:00-04:00", "2024-03-11T10:00-04:00"], True),
        (["2024/03/01", "2024/03/04", "2024/03/05"], False),
    ],
)
def test_iso_like_dates_need_no_option(texts, utc):
    frame = pd.DataFrame({"date": texts, "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0})
    loaded = no_data_warnings(fastbt.load, frame)
    assert (loaded.index == pd.DatetimeIndex(pd.to_datetime(texts, utc=utc))).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.lists(st.integers(0, 3000), min_size=2, max_size=60, unique=True),
    dayfirst=st.booleans(),
)
def test_property_dates_with_a_day_above_12_load_like_the_original(days, dayfirst):
    index = pd.DatetimeIndex(sorted(pd.Timestamp("2015-01-01") + pd.to_timedelta(days, "D")))
    if not (index.day > 12).any():
        index = index.append(pd.DatetimeIndex([pd.Timestamp("2030-01-20")]))
    n = len(index)
    bars = pd.DataFrame(
        {"open": 10.0, "high": 11.0, "low": 9.0, "close": np.linspace(9.5, 10.5, n)}, index=index
    )
    text = bars.reset_index(names="date")
    text["date"] = text["date"].dt.strftime("%d/%m/%Y" if dayfirst else "%m/%d/%Y")
    loaded = no_data_warnings(fastbt.load, text)
    assert (loaded.index == index).all()
    assert (loaded["close"].to_numpy() == bars["close"].to_numpy()).all()


def test_run_verify_and_sweep_pass_load_options(goog, tmp_path):
    early = goog[goog.index.day <= 12].iloc[:200]
    path = write_csv(early, tmp_path / "early.csv", "%d/%m/%Y")
    expected = fastbt.run(early, "ma_cross", fast=5, slow=20)
    options = {"dayfirst": True}
    for call in (fastbt.run, fastbt.verify):
        with pytest.raises(ValueError, match="dayfirst="):
            call(path, "ma_cross", fast=5, slow=20)
        result = call(path, "ma_cross", fast=5, slow=20, load_options=options)
        assert result.metrics["total_return"] == expected.metrics["total_return"]
    table = fastbt.sweep(
        [path], "ma_cross", {"fast": [5], "slow": [20]}, progress=False, load_options=options
    )
    assert table["total_return"].iloc[0] == expected.metrics["total_return"]


# -- item 2: several symbols in one table; many duplicates ------------------------


def two_tickers(goog: pd.DataFrame, path: Path) -> Path:
    """A long CSV: date,symbol,open,... with GOOG and a second series on the same dates."""
    first = goog.iloc[:300].assign(symbol="GOOG")
    second = (goog.iloc[:300] * 0.5).assign(symbol="ACME")
    both = pd.concat([first, second]).sort_index(kind="stable").reset_index(names="date")
    both.to_csv(path, index=False)
    return path


def test_two_tickers_in_one_file_are_refused_naming_both(goog, tmp_path):
    path = two_tickers(goog, tmp_path / "long.csv")
    with pytest.raises(ValueError) as refused:
        fastbt.load(path)
    message = str(refused.value)
    for fragment in ("2 symbols (GOOG, ACME)", "symbol='GOOG'", "--ticker", "--split-symbols"):
        assert fragment in message


def test_symbol_picks_one_ticker_of_a_long_file(goog, tmp_path):
    path = two_tickers(goog, tmp_path / "long.csv")
    picked = no_data_warnings(fastbt.load, path, symbol="acme")
    expected = goog.iloc[:300] * 0.5
    pd.testing.assert_frame_equal(picked, expected, check_freq=False, check_index_type=False)
    assert picked.attrs["symbol"] == "ACME"
    with pytest.raises(ValueError, match=r"symbol 'MSFT' is not in the data; its symbols: GOOG"):
        fastbt.load(path, symbol="MSFT")


def test_a_single_symbol_column_is_dropped_and_names_the_bars(goog, tmp_path):
    path = write_csv(goog.iloc[:50], tmp_path / "prices.csv", Ticker="GOOG")
    loaded = no_data_warnings(fastbt.load, path)
    assert_same_bars(loaded, goog.iloc[:50])
    assert loaded.attrs["symbol"] == "GOOG"


def test_symbol_without_a_symbol_column_is_refused(goog):
    with pytest.raises(ValueError, match="symbol='AAPL' was given but the data has no symbol"):
        fastbt.load(goog.iloc[:10], symbol="AAPL")


def test_load_symbols_validates_every_ticker(goog, tmp_path):
    path = two_tickers(goog, tmp_path / "long.csv")
    frames = load_symbols(path)
    assert list(frames) == ["GOOG", "ACME"]
    assert_same_bars(frames["GOOG"], goog.iloc[:300])


def with_duplicates(bars: pd.DataFrame, count: int) -> pd.DataFrame:
    """``bars`` with each of the first ``count`` rows given twice, in order."""
    return pd.concat([bars, bars.iloc[:count]]).sort_index(kind="stable")


def test_more_than_one_percent_duplicates_is_an_error(goog):
    bars = goog.iloc[:500]
    with pytest.raises(ValueError, match=r"6 of 506 rows \(1\.2%\) repeat .*symbol="):
        fastbt.load(with_duplicates(bars, 6))
    with pytest.warns(fastbt.DataWarning, match="dropped 5 row"):
        assert_same_bars(fastbt.load(with_duplicates(bars, 5)), bars)


# -- item 3: Yahoo layouts, adjusted prices, split-like jumps, separators ----------

YAHOO_FIELDS = ("Close", "High", "Low", "Open", "Volume")


def yahoo_export(bars_by_ticker: dict, path: Path) -> Path:
    """yfinance's CSV export, written out as text: Price / Ticker / Date header rows."""
    tickers = list(bars_by_ticker)
    fields = [f for f in YAHOO_FIELDS for _ in tickers]
    lines = [
        ",".join(["Price", *fields]),
        ",".join(["Ticker", *(t for _ in YAHOO_FIELDS for t in tickers)]),
        "Date" + "," * len(fields),
    ]
    index = next(iter(bars_by_ticker.values())).index
    for k, stamp in enumerate(index):
        values = [
            repr(float(bars_by_ticker[t][f.lower()].iloc[k])) for f in YAHOO_FIELDS for t in tickers
        ]
        lines.append(",".join([stamp.strftime("%Y-%m-%d"), *values]))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_yfinance_csv_export_is_read(goog, tmp_path):
    path = yahoo_export({"GOOG": goog.iloc[:100]}, tmp_path / "export.csv")
    loaded = no_data_warnings(fastbt.load, path)
    assert_same_bars(loaded, goog.iloc[:100])
    assert loaded.attrs["symbol"] == "GOOG"


def test_yfinance_csv_export_with_two_tickers(goog, tmp_path):
    bars = goog.iloc[:100]
    path = yahoo_export({"GOOG": bars, "HALF": bars * 0.5}, tmp_path / "export.csv")
    with pytest.raises(ValueError, match=r"2 symbols \(GOOG, HALF\).*symbol='GOOG'"):
        fastbt.load(path)
    pd.testing.assert_frame_equal(
        fastbt.load(path, symbol="HALF"), bars * 0.5, check_freq=False, check_index_type=False
    )


def test_load_symbols_splits_a_yfinance_export(goog, tmp_path):
    bars = goog.iloc[:100]
    path = yahoo_export({"GOOG": bars, "HALF": bars * 0.5}, tmp_path / "export.csv")
    frames = load_symbols(path)
    assert list(frames) == ["GOOG", "HALF"]
    assert_same_bars(frames["GOOG"], bars)
    with pytest.raises(ValueError, match="no symbol or ticker column"):
        load_symbols(write_csv(bars, tmp_path / "plain.csv"))


def yf_download(bars_by_ticker: dict, ticker_first: bool = False) -> pd.DataFrame:
    """A ``yf.download`` frame: MultiIndex columns (Price, Ticker) or (Ticker, Price)."""
    parts = {
        (field, ticker): bars[field.lower()]
        for field in YAHOO_FIELDS
        for ticker, bars in bars_by_ticker.items()
    }
    frame = pd.DataFrame(parts)
    frame.columns.names = ["Price", "Ticker"]
    frame.index.name = "Date"
    return frame.swaplevel(axis=1) if ticker_first else frame


@pytest.mark.parametrize("ticker_first", [False, True])
def test_yf_download_frames_use_their_only_ticker_or_ask_for_one(goog, ticker_first):
    bars = goog.iloc[:100]
    loaded = no_data_warnings(fastbt.load, yf_download({"GOOG": bars}, ticker_first))
    assert_same_bars(loaded, bars)
    both = yf_download({"GOOG": bars, "HALF": bars * 0.5}, ticker_first)
    with pytest.raises(ValueError, match=r"2 symbols \(GOOG, HALF\).*symbol='GOOG'"):
        fastbt.load(both)
    pd.testing.assert_frame_equal(
        fastbt.load(both, symbol="HALF"), bars * 0.5, check_freq=False, check_index_type=False
    )


def test_adj_close_is_used_and_said_unless_chosen(goog):
    bars = goog.iloc[:100]
    factor = np.linspace(0.5, 1.0, len(bars))
    raw = bars.assign(**{"Adj Close": bars["close"] * factor})
    adjusted = bars.copy()
    for name in ("open", "high", "low", "close"):
        adjusted[name] = bars[name] * factor
    with pytest.warns(fastbt.DataWarning, match=r"used adjusted prices.*adjust=False"):
        loaded = fastbt.load(raw)
    pd.testing.assert_frame_equal(loaded, adjusted, check_freq=False, rtol=1e-12)
    assert loaded.attrs["adjusted"] is True
    chosen = no_data_warnings(fastbt.load, raw, adjust=True)
    pd.testing.assert_frame_equal(chosen, adjusted, check_freq=False, rtol=1e-12)
    plain = no_data_warnings(fastbt.load, raw, adjust=False)
    assert_same_bars(plain, bars)
    assert plain.attrs["adjusted"] is False
    with pytest.raises(ValueError, match="adjust=True needs an 'Adj Close' column"):
        fastbt.load(bars, adjust=True)


def test_adj_close_of_a_yfinance_export(goog, tmp_path):
    bars = goog.iloc[:50]
    frame = yf_download({"GOOG": bars})
    frame[("Adj Close", "GOOG")] = bars["close"] / 2
    loaded = fastbt.load(frame, adjust=True)
    np.testing.assert_allclose(loaded[["open", "high", "low", "close"]], bars.iloc[:, :4] / 2)
    assert (loaded["volume"] == bars["volume"]).all()


@pytest.mark.parametrize(
    ("factor", "shape", "ratio"), [(0.5, "2:1 split", "0.50"), (10.0, "1:10 reverse split", "10")]
)
def test_an_unadjusted_split_is_flagged(goog, factor, shape, ratio):
    bars = goog.iloc[:300].copy()
    bars.iloc[150:, :4] *= factor
    with pytest.warns(fastbt.DataWarning) as caught:
        fastbt.load(bars)
    message = str(caught[0].message)
    assert f"row 150 ({bars.index[150]})" in message
    assert f"unadjusted {shape}" in message and f"factor of {ratio}" in message


def test_real_moves_of_the_samples_are_not_flagged_as_splits():
    for symbol in SAMPLES:
        no_data_warnings(validate_bars, read_sample(symbol))


def test_semicolon_file_with_point_decimals_is_read(goog, tmp_path):
    path = tmp_path / "semi.csv"
    goog.iloc[:20].reset_index(names="Date").to_csv(path, sep=";", index=False)
    assert_same_bars(fastbt.load(path), goog.iloc[:20])


def test_semicolon_file_with_comma_decimals_is_refused_with_a_hint(goog, tmp_path):
    path = tmp_path / "semi.csv"
    goog.iloc[:20].reset_index(names="Date").to_csv(path, sep=";", decimal=",", index=False)
    with pytest.raises(ValueError, match=r"separated by ';' and numbers use ',' .*decimal=','"):
        fastbt.load(path)


def test_semicolon_lines_in_one_column_get_a_separator_hint(goog, tmp_path):
    path = tmp_path / "semi.csv"
    goog.iloc[:5].reset_index(names="Date").to_csv(path, sep=";", index=False)
    with pytest.raises(ValueError, match=r"separated by ';' \(read the file with .*sep=';'"):
        fastbt.load(pd.read_csv(path))


# -- item 10d and 12: missing files, sample intervals ------------------------------


@pytest.mark.parametrize("source", ["nosuch.csv", "data/prices.parquet", Path("nosuch")])
def test_a_missing_file_is_named_without_a_fetch_hint(source):
    with pytest.raises(ValueError, match=f"file not found: {source}") as refused:
        fastbt.load(source)
    assert "fetch" not in str(refused.value)


def test_a_sample_is_refused_for_an_interval_it_does_not_have():
    with pytest.raises(ValueError, match=r"GOOG has 1d bars, not 1m; ask for interval='1d'"):
        fastbt.load("GOOG", interval="1m")
    with pytest.raises(ValueError, match="EURUSD has 1h bars, not 1d"):
        fastbt.run("EURUSD", "rsi", load_options={"interval": "1d"})
    assert len(fastbt.load("EURUSD", interval="1h")) == len(fastbt.load("EURUSD")) == 5000
    assert len(fastbt.load("BTCUSD", interval="1mo")) == 156
