"""Runs backtests and sweeps off the request threads.

Backtests run on ``workers`` threads (the kernels release the GIL). Sweeps run
one at a time on their own thread: each already keeps every core busy on Numba
threads, and Numba's default threading layer must not be entered from two
threads at once. Both take their runs from a ``FairQueue`` (round-robin between
users). Each job opens its own database sessions. A job that raises ends
``failed`` with its message; a backtest deleted while it ran has its files
removed when it finishes, a sweep deleted while it runs stops after its current
chunk and removes its files.
"""

import logging
import math
import threading

import pandas as pd
from sqlalchemy import update

import fastbt
from fastbt.formatting import json_safe
from fastbt.server import inputs, portfolio_inputs
from fastbt.server.db import COMPLETED, FAILED, PENDING, RUNNING, Backtest, Database, Sweep, utcnow
from fastbt.server.fair import FairQueue
from fastbt.server.settings import Settings
from fastbt.server.storage import RunFiles
from fastbt.sweep.chunks import plan_chunks

log = logging.getLogger("fastbt.server")

PROGRESS_STEPS = 20  # a sweep is cut into about this many chunks per symbol

# Blocks of bars a sweep keeps per set for its verdict (PBO, DSR) in GET /sweeps/{id}.
VERDICT_BLOCKS = 16


def sweep_chunk_size(n_sets: int) -> int:
    """Chunk size that makes progress visible in about ``PROGRESS_STEPS`` steps."""
    return max(1, math.ceil(n_sets / PROGRESS_STEPS))


def sweep_progress(row: Sweep, files: RunFiles) -> tuple[int, float]:
    """(backtests done, fraction done) of a sweep; live from its finished parts while it runs."""
    if row.status != RUNNING or not row.chunk_size or not row.n_total:
        return row.n_done, row.progress
    if files.sweep_finished(row.id):  # the table is complete; the row is about to say so
        return row.n_total, 1.0
    done = set(files.finished_parts(row.id))
    chunks = plan_chunks(list(row.symbols), row.n_sets, row.chunk_size)
    n_done = sum(c.stop - c.start for c in chunks if c.chunk_id in done)
    return n_done, n_done / row.n_total


def _error_text(error: BaseException) -> str:
    text = str(error).strip().replace("\x00", "\\x00")  # PostgreSQL text has no NUL
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class SweepCancelled(Exception):
    """Raised between a sweep's chunks once the sweep was deleted."""


