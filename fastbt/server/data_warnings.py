"""What the loader said about a request's bars: the ``DataWarning`` messages raised
while validating them (repairs such as sorting or dropping duplicate timestamps),
so the answer can report them.

``warnings.catch_warnings`` swaps process-wide state and is not safe with several
request and worker threads, so the server installs one ``showwarning`` hook that
hands each ``DataWarning`` to the thread that raised it, if that thread is
collecting, and shows every other warning as before.
"""

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from fastbt.errors import DataWarning

_collecting = threading.local()
_shown_before = warnings.showwarning


def _show(message, category, filename, lineno, file=None, line=None) -> None:
    sink = getattr(_collecting, "sink", None)
    if sink is not None and issubclass(category, DataWarning):
        sink.append(str(message))
    else:
        _shown_before(message, category, filename, lineno, file, line)


def install() -> None:
    """Route warnings through ``_show``; every DataWarning, not only a message's first."""
    warnings.showwarning = _show
    warnings.simplefilter("always", DataWarning)


@contextmanager
def collected() -> Iterator[list[str]]:
    """The DataWarning messages this thread raises inside the block."""
    _collecting.sink = sink = []
    try:
        yield sink
    finally:
        _collecting.sink = None
