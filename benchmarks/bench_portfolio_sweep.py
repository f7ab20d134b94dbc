"""Portfolio sweep speed and memory: momentum rotation, 50 lookbacks x 10 top_k on 100
synthetic symbols x 2,520 bars, monthly rebalancing (issue 13, part 6).

    python benchmarks/bench_portfolio_sweep.py [--save] [--rounds R]

Runs ``fastbt.sweep(data, "momentum_rotation", grid)`` on a universe prepared once
(``fastbt.universe``): a first call (Numba cache load) and ``--rounds`` warm calls, in
this process. Memory: the peak RSS of the process (``ru_maxrss``) against the RSS
before the first sweep, and the tracemalloc peak of one warm sweep (NumPy arrays,
tables; the kernels' own per-set state is a few arrays of length 100). Checked first:
five rows equal ``fastbt.run_portfolio`` for their set, every metric. Shown too, as a
ratio measured in this run: sets per second of the sweep against ``run_portfolio`` set
by set. Targets: under 10 s and under 1 GiB.

``--save`` also writes benchmarks/results/portfolio_sweep.md.
"""

import argparse
import math
import resource
import statistics
import time
import tracemalloc
from pathlib import Path

import numpy as np
from bench_core import environment, fmt_seconds, log, publish

import fastbt
from fastbt.kernels.metrics import METRIC_NAMES

RESULTS = Path(__file__).resolve().parent / "results" / "portfolio_sweep.md"
GRID = {"lookback": list(range(5, 255, 5)), "top_k": list(range(1, 11)), "rebalance": ["M"]}
COSTS = {"commission": 0.001, "slippage": 0.0005}
TARGET_SECONDS = 10.0
TARGET_BYTES = 2**30


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_sweep(data):
    return fastbt.sweep(data, "momentum_rotation", GRID, progress=False, **COSTS)


def check_rows(data, table, picks=(0, 7, 123, 256, 499)) -> None:
    """Rows of the sweep equal run_portfolio for their set, every metric."""
    for i in picks:
        row = table.iloc[i]
        result = fastbt.run_portfolio(
            data,
            "momentum_rotation",
            lookback=int(row["lookback"]),
            top_k=int(row["top_k"]),
            rebalance="M",
            **COSTS,
        )
        for name in METRIC_NAMES:
            ours, theirs = row[name], result.metrics[name]
            if not (ours == theirs or (math.isnan(ours) and math.isnan(theirs))):
                raise SystemExit(
                    f"row {i} differs from run_portfolio on {name}: {ours} != {theirs}"
                )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--rounds", type=int, default=3, help="warm sweeps (3)")
    args = parser.parse_args()

    data = fastbt.universe(fastbt.synthetic_universe(100, 2520, seed=0))
    n_sets = len(GRID["lookback"]) * len(GRID["top_k"])
    rss_before = rss_bytes()
    start = time.perf_counter()
    table = run_sweep(data)
    first = time.perf_counter() - start
    log(f"first sweep {first:.2f} s")
    check_rows(data, table)
    warm = []
    for _ in range(args.rounds):
        start = time.perf_counter()
        again = run_sweep(data)
        warm.append(time.perf_counter() - start)
        log(f"warm sweep {warm[-1]:.2f} s")
    assert again.equals(table), "repeated sweeps differ"
    tracemalloc.start()
    run_sweep(data)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = peak_rss_bytes()

    # Set by set through run_portfolio, on a few sets, for the sets-per-second ratio.
    sample = 10
    start = time.perf_counter()
    for lookback in GRID["lookback"][:sample]:
        fastbt.run_portfolio(data, "momentum_rotation", lookback=lookback, top_k=3, **COSTS)
    one_by_one = (time.perf_counter() - start) / sample
    best = min(warm)
    median = statistics.median(warm)
    mib = 2**20
    lines = [
        "# Portfolio sweep benchmark",
        "",
        environment(),
        "",
        f"momentum_rotation: {len(GRID['lookback'])} lookbacks x {len(GRID['top_k'])} top_k "
        f"= {n_sets} sets, monthly rebalancing, on 100 synthetic symbols x 2,520 bars "
        f"(commission 0.1%, slippage 0.05%). Five rows checked equal to run_portfolio first.",
        "",
        "| measure | value | target |",
        "|---|---:|---:|",
        f"| first sweep (Numba cache load included) | {fmt_seconds(first)} | |",
        f"| warm sweep, best of {len(warm)} | {fmt_seconds(best)} | < {TARGET_SECONDS:g} s |",
        f"| warm sweep, median | {fmt_seconds(median)} | |",
        f"| sets per second (warm best) | {n_sets / best:,.0f} | |",
        f"| run_portfolio set by set, per set | {fmt_seconds(one_by_one)} | |",
        f"| sweep vs set by set, per set | {one_by_one / (best / n_sets):.1f}x | |",
        f"| peak RSS of the process | {peak / mib:,.0f} MiB | < 1024 MiB |",
        f"| RSS before the first sweep | {rss_before / mib:,.0f} MiB | |",
        f"| tracemalloc peak of one sweep | {traced_peak / mib:,.1f} MiB | |",
        "",
        f"Result: {'PASS' if best < TARGET_SECONDS and peak < TARGET_BYTES else 'FAIL'}",
    ]
    publish("\n".join(lines) + "\n", RESULTS, args.save)
    return 0 if best < TARGET_SECONDS and peak < TARGET_BYTES else 1


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
