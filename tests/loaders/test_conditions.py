"""Condition validation (spec section 5.4)."""

from __future__ import annotations

from typing import Literal

import pytest

from azkaban_seeder.loaders.conditions import CONDITION_OPERATORS, java_split, validate_condition

JOBS = {"a", "b"}


def check(
    condition: str,
    flavor: Literal["1.0", "2.0"] = "2.0",
    descendants: frozenset[str] = frozenset(),
) -> list[str]:
    return validate_condition(
        "me",
        condition,
        flavor=flavor,
        node_exists=JOBS.__contains__,
        is_descendant=descendants.__contains__,
    )


@pytest.mark.parametrize(
    "condition",
    [
        "all_success",
        "ONE_FAILED",
        "${a:x} == 1",
        "(${a:x} == 'yes' || ${b:y} != \"no\") && all_done",
        "!${a:flag}",
        "${a:x} > 3 && ${b:y} < 4",
    ],
)
def test_valid_conditions(condition: str) -> None:
    assert check(condition) == []


@pytest.mark.parametrize(
    ("condition", "error"),
    [
        ("all_success && one_failed", "cannot combine more than one conditionOnJobStatus macros."),
        ("&& all_done", "operand is an empty string."),
        ("${ghost:x} == 1", "ghost doesn't exist in the flow."),
        (
            "${a:x} == yes",
            "cannot resolve the condition. Please check the syntax for supported conditions.",
        ),
        # Java splits '>=' at '>' first, leaving '=1' which no rule accepts.
        ("${a:x} >= 1", "cannot resolve the condition."),
        ("${b:x} == 1", "should not define condition on its descendant node b."),
    ],
)
def test_invalid_conditions(condition: str, error: str) -> None:
    errors = check(condition, descendants=frozenset({"b"}))
    assert len(errors) == 1
    assert errors[0].startswith("Invalid condition for me: ")
    assert error in errors[0]


def test_flow1_empty_operand_message_keeps_the_servers_typo() -> None:
    assert check("||one_success", flavor="1.0") == [
        "Invalid condition fo me: operand is an empty string."
    ]


def test_empty_condition_in_flow2_is_an_empty_operand() -> None:
    assert check("") == ["Invalid condition for me: operand is an empty string."]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a&&b", ["a", "b"]),
        ("a&&", ["a"]),
        ("&&a", ["", "a"]),
        ("&&", []),
        ("", [""]),
        ("a", ["a"]),
        ("a>=b", ["a", "=b"]),
    ],
)
def test_java_split_semantics(text: str, parts: list[str]) -> None:
    assert java_split(text, CONDITION_OPERATORS) == parts
