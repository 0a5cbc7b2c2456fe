"""Java `java.util.Properties.load(InputStream)` parsing, as Azkaban reads .job/.properties.

ISO-8859-1 bytes; `=`, `:` or whitespace separate key and value; `#`/`!` start comment lines;
a line ending in an odd number of backslashes continues on the next line (whose leading
whitespace is dropped); `\\uXXXX`, `\\t`, `\\n`, `\\r`, `\\f` escapes; any other escaped char
stands for itself.
"""

from __future__ import annotations

import re

_WHITESPACE = " \t\f"
_SEPARATORS = "=:"
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_NEWLINES = re.compile(r"\r\n|\r|\n")
_HEX = frozenset("0123456789abcdefABCDEF")
_KEY_END = re.compile(f"[{re.escape(_SEPARATORS + _WHITESPACE)}]")


class PropertiesError(ValueError):
    """Raised for input Java's parser rejects (malformed \\uXXXX escapes)."""


def _ends_continued(line: str) -> bool:
    count = len(line) - len(line.rstrip("\\"))
    return count % 2 == 1


def _logical_lines(text: str) -> list[str]:
    lines: list[str] = []
    current: str | None = None
    for raw in _NEWLINES.split(text):
        line = raw.lstrip(_WHITESPACE)
        if current is None:
            if not line or line[0] in "#!":
                continue
            current = ""
        if _ends_continued(line):
            current += line[:-1]
        else:
            lines.append(current + line)
            current = None
    if current:
        # A continuation at end of file: the dangling backslash is dropped.
        lines.append(current)
    return lines


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\" or i + 1 >= len(text):
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u":
            digits = text[i + 2 : i + 6]
            if len(digits) != 4 or not set(digits) <= _HEX:
                raise PropertiesError("Malformed \\uxxxx encoding.")
            out.append(chr(int(digits, 16)))
            i += 6
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return "".join(out)


def _split_key(line: str) -> tuple[str, str]:
    """Split one logical line at the first unescaped separator, as Java's `load0` does."""
    if "\\" not in line:
        # Nothing is escaped: the first separator or whitespace ends the key (the common
        # case, found by one regex search instead of a loop over the characters).
        found = _KEY_END.search(line)
        i = found.start() if found else len(line)
    else:
        i = 0
        escaped = False
        while i < len(line):
            char = line[i]
            if not escaped and (char in _SEPARATORS or char in _WHITESPACE):
                break
            escaped = char == "\\" and not escaped
            i += 1
    key = line[:i]
    rest = line[i:].lstrip(_WHITESPACE)
    if rest[:1] in ("=", ":") and rest:
        rest = rest[1:].lstrip(_WHITESPACE)
    return key, rest


def parse_properties(data: bytes) -> dict[str, str]:
    """Parse a .properties/.job file's bytes into a dict (later keys win)."""
    result: dict[str, str] = {}
    for line in _logical_lines(data.decode("iso-8859-1")):
        key, value = _split_key(line)
        result[_unescape(key)] = _unescape(value)
    return result
