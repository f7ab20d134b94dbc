"""A sweep of signal variants given as arrays against the fused ma_cross sweep, in one run.

    python benchmarks/bench_signal_sweep.py [--save] [--repeats N]

The 4,950 ``ma_cross`` pairs fast < slow in 2..101 on GOOG (2,148 bars), same-bar
close fills: once as ``fastbt.sweep(bars, "ma_cross", grid)`` (indicator tables,
crossings in the kernel), once as ``fastbt.sweep(bars, signals=(entry, exit))`` with
the same signals precomputed into two bars x 4,950 boolean DataFrames (read in place)
and, for the layout cost, as C-ordered NumPy arrays (copied per chunk). Rows are
checked equal first; the cases are timed in turn, warm, and reported as medians and
ratios to the ma_cross sweep. ``--save`` writes benchmarks/results/signal_sweep.md.
"""

import argparse
import statistics
from pathlib import Path

import numpy as np
import pandas as pd
from bench_core import environment, fmt_seconds, log, publish, time_round_robin

import fastbt
from fastbt.kernels.metrics import METRIC_NAMES
from fastbt.kernels.strategies import ma_cross_signals

RESULTS = Path(__file__).resolve().parent / "results" / "signal_sweep.md"
OPTIONS = {"fill": "close", "progress": False}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    bars = fastbt.load("GOOG")
    columns = [bars[c].to_numpy() for c in ("open", "high", "low", "close", "volume")]
    pairs = [(f, s) for f in range(2, 102) for s in range(2, 102) if f < s]
    log(f"computing {len(pairs):,} signal pairs")
    signals = {f"{f}-{s}": ma_cross_signals(*columns, f, s) for f, s in pairs}
    entry = pd.DataFrame({k: v[0] for k, v in signals.items()}, index=bars.index)
    exit_ = pd.DataFrame({k: v[1] for k, v in signals.items()}, index=bars.index)
    entry_c, exit_c = np.ascontiguousarray(entry.to_numpy()), np.ascontiguousarray(exit_.to_numpy())
    grid = {"fast": range(2, 102), "slow": range(2, 102)}
    cases = {
        "ma_cross sweep (crossings in the kernel)": lambda: fastbt.sweep(
            bars, "ma_cross", grid, **OPTIONS
        ),
        "signals sweep, DataFrames (in place)": lambda: fastbt.sweep(
            bars, signals=(entry, exit_), **OPTIONS
        ),
        "signals sweep, C-ordered arrays (copied per chunk)": lambda: fastbt.sweep(
            bars, signals=(entry_c, exit_c), **OPTIONS
        ),
    }
    tables = [call() for call in cases.values()]
    for table in tables[1:]:
        equal = np.array_equal(
            table[list(METRIC_NAMES)].to_numpy(float),
            tables[0][list(METRIC_NAMES)].to_numpy(float),
            equal_nan=True,
        )
        if not equal:
            raise SystemExit("signal sweep rows differ from the ma_cross sweep")
    log("rows equal; timing")
    times = time_round_robin(cases, args.repeats)
    base = statistics.median(next(iter(times.values())))
    lines = [
        "# Signal sweep vs fused ma_cross sweep",
        "",
        environment(),
        "",
        f"GOOG, {len(bars):,} bars, {len(pairs):,} sets, fill=close; "
        f"median of {args.repeats} warm runs each, interleaved.",
        "",
        "| case | median | sets/s | time vs ma_cross sweep |",
        "| --- | --- | --- | --- |",
    ]
    for name, samples in times.items():
        median = statistics.median(samples)
        lines.append(
            f"| {name} | {fmt_seconds(median)} | {len(pairs) / median:,.0f} | "
            f"{median / base:.2f}x |"
        )
    publish("\n".join(lines) + "\n", RESULTS, args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
