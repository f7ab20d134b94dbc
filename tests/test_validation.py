"""One test per input-validation rule (docs/data.md): each names what is wrong."""

import numpy as np
import pandas as pd
import pytest

import fastbt
from tests.helpers import make_bars


@pytest.fixture
def bars():
    return make_bars([10, 11, 12, 13, 14], [10.5, 11.5, 12.5, 13.5, 14.5])


def run(data, strategy="ma_cross", **kwargs):
    kwargs.setdefault("fast", 1)
    kwargs.setdefault("slow", 2)
    if strategy != "ma_cross":
        kwargs.pop("fast")
        kwargs.pop("slow")
    return fastbt.run(data, strategy, **kwargs)


def test_missing_ohlc_columns_are_named(bars):
    with pytest.raises(ValueError, match=r"missing column\(s\): high, low"):
        fastbt.load(bars.drop(columns=["high", "low"]))


def test_column_names_are_case_insensitive_and_volume_optional(bars):
    renamed = bars.drop(columns="volume").rename(columns=str.upper)
    loaded = fastbt.load(renamed)
    assert list(loaded.columns) == ["open", "high", "low", "close", "volume"]
    assert (loaded["volume"] == 0).all()


def test_fewer_than_two_bars(bars):
    with pytest.raises(ValueError, match="need at least 2 bars, got 1"):
        fastbt.load(bars.iloc[:1])


@pytest.mark.parametrize("bad", [np.inf, -np.inf])
def test_non_finite_price_names_column_and_row(bars, bad):
    bars.iloc[2, bars.columns.get_loc("close")] = bad
    with pytest.raises(ValueError, match=r"column 'close' at row 2 \(2024-01-03.*finite"):
        fastbt.load(bars)


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_non_positive_price_names_column_and_row(bars, bad):
    bars.iloc[3, bars.columns.get_loc("open")] = bad
    bars.iloc[3, bars.columns.get_loc("low")] = bad
    with pytest.raises(ValueError, match=r"column 'open' at row 3 .*positive"):
        fastbt.load(bars)


def test_non_numeric_value_is_named(bars):
    frame = bars.astype({"close": object})
    frame.iloc[1, frame.columns.get_loc("close")] = "n/a?"
    with pytest.raises(ValueError, match=r"column 'close' at row 1 .*'n/a\?' is not a number"):
        fastbt.load(frame)


def test_high_below_body(bars):
    bars.iloc[4, bars.columns.get_loc("high")] = 14.4
    with pytest.raises(ValueError, match=r"column 'high' at row 4 .*below max\(open, close\)"):
        fastbt.load(bars)


def test_low_above_body(bars):
    bars.iloc[0, bars.columns.get_loc("low")] = 10.2
    with pytest.raises(ValueError, match=r"column 'low' at row 0 .*above min\(open, close\)"):
        fastbt.load(bars)


@pytest.mark.parametrize(
    ("column", "row", "edge", "sign"),
    [("high", 4, 14.5, -1), ("low", 0, 10.0, +1)],  # high below max(o, c); low above min(o, c)
)
def test_high_low_tolerance_is_1e9_relative(bars, column, row, edge, sign):
    """Just inside the relative slack of 1e-9 is accepted, just outside is not."""
    bars.iloc[row, bars.columns.get_loc(column)] = edge * (1 + sign * 0.5e-9)
    fastbt.load(bars)  # within tolerance: accepted
    bars.iloc[row, bars.columns.get_loc(column)] = edge * (1 + sign * 2e-9)
    with pytest.raises(ValueError, match=f"column '{column}' at row {row}"):
        fastbt.load(bars)


def test_duplicate_timestamps_are_dropped_keeping_the_last():
    bars = make_bars(np.arange(10, 210), np.arange(10, 210) + 0.5)
    doubled = pd.concat([bars.iloc[:3], bars.iloc[[2]].assign(close=12.0), bars.iloc[3:]])
    with pytest.warns(fastbt.DataWarning, match="dropped 1 row"):
        loaded = fastbt.load(doubled)
    assert len(loaded) == 200
    assert loaded["close"].iloc[2] == 12.0


