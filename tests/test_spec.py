from __future__ import annotations

import json

import pytest

from azkaban_seeder.spec import (
    DEFAULT_MIX,
    EnvSpec,
    RunOptions,
    ScheduleWindow,
    ShapeChoice,
    SpecError,
    parse_schedule_window,
    parse_shape,
)


def _error(**overrides: object) -> SpecError:
    with pytest.raises(SpecError) as info:
        EnvSpec.from_mapping(overrides)
    return info.value


def test_defaults_match_the_contract() -> None:
    spec = EnvSpec()
    assert spec.to_dict() == {
        "flow_count": 10_000,
        "flows_per_project": 100,
        "projects_per_shard": 0,
        "prefix": "stress",
        "flow_format": "1.0",
        "shape": "single",
        "seed": 0,
        "command": "echo {project} {flow} {job}",
        "schedule": "off",
        "profile": "",
        "max_map_length": 1024,
        "parallel_shards": 1,
    }
    assert spec.project_count == 100
    # Auto sizing: one shard per parallel slot (the CLI runs one shard at a time).
    assert (spec.shard_size, spec.shard_count) == (100, 1)


@pytest.mark.parametrize(
    ("flows", "per_project", "slots", "max_map", "size", "count"),
    [
        (100_000, 100, 4, 1024, 250, 4),  # one wave of 4 shards
        (100_000, 100, 3, 1024, 334, 3),  # uneven: the last shard is smaller
        (1_000, 100, 16, 1024, 1, 10),  # fewer projects than slots: one project each
        (1_000_000, 1, 2_000, 1024, 977, 1024),  # more slots than max_map_length
        (50, 100, 4, 1024, 1, 1),
    ],
)
def test_auto_shard_size_makes_one_wave_of_the_parallel_slots(
    flows: int, per_project: int, slots: int, max_map: int, size: int, count: int
) -> None:
    spec = EnvSpec(
        flow_count=flows,
        flows_per_project=per_project,
        parallel_shards=slots,
        max_map_length=max_map,
    )
    assert (spec.shard_size, spec.shard_count) == (size, count)
    assert spec.shard_count <= min(slots, max_map)


def test_explicit_projects_per_shard_ignores_the_slots() -> None:
    spec = EnvSpec(flow_count=100_000, projects_per_shard=10, parallel_shards=4)
    assert (spec.shard_size, spec.shard_count) == (10, 100)


def test_from_mapping_coerces_cli_strings_and_roundtrips_through_json() -> None:
    spec = EnvSpec.from_mapping(
        {"flow_count": "2500", "flows_per_project": "50", "seed": " 7 ", "flow_format": 2.0}
    )
    assert (spec.flow_count, spec.flows_per_project, spec.seed) == (2500, 50, 7)
    assert spec.flow_format == "2.0"
    assert EnvSpec.from_mapping(json.loads(json.dumps(spec.to_dict()))) == spec


def test_none_means_default() -> None:
    assert EnvSpec.from_mapping({"flow_count": None, "shape": None}) == EnvSpec()


def test_unknown_key_names_the_key_and_the_valid_ones() -> None:
    err = _error(flows=10)
    assert err.field == "flows"
    assert "flow_count" in err.fix and "max_map_length" in err.fix


def test_error_string_names_field_problem_and_fix() -> None:
    err = _error(flow_count=0)
    assert err.field == "flow_count"
    assert str(err) == f"flow_count: {err.problem}; fix: {err.fix}"
    assert "between 1 and 1000000 (got 0)" in err.problem
    assert isinstance(err, ValueError)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("flow_count", 0),
        ("flow_count", 1_000_001),
        ("flow_count", "ten"),
        ("flow_count", True),
        ("flow_count", "1.5"),
        ("flows_per_project", 0),
        ("flows_per_project", 5_001),
        ("projects_per_shard", -1),
        ("projects_per_shard", 100_001),
        ("parallel_shards", 0),
        ("max_map_length", 0),
        ("seed", -1),
    ],
)
def test_counts_are_bounded(field: str, value: object) -> None:
    err = _error(**{field: value})
    assert err.field == field
    assert err.fix


def test_string_errors_report_the_real_bounds() -> None:
    err = _error(flows_per_project="-1")
    assert err.problem == "must be between 1 and 5000 (got -1)"


