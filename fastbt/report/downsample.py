"""Fewer points to draw, the same picture: charts of 1,000,000 bars draw a few
thousand points. Used for drawing only; every number is computed on all bars."""

import numpy as np

MAX_LINE_POINTS = 4_000
MAX_MARKERS = 500


def line_points(values: np.ndarray, limit: int = MAX_LINE_POINTS) -> np.ndarray:
    """Indices of ``values`` to draw as a line: all of them when few, otherwise per
    bucket the first, lowest, highest and last point, so peaks and troughs
    (the drawdowns people look for) survive."""
    n = len(values)
    if n <= limit:
        return np.arange(n)
    buckets = max(1, limit // 4)
    width = -(-n // buckets)  # ceil
    padded = np.full(buckets * width, np.nan)
    padded[:n] = values
    blocks = padded.reshape(buckets, width)
    starts = np.arange(buckets) * width
    filled = ~np.all(np.isnan(blocks), axis=1)
    safe = np.where(np.isnan(blocks), np.inf, blocks)
    lowest = starts + np.argmin(safe, axis=1)
    safe = np.where(np.isnan(blocks), -np.inf, blocks)
    highest = starts + np.argmax(safe, axis=1)
    last = np.minimum(starts + width - 1, n - 1)
    picked = np.concatenate([starts, lowest[filled], highest[filled], last])
    return np.unique(picked[picked < n])


def marker_points(positions: np.ndarray, limit: int = MAX_MARKERS) -> np.ndarray:
    """At most ``limit`` of ``positions``, evenly spread (first and last kept)."""
    positions = np.asarray(positions)
    if len(positions) <= limit:
        return positions
    keep = np.unique(np.linspace(0, len(positions) - 1, limit).round().astype(np.int64))
    return positions[keep]
