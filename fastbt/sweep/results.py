"""Sweep results streamed to a Parquet dataset, one file per finished chunk.

``out/manifest.json`` describes the sweep (its spec and a hash of it) and the
chunk plan; ``out/part-000123.parquet`` holds chunk 123's rows, written
atomically, so a part either exists complete or not at all. Resuming skips the
chunks whose parts exist and refuses a directory that holds another sweep.
"""

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa

from fastbt.storage.files import StoreError, read_parquet, write_atomic, write_text_atomic

MANIFEST = "manifest.json"
PART_GLOB = "part-*.parquet"


def part_path(directory: Path, chunk_id: int) -> Path:
    """Where chunk ``chunk_id``'s rows live in a sweep directory."""
    return Path(directory) / f"part-{chunk_id:06d}.parquet"


def part_ids(directory: Path) -> list[int]:
    """Chunk ids whose parts exist in ``directory`` (none if it does not exist)."""
    return [int(p.stem.split("-")[1]) for p in Path(directory).glob(PART_GLOB)]


def spec_hash(spec: dict) -> str:
    """Stable fingerprint of everything that determines the sweep's rows."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()


def _read_manifest(path: Path) -> dict | None:
    """The manifest in ``path``, None if there is none; a clear error if unreadable."""
    manifest = path / MANIFEST
    if path.exists() and not path.is_dir():
        raise ValueError(f"out={path} is a file, not a directory")
    if not manifest.exists():
        return None
    try:
        return json.loads(manifest.read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{manifest}: unreadable sweep manifest ({error})") from None


def stored_chunk_size(path) -> int | None:
    """Chunk size of the sweep already in ``path`` (a resume must plan the same chunks)."""
    manifest = _read_manifest(Path(path))
    return None if manifest is None else manifest.get("chunk_size")


class ResultsDir:
    """A sweep's output directory: manifest plus one Parquet part per chunk."""

    def __init__(self, path, spec: dict, chunk_size: int, n_chunks: int, resume: bool):
        self.path = Path(path)
        self.manifest = {
            "spec": spec,
            "hash": spec_hash(spec),
            "chunk_size": chunk_size,
            "n_chunks": n_chunks,
        }
        existing = self.path / MANIFEST
        stored = _read_manifest(self.path)
        if stored is not None:
            if not resume:
                raise ValueError(
                    f"{self.path} already holds sweep results; pass resume=True (CLI: --resume) "
                    "to continue them, or choose another directory"
                )
            if stored.get("hash") != self.manifest["hash"]:
                raise ValueError(
                    f"{self.path} holds a different sweep (other data, strategy, parameter "
                    "sets or options); use another directory to start a new one"
                )
            if stored.get("chunk_size") != chunk_size:
                raise ValueError(
                    f"{self.path} was run with chunk_size={stored.get('chunk_size')}; resume "
                    "with that chunk size (or leave chunk_size unset)"
                )
        elif self.path.exists() and any(self.path.iterdir()):
            raise ValueError(f"{self.path} is not empty and holds no sweep manifest")
        self.path.mkdir(parents=True, exist_ok=True)
        write_text_atomic(existing, json.dumps(self.manifest, indent=1, default=str))

    def part(self, chunk_id: int) -> Path:
        return part_path(self.path, chunk_id)

    def done(self, chunk_id: int) -> bool:
        return self.part(chunk_id).exists()

    def write(self, chunk_id: int, rows: pd.DataFrame) -> None:
        write_atomic(pa.Table.from_pandas(rows, preserve_index=False), self.part(chunk_id))

    def read(self, chunk_id: int) -> pd.DataFrame:
        try:
            return read_parquet(self.part(chunk_id)).to_pandas()
        except StoreError as error:
            raise ValueError(f"{error}; delete it and resume to recompute that chunk") from None
