"""The ``fastbt`` command. Bad input: one line on stderr and exit code 2."""

import argparse
import json
import os
import sys
import warnings

EXIT_USAGE = 2
EXIT_DISAGREEMENT = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


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
    parser.add_argument("-s", "--strategy", default=None, help="strategy name (default ma_cross)")
    parser.add_argument(
        "--signals",
        default=None,
        metavar="FILE.csv",
        help="entry/exit signals from a CSV (timestamp, entry, exit) instead of a strategy",
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
    parser.add_argument(
        "--interval", default=None, help="bar interval of a stored symbol (default 1d)"
    )
    _add_load_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    _add_report_options(parser)
    parser.add_argument(
        "--save", default=None, metavar="DIR", help="save the result (Parquet) for `fastbt report`"
    )


def _add_load_options(parser: argparse.ArgumentParser) -> None:
    """How to read a file: dates, which ticker, adjusted prices (docs/data.md)."""
    parser.add_argument(
        "--date-format", default=None, metavar="FORMAT", help="strftime format of the dates"
    )
    parser.add_argument(
        "--dayfirst",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="read ambiguous dates day first (--no-dayfirst: month first)",
    )
    parser.add_argument(
        "--ticker",
        default=None,
        help="the ticker to use from a file holding several (symbol/ticker column)",
    )
    parser.add_argument(
        "--adjust",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="with an Adj Close column: adjusted prices (--no-adjust: raw prices)",
    )


def _date_options(args: argparse.Namespace) -> dict:
    """How to read dates in text (--date-format, --dayfirst)."""
    return dict(date_format=args.date_format, dayfirst=args.dayfirst)


def _load_options(args: argparse.Namespace) -> dict:
    """Keyword arguments of fastbt.load from the options of _add_load_options."""
    return _date_options(args) | dict(symbol=args.ticker, adjust=args.adjust)


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
    parser.add_argument("--fill", choices=("next_open", "close"), default=None)
    parser.add_argument("--size", type=float, default=1.0)
    parser.add_argument("--size-type", choices=("percent", "units"), default="percent")
    parser.add_argument(
        "--whole-units",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="floor quantities (--no-whole-units: fractional, the default)",
    )
    parser.add_argument("--close-at-end", action="store_true")
    parser.add_argument("--periods-per-year", type=float, default=None)
    parser.add_argument(
        "--risk-free",
        type=float,
        default=None,
        help="annual risk-free rate for Sharpe and Sortino (0.04 = 4%%; default 0)",
    )
    parser.add_argument(
        "--benchmark",
        default=None,
        metavar="SYMBOL",
        help="symbol or file on the same bars: adds alpha, beta, ... (docs/metrics.md)",
    )
    _add_v2_options(parser)


def _add_v2_options(parser: argparse.ArgumentParser) -> None:
    """Shorts, stops, entry orders and peer presets (docs/execution.md, docs/peers.md).
    Every one defaults to None, "not given": fastbt's default or the --like preset."""
    from fastbt.options import CHOICES, PRESETS

    group = parser.add_argument_group("shorts, stops and entry orders (docs/execution.md)")

    def choice(flag: str, help_text: str) -> None:
        name = flag.removeprefix("--").replace("-", "_")
        group.add_argument(flag, choices=CHOICES[name], default=None, help=help_text)

    choice("--direction", "long (default), short, or both (reverse on opposite signals)")
    group.add_argument("--sl", type=float, default=None, metavar="X", help="stop-loss, fraction")
    group.add_argument("--tp", type=float, default=None, metavar="X", help="take-profit, fraction")
    group.add_argument(
        "--trail", action="store_const", const=True, default=None, help="trailing stop-loss"
    )
    choice("--trail-on", "the trailing extreme follows highs/lows (default) or closes")
    choice("--stop-anchor", "levels from the fill price (default) or the signal bar's close")
    choice("--stop-priority", "on a bar opening beyond the take-profit: which stop wins")
    choice("--stop-slippage", "which stop fills carry slippage (default sl_only)")
    choice("--stop-bar-signals", "honor (default) or drop the signals of a bar a stop filled on")
    group.add_argument(
        "--no-stop-on-fill-bar",
        dest="stop_on_fill_bar",
        action="store_const",
        const=False,
        default=None,
        help="stops start the bar after an entry filled at the open",
    )
    choice("--entry-order", "market (default), limit or stop entries")
    group.add_argument(
        "--entry-offset", type=float, default=None, metavar="X", help="entry order level offset"
    )
    group.add_argument(
        "--entry-expiry",
        type=_number,
        default=None,
        metavar="N",
        help="bars an entry order stays live (default: until filled or cancelled)",
    )
    choice("--reversal-fee", "per_leg (default) or per_order: fixed fee once per reversal")
    choice("--on-ruin", "liquidate (default) or continue when equity reaches 0")
    group.add_argument(
        "--like",
        choices=tuple(PRESETS),
        default=None,
        help="reproduce a peer's execution rules; explicit flags override (docs/peers.md)",
    )


MAX_AXIS_VALUES = 10_000_000  # values of one -g axis: beyond it the list alone is gigabytes


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
            count = (stop - start) / step
            if count > MAX_AXIS_VALUES:
                raise ValueError(
                    f"{spec!r} has about {count:.3g} values; one grid axis holds at most "
                    f"{MAX_AXIS_VALUES:,} (use a larger STEP, or --sample N of a coarser grid)"
                )
            if all(isinstance(p, int) for p in (start, stop, step)):
                values = list(range(start, stop, step))
            else:
                values = _float_range(start, stop, step)
        else:
            values = [_grid_value(name.strip(), v) for v in spec.split(",")]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"grid {name.strip()}: {error}") from None
    if not values:
        raise argparse.ArgumentTypeError(f"grid {name.strip()}: {spec!r} has no values")
    return name.strip(), values


