"""fastbt.stats: published examples, CSCV's block route against direct computation,
constructed PBO cases, the multiple-testing haircut, SPA, and bad input."""

import itertools
import math
import sys
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastbt
from fastbt.stats import cscv

stats = fastbt.stats


def _noise(rows, cols, seed=0, scale=0.01):
    return np.random.default_rng(seed).normal(0.0, scale, (rows, cols))


# --- published examples ---------------------------------------------------------------


def test_dsr_paper_numerical_example():
    """Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", numerical example:
    N = 100 trials, variance of the annualised trial Sharpe ratios 1/2, selected annualised
    Sharpe 2.5, T = 1250 daily returns (250 a year), skewness -3, kurtosis 10:
    SR0 = 0.1132 per day and DSR = 0.9004."""
    per_year = 250
    sharpe = 2.5 / math.sqrt(per_year)
    variance = 0.5 / per_year  # variances of annualised Sharpe ratios divide by P
    z = np.random.default_rng(0).standard_normal(100)
    trials = (z - z.mean()) / z.std(ddof=1) * math.sqrt(variance)  # 100 trials, variance V
    result = stats.dsr_from_moments(sharpe, 1250, -3.0, 10.0, trials)
    assert result.n_trials == 100
    assert result.trials_variance == pytest.approx(variance, rel=1e-12)
    assert round(result.sr0, 4) == 0.1132
    assert round(result.dsr, 4) == 0.9004
    assert result.sr0 == pytest.approx(math.sqrt(variance) * stats.expected_max_factor(100))
    assert result.dsr == stats.psr_from_moments(sharpe, 1250, -3.0, 10.0, result.sr0)


def test_sef_paper_psr_example():
    """Bailey & López de Prado (2012), "The Sharpe Ratio Efficient Frontier", Journal of
    Risk 15(2), section 3 (PSR): a two-year track record of 24 monthly returns with a
    monthly Sharpe ratio of 0.458 (1.585 annualised), skewness -2.448 and kurtosis 10.164
    has PSR(0) = 0.913; with normal returns (skewness 0, kurtosis 3) it would be 0.982;
    with the same moments over three years (36 months), 0.953. The paper prints three
    digits, so three digits are checked. The monthly 0.458 is 1.585 / sqrt(12) = 0.45755
    rounded; the rounded 0.458 gives 0.95351 for 36 months, so the unrounded value is the
    input. (Numbers as quoted from the paper by third-party test suites and the authors'
    slides "The Sharp Razor", SSRN 2150879, pp. 16-17; the paper's own text was not at
    hand when this test was written.)"""
    sharpe = 1.585 / math.sqrt(12)  # per month: the formula takes the per-bar Sharpe ratio
    assert round(stats.psr_from_moments(sharpe, 24, -2.448, 10.164), 3) == 0.913
    assert round(stats.psr_from_moments(sharpe, 24, 0.0, 3.0), 3) == 0.982
    assert round(stats.psr_from_moments(sharpe, 36, -2.448, 10.164), 3) == 0.953
    # the two classic mistakes overstate it: the annualised Sharpe ratio in the formula
    # gives 0.990, excess kurtosis (7.164) instead of raw gives 0.920
    assert round(stats.psr_from_moments(sharpe * math.sqrt(12), 24, -2.448, 10.164), 3) == 0.990
    assert round(stats.psr_from_moments(sharpe, 24, -2.448, 10.164 - 3.0), 3) == 0.920


@pytest.mark.parametrize(
    "per_year, skew, kurtosis, years",
    [(252, 0.0, 3.0, 2.73), (52, 0.0, 3.0, 2.83), (12, 0.0, 3.0, 3.24), (12, -0.72, 5.78, 4.99)],
)
def test_sef_paper_min_trl_examples(per_year, skew, kurtosis, years):
    """The same paper, section 5, its MinTRL examples: an annualised Sharpe ratio of 2
    against a benchmark of 1 at 95% confidence needs 2.73 years of daily (252 a year),
    2.83 of weekly or 3.24 of monthly normal returns, and 4.99 years of monthly returns
    with skewness -0.72 and kurtosis 5.78 (the hedge-fund index of the example). Two
    digits, as printed; the per-bar inputs are the annualised ones divided by
    sqrt(bars per year). (Quoted from the paper by a third-party test suite, as above.)"""
    root = math.sqrt(per_year)
    bars = stats.min_trl_from_moments(2.0 / root, skew, kurtosis, benchmark=1.0 / root)
    assert round(bars / per_year, 2) == years
    # MinTRL is where PSR reaches the confidence level: one formula, two directions
    psr = stats.psr_from_moments(2.0 / root, bars, skew, kurtosis, 1.0 / root)
    assert psr == pytest.approx(0.95, rel=1e-12)


