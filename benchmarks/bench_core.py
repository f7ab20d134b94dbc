"""fastbt's core speed numbers in one run, printed as a Markdown table.

    python benchmarks/bench_core.py [--save] [--repeats N] [--cli-repeats N]
                                    [--cold-repeats N] [--no-peers]

One ``ma_cross`` backtest (fast=10, slow=50). In-process cases are warmed once
(JIT compiled or loaded from the Numba cache) and then timed round-robin, so
noise on a busy machine lands on every case alike and the ratios, all taken
from this one run, stay meaningful. Whole-process rows time ``fastbt run GOOG``
as a subprocess with a warm and with an empty Numba cache. vectorbt and
backtesting.py are timed when importable, after checking that they make the
same trades as fastbt (see ``setup_vectorbt`` / ``setup_backtesting`` for the
option mapping). ``--save`` also writes the table to benchmarks/results/core.md.
"""

import argparse
import gc
import importlib.metadata
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from workloads import (
    CASH,
    FAST,
    MINUTE_PERIODS,
    N_BARS,
    SLICE_BARS,
    SLOW,
    KernelInputs,
    ns_per_bar,
    synthetic_bars,
)

import fastbt

RESULTS = Path(__file__).resolve().parent / "results" / "core.md"
REPO = Path(__file__).resolve().parent.parent

TARGET_NS_PER_BAR = 15.0
TARGET_CLI_WARM_S = 1.5
TARGET_CLI_COLD_S = 10.0


def log(message: str) -> None:
    """Progress goes to stderr so stdout is only the table."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------- timing


@dataclass
class Row:
    """One timed measurement: seconds per repeat, bars (None: whole process)."""

    label: str
    bars: int | None
    times: list[float]
    target: float | None = None  # ns/bar when bars is set, else seconds
    data: str = ""  # shown instead of a bar count for whole-process rows

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def per_bar(self) -> float | None:
        return ns_per_bar(self.median, self.bars) if self.bars else None

    def target_text(self) -> str:
        """'<= 15 ns/bar: met' or '< 1.5 s: MISSED', empty without a target."""
        if self.target is None:
            return ""
        if self.bars:
            met = self.per_bar <= self.target
            text = f"<= {self.target:g} ns/bar"
        else:
            met = self.median < self.target
            text = f"< {self.target:g} s"
        return f"{text}: {'met' if met else 'MISSED'}"


def time_round_robin(cases: dict[str, Callable], repeats: int) -> dict[str, list[float]]:
    """Warm each case once, then time all of them in turn ``repeats`` times."""
    for call in cases.values():
        call()
    times = {name: [] for name in cases}
    for _ in range(repeats):
        for name, call in cases.items():
            gc.collect()
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return times


def cli_command() -> list[str]:
    """``fastbt run GOOG`` from this interpreter's environment."""
    script = Path(sys.executable).with_name("fastbt")
    if script.exists():
        return [str(script), "run", "GOOG"]
    return [sys.executable, "-m", "fastbt.cli", "run", "GOOG"]


