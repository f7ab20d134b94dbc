"""A job queue that is fair between users: round-robin instead of first come, first served.

Each user has their own line of waiting runs. A free worker takes the first run
of the user, among those below their limit of running runs, who has the fewest
runs running and was served longest ago. So a user who queued a hundred runs
delays another user's single run by at most one run per worker, and no user
holds every worker while others wait.
"""

import itertools
import threading
from collections import deque


class QueueFull(Exception):
    """The user already has the most waiting runs the server allows."""


class FairQueue:
    """Waiting run ids per user, handed out round-robin (thread-safe).

    ``max_waiting``: runs a user may have waiting (``check_room`` refuses more);
    ``max_running``: runs of one user taken and not yet ``done``.
    """

    def __init__(self, max_waiting: int, max_running: int):
        self.max_waiting = max_waiting
        self.max_running = max_running
        self._changed = threading.Condition()
        self._waiting: dict[int, deque[int]] = {}
        self._running: dict[int, int] = {}
        self._served: dict[int, int] = {}  # user -> number of their last take
        self._takes = itertools.count()
        self._closed = False

    def check_room(self, user: int) -> None:
        """Raise ``QueueFull`` if ``user`` may not queue another run now."""
        with self._changed:
            if len(self._waiting.get(user, ())) >= self.max_waiting:
                raise QueueFull(user)

    def put(self, user: int, run_id: int) -> None:
        with self._changed:
            self._waiting.setdefault(user, deque()).append(run_id)
            self._changed.notify()

    def discard(self, run_id: int) -> bool:
        """Take a waiting run out of its line (it was deleted); whether it was waiting."""
        with self._changed:
            for user, line in self._waiting.items():
                if run_id in line:
                    line.remove(run_id)
                    if not line:
                        del self._waiting[user]
                    return True
            return False

    def _next(self) -> tuple[int, int] | None:
        ready = [u for u in self._waiting if self._running.get(u, 0) < self.max_running]
        if not ready:
            return None
        user = min(ready, key=lambda u: (self._running.get(u, 0), self._served.get(u, -1)))
        line = self._waiting[user]
        run_id = line.popleft()
        if not line:
            del self._waiting[user]
        self._running[user] = self._running.get(user, 0) + 1
        self._served[user] = next(self._takes)
        return user, run_id

    def take(self) -> tuple[int, int] | None:
        """Wait for the next ``(user, run id)`` in turn; None once the queue is closed."""
        with self._changed:
            while not self._closed:
                job = self._next()
                if job is not None:
                    return job
                self._changed.wait()
            return None

    def done(self, user: int) -> None:
        """A run of ``user`` taken with ``take`` has ended."""
        with self._changed:
            self._running[user] -= 1
            if not self._running[user]:
                del self._running[user]
            self._changed.notify_all()

    def close(self) -> None:
        """Hand out nothing more; waiting runs stay waiting (and pending in the database)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
