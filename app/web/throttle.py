"""Wrong passwords and wrong API keys, counted per client address, so guessing is slow.

After `auth.max_failures` failures in a row a client is locked out for `auth.lockout_s`, doubled at each further
failure up to `auth.max_lockout_s`; while locked, every try is refused (429) without being checked, the right
password included, so a guesser learns nothing from it. A success clears the count. A lockout, rather than a
sleep before answering, keeps no worker thread waiting: twenty tries in a second cost the service nothing.

Counted per address: one guesser does not lock everyone else out (unless they share a proxy's address, see
`server.forwarded_allow_ips`). The table is bounded: clients quiet for `max_lockout_s` are forgotten, and past
`_MAX_CLIENTS` the oldest are dropped.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.settings import AuthSettings

_MAX_CLIENTS = 10_000


@dataclass
class _Client:
    failures: int = 0
    locked_until: float = 0.0
    last: float = 0.0


class Throttle:
    def __init__(self, settings: AuthSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings, self.clock = settings, clock
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()

    def wait_s(self, client: str) -> float:
        """Seconds `client` is still locked out (0 when it may try)."""
        with self._lock:
            found = self._clients.get(client)
            return max(0.0, found.locked_until - self.clock()) if found else 0.0

    def failed(self, client: str) -> None:
        s, now = self.settings, self.clock()
        with self._lock:
            self._forget_quiet(now)
            found = self._clients.pop(client, None) or _Client()
            if now - found.last > s.max_lockout_s:
                found.failures = 0  # a failure long after the last one starts a new count
            found.failures += 1
            found.last = now
            beyond = found.failures - s.max_failures
            if beyond >= 0:
                found.locked_until = now + min(s.max_lockout_s, s.lockout_s * 2 ** min(beyond, 32))
            self._clients[client] = found  # re-inserted: the dict's order is the order of last failure

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)

    def _forget_quiet(self, now: float) -> None:
        while self._clients:
            oldest, found = next(iter(self._clients.items()))
            quiet = now - found.last > self.settings.max_lockout_s and found.locked_until <= now
            if not quiet and len(self._clients) < _MAX_CLIENTS:
                return
            del self._clients[oldest]
