"""Progress bars that suit where the code runs, without warnings.

``tqdm.auto`` picks the widget bar in a Jupyter kernel and warns ("IProgress not
found") when ipywidgets is missing. ``progress_bar`` makes the choice itself: the
widget bar in a Jupyter kernel that has a working ipywidgets, the text bar
everywhere else (a terminal, plain IPython, a kernel without ipywidgets, where
the text bar shows in the cell's stderr output).
"""

import sys

from tqdm.std import tqdm as text_bar


def in_jupyter_kernel() -> bool:
    """Whether this code runs in a Jupyter kernel (notebook, JupyterLab, VS Code)."""
    if "IPython" not in sys.modules:
        return False
    shell = sys.modules["IPython"].get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _widget_bar():
    """tqdm's ipywidgets bar, None when ipywidgets is missing or too old for it."""
    try:
        import ipywidgets  # noqa: F401
        from tqdm import notebook
    except ImportError:
        return None
    return notebook.tqdm if getattr(notebook, "IProgress", None) is not None else None


def bar_class() -> type:
    """The tqdm class for this environment (chosen at each call: cheap, and a kernel
    may gain or lose ipywidgets while it runs)."""
    widget = _widget_bar() if in_jupyter_kernel() else None
    return widget or text_bar


def progress_bar(iterable=None, **options):
    """A tqdm progress bar (``options`` are tqdm's) of the class ``bar_class`` picks."""
    return bar_class()(iterable, **options)
