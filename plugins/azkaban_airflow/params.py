"""DAG Params built from the spec's field table (`azkaban_seeder.spec`), never written by hand.

Each `Field` gives the Param its default, title (the form's label), description, form section
and JSON-schema rules (type, bounds, enum, pattern, lengths, examples), so the Trigger form
refuses what the CLI and the spec-file loader refuse. The description says, in the user's
words, what the field holds, what is allowed, an example and how to fix a refused value.

`check_values` is the same table applied to a whole set of values (the ``plan`` task and the
nightly DAG's deployment conf): every refusal names the form label and the parameter, e.g.
``Flows per project (flows_per_project): must be between 1 and 5000 (got 0); fix: ...``.

`profile_params` / `check_profile_values` do the same for ``azkaban_env_profile``: the crawl's
field table (`azkaban_seeder.crawl.options.CRAWL_FIELDS`) plus the output file `PROFILE_OUT`.

Imported at DAG parse time: keep it to `airflow.sdk` and the stdlib-only product modules.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.sdk import Param

from azkaban_seeder.crawl.options import CRAWL_FIELDS
from azkaban_seeder.fields import Field, SpecError
from azkaban_seeder.spec import ENV_FIELDS, MODE_FIELD, RUN_FIELDS, EnvSpec, RunOptions

#: Teardown form fields that are not in the spec's table.
CONFIRM_PREFIX = "confirm_prefix"
DRY_RUN = "dry_run"
TEARDOWN_TITLES = {CONFIRM_PREFIX: "Confirm prefix", DRY_RUN: "Dry run"}
TEARDOWN_SECTION = "Tear down"
#: Named in the nightly form's descriptions.
NIGHTLY_CONF_VARIABLE = "AZKABAN_SEEDER_NIGHTLY_CONF"
ON_DEMAND_DAG = "azkaban_env_rebuild"


def form_fields() -> dict[str, Field]:
    """Every field the rebuild form shows, by name: spec, run options, then ``mode``."""
    fields = [f for f in (*ENV_FIELDS.values(), *RUN_FIELDS.values()) if f.form]
    return {**{f.name: f for f in fields}, MODE_FIELD.name: MODE_FIELD}


def label(name: str, fields: Mapping[str, Field] | None = None) -> str:
    """``Flows per project (flows_per_project)``: the form's label, then the param's name
    (``fields``: the form's field table, default the rebuild's)."""
    table = (
        fields if fields is not None else {**ENV_FIELDS, **RUN_FIELDS, MODE_FIELD.name: MODE_FIELD}
    )
    field = table.get(name)
    title = field.title if field is not None else TEARDOWN_TITLES.get(name)
    return f"{title} ({name})" if title else name


def refusal(exc: SpecError, fields: Mapping[str, Field] | None = None) -> str:
    """A `SpecError` in the user's words: the label, the problem, the fix."""
    return f"{label(exc.field, fields)}: {exc.problem}; fix: {exc.fix}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def describe(field: Field, note: str = "") -> str:
    """The form's help text: what the field is, what is allowed, an example, the fix."""
    parts = [_sentence(field.help)]
    if field.bounds_text:
        parts.append(f"Allowed: {field.bounds_text}.")
    example = field.examples[0] if field.examples else field.default
    if example != "":
        parts.append(f"Example: {example}.")
    if note:
        parts.append(_sentence(note))
    parts.append(f"If refused: {field.error('').fix}.")
    return " ".join(parts)


def optional_type(field: Field) -> dict[str, Any]:
    """``{"type": ["string", "null"]}`` for text whose default is empty ("none"), else {}.

    The 3.3 Trigger form treats a field whose type excludes null as required and an empty
    value as missing: it marks the section red and disables Trigger. Allowing null lets such
    a field stay empty; the tasks read null as "not given" (the default)."""
    if field.kind == "string" and field.default == "":
        return {"type": ["string", "null"]}
    return {}


def field_param(field: Field, *, note: str = "", required: bool = False, **overrides: Any) -> Param:
    """The `Param` for one field; ``note`` goes into its description. ``required``: no
    default, so the form starts empty and refuses to trigger until the field is filled."""
    values: dict[str, Any] = {
        "title": field.title,
        "description": describe(field, note),
        **field.json_schema(),
        **({"section": field.section} if field.section else {}),
        **optional_type(field),
        **overrides,
    }
    default = values.pop("default", field.default)
    schema = {k: v for k, v in values.items() if v is not None}
    return Param(**schema) if required else Param(default, **schema)


def _notes(parallel_shards: int) -> dict[str, str]:
    return {
        "processes": f"Up to {parallel_shards} shards run at once, so Azkaban sees at most "
        f"{parallel_shards} times this many parallel uploads",
    }


def rebuild_params(parallel_shards: int) -> dict[str, Param]:
    """The rebuild form: every form field of the spec and run tables, then ``mode``.

    ``parallel_shards`` (the deployment's cap on concurrent shards) goes into the
    ``processes`` description, so the form says how many uploads Azkaban will see."""
    notes = _notes(parallel_shards)
    return {name: field_param(f, note=notes.get(name, "")) for name, f in form_fields().items()}


