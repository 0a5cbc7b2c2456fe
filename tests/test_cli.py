"""The azkaban-seeder CLI through main([...]): usage errors, plan, apply/verify, teardown."""

from __future__ import annotations

import importlib.util
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


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("prefix:\nflow_count: 10\n", "key 'prefix' has no value"),
        ("prefix: '  '\n", "key 'prefix' has no value"),
        ("flow_count: 10\nflow_count: 20\n", "key 'flow_count' is given twice"),
        ("- flow_count\n", "must hold a mapping"),
        ("flow_count: [1, 2\n", "not valid YAML/JSON"),
        ("flow_count: ١٢\n", "flow_count (spec file): must be an integer"),
    ],
)
def test_spec_file_blank_duplicate_or_malformed_is_refused(
    text: str, named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Regression: a blank "prefix:" used to become the nightly's prefix "stress", and a key
    # given twice silently kept the last value.
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")

    assert main(["plan", "--spec", str(path)]) == 2
    assert named in capsys.readouterr().err


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

    from azkaban_seeder.spec import ENV_FIELDS, RUN_FIELDS, EnvSpec, RunOptions

    assert list(ENV_FIELDS) == [f.name for f in fields(EnvSpec)]
    assert list(RUN_FIELDS) == [f.name for f in fields(RunOptions)]
    assert main(["apply", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "total number of flows to build (1..1000000; default: 10000)" in out
    assert "(at most 4096 characters; default: echo {project} {flow} {job})" in out


@pytest.mark.parametrize("bad", ["", ".*", "a b", "9lives", "x" * 58])
def test_teardown_prefix_follows_the_spec_rules_before_any_request(
    bad: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Regression: teardown --prefix '' or '.*' exited 0. The URL points at a closed port, so
    # a request would fail with exit code 1, not 2.
    monkeypatch.setenv("AZKABAN_PASSWORD", "x")
    code = main(["teardown", "--prefix", bad, "--url", "http://127.0.0.1:9", "--dry-run"])
    assert code == 2
    assert "--prefix:" in capsys.readouterr().err


def test_teardown_by_a_user_without_delete_rights_fails(
    sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Regression: a READ-only user's teardown printed "deleted 0" and exited 0.
    sandbox = sandbox_factory(
        users={"azkaban": "azkaban", "reader": "Reader-pw-1"}, user_roles={"reader": ("READ",)}
    )
    monkeypatch.setenv("AZKABAN_URL", sandbox.url)
    monkeypatch.setenv("AZKABAN_PASSWORD", "azkaban")
    assert main(["apply", "--flow-count", "2", "--flows-per-project", "1", "--prefix", "rd"]) == 0
    capsys.readouterr()

    monkeypatch.setenv("AZKABAN_USER", "reader")
    monkeypatch.setenv("AZKABAN_PASSWORD", "Reader-pw-1")
    code = main(["teardown", "--prefix", "rd", "--json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["deleted"] == []
    assert sorted(f["project"] for f in report["failed"]) == ["rd_00000", "rd_00001"]


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('{"format": "azkaban-seeder-profile", "schema_version": 1, "complete": tr', "JSON"),
        ('{"format": "azkaban-seeder-profile", "schema_version": 99}', "newer"),
        ("[1, 2]", "profile"),
    ],
)
def test_a_bad_profile_is_refused_before_any_request(
    content: str,
    named: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The URL points at a closed port: getting that far would exit 1, not 2.
    path = tmp_path / "profile.json"
    path.write_text(content)
    monkeypatch.setenv("AZKABAN_PASSWORD", "x")
    argv = ["apply", "--shape", "profile", "--profile", str(path), "--url", "http://127.0.0.1:9"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--profile" in err and named in err


# --------------------------------------------------------------------------- profile, compare


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--rate", "0"], "--rate"),
        (["--max-in-flight", "9"], "--max-in-flight"),
        (["--history-days", "0"], "--history-days"),
        (["--max-executions", "many"], "--max-executions"),
        (["--max-history-flows", "-1"], "--max-history-flows"),
        (["--budget-seconds", "0"], "--budget-seconds"),
        (["--k-threshold", "0"], "--k-threshold"),
    ],
)
def test_profile_bad_flags_exit_2_before_any_request(
    azkaban_env: ConnectionSettings,
    sandbox: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    named: str,
) -> None:
    out = tmp_path / "p.json"
    assert main(["profile", "--out", str(out), *extra]) == 2
    assert named in capsys.readouterr().err
    assert sandbox.server.stats()["requests_total"] == 0 and not out.exists()


def test_profile_out_must_be_a_writable_file_path(
    azkaban_env: ConnectionSettings,
    sandbox: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["profile", "--out", str(tmp_path / "missing" / "p.json")]) == 2
    assert main(["profile", "--out", str(tmp_path)]) == 2
    assert "--out" in capsys.readouterr().err
    assert sandbox.server.stats()["requests_total"] == 0


def _profile(out: Path, *extra: str) -> int:
    return main(["profile", "--out", str(out), "--rate", "2000", *extra])


def test_profile_then_compare_the_same_environment_passes(
    azkaban_env: ConnectionSettings, prefix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = ["--flow-count", "30", "--flows-per-project", "10", "--prefix", prefix]
    assert main(["apply", *spec, "--shape", "mix", "--schedule", "00:00-06:00"]) == 0
    capsys.readouterr()
    source = tmp_path / "prod.profile.json"
    assert _profile(source, "--k-threshold", "1") == 0
    assert "profile written to" in capsys.readouterr().out
    assert json.loads(source.read_text())["counts"]["flows"] == 30
    code = main(["compare", str(source), "--rate", "2000"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("likeness: PASS")
    written = {p.name for p in tmp_path.iterdir()}
    assert {"prod.likeness.json", "prod.likeness.txt"} <= written
    if importlib.util.find_spec("matplotlib") is not None:
        assert "prod.likeness.png" in written
    report = json.loads((tmp_path / "prod.likeness.json").read_text())
    assert report["passed"] is True
    assert (tmp_path / "prod.likeness.txt").read_text() in out


def test_compare_with_a_different_environment_fails(
    azkaban_env: ConnectionSettings,
    sandbox_factory: Any,
    prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    spec = ["--flows-per-project", "10", "--prefix", prefix]
    assert main(["apply", *spec, "--flow-count", "30", "--shape", "chain:8"]) == 0
    source = tmp_path / "prod.json"
    assert _profile(source, "--k-threshold", "1") == 0
    before = source.read_bytes()
    other = sandbox_factory()
    monkeypatch.setenv("AZKABAN_URL", other.url)
    assert main(["apply", *spec, "--flow-count", "30", "--shape", "single"]) == 0
    capsys.readouterr()
    out_dir = tmp_path / "likeness"
    assert main(["compare", str(source), "--out-dir", str(out_dir), "--rate", "2000"]) == 1
    assert capsys.readouterr().out.startswith("likeness: FAIL")
    assert json.loads((out_dir / "prod.likeness.json").read_text())["passed"] is False
    # regression: the likeness files were once named with Path.with_suffix, which turned
    # "prod.likeness" + ".json" into "prod.json" and overwrote the profile beside it
    assert source.read_bytes() == before


def test_compare_refuses_a_bad_profile_before_any_request(
    azkaban_env: ConnectionSettings,
    sandbox: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "p.json"
    bad.write_text("{}")
    assert main(["compare", str(bad)]) == 2
    assert "profile" in capsys.readouterr().err
    assert sandbox.server.stats()["requests_total"] == 0


def test_profile_flag_implies_shape_profile(
    azkaban_env: ConnectionSettings, prefix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["apply", "--flow-count", "20", "--prefix", prefix, "--shape", "chain:3"]) == 0
    source = tmp_path / "prod.json"
    assert _profile(source, "--k-threshold", "1") == 0
    capsys.readouterr()
    assert main(["plan", "--flow-count", "40", "--profile", str(source)]) == 0
    assert "shape profile" in capsys.readouterr().out
    assert main(["plan", "--profile", str(source), "--shape", "single"]) == 2
