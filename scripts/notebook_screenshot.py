"""Render the README's notebook screenshot: run a short notebook in a real kernel
(nbclient), lay its cells out as a notebook page would, and take a PNG of the page
with wkhtmltoimage (installed with wkhtmltopdf).

.venv/bin/python scripts/notebook_screenshot.py   # writes docs/images/notebook-goog.png
"""

import html
import sys
from pathlib import Path

import nbclient
import nbformat
from html_png import html_to_png

OUT = Path(__file__).resolve().parent.parent / "docs" / "images" / "notebook-goog.png"
CELLS = (
    'import fastbt\n\nresult = fastbt.run("GOOG", "ma_cross", fast=10, slow=30, commission=0.001)\nresult',
    "result.drawdowns(top=3)",
    'result.plot("drawdown")',
)
STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 13px; margin: 16px; width: 940px; }
.cell { margin-bottom: 14px; }
.prompt { color: #303f9f; font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
.out .prompt { color: #d84315; }
pre.code { background: #f5f5f5; border: 1px solid #e0e0e0; padding: 6px 8px; margin: 2px 0 6px;
           font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
table.dataframe { border-collapse: collapse; font-size: 12px; }
table.dataframe td, table.dataframe th { padding: 2px 8px; border: none; text-align: right; }
table.dataframe tr:nth-child(even) { background: #f5f5f5; }
img { max-width: 900px; }
"""


def render(cell, number: int) -> str:
    """One cell as HTML: its code, then its HTML, image or text output."""
    parts = [
        f"<div class='prompt'>In [{number}]:</div>"
        f"<pre class='code'>{html.escape(cell.source)}</pre>"
    ]
    for output in cell.outputs:
        data = output.get("data", {})
        if "text/html" in data:
            body = data["text/html"]
        elif "image/png" in data:
            body = f"<img src='data:image/png;base64,{data['image/png']}'>"
        elif "text/plain" in data:
            body = f"<pre>{html.escape(data['text/plain'])}</pre>"
        else:
            continue
        parts.append(f"<div class='out'><div class='prompt'>Out[{number}]:</div>{body}</div>")
    return f"<div class='cell'>{''.join(parts)}</div>"


def main() -> int:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    page = "".join(render(cell, k + 1) for k, cell in enumerate(notebook.cells))
    html_page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{STYLE}</style></head>"
        f"<body>{page}</body></html>"
    )
    if not html_to_png(html_page, OUT, 980):
        return 1
    print(OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
