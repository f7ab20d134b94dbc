"""PBO and DSR at sweep scale: ``fastbt.sweep(..., blocks=S)`` keeps per-set block
statistics that give exactly what the direct T x N route gives (fastbt.stats on the
sets' bar returns from ``fastbt.run``), through every sweep path, chunking, out=/resume
and load_sweep; bad input fails clearly or gives a documented NaN."""

import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from numba import njit

import fastbt
from fastbt import stats
from fastbt.data.validate import bar_arrays
from fastbt.stats.cscv import pbo_from_block_stats, pbo_from_set_blocks
from fastbt.strategies.sweep_inputs import ma_cross_sweep_inputs
from fastbt.sweep.chunks import run_sets

CASH = fastbt.RunOptions().cash
GRID = {"fast": range(3, 12, 2), "slow": range(15, 60, 11)}
OPTIONS = {"commission": 0.001}
TOL = 1e-12


def _returns(equity: pd.Series) -> np.ndarray:
    """Bar returns as the sweep sees them: the first against the starting cash."""
    values = equity.to_numpy()
    return values / np.concatenate([[CASH], values[:-1]]) - 1.0


def _direct_returns(bars, table, run) -> np.ndarray:
    """T x N bar returns, one fastbt.run per row of ``table``."""
    return np.column_stack([_returns(run(row).equity) for row in table.itertuples()])


def _ma_run(bars, **options):
    return lambda row: fastbt.run(bars, "ma_cross", fast=row.fast, slow=row.slow, **options)


def _assert_same_pbo(ours, direct):
    assert ours.pbo == direct.pbo
    assert ours.n_trimmed == direct.n_trimmed
    np.testing.assert_array_equal(ours.winners, direct.winners)
    np.testing.assert_allclose(ours.logits, direct.logits, rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.is_metric, direct.is_metric, rtol=0, atol=TOL)
    np.testing.assert_allclose(ours.oos_metric, direct.oos_metric, rtol=0, atol=TOL)
    for name in ("prob_loss", "slope", "intercept", "r2"):
        assert getattr(ours, name) == pytest.approx(getattr(direct, name), abs=TOL, nan_ok=True)


@pytest.fixture(scope="module")
def goog():
    return fastbt.load("GOOG")


@pytest.fixture(scope="module")
def ma_sweep(goog):
    return fastbt.sweep(goog, "ma_cross", GRID, blocks=8, progress=False, **OPTIONS)


@pytest.fixture(scope="module")
def ma_returns(goog, ma_sweep):
    return _direct_returns(goog, ma_sweep, _ma_run(goog, **OPTIONS))


