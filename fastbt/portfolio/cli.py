"""``fastbt portfolio``: several symbols, one cash balance (docs/portfolios.md, "Command
line"). It reuses the run command's execution flags from ``fastbt.cli``."""

import argparse

import numpy as np
import pandas as pd

from fastbt.portfolio.weights import CALENDAR


def _rebalance(text: str) -> str | int:
    """``M`` (D, W, M, Q) or a whole number of bars."""
    if text.upper() in CALENDAR:
        return text.upper()
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise argparse.ArgumentTypeError(
        f"expected one of {', '.join(CALENDAR)} or a whole number of bars >= 1, got {text!r}"
    )


def add_portfolio_parser(commands) -> argparse.ArgumentParser:
    """The ``portfolio`` subcommand's parser, added to ``commands``."""
    from fastbt import cli

    pf = commands.add_parser("portfolio", help="backtest several symbols sharing one cash balance")
    pf.add_argument(
        "symbols",
        nargs="+",
        metavar="SYMBOL",
        help="symbols (store or samples), files, or NAME=FILE to name a file",
    )
    source = pf.add_mutually_exclusive_group()
    source.add_argument(
        "-s", "--strategy", default=None, help="momentum_rotation, or a strategy run per symbol"
    )
    source.add_argument(
        "--weights",
        default=None,
        metavar="FILE.csv",
        help="target weights: a timestamp column, then one column per symbol (0..1, empty: no order)",
    )
    pf.add_argument(
        "-p",
        "--param",
        type=cli._param,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="strategy parameter, repeatable",
    )
    pf.add_argument(
        "--rebalance",
        type=_rebalance,
        default=None,
        help="momentum_rotation schedule: D, W, M (default), Q or every N bars",
    )
    pf.add_argument(
        "--align",
        choices=("inner", "ffill"),
        default=None,
        help="put the symbols on one timestamp index first (default: they must share one)",
    )
    pf.add_argument("--order-sequence", choices=("value", "symbol"), default="value")
    pf.add_argument(
        "--no-partial",
        dest="partial",
        action="store_false",
        help="skip a buy the cash cannot pay in full (default: cut it to the cash)",
    )
    pf.add_argument("--engine", choices=("fast", "reference"), default="fast")
    cli._add_execution_options(pf)
    pf.add_argument("--interval", default=None, help="bar interval of stored symbols")
    cli._add_load_options(pf)
    cli._add_store_option(pf)
    cli._add_report_options(pf)
    return pf


def _sources(symbols: list[str]) -> dict:
    """``{name: source}``: NAME=FILE names a file, anything else names itself."""
    sources = {}
    for text in symbols:
        name, sep, path = text.partition("=")
        name, source = (name, path) if sep and name and path else (text, text)
        if name in sources:
            raise ValueError(f"symbol {name} is given twice; give each symbol once")
        sources[name] = source
    return sources


def read_weights(path: str, index: pd.DatetimeIndex, symbols) -> pd.DataFrame:
    """The weights frame from a CSV: its first column the timestamps (each a bar of the
    data, each once; bars left out get no order), then one column per symbol. Unknown or
    missing symbols, timestamps that are no bar, and values that are not numbers in
    [0, 1] are errors naming the first one."""
    try:
        frame = pd.read_csv(path, index_col=0)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise ValueError(f"--weights {path}: cannot read it as CSV ({error})") from None
    columns = [str(c).strip() for c in frame.columns]
    unknown = [c for c in columns if c not in symbols]
    missing = [s for s in symbols if s not in columns]
    if unknown or missing or len(set(columns)) != len(columns):
        raise ValueError(
            f"--weights {path}: columns must be the symbols {', '.join(symbols)} once each; "
            f"not a symbol given: {', '.join(unknown) or 'none'}; "
            f"missing: {', '.join(missing) or 'none'}"
        )
    try:
        stamps = pd.DatetimeIndex(pd.to_datetime(frame.index, format="ISO8601"))
    except (ValueError, TypeError):
        raise ValueError(
            f"--weights {path}: the first column must hold ISO timestamps (2024-01-31 or "
            "2024-01-31T16:00:00)"
        ) from None
    if stamps.tz is None and index.tz is not None:
        raise ValueError(
            f"--weights {path}: the data's timestamps are in {index.tz}; write the weights' "
            "timestamps with their UTC offset"
        )
    if stamps.tz is not None and index.tz is None:
        raise ValueError(
            f"--weights {path}: the data's timestamps have no time zone; write the weights' "
            "timestamps without an offset"
        )
    if stamps.has_duplicates:
        raise ValueError(
            f"--weights {path}: timestamp {stamps[stamps.duplicated()][0]} appears twice"
        )
    outside = stamps.difference(index)
    if len(outside):
        raise ValueError(
            f"--weights {path}: timestamp {outside[0]} is not a bar of the data "
            f"({index[0]} .. {index[-1]}); give rows only for bars of the data"
        )
    frame.columns = columns
    try:
        values = frame.astype("float64")
    except (TypeError, ValueError):
        raise ValueError(
            f"--weights {path}: weights must be numbers (empty for no order)"
        ) from None
    values.index = stamps
    if not np.isfinite(values.to_numpy()[~values.isna().to_numpy()]).all():
        raise ValueError(f"--weights {path}: weights must be finite numbers in [0, 1]")
    return values.reindex(index)[list(symbols)]


def command_portfolio(args: argparse.Namespace) -> int:
    import sys

    import fastbt
    from fastbt import cli
    from fastbt.formatting import metrics_table
    from fastbt.portfolio.rotation import is_cross_sectional

    cli._check_report_paths(args)
    if args.strategy is None and args.weights is None:
        raise ValueError("give -s STRATEGY (e.g. -s momentum_rotation) or --weights FILE.csv")
    rotation = is_cross_sectional(args.strategy)
    if args.rebalance is not None and not rotation:
        raise ValueError("--rebalance applies to -s momentum_rotation only; leave it out")
    load_options = cli._load_options(args) | {"interval": args.interval, "store": args.store}
    load_options = {k: v for k, v in load_options.items() if v is not None}
    sources = _sources(args.symbols)
    if args.align is not None:
        alignment = fastbt.align(sources, how=args.align, **load_options)
        print(
            f"fastbt: note: {alignment.report()}".replace("\n", "\nfastbt: note: "), file=sys.stderr
        )
        bars = fastbt.universe(alignment)
    else:
        bars = fastbt.universe(sources, load_options)
    kwargs = cli._execution_options(args)
    params = dict(args.param)
    if args.weights is not None or rotation:
        # target weights take no size: drop the flags' defaults, refuse anything else
        if kwargs.get("size") == 1.0:
            del kwargs["size"]
        if kwargs.get("size_type") == "percent":
            del kwargs["size_type"]
    if args.rebalance is not None:
        params["rebalance"] = args.rebalance
    weights = None
    if args.weights is not None:
        if params:
            raise ValueError("-p parameters apply to a strategy, not to --weights; leave them out")
        weights = read_weights(args.weights, bars.index, bars.symbols)
    result = fastbt.run_portfolio(
        bars,
        args.strategy,
        weights,
        order_sequence=args.order_sequence,
        partial=args.partial,
        engine=args.engine,
        **kwargs,
        **params,
    )
    print(result)
    closed = result.closed_trades
    print(f"trades: {len(closed):,} closed, {len(result.trades) - len(closed):,} open")
    print(metrics_table(result.metrics))
    cli._write_reports(args, lambda: _render(result))
    return 0


def _render(result) -> str:
    from fastbt.report.portfolio import render_portfolio_html

    return render_portfolio_html(result)
