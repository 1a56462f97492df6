"""Failed sign-ins counted per user name and client address, in a sliding window.

In memory: the server is one process, and a restart forgetting the count is acceptable
(the attacker's budget is still ``attempts`` per window per restart, and restarts are rare).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from outsidein.auth.errors import TooManyAttemptsError


class LoginLimiter:
    """At most ``attempts`` failures per (user, client) within ``window`` seconds."""

    def __init__(self, attempts: int, window: float) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], at: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= at - self.window:
            times.popleft()
        return times

    def check(self, username: str, client: str) -> None:
        """Refuse (429, with when to retry) while this pair is over its budget."""
        at = time.monotonic()
        with self._lock:
            times = self._recent((username.strip().lower(), client), at)
            if len(times) >= self.attempts:
                wait = max(1, int(times[0] + self.window - at) + 1)
                raise TooManyAttemptsError(
                    f"too many failed sign-ins for {username.strip().lower()!r} from this "
                    f"address; try again in {wait} s",
                    retry_after=wait,
                )

    def failed(self, username: str, client: str) -> None:
        with self._lock:
            self._recent((username.strip().lower(), client), time.monotonic()).append(
                time.monotonic()
            )

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop((username.strip().lower(), client), None)


__all__ = ["LoginLimiter"]