class Workers:
    """The worker threads, their fair queues, and the two jobs they run."""

    def __init__(self, db: Database, files: RunFiles, settings: Settings):
        self.db = db
        self.files = files
        self.home = settings.home
        per_user = settings.max_queued_per_user
        self.backtests = FairQueue(per_user, settings.running_per_user)
        self.sweeps = FairQueue(per_user, 1)
        self._running_sweep: int | None = None
        self._cancelled: set[int] = set()  # ids of running sweeps their owners deleted
        self._threads = [
            threading.Thread(
                target=self._serve, args=(self.backtests, self._run_backtest), name=f"fastbt-bt-{k}"
            )
            for k in range(settings.workers)
        ]
        self._threads.append(
            threading.Thread(
                target=self._serve, args=(self.sweeps, self._run_sweep), name="fastbt-sweep"
            )
        )

    def start(self) -> None:
        """Start the worker threads (at server start-up, after recovery)."""
        for thread in self._threads:
            thread.start()

    def submit_backtest(self, user: int, run_id: int) -> None:
        self.backtests.put(user, run_id)

    def submit_sweep(self, user: int, run_id: int) -> None:
        self.sweeps.put(user, run_id)

    def cancel_backtest(self, run_id: int) -> None:
        """A deleted backtest leaves its line; a running one finishes, then its files go."""
        self.backtests.discard(run_id)

    def cancel_sweep(self, run_id: int) -> None:
        """A deleted sweep leaves its line, or stops after its current chunk."""
        if not self.sweeps.discard(run_id) and run_id == self._running_sweep:
            self._cancelled.add(run_id)

    def shutdown(self) -> None:
        """Stop taking jobs; running ones finish, waiting ones stay pending (failed as
        interrupted at the next start)."""
        for queue in (self.backtests, self.sweeps):
            queue.close()

    def _serve(self, queue: FairQueue, job) -> None:
        while (taken := queue.take()) is not None:
            user, run_id = taken
            try:
                job(run_id)
            except Exception:  # a bug here must not kill the worker thread silently
                log.exception("job for run %s failed outside the run itself", run_id)
            finally:
                queue.done(user)

    # Each is a single UPDATE: with a read and then a write, a run deleted between the
    # two made the write fail (PostgreSQL lets the delete in; so may SQLite).
    def _start(self, model, run_id: int):
        """Mark a pending run running; None if it was deleted meanwhile."""
        with self.db.session() as session, session.begin():
            started = session.execute(
                update(model)
                .where(model.id == run_id, model.status == PENDING)
                .values(status=RUNNING, started_at=utcnow())
            )
            return session.get(model, run_id) if started.rowcount else None

    def _finish(self, model, run_id: int, status: str, **values) -> bool:
        """Record the outcome; False if the run was deleted while it ran."""
        with self.db.session() as session, session.begin():
            finished = session.execute(
                update(model)
                .where(model.id == run_id)
                .values(status=status, finished_at=utcnow(), **values)
            )
            return finished.rowcount > 0

    def load_bars(self, row: Backtest) -> pd.DataFrame:
        """The bars a backtest runs on: its uploaded bars or its symbol's, sliced."""
        if row.data_ref is not None:
            bars = inputs.upload_bars(self.files.read_frame(self.files.upload_path(row.id)))
        else:
            bars = inputs.symbol_bars(row.symbol, row.interval, self.home)
        return inputs.sliced(bars, row.start, row.end)

    def _run(self, row: Backtest):
        """(result, number of bars) of a backtest or a portfolio backtest."""
        if not row.is_portfolio:
            bars = self.load_bars(row)
            strategy = inputs.run_strategy(row.strategy, row.rules)
            return fastbt.run(bars, strategy, **row.options, **row.params), len(bars)
        settings = row.portfolio
        bars, _ = portfolio_inputs.portfolio_bars(
            settings["symbols"], row.interval, settings["align"], self.home
        )
        weights = None
        if settings["weights"]:
            weights = self.files.read_frame(self.files.weights_path(row.id))
        return portfolio_inputs.run(row, bars, weights), len(bars.index)

    def _run_backtest(self, run_id: int) -> None:
        row = self._start(Backtest, run_id)
        if row is None:
            return
        try:
            result, n_bars = self._run(row)
            result.to_parquet(self.files.result_dir(run_id))
            self.files.write_results(run_id, result)
        except Exception as error:
            self._finish(Backtest, run_id, FAILED, error=_error_text(error))
            return
        recorded = self._finish(
            Backtest, run_id, COMPLETED, metrics=json_safe(result.metrics), n_bars=n_bars
        )
        if not recorded:
            self.files.delete_backtest(run_id)

    def _run_sweep(self, run_id: int) -> None:
        self._running_sweep = run_id
        try:
            self._sweep(run_id)
        finally:
            self._running_sweep = None
            self._cancelled.discard(run_id)

    def _sweep(self, run_id: int) -> None:
        row = self._start(Sweep, run_id)
        if row is None:
            return

        def stop_if_deleted(_done: int, _total: int) -> None:
            if run_id in self._cancelled:
                raise SweepCancelled(f"sweep {run_id} was deleted")

        try:
            frames = {
                s: inputs.symbol_bars(s, row.interval or None, self.home) for s in row.symbols
            }
            # Block statistics whenever every symbol has enough bars, for the verdict.
            blocks = (
                VERDICT_BLOCKS if min(map(len, frames.values())) >= 2 * VERDICT_BLOCKS else None
            )
            table = fastbt.sweep(
                frames,
                inputs.run_strategy(row.strategy, row.rules),
                inputs.grid_values(row.grid),
                out=self.files.table_dir(run_id),
                chunk_size=row.chunk_size,
                sample=row.sample,
                seed=row.seed,
                progress=False,
                on_chunk=stop_if_deleted,
                blocks=blocks,
                **row.options,
            )
            summary = dict(table.attrs["sweep"])
            summary["verdict"] = (
                fastbt.sweep_verdict(table).table.to_dict(orient="records") if blocks else None
            )
        except Exception as error:
            # a failed sweep keeps no partial table; a deleted one keeps nothing at all
            self._finish(Sweep, run_id, FAILED, error=_error_text(error))
            self.files.delete_sweep(run_id)
            return
        recorded = self._finish(
            Sweep,
            run_id,
            COMPLETED,
            summary=json_safe(summary),
            n_total=len(table),
            n_done=len(table),
            progress=1.0,
        )
        if not recorded:
            self.files.delete_sweep(run_id)
