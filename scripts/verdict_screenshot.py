"""Render the README's picture of the sweep report's "Is the best set real?" section:
sweep ma_cross on GOOG with blocks=16 (the README's grid), render the sweep report, keep
its verdict section on the report's own page style, and take a PNG with wkhtmltoimage.

.venv/bin/python scripts/verdict_screenshot.py   # writes docs/images/verdict-goog-ma_cross.png
"""

import sys
from pathlib import Path

from html_png import html_to_png

import fastbt
from fastbt.report import render_sweep_html

OUT = Path(__file__).resolve().parent.parent / "docs" / "images" / "verdict-goog-ma_cross.png"
GRID = {"fast": range(2, 60), "slow": range(10, 250, 5)}
SECTION_START = '<h2 id="verdict">'
SECTION_END = '<div class="keep">\n<h2>Distributions across all sets</h2>'


def verdict_page(page: str) -> str:
    """The report page with only its "Is the best set real?" section left in ``<main>``."""
    head, _, rest = page.partition("<main>")
    section, found, _ = rest.partition(SECTION_START)[2].partition(SECTION_END)
    if not (rest and found and section):
        raise SystemExit("the sweep report has no 'Is the best set real?' section to cut out")
    return f"{head}<main>{SECTION_START}{section}</main></body></html>"


def main() -> int:
    table = fastbt.sweep("GOOG", "ma_cross", GRID, blocks=16)
    if not html_to_png(verdict_page(render_sweep_html(table)), OUT, 1080):
        return 1
    print(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
