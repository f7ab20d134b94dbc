"""The ``fastbt`` command. Bad input: one line on stderr and exit code 2."""

import argparse
import json
import sys
import warnings

EXIT_USAGE = 2
EXIT_DISAGREEMENT = 1


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line, no usage dump."""

    def error(self, message: str):
        sys.stderr.write(f"fastbt: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def _number(text: str) -> int | float:
    """'10' -> 10, '2.5' -> 2.5, '1e3' -> 1000.0; inf, nan and numbers beyond a float
    (``1e400``, a 400-digit integer) are errors."""
    from fastbt.options import finite_number

    try:
        value = int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"not a number: {text!r}") from None
    finite_number("the value", value)
    return value


def _param(text: str) -> tuple[str, int | float]:
    """Parse ``-p name=value``."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name.strip(), _number(value.strip())
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"parameter {name}: {error}") from None


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", help="sample symbol (GOOG, EURUSD, BTCUSD) or CSV/Parquet file")
    parser.add_argument(
        "-s", "--strategy", default="ma_cross", help="strategy name (default ma_cross)"
    )
    parser.add_argument(
        "-p",
        "--param",
        type=_param,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="strategy parameter, repeatable",
    )
    _add_execution_options(parser)
    parser.add_argument("--ffill", action="store_true", help="forward-fill missing values")
    parser.add_argument("--interval", default="1d", help="bar interval of a stored symbol")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    _add_report_options(parser)
    parser.add_argument(
        "--save", default=None, metavar="DIR", help="save the result (Parquet) for `fastbt report`"
    )


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    """--report/--pdf, shared by run, verify, sweep and report."""
    parser.add_argument("--report", default=None, metavar="FILE.html", help="write an HTML report")
    parser.add_argument("--pdf", default=None, metavar="FILE.pdf", help="write a PDF report")


def _add_execution_options(parser: argparse.ArgumentParser) -> None:
    """Fill, sizing and fee options shared by run, verify and sweep."""
    parser.add_argument("--cash", type=float, default=10_000.0)
    parser.add_argument("--commission", type=float, default=0.0, help="fraction of notional")
    parser.add_argument("--fixed-fee", type=float, default=0.0, help="currency per fill")
    parser.add_argument("--slippage", type=float, default=0.0, help="fraction of price")
    parser.add_argument("--fill", choices=("next_open", "close"), default="next_open")
    parser.add_argument("--size", type=float, default=1.0)
    parser.add_argument("--size-type", choices=("percent", "units"), default="percent")
    parser.add_argument("--whole-units", action="store_true", help="floor quantities")
    parser.add_argument("--close-at-end", action="store_true")
    parser.add_argument("--periods-per-year", type=float, default=None)


def _grid_axis(text: str) -> tuple[str, list]:
    """Parse ``-g name=start:stop[:step]`` (stop excluded, as in range) or ``name=a,b,c``."""
    name, sep, spec = text.partition("=")
    if not sep or not name.strip() or not spec.strip():
        raise argparse.ArgumentTypeError(
            f"expected NAME=START:STOP[:STEP] or NAME=A,B,C, got {text!r}"
        )
    try:
        if ":" in spec:
            parts = [_number(p) for p in spec.split(":")]
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] <= 0):
                raise ValueError(f"expected START:STOP or START:STOP:STEP (STEP > 0), got {spec!r}")
            start, stop, step = (*parts, 1)[:3]
            if all(isinstance(p, int) for p in (start, stop, step)):
                values = list(range(start, stop, step))
            else:
                values = _float_range(start, stop, step)
        else:
            values = [_number(v) for v in spec.split(",")]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"grid {name.strip()}: {error}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"grid {name.strip()}: {spec!r} has no values")
    return name.strip(), values


def _float_range(start: float, stop: float, step: float) -> list[float]:
    """start, start+step, ... below stop, rounded to the inputs' decimals (no 20.300000000004)."""
    import math

    count = max(0, math.ceil((stop - start) / step - 1e-9))
    decimals = max(len(repr(float(x)).split(".")[1]) for x in (start, step))
    return [round(start + k * step, decimals) for k in range(count)]


