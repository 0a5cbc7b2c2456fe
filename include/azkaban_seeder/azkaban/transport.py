"""HTTP transport: one requests.Session, one Azkaban session per process, no retries here.

- Login once (POST ``action=login``, url-encoded body, never the query string) and reuse the
  session id for every call; `invalidate()` after a `SessionExpired` makes the next `send`
  log in again (counted as a re-login).
- The session id travels in the ``azkaban.browser.session.id`` cookie header we set per
  request, not in URLs, so neither we nor urllib3's debug log ever print it. No cookie jar
  is kept (requests go out through the session's adapter, `_prepare`), so a stale session
  cookie from the server can never shadow a fresh id.
- Every request has (connect, read) timeouts; TLS verification is on unless settings say
  otherwise; POSTs carry ``X-Requested-With: XMLHttpRequest`` (spec 1.3: JSON instead of the
  login page when the session is gone).
- requests/urllib3 failures become `ConnectFailed` (never sent), `RequestTimeout` or
  `ConnectionDropped` (server may have acted).
- Every request, the login and headers-only GETs (a project download) included, goes through
  the one `_exchange`: one attempt count, one error mapping, and one place a subclass (the
  read-only client's gate, `readonly.py`) sees everything before it is sent.
- The environment (``HTTP(S)_PROXY``/``NO_PROXY``, ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``)
  is read once, when the transport is made (`environment_settings`), not on every request as
  requests does by default: that re-read costs about a millisecond of CPU per call, a fifth
  of a small upload's client time. ``.netrc`` is never consulted (we log in with a session id).
  Likewise the connection pool is looked up once per origin (`OriginPoolAdapter`), not per
  request.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import DEFAULT_POOLSIZE, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, requote_uri
from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import NewConnectionError, ReadTimeoutError
from urllib3.exceptions import ProtocolError as Urllib3ProtocolError

from azkaban_seeder import __version__
from azkaban_seeder.azkaban import errors as e
from azkaban_seeder.azkaban import redaction, replies
from azkaban_seeder.azkaban.multipart import MultipartBody
from azkaban_seeder.azkaban.replies import RawReply, RequestKind
from azkaban_seeder.azkaban.settings import ConnectionSettings
from azkaban_seeder.azkaban.stats import RetryStats

log = logging.getLogger(__name__)

SESSION_COOKIE = "azkaban.browser.session.id"
AJAX_HEADER = {"X-Requested-With": "XMLHttpRequest"}


def environment_settings(settings: ConnectionSettings) -> tuple[dict[str, str], bool | str]:
    """What requests would take from the environment for ``settings.url``, resolved once:
    (proxies by scheme, ``verify``). ``NO_PROXY`` applies as in requests; an explicit CA
    bundle or ``verify=False`` in the settings wins over ``REQUESTS_CA_BUNDLE``."""
    proxies = dict(requests.utils.get_environ_proxies(settings.url))
    verify: bool | str = settings.verify
    if verify is True:
        verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
    return proxies, verify


class OriginPoolAdapter(HTTPAdapter):
    """requests' adapter, with the connection pool of each (origin, TLS and proxy settings)
    looked up once and kept.

    The stock adapter rebuilds the pool key on every request, and that includes an
    ``os.path.isdir`` of the CA bundle path even for plain HTTP: a file-system call per
    request, which gives up the interpreter lock and waits to get it back.
    The pools stay the adapter's own (its pool manager); `close` forgets them with it."""

    #: Origins whose pools are kept: as many as the pool manager keeps open.
    MAX_ORIGINS = DEFAULT_POOLSIZE

    def __init__(self) -> None:
        super().__init__(pool_connections=self.MAX_ORIGINS)
        self._pools: dict[tuple[str, str, str, str, str], ConnectionPool] = {}
        self._pools_lock = threading.Lock()

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> ConnectionPool:
        url = request.url or ""
        scheme, _, rest = url.partition("://")
        origin = rest.split("/", 1)[0].split("?", 1)[0]
        key = (
            scheme.lower(),
            origin,
            repr(verify),
            repr(sorted((proxies or {}).items())),
            repr(cert),
        )
        known = self._pools.get(key)
        if known is not None:
            return known
        pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
        with self._pools_lock:
            # The pool manager keeps (and closes) at most `MAX_ORIGINS` pools: past that
            # many origins, look them up every time, as the stock adapter does.
            if len(self._pools) < self.MAX_ORIGINS:
                self._pools[key] = pool
        return pool

    def close(self) -> None:
        with self._pools_lock:
            self._pools.clear()
        super().close()


