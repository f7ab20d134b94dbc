"""The database: users, backtests and sweeps (SQLAlchemy 2.x), and its sessions.

Metrics and run metadata live here; per-bar series, trades and sweep tables
live as Parquet files (``fastbt.server.storage``). Any SQLAlchemy URL works
(SQLite and PostgreSQL are tested); SQLite files get WAL mode and a busy timeout
so request threads and worker threads can write at the same time.
"""

import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    event,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

PENDING, RUNNING, COMPLETED, FAILED = "pending", "running", "completed", "failed"
STATUSES = (PENDING, RUNNING, COMPLETED, FAILED)
INTERRUPTED = "interrupted: the server stopped while this run was in progress"


# Ids are 64-bit as the API allows (PostgreSQL's INTEGER is 32-bit); SQLite keeps
# INTEGER, the only type its AUTOINCREMENT accepts (its integers are 64-bit anyway).
Id = BigInteger().with_variant(Integer, "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    """An API user; the token is stored only as a salted scrypt hash."""

    __tablename__ = "users"
    __table_args__: ClassVar[dict] = {"sqlite_autoincrement": True}  # ids never reused

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    token_salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class _Run:
    """Columns shared by backtests and sweeps: who, what, and how it went."""

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    strategy: Mapped[str] = mapped_column(String(100))
    rules: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # a rule strategy's JSON
    interval: Mapped[str] = mapped_column(String(8), default="1d")
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Backtest(_Run, Base):
    """One backtest: a strategy with parameters on a symbol (or uploaded bars)."""

    __tablename__ = "backtests"
    __table_args__: ClassVar[dict] = {"sqlite_autoincrement": True}  # ids never reused

    owner_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id"), index=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    symbol: Mapped[str | None] = mapped_column(String(40), nullable=True)
    data_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    start: Mapped[str | None] = mapped_column(String(40), nullable=True)
    end: Mapped[str | None] = mapped_column(String(40), nullable=True)
    n_bars: Mapped[int | None] = mapped_column(Integer, nullable=True)
    metrics: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    warnings: Mapped[list | None] = mapped_column(JSON, nullable=True)  # DataWarning texts
    # Portfolios (docs/service.md): kind "portfolio" (NULL, in rows of older versions,
    # means "single"), and the symbols, order_sequence, partial, align and weights flag.
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    portfolio: Mapped[dict | None] = mapped_column(JSON, nullable=True)

    @property
    def data(self) -> str:
        """Where the bars come from: a symbol, or bars uploaded with the request."""
        return "symbol" if self.data_ref is None else "upload"

    @property
    def is_portfolio(self) -> bool:
        return self.kind == "portfolio"


class Sweep(_Run, Base):
    """A parameter grid over symbols; progress counts finished chunks."""

    __tablename__ = "sweeps"
    __table_args__: ClassVar[dict] = {"sqlite_autoincrement": True}  # ids never reused

    owner_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id"), index=True)
    grid: Mapped[dict] = mapped_column(JSON, default=dict)
    symbols: Mapped[list] = mapped_column(JSON, default=list)
    n_sets: Mapped[int] = mapped_column(Integer, default=0)
    n_total: Mapped[int] = mapped_column(Integer, default=0)
    n_done: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    sample: Mapped[int | None] = mapped_column(Integer, nullable=True)
    seed: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # up to 2**32 - 1
    chunk_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    summary: Mapped[dict | None] = mapped_column(JSON, nullable=True)


def _sqlite_pragmas(connection, _record) -> None:
    """WAL lets readers and one writer work at once; waiting beats 'database is locked'."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only (0600), so the token hashes
    and runs are not world-readable; SQLite gives its -wal and -shm files the
    database file's mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    with contextlib.suppress(PermissionError):  # a file another account owns stays as it is
        os.chmod(path, 0o600)  # a file created before, with the process's umask


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder created and WAL mode."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        _private_file(Path(parsed.database).expanduser())
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """The engine, a session factory, table creation and start-up recovery."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def create_tables(self) -> None:
        """Create missing tables, and add the nullable columns newer versions added
        (``Backtest.warnings``, ``kind``, ``portfolio``, ``rules``) to tables an older
        version created."""
        # Another process may create them at the same moment: SQLite then says the
        # database is locked or the table exists, PostgreSQL that the table or its row
        # type exists. Each such failure means one more table exists, so try once more
        # per table.
        tries = len(Base.metadata.tables) + 1
        for attempt in range(tries):
            try:
                Base.metadata.create_all(self.engine)
                self._add_new_columns()
                return
            except (OperationalError, IntegrityError, ProgrammingError):
                if attempt == tries - 1:
                    raise

    def _add_new_columns(self) -> None:
        inspector = inspect(self.engine)
        with self.engine.begin() as connection:
            for table in Base.metadata.sorted_tables:
                present = {column["name"] for column in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in present and column.nullable:
                        kind = column.type.compile(dialect=self.engine.dialect)
                        connection.execute(
                            text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")
                        )

    def fail_interrupted(self) -> list[int]:
        """Mark runs left pending or running by a stopped server as failed; return the
        ids of the sweeps among them (their partial tables are to be removed).

        Called once at start-up, before any worker runs (docs/service.md says why
        runs are failed rather than re-queued).
        """
        unfinished = (PENDING, RUNNING)
        with self.session() as session, session.begin():
            sweeps = list(session.scalars(select(Sweep.id).where(Sweep.status.in_(unfinished))))
            for model in (Backtest, Sweep):
                session.execute(
                    update(model)
                    .where(model.status.in_(unfinished))
                    .values(status=FAILED, error=INTERRUPTED, finished_at=utcnow())
                )
        return sweeps

    def dispose(self) -> None:
        self.engine.dispose()
