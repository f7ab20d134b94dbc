"""``fastbt walkforward``: the command's flags and what it prints. It reuses the sweep
command's grid (``-g``) and execution flags from ``fastbt.cli``."""

import argparse
from pathlib import Path


def add_walkforward_parser(commands) -> argparse.ArgumentParser:
    """The ``walkforward`` subcommand's parser, added to ``commands``."""
    from fastbt import cli

    wf = commands.add_parser(
        "walkforward", help="choose a set in sample, trade it out of sample, window by window"
    )
    wf.add_argument("source", help="sample symbol (GOOG, EURUSD, BTCUSD) or CSV/Parquet file")
    wf.add_argument("-s", "--strategy", default="ma_cross")
    wf.add_argument(
        "-g",
        "--grid",
        type=cli._grid_axis,
        action="append",
        default=[],
        metavar="NAME=START:STOP[:STEP]",
        help="parameter values, repeatable; also sl, tp (none = off) and entry_offset",
    )
    wf.add_argument("--is-bars", type=int, required=True, help="in-sample bars per window")
    wf.add_argument("--oos-bars", type=int, required=True, help="out-of-sample bars per window")
    wf.add_argument("--step", type=int, default=None, help="bars between windows (default oos)")
    wf.add_argument("--gap", type=int, default=0, help="bars between in- and out-of-sample")
    wf.add_argument("--anchored", action="store_true", help="in-sample always starts at bar 0")
    wf.add_argument(
        "--keep-partial", action="store_true", help="keep a last, shorter out-of-sample window"
    )
    wf.add_argument("--objective", default="sharpe", help="metric that chooses the set")
    wf.add_argument(
        "--min-trades",
        type=int,
        default=0,
        metavar="N",
        help="choose only sets with at least N closed trades in sample (default 0)",
    )
    wf.add_argument("--stitch", choices=("reset", "continuous"), default="reset")
    wf.add_argument("--jobs", type=int, default=-1, help="busy threads (default: all cores)")
    wf.add_argument("--backend", choices=("loky", "dask"), default="loky")
    wf.add_argument("--scheduler", default=None, help="Dask scheduler address")
    wf.add_argument("--no-progress", action="store_true")
    cli._add_execution_options(wf)
    wf.add_argument("--interval", default=None, help="bar interval of a stored symbol")
    cli._add_load_options(wf)
    cli._add_store_option(wf)
    wf.add_argument("--csv", default=None, metavar="FILE.csv", help="write the window table")
    cli._add_report_options(wf)
    return wf


def command_walkforward(args: argparse.Namespace) -> int:
    import fastbt
    from fastbt import cli
    from fastbt.walkforward.text import summary_text, windows_text

    cli._check_report_paths(args)
    if args.csv is not None and not args.csv.lower().endswith(".csv"):
        raise ValueError(f"--csv must name a .csv file, got {args.csv!r}")
    if not args.grid:
        raise ValueError("give the parameter grid with -g NAME=START:STOP (e.g. -g fast=5:50)")
    bars = fastbt.load(
        args.source, interval=args.interval, store=args.store, **cli._load_options(args)
    )
    wf = fastbt.walk_forward(
        bars,
        args.strategy,
        dict(args.grid),
        is_bars=args.is_bars,
        oos_bars=args.oos_bars,
        step=args.step,
        gap=args.gap,
        anchored=args.anchored,
        keep_partial=args.keep_partial,
        objective=args.objective,
        min_trades=args.min_trades,
        stitch=args.stitch,
        progress=not args.no_progress,
        n_jobs=args.jobs,
        backend=args.backend,
        scheduler=args.scheduler,
        **cli._execution_options(args),
    )
    print(wf)
    print(windows_text(wf))
    print(summary_text(wf))
    if wf.result is None:
        print(wf.note)
    else:
        print(f"stitched: {wf.result}")
    if args.csv is not None:
        wf.to_csv(args.csv)
        cli._say_written(args, "csv", Path(args.csv))
    from fastbt.report.walkforward import render_walkforward_html

    cli._write_reports(args, lambda: render_walkforward_html(wf))
    return 0
