"""`Field`: one user-facing setting declared once (type, default, bounds, title, help).

The spec's field table (`azkaban_seeder.spec.ENV_FIELDS`, `RUN_FIELDS`, `MODE_FIELD`) is made of
these. Everything a user can type a value into is built from that table: the dataclasses'
defaults and validation, the CLI flags and their help, the spec-file loader, and the Airflow
Params (``azkaban_airflow.params``, via `Field.json_schema`). Change a bound here and all of
them follow.

`Field.coerce` takes the loose values a CLI, a YAML/JSON file or an Airflow form produce (ints
as strings, floats that are whole numbers) and returns the typed value or raises `SpecError`
naming the field, the problem and the fix. `Field.check` is the strict form used on values
that are already typed (direct dataclass construction must not smuggle in strings).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["integer", "number", "string", "boolean"]


class SpecError(ValueError):
    """An invalid setting: which field, what is wrong, how to fix it."""

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(f"{field}: {problem}; fix: {fix}")


def _fmt(number: float) -> str:
    return f"{number:g}" if isinstance(number, float) else str(number)


@dataclass(frozen=True)
class Field:
    """One setting. ``minimum``/``maximum`` bound numbers (``exclusive_minimum``: strictly
    greater); ``choices``, ``pattern`` (full match), ``min_length``/``max_length`` bound text.
    ``pattern_problem``/``fix`` give the pattern rule in the user's words. ``section`` groups
    the Airflow form; ``form=False`` keeps a field out of it (deployment-level settings)."""

    name: str
    kind: Kind
    default: Any
    title: str
    help: str
    section: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    pattern_problem: str = ""
    fix: str = ""
    min_length: int | None = None
    max_length: int | None = None
    examples: tuple[str, ...] = ()
    form: bool = True

    # ------------------------------------------------------------------ text for users

    @property
    def flag(self) -> str:
        """The CLI flag: ``flow_count`` -> ``--flow-count``."""
        return "--" + self.name.replace("_", "-")

    @property
    def bounds_text(self) -> str:
        """The allowed values in a few words, e.g. ``1..1000000`` or ``1.0 | 2.0``."""
        if self.choices:
            return " | ".join(self.choices)
        if self.kind in ("integer", "number") and self.maximum is not None:
            low = "> 0" if self.exclusive_minimum else _fmt(self.minimum or 0)
            if self.exclusive_minimum:
                return f"{low} and <= {_fmt(self.maximum)}"
            return f"{low}..{_fmt(self.maximum)}"
        if self.max_length is not None:
            return f"at most {self.max_length} characters"
        return ""

    def _range_words(self) -> str:
        if self.exclusive_minimum:
            return f"> {_fmt(self.minimum or 0)} and <= {_fmt(self.maximum or 0)}"
        return f"between {_fmt(self.minimum or 0)} and {_fmt(self.maximum or 0)}"

    def help_line(self) -> str:
        """One line for ``--help``: the help text, the bounds and the default."""
        bounds = f"{self.bounds_text}; " if self.bounds_text else ""
        return f"{self.help} ({bounds}default: {self.default})"

    def _fix(self) -> str:
        if self.fix:
            return self.fix
        if self.kind == "boolean":
            return "pass true or false"
        if self.kind == "integer":
            return f"pass a whole number {self.bounds_text}"
        if self.kind == "number":
            return f"pass a number of seconds {self.bounds_text}"
        if self.choices:
            return "pass one of " + ", ".join(repr(c) for c in self.choices)
        return "pass text"

    def error(self, problem: str) -> SpecError:
        """A `SpecError` for this field with its standard fix."""
        return SpecError(self.name, problem, self._fix())

    # ------------------------------------------------------------------ values

    def coerce(self, value: Any) -> Any:
        """Loose input (CLI, file, form) -> the typed value; raises `SpecError`."""
        if self.kind == "boolean":
            return self._to_bool(value)
        if self.kind == "integer":
            return self._check_number(self._to_int(value))
        if self.kind == "number":
            return self._check_number(self._to_float(value))
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(f"must be text (got {value!r})")
        return self.check(str(value))

    def check(self, value: Any) -> Any:
        """Validate an already-typed value (no coercion); returns it."""
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise self.error(f"must be true or false (got {value!r})")
            return value
        if self.kind == "integer":
            if type(value) is not int:
                raise self.error(f"must be an int (got {value!r})")
            return self._check_number(value)
        if self.kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise self.error(f"must be a number (got {value!r})")
            return self._check_number(float(value))
        if not isinstance(value, str):
            raise self.error(f"must be a string (got {value!r})")
        return self._check_text(value)

    def _to_bool(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower() if isinstance(value, str) else None
        if text in ("true", "yes", "on", "1"):
            return True
        if text in ("false", "no", "off", "0"):
            return False
        raise self.error(f"must be true or false (got {value!r})")

    def _to_int(self, value: Any) -> int:
        if isinstance(value, str):
            text = value.strip()
            # int() would also take "١٢" (Arabic-Indic digits) or "1_000"; ASCII digits only.
            if re.fullmatch(r"[+-]?[0-9]+", text):
                return int(text)
        elif isinstance(value, float) and value.is_integer():
            return int(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            return value
        raise self.error(f"must be an integer (got {value!r})")

    def _to_float(self, value: Any) -> float:
        if isinstance(value, bool):
            raise self.error(f"must be a number (got {value!r})")
        try:
            return float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise self.error(f"must be a number (got {value!r})") from None

    def _check_number(self, number: Any) -> Any:
        if isinstance(number, float) and not math.isfinite(number):
            raise self.error(f"must be a finite number (got {number!r})")
        low, high = self.minimum, self.maximum
        too_low = low is not None and (number <= low if self.exclusive_minimum else number < low)
        if too_low or (high is not None and number > high):
            raise self.error(f"must be {self._range_words()} (got {_fmt(number)})")
        return number

    def _check_text(self, text: str) -> str:
        if self.choices and text not in self.choices:
            raise self.error(f"must be {self.bounds_text} (got {text!r})")
        if self.min_length is not None and len(text.strip()) < self.min_length:
            raise self.error("must not be empty")
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            raise self.error(f"{self.pattern_problem or 'has the wrong form'} (got {text!r})")
        if self.max_length is not None and len(text) > self.max_length:
            raise self.error(f"is {len(text)} characters, more than {self.max_length}")
        return text

    # ------------------------------------------------------------------ JSON schema

    def json_schema(self) -> dict[str, Any]:
        """The field's rules as JSON-schema keywords (what an Airflow ``Param`` takes)."""
        schema: dict[str, Any] = {"type": self.kind}
        if self.minimum is not None:
            key = "exclusiveMinimum" if self.exclusive_minimum else "minimum"
            schema[key] = self.minimum
        optional = {
            "maximum": self.maximum,
            "pattern": f"^{self.pattern}$" if self.pattern else None,
            "minLength": self.min_length,
            "maxLength": self.max_length,
        }
        schema.update({k: v for k, v in optional.items() if v is not None})
        if self.choices:
            schema["enum"] = list(self.choices)
        if self.examples:
            schema["examples"] = list(self.examples)
        return schema