GRID_OPTIONS = ("sl", "tp", "entry_offset")  # run options a sweep grid may vary
OPTIONAL_GRID_AXES = ("sl", "tp")  # grid axes where `none` means "off"


def _grid_value(name: str, text: str) -> int | float | None:
    """One value of a comma list; ``none`` turns the stop-loss or take-profit off."""
    if text.strip().lower() != "none":
        return _number(text.strip())
    if name not in OPTIONAL_GRID_AXES:
        raise ValueError(f"none (off) is a value of {' and '.join(OPTIONAL_GRID_AXES)} only")
    return None


def _float_range(start: float, stop: float, step: float) -> list[float]:
    """start, start+step, ... below stop, rounded to the inputs' decimals (no 20.300000000004)."""
    import math

    count = max(0, math.ceil((stop - start) / step - 1e-9))
    decimals = max(len(repr(float(x)).split(".")[1]) for x in (start, step))
    return [round(start + k * step, decimals) for k in range(count)]


def _add_min_trades(parser: argparse.ArgumentParser) -> None:
    """--min-trades, shared by sweep and report."""
    from fastbt.sweep.analysis import MIN_TRADES

    parser.add_argument(
        "--min-trades",
        type=int,
        default=MIN_TRADES,
        metavar="N",
        help=f"rank only sets with at least N closed trades (default {MIN_TRADES}; 0 ranks all)",
    )


def _check_ranking(args) -> None:
    """Refuse a bad --top or --min-trades before any work is done."""
    if args.top < 1:
        raise ValueError(f"--top must be at least 1, got {args.top}")
    if args.min_trades < 0:
        raise ValueError(f"--min-trades must be 0 or more, got {args.min_trades}")


