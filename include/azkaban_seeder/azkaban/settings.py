"""Connection settings for one Azkaban web server (plain, frozen, picklable)."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from azkaban_seeder.azkaban.errors import SettingsError

DEFAULT_URL = "http://127.0.0.1:8081"
DEFAULT_USER = "azkaban"
DEFAULT_PASSWORD = "azkaban"

#: Environment variables read by `ConnectionSettings.from_env`, with the field each one sets.
ENV_VARIABLES = {
    "AZKABAN_URL": "url",
    "AZKABAN_USER": "user",
    "AZKABAN_PASSWORD": "password",
    "AZKABAN_CA_BUNDLE": "verify",
    "AZKABAN_TIMEOUT": "timeout",
}


@dataclass(frozen=True)
class ConnectionSettings:
    """Where and how to reach Azkaban.

    `verify` is True (system CAs), False (no TLS check) or a CA bundle path; `timeout` is the
    read timeout in seconds for one request, `connect_timeout` the TCP connect timeout.
    Frozen and built from plain values, so it pickles into multiprocessing workers.
    """

    url: str
    user: str
    password: str = dataclasses.field(repr=False)
    verify: bool | str = True
    timeout: float = 60.0
    connect_timeout: float = 10.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "url", _normalise_url(self.url, "url"))
        if not self.user:
            raise SettingsError("Azkaban user is empty (field 'user' / AZKABAN_USER)")
        if not self.password:
            raise SettingsError("Azkaban password is empty (field 'password' / AZKABAN_PASSWORD)")
        for name in ("timeout", "connect_timeout"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise SettingsError(
                    f"{name} must be a positive, finite number of seconds, got {value!r}"
                )
        if isinstance(self.verify, str) and not self.verify:
            raise SettingsError("verify must be True, False or a CA bundle path, got ''")

    def __repr__(self) -> str:
        return (
            f"ConnectionSettings(url={self.url!r}, user={self.user!r}, password='***', "
            f"verify={self.verify!r}, timeout={self.timeout!r}, "
            f"connect_timeout={self.connect_timeout!r})"
        )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> ConnectionSettings:
        """Build settings from AZKABAN_URL / AZKABAN_USER / AZKABAN_PASSWORD (+ optional
        AZKABAN_CA_BUNDLE, AZKABAN_TIMEOUT); keyword overrides win over the environment."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {"url": DEFAULT_URL, "user": DEFAULT_USER}
        for variable, field in ENV_VARIABLES.items():
            raw = env.get(variable)
            if raw is None or raw == "":
                continue
            values[field] = _convert(variable, field, raw)
        values.update(overrides)
        if "url" not in overrides:
            values["url"] = _normalise_url(values["url"], "AZKABAN_URL")
        if "password" not in values:
            # The sandbox's default credentials are a safe guess on this machine only; a real
            # server must be given its password explicitly.
            if urlsplit(values["url"]).hostname not in LOOPBACK_HOSTS:
                raise SettingsError(
                    f"AZKABAN_PASSWORD is not set; it is required for {values['url']} "
                    "(only a local sandbox defaults to the password 'azkaban')"
                )
            values["password"] = DEFAULT_PASSWORD
        return cls(**values)


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def _convert(variable: str, field: str, raw: str) -> Any:
    if field == "timeout":
        try:
            return float(raw)
        except ValueError:
            raise SettingsError(f"{variable}={raw!r} is not a number of seconds") from None
    if field == "verify" and raw.lower() in {"false", "0", "no", "off"}:
        return False
    return raw


def _normalise_url(url: str, source: str) -> str:
    """Validate a base URL (scheme http/https, host present) and strip a trailing slash."""
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if parts is not None and (parts.username is not None or parts.password is not None):
        # Never echo the URL: it holds a secret.
        raise SettingsError(
            f"{source} carries credentials (user:password@host); remove them from the URL and "
            "pass the user as AZKABAN_USER / --user / the Connection login, the password as "
            "AZKABAN_PASSWORD / --password-stdin / the Connection password"
        )
    if parts is None or parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(
            f"{source}={url!r} is not a usable Azkaban URL; expected e.g. http://host:8081"
        )
    try:
        parts.port  # noqa: B018 - property raises ValueError on a malformed port
    except ValueError:
        raise SettingsError(f"{source}={url!r} has an invalid port") from None
    if parts.query or parts.fragment:
        raise SettingsError(f"{source}={url!r} must not carry a query or fragment")
    return url.strip().rstrip("/")