def test_annualised_inputs_saturate_the_dsr():
    """The classic bug the per-bar convention avoids: the same example fed annualised
    numbers gives a DSR of 1.0 to four places."""
    sr0 = math.sqrt(0.5) * stats.expected_max_factor(100)
    assert stats.psr_from_moments(2.5, 1250, -3.0, 10.0, sr0) > 0.99995


def test_min_btl_published_example():
    """Bailey, Borwein, López de Prado & Zhu (2014), "Pseudo-mathematics and financial
    charlatanism": with 5 years of data, no more than 45 independent configurations
    should be tried, or the best is expected to show an annualised Sharpe of 1 by luck."""
    assert stats.min_btl(45, 1.0) <= 5.0 < stats.min_btl(46, 1.0)
    assert stats.min_btl(1, 1.0) == 0.0
    assert stats.min_btl(45, 2.0) == pytest.approx(stats.min_btl(45, 1.0) / 4)


def test_expected_max_factor_matches_simulation():
    """The Emax bracket approximates (within 2%) the mean of the largest of N standard normals."""
    draws = np.random.default_rng(3).standard_normal((20_000, 100)).max(axis=1)
    assert stats.expected_max_factor(100) == pytest.approx(draws.mean(), rel=0.02)


# --- moments, PSR, MinTRL --------------------------------------------------------------


def test_moments_use_biased_skew_and_raw_kurtosis():
    from scipy import stats as scipy_stats

    r = np.random.default_rng(1).standard_t(5, 500) * 0.01 + 0.001
    m = stats.moments(r)
    assert m.n == 500
    assert m.sharpe == pytest.approx(r.mean() / r.std(ddof=1), rel=1e-12)
    assert m.skew == pytest.approx(scipy_stats.skew(r, bias=True), rel=1e-10)
    assert m.kurtosis == pytest.approx(scipy_stats.kurtosis(r, fisher=False, bias=True), rel=1e-10)
    normal = np.random.default_rng(2).standard_normal(200_000)
    assert stats.moments(normal).kurtosis == pytest.approx(3.0, abs=0.05)  # raw, not excess


def test_psr_formula_on_returns():
    r = pd.Series(np.random.default_rng(4).normal(0.001, 0.01, 300))
    m = stats.moments(r)
    spread = 1 - m.skew * m.sharpe + (m.kurtosis - 1) / 4 * m.sharpe**2
    expected = NormalDist().cdf((m.sharpe - 0.02) * math.sqrt(299) / math.sqrt(spread))
    assert stats.psr(r, benchmark=0.02) == pytest.approx(expected, rel=1e-12)
    assert stats.psr(r, benchmark=m.sharpe) == pytest.approx(0.5)


@given(
    seed=st.integers(0, 2**32 - 1),
    prob=st.floats(0.55, 0.99),
    drift=st.floats(0.002, 0.02),
)
@settings(max_examples=50)
def test_min_trl_is_the_length_where_psr_reaches_prob(seed, prob, drift):
    r = np.random.default_rng(seed).normal(drift, 0.01, 250)
    m = stats.moments(r)
    length = stats.min_trl(r, benchmark=0.0, prob=prob)
    assert stats.psr_from_moments(m.sharpe, length, m.skew, m.kurtosis, 0.0) == pytest.approx(prob)


def test_min_trl_is_infinite_below_the_benchmark_and_nan_when_flat():
    r = np.random.default_rng(5).normal(0.0, 0.01, 100)
    m = stats.moments(r)
    assert stats.min_trl(r, benchmark=0.0) == stats.min_trl_from_moments(
        m.sharpe, m.skew, m.kurtosis
    )
    assert stats.min_trl(r, benchmark=stats.sharpe(r) + 0.01) == math.inf
    assert math.isnan(stats.min_trl(np.zeros(10)))
    assert math.isnan(stats.psr(np.full(10, 0.01)))


