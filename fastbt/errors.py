"""Exceptions and warnings fastbt raises on purpose."""


class DataWarning(UserWarning):
    """Input data was repaired (sorted, de-duplicated, forward-filled); says what and how much."""


class RunWarning(UserWarning):
    """A backtest ran but its result is probably not what was meant (e.g. every buy was skipped)."""


class VerificationError(AssertionError):
    """The fast and reference engines disagreed; the message lists every difference."""


class SweepError(RuntimeError):
    """Some chunks of a sweep failed or a worker died; the message names them."""
