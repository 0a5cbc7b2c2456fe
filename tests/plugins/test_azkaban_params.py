"""The spec's field table is the one place a field is declared: Params, CLI and spec file follow."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from airflow.sdk import Param

from azkaban_airflow.params import rebuild_params, teardown_params
from azkaban_seeder.cli import build_parser, main
from azkaban_seeder.spec import ENV_FIELDS, MODE_FIELD, RUN_FIELDS


def _resolves(param: Param, value: object) -> bool:
    try:
        param.resolve(value=value)
    except Exception:
        return False
    return True


def test_one_bound_changed_in_the_table_moves_params_cli_and_spec_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(ENV_FIELDS, "flow_count", replace(ENV_FIELDS["flow_count"], maximum=50))

    param = rebuild_params(4)["flow_count"]
    assert param.schema["maximum"] == 50
    assert _resolves(param, 50) and not _resolves(param, 51)

    assert main(["plan", "--flow-count", "51"]) == 2
    err = capsys.readouterr().err
    assert "--flow-count: must be between 1 and 50 (got 51)" in err
    assert main(["plan", "--flow-count", "50", "--flows-per-project", "10"]) == 0
    capsys.readouterr()

    spec_file = tmp_path / "spec.yaml"
    spec_file.write_text("flow_count: 51\n")
    assert main(["plan", "--spec", str(spec_file)]) == 2
    assert "flow_count (spec file): must be between 1 and 50" in capsys.readouterr().err

    assert main(["plan", "--help"]) == 0
    assert "(1..50; default: 10000)" in " ".join(capsys.readouterr().out.split())


def test_a_changed_pattern_moves_the_form_and_the_teardown_form(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(
        ENV_FIELDS, "prefix", replace(ENV_FIELDS["prefix"], pattern="qa[a-z]*", max_length=10)
    )
    for param in (rebuild_params(4)["prefix"], teardown_params()["prefix"]):
        assert param.schema["pattern"] == "^qa[a-z]*$"
        assert _resolves(param, "qanight") and not _resolves(param, "stress")
    assert main(["plan", "--prefix", "stress"]) == 2
    assert "--prefix: must start with a letter" in capsys.readouterr().err


def test_every_form_field_is_a_param_and_every_field_a_cli_flag() -> None:
    params = rebuild_params(4)
    table = {**ENV_FIELDS, **RUN_FIELDS}
    assert set(params) == {n for n, f in table.items() if f.form} | {MODE_FIELD.name}
    for name, field in table.items():
        if field.form:
            assert params[name].value == field.default
            assert params[name].schema["title"] == field.title
            assert params[name].schema["section"] == field.section
            assert str(params[name].description).lower().startswith(field.help[:20].lower())
    subcommands = next(a for a in build_parser()._actions if a.dest == "subcommand")
    apply_parser = subcommands.choices["apply"]  # type: ignore[index]
    actions = {a.dest: a for a in apply_parser._actions}
    for name, field in table.items():
        assert field.flag in actions[name].option_strings
        assert f"default: {field.default}" in str(actions[name].help).replace("%%", "%")
    assert params["mode"].schema["enum"] == list(MODE_FIELD.choices)
