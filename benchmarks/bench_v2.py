"""Engine v2 speed bars in one run: v2 against today's engine, stops against no stops,
and fastbt's stop sweep against vectorbt's.

    python benchmarks/bench_v2.py [--save] [--repeats N] [--rounds R]
                                  [--baseline REF] [--no-peers]

Rows (medians; every ratio from this one run):

- single run, v2 options off: the kernel (``ma_cross`` signals + ``simulate``,
  trades and per-bar arrays recorded) and ``fastbt.run`` on 1,000,000 synthetic bars,
  this checkout against ``--baseline`` (a git ref of the engine before v2, exported
  with ``git archive`` into a temporary directory). Target: within 5% of the baseline.
- sweep (a) of bench_sweep.py (GOOG, the 4,950 pairs fast < slow in 2..101, fill at
  the close), v2 options off: this checkout against the baseline, within 5%.
- the same sweep with sl 5%, tp 10% and a trailing stop (``like="vectorbt"``):
  at least 60% of the no-stop throughput.
- vectorbt ``Portfolio.from_signals`` on the same 4,950 sets with ``sl_stop`` /
  ``tp_stop`` arrays (one value per set) and ``sl_trail``, after checking that its
  total returns equal fastbt's to 1e-9: fastbt at least 40x faster.

Each engine version runs in its own subprocess (``--worker``), the two alternating
``--rounds`` times so that a noisy neighbour slows both alike; vectorbt and fastbt's
stop sweep are interleaved in one process. Rows that need the v2 options say so
until fastbt has them. ``--save`` also writes benchmarks/results/v2.md.
"""

import argparse
import inspect
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_core import environment, fmt_seconds, log, publish
from bench_sweep import (
    GRID_A,
    WINDOWS_A,
    by_pair,
    compare_returns,
    interleaved,
    timed,
    vbt_ma,
    vbt_name,
)
from workloads import CASH, FAST, N_BARS, SLOW, synthetic_bars

import fastbt

RESULTS = Path(__file__).resolve().parent / "results" / "v2.md"
SCRIPT = Path(__file__).resolve()
REPO = SCRIPT.parent.parent

# main just before engine v2 (issue 11) began: the "today's engine" the v2 rows are measured against.
BASELINE = "0cf4671"
SL, TP = 0.05, 0.10
NO_STOPS = {"fill": "close"}  # sweep (a) of bench_sweep.py
STOPS = {"like": "vectorbt", "direction": "long", "trail": True}  # + sl, tp as grid values
STOP_GRID = {**GRID_A, "sl": [SL], "tp": [TP]}

TARGET_SAME = 0.95  # v2 with options off: at least 95% of the baseline's speed
TARGET_STOPS = 0.60  # stop sweep: at least 60% of the no-stop throughput
TARGET_VS_VECTORBT = 40.0


def has_v2() -> bool:
    """True once fastbt runs a stop sweep (having the keywords is not enough)."""
    bars = fastbt.load("GOOG").iloc[:300]
    try:
        fastbt.sweep(
            {"GOOG": bars},
            "ma_cross",
            {"fast": [5], "slow": [20], "sl": [SL]},
            progress=False,
            **STOPS,
        )
    except (TypeError, ValueError):
        return False
    return True


# ------------------------------------------------------------------- workers


def kernel_call(bars):
    """The jitted part of ``fastbt.run`` (signals + simulate) on prepared arrays."""
    from fastbt.data.validate import bar_arrays
    from fastbt.engine import simulate_strategy
    from fastbt.options import RunOptions
    from fastbt.periods import infer_periods_per_year
    from fastbt.strategies import get_strategy

    arrays = bar_arrays(bars)
    spec = get_strategy("ma_cross")
    periods = infer_periods_per_year(bars.index)
    options = RunOptions()
    parameters = inspect.signature(simulate_strategy).parameters
    if len(parameters) != 6:  # the engine changed the helper: time fastbt.run only
        return None
    return lambda: simulate_strategy(arrays, spec, (FAST, SLOW), options, periods, True)


def goog_sweep(grid: dict, options: dict):
    bars = fastbt.load("GOOG")
    return lambda: fastbt.sweep({"GOOG": bars}, "ma_cross", grid, progress=False, **options)


def cpu_timed(call) -> tuple[float, object]:
    """Like ``timed``, in CPU seconds of this process (all its threads): on a loaded
    machine this tracks the work done, where wall-clock tracks the neighbours."""
    start = time.process_time()
    out = call()
    return time.process_time() - start, out


