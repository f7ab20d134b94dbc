"""What one server instance is configured with (``fastbt serve`` options)."""

from dataclasses import dataclass, field
from pathlib import Path

from fastbt.storage.location import fastbt_home

DEFAULT_MAX_GRID = 100_000  # backtests per sweep (parameter sets x symbols)
DEFAULT_MAX_BODY = 1 << 20  # bytes per request body


def default_db_url(home: Path) -> str:
    """The embedded database: a SQLite file under the data directory."""
    return f"sqlite:///{home / 'server' / 'fastbt.db'}"


@dataclass(frozen=True)
class Settings:
    """Where the server keeps its data and how much work it accepts.

    ``home`` holds the market store and the run files (``home/server``);
    ``db_url`` is any SQLAlchemy URL (default: SQLite under ``home``);
    ``workers`` backtests run at once (sweeps run one at a time on all cores).
    """

    home: Path = field(default_factory=fastbt_home)
    db_url: str | None = None
    workers: int = 2
    max_grid: int = DEFAULT_MAX_GRID
    max_body: int = DEFAULT_MAX_BODY

    def __post_init__(self):
        for name in ("workers", "max_grid", "max_body"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}")

    @property
    def database(self) -> str:
        return self.db_url or default_db_url(self.home)

    @property
    def runs_root(self) -> Path:
        """Directory of the run files (equity, trades, sweep tables)."""
        return self.home / "server"