def fixed_params(values: Mapping[str, Any], parallel_shards: int) -> dict[str, Param]:
    """The rebuild form with every value fixed to ``values`` (the nightly's deployment conf).

    Each Param's ``enum`` holds only that value: the Trigger form shows every field as a
    list with one choice (the reader sees what the nightly builds), and any other value,
    from the form, the REST API or the CLI, is refused with HTTP 400 like any schema
    violation. (``const`` would hide the fields, but the 3.3 form shows a ``const`` of 0 or
    "" as an ordinary editable field.)"""
    notes = _notes(parallel_shards)
    params = {}
    for name, field in form_fields().items():
        value = values[name]
        parts = [_sentence(field.help)]
        if name in notes:
            parts.append(_sentence(notes[name]))
        parts.append(
            f"Set by the deployment ({NIGHTLY_CONF_VARIABLE}): the only value offered. "
            f"For another value, trigger {ON_DEMAND_DAG}."
        )
        params[name] = field_param(field, default=value, enum=[value], description=" ".join(parts))
    return params


def _coerce_all(
    values: Mapping[str, Any], fields: Mapping[str, Field], known: frozenset[str] | None
) -> tuple[dict[str, Any], list[str]]:
    """Every field of ``fields`` typed (None: not given, the default), and one line per
    problem: names not in ``known`` (default: ``fields``) and refused values."""
    allowed = known if known is not None else frozenset(fields)
    problems = [
        f"unknown parameter {name!r}; fix: remove it (known: {', '.join(sorted(allowed))})"
        for name in values
        if name not in allowed
    ]
    typed: dict[str, Any] = {}
    for name, field in fields.items():
        raw = values.get(name)  # None: not given (an empty optional field), the default
        try:
            typed[name] = field.coerce(field.default if raw is None else raw)
        except SpecError as exc:
            problems.append(refusal(exc, fields))
    return typed, problems


def check_values(
    values: Mapping[str, Any],
    *,
    max_map_length: int,
    known: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Validate a full set of rebuild values against the field table; returns them typed.

    Raises `ValueError` with one line per problem, each naming the label and the fix:
    unknown names (not in ``known``, default: the form's fields), values out of bounds,
    and the rules that span fields (shape, command template, shard count)."""
    fields = form_fields()
    typed, problems = _coerce_all(values, fields, known)
    if not problems:
        spec_values = {n: typed[n] for n in fields if n in ENV_FIELDS}
        try:
            EnvSpec.from_mapping({**spec_values, "max_map_length": max_map_length})
            RunOptions.from_mapping({n: typed[n] for n in fields if n in RUN_FIELDS})
        except SpecError as exc:
            problems.append(refusal(exc))
    if problems:
        raise ValueError("\n".join(problems))
    return typed


def teardown_params() -> dict[str, Param]:
    """The teardown form: the prefix (no default: it must be typed), a confirmation field
    that must repeat it for a real delete, and ``dry_run`` (on by default)."""
    prefix = ENV_FIELDS["prefix"]
    return {
        "prefix": field_param(
            prefix,
            note="Deletes our projects named <prefix>_NNNNN; there is no default: type it",
            section=TEARDOWN_SECTION,
            required=True,
        ),
        CONFIRM_PREFIX: Param(
            "",
            type=["string", "null"],
            title=TEARDOWN_TITLES[CONFIRM_PREFIX],
            section=TEARDOWN_SECTION,
            description="Needed only with Dry run off: type the prefix again to confirm the "
            "delete. If refused: make it equal to Project prefix, or leave Dry run on.",
            maxLength=prefix.max_length,
        ),
        DRY_RUN: Param(
            True,
            type="boolean",
            title=TEARDOWN_TITLES[DRY_RUN],
            section=TEARDOWN_SECTION,
            description="On (default): only list what would be deleted (task log and XCom "
            "would_delete). Off: delete, if Confirm prefix equals Project prefix.",
        ),
    }


# --------------------------------------------------------------------------- profile DAG

#: The profile DAG's output file: not a crawl option, so declared here.
PROFILE_OUT = "out"
OUT_FIELD = Field(
    PROFILE_OUT,
    "string",
    "",
    "Profile file to write",
    "absolute path of the profile JSON file, on storage every worker can read (a rebuild "
    'with shape profile reads it from there); "" = <report dir>/profiles/<run id>.json',
    "Output",
    pattern="(/.*)?",
    pattern_problem="is not an absolute path",
    fix="give an absolute path such as /shared/azkaban-profiles/prod.json, or leave it "
    "empty for <report dir>/profiles/<run id>.json",
    max_length=4_096,
    examples=("/shared/azkaban-profiles/prod.json",),
)


def profile_fields() -> dict[str, Field]:
    """Every field the profile form shows, by name: the crawl's table, then the output."""
    return {**CRAWL_FIELDS, PROFILE_OUT: OUT_FIELD}


def profile_params() -> dict[str, Param]:
    """The ``azkaban_env_profile`` form, from `profile_fields` (defaults: a gentle crawl)."""
    return {name: field_param(field) for name, field in profile_fields().items()}


def check_profile_values(
    values: Mapping[str, Any], known: frozenset[str] | None = None
) -> dict[str, Any]:
    """Validate the profile DAG's values; returns them typed (the output "" when not given).

    Raises `ValueError`, one line per problem naming the label and the fix, also for names
    that are no param of the DAG (``known``, default: the form's fields)."""
    typed, problems = _coerce_all(values, profile_fields(), known)
    if problems:
        raise ValueError("\n".join(problems))
    return typed
