"""fastbt's parameter-sweep throughput and memory, against vectorbt, in one run.

    python benchmarks/bench_sweep.py [--save] [--quick] [--repeats N] [--no-peers]
                                     [--cap-gib G] [--in-process-rows]

Three ``ma_cross`` sweeps (same-bar close fills, fractional all-cash sizing, no
fees), each run by ``fastbt.sweep`` in a fresh subprocess so peak RSS figures
never mix:

  (a) GOOG (2,148 bars), the 4,950 pairs fast < slow in 2..101;
  (b) the same grid on ``fastbt.synthetic_universe(100, 2520, seed=0)``: 495,000 backtests;
  (c) 1,000,000 sets on GOOG: a seeded sample of the pairs fast in 1..1000 < slow in 2..2147.

Each subprocess times a first call (Numba kernels loaded from the on-disk
cache; worker processes started when the sweep uses them) and then warm
calls; rows show the warm median. When vectorbt is importable (the ``bench``
extra), the script runs its sweep on (a), interleaved with fastbt's in one
process so the ratio is from the same moments, and on as many symbols of (b)
as fit under ``--cap-gib`` of RSS; both are checked against fastbt's total
returns first. backtesting.py's ``Backtest.optimize`` on (a) is estimated from
two random samples of the grid. ``--save`` also writes benchmarks/results/sweep.md.
"""

import argparse
import contextlib
import gc
import importlib
import importlib.metadata
import importlib.util
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from bench_core import environment, fmt_seconds, log, publish, time_round_robin
from numba import njit, prange
from workloads import CASH

import fastbt

RESULTS = Path(__file__).resolve().parent / "results" / "sweep.md"
SCRIPT = Path(__file__).resolve()

STRATEGY = "ma_cross"
OPTIONS = {"fill": "close"}  # fastbt's defaults otherwise: fractional, all cash, no fees
GRID_A = {"fast": range(2, 102), "slow": range(2, 102)}
WINDOWS_A = np.arange(2, 102)
N_SYMBOLS_B = 100
BARS_B = 2_520
GRID_C = {"fast": range(1, 1001), "slow": range(2, 2148)}
SAMPLE_C = 1_000_000
SEED_C = 0

FASTBT_PER_ROUND = 5  # fastbt (a) calls per vectorbt call when interleaved
TARGET_VS_VECTORBT = 40.0  # x vectorbt's sets/s on (a)
TARGET_BAR_EVALS = 2.5e8  # bar-evaluations/s, all metrics
TARGET_RSS_B = 1.5 * 2**30
TARGET_RSS_C = 2.0 * 2**30

# Two relative tolerances: total returns must agree to CHECK_RTOL; diagnosing a
# mismatch, two moving averages within TIE_RTOL of each other are a rounded tie.
CHECK_RTOL = 1e-9
TIE_RTOL = 1e-9

# vectorbt options matching fastbt's OPTIONS (see bench_core.setup_vectorbt).
VBT_OPTIONS = {
    "init_cash": CASH,
    "size": np.inf,
    "fees": 0.0,
    "direction": "longonly",
    "accumulate": False,
    "upon_long_conflict": "ignore",
}


# ----------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    """One ``fastbt.sweep`` call: data, grid and sampling, plus what it counts as."""

    key: str
    label: str
    data: dict
    grid: dict
    sample: int | None = None
    seed: int | None = None

    @property
    def bars(self) -> int:
        """Bars per backtest (all symbols have the same length here)."""
        return len(next(iter(self.data.values())))

    def call(self) -> pd.DataFrame:
        return fastbt.sweep(
            self.data,
            STRATEGY,
            self.grid,
            progress=False,
            sample=self.sample,
            seed=self.seed,
            **OPTIONS,
        )


def goog() -> dict[str, pd.DataFrame]:
    return {"GOOG": fastbt.load("GOOG")}


def universe(n_symbols: int = N_SYMBOLS_B) -> dict[str, pd.DataFrame]:
    """The first ``n_symbols`` of ``synthetic_universe(100, 2520, seed=0)`` (prefix-stable)."""
    return fastbt.synthetic_universe(n_symbols, BARS_B, seed=0)


def workload(key: str, quick: bool = False) -> Workload:
    """(a), (b) or (c); ``quick`` shrinks (b) to 10 symbols and (c) to 100,000 sets."""
    if key == "a":
        return Workload("a", "(a) GOOG, 4,950 pairs", goog(), GRID_A)
    if key == "b":
        n = 10 if quick else N_SYMBOLS_B
        return Workload("b", f"(b) {n} symbols x 4,950 pairs", universe(n), GRID_A)
    if key == "c":
        n = 100_000 if quick else SAMPLE_C
        return Workload("c", f"(c) GOOG, {n:,} sets", goog(), GRID_C, n, SEED_C)
    raise KeyError(key)


def pair_columns(windows: np.ndarray = WINDOWS_A) -> tuple[np.ndarray, np.ndarray]:
    """(fast, slow) of every pair fast < slow, in fastbt's grid order (= itertools.combinations)."""
    fast, slow = np.triu_indices(len(windows), 1)
    return windows[fast].astype(np.int64), windows[slow].astype(np.int64)


def arrays(bars: pd.DataFrame) -> dict[str, np.ndarray]:
    return {
        c: np.ascontiguousarray(bars[c].to_numpy(dtype=np.float64))
        for c in ("open", "high", "low", "close")
    }


