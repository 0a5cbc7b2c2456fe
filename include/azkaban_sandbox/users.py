"""Users and their global role permissions (Azkaban's XmlUserManager, reduced).

By default every configured user has ADMIN through its role, like the stock `azkaban` user.
A user listed in `roles` gets only the listed permission types, which makes permission errors
testable (e.g. a read-only user).
"""

from __future__ import annotations

from collections.abc import Mapping

from azkaban_sandbox import errors

PERMISSION_TYPES = (
    "READ",
    "WRITE",
    "EXECUTE",
    "SCHEDULE",
    "METRICS",
    "CREATEPROJECTS",
    "UPLOADPROJECTS",
    "ADMIN",
)


class UserManager:
    """Checks passwords and answers role permission questions."""

    def __init__(
        self, passwords: Mapping[str, str], roles: Mapping[str, tuple[str, ...]] | None = None
    ) -> None:
        self._passwords = dict(passwords)
        # types are checked by SandboxConfig (config.SETTINGS["user_roles"].choices)
        self._roles = {user: frozenset(types) for user, types in (roles or {}).items()}

    def authenticate(self, username: str | None, password: str | None) -> str:
        """The user id for valid credentials; raises AuthError with XmlUserManager's text."""
        if not username:
            raise errors.AuthError(errors.USERNAME_EMPTY)
        if not password:
            raise errors.AuthError(errors.PASSWORD_EMPTY)
        if self._passwords.get(username) != password:
            raise errors.AuthError(errors.USER_NOT_FOUND)
        return username

    def role_types(self, user: str) -> frozenset[str]:
        """Permission types the user's roles grant (ADMIN unless restricted in config)."""
        return self._roles.get(user, frozenset({"ADMIN"}))

    def exists(self, user: str) -> bool:
        """Whether the user is configured."""
        return user in self._passwords
