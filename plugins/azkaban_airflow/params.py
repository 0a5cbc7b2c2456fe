"""DAG Params shared by the azkaban DAGs, bounded by the same rules `EnvSpec` enforces.

Imported at DAG parse time: keep it to `airflow.sdk` and the stdlib-only `azkaban_seeder.spec`.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Param

from azkaban_seeder.spec import MAX_PREFIX_LENGTH, PREFIX_PATTERN


def prefix_param(description: str, **extra: Any) -> Param:
    """The `prefix` Param: projects are named `<prefix>_NNNNN`."""
    return Param(
        "stress",
        type="string",
        pattern=f"^{PREFIX_PATTERN}$",
        minLength=1,
        maxLength=MAX_PREFIX_LENGTH,
        title="Project prefix",
        description=description,
        **extra,
    )