def test_repair_keeps_the_last_duplicate_in_input_order_of_unsorted_rows():
    """Reversed input with duplicates placed after it: the repair's sort must be stable
    (an unstable sort of 1,000 rows reorders equal timestamps), so the row that comes
    last in the input survives."""
    n = 1000
    bars = make_bars(np.full(n, 10.0), np.full(n, 10.5), high=np.full(n, 12.0), low=np.full(n, 9.0))
    repeated = [10, 200, 400, 600, 900]
    later = bars.iloc[repeated].assign(close=11.0)
    shuffled = pd.concat([bars.iloc[::-1], later])
    with pytest.warns(fastbt.DataWarning) as caught:
        loaded = fastbt.load(shuffled)
    assert [str(w.message) for w in caught] == [
        "timestamps were not sorted; sorted them",
        "dropped 5 row(s) with duplicate timestamps, keeping the last of each",
    ]
    assert len(loaded) == n
    assert (loaded["close"].iloc[repeated] == 11.0).all()
    assert (loaded["close"].drop(bars.index[repeated]) == 10.5).all()


def test_duplicate_timestamps_are_an_error_without_repair(bars):
    doubled = pd.concat([bars, bars.iloc[[1, 3]]]).sort_index(kind="stable")
    with pytest.raises(ValueError, match=r"duplicate timestamp 2024-01-02.*2 duplicate row"):
        fastbt.load(doubled, repair=False)


def test_unsorted_timestamps_are_sorted_with_a_warning(bars):
    shuffled = bars.iloc[[0, 3, 1, 4, 2]]
    with pytest.warns(fastbt.DataWarning, match="not sorted; sorted them"):
        loaded = fastbt.load(shuffled)
    assert loaded.index.is_monotonic_increasing
    pd.testing.assert_frame_equal(loaded, fastbt.load(bars))


def test_unsorted_timestamps_are_an_error_without_repair(bars):
    with pytest.raises(ValueError, match=r"not sorted: row 2 \(2024-01-02"):
        fastbt.load(bars.iloc[[0, 3, 1, 4, 2]], repair=False)


def test_nan_is_an_error_unless_forward_fill_is_asked(bars):
    bars.iloc[2, :4] = np.nan  # a whole bar missing
    with pytest.raises(ValueError, match=r"column 'open' at row 2 .*missing.*ffill=True"):
        fastbt.load(bars)
    with pytest.warns(fastbt.DataWarning, match="forward-filled 1 row"):
        filled = fastbt.load(bars, ffill=True)
    pd.testing.assert_series_equal(filled.iloc[2], filled.iloc[1], check_names=False)


def test_leading_nan_cannot_be_forward_filled(bars):
    bars.iloc[0, bars.columns.get_loc("open")] = np.nan
    with pytest.raises(ValueError, match=r"column 'open' at row 0 .*no earlier value"):
        fastbt.load(bars, ffill=True)


def test_unreadable_timestamps(bars):
    frame = bars.reset_index(drop=True)
    frame.index = ["a", "b", "c", "d", "e"]
    with pytest.raises(ValueError, match="timestamps: index could not be read as dates"):
        fastbt.load(frame)


def test_unknown_strategy_lists_the_known_ones(bars):
    known = ", ".join(sorted(s.name for s in fastbt.list_strategies()))
    with pytest.raises(ValueError, match=f"unknown strategy 'macd'; available: {known}$"):
        fastbt.run(bars, "macd")


def test_unknown_parameter_is_named(bars):
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) for strategy 'ma_cross': span"):
        run(bars, span=3)