def _add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store",
        default=None,
        metavar="DIR",
        help="data directory (default $FASTBT_HOME or ~/.fastbt)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fastbt", description="Fast, cross-checked backtests.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = commands.add_parser("run", help="backtest one strategy on one data source")
    _add_run_options(run)
    run.add_argument("--engine", choices=("fast", "reference"), default="fast")
    verify = commands.add_parser("verify", help="run both engines and compare them")
    _add_run_options(verify)
    commands.add_parser("strategies", help="list strategies, parameters and defaults")
    demo = commands.add_parser("demo", help="backtests on the bundled data, cross-checked")
    demo.add_argument(
        "--reports",
        default="fastbt-reports",
        metavar="DIR",
        help="where the HTML reports go (default ./fastbt-reports)",
    )
    for command in (run, verify):
        _add_store_option(command)

    sweep = commands.add_parser("sweep", help="run a parameter grid over one or more sources")
    sweep.add_argument("sources", nargs="+", metavar="SOURCE")
    sweep.add_argument("-s", "--strategy", default="ma_cross")
    sweep.add_argument(
        "-g",
        "--grid",
        type=_grid_axis,
        action="append",
        default=[],
        metavar="NAME=START:STOP[:STEP]",
        help="parameter values, repeatable",
    )
    sweep.add_argument("--jobs", type=int, default=-1, help="busy threads (default: all cores)")
    sweep.add_argument("--backend", choices=("loky", "dask"), default="loky")
    sweep.add_argument("--scheduler", default=None, help="Dask scheduler address")
    sweep.add_argument("--out", default=None, metavar="DIR", help="stream results to DIR")
    sweep.add_argument("--resume", action="store_true", help="continue the sweep in --out")
    sweep.add_argument("--chunk-size", type=int, default=None)
    sweep.add_argument("--sample", type=int, default=None, help="run N random sets")
    sweep.add_argument("--seed", type=int, default=None)
    sweep.add_argument("--sort", default="sharpe", help="metric to rank by")
    sweep.add_argument("--top", type=int, default=10)
    sweep.add_argument("--no-progress", action="store_true")
    _add_execution_options(sweep)
    sweep.add_argument("--interval", default="1d", help="bar interval of stored symbols")
    _add_store_option(sweep)
    sweep.add_argument("--json", action="store_true")
    _add_report_options(sweep)

    report = commands.add_parser(
        "report", help="HTML/PDF report of a saved result (run --save) or sweep (sweep --out)"
    )
    report.add_argument("directory", metavar="RESULTS_DIR")
    _add_report_options(report)
    report.add_argument("--sort", default="sharpe", help="sweep: metric to rank and map by")
    report.add_argument("--top", type=int, default=20, help="sweep: rows in the top table")

    fetch = commands.add_parser("fetch", help="download bars from Yahoo Finance into the store")
    fetch.add_argument("symbols", nargs="+", metavar="SYMBOL")
    fetch.add_argument("--start", default=None, help="first date (inclusive)")
    fetch.add_argument("--end", default=None, help="last date (exclusive)")
    fetch.add_argument("--interval", default="1d")
    fetch.add_argument(
        "--unadjusted", action="store_true", help="raw prices, no split/dividend adjustment"
    )
    fetch.add_argument("--retries", type=int, default=3)
    _add_store_option(fetch)

    data = commands.add_parser("data", help="inspect and manage the market-data store")
    actions = data.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("ls", help="stored symbols with their ranges and row counts")
    importing = actions.add_parser("import", help="validate a CSV/Parquet file and store it")
    importing.add_argument("file")
    importing.add_argument("--symbol", required=True)
    importing.add_argument("--interval", default="1d")
    importing.add_argument("--ffill", action="store_true")
    exporting = actions.add_parser("export", help="write a stored symbol to CSV or Parquet")
    exporting.add_argument("symbol")
    exporting.add_argument("--to", required=True, metavar="FILE", help="FILE.csv or FILE.parquet")
    exporting.add_argument("--interval", default="1d")
    removing = actions.add_parser("rm", help="delete a stored symbol")
    removing.add_argument("symbol")
    removing.add_argument("--interval", default="1d")
    for action in (listing, importing, exporting, removing):
        _add_store_option(action)

    from fastbt.server.cli import add_commands  # argparse only; FastAPI loads on use

    add_commands(commands)
    return parser


