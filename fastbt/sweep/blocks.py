"""A sweep's block statistics (``fastbt.sweep(..., blocks=S)``): per symbol, every set's
per-block (count, mean, M2) of its bar returns, an (n_sets, S, 3) array in set order.

They travel in ``table.attrs["blocks"]`` as a ``SweepBlocks``, and with ``out=`` as one
``blocks-000123.npy`` per chunk next to that chunk's Parquet part (written first, so a
part that exists always has its blocks). ``load_sweep`` reads them back.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fastbt.storage.files import replace_atomically

ATTR = "blocks"
BLOCKS_GLOB = "blocks-*.npy"


@dataclass(frozen=True, eq=False)
class SweepBlocks:
    """``stats[symbol]``: (n_sets, S, 3) block statistics of that symbol's sets, in set
    order (the table's row order within the symbol); ``n_trimmed[symbol]``: the oldest
    bars left out of the blocks (``n_bars mod S``)."""

    blocks: int
    stats: dict
    n_trimmed: dict

    # pandas deep-copies attrs on most operations; the arrays are read-only, so a
    # filtered or sorted table shares them instead of copying hundreds of MB.
    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    def __repr__(self) -> str:
        sizes = ", ".join(f"{s}: {len(a):,} sets" for s, a in self.stats.items())
        return f"SweepBlocks(blocks={self.blocks}, {sizes})"


class BlockCollector:
    """Per-symbol arrays filled chunk by chunk as chunks finish, in any order."""

    def __init__(self, symbols: list[str], n_sets: int, blocks: int, n_trimmed: dict):
        self.blocks = blocks
        self.n_trimmed = n_trimmed
        self.stats = {s: np.empty((n_sets, blocks, 3)) for s in symbols}

    def add(self, chunk, stats: np.ndarray) -> None:
        self.stats[chunk.symbol][chunk.start : chunk.stop] = stats

    def finish(self) -> SweepBlocks:
        for array in self.stats.values():
            array.flags.writeable = False
        return SweepBlocks(self.blocks, self.stats, self.n_trimmed)


def blocks_path(directory, chunk_id: int) -> Path:
    return Path(directory) / f"blocks-{chunk_id:06d}.npy"


def write_blocks(directory, chunk_id: int, stats: np.ndarray) -> None:
    """One chunk's block statistics, written atomically."""
    replace_atomically(blocks_path(directory, chunk_id), lambda sink: np.save(sink, stats))


def read_blocks(directory, chunk_id: int) -> np.ndarray:
    path = blocks_path(directory, chunk_id)
    try:
        return np.load(path)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{path}: unreadable block statistics ({error}); delete it and its part and "
            "resume to recompute that chunk"
        ) from None


def save_blocks(blocks: SweepBlocks, directory) -> None:
    """A whole table's block statistics as ``blocks-000000.npy`` (symbols in order)."""
    write_blocks(directory, 0, np.concatenate(list(blocks.stats.values())))


def load_blocks(directory, summary: dict) -> SweepBlocks | None:
    """The block statistics saved in a sweep directory, None for a sweep without them."""
    if not summary.get("blocks"):
        return None
    symbols, n_sets = summary["symbols"], summary["n_sets"]
    collector = BlockCollector(symbols, n_sets, summary["blocks"], summary["n_trimmed"])
    files = sorted(Path(directory).glob(BLOCKS_GLOB))
    row, n_rows = 0, n_sets * len(symbols)
    for path in files:
        part = read_blocks(directory, int(path.stem.split("-")[1]))
        while len(part) and row < n_rows:  # chunks run symbol by symbol, sets in order
            position, offset = divmod(row, n_sets)
            take = min(len(part), n_sets - offset)
            collector.stats[symbols[position]][offset : offset + take] = part[:take]
            row, part = row + take, part[take:]
        row += len(part)  # rows beyond the sweep: counted, so the check below fails
    if row != n_rows:
        raise ValueError(
            f"{directory}: block statistics cover {row:,} rows, the sweep has "
            f"{n_sets * len(symbols):,}; rerun the sweep with blocks= to rebuild them"
        )
    return collector.finish()