def _not_ranked_note(not_ranked: int, total: int, min_trades: int) -> str:
    """How many backtests --min-trades kept out of the ranking, and how to rank them."""
    from fastbt.sweep.analysis import too_few_trades

    return (
        f"{not_ranked:,} of {total:,} backtests have {too_few_trades(min_trades)} and are "
        "not ranked (--min-trades 0 ranks every set)"
    )


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
    strategies = commands.add_parser("strategies", help="list strategies, parameters and defaults")
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
        help="parameter values, repeatable; also sl, tp (none = off) and entry_offset",
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
    _add_min_trades(sweep)
    sweep.add_argument("--no-progress", action="store_true")
    _add_execution_options(sweep)
    sweep.add_argument(
        "--interval", default=None, help="bar interval of stored symbols (default 1d)"
    )
    _add_load_options(sweep)
    _add_store_option(sweep)
    sweep.add_argument("--json", action="store_true")
    sweep.add_argument(
        "--pbo",
        action="store_true",
        help="is the best set real? print PBO and the deflated Sharpe ratio (keeps --blocks)",
    )
    sweep.add_argument(
        "--blocks",
        type=int,
        default=None,
        metavar="S",
        help="blocks of bars kept per set for PBO (even, >= 2; default 16 with --pbo)",
    )
    _add_report_options(sweep)
    from fastbt.walkforward.cli import add_walkforward_parser

    walkforward = add_walkforward_parser(commands)
    from fastbt.portfolio.cli import add_portfolio_parser

    portfolio = add_portfolio_parser(commands)
    for command in (run, verify, strategies, sweep, walkforward, portfolio):
        command.add_argument(
            "--import",
            dest="imports",
            action="append",
            default=[],
            metavar="MODULE",
            help="a .py file or module whose strategies to register first, repeatable",
        )

    report = commands.add_parser(
        "report", help="HTML/PDF report of a saved result (run --save) or sweep (sweep --out)"
    )
    report.add_argument("directory", metavar="RESULTS_DIR")
    _add_report_options(report)
    report.add_argument("--sort", default="sharpe", help="sweep: metric to rank and map by")
    report.add_argument("--top", type=int, default=20, help="sweep: rows in the top table")
    _add_min_trades(report)

    fetch = commands.add_parser("fetch", help="download bars from Yahoo Finance into the store")
    fetch.add_argument("symbols", nargs="+", metavar="SYMBOL")
    fetch.add_argument("--start", default=None, help="first date (inclusive)")
    fetch.add_argument("--end", default=None, help="last date (exclusive)")
    fetch.add_argument("--interval", default="1d")
    fetch.add_argument(
        "--unadjusted", action="store_true", help="raw prices, no split/dividend adjustment"
    )
    fetch.add_argument("--retries", type=int, default=3, help="retries after a failure (default 3)")
    fetch.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="total time allowed per symbol, retries included (default 30)",
    )
    _add_store_option(fetch)

    data = commands.add_parser("data", help="inspect and manage the market-data store")
    actions = data.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("ls", help="stored symbols with their ranges and row counts")
    importing = actions.add_parser("import", help="validate a CSV/Parquet file and store it")
    importing.add_argument("file")
    importing.add_argument(
        "--symbol", default=None, help="name to store the bars under (default: --ticker)"
    )
    importing.add_argument("--interval", default="1d")
    importing.add_argument("--ffill", action="store_true")
    _add_load_options(importing)
    importing.add_argument(
        "--split-symbols",
        action="store_true",
        help="store each ticker of a multi-ticker file as its own symbol",
    )
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


_V2_OPTIONS = (
    "direction",
    "sl",
    "tp",
    "trail",
    "trail_on",
    "stop_anchor",
    "stop_priority",
    "stop_slippage",
    "stop_bar_signals",
    "stop_on_fill_bar",
    "entry_order",
    "entry_offset",
    "entry_expiry",
    "reversal_fee",
    "on_ruin",
    "like",
)


