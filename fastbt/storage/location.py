"""Where fastbt keeps its data: ``$FASTBT_HOME``, else ``~/.fastbt``."""

import os
from pathlib import Path


def fastbt_home(root: str | os.PathLike | None = None) -> Path:
    """The data directory: ``root`` if given, else ``$FASTBT_HOME``, else ``~/.fastbt``."""
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get("FASTBT_HOME"):
        return Path(os.environ["FASTBT_HOME"]).expanduser()
    return Path.home() / ".fastbt"