@pytest.mark.parametrize(
    ("strategy", "params", "message"),
    [
        ("ma_cross", {"fast": 3, "slow": 3}, "'fast' must be below 'slow'"),
        ("ma_cross", {"fast": 0, "slow": 3}, "'fast' must be >= 1"),
        ("ma_cross", {"fast": 1, "slow": 5}, r"'slow' must be below the number of bars \(5\)"),
        ("ma_cross", {"fast": 1.5, "slow": 3}, "'fast' must be a whole number"),
        ("ma_cross", {"fast": True, "slow": 3}, "'fast' must be a number"),
        ("rsi", {"window": 1}, "'window' must be >= 2"),
        ("rsi", {"oversold": 70, "overbought": 30}, "'oversold' must be below 'overbought'"),
        ("rsi", {"overbought": 101}, "'overbought' must be <= 100"),
        ("rsi", {"oversold": -1}, "'oversold' must be >= 0"),
    ],
)
def test_parameter_out_of_range(bars, strategy, params, message):
    with pytest.raises(ValueError, match=message):
        fastbt.run(bars, strategy, **params)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("cash", 0, "cash must be positive"),
        ("cash", -5, "cash must be positive"),
        ("commission", -0.001, "commission must not be negative"),
        ("fixed_fee", -1, "fixed_fee must not be negative"),
        ("slippage", -0.01, "slippage must not be negative"),
        ("slippage", 1.0, "slippage must be below 1"),
        ("size", 1.5, r"size must be in \(0, 1\]"),
        ("fill", "open", "fill must be one of next_open, close"),
        ("size_type", "shares", "size_type must be one of percent, units"),
        ("cash", float("nan"), "cash must be finite"),
        ("periods_per_year", 0, "periods_per_year must be positive"),
    ],
)
def test_run_options_are_checked(bars, option, value, message):
    with pytest.raises(ValueError, match=message):
        run(bars, **{option: value})


def test_units_size_must_be_positive(bars):
    with pytest.raises(ValueError, match="size must be positive with size_type='units'"):
        run(bars, size=0, size_type="units")


def test_unknown_engine(bars):
    with pytest.raises(ValueError, match="engine must be one of fast, reference"):
        run(bars, engine="gpu")


def test_numeric_index_is_not_read_as_nanoseconds(bars):
    with pytest.raises(ValueError, match="the index holds numbers, not dates"):
        fastbt.load(bars.reset_index(drop=True))


def test_unparseable_date_column_is_named(bars):
    frame = bars.reset_index(names="Date")
    frame["Date"] = ["2024-01-01", "yesterday-ish", "2024-01-03", "2024-01-04", "2024-01-05"]
    with pytest.raises(ValueError, match="timestamps: column 'Date' could not be read as dates"):
        fastbt.load(frame)


def test_columns_that_differ_only_in_case_are_ambiguous(bars):
    frame = bars.assign(Close=bars["close"] * 2)
    with pytest.raises(ValueError, match="columns 'close' and 'Close' are both 'close'"):
        fastbt.load(frame)


def test_numeric_date_column_is_refused(bars):
    frame = bars.reset_index(drop=True)
    frame["timestamp"] = (bars.index.as_unit("s").asi8).astype("int64")
    with pytest.raises(ValueError, match="column 'timestamp' holds numbers, not dates"):
        fastbt.load(frame)


def test_mixed_utc_offsets_across_a_dst_change_become_utc(bars):
    frame = bars.reset_index(drop=True)
    frame["date"] = [
        "2024-03-29T10:00:00+01:00",
        "2024-03-30T10:00:00+01:00",
        "2024-03-31T10:00:00+02:00",
        "2024-04-01T10:00:00+02:00",
        "2024-04-02T10:00:00+02:00",
    ]
    loaded = fastbt.load(frame)
    assert str(loaded.index.tz) == "UTC"
    assert loaded.index[2] == pd.Timestamp("2024-03-31 08:00", tz="UTC")