def _execution_options(args: argparse.Namespace) -> dict:
    """Keyword arguments of fastbt.run / fastbt.sweep from the shared options."""
    return dict(
        cash=args.cash,
        commission=args.commission,
        fixed_fee=args.fixed_fee,
        slippage=args.slippage,
        fill=args.fill,
        size=args.size,
        size_type=args.size_type,
        fractional=not args.whole_units,
        close_at_end=args.close_at_end,
        periods_per_year=args.periods_per_year,
    )


def _report(result, as_json: bool) -> None:
    """Print the result: a metrics table, or ``Result.to_dict(series=False)`` as JSON."""
    from fastbt.formatting import metrics_table

    if as_json:
        payload = result.to_dict(series=False) | {"n_trades": result.metrics["n_trades"]}
        print(json.dumps(payload, allow_nan=False))
        return
    print(result)
    print(metrics_table(result.metrics))


def _check_report_paths(args) -> None:
    """Refuse bad --report/--pdf targets before any work is done."""
    for option, suffix in (("report", ".html"), ("pdf", ".pdf")):
        target = getattr(args, option)
        if target is not None and not target.lower().endswith(suffix):
            raise ValueError(f"--{option} must name a {suffix} file, got {target!r}")
    if args.pdf is not None:
        from fastbt.report.pdf import find_wkhtmltopdf

        find_wkhtmltopdf()


def _say_written(args, what: str, path) -> None:
    """``report: /abs/path``; on stderr when stdout carries --json."""
    stream = sys.stderr if getattr(args, "json", False) else sys.stdout
    print(f"{what}: {path.resolve()}", file=stream)


def _write_reports(args, render) -> None:
    """Render once, write the HTML and/or PDF the user asked for, say where."""
    if args.report is None and args.pdf is None:
        return
    from fastbt.report import write_html
    from fastbt.report.pdf import write_pdf

    page = render()
    if args.report is not None:
        _say_written(args, "report", write_html(page, args.report))
    if args.pdf is not None:
        _say_written(args, "pdf", write_pdf(page, args.pdf))


def _command_run(args) -> None:
    import fastbt

    _check_report_paths(args)
    bars = fastbt.load(args.source, interval=args.interval, store=args.store, ffill=args.ffill)
    kwargs = _execution_options(args) | dict(args.param)
    if args.command == "verify":
        result = fastbt.verify(bars, args.strategy, **kwargs)
        if not args.json:
            print("fast and reference engines agree")
    else:
        result = fastbt.run(bars, args.strategy, engine=args.engine, **kwargs)
    _report(result, args.json)
    if args.save is not None:
        _say_written(args, "saved", result.to_parquet(args.save))
    _write_reports(args, lambda: _render_result(result))


def _render_result(result) -> str:
    from fastbt.report import render_html

    return render_html(result)


def _command_report(args) -> int:
    """Render a saved result or sweep directory."""
    from pathlib import Path

    import fastbt

    if args.top < 1:
        raise ValueError(f"--top must be at least 1, got {args.top}")
    directory = Path(args.directory)
    if not directory.is_dir():
        raise ValueError(f"{directory} is not a directory of saved results")
    if args.report is None and args.pdf is None:
        args.report = str(directory / "report.html")
    _check_report_paths(args)
    if (directory / "result.json").exists():
        result = fastbt.Result.from_parquet(directory)
        _write_reports(args, lambda: _render_result(result))
    else:
        from fastbt.report import render_sweep_html

        table = fastbt.load_sweep(directory)
        _write_reports(args, lambda: render_sweep_html(table, args.sort, args.top))
    return 0


