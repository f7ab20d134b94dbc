"""Regenerate the chart images the README shows (from the demo's GOOG report).

.venv/bin/python scripts/readme_images.py
"""

from pathlib import Path

import fastbt
from fastbt import report

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    result = fastbt.run("GOOG", "ma_cross", fast=10, slow=30, commission=0.001)
    report.save(report.equity_chart(result), IMAGES / "equity-goog-ma_cross.png")
    grid = {"fast": range(2, 102), "slow": range(2, 102)}
    table = fastbt.sweep("GOOG", "ma_cross", grid, commission=0.001, progress=False)
    report.save(report.sweep_heatmap(table, "fast", "slow"), IMAGES / "heatmap-goog-ma_cross.png")


if __name__ == "__main__":
    main()