# --- DSR -------------------------------------------------------------------------------


def test_dsr_uses_every_finite_trial_and_reports_sr0_and_n():
    returns = _noise(400, 30, seed=6) + 0.0005
    trials = returns.mean(axis=0) / returns.std(axis=0, ddof=1)
    best = int(np.argmax(trials))
    with_flat = np.append(trials, np.nan)  # a set that never traded
    result = stats.dsr(returns[:, best], with_flat)
    assert result.n_trials == 30
    assert result.sr0 == pytest.approx(
        math.sqrt(np.var(trials, ddof=1)) * stats.expected_max_factor(30)
    )
    m = stats.moments(returns[:, best])
    assert result.dsr == pytest.approx(
        stats.psr_from_moments(m.sharpe, 400, m.skew, m.kurtosis, result.sr0)
    )
    assert result.psr == pytest.approx(stats.psr(returns[:, best]))
    assert result.dsr < result.psr


def test_dsr_with_one_trial_is_the_psr_and_n_can_be_given():
    r = np.random.default_rng(7).normal(0.001, 0.01, 300)
    single = stats.dsr(r, [stats.sharpe(r)])
    assert single.sr0 == 0.0 and single.dsr == single.psr
    trials = np.random.default_rng(8).normal(0, 0.05, 50)
    assert stats.dsr(r, trials, n_trials=5).sr0 < stats.dsr(r, trials).sr0
    with pytest.raises(ValueError, match="at least 1"):
        stats.dsr(r, trials, n_trials=0.5)
    with pytest.raises(ValueError, match="no finite Sharpe"):
        stats.dsr(r, [np.nan])


def test_effective_n_trials():
    base = _noise(500, 1, seed=9)
    assert stats.effective_n_trials(np.hstack([base] * 5)) == pytest.approx(1.0)
    independent = _noise(5000, 10, seed=10)
    assert stats.effective_n_trials(independent) == pytest.approx(10, abs=0.3)
    # a sample of 10 columns standing for 1000 trials
    assert stats.effective_n_trials(independent, n_trials=1000) == pytest.approx(1000, rel=0.03)
    common = _noise(20_000, 1, seed=11)
    half = common + _noise(20_000, 4, seed=12)  # pairwise correlation 1/2
    assert stats.effective_n_trials(half, n_trials=100) == pytest.approx(0.5 + 0.5 * 100, rel=0.03)


# --- CSCV ------------------------------------------------------------------------------