def _command_strategies(args) -> None:
    import fastbt

    for strategy in fastbt.list_strategies():
        print(f"{strategy.name}: {strategy.description}")
        for param in strategy.params:
            print(f"    {param.describe()}  {param.doc}")


def _command_demo(args) -> None:
    from pathlib import Path

    import fastbt
    from fastbt.report import render_html, render_sweep_html, write_html

    reports = Path(args.reports)
    written = []
    print("== backtests on the bundled data, each cross-checked by the reference engine ==")
    for symbol, strategy, params in (
        ("GOOG", "ma_cross", {"fast": 10, "slow": 30}),
        ("EURUSD", "rsi", {}),
    ):
        result = fastbt.verify(symbol, strategy, commission=0.001, **params)
        _report(result, as_json=False)
        print(
            "cross-check: the reference engine agrees on every metric, the equity curve "
            f"and all {len(result.trades)} trade rows\n"
        )
        written.append(write_html(render_html(result), reports / f"{symbol}-{strategy}.html"))
    print("== sweep: every ma_cross pair with fast < slow in 2..101, on GOOG and EURUSD ==")
    grid = {"fast": range(2, 102), "slow": range(2, 102)}
    table = fastbt.sweep(["GOOG", "EURUSD"], "ma_cross", grid, commission=0.001, progress=False)
    info = table.attrs["sweep"]
    print(_rows_table(fastbt.best(table, "sharpe"), "ma_cross", "sharpe"))
    print(
        f"{info['n_rows']:,} backtests in {info['seconds']:.2f} s "
        f"({info['sets_per_second']:,.0f} per second, first call includes loading kernels)"
    )
    written.append(write_html(render_sweep_html(table, "sharpe"), reports / "sweep-ma_cross.html"))
    print("\n== HTML reports (open in a browser; charts are embedded) ==")
    for path in written:
        print(f"  {path.resolve()}")


def _command_sweep(args) -> int:
    import fastbt
    from fastbt.formatting import json_default, json_safe
    from fastbt.kernels.metrics import METRIC_NAMES

    if args.top < 1:
        raise ValueError(f"--top must be at least 1, got {args.top}")
    if args.sort not in METRIC_NAMES:
        raise ValueError(f"--sort must be a metric ({', '.join(METRIC_NAMES)}), got {args.sort!r}")
    _check_report_paths(args)
    table = fastbt.sweep(
        args.sources,
        args.strategy,
        dict(args.grid),
        n_jobs=args.jobs,
        backend=args.backend,
        scheduler=args.scheduler,
        out=args.out,
        resume=args.resume,
        chunk_size=args.chunk_size,
        progress=not args.no_progress and not args.json,
        sample=args.sample,
        seed=args.seed,
        interval=args.interval,
        store=args.store,
        **_execution_options(args),
    )
    info = table.attrs["sweep"]
    leaders = fastbt.top(table, args.top, args.sort)
    evaluations = info["bar_evaluations_per_second"]
    if args.json:
        payload = {
            key: info[key]
            for key in (
                "strategy",
                "symbols",
                "n_sets",
                "n_invalid",
                "n_rows",
                "seconds",
                "sets_per_second",
            )
        }
        payload["bar_evaluations_per_second"] = evaluations
        payload["top"] = leaders.to_dict(orient="records")
        print(json.dumps(json_safe(payload), allow_nan=False, default=json_default))
        _write_reports(args, lambda: _render_sweep(table, args))
        return 0
    print(_rows_table(leaders, args.strategy, args.sort))
    print(
        f"{info['n_rows']:,} backtests ({info['n_sets']:,} sets x {len(info['symbols'])} "
        f"symbol(s)) in {info['seconds']:.2f} s: {info['sets_per_second']:,.0f} sets/s, "
        f"{evaluations:.3g} bar-evaluations/s; {info['n_invalid']:,} invalid sets dropped"
    )
    _write_reports(args, lambda: _render_sweep(table, args))
    return 0


