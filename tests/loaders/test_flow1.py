"""Flow 1.0 loading rules (spec section 5.2)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from azkaban_seeder.loaders import InstallError, load_project_zip

ZipMaker = Callable[[Mapping[str, str | bytes]], bytes]
CMD = "type=command\ncommand=echo hi\n"


def test_root_jobs_become_flows_with_transitive_dependencies(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip(
            {
                "a.job": CMD,
                "b.job": CMD + "dependencies=a\n",
                "c.job": CMD + "dependencies=b\n",
                "d.job": CMD,
            }
        )
    )
    assert result.flow_format == "1.0"
    assert result.errors == []
    assert sorted(result.flows) == ["c", "d"]
    flow = result.flows["c"]
    assert not flow.embedded
    assert sorted(flow.nodes) == ["a", "b", "c"]
    assert flow.nodes["c"].in_ == ["b"]
    assert flow.nodes["a"].in_ == []
    assert flow.nodes["b"].type == "command"
    assert flow.nodes["b"].props["command"] == "echo hi"
    assert result.job_files == 4


def test_shared_job_appears_in_every_flow_that_reaches_it(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip(
            {
                "shared.job": CMD,
                "x.job": CMD + "dependencies=shared\n",
                "y.job": CMD + "dependencies = shared , \n",
            }
        )
    )
    assert result.errors == []
    assert set(result.flows["x"].nodes) == {"x", "shared"}
    assert set(result.flows["y"].nodes) == {"y", "shared"}
    assert result.flows["y"].nodes["y"].in_ == ["shared"]


def test_job_name_is_file_name_minus_last_extension_in_any_folder(make_zip: ZipMaker) -> None:
    result = load_project_zip(make_zip({"proj/sub/a.b.job": CMD}))
    assert list(result.flows) == ["a.b"]


def test_hidden_and_suffix_only_files_are_skipped(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip(
            {
                "__MACOSX/._a.job": b"\x00\x05garbage",
                ".job": "type=command\n",
                "a.job": CMD,
                "a.JOB": "not a job\n",
            }
        )
    )
    assert result.errors == []
    assert list(result.flows) == ["a"]
    assert result.job_files == 1


def test_properties_inherit_by_directory_sorted_by_name(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip(
            {
                "b.properties": "level=b\n",
                "a.properties": "type=command\nlevel=a\nonly.a=1\n",
                "top.job": "command=x\n",
                "sub/z.properties": "level=sub\n",
                "sub/inner.job": "command=y\n",
                "other/peer.job": "command=z\n",
            }
        )
    )
    assert result.errors == []
    assert result.flows["top"].nodes["top"].props["level"] == "b"
    assert result.flows["top"].nodes["top"].type == "command"
    assert result.flows["inner"].nodes["inner"].props["level"] == "sub"
    assert result.flows["inner"].nodes["inner"].props["only.a"] == "1"
    assert result.flows["peer"].nodes["peer"].props["level"] == "b"


def test_dependencies_may_be_inherited_from_properties(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip({"base.job": CMD, "sub/deps.properties": "dependencies=base\n", "sub/j.job": CMD})
    )
    assert result.errors == []
    assert result.flows["j"].nodes["j"].in_ == ["base"]


def test_java_properties_syntax(make_zip: ZipMaker) -> None:
    job = (
        b"# comment\n"
        b"! another comment\n"
        b"type : command\n"
        b"command echo \\\n"
        b"    continued\r\n"
        b"name=caf\xe9\n"
        b"uni=\\u0041\\tB\n"
        b"key\\=with\\:seps = v\n"
        b"   \n"
    )
    result = load_project_zip(make_zip({"j.job": job}))
    assert result.errors == []
    props = result.flows["j"].nodes["j"].props
    assert props["type"] == "command"
    assert props["command"] == "echo continued"
    assert props["name"] == "café"
    assert props["uni"] == "A\tB"
    assert props["key=with:seps"] == "v"
    assert "# comment" not in props


def test_malformed_unicode_escape_aborts_the_install(make_zip: ZipMaker) -> None:
    # Java throws IllegalArgumentException, which the loader does not catch.
    with pytest.raises(InstallError) as info:
        load_project_zip(make_zip({"j.job": "type=command\nx=\\u00zz\n"}))
    assert info.value.message == "Malformed \\uxxxx encoding."


def test_missing_type(make_zip: ZipMaker) -> None:
    result = load_project_zip(make_zip({"j.job": "command=echo\n"}))
    assert result.errors == ["Job doesn't have type set 'j'."]


def test_missing_and_ambiguous_dependencies(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip(
            {
                "dup.job": CMD,
                "other/dup.job": CMD,
                "a.job": CMD + "dependencies=dup,ghost\n",
            }
        )
    )
    assert result.errors == [
        "Duplicate job names found 'dup'.",
        "a cannot find dependency ghost",
        "a has ambiguous dependency dup",
    ]
    assert list(result.flows) == ["a"]
    assert list(result.flows["a"].nodes) == ["a"]


def test_self_cycle(make_zip: ZipMaker) -> None:
    result = load_project_zip(make_zip({"a.job": CMD + "dependencies=a\n"}))
    assert result.errors == ["a has a self cycle"]


def test_cycle_reachable_from_a_root_is_reported_with_edge_id(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip(
            {
                "root.job": CMD + "dependencies=a\n",
                "a.job": CMD + "dependencies=b\n",
                "b.job": CMD + "dependencies=a\n",
            }
        )
    )
    assert result.errors == ["Cyclical dependency found at a>>b"]


def test_cycle_without_root_yields_no_flow_and_no_error(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip({"a.job": CMD + "dependencies=b\n", "b.job": CMD + "dependencies=a\n"})
    )
    assert result.errors == []
    assert result.flows == {}


def test_root_node_property_forces_a_flow(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip({"a.job": CMD + "root.node=True\n", "b.job": CMD + "dependencies=a\n"})
    )
    assert sorted(result.flows) == ["a", "b"]


def test_root_is_not_allowed_as_a_name(make_zip: ZipMaker) -> None:
    result = load_project_zip(make_zip({"ROOT.job": CMD}))
    assert result.errors == ["ROOT is not allowed as a name. Pick some other name."]


def test_embedded_flow_node(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip(
            {
                "inner.job": CMD,
                "outer.job": "type=flow\nflow.name=inner\n",
            }
        )
    )
    assert result.errors == []
    node = result.flows["outer"].nodes["outer"]
    assert node.type == "flow"
    assert node.embedded_flow_id == "inner"


def test_embedded_flow_missing_and_cycle(make_zip: ZipMaker) -> None:
    missing = load_project_zip(make_zip({"outer.job": "type=flow\nflow.name=nope\n"}))
    assert missing.errors == ["Flow outer depends on nope but can't be found."]
    cycle = load_project_zip(
        make_zip({"x.job": "type=flow\nflow.name=y\n", "y.job": "type=flow\nflow.name=x\n"})
    )
    assert cycle.errors == [
        "Embedded flow cycle found in x->y",
        "Embedded flow cycle found in y->x",
    ]


def test_memory_limits(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip(
            {
                "ok.job": CMD + "Xms=1G\nXmx=2048M\n",
                "big.job": CMD + "Xms=2g\nXmx=3G\n",
                "var.job": CMD + "Xmx=${heap}\n",
            }
        )
    )
    assert result.errors == [
        "big: Xms value has exceeded the allowed limit (max Xms = 1G)",
        "big: Xmx value has exceeded the allowed limit (max Xmx = 2G)",
    ]


def test_unparsable_memory_value_aborts_the_install(make_zip: ZipMaker) -> None:
    with pytest.raises(InstallError, match='For input string: "lots"'):
        load_project_zip(make_zip({"j.job": CMD + "Xmx=lotsG\n"}))


def test_conditions_are_validated_with_the_flow1_typo(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip(
            {
                "a.job": CMD,
                "b.job": CMD + "dependencies=a\ncondition=${a:x} == 1 && \n",
                "c.job": CMD + "dependencies=b\ncondition=&& all_done\n",
                "d.job": CMD + "condition=${ghost:v} == 2\n",
            }
        )
    )
    assert result.errors == [
        "Invalid condition fo c: operand is an empty string.",
        "Invalid condition for d: ghost doesn't exist in the flow.",
    ]
    assert result.flows["c"].nodes["b"].condition == "${a:x} == 1 && "


def test_condition_on_a_job_in_a_later_directory_is_an_error(make_zip: ZipMaker) -> None:
    # The server validates conditions after each directory against the jobs loaded so far.
    result = load_project_zip(
        make_zip({"a.job": CMD + "condition=${z:v} == 1\n", "sub/z.job": CMD})
    )
    assert result.errors == ["Invalid condition for a: z doesn't exist in the flow."]


def test_long_chain_does_not_hit_recursion_limit(make_zip: ZipMaker) -> None:
    files = {"j0.job": CMD}
    files.update({f"j{i}.job": CMD + f"dependencies=j{i - 1}\n" for i in range(1, 3000)})
    result = load_project_zip(make_zip(files))
    assert result.errors == []
    assert list(result.flows) == ["j2999"]
    assert len(result.flows["j2999"].nodes) == 3000


def test_many_single_job_flows(make_zip: ZipMaker) -> None:
    files = {f"flow_{i:04d}/job_{i:04d}.job": CMD for i in range(200)}
    result = load_project_zip(make_zip(files))
    assert result.errors == []
    assert len(result.flows) == 200
    assert result.job_files == 200


def test_condition_reference_to_a_job_dropped_as_duplicate_later(make_zip: ZipMaker) -> None:
    # Valid after the first directory, but 'x' is dropped once its duplicate shows up.
    result = load_project_zip(
        make_zip({"a.job": CMD + "condition=${x:v} == 1\n", "x.job": CMD, "sub/x.job": CMD})
    )
    assert result.errors == [
        "Duplicate job names found 'x'.",
        "Invalid condition for a: x doesn't exist in the flow.",
    ]


def test_condition_referencing_a_job_of_the_same_directory_is_fine(make_zip: ZipMaker) -> None:
    result = load_project_zip(
        make_zip({"sub/a.job": CMD + "condition=${x:v} == 1 && all_done\n", "sub/x.job": CMD})
    )
    assert result.errors == []


def test_hidden_directories_are_still_walked(make_zip: ZipMaker) -> None:
    # Azkaban's DirFilter does not skip hidden directories, only hidden files.
    result = load_project_zip(make_zip({".config/j.job": CMD}))
    assert list(result.flows) == ["j"]