def worker(repeats: int, cpu: bool) -> None:
    """Time this interpreter's fastbt (whatever PYTHONPATH selects); JSON on stdout."""
    log(f"worker: fastbt from {Path(fastbt.__file__).parent} ...")
    big = synthetic_bars()
    cases = {
        "run": lambda: fastbt.run(big, "ma_cross", fast=FAST, slow=SLOW),
        "sweep": goog_sweep(GRID_A, NO_STOPS),
    }
    kernel = kernel_call(fastbt.load(big))
    if kernel is not None:
        cases["kernel"] = kernel
    if has_v2():
        cases["sweep_stops"] = goog_sweep(STOP_GRID, STOPS)
    for call in cases.values():  # compile or load the Numba cache
        call()
    times = {name: [] for name in cases}
    for _ in range(repeats):
        for name, call in cases.items():
            times[name].append((cpu_timed if cpu else timed)(call)[0])
    print(json.dumps({"times": times, "v2": has_v2()}))


def export_baseline(ref: str, into: Path) -> Path:
    """``git archive`` of ``ref``'s fastbt/ into ``into``; the directory to put on PYTHONPATH."""
    archive = into / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(REPO), "archive", ref, "fastbt"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def run_worker(pythonpath: Path, repeats: int, cpu: bool) -> dict:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--worker", "--repeats", str(repeats)]
        + (["--cpu"] if cpu else []),
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"worker failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -------------------------------------------------------------------- vectorbt


def vbt_stop_sweep(bars):
    """vectorbt's crossover sweep (``MA.run_combs``) with stops given per set."""
    import vectorbt as vbt

    close = bars["close"]
    fast, slow = vbt.MA.run_combs(close, window=WINDOWS_A, r=2, short_names=["fast", "slow"])
    entries = fast.ma_crossed_above(slow)
    exits = fast.ma_crossed_below(slow)
    n_sets = entries.shape[1]
    portfolio = vbt.Portfolio.from_signals(
        close,
        entries,
        exits,
        open=bars["open"],
        high=bars["high"],
        low=bars["low"],
        sl_stop=np.full(n_sets, SL),
        tp_stop=np.full(n_sets, TP),
        sl_trail=np.full(n_sets, True),
        stop_entry_price="close",
        stop_exit_price="stoplimit",
        init_cash=CASH,
        size=np.inf,
        fees=0.0,
        direction="longonly",
        accumulate=False,
        upon_long_conflict="ignore",
    )
    return portfolio.total_return()


def vectorbt_rows(repeats: int, notes: list[str]) -> dict | None:
    """vectorbt's stop sweep, checked against fastbt's, then interleaved with it."""
    try:
        import vectorbt  # noqa: F401
    except ImportError as error:
        notes.append(f"vectorbt: not importable ({error}); install the bench extra.")
        return None
    bars = fastbt.load("GOOG")
    log("vectorbt: first stop sweep (compiles or loads its kernels) ...")
    first, theirs = timed(lambda: vbt_stop_sweep(bars))
    out = {"name": vbt_name(), "first": first, "n_sets": len(theirs)}
    if not has_v2():
        log(f"vectorbt: {repeats} timed stop sweeps (fastbt has no stops yet) ...")
        out["times"] = {"vbt": [timed(lambda: vbt_stop_sweep(bars))[0] for _ in range(repeats)]}
        notes.append(
            f"{out['name']}: stop sweep timed alone; fastbt has no v2 options yet, so no "
            "check and no ratio."
        )
        return out
    ours_call = goog_sweep(STOP_GRID, STOPS)
    ours = ours_call().set_index(["fast", "slow"])["total_return"]
    check = compare_returns(ours, by_pair(theirs), {"GOOG": bars["close"].to_numpy()}, vbt_ma)
    notes.append(f"{out['name']} stop sweep against fastbt's: {check['text']}")
    if not check["matched"]:
        notes.append("RESULTS DIFFER: the vectorbt ratio is not like for like.")
    log(f"vectorbt: {repeats} rounds interleaved with fastbt's stop sweep ...")
    times = {}
    times["vbt"], times["fastbt"] = interleaved(lambda: vbt_stop_sweep(bars), ours_call, repeats)
    out["times"], out["matched"] = times, check["matched"]
    return out


# ---------------------------------------------------------------------- report


def median(times: list[float] | None) -> float | None:
    return statistics.median(times) if times else None


def verdict(value: float | None, target: float, at_least: bool = True) -> str:
    if value is None:
        return "needs v2"
    met = value >= target if at_least else value <= target
    return "met" if met else "MISSED"


