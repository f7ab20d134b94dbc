"""PBO and DSR at sweep scale: what ``blocks=`` costs the fused sweep kernel, and how
long and how much memory CSCV takes on a 10^6-set GOOG sweep.

    python benchmarks/bench_pbo.py [--save] [--repeats N] [--sets N]

(1) Kernel cost, in one process: the fused kernel of this tree with blocks off and
    with blocks=16, and the kernel as it was before blocks existed (``fastbt/kernels/sweep.py`` at
    ``--before``, default the merge-base with main, loaded as a separate module), on GOOG's 4,950 ``ma_cross`` pairs. CPU time
    (``time.process_time``, all threads) per call, calls interleaved, medians.
(2) PBO: ``fastbt.sweep(GOOG, ma_cross, 10^6 sampled pairs, blocks=16)``, then
    ``fastbt.sweep_verdict`` (12,870 splits of 10^6 sets); wall and CPU time, and the
    peak RSS above the RSS before the verdict (VmHWM reset through
    /proc/self/clear_refs; Numba's allocations are invisible to tracemalloc). The heap
    the sweep freed is returned to the system first (glibc ``malloc_trim``): left
    resident, the verdict would reuse it unseen and its peak would read too low.
``--save`` writes benchmarks/results/pbo.md.
"""

import argparse
import ctypes
import gc
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_core import environment, log, publish

import fastbt
from fastbt.data.validate import bar_arrays
from fastbt.kernels.blocks import segment_ends
from fastbt.kernels.sweep import sweep_crossings
from fastbt.strategies.sweep_inputs import ma_cross_sweep_inputs, set_levels

RESULTS = Path(__file__).resolve().parent / "results" / "pbo.md"
REPO = Path(__file__).resolve().parent.parent
BLOCKS = 16
GRID_C = {"fast": range(1, 1001), "slow": range(2, 2148)}
TARGET_RATIO = 0.98  # blocks off / before, CPU time per call
TARGET_SECONDS = 120.0
TARGET_EXTRA = 2**30


