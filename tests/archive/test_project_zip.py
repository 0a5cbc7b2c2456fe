from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from azkaban_seeder.archive import ZipSummary, build_project_zip_bytes, write_project_zip
from azkaban_seeder.archive import project as project_module
from azkaban_seeder.archive.deterministic import BLOCK_BYTES
from azkaban_seeder.archive.flow1 import escape_property_value
from azkaban_seeder.archive.flow2 import yaml_quote
from azkaban_seeder.flows import Flow, generate_flow
from azkaban_seeder.plan import ProjectPlan, plan_projects
from azkaban_seeder.spec import EnvSpec


def _first_project(spec: EnvSpec) -> ProjectPlan:
    return plan_projects(spec)[0]


def _names(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.namelist()


@pytest.mark.parametrize("fmt", ["1.0", "2.0"])
def test_same_input_same_bytes_and_summary_matches(fmt: str) -> None:
    spec = EnvSpec(flow_count=200, flows_per_project=100, flow_format=fmt, shape="mix", seed=4)
    project = plan_projects(spec)[1]
    data, summary = build_project_zip_bytes(spec, project)
    again, summary_again = build_project_zip_bytes(spec, project)
    assert data == again
    assert summary == summary_again
    expected_jobs = sum(len(generate_flow(spec, i).jobs) for i in project.flow_indexes)
    assert summary == ZipSummary(len(data), 100, expected_jobs, hashlib.sha256(data).hexdigest())
    assert ZipSummary(**summary.to_dict()) == summary


@pytest.mark.parametrize("fmt", ["1.0", "2.0"])
def test_a_different_seed_changes_the_bytes(fmt: str) -> None:
    a = EnvSpec(flow_count=50, flow_format=fmt, shape="random", seed=1)
    b = EnvSpec(flow_count=50, flow_format=fmt, shape="random", seed=2)
    assert build_project_zip_bytes(a, _first_project(a))[1].sha256 != (
        build_project_zip_bytes(b, _first_project(b))[1].sha256
    )


_HASH_SCRIPT = """
from azkaban_seeder.archive import build_project_zip_bytes
from azkaban_seeder.plan import plan_projects
from azkaban_seeder.spec import EnvSpec
spec = EnvSpec(flow_count=120, flow_format="{fmt}", shape="mix", seed=8)
print(build_project_zip_bytes(spec, plan_projects(spec)[1])[1].sha256)
"""


@pytest.mark.parametrize("fmt", ["1.0", "2.0"])
def test_bytes_are_identical_in_another_process(fmt: str) -> None:
    spec = EnvSpec(flow_count=120, flow_format=fmt, shape="mix", seed=8)
    here = build_project_zip_bytes(spec, plan_projects(spec)[1])[1].sha256
    out = subprocess.run(
        [sys.executable, "-c", _HASH_SCRIPT.format(fmt=fmt)],
        env={**os.environ, "PYTHONHASHSEED": "123"},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.strip() == here


@pytest.mark.parametrize("fmt", ["1.0", "2.0"])
def test_path_stream_and_bytes_targets_agree(fmt: str, tmp_path: Path) -> None:
    spec = EnvSpec(flow_count=30, flow_format=fmt, shape="fanout:2")
    project = _first_project(spec)
    data, summary = build_project_zip_bytes(spec, project)
    path_summary = write_project_zip(spec, project, tmp_path / "p.zip")
    str_summary = write_project_zip(spec, project, str(tmp_path / "q.zip"))
    buffer = io.BytesIO(b"prefix")
    buffer.seek(0, io.SEEK_END)
    stream_summary = write_project_zip(spec, project, buffer)
    assert (tmp_path / "p.zip").read_bytes() == data == (tmp_path / "q.zip").read_bytes()
    assert buffer.getvalue() == b"prefix" + data
    assert summary == path_summary == str_summary == stream_summary


def test_flow1_layout_one_job_file_per_job_sorted() -> None:
    spec = EnvSpec(flow_count=12, flows_per_project=12, shape="chain:3", command="echo {job}")
    data, summary = build_project_zip_bytes(spec, _first_project(spec))
    names = _names(data)
    assert names == sorted(names)
    assert len(names) == summary.jobs == 36
    assert all(n.endswith(".job") and "/" not in n for n in names)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        text = zf.read("flow_000011.job").decode("ascii")
    assert text == ("type=command\ncommand=echo flow_000011\ndependencies=flow_000011_j002\n")


def test_flow2_layout_project_file_and_one_flow_file_per_flow() -> None:
    spec = EnvSpec(flow_count=3, flow_format="2.0", shape="chain:2", command="echo {job}")
    data, summary = build_project_zip_bytes(spec, _first_project(spec))
    assert _names(data) == [
        "flow_000000.flow",
        "flow_000001.flow",
        "flow_000002.flow",
        "stress_00000.project",
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.read("stress_00000.project") == b"azkaban-flow-version: 2.0\n"
        flow_text = zf.read("flow_000002.flow").decode()
    assert flow_text == (
        "nodes:\n"
        '  - name: "flow_000002_j001"\n'
        '    type: "command"\n'
        "    config:\n"
        '      command: "echo flow_000002_j001"\n'
        '  - name: "flow_000002"\n'
        '    type: "command"\n'
        "    config:\n"
        '      command: "echo flow_000002"\n'
        "    dependsOn:\n"
        '      - "flow_000002_j001"\n'
    )
    assert summary.flows == 3 and summary.jobs == 6


@pytest.mark.parametrize("prefix", ["alpha", "flow", "flow_00000", "flow_000001x", "zeta"])
def test_project_file_lands_in_sorted_position_for_any_prefix(prefix: str) -> None:
    # Regression: the .project entry must be merged into the sorted stream, not always last.
    spec = EnvSpec(flow_count=3, flow_format="2.0", prefix=prefix)
    names = _names(build_project_zip_bytes(spec, _first_project(spec))[0])
    assert names == sorted(names)
    assert f"{prefix}_00000.project" in names
    assert len(names) == 4


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("echo hi", "echo hi"),
        (" lead", "\\ lead"),
        ("a\\b", "a\\\\b"),
        ("é", "\\u00e9"),
        ("😀", "\\ud83d\\ude00"),
        ("a=b:c #!", "a=b:c #!"),
    ],
)
def test_property_values_are_escaped_for_java(value: str, escaped: str) -> None:
    assert escape_property_value(value) == escaped


def test_yaml_quote_roundtrips_through_a_yaml_parser() -> None:
    import yaml

    for text in [
        "plain",
        'say "hi"',
        "a: b # c",
        "back\\slash",
        "é 漢 😀",
        "\x85\u2028\ufeff",
        "\x7f",
    ]:
        quoted = yaml_quote(text)
        assert yaml.safe_load(f"k: {quoted}") == {"k": text}, quoted


def test_flows_are_generated_and_written_in_bounded_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streaming: output reaches the target in blocks of about BLOCK_BYTES while flows are
    still being generated, so memory stays flat however many flows a project holds."""
    generated: list[int] = []
    writes: list[tuple[int, int]] = []  # (flows generated so far, bytes written)
    real = project_module.iter_project_flows

    def spying(spec: EnvSpec, project: ProjectPlan) -> Iterator[Flow]:
        for flow in real(spec, project):
            generated.append(1)
            yield flow

    class Sink(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            writes.append((len(generated), len(b)))
            return len(b)

    monkeypatch.setattr(project_module, "iter_project_flows", spying)
    spec = EnvSpec(flow_count=3000, flows_per_project=3000, shape="chain:2")
    summary = write_project_zip(spec, _first_project(spec), Sink())  # type: ignore[arg-type]
    assert summary.flows == 3000
    assert sum(size for _, size in writes) == summary.bytes
    # Several blocks, the first long before the last flow is generated ...
    assert len(writes) >= 4
    assert writes[0][0] < 3000 // 2
    # ... and none much larger than a block (a block plus one small entry).
    assert max(size for _, size in writes) <= BLOCK_BYTES + 1024
