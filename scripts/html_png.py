"""Take a PNG of an HTML page with wkhtmltoimage (installed with wkhtmltopdf): shared by
the scripts that render the README's screenshots."""

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image


def html_to_png(page: str, out: Path, width: int) -> bool:
    """Take a PNG of an HTML page ``width`` pixels wide with wkhtmltoimage, in a 256-colour
    palette (charts and text have few colours, so the file stays small); False if it fails."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "page.html"
        source.write_text(page, encoding="utf-8")
        out.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                "wkhtmltoimage",
                "--quiet",
                "--width",
                str(width),
                "--disable-javascript",
                str(source),
                str(out),
            ],
            check=False,
        )
    if done.returncode != 0:
        print("wkhtmltoimage failed", file=sys.stderr)
        return False
    Image.open(out).convert("RGB").quantize(256).save(out, optimize=True)
    return True