def time_process(command: list[str], env: dict[str, str]) -> float:
    """Wall time of one subprocess; raises if it fails."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.decode().strip()}")
    return elapsed


def time_cli(warm_repeats: int, cold_repeats: int) -> tuple[Row, Row, str]:
    """Rows for ``fastbt run GOOG`` with a warm and an empty Numba cache, plus a note.

    Warm: whatever cache the environment uses (by default fastbt/kernels/__pycache__),
    primed by one untimed run. Empty: ``NUMBA_CACHE_DIR`` set to a new temporary
    directory for each run, so Numba compiles every kernel and reuses nothing.
    """
    command = cli_command()
    env = dict(os.environ)
    time_process(command, env)  # prime the cache
    warm = [time_process(command, env) for _ in range(warm_repeats)]
    cold, written = [], []
    for _ in range(cold_repeats):
        cache = tempfile.mkdtemp(prefix="fastbt-bench-numba-")
        try:
            cold.append(time_process(command, {**env, "NUMBA_CACHE_DIR": cache}))
            written.append(sum(1 for _ in Path(cache).rglob("*.nbi")))
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    shown = " ".join(Path(part).name if i == 0 else part for i, part in enumerate(command))
    note = (
        f"CLI: `{shown}` as a subprocess; each empty-cache run got a new NUMBA_CACHE_DIR "
        f"and Numba wrote {'/'.join(map(str, written))} cache index files there."
    )
    data = f"GOOG, {len(fastbt.load('GOOG')):,}"
    return (
        Row("`fastbt run GOOG`, warm Numba cache", None, warm, TARGET_CLI_WARM_S, data),
        Row("`fastbt run GOOG`, empty Numba cache", None, cold, TARGET_CLI_COLD_S, data),
        note,
    )


# ---------------------------------------------------------------------- peers


class TradeMismatch(Exception):
    """A peer's trades differ from fastbt's."""


def compare_trades(theirs: dict[str, np.ndarray], ours: pd.DataFrame) -> str:
    """Check a peer's trades against fastbt's; return a one-line summary or raise.

    Entry and exit bars must be identical (exit -1 = still open at the end);
    qty and prices must agree to 1e-9 relative, pnl to 1e-6 absolute.
    """
    ours_cols = {
        "entry_bar": ours["entry_bar"].to_numpy(dtype="int64"),
        "exit_bar": ours["exit_bar"].fillna(-1).to_numpy(dtype="int64"),
        "qty": ours["qty"].to_numpy(),
        "entry_price": ours["entry_price"].to_numpy(),
        "exit_price": ours["exit_price"].to_numpy(),
        "pnl": ours["pnl"].to_numpy(),
    }
    if len(theirs["entry_bar"]) != len(ours):
        raise TradeMismatch(f"{len(theirs['entry_bar'])} trades against fastbt's {len(ours)}")
    for field in ("entry_bar", "exit_bar"):
        bad = np.flatnonzero(np.asarray(theirs[field], dtype="int64") != ours_cols[field])
        if bad.size:
            k = int(bad[0])
            raise TradeMismatch(
                f"{field} differs at trade {k}: {theirs[field][k]} against fastbt's "
                f"{ours_cols[field][k]} ({bad.size} trades differ)"
            )
    worst = {}
    for field in ("qty", "entry_price", "exit_price", "pnl"):
        a, b = np.asarray(theirs[field], dtype="float64"), ours_cols[field]
        rtol, atol = (0.0, 1e-6) if field == "pnl" else (1e-9, 0.0)
        both = ~(np.isnan(a) & np.isnan(b))
        if not np.allclose(a[both], b[both], rtol=rtol, atol=atol):
            raise TradeMismatch(f"{field} differs beyond tolerance")
        worst[field] = float(np.max(np.abs(a[both] - b[both]), initial=0.0))
    n_open = int((ours_cols["exit_bar"] < 0).sum())
    return (
        f"{len(ours):,} trades ({n_open} open at the end): entry/exit bars identical; "
        f"max |diff| qty {worst['qty']:.1e}, prices {max(worst['entry_price'], worst['exit_price']):.1e}, "
        f"pnl {worst['pnl']:.1e}"
    )


@dataclass
class Peer:
    """A peer ready to time: its call, the data size, and what the trade check found."""

    name: str
    bars: int
    call: Callable
    check: str
    matched: bool


def _checked(theirs: dict, ours: pd.DataFrame) -> tuple[str, bool]:
    """Trade check as (text, matched); a mismatch is reported, not raised."""
    try:
        return compare_trades(theirs, ours), True
    except TradeMismatch as error:
        return f"TRADES DIFFER from fastbt's, ratios are not like for like: {error}", False


def setup_vectorbt(bars: pd.DataFrame, inputs: KernelInputs) -> Peer:
    """``vbt.Portfolio.from_signals`` on fastbt's own ma_cross signals.

    Option mapping (fastbt -> vectorbt), chosen so every fill is on the same bar
    at the same price and size:
      fill="close"                   -> default price (np.inf = this bar's close)
      size=1.0 percent, fractional   -> size=np.inf (all cash, fractional units)
      commission, fixed_fee, slippage = 0 -> fees=0 (fixed_fees, slippage default 0)
      cash=10_000                    -> init_cash=10_000
      long only, no pyramiding       -> direction="longonly", accumulate=False
      entry and exit on one bar: no order -> upon_long_conflict="ignore"
    An open position at the end stays open in both (vectorbt: status Open).
    """
    import vectorbt as vbt
    from vectorbt.portfolio.enums import TradeStatus

    entry, exit_ = inputs.signals()
    close = bars["close"]
    entries = pd.Series(entry, index=bars.index)
    exits = pd.Series(exit_, index=bars.index)

    def call():
        return vbt.Portfolio.from_signals(
            close,
            entries,
            exits,
            init_cash=CASH,
            size=np.inf,
            fees=0.0,
            direction="longonly",
            accumulate=False,
            upon_long_conflict="ignore",
        )

    log("vectorbt: first call (compiles its kernels) and trade check ...")
    records = call().trades.values
    is_open = records["status"] == TradeStatus.Open
    theirs = {
        "entry_bar": records["entry_idx"],
        "exit_bar": np.where(is_open, -1, records["exit_idx"]),
        "qty": records["size"],
        "entry_price": records["entry_price"],
        "exit_price": np.where(is_open, np.nan, records["exit_price"]),
        "pnl": np.where(is_open, np.nan, records["pnl"]),
    }
    ours = fastbt.run(bars, "ma_cross", fast=FAST, slow=SLOW, fill="close").trades
    check, matched = _checked(theirs, ours)
    # vectorbt >= 1.0 can dispatch to an optional Rust extension; say which applies.
    engine = (
        "vectorbt_rust installed" if importlib.util.find_spec("vectorbt_rust") else "numba engine"
    )
    version = importlib.metadata.version("vectorbt")
    return Peer(f"vectorbt {version} ({engine})", len(bars), call, check, matched)


def setup_backtesting(bars: pd.DataFrame, inputs: KernelInputs) -> Peer:
    """backtesting.py's ``Backtest.run`` on fastbt's own ma_cross signals.

    Option mapping (fastbt -> backtesting.py):
      fill="next_open"          -> trade_on_close=False (market orders fill at next open)
      fractional=False          -> default buy() size (all equity, floored to whole units;
                                   backtesting.py has no fractional units)
      commission = 0            -> commission=0, spread=0
      close_at_end=False        -> finalize_trades=False; the open trade comes from
                                   ``stats._strategy.trades``
      same decision rule        -> buy when flat, entry and not exit; close when long,
                                   exit and not entry
    backtesting.py first calls next() on bar 1 (bar 0 has no prior bar); ma_cross
    cannot signal before bar ``slow``, so this drops nothing.
    """
    import backtesting.backtesting as engine
    from backtesting import Backtest, Strategy

    # Backtest.run draws a tqdm progress bar on stderr; TQDM_DISABLE is read when
    # tqdm is imported (already done by then), so swap the wrapper for a no-op.
    if hasattr(engine, "_tqdm"):
        engine._tqdm = lambda sequence, **_: sequence

    entry, exit_ = inputs.signals()

    class Signals(Strategy):
        """Trades precomputed entry/exit arrays with fastbt's decision rule."""

        def init(self):
            self.entry = self.I(lambda: entry, name="entry", plot=False)
            self.exit = self.I(lambda: exit_, name="exit", plot=False)

        def next(self):
            go_in, go_out = self.entry[-1], self.exit[-1]
            if not self.position and go_in and not go_out:
                self.buy()
            elif self.position and go_out and not go_in:
                self.position.close()

    backtest = Backtest(
        bars.rename(columns=str.capitalize),
        Signals,
        cash=CASH,
        commission=0.0,
        trade_on_close=False,
        finalize_trades=False,
    )

    def call():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "trades remain open", etc.
            return backtest.run()

    log("backtesting.py: first call and trade check ...")
    stats = call()
    closed = stats["_trades"]
    still_open = list(stats["_strategy"].trades)
    theirs = {
        "entry_bar": [*closed["EntryBar"], *(t.entry_bar for t in still_open)],
        "exit_bar": [*closed["ExitBar"], *(-1 for _ in still_open)],
        "qty": [*closed["Size"], *(t.size for t in still_open)],
        "entry_price": [*closed["EntryPrice"], *(t.entry_price for t in still_open)],
        "exit_price": [*closed["ExitPrice"], *(np.nan for _ in still_open)],
        "pnl": [*closed["PnL"], *(np.nan for _ in still_open)],
    }
    ours = fastbt.run(bars, "ma_cross", fast=FAST, slow=SLOW, fractional=False).trades
    check, matched = _checked(theirs, ours)
    version = importlib.metadata.version("backtesting")
    return Peer(f"backtesting.py {version}", len(bars), call, check, matched)


def load_peer(name: str, setup: Callable, *args) -> tuple[Peer | None, str]:
    """Set up one optional peer; on any failure return None and a note saying why."""
    try:
        peer = setup(*args)
    except ImportError as error:
        return (
            None,
            f"{name}: not importable ({error}); skipped. Install with `pip install -e '.[bench]'`.",
        )
    except Exception as error:
        return None, f"{name}: failed to run ({type(error).__name__}: {error}); skipped."
    return peer, f"{peer.name}: {peer.check}"


# ---------------------------------------------------------------------- report


def fmt_seconds(seconds: float) -> str:
    """Seconds with a unit that keeps 3-4 significant digits."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_ns(value: float | None) -> str:
    """ns/bar, '-' for whole-process rows."""
    if value is None:
        return "-"
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def environment() -> str:
    """One line: date, versions, CPUs, commit."""
    versions = " · ".join(
        f"{name} {importlib.metadata.version(name)}" for name in ("numpy", "numba", "pandas")
    )
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "fastbt"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if changed:
            commit += " + uncommitted changes in fastbt/"
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown commit"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{now} · fastbt {fastbt.__version__} ({commit}) · Python {platform.python_version()} · "
        f"{versions} · {os.cpu_count()} CPUs · {platform.machine()}"
    )


def render(rows: list[Row], ratios: list[tuple[str, float]], notes: list[str]) -> str:
    """The Markdown report."""
    lines = [
        "## fastbt core benchmarks",
        "",
        environment(),
        "",
        f"Workload: `ma_cross` fast={FAST} slow={SLOW}, fastbt's default options "
        f"(next-open fills, all cash, no fees) unless noted. Synthetic bars: "
        f'`fastbt.synthetic({N_BARS:_}, seed=0, freq="min", periods_per_year={MINUTE_PERIODS:_})`; '
        f"20k = its first {SLICE_BARS:,} bars. Medians over repeats, warm unless noted.",
        "",
        "| measurement | bars | runs | median | ns/bar | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        bars = f"{row.bars:,}" if row.bars else row.data
        lines.append(
            f"| {row.label} | {bars} | {len(row.times)} | {fmt_seconds(row.median)} | "
            f"{fmt_ns(row.per_bar)} | {row.target_text()} |"
        )
    lines += ["", "| ratio (same run, per bar) | value |", "| --- | ---: |"]
    lines += [f"| {name} | {value:,.1f}x |" for name, value in ratios]
    lines += ["", "Notes:", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------ main


# (numerator row, denominator row, label); a ratio is shown when both rows exist.
RATIOS = [
    ("reference", "run20k", "reference engine / `fastbt.run` (20k bars)"),
    ("reference", "kernel20k", "reference engine / fastbt kernel (20k bars)"),
    ("run", "kernel", "`fastbt.run` / fastbt kernel (1M bars): validation and pandas overhead"),
    ("vbt", "simulate", "vectorbt `from_signals` / fastbt `simulate`, same signals (1M bars)"),
    ("vbt", "run", "vectorbt `from_signals` (signals given) / `fastbt.run` (1M bars)"),
    ("btpy", "run20k", "backtesting.py `Backtest.run` / `fastbt.run` (20k bars)"),
    ("btpy", "kernel20k", "backtesting.py `Backtest.run` / fastbt kernel (20k bars)"),
]
KERNEL = "fastbt kernel: `ma_cross_signals` + `simulate`"
RUN = "`fastbt.run` (fast engine, full)"


def in_process_rows(repeats: int, use_peers: bool, notes: list[str]) -> dict[str, Row]:
    """Time the 1M-bar and the 20k-bar groups (each round-robin); peers join when present."""
    log(f"building {N_BARS:,} synthetic bars ...")
    big = synthetic_bars()
    small = big.iloc[:SLICE_BARS].copy()
    big_in, small_in = KernelInputs.from_bars(big), KernelInputs.from_bars(small)
    entry, exit_ = big_in.signals()

    vbt = btpy = None
    if use_peers:
        vbt, note = load_peer("vectorbt", setup_vectorbt, big, big_in)
        notes.append(note)
        btpy, note = load_peer("backtesting.py", setup_backtesting, small, small_in)
        notes.append(note)
    else:
        notes.append("Peers skipped (--no-peers).")

    def run_fast(bars, **options):
        return lambda: fastbt.run(bars, "ma_cross", fast=FAST, slow=SLOW, **options)

    big_cases = {
        "kernel": (KERNEL, big_in.backtest, TARGET_NS_PER_BAR),
        "simulate": (
            "fastbt `simulate` alone, given signals, fill=close",
            lambda: big_in.simulate(entry, exit_, fill_at_close=True),
            None,
        ),
        "run": (RUN, run_fast(big), TARGET_NS_PER_BAR),
    }
    if vbt:
        big_cases["vbt"] = (f"{vbt.name}: `Portfolio.from_signals`, given signals", vbt.call, None)
    small_cases = {
        "kernel20k": (KERNEL, small_in.backtest, None),
        "run20k": (RUN, run_fast(small), None),
        "reference": (
            '`fastbt.run(engine="reference")`',
            run_fast(small, engine="reference"),
            None,
        ),
    }
    if btpy:
        small_cases["btpy"] = (f"{btpy.name}: `Backtest.run`, given signals", btpy.call, None)

    rows = {}
    for n_bars, cases in ((N_BARS, big_cases), (SLICE_BARS, small_cases)):
        log(f"timing {n_bars:,}-bar cases, {repeats} rounds ...")
        times = time_round_robin({key: call for key, (_, call, _) in cases.items()}, repeats)
        for key, (label, _, target) in cases.items():
            rows[key] = Row(label, n_bars, times[key], target)
    return rows


def publish(table: str, results: Path, save: bool) -> None:
    """Print the Markdown table; with ``save``, also write it to ``results``."""
    print(table)
    if save:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(table, encoding="utf-8")
        log(f"wrote {results}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--repeats", type=int, default=9, help="in-process repeats (9)")
    parser.add_argument("--cli-repeats", type=int, default=5, help="warm CLI runs (5)")
    parser.add_argument("--cold-repeats", type=int, default=3, help="empty-cache CLI runs (3)")
    parser.add_argument("--no-peers", action="store_true", help="skip vectorbt, backtesting.py")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    notes: list[str] = []
    rows = in_process_rows(args.repeats, not args.no_peers, notes)
    log(f"timing `fastbt run GOOG`: {args.cli_repeats} warm, {args.cold_repeats} empty-cache ...")
    rows["cli_warm"], rows["cli_cold"], cli_note = time_cli(args.cli_repeats, args.cold_repeats)
    notes.append(cli_note)
    notes.append(
        "Options that make trades match a peer (fill mode, whole units) do not change "
        "fastbt's cost; the fastbt rows use the defaults except where labelled."
    )
    notes.append(f"Whole script took {time.perf_counter() - started:.0f} s.")

    ratios = [
        (label, rows[a].per_bar / rows[b].per_bar)
        for a, b, label in RATIOS
        if a in rows and b in rows
    ]
    table = render(list(rows.values()), ratios, notes)
    publish(table, RESULTS, args.save)
    return 0


if __name__ == "__main__":
    sys.exit(main())
