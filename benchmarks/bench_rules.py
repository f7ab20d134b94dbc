"""Rule strategies on the fused sweep kernel against the hand-written fused kernel.

    python benchmarks/bench_rules.py [--save] [--repeats N]

Workload: sweep (a) of bench_sweep.py, GOOG with the 4,950 pairs fast < slow in
2..101, fill at the close. Both rows run ``fastbt.sweep.chunks.run_sets`` on the same
prepared arrays (indicator tables and the fused kernel, no grid expansion or result
table):

- hand-written: ``ma_cross`` with ``sweep_inputs=ma_cross_sweep_inputs`` (SMA table +
  ``kernels.sweep.sweep_crossings``, the built-in's fused path before it became a rule);
- rule: the built-in ``ma_cross`` rules (``crosses_above(sma(close, fast), sma(close, slow))``)
  on the generated kernel of ``fastbt.rules.fused``.

The results are checked equal first. The two alternate ``--repeats`` times in one
process (both warmed first, so compilation is not timed); the ratio is of the medians.
Target: the rule kernel at least 0.90x the hand-written throughput. ``--save`` writes
benchmarks/results/rules.md.
"""

import argparse
import os
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from bench_sweep import OPTIONS, arrays, pair_columns

import fastbt
from fastbt.options import RunOptions
from fastbt.periods import infer_periods_per_year
from fastbt.strategies.sweep_inputs import ma_cross_sweep_inputs
from fastbt.sweep.chunks import run_sets

TARGET = 0.90


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()

    bars = fastbt.load("GOOG")
    columns = arrays(bars) | {"volume": bars["volume"].to_numpy(dtype=np.float64)}
    options = RunOptions(**OPTIONS)
    periods = infer_periods_per_year(bars.index)
    fast, slow = pair_columns()
    params = {"fast": fast, "slow": slow}
    rule = fastbt.get_strategy("ma_cross")
    hand = replace(rule, sweep_inputs=ma_cross_sweep_inputs)  # the hand-written fused path
    runs = {
        "hand-written fused kernel": lambda: run_sets(columns, hand, params, options, periods),
        "rule, generated fused kernel": lambda: run_sets(columns, rule, params, options, periods),
    }
    first = [run() for run in runs.values()]  # warm (compile or load the cache) and check
    np.testing.assert_array_equal(first[0], first[1])
    times = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["hand-written fused kernel"]
    n_sets, n_bars = len(fast), len(bars)
    lines = [
        f"Sweep (a): GOOG, {n_sets:,} ma_cross sets x {n_bars:,} bars, fill at the close; "
        f"medians of {args.repeats} alternating runs in one process; results equal. "
        f"Machine load (1-min average) at the end: {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores.",
        "",
        "| kernel | median | sets/s | ns per bar | throughput vs hand-written |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, median in medians.items():
        ratio = base / median
        lines.append(
            f"| {name} | {median * 1e3:.1f} ms | {n_sets / median:,.0f} | "
            f"{median / (n_sets * n_bars) * 1e9:.2f} | {ratio:.2f}x |"
        )
    ratio = base / medians["rule, generated fused kernel"]
    verdict = "met" if ratio >= TARGET else "missed"
    lines += [
        "",
        f"Target: rule >= {TARGET:.2f}x the hand-written throughput: {verdict} ({ratio:.2f}x).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.save:
        out = Path(__file__).parent / "results" / "rules.md"
        out.write_text("# Rule strategies on the fused kernel\n\n" + text + "\n")


if __name__ == "__main__":
    main()
