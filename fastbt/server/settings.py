"""What one server instance is configured with (``fastbt serve`` options)."""

from dataclasses import dataclass, field
from pathlib import Path

from fastbt.storage.location import fastbt_home

DEFAULT_MAX_GRID = 100_000  # backtests per sweep (parameter sets x symbols)
DEFAULT_MAX_BODY = 1 << 20  # bytes per request body
DEFAULT_MAX_PORTFOLIO_CELLS = 2_000_000  # symbols x bars per portfolio backtest
DEFAULT_MAX_QUEUED = 20  # waiting backtests (and, separately, sweeps) per user
DEFAULT_REPORT_CACHE = 16  # rendered charts and reports kept per run


def default_db_url(home: Path) -> str:
    """The embedded database: a SQLite file under the data directory."""
    return f"sqlite:///{home / 'server' / 'fastbt.db'}"


@dataclass(frozen=True)
class Settings:
    """Where the server keeps its data and how much work it accepts.

    ``home`` holds the market store and the run files (``home/server``);
    ``db_url`` is any SQLAlchemy URL (default: SQLite under ``home``);
    ``workers`` backtests run at once (sweeps run one at a time on all cores);
    a user may have ``max_queued_per_user`` backtests and as many sweeps waiting,
    and ``max_running_per_user`` backtests running (default: half the workers, at
    least one, so one user's runs always leave room for another's);
    a portfolio backtest has at most ``max_portfolio_cells`` symbols x bars;
    ``report_cache`` rendered charts and reports are kept per run.
    """

    home: Path = field(default_factory=fastbt_home)
    db_url: str | None = None
    workers: int = 2
    max_grid: int = DEFAULT_MAX_GRID
    max_body: int = DEFAULT_MAX_BODY
    max_portfolio_cells: int = DEFAULT_MAX_PORTFOLIO_CELLS
    max_queued_per_user: int = DEFAULT_MAX_QUEUED
    max_running_per_user: int | None = None  # None: half the workers, at least one
    report_cache: int = DEFAULT_REPORT_CACHE
    imports: tuple[str, ...] = ()  # modules imported first (they register strategies)

    def __post_init__(self):
        limits = (
            "workers",
            "max_grid",
            "max_body",
            "max_portfolio_cells",
            "max_queued_per_user",
            "report_cache",
        )
        for name in (*limits, "max_running_per_user"):
            value = getattr(self, name)
            if value is None and name == "max_running_per_user":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")

    @property
    def running_per_user(self) -> int:
        return self.max_running_per_user or max(1, self.workers // 2)

    @property
    def database(self) -> str:
        return self.db_url or default_db_url(self.home)

    @property
    def runs_root(self) -> Path:
        """Directory of the run files (equity, trades, sweep tables)."""
        return self.home / "server"
