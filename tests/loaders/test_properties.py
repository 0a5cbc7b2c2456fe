"""Java `Properties.load` parsing: the documented rules, and the unescaped fast path of the
key split agreeing with the character-by-character rule on every kind of line."""

from __future__ import annotations

import random

import pytest

from azkaban_seeder.loaders.properties import PropertiesError, _split_key, parse_properties


def _split_by_characters(line: str) -> tuple[str, str]:
    """The rule of Java's `load0`, one character at a time (the reference for the fast path)."""
    i, escaped = 0, False
    while i < len(line):
        char = line[i]
        if not escaped and char in "=: \t\f":
            break
        escaped = char == "\\" and not escaped
        i += 1
    rest = line[i:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return line[:i], rest


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"type=command\n", {"type": "command"}),
        (b"a : b\n", {"a": "b"}),
        (b"a b c\n", {"a": "b c"}),
        (b"key\n", {"key": ""}),
        (b"a==b\n", {"a": "=b"}),
        (b"a\\=b=c\n", {"a=b": "c"}),
        (b"a\\ b c\n", {"a b": "c"}),
        (b"  # comment\n! also\nk=v\n", {"k": "v"}),
        (b"k=one \\\n    two\n", {"k": "one two"}),
        (b"k=\\u0041\\t\n", {"k": "A\t"}),
        (b"k=\xe9\n", {"k": "\u00e9"}),  # ISO-8859-1
        (b"k=1\r\nk=2\r", {"k": "2"}),  # later keys win; CR LF and CR end lines
    ],
)
def test_java_properties_rules(text: bytes, expected: dict[str, str]) -> None:
    assert parse_properties(text) == expected


def test_a_malformed_unicode_escape_is_refused() -> None:
    with pytest.raises(PropertiesError, match="Malformed"):
        parse_properties(b"k=\\u12\n")


def test_the_key_split_agrees_with_the_character_rule_on_random_lines() -> None:
    rng = random.Random(20261202)
    alphabet = "ab=: \t\f\\.x"
    lines = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(5000)]
    lines += ["command=echo a b", "a:b", "=", ":x", "\tkey", "k\f=v", "dependencies=a,b"]
    for line in lines:
        assert _split_key(line) == _split_by_characters(line), repr(line)