def _execution_options(args: argparse.Namespace) -> dict:
    """Keyword arguments of fastbt.run / fastbt.sweep from the shared options; options
    not given are left out, so fastbt's defaults or the --like preset apply."""
    given = {name: getattr(args, name) for name in ("fill", "risk_free", *_V2_OPTIONS)}
    if args.whole_units is not None:
        given["fractional"] = not args.whole_units
    return (
        dict(
            cash=args.cash,
            commission=args.commission,
            fixed_fee=args.fixed_fee,
            slippage=args.slippage,
            size=args.size,
            size_type=args.size_type,
            close_at_end=args.close_at_end,
            periods_per_year=args.periods_per_year,
        )
        | {name: value for name, value in given.items() if value is not None}
        | _benchmark(args)
    )


def _benchmark(args: argparse.Namespace) -> dict:
    """``{"benchmark": bars}`` for --benchmark, loaded like the data (same interval,
    store and options); empty without it."""
    if args.benchmark is None:
        return {}
    import fastbt

    bars = fastbt.load(
        args.benchmark, interval=args.interval, store=args.store, **_load_options(args)
    )
    return {"benchmark": bars}


def _report(result, as_json: bool) -> None:
    """Print the result: a metrics table, or ``Result.to_dict(series=False)`` as JSON."""
    from fastbt.formatting import metrics_table

    if as_json:
        payload = result.to_dict(series=False) | {"n_trades": result.metrics["n_trades"]}
        print(json.dumps(payload, allow_nan=False))
        return
    print(result)
    print(_trades_summary(result.trades))
    print(metrics_table(result.metrics))


def _trades_summary(trades) -> str:
    """``trades: 12 closed (8 long, 4 short), 3 stop exits (2 stop-loss, 1 take-profit),
    1 open``: the trade table by direction and by stop exits."""
    closed = trades[trades["status"] == "closed"]
    sides = closed["direction"].value_counts()
    reasons = closed["exit_reason"].value_counts()
    stops = int(reasons.get("sl", 0) + reasons.get("tp", 0))
    line = (
        f"trades: {len(closed):,} closed ({sides.get('long', 0):,} long, "
        f"{sides.get('short', 0):,} short), {stops:,} stop exits"
    )
    if stops:
        line += f" ({reasons.get('sl', 0):,} stop-loss, {reasons.get('tp', 0):,} take-profit)"
    n_open = len(trades) - len(closed)
    return line + (f", {n_open:,} open" if n_open else "")


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
    bars = fastbt.load(
        args.source,
        interval=args.interval,
        store=args.store,
        ffill=args.ffill,
        **_load_options(args),
    )
    kwargs = _execution_options(args) | dict(args.param)
    strategy = args.strategy
    if args.signals is not None:
        from fastbt.data.signals_file import read_signals

        kwargs["signals"] = read_signals(args.signals, **_date_options(args))
    elif strategy is None:
        strategy = "ma_cross"
    if args.command == "verify":
        result = fastbt.verify(bars, strategy, **kwargs)
        if not args.json:
            print("fast and reference engines agree")
    else:
        result = fastbt.run(bars, strategy, engine=args.engine, **kwargs)
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

    _check_ranking(args)
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
        _write_reports(
            args, lambda: render_sweep_html(table, args.sort, args.top, min_trades=args.min_trades)
        )
    return 0


def _command_strategies(args) -> None:
    import fastbt

    for strategy in fastbt.list_strategies():
        print(f"{strategy.name}: {strategy.description}")
        for rule, expression in strategy.rules.rules if strategy.rules is not None else ():
            print(f"    {rule}: {expression!r}")
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


def _run_sweep(args):
    """``fastbt.sweep`` with the sweep command's arguments."""
    import fastbt

    return fastbt.sweep(
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
        load_options=_load_options(args),
        blocks=_blocks(args),
        **_execution_options(args),
    )


def _blocks(args) -> int | None:
    """``--blocks``, or 16 when ``--pbo`` asks for the verdict without it."""
    return 16 if args.blocks is None and args.pbo else args.blocks


def _print_verdict(verdict) -> None:
    from fastbt.sweep.verdict import verdict_facts

    for _, row in verdict.table.iterrows():
        print(f"\nIs the best set real? {row.symbol}")
        for name, text in verdict_facts(row):
            print(f"  {name}: {text}")


