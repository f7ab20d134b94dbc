"""Importing fastbt survives an unwritable Numba cache location (docs/install.md)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fastbt import _numba_cache

SCRIPT = (
    "import os, fastbt; "
    "r = fastbt.run('GOOG', 'ma_cross', fast=5, slow=20); "
    "print(r.metrics['n_trades'], os.environ.get('NUMBA_CACHE_DIR', ''))"
)


def test_fallback_is_used_when_the_package_cache_is_not_writable(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(_numba_cache, "_KERNELS_CACHE", Path("/proc/no-such-dir/__pycache__"))
    monkeypatch.setattr(_numba_cache, "_fallback_dirs", lambda: [Path("/proc/nope"), tmp_path])
    assert _numba_cache.configure_numba_cache() is True
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path)


def test_caching_is_turned_off_when_nothing_is_writable(monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(_numba_cache, "_KERNELS_CACHE", Path("/proc/no-such-dir/__pycache__"))
    monkeypatch.setattr(_numba_cache, "_fallback_dirs", lambda: [Path("/proc/nope")])
    assert _numba_cache.configure_numba_cache() is False


def test_a_writable_user_choice_is_respected(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert _numba_cache.configure_numba_cache() is True
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path)


def _read_only_mounts_work() -> bool:
    """Whether this process may make a private mount namespace (root with unshare)."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _read_only_mounts_work(), reason="needs root and unshare(1)")
def test_import_with_read_only_package_and_home(tmp_path):
    """A real process where the package directory and HOME are read-only mounts."""
    package = Path(_numba_cache.__file__).parent
    home = tmp_path / "home"
    scratch = tmp_path / "tmp"
    home.mkdir()
    scratch.mkdir()
    read_only = " && ".join(
        f"mount --bind {d} {d} && mount -o remount,bind,ro {d}" for d in (package, home)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "XDG_"))}
    env |= {"HOME": str(home), "TMPDIR": str(scratch)}
    completed = subprocess.run(
        ["unshare", "-m", "sh", "-c", f'{read_only} && exec "$0" -c "$1"', sys.executable, SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    trades, cache_dir = completed.stdout.split()
    assert int(trades) > 0
    assert cache_dir.startswith(str(scratch))
    assert any(Path(cache_dir).rglob("*.nbi"))  # kernels really were cached there