def test_constructor_rejects_strings_for_ints() -> None:
    with pytest.raises(SpecError) as info:
        EnvSpec(flow_count="10")  # type: ignore[arg-type]
    assert info.value.field == "flow_count"


def test_upper_bounds_are_inclusive() -> None:
    spec = EnvSpec(flow_count=1_000_000, flows_per_project=5_000, projects_per_shard=1_000)
    assert spec.project_count == 200


@pytest.mark.parametrize("prefix", ["", "1abc", "_abc", "a b", "a|b", "a.b", "é", "x" * 58])
def test_bad_prefixes(prefix: str) -> None:
    err = _error(prefix=prefix)
    assert err.field == "prefix"
    assert "fix" in str(err)


@pytest.mark.parametrize("prefix", ["a", "Stress-Test_2", "x" * 57])
def test_good_prefixes_give_names_azkaban_accepts(prefix: str) -> None:
    import re

    spec = EnvSpec(
        prefix=prefix, flow_count=1_000_000, flows_per_project=1, projects_per_shard=1000
    )
    last = f"{prefix}_{spec.project_count - 1:05d}"
    assert re.fullmatch(r"[a-zA-Z][a-zA-Z_0-9|-]*", last)
    assert len(last) <= 64


@pytest.mark.parametrize("fmt", ["1", "2", "3.0", "yaml", ""])
def test_bad_flow_format(fmt: str) -> None:
    assert _error(flow_format=fmt).field == "flow_format"


def test_shard_limit_names_the_needed_projects_per_shard() -> None:
    # 2,000 projects with 1 per shard is 2,000 shards > 1,024 mapped instances.
    err = _error(flow_count=200_000, flows_per_project=100, projects_per_shard=1)
    assert err.field == "projects_per_shard"
    assert "2000 shards" in err.problem
    assert "at least 2" in err.fix
    # ... and the advice works.
    assert (
        EnvSpec(flow_count=200_000, flows_per_project=100, projects_per_shard=2).shard_count == 1000
    )


def test_shard_limit_follows_max_map_length() -> None:
    err = _error(flow_count=1000, flows_per_project=10, projects_per_shard=1, max_map_length=30)
    assert "at least 4" in err.fix
    assert EnvSpec(flow_count=1000, flows_per_project=10, projects_per_shard=4, max_map_length=30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("single", (ShapeChoice("single", 0, 1),)),
        ("chain:1", (ShapeChoice("chain", 1, 1),)),
        ("chain:100", (ShapeChoice("chain", 100, 1),)),
        ("fanout:7", (ShapeChoice("fanout", 7, 1),)),
        ("random", (ShapeChoice("random", 0, 1),)),
        (
            "mix:single=5,chain:3=2",
            (ShapeChoice("single", 0, 5), ShapeChoice("chain", 3, 2)),
        ),
    ],
)
def test_shapes_parse(text: str, expected: tuple[ShapeChoice, ...]) -> None:
    assert parse_shape(text) == expected
    assert EnvSpec(shape=text).shape_choices == expected


def test_plain_mix_uses_the_documented_weights() -> None:
    choices = parse_shape("mix")
    assert choices == parse_shape(DEFAULT_MIX)
    assert {c.label: c.weight for c in choices} == {
        "single": 50,
        "chain:3": 20,
        "fanout:4": 20,
        "random": 10,
    }


@pytest.mark.parametrize(
    "shape",
    [
        "chain",
        "chain:0",
        "chain:101",
        "fanout:x",
        "fanout:0",
        "fanout:101",
        "single:2",
        "star",
        "mix:",
        "mix:single",
        "mix:single=0",
        "mix:single=2,single=3",
        "mix:mix=1",
        "mix:chain:0=1",
    ],
)
def test_bad_shapes(shape: str) -> None:
    err = _error(shape=shape)
    assert err.field == "shape"
    assert err.fix


@pytest.mark.parametrize(
    "command",
    [
        "",
        "   ",
        "echo {user}",
        "echo {0}",
        "echo {}",
        "echo {job",
        "echo }",
        "echo {job!r}",
        "echo {index:zz}",
        "echo a\nrm -rf /",
        "echo \x00",
        "x" * 4097,
    ],
)
def test_bad_commands(command: str) -> None:
    assert _error(command=command).field == "command"