def _kept_after_interrupt(args) -> str:
    """What an interrupted sweep left behind and the command that continues it."""
    import shlex
    from pathlib import Path

    from fastbt.sweep.results import MANIFEST, part_ids

    if args.out is None:
        return "nothing kept (use --out DIR to keep partial results)"
    try:
        n_chunks = json.loads((Path(args.out) / MANIFEST).read_text())["n_chunks"]
    except (OSError, ValueError, KeyError):
        return f"nothing kept in {args.out} (the sweep had not started)"
    again = args.argv + ([] if args.resume else ["--resume"])
    return (
        f"{len(part_ids(args.out))} of {n_chunks} chunks kept in {args.out}; "
        f"resume with `fastbt {shlex.join(again)}`"
    )


def _command_sweep(args) -> int:
    import fastbt
    from fastbt.formatting import json_default, json_safe
    from fastbt.kernels.metrics import METRIC_NAMES
    from fastbt.sweep.analysis import traded

    _check_ranking(args)
    if args.sort not in METRIC_NAMES:
        raise ValueError(f"--sort must be a metric ({', '.join(METRIC_NAMES)}), got {args.sort!r}")
    _check_report_paths(args)
    try:
        table = _run_sweep(args)
    except KeyboardInterrupt:
        sys.stderr.write(f"fastbt: interrupted: {_kept_after_interrupt(args)}\n")
        return EXIT_INTERRUPTED
    info = table.attrs["sweep"]
    leaders = fastbt.top(table, args.top, args.sort, args.min_trades)
    not_ranked = len(table) - len(traded(table, args.min_trades))
    verdict = None
    if args.pbo:
        verdict = fastbt.sweep_verdict(table, progress=not args.no_progress and not args.json)
    args.verdict = verdict
    if args.json:
        payload = {
            key: info[key]
            for key in (
                "strategy",
                "symbols",
                "n_sets",
                "n_invalid",
                "n_rows",
                "n_computed",
                "n_resumed",
                "seconds",
                "sets_per_second",
                "bar_evaluations_per_second",
            )
        }
        payload["min_trades"] = args.min_trades
        payload["n_not_ranked"] = not_ranked
        payload["top"] = leaders.to_dict(orient="records")
        if verdict is not None:
            payload["verdict"] = verdict.table.to_dict(orient="records")
        print(json.dumps(json_safe(payload), allow_nan=False, default=json_default))
        _write_reports(args, lambda: _render_sweep(table, args))
        return 0
    if len(leaders):
        stops = [name for name, _ in args.grid if name in GRID_OPTIONS]
        print(_rows_table(leaders, args.strategy, args.sort, stops))
    if not_ranked:
        print(_not_ranked_note(not_ranked, len(table), args.min_trades))
    print(
        f"{info['n_rows']:,} backtests ({info['n_sets']:,} sets x {len(info['symbols'])} "
        f"symbol(s)){_throughput(info)}; {info['n_invalid']:,} invalid sets dropped"
    )
    if verdict is not None:
        _print_verdict(verdict)
    _write_reports(args, lambda: _render_sweep(table, args))
    return 0


def _throughput(info: dict) -> str:
    """What this call computed and how fast; rows read back by a resume are not counted."""
    computed, resumed = info["n_computed"], info["n_rows"] - info["n_computed"]
    seconds = f"{info['seconds']:.2f} s"
    if not resumed:
        rates = f"{info['sets_per_second']:,.0f} sets/s, "
        return f" in {seconds}: {rates}{info['bar_evaluations_per_second']:.3g} bar-evaluations/s"
    kept = f"{resumed:,} read back from {info['n_resumed']:,} saved chunk(s)"
    if not computed:
        return f": 0 computed, all {kept} in {seconds}"
    return (
        f": {computed:,} computed in {seconds} ({info['sets_per_second']:,.0f} sets/s, "
        f"{info['bar_evaluations_per_second']:.3g} bar-evaluations/s), {kept}"
    )