def _old_kernel(commit: str):
    """``fastbt/kernels/sweep.py`` at ``commit``, imported as its own module."""
    source = subprocess.run(
        ["git", "-C", str(REPO), "show", f"{commit}:fastbt/kernels/sweep.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "sweep_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("sweep_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.sweep_crossings


def kernel_cost(repeats: int, before: str) -> list[str]:
    bars = bar_arrays(fastbt.load("GOOG"))
    fast, slow = np.array([(f, s) for f in range(2, 102) for s in range(2, 102) if f < s]).T
    x = ma_cross_sweep_inputs(bars["close"], {"fast": fast, "slow": slow})
    options = fastbt.RunOptions(fill="close")
    rules = options.rules()
    levels = set_levels({}, rules, len(fast))
    args = (
        bars["open"],
        bars["high"],
        bars["low"],
        bars["close"],
        x.entry_a,
        x.entry_a_rows,
        x.entry_b,
        x.entry_b_rows,
        x.entry_above,
        x.exit_a,
        x.exit_a_rows,
        x.exit_b,
        x.exit_b_rows,
        x.exit_above,
        *levels,
        rules,
        options.cash,
        252.0,
    )
    n = len(bars["close"])
    old = _old_kernel(before)
    cases = {
        "before (no blocks argument)": lambda: old(*args),
        "blocks off": lambda: sweep_crossings(
            *args, None, segment_ends(n, None), np.empty((len(fast), 0, 3))
        ),
        f"blocks={BLOCKS}": lambda: sweep_crossings(
            *args, None, segment_ends(n, BLOCKS), np.empty((len(fast), BLOCKS, 3))
        ),
    }
    reference = cases["before (no blocks argument)"]()
    for name, call in cases.items():  # warm, and the same metrics bit for bit
        np.testing.assert_array_equal(call(), reference, err_msg=name)
    times = {name: [] for name in cases}
    for _ in range(repeats):
        for name, call in cases.items():
            gc.collect()
            start = time.process_time()
            call()
            times[name].append(time.process_time() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    base = medians["before (no blocks argument)"]
    lines = [
        f"### Fused kernel cost of `blocks=` (GOOG, {len(fast):,} ma_cross sets x {n:,} bars)",
        "",
        f"CPU seconds per call (`time.process_time`, all threads), median of {repeats} "
        f"interleaved calls; speed ratio = before / this. Before: `fastbt/kernels/sweep.py` "
        f"at {before[:10]}, compiled in this process.",
        "",
        "| kernel | median CPU s | min | max | speed vs before |",
        "|---|---|---|---|---|",
    ]
    for name, t in times.items():
        lines.append(
            f"| {name} | {medians[name]:.4f} | {min(t):.4f} | {max(t):.4f} | "
            f"{base / medians[name]:.3f} |"
        )
    ratio = base / medians["blocks off"]
    lines += [
        "",
        f"Blocks off vs before: {ratio:.3f} (target >= {TARGET_RATIO}: "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}).",
    ]
    return lines


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def _release_free_heap() -> None:
    """Give the heap's free pages back to the system (glibc), so RSS is live memory only."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: RSS may include freed heap
        log("malloc_trim unavailable: the extra peak RSS may read low")


def pbo_scale(n_sets: int) -> list[str]:
    start = time.perf_counter()
    table = fastbt.sweep(
        "GOOG",
        "ma_cross",
        GRID_C,
        sample=n_sets,
        seed=0,
        blocks=BLOCKS,
        progress=False,
        fill="close",
    )
    sweep_seconds = time.perf_counter() - start
    stats = table.attrs["blocks"].stats["GOOG"]
    gc.collect()
    _release_free_heap()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS (VmHWM)
    baseline = _status("VmRSS")
    wall, cpu = time.perf_counter(), time.process_time()
    verdict = fastbt.sweep_verdict(table)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    extra = _status("VmHWM") - baseline
    load = os.getloadavg()[0]
    row = verdict.table.iloc[0]
    log(str(verdict))
    return [
        f"### PBO of a {len(table):,}-set GOOG sweep, blocks={BLOCKS}",
        "",
        f"A real sweep (`fastbt.sweep`, ma_cross, `sample={n_sets:,}, seed=0` of fast 1..1000 x "
        f"slow 2..2147, fill=close): {sweep_seconds:.1f} s with the block statistics "
        f"({stats.nbytes / 2**20:,.0f} MiB: {len(table):,} sets x {BLOCKS} x 3 floats).",
        "",
        "| step | wall s | CPU s | extra peak RSS | targets |",
        "|---|---|---|---|---|",
        f"| `sweep_verdict` (PBO over {len(verdict.pbo['GOOG'].logits):,} splits + DSR) | "
        f"{wall:.1f} | {cpu:.1f} | {extra / 2**20:,.0f} MiB | < {TARGET_SECONDS:.0f} s: "
        f"{'met' if wall < TARGET_SECONDS else 'NOT met'}; < 1 GiB: "
        f"{'met' if extra < TARGET_EXTRA else 'NOT met'} |",
        "",
        f"Load average at the end of the verdict: {load:.1f} on {os.cpu_count()} CPUs (the "
        "machine is shared: wall time stretches with it; CPU time is the work itself, "
        "which on 2 free cores takes about half of it in wall time).",
        "",
        f"Verdict: PBO {row.pbo:.3f}, DSR {row.dsr:.3f} (SR0 {row.sr0:.4f} per bar, "
        f"N = {row.n_trials:,.0f}), best {row.best}, per-bar Sharpe {row.sharpe:.4f}, "
        f"probability of loss {row.prob_loss:.3f}, slope {row.slope:.3f}.",
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--sets", type=int, default=1_000_000)
    parser.add_argument(
        "--before", default=None, help="commit of the kernel before blocks (default: merge-base)"
    )
    args = parser.parse_args(argv)
    if args.before is None:
        args.before = subprocess.run(
            ["git", "-C", str(REPO), "merge-base", "HEAD", "main"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    lines = ["# PBO at sweep scale", "", environment(), ""]
    lines += [*kernel_cost(args.repeats, args.before), ""]
    lines += [*pbo_scale(args.sets), ""]
    publish("\n".join(lines), RESULTS, args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