@pytest.mark.parametrize(
    "command", ["sleep 1", "echo {project} {flow} {job} {index}", "echo {index:06d} {{x}}"]
)
def test_good_commands(command: str) -> None:
    assert EnvSpec(command=command).command == command


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("off", None),
        ("00:00-06:00", ScheduleWindow(0, 360)),
        ("22:30-02:00", ScheduleWindow(22 * 60 + 30, 210)),
        ("00:00-24:00", ScheduleWindow(0, 1440)),
    ],
)
def test_schedule_windows(text: str, window: ScheduleWindow | None) -> None:
    assert parse_schedule_window(text) == window


@pytest.mark.parametrize(
    "schedule", ["on", "0:00-6:00", "00:00-00:00", "25:00-26:00", "00:60-01:00", "24:30-01:00", ""]
)
def test_bad_schedule_names_the_format(schedule: str) -> None:
    err = _error(schedule=schedule)
    assert err.field == "schedule"
    assert "HH:MM-HH:MM" in err.fix


def test_spec_is_frozen() -> None:
    spec = EnvSpec()
    with pytest.raises(AttributeError):
        spec.flow_count = 5  # type: ignore[misc]


# ----------------------------------------------------------------------------- RunOptions


def test_run_options_defaults_and_roundtrip() -> None:
    options = RunOptions()
    assert 1 <= options.processes <= 4
    assert (options.upload_timeout, options.retry_attempts, options.retry_max_seconds) == (
        120.0,
        6,
        300.0,
    )
    assert RunOptions.from_mapping(json.loads(json.dumps(options.to_dict()))) == options


def test_run_options_coerce_strings() -> None:
    options = RunOptions.from_mapping({"processes": "2", "upload_timeout": "30.5"})
    assert options.processes == 2
    assert options.upload_timeout == 30.5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("processes", 0),
        ("processes", 65),
        ("processes", "many"),
        ("upload_timeout", 0),
        ("upload_timeout", "nan"),
        ("upload_timeout", "inf"),
        ("upload_timeout", -1),
        ("retry_attempts", 0),
        ("retry_max_seconds", 100_000),
        ("retries", 3),
    ],
)
def test_run_options_validation(field: str, value: object) -> None:
    with pytest.raises(SpecError) as info:
        RunOptions.from_mapping({field: value})
    assert info.value.field == field
    assert info.value.fix


@pytest.mark.parametrize(
    ("command", "named"),
    [
        ("echo {index:>100000}", "asks for 100000 characters"),
        ("echo {index:>1000000000}", "asks for 1000000000 characters"),
        ("echo {job:.5000}", "asks for 5000 characters"),
        ("echo {index:>4092}", "expands to"),
        ("echo " + "{project}" * 400, "expands to"),
    ],
)
def test_the_expanded_command_is_bounded_not_only_the_template(command: str, named: str) -> None:
    # Regression: only the template's length was checked, so {index:>100000} uploaded
    # 100 KB commands (and a larger width could ask for gigabytes).
    with pytest.raises(SpecError) as caught:
        EnvSpec(command=command)
    assert caught.value.field == "command"
    assert named in caught.value.problem


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", float("nan"), float("inf")])
def test_seconds_fields_refuse_nan_and_infinity(value: object) -> None:
    with pytest.raises(SpecError, match="upload_timeout"):
        RunOptions.from_mapping({"upload_timeout": value})


@pytest.mark.parametrize("value", ["\u0661\u0662", "\uff11\uff12", "\u00b2", "1_000", " 1e3 "])
def test_integers_take_ascii_digits_only(value: str) -> None:
    with pytest.raises(SpecError, match="must be an integer"):
        EnvSpec.from_mapping({"flow_count": value})


@pytest.mark.parametrize("shape", ["chain:\u00b2", "fanout:\u0663", "mix:single=\u00b2"])
def test_shapes_with_non_ascii_digits_are_refused_with_a_message(shape: str) -> None:
    # Regression: "chain:²" passed str.isdigit() and then crashed int() with a traceback.
    with pytest.raises(SpecError) as caught:
        EnvSpec(shape=shape)
    assert caught.value.field == "shape"
