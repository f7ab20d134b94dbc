"""Charts and HTML reports, rendered in a small pool of worker processes.

matplotlib's settings are process-wide (each chart applies the report theme with
``rc_context``), so two threads must not draw at once; one lock for the whole
server made every report wait for any other. Each worker process has its own
matplotlib, so up to ``RENDER_PROCESSES`` charts or reports of different runs
render at the same time, and request threads only wait for their own. The
processes import the server's ``--import`` modules, so they know the same
strategies (a price chart draws its strategy's indicators).
"""

import importlib
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

RENDER_PROCESSES = 2


def _exit_with_parent() -> None:
    """End this process when the server's process ends, even if it was killed: the
    pool's queues would keep an orphaned worker waiting for ever."""
    multiprocessing.connection.wait([multiprocessing.parent_process().sentinel])
    os._exit(0)


def _prepare(modules: tuple[str, ...]) -> None:
    """A new render process imports the report code and the server's modules once."""
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    for module in ("fastbt.report", *modules):
        importlib.import_module(module)


def _result(result_dir: Path, rules: dict | None):
    """The stored result, with its rule strategy (sent as JSON) so a price chart draws
    that strategy's indicators."""
    import dataclasses

    import fastbt
    from fastbt.rules import strategy_from_json

    result = fastbt.Result.from_parquet(result_dir)
    if rules is None:
        return result
    return dataclasses.replace(result, spec=strategy_from_json(rules))


def backtest_chart(result_dir: Path, chart_type: str, rules: dict | None = None) -> bytes:
    from fastbt.report import chart_png

    return chart_png(_result(result_dir, rules), chart_type)


def backtest_report(result_dir: Path, title: str, rules: dict | None = None) -> bytes:
    from fastbt.report import render_html

    return render_html(_result(result_dir, rules), title=title).encode()


def portfolio_chart(result_dir: Path, chart_type: str) -> bytes:
    import fastbt
    from fastbt.report import to_png
    from fastbt.report.portfolio import (
        portfolio_drawdown_chart,
        portfolio_equity_chart,
        weights_chart,
    )

    charts = {
        "equity": portfolio_equity_chart,
        "drawdown": portfolio_drawdown_chart,
        "weights": weights_chart,
    }
    return to_png(charts[chart_type](fastbt.PortfolioResult.from_parquet(result_dir)))


def portfolio_report(result_dir: Path, title: str) -> bytes:
    import fastbt
    from fastbt.report.portfolio import render_portfolio_html

    result = fastbt.PortfolioResult.from_parquet(result_dir)
    return render_portfolio_html(result, title=title).encode()


def sweep_report(table_dir: Path, metric: str, top_n: int, title: str) -> bytes:
    import fastbt
    from fastbt.report import render_sweep_html

    table = fastbt.load_sweep(table_dir)
    return render_sweep_html(table, metric, top_n, title=title).encode()


class Renderers:
    """The process pool; ``render(function, *args)`` runs one of the functions above
    in it and returns its bytes (or raises its exception)."""

    def __init__(self, imports: tuple[str, ...] = ()):
        self._pool = ProcessPoolExecutor(
            RENDER_PROCESSES,
            mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded server
            initializer=_prepare,
            initargs=(tuple(imports),),
        )

    def start(self) -> None:
        """Start every process now (one task each), so no request waits for one to start."""
        for _ in range(RENDER_PROCESSES):
            self._pool.submit(int)

    def render(self, function, *args) -> bytes:
        return self._pool.submit(function, *args).result()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