def fused_kernel(bars: pd.DataFrame, fast: np.ndarray, slow: np.ndarray) -> Callable:
    """``run_sets`` on prepared arrays: the jitted part of ``fastbt.sweep`` (indicator
    table and fused kernel), without grid expansion, chunking or the result table."""
    from fastbt.options import RunOptions
    from fastbt.periods import infer_periods_per_year
    from fastbt.sweep.chunks import run_sets

    columns = arrays(bars)
    options = RunOptions(**OPTIONS)
    periods = infer_periods_per_year(bars.index)
    strategy = fastbt.get_strategy("ma_cross")
    params = {"fast": fast, "slow": slow}
    return lambda: run_sets(columns, strategy, params, options, periods)


@njit(parallel=True, nogil=True, cache=False)
def _final_equity(close, table, fast_rows, slow_rows, cash0):
    """Total return per pair: fastbt's crossing rule and fill arithmetic, nothing else."""
    n = close.shape[0]
    out = np.empty(fast_rows.shape[0])
    for k in prange(fast_rows.shape[0]):
        f = table[fast_rows[k]]
        s = table[slow_rows[k]]
        cash = cash0
        qty = 0.0
        for i in range(1, n):
            if qty == 0.0:
                if f[i] > s[i] and f[i - 1] <= s[i - 1]:
                    qty = cash / close[i]
                    cash = max(cash - qty * close[i], 0.0)
            elif f[i] < s[i] and f[i - 1] >= s[i - 1]:
                cash = cash + qty * close[i]
                qty = 0.0
        out[k] = (cash + qty * close[n - 1]) / cash0 - 1.0
    return out


def bare_loop(bars: pd.DataFrame, fast: np.ndarray, slow: np.ndarray) -> Callable:
    """The floor: a hand-written Numba loop over pairs computing only the final equity
    (fastbt's moving-average table, crossing rule and fill arithmetic; no metrics)."""
    from fastbt.kernels.sweep import moving_average_table

    close = arrays(bars)["close"]
    windows, rows = np.unique(np.concatenate([fast, slow]), return_inverse=True)
    fast_rows, slow_rows = rows[: len(fast)].astype(np.int64), rows[len(fast) :].astype(np.int64)

    def call():
        table = moving_average_table(close, windows.astype(np.int64))
        return _final_equity(close, table, fast_rows, slow_rows, CASH)

    return call


# ------------------------------------------------------------- measurement


