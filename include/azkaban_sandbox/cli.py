"""The sandbox CLI (`azkaban-sandbox`, `python -m azkaban_sandbox`): flags from the settings table.

One flag per `SandboxConfig` setting (`config.SETTINGS`: help, default and bounds appear in
the help line), plus `--user NAME:PASSWORD[:TYPE,...]` for `users`/`user_roles` and
`--log-level`. argparse refuses malformed values (exit 2); the config then checks every value
against the same table and a value out of bounds also exits 2, naming the flag and the fix,
before anything is served.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from azkaban_sandbox.config import SETTINGS, ConfigError, SandboxConfig, Setting

logger = logging.getLogger("azkaban_sandbox")

PROG = "azkaban-sandbox"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def user_spec(spec: str) -> tuple[str, str, tuple[str, ...] | None]:
    """`NAME:PASSWORD[:TYPE,...]` -> (name, password, types or None)."""
    name, sep, rest = spec.partition(":")
    password, typed, types = rest.partition(":")
    if not name or not sep or not password:
        raise argparse.ArgumentTypeError(f"wants NAME:PASSWORD[:TYPE,...], got {spec!r}")
    roles = tuple(t.strip().upper() for t in types.split(",") if t.strip())
    return name, password, roles if typed else None


def parse_users(specs: list[str]) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """`--user` values -> (users, user_roles), the default users included."""
    users: dict[str, str] = dict(SETTINGS["users"].default)
    roles: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        try:
            name, password, types = user_spec(spec)
        except argparse.ArgumentTypeError as exc:
            raise ValueError(f"--user {exc}") from exc
        users[name] = password
        if types:
            roles[name] = types
    return users, roles


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "int": int,
    "float": float,
    "str": str,
    "path": str,
    "names": _names,
}


def _help(entry: Setting) -> str:
    default = ",".join(entry.default) if entry.kind == "names" else entry.default
    return f"{entry.help}; {entry.bounds()} (default: {default})"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, one flag per setting of `config.SETTINGS`."""
    p = argparse.ArgumentParser(prog=PROG, description="Run the Azkaban-compatible sandbox.")
    for entry in SETTINGS.values():
        if entry.kind in CONVERTERS:
            p.add_argument(
                entry.flag,
                dest=entry.name,
                type=CONVERTERS[entry.kind],
                default=entry.default,
                metavar=entry.kind.upper(),
                help=_help(entry),
            )
    users, roles = SETTINGS["users"], SETTINGS["user_roles"]
    p.add_argument(
        "--user",
        action="append",
        default=[],
        type=lambda s: (user_spec(s), s)[1],
        metavar="NAME:PASSWORD[:TYPE,...]",
        help=f"{users.help}; {roles.help} ({roles.bounds()}); repeatable",
    )
    p.add_argument("--log-level", default="INFO", type=str.upper, choices=LOG_LEVELS)
    return p


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    """The validated config of parsed flags (raises ConfigError)."""
    users, roles = parse_users(args.user)
    values = {name: getattr(args, name) for name, e in SETTINGS.items() if e.kind in CONVERTERS}
    return SandboxConfig(users=users, user_roles=roles, **values)


def _shown(exc: ConfigError) -> str:
    """The refused value as it was typed, then why and the fix."""
    if exc.setting.kind in ("users", "roles"):
        return exc.problem
    value = exc.value
    text = ",".join(value) if isinstance(value, tuple | list) else str(value)
    return f"{text} {exc.problem}"


def sandbox_main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT/SIGTERM; 2 for bad flags (before serving)."""
    from azkaban_sandbox.server import SandboxServer

    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(name)s %(message)s")
    try:
        config = config_from_args(args)
    except ConfigError as exc:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"{PROG}: error: argument {exc.setting.flag}: {_shown(exc)}\n")
        return 2
    SandboxServer(config).serve_forever()
    return 0