def _render_sweep(table, args) -> str:
    from fastbt.report import render_sweep_html

    return render_sweep_html(table, args.sort, max(args.top, 20))


def _rows_table(rows, strategy: str, metric: str) -> str:
    """Sweep rows as text: symbol, parameters, the ranking metric and a few others."""
    import fastbt
    from fastbt.formatting import format_metric

    params = [p.name for p in fastbt.get_strategy(strategy).params]
    shown = list(
        dict.fromkeys(["symbol", *params, metric, "total_return", "max_drawdown", "n_trades"])
    )
    view = rows[shown].copy()
    for name in shown[1 + len(params) :]:
        view[name] = [format_metric(name, v) for v in view[name]]
    return view.to_string(index=False)


def _command_fetch(args) -> int:
    import fastbt

    results = fastbt.fetch(
        args.symbols,
        start=args.start,
        end=args.end,
        interval=args.interval,
        adjusted=not args.unadjusted,
        store=args.store,
        retries=args.retries,
    )
    for result in results:
        if result.status == "failed":
            sys.stderr.write(f"fastbt: {result.symbol}: failed: {result.error}\n")
        else:
            print(
                f"{result.symbol}: {result.status}, {result.rows_added:+,} rows "
                f"({result.rows_stored:,} stored)"
            )
    return 1 if any(r.status == "failed" for r in results) else 0


def _command_data(args) -> int:
    import fastbt

    market = fastbt.MarketStore(args.store)
    if args.action == "ls":
        listing = market.list()
        print(listing.to_string(index=False) if len(listing) else f"no data stored in {market}")
    elif args.action == "import":
        bars = fastbt.load(args.file, ffill=args.ffill)
        rows = market.write(args.symbol, bars, interval=args.interval, source="import")
        print(f"{args.symbol.upper()}: {rows:,} rows stored ({args.interval})")
    elif args.action == "export":
        _export(market.read(args.symbol, interval=args.interval), args.to)
        print(f"wrote {args.to}")
    elif not market.delete(args.symbol, interval=args.interval):
        raise ValueError(f"no {args.interval} bars stored for {args.symbol.upper()}")
    else:
        print(f"deleted {args.symbol.upper()} ({args.interval})")
    return 0


def _export(bars, target: str) -> None:
    """Write bars to .csv or .parquet, chosen by the file's suffix."""
    suffix = target.rsplit(".", 1)[-1].lower() if "." in target else ""
    if suffix == "csv":
        bars.to_csv(target)
    elif suffix in ("parquet", "pq"):
        bars.to_parquet(target)
    else:
        raise ValueError(f"--to must end in .csv or .parquet, got {target!r}")


def _command_server(args) -> int:
    """``serve`` and ``user``: handled by fastbt.server.cli (imports the server extra)."""
    from fastbt.server.cli import run

    return run(args)


_COMMANDS = {
    "run": _command_run,
    "verify": _command_run,
    "strategies": _command_strategies,
    "demo": _command_demo,
    "sweep": _command_sweep,
    "report": _command_report,
    "fetch": _command_fetch,
    "data": _command_data,
    "serve": _command_server,
    "user": _command_server,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fastbt`` console script."""
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from fastbt.errors import DataWarning, RunWarning, SweepError, VerificationError

        try:
            status = _COMMANDS[args.command](args) or 0
        except (VerificationError, SweepError) as error:
            sys.stderr.write(f"fastbt: {error}\n")
            return EXIT_DISAGREEMENT
        except (ValueError, OSError) as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            sys.stderr.write(f"fastbt: error: {message}\n")
            return EXIT_USAGE
        finally:
            for warning in caught:
                if issubclass(warning.category, DataWarning):
                    sys.stderr.write(f"fastbt: note: {warning.message}\n")
                elif issubclass(warning.category, RunWarning):
                    sys.stderr.write(f"fastbt: warning: {warning.message}\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
