"""The upload-time JVM heap checks on job properties `Xms`/`Xmx` (Azkaban `checkJobProperties`).

Server defaults: `job.max.Xms` = 1G, `job.max.Xmx` = 2G. Values that are a `${var}` reference
are skipped, like the server does.
"""

from __future__ import annotations

import re

from azkaban_seeder.loaders.model import InstallError

MAX_XMS = "1G"
MAX_XMX = "2G"
_VARIABLE = re.compile(r"\$\{([a-zA-Z_.0-9]+)\}")
_UNITS_KB = {"g": 1024 * 1024, "m": 1024, "k": 1}


def parse_mem_kb(value: str) -> int:
    """Size in KiB as Azkaban's `Utils.parseMemString` computes it (bare numbers are bytes).

    A non-number makes Java throw NumberFormatException, which aborts the install.
    """
    unit = value[-1:].lower()
    digits = value[:-1] if unit in _UNITS_KB else value
    if not re.fullmatch(r"[+-]?[0-9]+", digits):
        raise InstallError(f'For input string: "{digits}"')
    size = int(digits)
    return size * _UNITS_KB[unit] if unit in _UNITS_KB else size // 1024


def memory_errors(job_name: str, props: dict[str, str]) -> list[str]:
    """Errors for one job whose resolved props set Xms/Xmx above the server limits."""
    errors: list[str] = []
    for key, limit in (("Xms", MAX_XMS), ("Xmx", MAX_XMX)):
        value = props.get(key)
        if value is None or _VARIABLE.fullmatch(value):
            continue
        if parse_mem_kb(value) > parse_mem_kb(limit):
            errors.append(
                f"{job_name}: {key} value has exceeded the allowed limit (max {key} = {limit})"
            )
    return errors
