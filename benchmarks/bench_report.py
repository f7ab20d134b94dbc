"""Report rendering on long data: each chart of a 1,000,000-bar backtest, thinned
as fastbt draws it, against the same equity chart drawn with every point.

    python benchmarks/bench_report.py [--save] [--repeats N]

Each case builds the figure and renders it to PNG or SVG. "every point" is the
naive way: one ``plot`` of all bars and one marker per trade. Agg's own path
simplification keeps PNG rendering cheap either way; vector output (SVG, and
PDF charts) is where every point costs time and megabytes. Cases run round-robin and each row is the median;
the ratio column divides by the backtest itself (``fastbt.run``) in the same
run. ``--save`` also writes benchmarks/results/report.md.
"""

import argparse
import io
import statistics
import time
from pathlib import Path

from bench_core import environment, fmt_seconds, log, publish
from workloads import synthetic_bars

import fastbt
from fastbt import report
from fastbt.report.figures import new_figure, themed, to_png

RESULTS = Path(__file__).resolve().parent / "results" / "report.md"


@themed
def equity_every_point(result):
    """The equity chart without thinning (same lines and markers, all of them): what
    drawing 1,000,000 bars naively costs."""
    figure, (ax,) = new_figure()
    equity = result.equity.to_numpy()
    close = result.bars["close"]
    ax.plot(result.equity.index, equity, lw=1.4)
    ax.plot(close.index, result.options.cash * close / close.iloc[0], lw=1.0, ls="--")
    trades = result.trades
    closed = trades[trades["status"] == "closed"]
    ax.scatter(trades["entry_time"], equity[trades["entry_bar"]], marker="^")
    ax.scatter(closed["exit_time"], equity[closed["exit_bar"].to_numpy("int64")], marker="v")
    return figure


def to_svg(figure) -> bytes:
    sink = io.BytesIO()
    figure.savefig(sink, format="svg")
    return sink.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--save", action="store_true", help=f"also write {RESULTS}")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    bars = synthetic_bars()
    result = fastbt.run(bars, "ma_cross", fast=10, slow=50)
    log(f"{len(bars):,} bars, {len(result.trades):,} trades")
    cases = {
        "backtest: fastbt.run (for scale)": lambda: fastbt.run(bars, "ma_cross", fast=10, slow=50)
    }
    for kind in report.CHARTS:
        cases[f"{kind} chart to PNG"] = lambda kind=kind: to_png(report.chart(result, kind))
    cases["equity chart to PNG, every point drawn"] = lambda: to_png(equity_every_point(result))
    cases["equity chart to SVG"] = lambda: to_svg(report.equity_chart(result))
    cases["equity chart to SVG, every point drawn"] = lambda: to_svg(equity_every_point(result))
    cases["HTML report (5 charts, trade list)"] = lambda: report.render_html(result)
    times = {name: [] for name in cases}
    sizes = {}
    for _ in range(args.repeats):
        for name, call in cases.items():
            started = time.perf_counter()
            output = call()
            times[name].append(time.perf_counter() - started)
            sizes[name] = len(output) if isinstance(output, bytes | str) else 0
    medians = {name: statistics.median(values) for name, values in times.items()}
    scale = medians["backtest: fastbt.run (for scale)"]
    lines = [
        f"# Report rendering, 1,000,000 bars ({len(result.trades):,} trades)",
        "",
        environment(),
        "",
        "| case | median | x backtest | output |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {n} | {fmt_seconds(m)} | {m / scale:.1f} | "
        + (f"{sizes[n] / 1024:,.0f} KiB |" if sizes[n] else " |")
        for n, m in medians.items()
    ]
    ratios = [
        (
            fmt,
            medians[f"equity chart to {fmt}, every point drawn"]
            / medians[f"equity chart to {fmt}"],
        )
        for fmt in ("PNG", "SVG")
    ]
    lines += [
        "",
        "Drawing every point instead of the thinned line takes "
        + " and ".join(f"{r:.1f}x as long for {fmt}" for fmt, r in ratios)
        + f"; the SVG is {sizes['equity chart to SVG, every point drawn'] / sizes['equity chart to SVG']:.0f}x larger.",
        "",
    ]
    publish("\n".join(lines), RESULTS, args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
