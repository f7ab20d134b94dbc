"""Choose where Numba keeps compiled kernels before any kernel is decorated.

Numba caches next to the source files, then in a per-user directory; when neither
is writable (read-only site-packages and a locked-down home) decorating a cached
function fails and so would ``import fastbt``. Here we find a writable place
first, and turn caching off only when there is none at all.
"""

import os
import tempfile
from pathlib import Path

_KERNELS_CACHE = Path(__file__).parent / "kernels" / "__pycache__"


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


def configure_numba_cache() -> bool:
    """Make sure Numba has a writable cache directory; return whether caching is on.

    Respects ``NUMBA_CACHE_DIR`` when it is set and writable. Otherwise keeps the
    default in-tree cache when writable, else points ``NUMBA_CACHE_DIR`` at the
    first writable fallback.
    """
    chosen = os.environ.get("NUMBA_CACHE_DIR")
    if chosen and _writable(Path(chosen)):
        return True
    if not chosen and _writable(_KERNELS_CACHE):
        return True
    for directory in _fallback_dirs():
        if _writable(directory):
            os.environ["NUMBA_CACHE_DIR"] = str(directory)
            _tell_loaded_numba(str(directory))
            return True
    return False


def _tell_loaded_numba(directory: str) -> None:
    """Numba reads its config at import; update it if it was imported already."""
    import sys

    numba_config = sys.modules.get("numba.core.config")
    if numba_config is not None:
        numba_config.CACHE_DIR = directory


CACHE_ENABLED = configure_numba_cache()
