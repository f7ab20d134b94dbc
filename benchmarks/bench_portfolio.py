"""Portfolio speed and peer check: fastbt.run_portfolio against vectorbt's from_orders.

    python benchmarks/bench_portfolio.py [--save] [--rounds R] [--symbols K] [--bars N]

1. Peer check (needs the ``bench`` extra): on 3 and on 10 synthetic symbols with
   monthly rebalancing to inverse-volatility targets, with commission 0.1%, fixed
   fee 1 and slippage 0.05%, vectorbt 1.2 ``Portfolio.from_orders(close, size=weights,
   size_type="targetpercent", cash_sharing=True, group_by=True, call_seq="auto",
   fees=..., fixed_fees=..., slippage=...)`` must give the same equity (1e-9
   relative) and the same exit trades (symbol, entry and exit bar, size, prices,
   pnl) as ``fastbt.run_portfolio(..., like="vectorbt")``.
2. Speed: the same call (without the fixed fee, see PEER_COSTS) on 100 symbols x
   2,520 bars, results checked equal first;
   vectorbt (``from_orders`` and its equity) and fastbt (``run_portfolio`` on a
   ``fastbt.universe`` prepared once: equity, positions, trade rows and every
   metric; and on the dict of DataFrames, validated on every call) alternate ``--rounds`` times in this one
   process, so a noisy neighbour slows both. Target: fastbt at least 20x faster.
   The kernel alone (``simulate_portfolio`` on ready arrays) is shown too.

``--save`` also writes benchmarks/results/portfolio.md.
"""

import argparse
import os
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
from bench_core import environment, fmt_seconds, log, publish
from bench_sweep import timed

import fastbt
from fastbt.kernels.portfolio import simulate_portfolio
from fastbt.portfolio.engine import weights_array

RESULTS = Path(__file__).resolve().parent / "results" / "portfolio.md"
CASH = 100_000.0
COSTS = {"commission": 0.001, "fixed_fee": 0.0, "slippage": 0.0005}
# The peer checks add a fixed fee. Not in the speed workload: there, rebalancing makes
# sells worth less than the fee, which vectorbt rejects ("CantCoverFees") and fastbt
# executes (a sell always executes, docs/execution.md), so the equities part ways.
PEER_COSTS = COSTS | {"fixed_fee": 1.0}
TARGET_RATIO = 20.0
VECTORBT = "vectorbt from_orders + value()"
PREPARED = "fastbt.run_portfolio (prepared fastbt.universe)"


def workload(n_symbols: int, n_bars: int, seed: int = 0):
    """Synthetic symbols and monthly inverse-volatility (63-bar) target weights."""
    data = fastbt.synthetic_universe(n_symbols, n_bars, seed=seed)
    weights = fastbt.rebalance(fastbt.inverse_volatility(63), data, every="M")
    return data, weights


def run_fastbt(data, weights, costs=COSTS):
    return fastbt.run_portfolio(data, weights=weights, cash=CASH, like="vectorbt", **costs)


def run_vectorbt(close: pd.DataFrame, weights: pd.DataFrame, costs=COSTS):
    import vectorbt as vbt

    return vbt.Portfolio.from_orders(
        close,
        size=weights,
        size_type="targetpercent",
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        init_cash=CASH,
        fees=costs["commission"],
        fixed_fees=costs["fixed_fee"],
        slippage=costs["slippage"],
        freq="1D",
    )


