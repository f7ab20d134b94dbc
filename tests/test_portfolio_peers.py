"""Target-weight portfolios against vectorbt 1.2 ``Portfolio.from_orders`` (cash shared,
one group, ``call_seq="auto"``): the same equity to 1e-9 and the same exit trades.

Needs the ``bench`` extra (skipped without vectorbt). The check itself is
benchmarks/bench_portfolio.py's, which also runs it before timing.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("vectorbt")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_portfolio

from tests.helpers import make_bars

pytestmark = pytest.mark.filterwarnings("ignore::fastbt.DataWarning")


@pytest.mark.parametrize(("n_symbols", "seed"), [(3, 1), (5, 2), (8, 3)])
def test_monthly_target_weights_match_vectorbt(n_symbols, seed):
    data, weights = bench_portfolio.workload(n_symbols, 400, seed=seed)
    close = pd.DataFrame({s: d["close"] for s, d in data.items()})
    costs = bench_portfolio.PEER_COSTS
    ours = bench_portfolio.run_fastbt(data, weights, costs)
    theirs = bench_portfolio.run_vectorbt(close, weights, costs)
    assert "trades equal" in bench_portfolio.check_equal(theirs, ours)
    assert len(ours.closed_trades) > 5


def test_a_sell_worth_less_than_the_fixed_fee_is_where_vectorbt_differs():
    """vectorbt rejects a sell whose proceeds do not cover its fees; fastbt always sells."""
    bars = {"A": make_bars([10.0] * 3, [10.0] * 3), "B": make_bars([20.0] * 3, [20.0] * 3)}
    weights = pd.DataFrame(np.nan, index=bars["A"].index, columns=["A", "B"])
    weights.iloc[0] = [0.5, 0.5]
    # Bar 0: 5,000 A and (cut by the fees) 2,499.9 B, value 99,998 after. Bar 1: sell
    # 0.005 units of A, worth 5 cents, for a fee of 1.
    weights.iloc[1] = [(5000 - 0.005) * 10 / 99_998, np.nan]
    close = pd.DataFrame({s: b["close"] for s, b in bars.items()})
    costs = {"commission": 0.0, "fixed_fee": 1.0, "slippage": 0.0}
    ours = bench_portfolio.run_fastbt(bars, weights, costs)
    theirs = bench_portfolio.run_vectorbt(close, weights, costs)
    assert ours.closed_trades["exit_bar"].tolist() == [1]
    assert len(theirs.exit_trades.records_readable.query("Status == 'Closed'")) == 0
    with pytest.raises(AssertionError, match="equity differs"):
        bench_portfolio.check_equal(theirs, ours)
