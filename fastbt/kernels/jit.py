"""The decorators every kernel uses, so compile options live in one place."""

from numba import njit

from fastbt._numba_cache import CACHE_ENABLED

# error_model="numpy": float division by zero gives inf/nan like NumPy instead of
# raising, so the kernels and the reference path agree on degenerate inputs.
kernel = njit(cache=CACHE_ENABLED, nogil=True, error_model="numpy")

# Small helpers called once per bar: inlined into the caller at Numba-IR level so the
# hot loop keeps its state in registers instead of passing tuples through memory.
inline_kernel = njit(cache=CACHE_ENABLED, nogil=True, error_model="numpy", inline="always")