def _direct_split_sharpes(values, blocks):
    """Per-bar Sharpe of every set on the concatenated rows of each split's in-sample blocks."""
    length = len(values) // blocks
    kept = values[len(values) - length * blocks :]
    rows = []
    for combo in itertools.combinations(range(blocks), blocks // 2):
        part = np.concatenate([kept[b * length : (b + 1) * length] for b in combo])
        rows.append(part.mean(axis=0) / part.std(axis=0, ddof=1))
    return np.array(rows)


@given(
    seed=st.integers(0, 2**32 - 1),
    blocks=st.sampled_from([2, 4, 6, 8]),
    n_sets=st.integers(1, 6),
    extra=st.integers(0, 7),
    length=st.integers(2, 9),
)
@settings(max_examples=60)
def test_block_route_equals_direct_computation(seed, blocks, n_sets, extra, length):
    rng = np.random.default_rng(seed)
    values = rng.normal(
        rng.uniform(-0.01, 0.01), rng.uniform(0.001, 0.05), (blocks * length + extra, n_sets)
    )
    via_blocks = cscv.split_metrics(stats.block_stats(values, blocks))
    direct = _direct_split_sharpes(values, blocks)
    np.testing.assert_allclose(via_blocks, direct, rtol=1e-12, atol=1e-12)


def test_combination_matches_chans_pairwise_update():
    """The k-part combination equals folding Chan et al.'s two-part update."""
    block = stats.block_stats(_noise(64, 3, seed=13) + 0.3, 8)
    folded = block[0]
    for part in block[1:]:
        n_a, m_a, q_a = folded[..., 0], folded[..., 1], folded[..., 2]
        n_b, m_b, q_b = part[..., 0], part[..., 1], part[..., 2]
        n = n_a + n_b
        delta = m_b - m_a
        folded = np.stack([n, m_a + delta * n_b / n, q_a + q_b + delta**2 * n_a * n_b / n], axis=-1)
    np.testing.assert_allclose(stats.combine_block_stats(block), folded, rtol=1e-12)


def test_out_of_sample_half_is_the_complement_split():
    combos = cscv.split_combinations(16)
    last = len(combos) - 1
    for index in (0, 1, 5000, last):
        assert set(combos[index]) | set(combos[last - index]) == set(range(16))


def test_pbo_drops_the_oldest_rows_and_reports_how_many():
    values = _noise(16 * 10 + 5, 4, seed=14)
    result = stats.pbo(values, blocks=16)
    assert result.n_trimmed == 5 and result.n_splits == math.comb(16, 8)
    again = stats.pbo(values[5:], blocks=16)
    np.testing.assert_array_equal(result.logits, again.logits)


def test_a_column_that_dominates_every_block_gives_pbo_zero():
    values = _noise(320, 8, seed=15)
    values[:, 3] = np.abs(values[:, 3]) + 0.02  # best in every block, positive out of sample
    result = stats.pbo(pd.DataFrame(values), blocks=16)
    assert result.pbo == 0.0
    assert (result.winners == 3).all()
    assert np.allclose(result.logits, math.log(8 / 1))  # rank N of N: omega = 8/9
    assert result.prob_loss == 0.0


def test_columns_demeaned_to_one_full_sample_mean_give_pbo_one_and_slope_minus_one():
    """With equal halves, a set's in-sample mean above the common full-sample mean forces its
    out-of-sample mean below it by as much: the winner is always the out-of-sample loser."""
    values = _noise(320, 10, seed=16)
    values = values - values.mean(axis=0) + 0.001
    result = stats.pbo(values, blocks=16, metric="mean")
    assert result.pbo == 1.0
    assert np.allclose(result.logits, math.log(1 / 10))
    assert result.slope == pytest.approx(-1.0, abs=1e-9)
    assert result.intercept == pytest.approx(2 * 0.001, abs=1e-12)
    assert result.r2 == pytest.approx(1.0)


def test_ties_are_ranked_by_their_average_and_count_as_overfit():
    """Identical sets: the first is the winner, its rank is the ties' average (N+1)/2, so
    omega = 1/2, the logit is 0 and the split counts towards PBO (lambda <= 0)."""
    column = _noise(64, 1, seed=17)
    result = stats.pbo(np.hstack([column] * 4), blocks=4)
    assert (result.winners == 0).all()
    np.testing.assert_array_equal(result.logits, 0.0)
    assert result.pbo == 1.0


def test_rank_counts_below_plus_half_the_ties():
    values = np.array([[1.0, 3.0, 3.0, 2.0, np.nan], [np.nan, 0.0, 5.0, 5.0, 5.0]])
    below, equal = cscv._count_below_and_equal(values, np.array([3.0, -np.inf]))
    # 3.0: 1.0, 2.0 and NaN (-inf) below, two equal: rank 4.5; NaN is -inf and alone: rank 1
    np.testing.assert_array_equal(cscv.tie_averaged_rank(below, equal), [4.5, 1.0])


def test_chunked_columns_give_the_same_verdict(monkeypatch):
    """Memory stays bounded by splitting the columns; winners (first argmax) and ranks
    must not depend on where the chunks fall, ties across chunks included."""
    values = _noise(96, 13, seed=25)
    values[:, 9] = values[:, 2]  # a tie across chunk boundaries
    whole = stats.pbo(values, blocks=6)
    monkeypatch.setattr(cscv, "_CHUNK_VALUES", 20 * 3)  # 3 columns per chunk
    assert len(cscv._column_chunks(20, 13)) == 5
    chunked = stats.pbo(values, blocks=6)
    np.testing.assert_array_equal(chunked.winners, whole.winners)
    np.testing.assert_array_equal(chunked.logits, whole.logits)
    np.testing.assert_array_equal(chunked.oos_metric, whole.oos_metric)
    tied = stats.pbo(np.hstack([values[:, :1]] * 7), blocks=6)
    assert (tied.winners == 0).all()


def test_a_flat_set_never_wins_a_split():
    values = _noise(160, 5, seed=18)
    values[:, 0] = 0.0  # never traded: Sharpe NaN, counted as -inf
    result = stats.pbo(values, blocks=8)
    assert (result.winners != 0).all()
    assert np.isfinite(result.logits).all()


@given(seed=st.integers(0, 2**32 - 1), scale=st.floats(1e-3, 1e3))
@settings(max_examples=30)
def test_pbo_is_invariant_to_positive_scaling(seed, scale):
    values = np.random.default_rng(seed).normal(0.0005, 0.01, (96, 6))
    base, scaled = stats.pbo(values, blocks=8), stats.pbo(values * scale, blocks=8)
    assert scaled.pbo == base.pbo
    np.testing.assert_array_equal(scaled.winners, base.winners)
    np.testing.assert_allclose(scaled.logits, base.logits)


def test_pbo_from_block_stats_is_the_same_as_pbo():
    values = _noise(200, 7, seed=19)
    direct = stats.pbo(values, blocks=10)
    from_stats = stats.pbo_from_block_stats(stats.block_stats(values, 10), n_trimmed=0)
    np.testing.assert_array_equal(direct.logits, from_stats.logits)
    assert direct.pbo == from_stats.pbo


def test_pbo_plot_is_an_agg_figure_outside_pyplot():
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = stats.pbo(_noise(160, 6, seed=20), blocks=8).plot()
    assert isinstance(figure, Figure) and isinstance(figure.canvas, FigureCanvasAgg)
    histogram, scatter = figure.axes
    assert histogram.patches and scatter.collections and scatter.lines  # bars, dots, line
    sink = io.BytesIO()
    figure.savefig(sink, format="png")
    assert sink.getvalue().startswith(b"\x89PNG")


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: stats.pbo(_noise(100, 4), blocks=7), "blocks must be an even"),
        (lambda: stats.pbo(_noise(100, 4), blocks=True), "blocks must be an even"),
        (lambda: stats.pbo(_noise(20, 4), blocks=16), r"too few for blocks=16: .*use blocks <= 10"),
        (lambda: stats.pbo(_noise(3, 4), blocks=2), "at least 4 bars"),
        (lambda: stats.pbo(_noise(100, 1), blocks=4), "at least 2 columns"),
        (lambda: stats.pbo(np.zeros(100), blocks=4), "T x N matrix"),
        (lambda: stats.pbo(_noise(100, 4), metric="sortino"), "metric must be one of"),
        (lambda: stats.psr([0.01]), "at least 2 returns"),
        (lambda: stats.psr(_noise(10, 2)), "one return series"),
        (lambda: stats.psr(pd.DataFrame(_noise(10, 2))), "DataFrame with 2 columns"),
        (lambda: stats.psr([0.01, np.nan, 0.02]), "1 NaN value"),
        (lambda: stats.min_trl(_noise(10, 1)[:, 0], prob=1.0), "prob must be between"),
        (lambda: stats.min_btl(10, 0.0), "positive annualised"),
        (lambda: stats.block_stats(_noise(100, 2), 3), "blocks must be an even"),
        (lambda: stats.pbo_from_block_stats(np.zeros((4, 3))), r"shape \(S, N, 3\)"),
    ],
)
def test_bad_input_is_a_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_nan_column_is_named():
    frame = pd.DataFrame(_noise(64, 3), columns=["a", "b", "c"])
    frame.loc[5:9, "b"] = np.nan
    with pytest.raises(ValueError, match=r"column 'b' has 5 NaN"):
        stats.pbo(frame, blocks=4)


