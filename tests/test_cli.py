"""The azkaban-seeder CLI through main([...]): usage errors, plan, apply/verify, teardown."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from azkaban_seeder.azkaban import AzkabanClient, ConnectionSettings, ProjectNotFound
from azkaban_seeder.cli import main
from foreign_projects import create_foreign_project
from unique_names import unique_prefix


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    return unique_prefix(request, "c")


@pytest.fixture
def azkaban_env(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> ConnectionSettings:
    monkeypatch.setenv("AZKABAN_URL", sandbox.url)
    monkeypatch.setenv("AZKABAN_USER", "azkaban")
    monkeypatch.setenv("AZKABAN_PASSWORD", "azkaban")
    return ConnectionSettings(url=sandbox.url, user="azkaban", password="azkaban")


def _project_names(settings: ConnectionSettings) -> set[str]:
    with AzkabanClient(settings) as client:
        return {p.name for p in client.fetch_all_projects()}


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["plan", "--flow-count", "ten"], "--flow-count"),
        (["plan", "--flows-per-project", "0"], "--flows-per-project"),
        (["plan", "--prefix", "9lives"], "--prefix"),
        (["plan", "--schedule", "25:00-26:00"], "--schedule"),
        (["plan", "--flow-format", "3.0"], "--flow-format"),
        (["plan", "--shape", "zigzag"], "--shape"),
        (["plan", "--bogus"], "--bogus"),
        (["apply", "--processes", "0"], "--processes"),
        (["apply", "--url", "ftp://example"], "ftp://example"),
    ],
)
def test_bad_input_exits_2_naming_the_problem(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert named in capsys.readouterr().err


def test_bad_spec_file_key_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("flow_count: 10\nflow_cuont: 20\n")

    assert main(["plan", "--spec", str(path)]) == 2
    assert "flow_cuont" in capsys.readouterr().err


def test_plan_prints_the_shards(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["plan", "--flow-count", "25", "--flows-per-project", "5", "--projects-per-shard", "2"]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "25 flows -> 5 projects -> 3 shard(s)" in out
    assert "stress_00000..stress_00001" in out and "stress_00004" in out
    rows = [line for line in out.splitlines() if re.match(r"\s+\d+\s+\d+\s+\d+\s+stress_", line)]
    assert len(rows) == 3


def test_plan_reads_a_spec_file_and_flags_override_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"flow_count": 40, "flows_per_project": 10, "prefix": "file"}))

    assert main(["plan", "--spec", str(path), "--flow-count", "20", "--json"]) == 0

    data = json.loads(capsys.readouterr().out)
    assert data["spec"]["prefix"] == "file"
    assert data["spec"]["flow_count"] == 20
    assert len(data["shards"]) == 1 and len(data["shards"][0]["projects"]) == 2


def test_apply_then_verify_roundtrip(
    azkaban_env: ConnectionSettings, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_flags = ["--flow-count", "12", "--flows-per-project", "4", "--prefix", prefix]

    code = main(["apply", *spec_flags, "--processes", "2"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "result: OK" in captured.out
    assert "flows uploaded 12/12 in 3/3 projects" in captured.out
    assert "verify: OK  present 12/12" in captured.out

    code = main(["verify", *spec_flags, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["ok"] is True and data["present"] == 12
    assert data["independent_count"] == 12


def test_verify_exits_1_when_flows_are_missing(
    azkaban_env: ConnectionSettings, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_flags = ["--flow-count", "8", "--flows-per-project", "4", "--prefix", prefix]
    assert main(["apply", *spec_flags, "--processes", "1", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["totals"]["flows_uploaded"] == 8
    with AzkabanClient(azkaban_env) as client:
        client.delete_project(f"{prefix}_00001")

    assert main(["verify", *spec_flags]) == 1
    out = capsys.readouterr().out
    assert "MISMATCH" in out and f"missing project: {prefix}_00001" in out


def test_apply_refuses_a_foreign_project_before_writing(
    azkaban_env: ConnectionSettings, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = f"{prefix}_00001"
    create_foreign_project(azkaban_env.url, foreign, {"report": "type=command\ncommand=echo\n"})
    before = _project_names(azkaban_env)

    code = main(["apply", "--flow-count", "8", "--flows-per-project", "4", "--prefix", prefix])

    assert code == 2
    assert foreign in capsys.readouterr().err
    assert _project_names(azkaban_env) == before


def test_apply_with_bad_password_exits_2(
    sandbox: Any, prefix: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AZKABAN_URL", sandbox.url)
    monkeypatch.setenv("AZKABAN_PASSWORD", "nope")

    assert main(["apply", "--flow-count", "4", "--prefix", prefix]) == 2
    assert "refused" in capsys.readouterr().err


def test_teardown_dry_run_then_real(
    azkaban_env: ConnectionSettings, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["apply", "--flow-count", "8", "--flows-per-project", "4", "--prefix", prefix]) == 0
    capsys.readouterr()

    assert main(["teardown", "--prefix", prefix, "--dry-run"]) == 0
    assert "would delete 2 project(s)" in capsys.readouterr().out
    assert {f"{prefix}_00000", f"{prefix}_00001"} <= _project_names(azkaban_env)

    assert main(["teardown", "--prefix", prefix, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(data["deleted"]) == [f"{prefix}_00000", f"{prefix}_00001"]
    with AzkabanClient(azkaban_env) as client, pytest.raises(ProjectNotFound):
        client.fetch_project_flows(f"{prefix}_00000")


def test_password_from_stdin(
    sandbox: Any, prefix: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    monkeypatch.setenv("AZKABAN_PASSWORD", "wrong")  # stdin must win over the environment
    monkeypatch.setattr("sys.stdin", io.StringIO("azkaban\n"))
    code = main(
        ["verify", "--url", sandbox.url, "--user", "azkaban", "--password-stdin",
         "--flow-count", "4", "--prefix", prefix]
    )  # fmt: skip

    assert code == 1  # nothing applied under this prefix: the project is missing
    assert f"missing project: {prefix}_00000" in capsys.readouterr().out


def test_apply_prune_deletes_projects_dropped_from_the_plan(
    azkaban_env: ConnectionSettings, prefix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["apply", "--flow-count", "12", "--flows-per-project", "4", "--prefix", prefix]) == 0
    )
    capsys.readouterr()

    code = main(
        ["apply", "--flow-count", "4", "--flows-per-project", "4", "--prefix", prefix,
         "--prune", "--json"]
    )  # fmt: skip

    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["ok"] is True
    assert report["pruned"] == [f"{prefix}_00001", f"{prefix}_00002"]
    names = _project_names(azkaban_env)
    assert f"{prefix}_00000" in names and f"{prefix}_00001" not in names


def test_the_sandbox_is_not_a_subcommand_of_the_product(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The product never imports the emulator: it has its own command, azkaban-sandbox.
    assert main(["sandbox"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_every_spec_and_run_flag_has_help_with_its_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from dataclasses import fields

    from azkaban_seeder.spec import FIELD_HELP, EnvSpec, RunOptions

    names = [f.name for f in fields(EnvSpec)] + [f.name for f in fields(RunOptions)]
    assert sorted(FIELD_HELP) == sorted(names)
    assert main(["apply", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "total number of flows to build (default: 10000)" in out
    assert "(default: echo {project} {flow} {job})" in out
