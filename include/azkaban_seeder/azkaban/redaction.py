"""The one redaction point: secrets never leave the client inside a message.

Every text the client hands out about a reply (exception messages and the body excerpts they
carry, hence task logs, XComs, CLI output and reports, which only ever quote exceptions)
passes through `redact`. It removes

- the secrets this process knows (`register`: the password of every `ConnectionSettings`
  a transport is built with, and each session id it receives), in the forms a server may
  echo them (raw, URL-encoded, JSON- and HTML-escaped);
- anything that looks like a credential field in an echoed request, whatever its value
  (``password=...``, ``"password": "..."``, ``session.id=...``, a session cookie), so a proxy
  page or debug echo cannot leak a secret we never registered (e.g. a previous session's id).
"""

from __future__ import annotations

import html
import json
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "***"
#: Shorter secrets are only removed by the field patterns: masking every "ab" in a text
#: would make messages unreadable without protecting anything real.
MIN_SECRET_LENGTH = 4

_FIELD_PATTERNS = (
    # form bodies and query strings: password=..., session.id=...
    re.compile(r"(?i)(\b(?:password|passwd|session\.id|session_id)=)([^&\s\"'<>]*)"),
    # JSON: "password" : "...", "session.id": "..."
    re.compile(r"(?i)(\"(?:password|passwd|session\.id|session_id)\"\s*:\s*\")((?:[^\"\\]|\\.)*)"),
    # cookies: azkaban.browser.session.id=...
    re.compile(r"(?i)(azkaban\.browser\.session\.id=)([^;\s\"'<>]*)"),
)

#: Documented default credentials are not secrets: masking the sandbox's ``azkaban``
#: would blank the product's name in every message (``azkaban-flow-version``, URLs...).
PUBLIC_DEFAULTS = frozenset({"azkaban"})

_lock = threading.Lock()
_secrets: set[str] = set()


def register(secret: str | None) -> None:
    """Remember a secret of this process (a password, a session id) for `redact`."""
    if not secret or len(secret) < MIN_SECRET_LENGTH or secret in PUBLIC_DEFAULTS:
        return
    forms = {secret, quote(secret, safe=""), quote_plus(secret), html.escape(secret)}
    forms.add(json.dumps(secret)[1:-1])
    with _lock:
        _secrets.update(f for f in forms if len(f) >= MIN_SECRET_LENGTH)


def redact(text: str) -> str:
    """``text`` with every known secret and every credential-looking field value masked."""
    if not text:
        return text
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern in _FIELD_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


def forget_all() -> None:
    """Drop every registered secret (tests: each test starts with an empty registry)."""
    with _lock:
        _secrets.clear()
