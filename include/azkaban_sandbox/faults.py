"""Seeded fault injection: a fraction of requests fail the way a sick server or proxy does.

Kinds: `http500` (Jetty error page), `http502` / `http503` (proxy pages), `drop` (connection
closed without a reply), `slow` (reply after `slow_seconds`, request applied normally),
`slow_drop` (wait, then drop; nothing applied), `session` (the session-expiry reply this request
shape gets, reference 1.4; never for login requests). The fault is chosen before the request touches
any state, so a faulted upload is either applied fully (`slow`) or not at all (all others).
"""

from __future__ import annotations

import logging
import random
import threading
from collections import Counter
from dataclasses import dataclass, field

logger = logging.getLogger("azkaban_sandbox.faults")

FAULT_KINDS = ("http500", "http502", "http503", "drop", "slow", "slow_drop", "session")


@dataclass(frozen=True)
class FaultSettings:
    """Fault configuration; `rate` 0 disables injection. Bounds live in `config.SETTINGS`."""

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    slow_seconds: float = 2.0


@dataclass
class FaultInjector:
    """Draws faults from `random.Random(seed)`; counts and logs every injected fault."""

    settings: FaultSettings = field(default_factory=FaultSettings)
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.settings.seed)

    def configure(self, settings: FaultSettings) -> FaultSettings:
        """Replace the settings (already validated) and reseed the RNG."""
        with self._lock:
            self.settings = settings
            self._rng = random.Random(settings.seed)
        return settings

    def pick(self, path: str, ajax: str | None, login: bool) -> str | None:
        """The fault for this request, or None. Login requests never get `session`."""
        with self._lock:
            settings = self.settings
            if settings.rate <= 0 or self._rng.random() >= settings.rate:
                return None
            kinds = [k for k in settings.kinds if not (login and k == "session")]
            if not kinds:
                return None
            kind = self._rng.choice(kinds)
            self.counts[kind] += 1
        logger.warning("injected fault %s on %s ajax/action=%s", kind, path, ajax)
        return kind