class Transport:
    """Sends single requests (no retry loop) with the process's Azkaban session."""

    def __init__(
        self, settings: ConnectionSettings, stats: RetryStats, *, fresh_after: float = 60.0
    ) -> None:
        self.settings = settings
        self.stats = stats
        self.fresh_after = fresh_after
        # Requests go straight through the adapter (`_exchange`); a Session's settings,
        # cookie jar and hooks are never needed.
        self._adapter = OriginPoolAdapter()
        # Resolved once; the adapter gets them on every request (`_exchange`).
        self._proxies, self._verify = environment_settings(settings)
        self._default_headers = {
            **{k: str(v) for k, v in requests.utils.default_headers().items()},
            "User-Agent": f"azkaban-seeder/{__version__}",
        }
        # As requests would send it: characters a URL cannot carry raw are percent-encoded.
        self._base_url = requote_uri(settings.url)
        self._session_id: str | None = None
        redaction.register(settings.password)
        self._logins = 0
        self._last_used = 0.0
        self._lock = threading.Lock()

    @property
    def has_session(self) -> bool:
        return self._session_id is not None

    def close(self) -> None:
        self._adapter.close()

    def is_stale(self) -> bool:
        """True if a session exists but was not used for `fresh_after` seconds (without a
        session the next `send` logs in, which is fresh by definition)."""
        return self._session_id is not None and (
            time.monotonic() - self._last_used > self.fresh_after
        )

    def invalidate(self) -> None:
        """Forget the session (the server said it is gone); the next send logs in again."""
        with self._lock:
            self._session_id = None

    def login(self) -> None:
        """POST / with ``action=login&username=..&password=..`` (url-encoded body).

        Reply ``{"status": "success", "session.id": "<uuid>"}``; errors -> `LoginFailed`.
        """
        reply = self._exchange(
            "login",
            "POST",
            "/",
            data={
                "action": "login",
                "username": self.settings.user,
                "password": self.settings.password,
            },
            headers=dict(AJAX_HEADER),
        )
        session_id = replies.parse_login("login", reply)
        redaction.register(session_id)
        with self._lock:
            relogin = self._logins > 0
            self._logins += 1
            self._session_id = session_id
            self._last_used = time.monotonic()
        self.stats.count_login(relogin=relogin)
        log.info(
            "azkaban: %s as user %s at %s",
            "re-logged in" if relogin else "logged in",
            self.settings.user,
            self.settings.url,
        )

    def send(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        kind: RequestKind,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        body: MultipartBody | None = None,
        timeout: float | None = None,
        headers_only: bool = False,
    ) -> RawReply:
        """One authenticated request (logging in first if needed); no parsing, no retry.

        ``headers_only``: status, headers and cookies only, the body is never read (see
        `_exchange`)."""
        if self._session_id is None:
            self.login()
        headers = {"Cookie": f"{SESSION_COOKIE}={self._session_id}"}
        if method == "POST":
            headers.update(AJAX_HEADER)
        payload: Any = data
        if body is not None:
            headers["Content-Type"] = body.content_type
            headers["Content-Length"] = str(len(body))
            payload = body
        reply = self._exchange(
            endpoint,
            method,
            path,
            params=params,
            data=payload,
            headers=headers,
            timeout=timeout,
            headers_only=headers_only,
        )
        self._last_used = time.monotonic()
        log.debug(
            "azkaban %s (%s): HTTP %s, %s",
            endpoint,
            kind,
            reply.status,
            "headers only" if headers_only else f"{len(reply.body)} chars",
        )
        return reply

    def _prepare(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        data: Any,
        headers: dict[str, str],
    ) -> requests.PreparedRequest:
        """The request as the adapter sends it: the session's default headers plus
        ``headers``, the query string and a form body url-encoded here, a multipart body as
        it is (streamed, with the Content-Length `send` set).

        `requests.Session.request` would merge settings, cookies and hooks first: about
        0.2 ms of CPU per call (runtime-protocol checks on every mapping), which this client
        never needs (no cookie jar, no hooks, no redirects, the environment read once)."""
        request = requests.PreparedRequest()
        request.method = method
        query = _form(params) if params else ""
        request.url = self._base_url + path + (f"?{query}" if query else "")
        merged: CaseInsensitiveDict[str] = CaseInsensitiveDict(self._default_headers)
        for header in headers.items():
            check_header_validity(header)  # raises InvalidHeader (a RequestException)
        merged.update(headers)
        if isinstance(data, Mapping):
            request.body = _form(data).encode("utf-8")
            merged["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            request.body = data
        if request.body is None and method == "POST":
            merged["Content-Length"] = "0"
        elif isinstance(request.body, bytes):
            merged["Content-Length"] = str(len(request.body))
        request.headers = merged
        request.hooks = {"response": []}
        return request

    def _exchange(
        self,
        endpoint: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: dict[str, str],
        timeout: float | None = None,
        headers_only: bool = False,
    ) -> RawReply:
        """The one HTTP exchange: count the attempt, send (never following a redirect), map
        requests' failures onto the error tree, reduce the reply to a `RawReply`.

        ``headers_only``: the body is never read (``body`` is ""); the connection is closed
        after the headers (e.g. a project download, where only the file name matters)."""
        self.stats.count_attempt()
        try:
            response = self._adapter.send(
                self._prepare(method, path, params, data, headers),
                stream=True,
                timeout=(self.settings.connect_timeout, timeout or self.settings.timeout),
                verify=self._verify,
                cert=None,
                proxies=self._proxies,
            )
        except requests.RequestException as exc:
            raise transport_error(endpoint, exc) from exc
        try:
            if headers_only:
                body = ""
            else:
                if "charset" not in response.headers.get("Content-Type", "").lower():
                    response.encoding = "utf-8"  # avoid charset guessing on multi-MB JSON
                try:
                    body = response.text
                except requests.RequestException as exc:
                    raise transport_error(endpoint, exc) from exc
            return RawReply(
                status=response.status_code,
                content_type=response.headers.get("Content-Type"),
                body=body,
                cookies={cookie.name: cookie.value or "" for cookie in response.cookies},
                location=response.headers.get("Location"),
                headers={k.lower(): v for k, v in response.headers.items()},
            )
        finally:
            response.close()


def _form(fields: Mapping[str, Any]) -> str:
    """``application/x-www-form-urlencoded`` fields as requests encodes them: None values
    left out, a list value repeated."""
    return urlencode([(k, v) for k, v in fields.items() if v is not None], doseq=True)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, its args that are exceptions, urllib3 `.reason`s and chained causes."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))
        for link in (getattr(current, "reason", None), current.__cause__, current.__context__):
            if isinstance(link, BaseException):
                stack.append(link)


def transport_error(endpoint: str, exc: requests.RequestException) -> e.AzkabanError:
    """Map a requests exception onto the transport branch of the error tree."""
    causes = list(_causes(exc))
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, requests.exceptions.SSLError):
        return e.SettingsError(
            f"TLS verification failed for {endpoint} ({detail}); set verify to a CA bundle path",
            endpoint=endpoint,
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(
        isinstance(c, NewConnectionError | ConnectionRefusedError) for c in causes
    ):
        return e.ConnectFailed(f"could not connect ({detail})", endpoint=endpoint)
    if isinstance(exc, requests.exceptions.ReadTimeout) or any(
        isinstance(c, ReadTimeoutError) for c in causes
    ):
        return e.RequestTimeout(f"no reply in time ({detail})", endpoint=endpoint)
    if isinstance(
        exc, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError
    ) or any(isinstance(c, Urllib3ProtocolError) for c in causes):
        return e.ConnectionDropped(f"connection dropped ({detail})", endpoint=endpoint)
    return e.AzkabanTransportError(f"request failed ({detail})", endpoint=endpoint)
