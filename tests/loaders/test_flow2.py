"""Flow 2.0 loading rules and loader choice (spec sections 5.1 and 5.3)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from azkaban_seeder.loaders import InstallError, LoadResult, load_project_zip

ZipMaker = Callable[[Mapping[str, str | bytes]], bytes]
PROJECT = "azkaban-flow-version: 2.0\n"

BASIC = """
config:
  failure.emails: ops@example.com
  retries: 3
nodes:
  - name: start
    type: command
    config:
      command: echo start
      fail: false
      ratio: 1.50
  - name: finish
    type: command
    dependsOn: [start]
    config:
      command: echo done
"""


def load(make_zip: ZipMaker, files: dict[str, str]) -> LoadResult:
    return load_project_zip(make_zip({"p.project": PROJECT, **files}))


def test_one_flow_per_file_named_after_the_file(make_zip: ZipMaker) -> None:
    result = load(make_zip, {"daily.flow": "name: ignored\n" + BASIC})
    assert result.flow_format == "2.0"
    assert result.errors == []
    assert list(result.flows) == ["daily"]
    flow = result.flows["daily"]
    assert flow.embedded is False
    assert flow.props["failure.emails"] == "ops@example.com"
    assert flow.props["retries"] == "3"
    assert sorted(flow.nodes) == ["finish", "start"]
    assert flow.nodes["finish"].in_ == ["start"]
    assert flow.nodes["start"].in_ == []
    assert flow.nodes["start"].type == "command"
    # Scalars are coerced to strings keeping their YAML text, like SnakeYAML's String binding.
    assert flow.nodes["start"].props["fail"] == "false"
    assert flow.nodes["start"].props["ratio"] == "1.50"
    assert result.flow_files == 1
    assert result.job_files == 0


def test_project_file_in_a_subdirectory_selects_flow2(make_zip: ZipMaker) -> None:
    result = load_project_zip(make_zip({"top/p.project": PROJECT, "top/f.flow": BASIC}))
    assert result.flow_format == "2.0"
    assert list(result.flows) == ["f"]


def test_no_project_file_means_flow1_even_with_flow_files(make_zip: ZipMaker) -> None:
    result = load_project_zip(make_zip({"f.flow": BASIC}))
    assert result.flow_format == "1.0"
    assert result.flows == {}


def test_bare_dot_project_file_is_hidden_and_ignored(make_zip: ZipMaker) -> None:
    # Azkaban's SuffixFilter skips hidden files and names no longer than the suffix.
    result = load_project_zip(make_zip({".project": PROJECT, "f.flow": BASIC}))
    assert result.flow_format == "1.0"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"a.project": PROJECT, "b.project": PROJECT},
            "Duplicate project YAML files found in the project directory. Only one is allowed.",
        ),
        (
            {"a.project": "other: 1\n"},
            "azkaban-flow-version is not specified in the project YAML file.",
        ),
        ({"a.project": ""}, "azkaban-flow-version is not specified in the project YAML file."),
        (
            {"a.project": "azkaban-flow-version: 2\n"},
            "Invalid azkaban-flow-version in the project YAML file.",
        ),
        (
            {"a.project": "azkaban-flow-version: '2.0'\n"},
            "Invalid azkaban-flow-version in the project YAML file.",
        ),
        (
            {"a.project": "azkaban-flow-version: 1.0\n"},
            "Invalid azkaban-flow-version in the project YAML file.",
        ),
    ],
)
def test_project_file_problems_are_install_errors(
    make_zip: ZipMaker, files: dict[str, str], message: str
) -> None:
    with pytest.raises(InstallError) as info:
        load_project_zip(make_zip({**files, "f.flow": BASIC}))
    assert info.value.message == message


def test_empty_project_is_accepted(make_zip: ZipMaker) -> None:
    result = load(make_zip, {})
    assert result.flow_format == "2.0"
    assert result.flows == {}
    assert result.errors == []


@pytest.mark.parametrize(
    ("body", "suffix"),
    [
        ("nodes:\n  - name: a\n    type: command\n    colour: red\n", "colour"),
        ("config: {}\n", ":null"),
        ("", ":Failed to load flow file f.flow. Node bean is null ."),
        ("nodes:\n  - name: a\n    type: flow\n", ":null"),
        ("nodes:\n  - name: a\n", ":null"),
        ("nodes:\n  - type: command\n", ":null"),
        ("nodes: [\n", ""),
    ],
)
def test_bad_flow_yaml_is_a_load_error(make_zip: ZipMaker, body: str, suffix: str) -> None:
    result = load(make_zip, {"f.flow": body})
    assert len(result.errors) == 1
    assert result.errors[0].startswith("Error loading flow yaml file f.flow:")
    assert suffix in result.errors[0]
    assert result.flows == {}


@pytest.mark.parametrize(
    "body",
    [
        "nodes:\n  - {name: a, type: command}\n  - {name: a, type: command}\n",
        "nodes:\n  - {name: a, type: command, dependsOn: [ghost]}\n",
        "nodes:\n  - {name: ROOT, type: command}\n",
    ],
)
def test_top_level_validation(make_zip: ZipMaker, body: str) -> None:
    result = load(make_zip, {"f.flow": body})
    assert result.errors == [
        "Failed to validate nodeBean for f.flow. Duplicate nodes found or dependency undefined"
        " or ROOT used as a name."
    ]


def test_cycles(make_zip: ZipMaker) -> None:
    body = (
        "nodes:\n"
        "  - {name: a, type: command, dependsOn: [b]}\n"
        "  - {name: b, type: command, dependsOn: [a]}\n"
        "  - {name: c, type: command, dependsOn: [c]}\n"
    )
    result = load(make_zip, {"f.flow": body})
    assert result.errors == ["Cycles found at a>>b", "Cycles found at c>>c"]


EMBEDDED = """
nodes:
  - name: outer_job
    type: command
    dependsOn: [sub]
    config: {command: echo}
  - name: sub
    type: flow
    config: {prop: v}
    nodes:
      - name: inner
        type: flow
        nodes:
          - {name: leaf, type: command}
      - name: step
        type: command
        dependsOn: [inner]