def _render_sweep(table, args) -> str:
    from fastbt.report import render_sweep_html

    return render_sweep_html(
        table,
        args.sort,
        max(args.top, 20),
        min_trades=args.min_trades,
        verdict=getattr(args, "verdict", None),
    )


def _rows_table(rows, strategy: str, metric: str, options=()) -> str:
    """Sweep rows as text: symbol, parameters (and the run ``options`` swept over),
    the ranking metric and a few others."""
    import fastbt
    from fastbt.formatting import format_metric

    params = [p.name for p in fastbt.get_strategy(strategy).params] + list(options)
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
        timeout=args.timeout,
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
        _import(market, args)
    elif args.action == "export":
        _export(market.read(args.symbol, interval=args.interval), args.to)
        print(f"wrote {args.to}")
    elif not market.delete(args.symbol, interval=args.interval):
        raise ValueError(f"no {args.interval} bars stored for {args.symbol.upper()}")
    else:
        print(f"deleted {args.symbol.upper()} ({args.interval})")
    return 0


def _import(market, args) -> None:
    """``data import``: validate the file (every ticker, with --split-symbols), then store."""
    import fastbt
    from fastbt.data.load import load_symbols

    options = _load_options(args) | dict(ffill=args.ffill)
    if args.split_symbols:
        if args.symbol is not None or args.ticker is not None:
            raise ValueError(
                "--split-symbols stores every ticker under its own name; drop --symbol/--ticker"
            )
        del options["symbol"]
        frames = load_symbols(args.file, **options)
    else:
        name = args.symbol or args.ticker
        if name is None:
            raise ValueError(
                "give --symbol NAME to store the bars under (or --ticker, or "
                "--split-symbols for a file of several tickers)"
            )
        frames = {name: fastbt.load(args.file, **options)}
    # One file, one choice of adjusted or raw prices: stored, so the two are never merged.
    adjusted = next(iter(frames.values())).attrs.get("adjusted")
    rows = market.write_many(frames, interval=args.interval, source="import", adjusted=adjusted)
    for name, count in rows.items():
        print(f"{name}: {count:,} rows stored ({args.interval})")


def _export(bars, target: str) -> None:
    """Write bars to .csv or .parquet, chosen by the file's suffix."""
    suffix = target.rsplit(".", 1)[-1].lower() if "." in target else ""
    if suffix == "csv":
        bars.to_csv(target)
    elif suffix in ("parquet", "pq"):
        bars.to_parquet(target)
    else:
        raise ValueError(f"--to must end in .csv or .parquet, got {target!r}")


def _command_walkforward(args) -> int:
    """``walkforward``: in fastbt.walkforward.cli."""
    from fastbt.walkforward.cli import command_walkforward

    return command_walkforward(args)


def _command_portfolio(args) -> int:
    """``portfolio``: in fastbt.portfolio.cli."""
    from fastbt.portfolio.cli import command_portfolio

    return command_portfolio(args)


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
    "walkforward": _command_walkforward,
    "portfolio": _command_portfolio,
    "report": _command_report,
    "fetch": _command_fetch,
    "data": _command_data,
    "serve": _command_server,
    "user": _command_server,
}


def _silence_stdout() -> None:
    """The reader of stdout went away (``fastbt data ls | head``): send the rest of the
    output, and Python's flush at exit, to devnull, so the command ends quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``fastbt`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # to print the command that resumes an interrupted sweep
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from fastbt.errors import DataWarning, RunWarning, SweepError, VerificationError

        try:
            for source in getattr(args, "imports", ()):
                from fastbt.strategies import import_strategies

                import_strategies(source)
            status = _COMMANDS[args.command](args) or 0
            sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        except BrokenPipeError:
            _silence_stdout()
            return 0
        except KeyboardInterrupt:
            sys.stderr.write("fastbt: interrupted\n")
            return EXIT_INTERRUPTED
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
