"""Risk-free rate and benchmark metrics (docs/metrics.md, "Risk-free rate and benchmark"):
hand-computed values, fast == reference on generated cases, defaults unchanged, bad input."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastbt
from fastbt.compare import compare_results
from fastbt.kernels.metrics import BENCHMARK_METRICS, METRIC_NAMES
from tests.helpers import make_bars, scripted
from tests.test_cli import assert_one_line_error, cli
from tests.test_properties import price_bars, strategy_and_params

pytestmark = pytest.mark.filterwarnings("ignore::fastbt.RunWarning")

# Bought with all the cash at the first close (fill="close", no fees), so equity follows
# close: r = [0, .1, -.1, .1, .1]. The benchmark's returns: b = [0, .1, 0, -.1, .1].
CLOSE = [100.0, 110.0, 99.0, 108.9, 119.79]
BENCH = [50.0, 55.0, 55.0, 49.5, 54.45]


def _golden_run(**kwargs) -> fastbt.Result:
    bars = make_bars(CLOSE, CLOSE)
    return fastbt.run(bars, scripted([0], [], n=5), fill="close", periods_per_year=4, **kwargs)


def test_benchmark_metrics_by_hand():
    bench = pd.Series(BENCH, index=make_bars(CLOSE, CLOSE).index)
    for engine in ("fast", "reference"):
        m = _golden_run(benchmark=bench, engine=engine).metrics
        # mean r .04, mean b .02; sums of products of deviations: r b .006, b b .028,
        # r r .032 (each over n - 1 = 4 for the sample statistics); P = 4
        assert m["beta"] == pytest.approx(3 / 14, rel=1e-12)
        assert m["alpha"] == pytest.approx((0.04 - 3 / 14 * 0.02) * 4, rel=1e-12)
        assert m["correlation"] == pytest.approx(0.006 / math.sqrt(0.032 * 0.028), rel=1e-12)
        # r - b = [0, 0, -.1, .2, 0]: mean .02, sample variance .048 / 4
        assert m["tracking_error"] == pytest.approx(math.sqrt(0.012) * 2, rel=1e-12)
        assert m["information_ratio"] == pytest.approx(0.02 / math.sqrt(0.012) * 2, rel=1e-12)
        # up bars 1 and 4: r sums .2, b sums .2; the down bar 3: r .1, b -.1
        assert m["up_capture"] == pytest.approx(1.0, rel=1e-12)
        assert m["down_capture"] == pytest.approx(-1.0, rel=1e-12)


def test_risk_free_by_hand():
    # (1 + R) ** (1 / 4) - 1 = 0.01 per bar: x = r - .01 = [-.01, .09, -.11, .09, .09]
    rate = 1.01**4 - 1
    for engine in ("fast", "reference"):
        m = _golden_run(risk_free=rate, engine=engine).metrics
        assert m["sharpe"] == pytest.approx(0.03 / math.sqrt(0.008) * 2, rel=1e-9)
        downside = math.sqrt((0.01**2 + 0.11**2) / 5)
        assert m["sortino"] == pytest.approx(0.03 / downside * 2, rel=1e-9)
        assert m["volatility"] == pytest.approx(math.sqrt(0.008) * 2, rel=1e-12)  # not excess
        bench = pd.Series(BENCH, index=make_bars(CLOSE, CLOSE).index)
        m = _golden_run(risk_free=rate, benchmark=bench, engine=engine).metrics
        assert m["alpha"] == pytest.approx((0.03 - 3 / 14 * (0.02 - 0.01)) * 4, rel=1e-9)
        assert m["beta"] == pytest.approx(3 / 14, rel=1e-12)  # the rate does not move beta


def test_a_rate_series_of_one_value_equals_the_number():
    index = make_bars(CLOSE, CLOSE).index
    number = _golden_run(risk_free=0.05).metrics
    series = _golden_run(risk_free=pd.Series(0.05, index=index)).metrics
    assert series["sharpe"] == pytest.approx(number["sharpe"], rel=1e-12)
    assert series["sortino"] == pytest.approx(number["sortino"], rel=1e-12)


def test_defaults_change_nothing_and_add_no_keys():
    bars = fastbt.load("GOOG")
    plain = fastbt.run(bars, "ma_cross", fast=10, slow=30)
    zero = fastbt.run(bars, "ma_cross", fast=10, slow=30, risk_free=0)
    assert plain.metrics == zero.metrics
    assert list(plain.metrics) == [*METRIC_NAMES, "periods_per_year"]
    benched = fastbt.run(bars, "ma_cross", fast=10, slow=30, benchmark="GOOG")
    assert list(benched.metrics) == [*METRIC_NAMES, *BENCHMARK_METRICS, "periods_per_year"]
    # With every rate 0 the excess returns are the returns: same bits, benchmark or not.
    assert {k: benched.metrics[k] for k in plain.metrics} == plain.metrics


def test_no_trades_with_a_rate():
    bars = make_bars(CLOSE, CLOSE)
    for engine in ("fast", "reference"):
        m = fastbt.run(bars, scripted([], [], n=5), risk_free=0.05, engine=engine).metrics
        # x = -f on every bar: no spread, so Sharpe is NaN; Sortino is -f / f * sqrt(P).
        assert math.isnan(m["sharpe"])
        assert m["sortino"] == pytest.approx(-math.sqrt(m["periods_per_year"]), rel=1e-12)


@st.composite
def relative_case(draw):
    bars = draw(price_bars(min_bars=4, max_bars=80))
    strategy, params = draw(strategy_and_params(len(bars)))
    kind = draw(st.sampled_from(["number", "series", "benchmark", "both"]))
    kwargs = {}
    if kind in ("number", "both"):
        kwargs["risk_free"] = draw(st.sampled_from([0.0, 0.02, 0.05, 0.3]))
    if kind == "series":
        rates = draw(st.lists(st.floats(0, 0.2), min_size=len(bars), max_size=len(bars)))
        kwargs["risk_free"] = pd.Series(rates, index=bars.index)
    if kind in ("benchmark", "both"):
        other = draw(price_bars(min_bars=len(bars), max_bars=len(bars)))
        kwargs["benchmark"] = pd.Series(other["close"].to_numpy(), index=bars.index)
    fill = draw(st.sampled_from(["next_open", "close"]))
    return bars, strategy, params, kwargs | {"fill": fill, "commission": 0.001}


@settings(max_examples=80)
@given(relative_case())
def test_fast_equals_reference(case):
    bars, strategy, params, kwargs = case
    fast = fastbt.run(bars, strategy, **params, **kwargs)
    reference = fastbt.run(bars, strategy, engine="reference", **params, **kwargs)
    assert compare_results(fast, reference) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"risk_free": -0.01}, "risk_free must not be negative"),
        ({"risk_free": math.nan}, "risk_free must be finite"),
        ({"risk_free": "4%"}, "risk_free must be a number"),
        ({"risk_free": [0.01] * 3}, "one annual rate per bar"),
        ({"risk_free": [0.01, math.nan, 0, 0, 0]}, r"risk_free is nan at bar 1"),
        ({"risk_free": [0.01, -1, 0, 0, 0]}, r"risk_free is -1.0 at bar 1"),
        (
            {"benchmark": pd.Series(BENCH, index=pd.date_range("2024-01-02", periods=5))},
            r"index of benchmark differs.*position 0",
        ),
        (
            {"benchmark": pd.Series(BENCH[:4], index=pd.date_range("2024-01-01", periods=4))},
            "the data continues from 2024-01-05",
        ),
        (
            {
                "benchmark": pd.Series(
                    [50.0, 0.0, 1, 1, 1], index=pd.date_range("2024-01-01", periods=5)
                )
            },
            r"benchmark price is 0.0 at bar 1 \(2024-01-02",
        ),
        (
            {
                "benchmark": pd.Series(
                    [50.0, 1, math.nan, 1, 1], index=pd.date_range("2024-01-01", periods=5)
                )
            },
            "benchmark price is nan at bar 2",
        ),
        ({"benchmark": 3.0}, "benchmark must be a symbol"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _golden_run(**kwargs)


def test_sweep_rows_equal_runs_with_rate_and_benchmark():
    bars = fastbt.load("GOOG")
    bench = fastbt.load("GOOG")["close"] ** 0.5  # a different price path on the same bars
    kwargs = {"risk_free": 0.04, "benchmark": bench}
    grid = {"fast": [5, 10], "slow": [30, 50]}
    table = fastbt.sweep(bars, "ma_cross", grid=grid, progress=False, **kwargs)
    assert list(table.columns[-8:]) == [*BENCHMARK_METRICS, "periods_per_year"]
    for row in table.itertuples():
        run = fastbt.run(bars, "ma_cross", fast=row.fast, slow=row.slow, **kwargs)
        for name, value in run.metrics.items():
            assert getattr(row, name) == pytest.approx(value, rel=1e-12, nan_ok=True), name
    plain = fastbt.sweep(bars, "ma_cross", grid=grid, progress=False, risk_free=0.04)
    assert "beta" not in plain.columns
    assert plain["sharpe"].tolist() == table["sharpe"].tolist()


def test_a_rule_sweep_with_blocks_and_a_benchmark_keeps_both():
    """The generated rule kernels take the benchmark input and the block statistics in
    one pass; each row equals its run, and the blocks equal those of a plain sweep."""
    bars = fastbt.load("GOOG")
    kwargs = {"risk_free": 0.04, "benchmark": bars["close"] ** 0.5}
    grid = {"fast": [5, 10], "slow": [30, 50]}
    table = fastbt.sweep(bars, "ma_cross", grid=grid, progress=False, blocks=4, **kwargs)
    plain = fastbt.sweep(bars, "ma_cross", grid=grid, progress=False, blocks=4)
    for row in table.itertuples():
        run = fastbt.run(bars, "ma_cross", fast=row.fast, slow=row.slow, **kwargs)
        for name in ("sharpe", "sortino", *BENCHMARK_METRICS):
            assert getattr(row, name) == pytest.approx(run.metrics[name], rel=1e-12, nan_ok=True)
    np.testing.assert_array_equal(
        table.attrs["blocks"].stats["GOOG"], plain.attrs["blocks"].stats["GOOG"]
    )


def test_portfolio_sweeps_refuse_a_rate_or_benchmark():
    with pytest.raises(ValueError, match="risk_free= and benchmark= are not available"):
        fastbt.sweep(["GOOG", "AAPL"], "momentum_rotation", {"lookback": [20]}, risk_free=0.03)


def test_cli_flags():
    completed = cli(
        "run", "GOOG", "-p", "fast=10", "-p", "slow=30", "--risk-free", "0.04",
        "--benchmark", "GOOG", "--json",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    metrics = json.loads(completed.stdout)["metrics"]
    api = fastbt.run("GOOG", "ma_cross", fast=10, slow=30, risk_free=0.04, benchmark="GOOG")
    for name in ("sharpe", "sortino", "alpha", "beta", "up_capture"):
        assert metrics[name] == pytest.approx(api.metrics[name], rel=1e-12)
    assert_one_line_error(cli("run", "GOOG", "--risk-free", "-0.5"), "risk_free", "negative")
    assert_one_line_error(cli("run", "GOOG", "--benchmark", "EURUSD"), "index of benchmark differs")


def test_report_shows_the_benchmark():
    from fastbt.report.charts import equity_chart
    from fastbt.report.html import render_html

    bench = fastbt.load("GOOG")["close"] ** 0.5
    result = fastbt.run("GOOG", "ma_cross", fast=10, slow=30, benchmark=bench)
    page = render_html(result)
    for name in BENCHMARK_METRICS:
        assert f">{name}<" in page
    (ax,) = equity_chart(result).axes
    line = next(ln for ln in ax.get_lines() if ln.get_label() == "benchmark")
    expected = 10_000 * bench / bench.iloc[0]
    np.testing.assert_allclose(line.get_ydata(), expected.to_numpy())
    plain = fastbt.run("GOOG", "ma_cross", fast=10, slow=30)
    assert ">beta<" not in render_html(plain)
    assert "benchmark" not in [ln.get_label() for ln in equity_chart(plain).axes[0].get_lines()]