# --- haircut -----------------------------------------------------------------------------


def _sweep(seed=21, rows=500, cols=40):
    returns = _noise(rows, cols, seed=seed)
    returns[:, 7] += 0.003
    sharpes = returns.mean(axis=0) / returns.std(axis=0, ddof=1)
    return returns, sharpes


def test_haircut_bonferroni_and_holm_on_the_best_set():
    from scipy import stats as scipy_stats

    returns, sharpes = _sweep()
    best = int(np.argmax(sharpes))
    t = sharpes[best] * math.sqrt(500)
    p = 2 * scipy_stats.t.sf(t, 499)
    for method in ("bonferroni", "holm"):  # Holm's first step is Bonferroni's
        result = stats.haircut(returns[:, best], sharpes, method=method)
        assert result.t_stat == pytest.approx(t) and result.p_value == pytest.approx(p)
        assert result.p_adjusted == pytest.approx(min(1.0, 40 * p))
        assert result.n_trials == 40
        # the haircut Sharpe is the one whose own p-value is the adjusted p-value
        back = 2 * scipy_stats.t.sf(result.haircut_sharpe * math.sqrt(500), 499)
        assert back == pytest.approx(result.p_adjusted)
        assert 0 < result.haircut_sharpe < result.sharpe


def test_haircut_bhy_is_exact_over_the_trials():
    from statsmodels.stats.multitest import multipletests

    returns, sharpes = _sweep(seed=22)
    best = int(np.argmax(sharpes))
    result = stats.haircut(returns[:, best], sharpes, method="bhy")
    from scipy import stats as scipy_stats

    p_all = 2 * scipy_stats.t.sf(np.abs(sharpes) * math.sqrt(500), 499)
    assert result.p_adjusted == pytest.approx(multipletests(p_all, method="fdr_by")[1][best])


