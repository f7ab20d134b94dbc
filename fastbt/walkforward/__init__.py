"""Walk-forward analysis (docs/overfitting.md, "Walk-forward")."""

from fastbt.walkforward.api import walk_forward
from fastbt.walkforward.result import WalkForward
from fastbt.walkforward.schedule import Window, schedule

__all__ = ["WalkForward", "Window", "schedule", "walk_forward"]
