"""Validation of job `condition` expressions at upload time (`POST /manager`, ajax=upload).

Re-implements Azkaban's `DirectoryYamlFlowLoader.validateCondition` (Flow 2.0) and
`DirectoryFlowLoader.validateConditions` (Flow 1.0): whitespace and parentheses are removed,
the text is split on the comparison/boolean operators, and each operand must be a job-status
macro (at most one), a number, a quoted string or `${job:param}`, optionally '!'-prefixed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

CONDITION_OPERATORS = re.compile(r"&&|\|\||==|!=|>|>=|<|<=")
_STRIP = re.compile(r"\s+|\(|\)")
_STATUS_MACRO = re.compile(
    r"\b(all_success|all_failed|all_done|one_failed|one_success)\b", re.IGNORECASE
)
# Java's \d is ASCII-only, and '.' does not matter here since whitespace is already removed.
_NUMBER_OR_STRING = re.compile(r"[0-9]+|'.*'|\".*\"")
_JOB_VARIABLE = re.compile(r"\$\{([^:{}]+):([^:{}]+)\}")

STATUS_MACROS = ("all_success", "all_failed", "all_done", "one_failed", "one_success")


def java_split(text: str, pattern: re.Pattern[str]) -> list[str]:
    """`String.split(regex)` as Java does it: trailing empty strings are dropped."""
    if text == "":
        return [""]
    parts = pattern.split(text)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if parts == [""]:
        # Java drops every trailing empty string, even the only one left ("&&" -> []).
        return []
    return parts


def _prefix(flavor: Literal["1.0", "2.0"], node_id: str) -> str:
    # The Flow 1.0 loader really says "fo" in this one message.
    word = "fo" if flavor == "1.0" else "for"
    return f"Invalid condition {word} {node_id}"


def _check_variable(
    operand: str,
    node_id: str,
    node_exists: Callable[[str], bool],
    is_descendant: Callable[[str], bool] | None,
) -> str | None:
    match = _JOB_VARIABLE.fullmatch(operand)
    if match is None:
        return (
            f"Invalid condition for {node_id}: cannot resolve the condition. "
            "Please check the syntax for supported conditions."
        )
    job = match.group(1)
    if not node_exists(job):
        return f"Invalid condition for {node_id}: {job} doesn't exist in the flow."
    if is_descendant is not None and is_descendant(job):
        return (
            f"Invalid condition for {node_id}: should not define condition on its "
            f"descendant node {job}."
        )
    return None


def validate_condition(
    node_id: str,
    condition: str,
    *,
    flavor: Literal["1.0", "2.0"],
    node_exists: Callable[[str], bool],
    is_descendant: Callable[[str], bool] | None = None,
) -> list[str]:
    """Return the server's error texts for one node's condition (empty list when valid).

    `node_exists(job)` says whether a job named in `${job:param}` exists in the flow (Flow 2.0)
    or in the project loaded so far (Flow 1.0); `is_descendant(job)` (Flow 2.0 only) says
    whether that job depends, directly or transitively, on this node.
    """
    errors: list[str] = []
    found_macro = False
    for operand in java_split(_STRIP.sub("", condition), CONDITION_OPERATORS):
        if _STATUS_MACRO.fullmatch(operand):
            if found_macro:
                errors.append(
                    f"Invalid condition for {node_id}: cannot combine more than one "
                    "conditionOnJobStatus macros."
                )
            found_macro = True
            continue
        value = operand.removeprefix("!")
        if value == "":
            errors.append(f"{_prefix(flavor, node_id)}: operand is an empty string.")
        elif not _NUMBER_OR_STRING.fullmatch(value):
            problem = _check_variable(value, node_id, node_exists, is_descendant)
            if problem is not None:
                errors.append(problem)
    return errors
