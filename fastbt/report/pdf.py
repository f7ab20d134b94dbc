"""PDF of a rendered HTML report, through pdfkit and the ``wkhtmltopdf`` program.

Local file access stays disabled (wkhtmltopdf's default): the reports embed
their charts, so they need nothing from disk or network.
"""

import os
import shutil
from pathlib import Path

INSTALL_HINT = (
    "PDF reports need the wkhtmltopdf program, which was not found on PATH; install it "
    "(Debian/Ubuntu: sudo apt-get install --no-install-recommends wkhtmltopdf; macOS: "
    "brew install --cask wkhtmltopdf) or set FASTBT_WKHTMLTOPDF to its path"
)
INTERACTIVE_MARK = 'class="plotly-graph-div"'  # report/interactive.py's charts
PAGE_OPTIONS = {
    "page-size": "A4",
    "margin-top": "12mm",
    "margin-bottom": "12mm",
    "margin-left": "10mm",
    "margin-right": "10mm",
    "encoding": "UTF-8",
    "disable-javascript": None,
    "quiet": None,
}


def find_wkhtmltopdf() -> str:
    """Path of wkhtmltopdf ($FASTBT_WKHTMLTOPDF, else PATH), or an OSError saying how
    to install it."""
    configured = os.environ.get("FASTBT_WKHTMLTOPDF")
    if configured:
        if not Path(configured).is_file():
            raise OSError(f"FASTBT_WKHTMLTOPDF={configured} is not a file; {INSTALL_HINT}")
        return configured
    found = shutil.which("wkhtmltopdf")
    if not found:
        raise OSError(INSTALL_HINT)
    return found


def write_pdf(page: str, path) -> Path:
    """Render the HTML ``page`` to a PDF file at ``path``."""
    import pdfkit

    if INTERACTIVE_MARK in page:
        raise ValueError(
            "this page has interactive charts, which a PDF cannot show (they would be "
            "blank); make the PDF from render_html(result) without interactive=True"
        )
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory; give a file name ending in .pdf")
    configuration = pdfkit.configuration(wkhtmltopdf=find_wkhtmltopdf())
    path.parent.mkdir(parents=True, exist_ok=True)
    pdfkit.from_string(page, str(path), options=PAGE_OPTIONS, configuration=configuration)
    return path
