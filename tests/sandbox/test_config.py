"""One table of truth: the config, the CLI flags and the test controls share `config.SETTINGS`."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import fields, replace

import pytest

from azkaban_sandbox import SandboxApp
from azkaban_sandbox.cli import build_parser, sandbox_main
from azkaban_sandbox.config import SETTINGS, ConfigError, SandboxConfig

pytestmark = pytest.mark.sandbox_only("tests the sandbox's settings table")


def test_table_has_one_row_per_config_field() -> None:
    assert list(SETTINGS) == [f.name for f in fields(SandboxConfig)]
    assert SETTINGS["port"].default == 8081 and SETTINGS["port"].kind == "int"
    assert SETTINGS["fault_kinds"].default == SandboxConfig().fault_kinds


def test_every_setting_has_a_flag_with_its_help_and_default() -> None:
    parser = build_parser()
    actions = parser._option_string_actions
    for entry in SETTINGS.values():
        action = actions[entry.flag]
        assert action.help is not None and entry.help in action.help, entry.name
        if entry.flag == "--user":
            continue
        assert parser.get_default(entry.name) == entry.default, entry.name
        shown = ",".join(entry.default) if entry.kind == "names" else str(entry.default)
        assert f"(default: {shown})" in action.help, entry.name
        assert entry.bounds() in action.help, entry.name


def test_a_patched_bound_moves_config_and_cli_together(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(SETTINGS, "port", replace(SETTINGS["port"], maximum=9000))
    assert SandboxConfig(port=9000).port == 9000
    with pytest.raises(ConfigError, match=r"--port.*|from 0 to 9000"):
        SandboxConfig(port=9001)
    assert sandbox_main(["--port", "9001"]) == 2
    err = capsys.readouterr().err
    assert "argument --port: 9001 out of range; use an integer from 0 to 9000" in err
    assert "from 0 to 9000" in (build_parser()._option_string_actions["--port"].help or "")


@pytest.mark.parametrize(
    ("flag", "value", "name"),
    [
        ("--port", "70000", "port"),
        ("--fault-rate", "1.5", "fault_rate"),
        ("--max-sessions", "0", "max_sessions"),
        ("--slow-seconds", "-1", "slow_seconds"),
        ("--fault-kinds", "http500,meteor", "fault_kinds"),
    ],
)
def test_out_of_bounds_flags_exit_2_naming_flag_and_fix(
    capsys: pytest.CaptureFixture[str], flag: str, value: str, name: str
) -> None:
    assert sandbox_main([flag, value]) == 2
    err = capsys.readouterr().err
    assert f"argument {flag}: " in err and "use " in err
    assert SETTINGS[name].bounds() in err


def test_user_flag_syntax_and_permission_types(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        sandbox_main(["--user", "nopassword"])
    assert exited.value.code == 2
    assert "--user" in capsys.readouterr().err
    assert sandbox_main(["--user", "qa:pw:RAED"]) == 2
    err = capsys.readouterr().err
    assert "argument --user" in err and "RAED" in err and "READ" in err


def test_controls_use_the_same_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    app = SandboxApp(SandboxConfig())
    try:
        with pytest.raises(ConfigError, match="fault_rate"):
            app.controls.set_faults(rate=1.5)
        with pytest.raises(ConfigError, match="cost_base_ms"):
            app.controls.set_costs(base_ms=-1)
        monkeypatch.setitem(SETTINGS, "fault_rate", replace(SETTINGS["fault_rate"], maximum=0.5))
        with pytest.raises(ConfigError, match=r"from 0 to 0\.5"):
            app.controls.set_faults(rate=0.6)
        assert app.controls.set_faults(rate=0.5)["rate"] == 0.5
        with pytest.raises(ValueError, match="unknown keys"):
            app.controls.set_faults(speed=1)
    finally:
        app.close()


def test_bad_flag_exits_2_before_serving_from_the_module_entry() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "azkaban_sandbox", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert "argument --port: 70000 out of range; use an integer from 0 to 65535" in proc.stderr
    assert "listening" not in proc.stderr