def check_equal(portfolio, ours) -> str:
    """Equity to 1e-9 relative and the same exit trades; a one-line summary, or raise."""
    theirs = portfolio.value().to_numpy()
    worst = float(np.max(np.abs(theirs / ours.equity.to_numpy() - 1.0)))
    if worst > 1e-9:
        raise AssertionError(f"equity differs from vectorbt by up to {worst:.3g} (relative)")
    records = portfolio.exit_trades.records
    symbols = list(ours.symbols)
    peer = pd.DataFrame(
        {
            "symbol": [symbols[c] for c in records["col"]],
            "entry_bar": records["entry_idx"],
            "exit_bar": records["exit_idx"],
            "qty": records["size"],
            "entry_price": records["entry_price"],
            "exit_price": records["exit_price"],
            "pnl": records["pnl"],
            "open": records["status"] == 0,
        }
    )
    mine = ours.trades.assign(open=ours.trades["status"] == "open")
    key = ["symbol", "entry_bar", "open", "exit_bar"]
    peer = peer.assign(exit_bar=np.where(peer["open"], -1, peer["exit_bar"]))
    mine = mine.assign(exit_bar=mine["exit_bar"].astype("Float64").fillna(-1).astype("int64"))
    peer = peer.sort_values(key, kind="stable").reset_index(drop=True)
    mine = mine.sort_values(key, kind="stable").reset_index(drop=True)
    if len(peer) != len(mine) or not (peer[key].to_numpy() == mine[key].to_numpy()).all():
        raise AssertionError(f"trades differ: vectorbt {len(peer)}, fastbt {len(mine)}")
    closed = ~mine["open"]
    for column in ("qty", "entry_price", "exit_price", "pnl"):
        a, b = peer.loc[closed, column].to_numpy(), mine.loc[closed, column].to_numpy()
        if not np.allclose(a, b, rtol=1e-9, atol=1e-9 * CASH * 1e-3):
            raise AssertionError(f"trade column {column} differs from vectorbt")
    return f"equity within {worst:.1e} relative, {len(mine)} trades equal"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--rounds", type=int, default=7, help="alternating timing rounds (7)")
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--bars", type=int, default=2520)
    args = parser.parse_args(argv)
    lines = ["# Portfolio benchmark", "", environment(), ""]

    import vectorbt

    lines += [
        f"Peer: vectorbt {vectorbt.__version__}, `Portfolio.from_orders` (see the script).",
        "",
    ]
    lines += ["| peer check | result |", "|---|---|"]
    for n_symbols in (3, 10):
        data, weights = workload(n_symbols, 756, seed=n_symbols)
        close = pd.DataFrame({s: d["close"] for s, d in data.items()})
        summary = check_equal(
            run_vectorbt(close, weights, PEER_COSTS), run_fastbt(data, weights, PEER_COSTS)
        )
        log(f"peer check, {n_symbols} symbols: {summary}")
        lines.append(f"| {n_symbols} symbols x 756 bars, monthly, fixed fee 1 | {summary} |")

    log(f"speed workload: {args.symbols} symbols x {args.bars} bars ...")
    data, weights = workload(args.symbols, args.bars)
    close = pd.DataFrame({s: d["close"] for s, d in data.items()})
    summary = check_equal(run_vectorbt(close, weights), run_fastbt(data, weights))
    lines.append(f"| {args.symbols} symbols x {args.bars} bars, monthly | {summary} |")
    bars = fastbt.universe(data)  # validated once, as vectorbt gets its closes ready
    orders = weights_array(weights, bars)
    rules = fastbt.RunOptions.resolve(like="vectorbt", cash=CASH, **COSTS).rules()

    def kernel():
        return simulate_portfolio(
            bars.open,
            bars.high,
            bars.low,
            bars.close,
            orders,
            True,
            CASH,
            rules,
            True,
            True,
            252.0,
            True,
        )

    cases = {
        VECTORBT: lambda: run_vectorbt(close, weights).value(),
        PREPARED: lambda: run_fastbt(bars, weights),
        "fastbt.run_portfolio (dict of 100 DataFrames, validated each call)": lambda: run_fastbt(
            data, weights
        ),
        "fastbt kernel (simulate_portfolio)": kernel,
    }
    times = {name: [] for name in cases}
    for call in cases.values():
        call()  # warm: compiled / cached kernels loaded
    for r in range(args.rounds):
        log(f"round {r + 1}/{args.rounds}")
        for name, call in cases.items():
            times[name].append(timed(call)[0])
    medians = {name: statistics.median(t) for name, t in times.items()}
    best = {name: min(t) for name, t in times.items()}
    peer, peer_best = medians[VECTORBT], best[VECTORBT]
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    lines += [
        "",
        f"Speed, {args.symbols} symbols x {args.bars} bars, monthly targets, "
        f"{args.rounds} alternating rounds (load average during the run: {load}):",
        "",
        "| case | median | vectorbt / this (medians) | best | vectorbt / this (bests) |",
        "|---|---|---|---|---|",
    ]
    for name in cases:
        lines.append(
            f"| {name} | {fmt_seconds(medians[name])} | {peer / medians[name]:.1f}x "
            f"| {fmt_seconds(best[name])} | {peer_best / best[name]:.1f}x |"
        )
    ratio = peer / medians[PREPARED]
    verdict = "met" if ratio >= TARGET_RATIO else "MISSED"
    lines += [
        "",
        f"Target: run_portfolio (prepared) at least {TARGET_RATIO:g}x faster than vectorbt "
        f"(medians): {ratio:.1f}x, {verdict}.",
    ]
    publish("\n".join(lines) + "\n", RESULTS, args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
