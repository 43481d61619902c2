"""The portal's protections that are the web's own: the CSRF token of every form, and login/reset attempts
limited per address (the account lockout itself is the service's, in the database)."""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

CSRF_FIELD = "csrf"


def csrf_token(session: dict) -> str:
    """The session's token (made once): every form carries it, every POST is refused without it."""
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return token


def csrf_ok(session: dict, sent: object) -> bool:
    expected = session.get(CSRF_FIELD)
    return isinstance(expected, str) and isinstance(sent, str) and secrets.compare_digest(expected, sent)


class RateLimiter:
    """At most ``limit`` attempts per ``window`` seconds for one key (a client address), in this process. With
    several uvicorn workers each counts its own: the account lockout (5 failures) still holds across them."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, key: str) -> bool:
        """Whether ``key`` used up its attempts (without counting one)."""
        now = self.clock()
        with self._lock:
            hits = self._hits.get(key, deque())
            return sum(1 for t in hits if t > now - self.window) >= self.limit

    def hit(self, key: str) -> None:
        """Count one attempt (a failed login) for ``key``."""
        self.allow(key)

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget the quiet addresses
                for other in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    del self._hits[other]
            return True
