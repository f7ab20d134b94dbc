"""``fastbt serve`` and ``fastbt user add``: argparse wiring and handlers.

Importing this module does not import FastAPI, so ``fastbt run`` stays light;
the handlers import the server's libraries and say so if the extra is missing.
"""

import argparse
import importlib
import socket
import sys

from fastbt.server.settings import (
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_GRID,
    DEFAULT_MAX_PORTFOLIO_CELLS,
    DEFAULT_MAX_QUEUED,
    DEFAULT_REPORT_CACHE,
    Settings,
)
from fastbt.storage.location import fastbt_home

EXTRA_HINT = "the server needs the optional server extra: pip install 'fastbt[server]'"


def add_commands(commands) -> None:
    """Add ``serve`` and ``user`` to the ``fastbt`` command's subparsers."""
    serve = commands.add_parser("serve", help="run the REST API (backtests as a service)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    serve.add_argument("--workers", type=int, default=2, help="backtests run at once")
    serve.add_argument(
        "--max-grid",
        type=int,
        default=DEFAULT_MAX_GRID,
        help=f"most backtests (sets x symbols) per sweep (default {DEFAULT_MAX_GRID:,})",
    )
    serve.add_argument(
        "--max-portfolio-cells",
        type=int,
        default=DEFAULT_MAX_PORTFOLIO_CELLS,
        help="most symbols x bars per portfolio backtest "
        f"(default {DEFAULT_MAX_PORTFOLIO_CELLS:,})",
    )
    serve.add_argument(
        "--max-body",
        type=int,
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help=f"largest request body (default {DEFAULT_MAX_BODY:,})",
    )
    serve.add_argument(
        "--max-queued-per-user",
        type=int,
        default=DEFAULT_MAX_QUEUED,
        metavar="N",
        help=f"waiting backtests (and, apart, sweeps) one user may have; more get 429 "
        f"(default {DEFAULT_MAX_QUEUED})",
    )
    serve.add_argument(
        "--max-running-per-user",
        type=int,
        default=None,
        metavar="N",
        help="backtests of one user that run at once (default: half of --workers, at least 1)",
    )
    serve.add_argument(
        "--report-cache",
        type=int,
        default=DEFAULT_REPORT_CACHE,
        metavar="N",
        help=f"rendered charts and reports kept per run, least recently used go first "
        f"(default {DEFAULT_REPORT_CACHE})",
    )
    serve.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first, e.g. one that registers your strategies; repeatable",
    )
    user = commands.add_parser("user", help="manage the API's users")
    actions = user.add_subparsers(dest="action", required=True, metavar="ACTION")
    adding = actions.add_parser("add", help="create a user and print its token (shown once)")
    adding.add_argument("name")
    for parser in (serve, adding):
        parser.add_argument(
            "--db",
            default=None,
            metavar="URL",
            help="SQLAlchemy URL (default: SQLite in the store)",
        )
        parser.add_argument(
            "--store", default=None, metavar="DIR", help="data directory (default $FASTBT_HOME)"
        )


def _settings(args: argparse.Namespace, **limits) -> Settings:
    return Settings(home=fastbt_home(args.store), db_url=args.db, **limits)


def _require(*modules: str) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise ValueError(EXTRA_HINT) from None


def _database(url: str):
    """The database at ``url``; a malformed URL is a one-line error."""
    from sqlalchemy.exc import SQLAlchemyError

    from fastbt.server.db import Database

    try:
        return Database(url)
    except (SQLAlchemyError, ImportError) as error:
        raise ValueError(f"--db {url}: {error}") from None


def _check_database(db) -> None:
    """Connect once, so an unreachable database fails before the server starts."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with db.engine.connect():
            pass
    except SQLAlchemyError as error:
        raise ValueError(f"database {db.engine.url!r}: {str(error).splitlines()[0]}") from None


def _listen(host: str, port: int) -> socket.socket:
    """The bound listening socket, so a taken port or bad host is a one-line error."""
    try:
        family, kind, proto = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][:3]
        # proto must say TCP: asyncio turns Nagle off only on sockets that do, and with
        # Nagle on, small answers wait 40 ms for a delayed ACK.
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(2048)  # clients may connect now; they are served after start-up
    except OSError as error:
        raise ValueError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return listener


def command_serve(args: argparse.Namespace) -> int:
    """Run the API in this process until interrupted."""
    _require("fastapi", "uvicorn", "sqlalchemy", "swagger_ui_bundle")
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be 0-65535, got {args.port}")
    settings = _settings(
        args,
        workers=args.workers,
        max_grid=args.max_grid,
        max_body=args.max_body,
        max_portfolio_cells=args.max_portfolio_cells,
        max_queued_per_user=args.max_queued_per_user,
        max_running_per_user=args.max_running_per_user,
        report_cache=args.report_cache,
        imports=tuple(args.imports),
    )
    for module in args.imports:
        try:
            importlib.import_module(module)
        except ImportError as error:
            raise ValueError(f"--import {module}: {error}") from None
    import uvicorn

    from fastbt.server.app import create_app

    probe = _database(settings.database)
    try:
        _check_database(probe)
    finally:
        probe.dispose()
    app = create_app(settings)
    listener = _listen(args.host, args.port)
    port = listener.getsockname()[1]
    address = f"[{args.host}]" if ":" in args.host else args.host
    sys.stderr.write(
        f"fastbt: listening on http://{address}:{port} (API docs at /docs); "
        f"run files in {settings.runs_root}\n"
    )
    sys.stderr.flush()
    config = uvicorn.Config(app, host=args.host, port=port, log_level="info")
    uvicorn.Server(config).run(sockets=[listener])
    return 0


def command_user(args: argparse.Namespace) -> int:
    """``user add NAME``: print the new user's token, the only time it is shown."""
    _require("sqlalchemy")
    from fastbt.server.auth import create_user

    db = _database(_settings(args).database)
    try:
        _check_database(db)
        db.create_tables()
        token = create_user(db, args.name)
    finally:
        db.dispose()
    print(token)
    sys.stderr.write("fastbt: store this token now; only its hash is kept\n")
    return 0


COMMANDS = {"serve": command_serve, "user": command_user}


def run(args: argparse.Namespace) -> int:
    """Dispatch a parsed ``serve`` or ``user`` command."""
    return COMMANDS[args.command](args)
