"""In-memory login sessions, like Azkaban's `SessionCache` (Guava, expire-after-access).

Sessions live only in memory, so a restarted sandbox forgets them, as the real web server does.
A new login never invalidates older sessions of the same user.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass

from azkaban_sandbox.clock import SandboxClock

DEFAULT_TTL_SECONDS = 36_000.0  # session.time.to.live default: 10 hours, sliding
DEFAULT_MAX_SESSIONS = 10_000  # max.num.sessions default


@dataclass
class Session:
    """One logged-in session; `one_shot` sessions (username/password params) are never cached."""

    session_id: str
    user: str
    ip: str
    last_access: float
    one_shot: bool = False


class SessionStore:
    """Thread-safe session cache with a sliding idle TTL and size-based (LRU) eviction."""

    def __init__(
        self,
        clock: SandboxClock,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
    ) -> None:
        self._clock = clock
        self.ttl_seconds = ttl_seconds
        self.max_sessions = max_sessions
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, user: str, ip: str) -> Session:
        """Store a new session with a uuid4 id (what `action=login` hands out)."""
        session = Session(str(uuid.uuid4()), user, ip, self._clock.now())
        with self._lock:
            self._sessions[session.session_id] = session
            while len(self._sessions) > self.max_sessions:
                self._sessions.popitem(last=False)
        return session

    def one_shot(self, user: str, ip: str) -> Session:
        """A session for one request only (username/password sent with the request)."""
        return Session(str(uuid.uuid4()), user, ip, self._clock.now(), one_shot=True)

    def get(self, session_id: str | None) -> Session | None:
        """The live session for this id, refreshing its idle timer; None if unknown/expired."""
        if not session_id:
            return None
        now = self._clock.now()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_access >= self.ttl_seconds:
                del self._sessions[session_id]
                return None
            session.last_access = now
            self._sessions.move_to_end(session_id)
            return session

    def remove(self, session_id: str | None) -> None:
        """Forget a session (logout)."""
        if session_id:
            with self._lock:
                self._sessions.pop(session_id, None)

    def expire_all(self) -> int:
        """Drop every session (test control); returns how many were dropped."""
        with self._lock:
            count = len(self._sessions)
            self._sessions.clear()
            return count

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)