def peak_rss(self_only: bool = False) -> dict[str, int]:
    """Peak RSS in bytes of this process and of its largest reaped child (Linux: KiB)."""
    scale = 1 if sys.platform == "darwin" else 1024
    out = {"self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale}
    if not self_only:
        out["children"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale
    return out


class TreeSampler:
    """Peak of the RSS summed over this process and its descendants, sampled (psutil).

    An upper bound on the memory in use at once: pages shared between processes
    (libraries, copy-on-write) count once per process. None without psutil.
    """

    def __init__(self, interval: float = 0.05):
        self.peak = None
        try:
            import psutil
        except ImportError:
            return
        self._psutil = psutil
        self._process = psutil.Process()
        self._interval = interval
        self._stop = threading.Event()
        self.peak = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        psutil = self._psutil
        while not self._stop.wait(self._interval):
            total = 0
            with contextlib.suppress(psutil.Error):
                for process in [self._process, *self._process.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += process.memory_info().rss
            self.peak = max(self.peak, total)

    def stop(self) -> int | None:
        if self.peak is not None:
            self._stop.set()
            self._thread.join()
        return self.peak


def stop_worker_processes() -> None:
    """Shut joblib's reusable loky executor down so its workers are reaped and
    ``RUSAGE_CHILDREN`` includes them (only if this process has child processes)."""
    try:
        import psutil

        if not psutil.Process().children():
            return
    except ImportError:
        pass
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


def execution_path(n_symbols: int, n_sets: int, bars: int) -> str:
    """Where ``fastbt.sweep`` runs these chunks (mirrors fastbt.sweep.execute.run_tasks)."""
    execute = importlib.import_module("fastbt.sweep.execute")
    api = importlib.import_module("fastbt.sweep.api")
    tasks = n_symbols * math.ceil(n_sets / api.DEFAULT_CHUNK_SIZE)
    budget = execute.cores()
    processes = min(budget, tasks)
    if processes <= 1 or execute.prefer_in_process(True, n_symbols * n_sets * bars):
        return f"in-process, {budget} Numba thread(s)"
    return f"{processes} loky processes x {max(1, budget // processes)} Numba thread(s)"


def emit(payload: dict) -> None:
    """A worker's result: one JSON line on stdout (progress goes to stderr)."""
    print("RESULT " + json.dumps(payload), flush=True)


def timed(call: Callable) -> tuple[float, object]:
    gc.collect()
    start = time.perf_counter()
    out = call()
    return time.perf_counter() - start, out


# ------------------------------------------------------------ fastbt workers


def worker_fastbt(key: str, repeats: int, quick: bool, in_process: bool) -> None:
    """Time one workload in this (fresh) process: a first call, then warm calls."""
    if in_process:  # diagnostic: keep every sweep on Numba threads in this process
        importlib.import_module("fastbt.sweep.execute").IN_PROCESS_WORK = math.inf
    work = workload(key, quick)
    n_symbols = len(work.data)
    path = "in-process (forced)" if in_process else None
    sampler = TreeSampler() if key in ("b", "c") else None
    first, table = timed(work.call)
    info = table.attrs["sweep"]
    n_sets = info["n_sets"]
    path = path or execution_path(n_symbols, n_sets, work.bars)
    times: dict[str, list[float]] = {}
    checks = []
    if key == "a" and repeats:
        bars = work.data["GOOG"]
        fast, slow = table["fast"].to_numpy(), table["slow"].to_numpy()
        kernel, floor = fused_kernel(bars, fast, slow), bare_loop(bars, fast, slow)
        ours = table["total_return"].to_numpy()
        metrics = kernel()
        same = np.array_equal(metrics[:, 0], ours, equal_nan=True)
        checks.append(f"fused kernel alone: total_return {'identical' if same else 'DIFFERS'}")
        gap = rel_diff(floor(), ours)
        checks.append(f"bare Numba loop: total_return max relative difference {gap:.1e}")
        times = time_round_robin({"sweep": work.call, "kernel": kernel, "floor": floor}, repeats)
    else:
        times["sweep"] = [timed(work.call)[0] for _ in range(repeats)]
    stop_worker_processes()
    emit(
        {
            "key": key,
            "label": work.label,
            "first": first,
            "times": times,
            "n_rows": len(table),
            "n_sets": n_sets,
            "n_invalid": info["n_invalid"],
            "n_total": info["n_total"],
            "n_symbols": n_symbols,
            "bars": work.bars,
            "path": path,
            "rss": peak_rss(),
            "rss_sum": sampler.stop() if sampler else None,
            "checks": checks,
        }
    )


def rel_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a - b| / max(|b|, 1e-12)."""
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-12), initial=0.0))


# ------------------------------------------------------------------- peers


def classify_mismatches(closes: dict, keys, their_ma: Callable) -> str:
    """Why total returns differ for ``keys`` ((fast, slow[, symbol])): compare the sign
    of fast - slow in fastbt's moving averages (prefix sums) and the peer's, bar by bar."""
    from fastbt.kernels.indicators import sma

    cache = {}

    def ma(fn, symbol, window):
        if (fn, symbol, window) not in cache:
            cache[fn, symbol, window] = fn(closes[symbol], window)
        return cache[fn, symbol, window]

    kinds = {"rounded tie": 0, "other": 0}
    example = ""
    for key in keys:
        f, s = int(key[0]), int(key[1])
        symbol = key[2] if len(key) > 2 else next(iter(closes))
        d_ours = ma(sma, symbol, f) - ma(sma, symbol, s)
        d_theirs = ma(their_ma, symbol, f) - ma(their_ma, symbol, s)
        flips = np.flatnonzero(np.sign(d_ours) != np.sign(d_theirs))
        flips = flips[np.isfinite(d_ours[flips]) & np.isfinite(d_theirs[flips])]
        scale = np.abs(ma(sma, symbol, s))
        if flips.size and np.all(np.abs(d_ours[flips]) <= TIE_RTOL * scale[flips]):
            kinds["rounded tie"] += 1
            if not example:
                i = int(flips[0])
                example = (
                    f" (e.g. fast={f} slow={s} at bar {i}: fast - slow = {d_ours[i]:.1e} "
                    f"in fastbt, {d_theirs[i]:.1e} in the peer)"
                )
        else:
            kinds["other"] += 1
    text = (
        f"{kinds['rounded tie']} where fast and slow are an exact tie that the two "
        f"moving-average formulas round to opposite sides{example}"
    )
    if kinds["other"]:
        text += f"; {kinds['other']} NOT explained by rounded ties"
    return text


def compare_returns(ours: pd.Series, theirs: pd.Series, closes: dict, their_ma) -> dict:
    """Total returns per (fast, slow[, symbol]) of a peer against fastbt's; ``closes``
    maps symbol -> close array, to explain mismatches."""
    theirs = theirs.reindex(ours.index)
    a, b = theirs.to_numpy(dtype=np.float64), ours.to_numpy(dtype=np.float64)
    close_enough = np.abs(a - b) <= CHECK_RTOL * np.abs(b) + 1e-12
    exact = int(np.sum(a == b))
    bad = ours.index[~close_enough]
    text = (
        f"total_return of {len(b):,} sets: {int(close_enough.sum()):,} within {CHECK_RTOL:g} "
        f"relative ({exact:,} bit-identical), max relative difference "
        f"{rel_diff(a[close_enough], b[close_enough]):.1e}"
    )
    if len(bad):
        text += f"; {len(bad)} differ: " + classify_mismatches(closes, bad, their_ma)
    return {"text": text, "matched": len(bad) == 0, "n_bad": len(bad)}


def vbt_sweep(close: pd.Series | pd.DataFrame) -> pd.Series:
    """vectorbt's idiomatic crossover sweep (its README): ``MA.run_combs`` over the windows
    (each MA computed once), ``ma_crossed_above/below``, ``Portfolio.from_signals``."""
    import vectorbt as vbt

    fast, slow = vbt.MA.run_combs(close, window=WINDOWS_A, r=2, short_names=["fast", "slow"])
    entries = fast.ma_crossed_above(slow)
    exits = fast.ma_crossed_below(slow)
    portfolio = vbt.Portfolio.from_signals(close, entries, exits, **VBT_OPTIONS)
    return portfolio.total_return()


def vbt_sweep_tuned(close: pd.Series) -> pd.Series:
    """Faster hand-tuned variant for one symbol: one ``MA.run`` over the 100 windows,
    pair columns by NumPy indexing, vectorbt's ``crossed_above_nb`` on the raw arrays."""
    import vectorbt as vbt
    from vectorbt.generic.nb import crossed_above_nb

    ma = vbt.MA.run(close, window=WINDOWS_A).ma.to_numpy()
    i, j = np.triu_indices(len(WINDOWS_A), 1)
    fast, slow = ma[:, i], ma[:, j]
    columns = pd.MultiIndex.from_arrays([WINDOWS_A[i], WINDOWS_A[j]], names=["fast", "slow"])
    entries = pd.DataFrame(crossed_above_nb(fast, slow), index=close.index, columns=columns)
    exits = pd.DataFrame(crossed_above_nb(slow, fast), index=close.index, columns=columns)
    portfolio = vbt.Portfolio.from_signals(close, entries, exits, **VBT_OPTIONS)
    return portfolio.total_return()


def vbt_ma(close: np.ndarray, window: int) -> np.ndarray:
    import vectorbt as vbt

    return vbt.MA.run(close, window=window).ma.to_numpy()


def vbt_name() -> str:
    engine = "vectorbt_rust installed" if importlib.util.find_spec("vectorbt_rust") else "numba"
    return f"vectorbt {importlib.metadata.version('vectorbt')} ({engine})"


def by_pair(returns: pd.Series) -> pd.Series:
    """vectorbt's result indexed like fastbt's: (fast, slow[, symbol])."""
    levels = [returns.index.get_level_values(k) for k in range(returns.index.nlevels)]
    return pd.Series(returns.to_numpy(), index=pd.MultiIndex.from_arrays(levels))


def interleaved(
    peer: Callable, ours: Callable, rounds: int, per_round: int = FASTBT_PER_ROUND
) -> tuple[list[float], list[float]]:
    """Each round: ``peer`` once, then ``ours`` ``per_round`` times (it is ~40x shorter,
    so more samples of it cost little and steady its median). Both warm already."""
    peer_times, our_times = [], []
    for _ in range(rounds):
        peer_times.append(timed(peer)[0])
        our_times += [timed(ours)[0] for _ in range(per_round)]
    return peer_times, our_times


def worker_vbt_a(repeats: int) -> None:
    """vectorbt on (a), checked, then timed round-robin with ``fastbt.sweep``."""
    work = workload("a")
    bars = work.data["GOOG"]
    close = bars["close"]
    log("vectorbt (a): import, first call (loads or compiles its kernels) ...")
    start = time.perf_counter()
    import vectorbt  # noqa: F401

    imported = time.perf_counter() - start
    first, theirs = timed(lambda: vbt_sweep(close))
    table = work.call()
    ours = table.set_index(["fast", "slow"])["total_return"]
    closes = {"GOOG": close.to_numpy()}
    check = compare_returns(ours, by_pair(theirs), closes, vbt_ma)
    log(f"vectorbt (a): {check['text']}")
    log(f"vectorbt (a): {repeats} rounds, interleaved with fastbt.sweep ...")
    times = {}
    times["vbt"], times["sweep"] = interleaved(lambda: vbt_sweep(close), work.call, repeats)
    rss = peak_rss(self_only=True)  # before the tuned variant runs
    tuned = compare_returns(ours, by_pair(vbt_sweep_tuned(close)), closes, vbt_ma)
    times["vbt_tuned"], times["sweep_2"] = interleaved(
        lambda: vbt_sweep_tuned(close), work.call, repeats
    )
    emit(
        {
            "name": vbt_name(),
            "import": imported,
            "first": first,
            "times": times,
            "rss": rss,
            "check": check,
            "check_tuned": tuned,
            "n_sets": len(theirs),
            "bars": len(bars),
        }
    )


def worker_vbt_b(k: int, cap: float) -> None:
    """vectorbt's sweep on the first ``k`` symbols of (b), after a small warm-up."""
    limit = int(3 * cap)  # backstop only; the parent's RSS watchdog enforces the cap
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    data = universe(k)
    close = pd.DataFrame({symbol: frame["close"] for symbol, frame in data.items()})
    close.columns.name = "symbol"
    import vectorbt as vbt

    # Same code path and dtypes on a tiny frame: loads/compiles vectorbt's kernels.
    fast, slow = vbt.MA.run_combs(close.iloc[:300, :2], window=[2, 3, 4], r=2)
    vbt.Portfolio.from_signals(
        close.iloc[:300, :2],
        fast.ma_crossed_above(slow),
        fast.ma_crossed_below(slow),
        **VBT_OPTIONS,
    ).total_return()
    log(f"vectorbt (b): {k} symbol(s) x 4,950 pairs ...")
    seconds, theirs = timed(lambda: vbt_sweep(close))
    rss = peak_rss(self_only=True)
    table = fastbt.sweep(data, STRATEGY, GRID_A, progress=False, **OPTIONS)
    ours = table.set_index(["fast", "slow", "symbol"])["total_return"]
    closes = {symbol: frame["close"].to_numpy() for symbol, frame in data.items()}
    check = compare_returns(ours, by_pair(theirs), closes, vbt_ma)
    emit({"k": k, "seconds": seconds, "rss": rss, "check": check, "n_sets": len(theirs)})


def rolling_mean(values, window: int) -> np.ndarray:
    """pandas' rolling mean: how a backtesting.py user writes an SMA."""
    return pd.Series(values).rolling(window).mean().to_numpy()


def btpy_strategy():
    """backtesting.py ``Strategy`` with fastbt's ma_cross rule: enter when fast crosses
    above slow (``f[i] > s[i]`` and ``f[i-1] <= s[i-1]``), exit when it crosses below.

    Built on first use (backtesting.py is optional) and bound to a module-level name,
    so ``optimize``'s worker processes can unpickle it.
    """
    if "BtpyMaCross" in globals():
        return globals()["BtpyMaCross"]
    from backtesting import Strategy

    class BtpyMaCross(Strategy):
        fast = 10
        slow = 50

        def init(self):
            self.f = self.I(rolling_mean, self.data.Close, self.fast)
            self.s = self.I(rolling_mean, self.data.Close, self.slow)

        def next(self):
            f0, f1, s0, s1 = self.f[-2], self.f[-1], self.s[-2], self.s[-1]
            if not self.position and f1 > s1 and f0 <= s0:
                self.buy()
            elif self.position and f1 < s1 and f0 >= s0:
                self.position.close()

    BtpyMaCross.__qualname__ = "BtpyMaCross"
    globals()["BtpyMaCross"] = BtpyMaCross
    return BtpyMaCross


def worker_btpy(quick: bool) -> None:
    """backtesting.py's ``Backtest.optimize`` on random samples of (a); per-set cost
    from two sample sizes, so its process-pool start-up is not scaled up."""
    import backtesting.backtesting as engine
    from backtesting import Backtest

    if hasattr(engine, "_tqdm"):  # no progress bars
        engine._tqdm = lambda sequence, **_: sequence

    bars = goog()["GOOG"]
    backtest = Backtest(
        bars.rename(columns=str.capitalize),
        btpy_strategy(),
        cash=CASH,
        commission=0.0,
        trade_on_close=True,
        finalize_trades=False,
    )

    def optimize(fraction: float) -> pd.Series:
        # grid method with 0 < max_tries <= 1: each of the 100 x 100 product's sets is
        # tried with that probability, then the constraint keeps fast < slow.
        _, heatmap = backtest.optimize(
            fast=GRID_A["fast"],
            slow=GRID_A["slow"],
            constraint=lambda p: p.fast < p.slow,
            maximize="Return [%]",
            return_heatmap=True,
            method="grid",
            max_tries=fraction,
            random_state=0,
        )
        return heatmap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backtest.run()  # warm
        small_s, small = timed(lambda: optimize(0.001))
        big_s, big = timed(lambda: optimize(0.012 if quick else 0.04))
    per_set = max(big_s - small_s, 0.0) / max(len(big) - len(small), 1)
    estimate = small_s + per_set * (4_950 - len(small))
    table = fastbt.sweep(
        {"GOOG": bars}, STRATEGY, GRID_A, progress=False, fractional=False, **OPTIONS
    )
    ours = table.set_index(["fast", "slow"])["total_return"].reindex(big.index)
    check = compare_returns(ours, big / 100.0, {"GOOG": bars["close"].to_numpy()}, rolling_mean)
    emit(
        {
            "name": f"backtesting.py {importlib.metadata.version('backtesting')}",
            "samples": [[len(small), small_s], [len(big), big_s]],
            "estimate": estimate,
            "check": check,
        }
    )


# ------------------------------------------------------------------ parent


def run_worker(args: list[str], env: dict | None = None, cap: float | None = None) -> dict:
    """Run this script as ``--worker ...`` in a fresh interpreter; its RESULT payload.

    With ``cap`` (bytes), the child's RSS is polled and the child killed above it;
    the payload then is ``{"killed": observed peak}``. Failures come back as
    ``{"error": text}``.
    """
    command = [sys.executable, str(SCRIPT), "--worker", *args]
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, **(env or {})}
    )
    observed, killed = 0, False
    if cap is not None:
        status = Path(f"/proc/{child.pid}/status")
        while child.poll() is None:
            with contextlib.suppress(OSError, ValueError, IndexError, StopIteration):
                line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS"))
                observed = max(observed, int(line.split()[1]) * 1024)
            if observed > cap:
                child.kill()
                killed = True
                break
            time.sleep(0.05)
    stdout, _ = child.communicate()
    if killed:
        return {"killed": observed}
    for line in reversed(stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return {"error": f"exit status {child.returncode}"}


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:,.0f} MiB"


def fmt_rate(x: float) -> str:
    """1234567 -> '1.23e6'; small numbers as integers."""
    return f"{x:,.0f}" if x < 1e5 else f"{x:.2e}".replace("e+0", "e").replace("e+", "e")


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


@dataclass
class Row:
    """One line of the results table."""

    label: str
    engine: str
    sets: int
    bars: int
    times: list[float]
    first: float | None = None
    rss: float | None = None  # max(self, largest child)
    rss_sum: float | None = None
    targets: list[str] = field(default_factory=list)
    estimate: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def sets_per_s(self) -> float:
        return self.sets / self.median

    @property
    def bar_evals_per_s(self) -> float:
        return self.sets * self.bars / self.median

    def markdown(self) -> str:
        runs = "est." if self.estimate else str(len(self.times))
        first = fmt_seconds(self.first) if self.first is not None else "-"
        return (
            f"| {self.label} | {self.engine} | {self.sets:,} | {self.bars:,} | {runs} | {first} | "
            f"{fmt_seconds(self.median)} | {fmt_rate(self.sets_per_s)} | "
            f"{fmt_rate(self.bar_evals_per_s)} | {fmt_bytes(self.rss)} | "
            f"{fmt_bytes(self.rss_sum)} | {'; '.join(self.targets)} |"
        )


def fastbt_row(result: dict, engine: str, quick: bool, times_key: str = "sweep") -> Row:
    rss = max(result["rss"]["self"], result["rss"].get("children", 0))
    row = Row(
        result["label"],
        engine,
        result["n_rows"],
        result["bars"],
        result["times"][times_key],
        result["first"],
        rss,
        result["rss_sum"],
    )
    key = result["key"]
    if times_key == "sweep" and engine.startswith("`fastbt.sweep`") and not quick:
        met = row.bar_evals_per_s >= TARGET_BAR_EVALS
        row.targets.append(f">= {TARGET_BAR_EVALS:.1e} bar-evals/s: {verdict(met)}")
        limit = {"b": TARGET_RSS_B, "c": TARGET_RSS_C}.get(key)
        if limit is not None:
            row.targets.append(f"< {limit / 2**30:g} GiB: {verdict(rss < limit)}")
    return row


def vbt_b_search(cap: float, quick: bool, max_attempts: int = 6) -> tuple[dict | None, list[str]]:
    """Largest k symbols of (b) vectorbt completes under ``cap`` bytes of RSS.

    k = 1 and 2 first; then the next k is extrapolated from the two largest
    successes' peak RSS (at least one more symbol), and once a k fails, bisection
    between the largest success and the smallest failure. Returns the largest
    success and a log of the attempts.
    """
    attempts, done, failed = [], {}, None

    def attempt(k: int) -> bool:
        nonlocal failed
        log(f"vectorbt (b): trying {k} symbol(s) under a {fmt_bytes(cap)} RSS cap ...")
        result = run_worker(["vbt-b", "--k", str(k), "--cap", str(cap)], cap=cap)
        if "killed" in result:
            attempts.append(f"k={k}: killed at {fmt_bytes(result['killed'])} RSS (over the cap)")
        elif "error" in result:
            attempts.append(f"k={k}: failed ({result['error']}, e.g. MemoryError)")
        else:
            attempts.append(
                f"k={k}: {fmt_seconds(result['seconds'])}, "
                f"peak RSS {fmt_bytes(result['rss']['self'])}"
            )
            done[k] = result
            return True
        failed = k if failed is None else min(failed, k)
        return False

    for k in (1,) if quick else (1, 2):
        if not attempt(k):
            break
    while len(done) >= 2 and len(attempts) < max_attempts:
        (k1, r1), (k2, r2) = sorted(done.items())[-2:]
        if failed is not None:
            if failed == k2 + 1:
                break
            k = (k2 + failed) // 2
        else:
            if k2 >= N_SYMBOLS_B:
                break
            per_symbol = max((r2["rss"]["self"] - r1["rss"]["self"]) / (k2 - k1), 1.0)
            k = min(k2 + max(1, int((cap - r2["rss"]["self"]) // per_symbol)), N_SYMBOLS_B)
        attempt(k)
    return (done[max(done)] if done else None), attempts


def render(rows: list[Row], ratios: list[tuple[str, str, str]], notes: list[str]) -> str:
    lines = [
        "## fastbt sweep benchmarks",
        "",
        environment(),
        "",
        f"Strategy `{STRATEGY}` with fast < slow; fills at the signal bar's close "
        '(`fill="close"`), fractional all-cash sizing, no fees, cash 10,000. Each fastbt '
        "workload in a fresh subprocess; warm median over runs (first call noted). "
        "bar-evals/s = sets x bars per set / seconds. Peak RSS = max(process, largest "
        "worker process) from `getrusage`; sum = peak of the RSS summed over the process "
        "tree, sampled every 50 ms (an upper bound: shared pages count per process).",
        "",
        "| workload | engine | sets | bars/set | runs | first call | median | sets/s "
        "| bar-evals/s | peak RSS | sum | target |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    lines += [row.markdown() for row in rows]
    lines += ["", "| ratio | value | target |", "| --- | ---: | --- |"]
    lines += [f"| {label} | {value} | {target} |" for label, value, target in ratios]
    lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--quick", action="store_true", help="smoke run, about a minute")
    parser.add_argument("--repeats", type=int, help="warm runs of (a) (default 15; quick 5)")
    parser.add_argument("--no-peers", action="store_true", help="skip vectorbt, backtesting.py")
    parser.add_argument("--cap-gib", type=float, default=8.0, help="vectorbt (b) RSS cap (8)")
    parser.add_argument(
        "--in-process-rows",
        action="store_true",
        help="also run (b) and (c) with every chunk on Numba threads in one process",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--k", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--cap", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = args.quick
    repeats = args.repeats or (5 if quick else 15)

    if args.worker:
        kind, _, key = args.worker.partition(":")
        if kind == "fastbt":
            worker_fastbt(key, repeats, quick, args.in_process)
        elif kind == "vbt-a":
            worker_vbt_a(repeats)
        elif kind == "vbt-b":
            worker_vbt_b(args.k, args.cap)
        elif kind == "btpy":
            worker_btpy(quick)
        return 0

    started = time.perf_counter()
    notes: list[str] = []
    load_start = "unknown"
    with contextlib.suppress(OSError):
        load_start = f"{os.getloadavg()[0]:.2f}"
    flags = ["--quick"] if quick else []
    big_repeats = "1" if quick else "3"

    log("priming the Numba cache ...")
    run_worker(["fastbt:a", "--repeats", "0", *flags])
    results = {}
    for key, n in (("a", str(repeats)), ("b", big_repeats), ("c", big_repeats)):
        log(f"fastbt ({key}) in a fresh process ...")
        results[key] = run_worker([f"fastbt:{key}", "--repeats", n, *flags])
        if "error" in results[key]:
            raise SystemExit(f"fastbt ({key}) failed: {results[key]['error']}")

    rows: dict[str, Row] = {}
    for key, result in results.items():
        rows[key] = fastbt_row(result, f"`fastbt.sweep`: {result['path']}", quick)
        notes += [f"fastbt (a): {text}" for text in result["checks"]]
    a = results["a"]
    rows["kernel"] = fastbt_row(a, "fused kernel alone, Numba threads", quick, "kernel")
    rows["floor"] = fastbt_row(a, "bare Numba loop, final equity only", quick, "floor")
    for key in ("kernel", "floor"):
        rows[key].first = rows[key].rss = rows[key].rss_sum = None
    notes.append(
        f"(a): {a['n_rows']:,} valid sets of {a['n_total']:,} ({a['n_invalid']:,} with "
        "fast >= slow dropped). Fused kernel = `ma_cross_sweep_inputs` + `sweep_crossings` "
        "(all metrics, no DataFrame); bare loop = hand-written `@njit(parallel=True)` over "
        "pairs with fastbt's MA table, crossing rule and fills, final equity only. Both timed "
        "round-robin with `fastbt.sweep` in the (a) process."
    )
    c = results["c"]
    notes.append(
        f"(c): `sample={c['n_rows']:_}, seed={SEED_C}` from grid fast 1..1000 x slow 2..2147 "
        f"({c['n_total']:,} combinations, {c['n_total'] - c['n_invalid']:,} with fast < slow)."
    )

    if args.in_process_rows:
        for key in ("b", "c"):
            log(f"fastbt ({key}) forced in-process ...")
            result = run_worker([f"fastbt:{key}", "--repeats", big_repeats, "--in-process", *flags])
            if "times" not in result:
                notes.append(f"({key}) forced in-process: failed ({result}); skipped.")
                continue
            rows[f"{key}_inproc"] = fastbt_row(result, "`fastbt.sweep`, forced in-process", True)
        notes.append(
            "Forced in-process rows: `fastbt.sweep.execute.IN_PROCESS_WORK` set to infinity in "
            "that subprocess, so every chunk runs on Numba threads in the parent (diagnostic)."
        )

    ratios: list[tuple[str, str, str]] = []
    peers = not args.no_peers
    if peers and importlib.util.find_spec("vectorbt") is None:
        notes.append("vectorbt: not importable; skipped. Install with `pip install -e '.[bench]'`.")
    elif peers:
        log("vectorbt (a) ...")
        v = run_worker(["vbt-a", "--repeats", "2" if quick else "5"])
        if "error" in v or "killed" in v:
            notes.append(f"vectorbt (a): failed ({v}); skipped.")
        else:
            rows["vbt"] = Row(
                "(a) GOOG, 4,950 pairs",
                f"{v['name']}: `MA.run_combs` + `ma_crossed_above/below` + `from_signals`",
                v["n_sets"],
                v["bars"],
                v["times"]["vbt"],
                v["first"],
                v["rss"]["self"],
            )
            rows["vbt_tuned"] = Row(
                "(a) GOOG, 4,950 pairs",
                "vectorbt, hand-tuned: one `MA.run`, NumPy pairing, `crossed_above_nb`",
                v["n_sets"],
                v["bars"],
                v["times"]["vbt_tuned"],
            )
            fastbt_same = statistics.median(v["times"]["sweep"])
            fastbt_same_2 = statistics.median(v["times"]["sweep_2"])
            vs = statistics.median(v["times"]["vbt"]) / fastbt_same
            vs_tuned = statistics.median(v["times"]["vbt_tuned"]) / fastbt_same_2
            ratio_text = f"{vs:,.1f}x" if v["check"]["matched"] else f"{vs:,.1f}x (NOT MATCHED)"
            ratios.append(
                (
                    "(a) fastbt.sweep / vectorbt idiomatic, sets/s (same process, interleaved)",
                    ratio_text,
                    f">= {TARGET_VS_VECTORBT:g}x: {verdict(vs >= TARGET_VS_VECTORBT)}",
                )
            )
            ratios.append(
                (
                    "(a) fastbt.sweep / vectorbt hand-tuned, sets/s (same process, interleaved)",
                    f"{vs_tuned:,.1f}x",
                    f">= {TARGET_VS_VECTORBT:g}x: {verdict(vs_tuned >= TARGET_VS_VECTORBT)}",
                )
            )
            ratios.append(
                (
                    "(a) peak RSS, vectorbt / fastbt (separate processes)",
                    f"{v['rss']['self'] / rows['a'].rss:,.1f}x",
                    "",
                )
            )
            notes.append(f"{v['name']} (a), idiomatic: {v['check']['text']}.")
            notes.append(f"vectorbt (a), hand-tuned: {v['check_tuned']['text']}.")
            notes.append(
                f"vectorbt (a): import {fmt_seconds(v['import'])}; first call "
                f"{fmt_seconds(v['first'])}. fastbt.sweep in the same process: median "
                f"{fmt_seconds(fastbt_same)} / {fmt_seconds(fastbt_same_2)} (against idiomatic / "
                "hand-tuned). vectorbt's peak RSS is that process's after its warm idiomatic "
                "runs (fastbt's (a) calls there are small; the hand-tuned runs come after)."
            )
        cap = args.cap_gib * 2**30
        best, attempts = vbt_b_search(cap, quick)
        notes.append("vectorbt (b) attempts, each in a fresh process: " + "; ".join(attempts) + ".")
        if best is not None:
            k = best["k"]
            rows["vbt_b"] = Row(
                f"(b) {k} symbol(s) x 4,950 pairs",
                "vectorbt idiomatic (as (a)), largest k under the cap",
                best["n_sets"],
                BARS_B,
                [best["seconds"]],
                None,
                best["rss"]["self"],
            )
            ratios.append(
                (
                    f"(b) fastbt.sweep ({results['b']['n_symbols']} symbols) / vectorbt "
                    f"({k} symbols), sets/s (separate processes)",
                    f"{rows['b'].sets_per_s / rows['vbt_b'].sets_per_s:,.1f}x",
                    "",
                )
            )
            notes.append(f"vectorbt (b), {k} symbol(s): {best['check']['text']}.")
        notes.append(
            f"vectorbt (b): each attempt is a fresh process with a {fmt_bytes(cap)} RSS cap "
            "(the parent polls VmRSS every 50 ms and kills the child above it; RLIMIT_AS at "
            "3x the cap as a backstop: vectorbt's address space runs about twice its RSS, so "
            "an address-space cap alone would understate what fits in RAM). Timed once after "
            "a warm-up on a tiny frame; checked against fastbt after timing."
        )
        if importlib.util.find_spec("backtesting") is not None:
            log("backtesting.py (a) estimate ...")
            bt = run_worker(["btpy", *flags])
            if "estimate" in bt:
                (n_small, t_small), (n_big, t_big) = bt["samples"]
                rows["btpy"] = Row(
                    "(a) GOOG, 4,950 pairs",
                    f"{bt['name']}: `Backtest.optimize` (estimate)",
                    4_950,
                    a["bars"],
                    [bt["estimate"]],
                    estimate=True,
                )
                ratios.append(
                    (
                        "(a) backtesting.py optimize (estimate) / fastbt.sweep",
                        f"{bt['estimate'] / rows['a'].median:,.0f}x",
                        "",
                    )
                )
                notes.append(
                    f"{bt['name']}: `optimize` took {fmt_seconds(t_small)} for {n_small} and "
                    f"{fmt_seconds(t_big)} for {n_big} random sets of (a) (2 processes); the "
                    "estimate is the small call plus the per-set slope for the remaining sets. "
                    "Options: `trade_on_close=True`, whole units (fastbt `fractional=False` for "
                    f"the check), pandas rolling means. Check on the {n_big} sets: "
                    f"{bt['check']['text']}."
                )
            else:
                notes.append(f"backtesting.py: failed ({bt}); skipped.")
    else:
        notes.append("Peers skipped (--no-peers).")

    if "vbt" in rows:
        ratios.append(
            (
                "(a) fused kernel alone / vectorbt idiomatic, sets/s",
                f"{rows['vbt'].median / rows['kernel'].median:,.1f}x",
                "",
            )
        )
    ratios.append(
        (
            "(a) fastbt.sweep / bare Numba loop, time (cost of all metrics and the table)",
            f"{rows['a'].median / rows['floor'].median:,.1f}x",
            "",
        )
    )
    notes.append(
        "First call: a fresh process loading fastbt's kernels from the Numba cache (and, "
        "where the sweep uses worker processes, starting them and loading the cache there)."
    )
    if not quick:
        log("fastbt (a) with an empty Numba cache ...")
        cache = tempfile.mkdtemp(prefix="fastbt-bench-numba-")
        try:
            cold = run_worker(["fastbt:a", "--repeats", "0"], env={"NUMBA_CACHE_DIR": cache})
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        if "first" in cold:
            notes.append(
                f"(a) first call with an empty Numba cache (compiles every kernel): "
                f"{fmt_seconds(cold['first'])}."
            )
    else:
        notes.append(
            "--quick: (b) is 10 symbols and (c) 100,000 sets, one warm run each; vectorbt (b) "
            "tries 1 symbol only. Targets are not judged on reduced workloads."
        )
    with contextlib.suppress(OSError):
        notes.append(
            f"1-minute load average at the start {load_start}, at the end "
            f"{os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs; other jobs share the machine)."
        )
    notes.append(f"Whole script took {time.perf_counter() - started:.0f} s.")

    table = render(list(rows.values()), ratios, notes)
    publish(table, RESULTS, args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
