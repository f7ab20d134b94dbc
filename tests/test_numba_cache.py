"""Numba's cache: importing fastbt survives an unwritable cache location, and any
kernel edit starts a fresh cache (README, "Numba's compile cache")."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numba.core.config
import pytest

from fastbt import _numba_cache

DIGEST = _numba_cache.kernels_digest()


@pytest.fixture(autouse=True)
def _restore_numba_config(monkeypatch):
    """configure_numba_cache updates the loaded Numba config; undo that after each test."""
    monkeypatch.setattr(numba.core.config, "CACHE_DIR", numba.core.config.CACHE_DIR)


# One small kernel is enough to show where the cache goes (a full backtest would spend
# a minute compiling on the cold cache).
SCRIPT = (
    "import os, numpy as np, fastbt; from fastbt.kernels.indicators import sma; "
    "v = sma(np.arange(10.0), 3); "
    "print(int(np.isfinite(v).sum()), os.environ.get('NUMBA_CACHE_DIR', ''))"
)


def test_fallback_is_used_when_the_package_cache_is_not_writable(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(_numba_cache, "_KERNELS_CACHE", Path("/proc/no-such-dir/__pycache__"))
    monkeypatch.setattr(_numba_cache, "_fallback_dirs", lambda: [Path("/proc/nope"), tmp_path])
    assert _numba_cache.configure_numba_cache() is True
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / DIGEST)


def test_caching_is_turned_off_when_nothing_is_writable(monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(_numba_cache, "_KERNELS_CACHE", Path("/proc/no-such-dir/__pycache__"))
    monkeypatch.setattr(_numba_cache, "_fallback_dirs", lambda: [Path("/proc/nope")])
    assert _numba_cache.configure_numba_cache() is False


def test_a_writable_user_choice_is_the_base(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert _numba_cache.configure_numba_cache() is True
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / DIGEST)
    loaded_numba_dir = numba.core.config.CACHE_DIR
    assert loaded_numba_dir == str(tmp_path / DIGEST)
    # A process started from this one inherits the keyed directory: same base, not nested.
    assert _numba_cache.configure_numba_cache() is True
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / DIGEST)


def test_the_digest_covers_every_kernel_source(monkeypatch, tmp_path):
    kernels = tmp_path / "kernels"
    shutil.copytree(Path(_numba_cache.__file__).parent / "kernels", kernels)
    monkeypatch.setattr(_numba_cache, "_KERNELS", kernels)
    assert _numba_cache.kernels_digest() == DIGEST
    fills = kernels / "fills.py"
    fills.write_text(fills.read_text() + "\n")
    assert _numba_cache.kernels_digest() != DIGEST


def test_old_cache_versions_are_pruned_but_recent_ones_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    old = [tmp_path / f"{k:016x}" for k in range(6)]
    for age, directory in enumerate(old):
        directory.mkdir()
        stamp = time.time() - 3600 * (age + 1)
        os.utime(directory, (stamp, stamp))
    unrelated = tmp_path / "kernels_0123"  # not a fastbt cache version: left alone
    unrelated.mkdir()
    (tmp_path / "simulate.simulate-1.py311.nbi").write_bytes(b"")  # unkeyed, from an old fastbt
    assert _numba_cache.configure_numba_cache() is True
    left = sorted(p.name for p in tmp_path.iterdir())
    # The current version plus the three most recently used others.
    assert left == sorted([DIGEST, "kernels_0123", *(p.name for p in old[:3])])


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
    defined, cache_dir = completed.stdout.split()
    assert int(defined) == 8  # the 3-bar mean of 10 values
    assert cache_dir.startswith(str(scratch))
    assert any(Path(cache_dir).rglob("*.nbi"))  # kernels really were cached there


# Ten units per buy: doubling the fee below changes the fees, not which buys fit the cash.
FEES_SCRIPT = (
    "import fastbt; bars = fastbt.load('GOOG'); "
    "r = fastbt.run(bars, 'ma_cross', fast=10, slow=30, commission=0.001, size=10, "
    "size_type='units'); "
    "print(r.metrics['total_fees'])"
)


def _fees(package_parent: Path) -> float:
    """Total fees of one run (``simulate``, which calls ``fills.fill_fee`` in another file),
    computed by the fastbt package in ``package_parent`` with its default cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env["PYTHONPATH"] = str(package_parent)
    completed = subprocess.run(
        [sys.executable, "-c", FEES_SCRIPT],
        env=env,
        cwd=package_parent,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert completed.returncode == 0, completed.stderr
    return float(completed.stdout)


@pytest.mark.heavy
def test_editing_a_helper_kernel_recompiles_the_kernels_that_call_it(tmp_path):
    """fills.fill_fee is called by simulate (and, through bar_step, by every sweep
    kernel), which lives in another file; Numba alone would keep its stale compiled code."""
    package = tmp_path / "fastbt"
    shutil.copytree(
        Path(_numba_cache.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    run_fees = _fees(tmp_path)
    assert run_fees > 0
    fills = package / "kernels" / "fills.py"
    source = fills.read_text()
    doubled = source.replace(
        "return fixed_fee + commission * exec_price * qty",
        "return fixed_fee + 2.0 * commission * exec_price * qty",
    )
    assert doubled != source
    fills.write_text(doubled)
    edited_run_fees = _fees(tmp_path)  # nothing cleared in between
    assert edited_run_fees == pytest.approx(2 * run_fees, rel=0.01)
    cache = package / "kernels" / "__pycache__"
    assert len([p for p in cache.iterdir() if p.is_dir()]) == 2  # one cache per source version