"""


def test_embedded_flows_are_registered_with_path_ids(make_zip: ZipMaker) -> None:
    result = load(make_zip, {"main.flow": EMBEDDED})
    assert result.errors == []
    assert sorted(result.flows) == ["main", "main:sub", "main:sub:inner"]
    assert not result.flows["main"].embedded
    assert result.flows["main:sub"].embedded
    assert result.flows["main:sub:inner"].embedded
    node = result.flows["main"].nodes["sub"]
    assert node.type == "flow"
    assert node.embedded_flow_id == "main:sub"
    assert result.flows["main:sub"].nodes["inner"].embedded_flow_id == "main:sub:inner"
    assert result.flows["main:sub"].nodes["step"].in_ == ["inner"]
    assert result.flows["main:sub"].props["prop"] == "v"


def test_undefined_dependency_inside_embedded_flow_is_a_null_pointer(make_zip: ZipMaker) -> None:
    body = (
        "nodes:\n  - name: sub\n    type: flow\n    nodes:\n"
        "      - {name: x, type: command, dependsOn: [ghost]}\n"
    )
    result = load(make_zip, {"f.flow": body})
    assert result.errors == ["Error loading flow yaml file f.flow:null"]


def test_duplicate_flow_names_across_directories(make_zip: ZipMaker) -> None:
    result = load(make_zip, {"a/f.flow": BASIC, "b/f.flow": BASIC})
    assert result.errors == ["Duplicate flows found in the project with name f"]
    assert list(result.flows) == ["f"]
    assert result.flow_files == 2


def test_trigger_validation(make_zip: ZipMaker) -> None:
    def with_trigger(trigger: str) -> str:
        return "trigger:\n" + trigger + "nodes:\n  - {name: a, type: command}\n"

    good = load(
        make_zip, {"f.flow": with_trigger("  schedule: {type: cron, value: '0 0 * * * ?'}\n")}
    )
    assert good.errors == []
    bad_cron = load(make_zip, {"f.flow": with_trigger("  schedule: {type: cron, value: 'x'}\n")})
    assert bad_cron.errors == [
        "Error loading flow yaml file f.flow:"
        "flow trigger schedule value must be a valid cron expression"
    ]
    seconds = load(
        make_zip, {"f.flow": with_trigger("  schedule: {type: cron, value: '5 0 * * * ?'}\n")}
    )
    assert seconds.errors == [
        "Error loading flow yaml file f.flow:"
        "interval of flow trigger schedule has to be larger than 1 min"
    ]
    no_wait = load(
        make_zip,
        {
            "f.flow": with_trigger(
                "  schedule: {type: cron, value: '0 0 * * * ?'}\n"
                "  triggerDependencies:\n    - {name: d, type: dataset}\n"
            )
        },
    )
    assert no_wait.errors == [
        "Error loading flow yaml file f.flow:"
        "max wait min cannot be null unless no dependency is defined"
    ]


def test_conditions_in_flow2(make_zip: ZipMaker) -> None:
    body = (
        "nodes:\n"
        "  - {name: a, type: command, condition: '${b:x} == 1'}\n"
        "  - {name: b, type: command, dependsOn: [a]}\n"
        "  - {name: c, type: command, dependsOn: [a], condition: 'all_success && one_failed'}\n"
        "  - {name: d, type: command, dependsOn: [a], condition: '${a:x} == \"ok\"'}\n"
    )
    result = load(make_zip, {"f.flow": body})
    assert result.errors == [
        "Invalid condition for a: should not define condition on its descendant node b.",
        "Invalid condition for c: cannot combine more than one conditionOnJobStatus macros.",
    ]
    assert result.flows["f"].nodes["d"].condition == '${a:x} == "ok"'


def test_memory_check_uses_flow_scoped_job_names(make_zip: ZipMaker) -> None:
    body = "nodes:\n  - {name: a, type: command, config: {Xmx: 4G}}\n"
    result = load(make_zip, {"f.flow": body})
    assert result.errors == ["f:a: Xmx value has exceeded the allowed limit (max Xmx = 2G)"]


def test_deep_chain_in_one_flow(make_zip: ZipMaker) -> None:
    lines = ["nodes:", "  - {name: n0, type: command}"]
    lines += [f"  - {{name: n{i}, type: command, dependsOn: [n{i - 1}]}}" for i in range(1, 2000)]
    result = load(make_zip, {"f.flow": "\n".join(lines) + "\n"})
    assert result.errors == []
    assert len(result.flows["f"].nodes) == 2000


def test_hidden_flow_files_are_skipped(make_zip: ZipMaker) -> None:
    result = load(make_zip, {"__MACOSX/._f.flow": "\x00junk", "f.flow": BASIC})
    assert result.errors == []
    assert list(result.flows) == ["f"]
    assert result.flow_files == 1


def test_yaml_syntax_error_is_a_load_error(make_zip: ZipMaker) -> None:
    result = load(make_zip, {"f.flow": "nodes:\n  - name: a\n   type: x\n"})
    assert len(result.errors) == 1
    assert result.errors[0].startswith("Error loading flow yaml file f.flow:")