def render(base: dict, ours: dict, vbt: dict | None, notes: list[str]) -> str:
    b, o = base["times"], ours["times"]
    n_sets = 4_950
    rows = [
        ("kernel, 1M bars, v2 options off", N_BARS, b.get("kernel"), o.get("kernel"), "time"),
        ("`fastbt.run`, 1M bars, v2 options off", N_BARS, b.get("run"), o.get("run"), "time"),
        ("sweep (a), 4,950 sets, no stops", n_sets, b.get("sweep"), o.get("sweep"), "sets"),
    ]
    lines = [
        "## Engine v2 speed",
        "",
        environment(),
        "",
        "| measurement | size | baseline median | this checkout median | this / baseline "
        "speed (medians) | same, fastest runs | target (medians) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, size, tb, to, _ in rows:
        mb, mo = median(tb), median(to)
        ratio = mb / mo if mb and mo else None
        best = min(tb) / min(to) if tb and to else None
        lines.append(
            f"| {label} | {size:,} | {fmt_seconds(mb) if mb else '-'} | "
            f"{fmt_seconds(mo) if mo else '-'} | {f'{ratio:.3f}' if ratio else '-'} | "
            f"{f'{best:.3f}' if best else '-'} | >= {TARGET_SAME:g}: {verdict(ratio, TARGET_SAME)} |"
        )
    nostop, stops = median(o.get("sweep")), median(o.get("sweep_stops"))
    keep = nostop / stops if nostop and stops else None
    lines += [
        "",
        "| measurement | median | sets/s | ratio | target |",
        "| --- | ---: | ---: | ---: | --- |",
        f"| fastbt sweep (a), no stops | {fmt_seconds(nostop)} | {n_sets / nostop:,.0f} | | |",
    ]
    if stops:
        lines.append(
            f"| fastbt sweep (a), sl {SL:g} + tp {TP:g} + trailing | {fmt_seconds(stops)} | "
            f"{n_sets / stops:,.0f} | {keep:.2f} of no-stop | >= {TARGET_STOPS:g}: "
            f"{verdict(keep, TARGET_STOPS)} |"
        )
    else:
        lines.append("| fastbt sweep (a) with stops | - | - | - | needs v2 |")
    if vbt:
        theirs = median(vbt["times"]["vbt"])
        mine = median(vbt["times"].get("fastbt"))
        ratio = theirs / mine if mine else None
        lines.append(
            f"| {vbt['name']}: `from_signals` with `sl_stop`/`tp_stop` arrays, `sl_trail` | "
            f"{fmt_seconds(theirs)} | {n_sets / theirs:,.0f} | "
            + (f"fastbt {ratio:,.1f}x faster" if ratio else "-")
            + f" | >= {TARGET_VS_VECTORBT:g}x: {verdict(ratio, TARGET_VS_VECTORBT)} |"
        )
    lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per round (3)")
    parser.add_argument("--rounds", type=int, default=4, help="baseline/this alternations (4)")
    parser.add_argument("--baseline", default=BASELINE, help=f"git ref ({BASELINE})")
    parser.add_argument("--no-peers", action="store_true", help="skip vectorbt")
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="time fastbt in CPU seconds (process_time) instead of wall-clock: for a loaded machine",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.repeats, args.cpu)
        return 0
    started = time.perf_counter()
    notes = [
        f"Baseline: `git archive {args.baseline}` (fastbt before engine v2); this checkout: "
        f"{REPO}. Each in its own subprocess; {args.rounds} alternating rounds of "
        f"{args.repeats} timed calls after a warm-up call.",
    ]
    if args.cpu:
        notes.append(
            "Timed in CPU seconds (`--cpu`: process_time, all threads) because the machine "
            "was loaded; vectorbt's row stays wall-clock."
        )
    results = {"base": {"times": {}}, "ours": {"times": {}}}
    with tempfile.TemporaryDirectory(prefix="fastbt-baseline-") as tmp:
        baseline = export_baseline(args.baseline, Path(tmp))
        for round_ in range(args.rounds):
            for key, path in (("base", baseline), ("ours", REPO)):
                log(f"round {round_ + 1}/{args.rounds}: {key} ...")
                got = run_worker(path, args.repeats, args.cpu)
                results[key]["v2"] = got["v2"]
                for name, times in got["times"].items():
                    results[key]["times"].setdefault(name, []).extend(times)
    if not results["ours"]["v2"]:
        notes.append("This checkout has no v2 options yet: the stop rows wait for it.")
    vbt = None if args.no_peers else vectorbt_rows(args.repeats * args.rounds, notes)
    notes.append(
        "A 5% bar needs a quiet machine: on a shared one, compare the fastest-runs column "
        "too, and rerun with more --rounds when the two disagree."
    )
    notes.append(f"Whole script took {time.perf_counter() - started:.0f} s.")
    publish(render(results["base"], results["ours"], vbt, notes), RESULTS, args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
