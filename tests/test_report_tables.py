"""Tables of a backtest: calendar returns, worst drawdowns and turnover, by hand on a
tiny equity curve, and against the metrics on a real run."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastbt
from fastbt import report
from fastbt.options import RunOptions
from fastbt.result import Result
from tests.test_report_html import Page

# Month-end bars: one drawdown starting on the first bar (below the starting cash),
# one that recovers after two bars, one never recovered.
DATES = pd.to_datetime(
    [
        "2023-11-30",
        "2023-12-29",
        "2024-01-31",
        "2024-02-29",
        "2024-03-28",
        "2024-04-30",
        "2024-05-31",
        "2024-06-28",
    ]
)
EQUITY = [95.0, 105.0, 84.0, 94.5, 110.0, 99.0, 77.0, 100.0]
CASH = 100.0


def tiny(index=DATES) -> Result:
    """A Result around EQUITY: a closed trade of 2 units bought at 40 on 2023-12-29 and
    sold at 50 on 2024-03-28, and an open one of 1 unit bought at 30 on 2024-05-31."""
    trades = pd.DataFrame(
        {
            "qty": [2.0, 1.0],
            "entry_price": [40.0, 30.0],
            "exit_price": [50.0, np.nan],
            "entry_time": [index[1], index[6]],
            "exit_time": [index[4], pd.NaT],
            "status": ["closed", "open"],
        }
    )
    equity = pd.Series(EQUITY, index=index)
    return Result(
        strategy="scripted",
        params={},
        options=RunOptions(cash=CASH),
        metrics={"periods_per_year": 12.0},
        equity=equity,
        cash=equity,
        position=equity * 0,
        trades=trades,
    )


def test_monthly_returns_by_hand():
    table = tiny().monthly_returns()
    assert list(table.index) == [2023, 2024] and list(table.columns) == list(range(1, 13))
    expected_2023 = [np.nan] * 10 + [95 / 100 - 1, 105 / 95 - 1]
    expected_2024 = [84 / 105 - 1, 94.5 / 84 - 1, 110 / 94.5 - 1, 99 / 110 - 1]
    expected_2024 += [77 / 99 - 1, 100 / 77 - 1] + [np.nan] * 6
    np.testing.assert_allclose(table.loc[2023], expected_2023, rtol=1e-12)
    np.testing.assert_allclose(table.loc[2024], expected_2024, rtol=1e-12)


def test_yearly_returns_and_turnover_by_hand():
    table = tiny().yearly_returns()
    assert list(table.index) == [2023, 2024]
    np.testing.assert_allclose(table["return"], [105 / 100 - 1, 100 / 105 - 1], rtol=1e-12)
    # 2023: the entry 2 x 40; 2024: the exit 2 x 50 and the open entry 1 x 30
    mean_2024 = (84 + 94.5 + 110 + 99 + 77 + 100) / 6
    np.testing.assert_allclose(table["turnover"], [80 / 2 / 100, 130 / 2 / mean_2024], rtol=1e-12)


def test_turnover_by_hand():
    # fills 80 + 100 + 30, halved (one way), over mean equity, per year of 12 bars
    mean_equity = sum(EQUITY) / 8
    assert tiny().turnover() == pytest.approx(210 / 2 / mean_equity / (8 / 12), rel=1e-12)


def test_drawdowns_by_hand():
    table = tiny().drawdowns(top=None)
    assert list(table.columns) == list(report.tables.DRAWDOWN_COLUMNS)
    stamp = pd.Timestamp
    # deepest first: never recovered (peak 110, trough 77), then peak 105 -> 84, then
    # the first bar below the starting cash (100 -> 95)
    assert list(table["start"]) == [stamp("2024-04-30"), stamp("2024-01-31"), stamp("2023-11-30")]
    assert list(table["trough"]) == [stamp("2024-05-31"), stamp("2024-01-31"), stamp("2023-11-30")]
    assert pd.isna(table["recovery"][0])
    assert list(table["recovery"][1:]) == [stamp("2024-03-28"), stamp("2023-12-29")]
    np.testing.assert_allclose(table["depth"], [1 - 77 / 110, 1 - 84 / 105, 1 - 95 / 100])
    np.testing.assert_allclose(table["peak_equity"], [110, 105, 100])
    np.testing.assert_allclose(table["trough_equity"], [77, 84, 95])
    assert list(table["length"]) == [3, 2, 1]
    assert pd.isna(table["duration"][0])
    assert list(table["duration"][1:]) == [pd.Timedelta(days=57), pd.Timedelta(days=29)]
    assert len(tiny().drawdowns(top=2)) == 2 and tiny().drawdowns(top=2)["depth"][0] > 0.29


def test_drawdowns_of_a_curve_that_never_falls_is_empty():
    result = tiny()
    rising = pd.Series(np.arange(101.0, 109.0), index=DATES)
    flat = Result(**{**result.__dict__, "equity": rising})
    table = flat.drawdowns()
    assert len(table) == 0 and list(table.columns) == list(report.tables.DRAWDOWN_COLUMNS)


def walk_drawdowns(equity: list[float], cash: float) -> list[tuple]:
    """(start, trough, recovery or None, depth, length) per drawdown, bar by bar."""
    found, peak, current = [], cash, None
    for i, value in enumerate(equity):
        if value >= peak:
            if current is not None:
                found.append((*current, i))
                current = None
            peak = value
        elif current is None:
            current = [i, i, peak]
        elif value < equity[current[1]]:
            current[1] = i
    if current is not None:
        found.append((*current, None))
    rows = [
        (s, t, r, 1 - equity[t] / p, (len(equity) if r is None else r) - s) for s, t, p, r in found
    ]
    return sorted(rows, key=lambda row: -row[3])  # stable: ties keep time order


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([90.0, 95.0, 99.0, 100.0, 101.0, 105.0, 110.0]), max_size=40))
def test_drawdowns_match_a_bar_by_bar_walk(values):
    index = pd.date_range("2024-01-01", periods=len(values) + 1, freq="D")
    equity = [100.0, *values]  # a first bar at the starting cash, then the draws
    result = Result(**{**tiny().__dict__, "equity": pd.Series(equity, index=index)})
    table = result.drawdowns(top=None)
    expected = walk_drawdowns(equity, CASH)
    assert len(table) == len(expected)
    for row, (start, trough, recovery, depth, length) in zip(
        table.to_dict("records"), expected, strict=True
    ):
        assert (row["start"], row["trough"]) == (index[start], index[trough])
        assert (
            row["recovery"] == index[recovery] if recovery is not None else pd.isna(row["recovery"])
        )
        assert row["depth"] == pytest.approx(depth, rel=1e-12)
        assert row["length"] == length


@pytest.mark.parametrize("top", [0, -1, 2.0, True])
def test_drawdowns_top_must_be_a_positive_whole_number(top):
    with pytest.raises(ValueError, match="top must be a whole number"):
        tiny().drawdowns(top=top)


def test_calendar_is_the_index_time_zone():
    # 20:00 in New York on 31 January is 1 February in UTC: it stays in January
    index = DATES.tz_localize("America/New_York") + pd.Timedelta(hours=20)
    table = tiny(index).monthly_returns()
    assert table.loc[2024, 1] == pytest.approx(84 / 105 - 1)
    assert tiny(index).drawdowns()["start"][0] == index[5]  # times keep their zone


@pytest.fixture(scope="module")
def goog():
    return fastbt.run("GOOG", "ma_cross", fast=10, slow=30)


def test_tables_agree_with_the_metrics(goog):
    worst = goog.drawdowns(top=None)
    assert worst["depth"].iloc[0] == pytest.approx(goog.metrics["max_drawdown"], rel=1e-12)
    assert worst["length"].max() == goog.metrics["max_drawdown_bars"]
    assert worst["length"].sum() == int(
        (goog.equity < goog.equity.cummax().clip(lower=goog.options.cash)).sum()
    )
    total = goog.metrics["total_return"]
    assert np.prod(1 + goog.yearly_returns()["return"]) - 1 == pytest.approx(total, rel=1e-9)
    monthly = goog.monthly_returns().stack()
    assert np.prod(1 + monthly) - 1 == pytest.approx(total, rel=1e-9)
    notional = (goog.trades["qty"] * goog.trades["entry_price"]).sum() + (
        goog.closed_trades["qty"] * goog.closed_trades["exit_price"]
    ).sum()
    years = len(goog.equity) / 252
    assert goog.turnover() == pytest.approx(notional / 2 / goog.equity.mean() / years)


def test_report_shows_the_tables(goog):
    page = Page(report.render_html(goog))
    yearly = page.tables["yearly"][1:]
    assert [row[0] for row in yearly] == [str(y) for y in goog.yearly_returns().index]
    first = goog.yearly_returns().iloc[0]
    assert yearly[0][1:] == [f"{100 * first['return']:.2f}%", f"{first['turnover']:.2f}"]
    assert len(page.tables["monthly"]) == 1 + len(goog.monthly_returns())
    worst = goog.drawdowns()
    rows = page.tables["drawdowns"][1:]
    assert len(rows) == 5
    assert rows[0][:4] == [
        worst["start"][0].date().isoformat(),
        worst["trough"][0].date().isoformat(),
        "not recovered"
        if pd.isna(worst["recovery"][0])
        else worst["recovery"][0].date().isoformat(),
        f"{100 * worst['depth'][0]:.2f}%",
    ]
    assert rows[0][4].startswith(f"{worst['length'][0]:,} bars")
    assert f"{goog.turnover():.2f} a year" in "".join(page.text)
