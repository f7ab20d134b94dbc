"""Streaming indicators restart after an undefined input, as the kernels compute by runs."""


def _undefined(value) -> bool:
    return value is None or value != value


def restarting(core: type, n_outputs: int) -> type:
    """A class like ``core`` (``core(*params).update(*values) -> tuple``) that answers
    ``None`` for every output on a bar with an undefined (None or NaN) input, and
    then starts a fresh ``core``: its warm-up begins again at the next defined bar."""

    class Restarting:
        __doc__ = core.__doc__

        def __init__(self, *params):
            self.params = params
            self.core = core(*params)
            self.fresh = True

        def update(self, *values) -> tuple:
            if any(_undefined(value) for value in values):
                if not self.fresh:
                    self.core = core(*self.params)
                    self.fresh = True
                return (None,) * n_outputs
            self.fresh = False
            return self.core.update(*values)

    Restarting.__name__ = Restarting.__qualname__ = core.__name__
    return Restarting