def test_one_trial_means_no_haircut():
    r = np.random.default_rng(23).normal(0.002, 0.01, 300)
    result = stats.haircut(r, [stats.sharpe(r)], method="bonferroni")
    assert result.haircut_sharpe == pytest.approx(
        result.sharpe
    ) and result.haircut == pytest.approx(0)


def test_haircut_refuses_a_selected_set_not_among_the_trials_or_an_unknown_method():
    returns, sharpes = _sweep()
    with pytest.raises(ValueError, match="not among trial_sharpes"):
        stats.haircut(returns[:, 0] * 2 + 0.001, sharpes)
    with pytest.raises(ValueError, match="method must be one of bonferroni, holm, bhy"):
        stats.haircut(returns[:, 0], sharpes, method="sidak")


def test_missing_optional_packages_name_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "statsmodels.stats.multitest", None)
    monkeypatch.setitem(sys.modules, "arch.bootstrap", None)
    returns, sharpes = _sweep()
    with pytest.raises(ImportError, match=r"fastbt\[stats\]"):
        stats.haircut(returns[:, 0], sharpes)
    with pytest.raises(ImportError, match=r"fastbt\[stats\]"):
        stats.spa(returns[:, :3])


# --- Reality Check / SPA ---------------------------------------------------------------------


def test_spa_finds_a_real_edge_and_not_noise():
    noise = _noise(500, 10, seed=24)
    assert stats.spa(noise, reps=300, seed=1).spa > 0.2
    edge = noise.copy()
    edge[:, 4] += 0.004
    result = stats.spa(pd.DataFrame(edge), reps=300, seed=1)
    assert result.spa < 0.01 and result.lower <= result.spa <= result.reality_check
    assert stats.spa(pd.DataFrame(edge), reps=300, seed=1) == result  # seeded: repeatable


def test_spa_is_for_a_shortlist_and_checks_the_benchmark():
    with pytest.raises(ValueError, match="shortlist"):
        stats.spa(np.zeros((20, 1001)))
    with pytest.raises(ValueError, match="benchmark has 5 returns but the sets have 20 bars"):
        stats.spa(_noise(20, 3), benchmark=np.zeros(5))


def test_the_example_of_docs_overfitting_md():
    rng = np.random.default_rng(42)
    returns = rng.normal(0.0, 0.01, (2000, 200))
    sharpes = returns.mean(axis=0) / returns.std(axis=0, ddof=1)
    best = returns[:, sharpes.argmax()]
    assert round(stats.psr(best), 3) == 0.991
    d = stats.dsr(best, sharpes)
    assert (round(d.dsr, 3), round(d.sr0, 4), d.n_trials) == (0.340, 0.0627, 200.0)
    assert round(stats.pbo(returns).pbo, 3) == 0.500
    assert stats.haircut(best, sharpes).haircut_sharpe == 0.0
