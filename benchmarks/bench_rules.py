"""Rule strategies on the fused sweep kernel against the hand-written fused kernel.

    python benchmarks/bench_rules.py [--save] [--repeats N]

Workloads on GOOG, fill at the close: ``ma_cross`` over sweep (a) of bench_sweep.py
(the 4,950 pairs fast < slow in 2..101) and ``rsi`` over 4,000 sets (window 2..51 x
8 oversold x 10 overbought levels). Both rows of a workload run
``fastbt.sweep.chunks.run_sets`` on the same prepared arrays (indicator tables and
the fused kernel, no grid expansion or result table):

- hand-written: the strategy with its former ``sweep_inputs`` (indicator table +
  ``kernels.sweep.sweep_crossings``, the built-in's fused path before it became rules);
- rule: the built-in's rules on the generated kernel of ``fastbt.rules.fused``.

The results are checked equal first. The two alternate ``--repeats`` times in one
process (both warmed first, so compilation is not timed); the ratio is of the medians.
Target: ``ma_cross`` as a rule at least 0.90x the hand-written throughput. ``--save`` writes
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
from fastbt.strategies.sweep_inputs import ma_cross_sweep_inputs, rsi_sweep_inputs
from fastbt.sweep.chunks import run_sets

TARGET = 0.90


def workloads() -> dict:
    """Per strategy: its parameter sets and the hand-written ``sweep_inputs`` to compare with."""
    fast, slow = pair_columns()
    window, oversold, overbought = np.meshgrid(
        np.arange(2, 52), np.arange(10.0, 50.0, 5.0), np.arange(55.0, 95.0, 4.0), indexing="ij"
    )
    return {
        "ma_cross": ({"fast": fast, "slow": slow}, ma_cross_sweep_inputs),
        "rsi": (
            {
                "window": window.ravel().astype(np.int64),
                "oversold": oversold.ravel(),
                "overbought": overbought.ravel(),
            },
            rsi_sweep_inputs,
        ),
    }


def measure(columns, name, params, hand_inputs, options, periods, repeats) -> dict:
    """Median seconds of the hand-written and the rule fused paths, alternating."""
    rule = fastbt.get_strategy(name)
    hand = replace(rule, sweep_inputs=hand_inputs)
    runs = {
        "hand-written": lambda: run_sets(columns, hand, params, options, periods),
        "rule": lambda: run_sets(columns, rule, params, options, periods),
    }
    first = [run() for run in runs.values()]  # warm (compile or load the cache) and check
    np.testing.assert_array_equal(first[0], first[1])
    times = {kernel: [] for kernel in runs}
    for _ in range(repeats):
        for kernel, run in runs.items():
            started = time.perf_counter()
            run()
            times[kernel].append(time.perf_counter() - started)
    return {kernel: statistics.median(t) for kernel, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()

    bars = fastbt.load("GOOG")
    columns = arrays(bars) | {"volume": bars["volume"].to_numpy(dtype=np.float64)}
    options = RunOptions(**OPTIONS)
    periods = infer_periods_per_year(bars.index)
    n_bars = len(bars)
    lines = [
        f"GOOG, {n_bars:,} bars, fill at the close; medians of {args.repeats} alternating "
        "runs in one process; results checked equal first.",
        "",
        "| strategy | sets | fused path | median | sets/s | ns per bar | throughput vs hand-written |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    ratios = {}
    for name, (params, hand_inputs) in workloads().items():
        medians = measure(columns, name, params, hand_inputs, options, periods, args.repeats)
        n_sets = len(next(iter(params.values())))
        for kernel, median in medians.items():
            lines.append(
                f"| {name} | {n_sets:,} | {kernel} | {median * 1e3:.1f} ms | "
                f"{n_sets / median:,.0f} | {median / (n_sets * n_bars) * 1e9:.2f} | "
                f"{medians['hand-written'] / median:.2f}x |"
            )
        ratios[name] = medians["hand-written"] / medians["rule"]
    verdict = "met" if ratios["ma_cross"] >= TARGET else "missed"
    lines += [
        "",
        f"Target: ma_cross as a rule >= {TARGET:.2f}x the hand-written throughput: {verdict} "
        f"({ratios['ma_cross']:.2f}x). Machine load (1-min average) at the end: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.save:
        out = Path(__file__).parent / "results" / "rules.md"
        out.write_text("# Rule strategies on the fused kernel\n\n" + text + "\n")


if __name__ == "__main__":
    main()
