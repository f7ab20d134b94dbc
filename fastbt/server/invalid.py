"""``InvalidInput``: a request field that breaks a rule, with where it is."""


class InvalidInput(ValueError):
    """A request field breaks a rule; ``loc`` says which (e.g. body.params.fast).

    Answered as 422 in FastAPI's own error shape (``fastbt.server.app``)."""

    def __init__(self, loc: tuple, message: str):
        super().__init__(message)
        self.loc = loc