def test_block_statistics_equal_the_two_pass_values_of_the_run_returns(ma_sweep, ma_returns):
    ours = ma_sweep.attrs["blocks"].stats["GOOG"]
    direct = stats.block_stats(ma_returns, 8).transpose(1, 0, 2)
    assert ma_sweep.attrs["sweep"]["n_trimmed"] == {"GOOG": len(ma_returns) % 8}
    np.testing.assert_array_equal(ours[..., 0], direct[..., 0])
    # mean: absolute; M2 (sum of squared deviations): relative to the block's own M2
    np.testing.assert_allclose(ours[..., 1], direct[..., 1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(ours[..., 2], direct[..., 2], rtol=1e-12, atol=0)


def test_verdict_equals_the_direct_pbo_and_dsr(ma_sweep, ma_returns):
    verdict = fastbt.sweep_verdict(ma_sweep)
    _assert_same_pbo(verdict.pbo["GOOG"], stats.pbo(ma_returns, 8))
    row = verdict.table.iloc[0]
    sharpes = np.array([stats.sharpe(ma_returns[:, k]) for k in range(ma_returns.shape[1])])
    best = int(np.nanargmax(sharpes))
    direct = stats.dsr(ma_returns[:, best], sharpes)
    assert row["best"] == {"fast": ma_sweep.fast.iloc[best], "slow": ma_sweep.slow.iloc[best]}
    assert row["n_trials"] == direct.n_trials == len(ma_sweep)
    for name in ("sharpe", "dsr", "sr0", "psr"):
        assert row[name] == pytest.approx(getattr(direct, name), abs=TOL)
    assert row["pbo"] == verdict.pbo["GOOG"].pbo and row["note"] == ""


def test_rows_are_the_same_bits_with_blocks_on_and_off(goog, ma_sweep):
    plain = fastbt.sweep(goog, "ma_cross", GRID, progress=False, **OPTIONS)
    assert "blocks" not in plain.attrs
    pd.testing.assert_frame_equal(plain, ma_sweep)


def test_rsi_sweep_with_stops_and_the_mean_metric(goog):
    grid = {
        "window": [5, 14],
        "oversold": [25.0, 35.0],
        "overbought": [65.0, 75.0],
        "sl": [None, 0.03],
    }
    table = fastbt.sweep(goog, "rsi", grid, blocks=6, progress=False, direction="both")
    run = lambda row: fastbt.run(  # noqa: E731
        goog,
        "rsi",
        window=row.window,
        oversold=row.oversold,
        overbought=row.overbought,
        sl=None if math.isnan(row.sl) else row.sl,
        direction="both",
    )
    returns = _direct_returns(goog, table, run)
    for metric in ("sharpe", "mean"):
        verdict = fastbt.sweep_verdict(table, metric=metric)
        _assert_same_pbo(verdict.pbo["GOOG"], stats.pbo(returns, 6, metric=metric))


def test_signal_sweep_with_a_never_trading_column_ranks_it_last(goog):
    """A variant that never trades has NaN Sharpe: -inf in CSCV, left out of the DSR."""
    rng = np.random.default_rng(3)
    n = len(goog)
    entry = rng.random((n, 5)) < 0.03
    exit_ = rng.random((n, 5)) < 0.03
    entry[:, 2] = False  # never enters
    table = fastbt.sweep(goog, signals=(entry, exit_), blocks=4, progress=False)
    returns = np.column_stack(
        [_returns(fastbt.run(goog, signals=(entry[:, k], exit_[:, k])).equity) for k in range(5)]
    )
    verdict = fastbt.sweep_verdict(table)
    _assert_same_pbo(verdict.pbo["GOOG"], stats.pbo(returns, 4))
    assert np.isnan(table.sharpe.iloc[2])
    assert verdict.table.n_trials.iloc[0] == 4
    assert not (verdict.pbo["GOOG"].winners == 2).any()


@njit(cache=False)
def _momentum(open_, high, low, close, volume, lookback):
    entry = np.zeros(close.shape[0], dtype=np.bool_)
    exit_ = np.zeros(close.shape[0], dtype=np.bool_)
    for i in range(lookback, close.shape[0]):
        entry[i] = close[i] > close[i - lookback] * 1.02
        exit_[i] = close[i] < close[i - lookback] * 0.98
    return entry, exit_


def test_set_by_set_strategy_keeps_blocks_too(goog):
    strategy = fastbt.Strategy(
        name="test_pbo_momentum",
        description="momentum",
        params=(fastbt.Param("lookback", int, 10, minimum=1),),
        signals=_momentum,
        reference=None,
    )
    fastbt.register_strategy(strategy, replace=True)
    table = fastbt.sweep(goog, strategy.name, {"lookback": [5, 10, 20]}, blocks=4, progress=False)
    returns = np.column_stack(
        [_returns(fastbt.run(goog, strategy.name, lookback=k).equity) for k in (5, 10, 20)]
    )
    np.testing.assert_allclose(
        table.attrs["blocks"].stats["GOOG"],
        stats.block_stats(returns, 4).transpose(1, 0, 2),
        rtol=1e-12,
        atol=1e-15,
    )


@pytest.mark.parametrize("n_bars", [400, 403])  # no oldest bars left out, then 3
def test_hand_written_crossing_kernel_gives_the_rule_kernels_blocks(goog, n_bars):
    rule = fastbt.get_strategy("ma_cross")
    hand = replace(rule, rules=None, sweep_inputs=ma_cross_sweep_inputs)
    arrays = bar_arrays(goog.iloc[:n_bars])
    sets = {"fast": np.array([3, 5, 9]), "slow": np.array([15, 26, 59])}
    options = fastbt.RunOptions(**OPTIONS)
    got = {}
    for strategy in (rule, hand):
        blocks_out = np.full((3, 4, 3), np.nan)
        metrics = run_sets(arrays, strategy, sets, options, 252.0, blocks_out)
        got[strategy.sweep_inputs is None] = metrics, blocks_out
    np.testing.assert_array_equal(got[True][0], got[False][0])
    np.testing.assert_array_equal(got[True][1], got[False][1])
    returns = np.column_stack(
        [
            _returns(
                fastbt.run(
                    goog.iloc[:n_bars], "ma_cross", fast=int(f), slow=int(s), **OPTIONS
                ).equity
            )
            for f, s in zip(sets["fast"], sets["slow"], strict=True)
        ]
    )
    np.testing.assert_allclose(
        got[True][1], stats.block_stats(returns, 4).transpose(1, 0, 2), rtol=1e-9, atol=1e-15
    )


def test_portfolio_sweeps_refuse_blocks_and_say_why():
    data = fastbt.synthetic_universe(3, 120, seed=1)
    with pytest.raises(ValueError, match=r"blocks= is not available for portfolio sweeps.*"):
        fastbt.sweep(data, "momentum_rotation", {"lookback": [5], "top_k": [1]}, blocks=4)


def test_chunks_out_resume_and_load_sweep_keep_the_blocks(goog, ma_sweep, tmp_path):
    data = {"GOOG": goog, "EURUSD": fastbt.load("EURUSD")}
    whole = fastbt.sweep(data, "ma_cross", GRID, blocks=8, progress=False, **OPTIONS)
    np.testing.assert_array_equal(
        whole.attrs["blocks"].stats["GOOG"], ma_sweep.attrs["blocks"].stats["GOOG"]
    )
    out = tmp_path / "run"
    first = fastbt.sweep(
        data, "ma_cross", GRID, blocks=8, progress=False, out=out, chunk_size=7, **OPTIONS
    )
    (out / "part-000003.parquet").unlink()  # as if interrupted there
    (out / "blocks-000003.npy").unlink()
    resumed = fastbt.sweep(
        data,
        "ma_cross",
        GRID,
        blocks=8,
        progress=False,
        out=out,
        chunk_size=7,
        resume=True,
        **OPTIONS,
    )
    loaded = fastbt.load_sweep(out)
    saved = fastbt.sweep_to_parquet(whole, tmp_path / "saved")
    for table in (first, resumed, loaded, fastbt.load_sweep(saved)):
        for symbol in data:
            np.testing.assert_array_equal(
                table.attrs["blocks"].stats[symbol], whole.attrs["blocks"].stats[symbol]
            )
    assert resumed.attrs["sweep"]["n_resumed"] > 0
    verdicts = [fastbt.sweep_verdict(t).table for t in (whole, loaded)]
    pd.testing.assert_frame_equal(*verdicts)
    with pytest.raises(ValueError, match="different sweep"):
        fastbt.sweep(
            data,
            "ma_cross",
            GRID,
            blocks=4,
            out=out,
            resume=True,
            chunk_size=7,
            progress=False,
            **OPTIONS,
        )


def test_a_sorted_table_gives_the_same_verdict_a_filtered_one_an_error(ma_sweep):
    verdict = fastbt.sweep_verdict(ma_sweep).table
    shuffled = ma_sweep.sample(frac=1.0, random_state=0)
    assert shuffled.attrs["blocks"] is ma_sweep.attrs["blocks"]  # shared, not copied
    pd.testing.assert_frame_equal(fastbt.sweep_verdict(shuffled).table, verdict)
    with pytest.raises(ValueError, match="needs the sweep's whole table"):
        fastbt.sweep_verdict(ma_sweep[ma_sweep.fast > 5])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("blocks", [2, 4, 8, 16])
def test_compiled_cscv_equals_the_numpy_reference(seed, blocks):
    """Random block statistics with flat columns (NaN Sharpe), duplicate columns (ties)
    and columns flat in some blocks only."""
    rng = np.random.default_rng(seed)
    n_sets = int(rng.integers(2, 60))
    length = int(rng.integers(2, 30))
    returns = rng.normal(0.0005, 0.01, (blocks * length, n_sets))
    returns[:, rng.integers(n_sets)] = 0.0
    returns[:, rng.integers(n_sets)] = returns[:, rng.integers(n_sets)]
    returns[: length * (blocks // 2), rng.integers(n_sets)] = 0.0
    block = stats.block_stats(returns, blocks)
    for metric in ("sharpe", "mean"):
        _assert_same_pbo(
            pbo_from_set_blocks(block.transpose(1, 0, 2), metric),
            pbo_from_block_stats(block, metric),
        )


def test_constructed_cases_dominant_column_and_demeaned_columns():
    rng = np.random.default_rng(0)
    returns = rng.normal(0.0, 0.01, (160, 12))
    returns[:, 4] = returns[:, 0] + 0.02  # dominates every set in every block
    assert pbo_from_set_blocks(stats.block_stats(returns, 16).transpose(1, 0, 2)).pbo == 0.0
    centred = returns - returns.mean(axis=0)
    result = pbo_from_set_blocks(stats.block_stats(centred, 16).transpose(1, 0, 2), "mean")
    assert result.pbo == 1.0
    assert result.slope == pytest.approx(-1.0, abs=1e-9)


@pytest.mark.parametrize("blocks", [3, 1, 0, -2, True, 2.0, "16"])
def test_bad_blocks_are_rejected_before_any_work(goog, blocks):
    with pytest.raises(ValueError, match="blocks must be an even whole number >= 2"):
        fastbt.sweep(goog, "ma_cross", GRID, blocks=blocks, progress=False)


def test_too_few_bars_for_the_blocks_names_the_symbol_and_the_way_out(goog):
    with pytest.raises(ValueError, match=r"GOOG: 60 bars are too few for blocks=32.*blocks <= 30"):
        fastbt.sweep(
            goog.iloc[:60], "ma_cross", {"fast": [3], "slow": [9]}, blocks=32, progress=False
        )


def test_verdict_edge_cases_give_documented_nans_or_clear_errors(goog, ma_sweep):
    with pytest.raises(ValueError, match=r"no block statistics.*blocks=16"):
        fastbt.sweep_verdict(fastbt.sweep(goog, "ma_cross", GRID, progress=False))
    with pytest.raises(ValueError, match="n_trials='effective' needs the sets' bar returns"):
        fastbt.sweep_verdict(ma_sweep, n_trials="effective")
    with pytest.raises(ValueError, match="n_trials must be None or a number >= 1"):
        fastbt.sweep_verdict(ma_sweep, n_trials=0)
    with pytest.raises(ValueError, match="metric must be one of"):
        fastbt.sweep_verdict(ma_sweep, metric="sortino")
    one = fastbt.sweep(goog, "ma_cross", {"fast": [5], "slow": [20]}, blocks=4, progress=False)
    row = fastbt.sweep_verdict(one).table.iloc[0]
    assert math.isnan(row["pbo"]) and row["sr0"] == 0.0 and row["n_trials"] == 1
    assert row["dsr"] == row["psr"] and "one set only" in row["note"]
    never = np.zeros((len(goog), 3), dtype=bool)
    flat = fastbt.sweep(goog, signals=(never, never), blocks=4, progress=False)
    row = fastbt.sweep_verdict(flat).table.iloc[0]
    assert math.isnan(row["pbo"]) and math.isnan(row["dsr"]) and row["best"] is None
    assert "no set has a Sharpe ratio" in row["note"]


def test_fewer_trials_deflate_less(ma_sweep):
    full = fastbt.sweep_verdict(ma_sweep).table.iloc[0]
    fewer = fastbt.sweep_verdict(ma_sweep, n_trials=3).table.iloc[0]
    assert fewer["n_trials"] == 3 and fewer["sr0"] < full["sr0"] and fewer["dsr"] > full["dsr"]


def test_report_has_the_verdict_section_only_with_blocks(goog, ma_sweep):
    from fastbt.report import render_sweep_html

    page = render_sweep_html(ma_sweep)
    assert "Is the best set real?" in page and "deflated Sharpe ratio (DSR)" in page
    assert "PBO: logit histogram" in page  # the chart
    plain = fastbt.sweep(goog, "ma_cross", GRID, progress=False, **OPTIONS)
    assert "Is the best set real?" not in render_sweep_html(plain)


def _cli(*args):
    from tests.test_cli import cli

    return cli(*args)


def test_cli_pbo_prints_the_verdict_of_the_api(ma_sweep):
    grid = ["-g", "fast=3:12:2", "-g", "slow=15:60:11", "--commission", "0.001"]
    completed = _cli("sweep", "GOOG", *grid, "--pbo", "--blocks", "8", "--json")
    assert completed.returncode == 0, completed.stderr
    served = json.loads(completed.stdout)["verdict"][0]
    expected = fastbt.sweep_verdict(ma_sweep).table.iloc[0]
    for name in ("pbo", "dsr", "sr0", "n_trials", "prob_loss", "slope"):
        assert served[name] == pytest.approx(expected[name], rel=1e-12)
    text = _cli("sweep", "GOOG", *grid, "--pbo", "--blocks", "8", "--no-progress").stdout
    assert "Is the best set real? GOOG" in text and f"PBO: {expected['pbo']:.3f}" in text


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--pbo", "--blocks", "3"], "blocks must be an even whole number >= 2"),
        (["--blocks", "4000"], "bars are too few for blocks=4000"),
    ],
)
def test_cli_bad_blocks_is_one_line_exit_2(args, fragment):
    from tests.test_cli import assert_one_line_error

    completed = _cli("sweep", "GOOG", "-g", "fast=3:5", "-g", "slow=10:12", *args)
    assert_one_line_error(completed, fragment)


def test_verdict_shows_as_html_and_text(ma_sweep):
    verdict = fastbt.sweep_verdict(ma_sweep)
    page = verdict._repr_html_()
    assert "Is the best set real?" in page and f"{verdict.table.pbo.iloc[0]:.4g}" in page
    assert repr(verdict).startswith("SweepVerdict\n") and "GOOG" in repr(verdict)
