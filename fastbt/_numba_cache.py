"""Choose where Numba keeps compiled kernels before any kernel is decorated.

Two jobs. (1) Numba keys a cache entry on the file of the function itself, so a
kernel calling a helper in another file (``sweep`` -> ``simulate`` -> ``fills``)
would keep running stale compiled code after the helper changed. The cache
therefore lives in a directory named after a hash of every ``fastbt/kernels``
source: any kernel edit starts a fresh cache. (2) Numba caches next to the
source files, then in a per-user directory; when neither is writable (read-only
site-packages and a locked-down home) decorating a cached function fails and so
would ``import fastbt``. Here we find a writable place first, and turn caching
off only when there is none at all.
"""

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

_KERNELS = Path(__file__).parent / "kernels"
_KERNELS_CACHE = _KERNELS / "__pycache__"
_DIGEST = re.compile(r"[0-9a-f]{16}")
_KEEP = 4  # most recently used cache versions kept per base (several checkouts may share one)


def kernels_digest() -> str:
    """16 hex digits of SHA-256 over the name and contents of every ``kernels/*.py``."""
    digest = hashlib.sha256()
    for path in sorted(_KERNELS.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _writable(directory: Path) -> bool:
    """Whether files can be created in ``directory`` (created if missing)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            return True
    except OSError:
        return False


def _fallback_dirs() -> list[Path]:
    """Per-user cache directory, then a per-user folder in the temp directory."""
    candidates = []
    try:
        import platformdirs

        candidates.append(Path(platformdirs.user_cache_dir("fastbt")) / "numba")
    except Exception:  # platformdirs cannot resolve a home: skip to the temp dir
        pass
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    candidates.append(Path(tempfile.gettempdir()) / f"fastbt-numba-{uid}")
    return candidates


def _prune(base: Path, current: Path) -> None:
    """Mark ``current`` as just used and delete all but the ``_KEEP`` most recently
    used cache versions beside it, and any unkeyed cache files an older fastbt left
    directly in ``base`` (best effort: another process may be pruning too)."""
    try:
        os.utime(current)
        versions = [p for p in base.iterdir() if _DIGEST.fullmatch(p.name) and p.is_dir()]
        versions.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in base.glob("*.nb[ic]"):
            stale.unlink(missing_ok=True)
    except OSError:
        return
    for old in versions[_KEEP:]:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)


def configure_numba_cache() -> bool:
    """Point ``NUMBA_CACHE_DIR`` at ``<base>/<kernels_digest()>``; return whether caching is on.

    The base is ``NUMBA_CACHE_DIR`` when set and writable, else the package's own
    ``kernels/__pycache__`` when writable, else the first writable fallback. A
    ``NUMBA_CACHE_DIR`` that already ends in a digest was set by a fastbt process
    we were started from: its parent is the base.
    """
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen and _DIGEST.fullmatch(Path(chosen).name):
        chosen = str(Path(chosen).parent)
    if chosen:
        bases = [Path(chosen), *_fallback_dirs()]
    else:
        bases = [_KERNELS_CACHE, *_fallback_dirs()]
    digest = kernels_digest()
    for base in bases:
        directory = base / digest
        if _writable(directory):
            os.environ["NUMBA_CACHE_DIR"] = str(directory)
            _tell_loaded_numba(str(directory))
            _prune(base, directory)
            return True
    return False


def _tell_loaded_numba(directory: str) -> None:
    """Numba reads its config at import; update it if it was imported already."""
    import sys

    numba_config = sys.modules.get("numba.core.config")
    if numba_config is not None:
        numba_config.CACHE_DIR = directory


CACHE_ENABLED = configure_numba_cache()
