"""Server plumbing: CLI entry, reply encodings, the streaming multipart parser."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from azkaban_sandbox import SandboxConfig, SandboxServer
from azkaban_sandbox.cli import parse_users
from azkaban_sandbox.multipart import MultipartError, parse_multipart
from azkaban_sandbox.wire import pretty_json

pytestmark = pytest.mark.sandbox_only("tests the sandbox's own plumbing")


def test_python_m_entry_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "azkaban_sandbox",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "data"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "Azkaban sandbox listening on http://127.0.0.1:" in line
        assert line.rstrip().endswith("(user azkaban)")
        url = line.split("listening on ")[1].split(" ")[0]
        reply = requests.post(
            url, data={"action": "login", "username": "azkaban", "password": "azkaban"}, timeout=10
        )
        assert reply.json()["status"] == "success"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert (tmp_path / "data" / "sandbox.db").exists()


def test_jackson_pretty_format() -> None:
    value = {"a": 1, "b": [1, "x"], "c": {}, "d": [], "e": [{"f": None}], "g": "é"}
    body = pretty_json(value).body.decode("utf-8")
    assert body == (
        '{\n  "a" : 1,\n  "b" : [ 1, "x" ],\n  "c" : { },\n  "d" : [ ],\n'
        '  "e" : [ {\n    "f" : null\n  } ],\n  "g" : "é"\n}'
    )
    assert json.loads(body) == value


class Trickle(io.BytesIO):
    """Returns at most 7 bytes per read, so delimiters straddle reads."""

    def read(self, size: int | None = -1, /) -> bytes:
        return super().read(7 if size is None or size < 0 else min(size, 7))


def _body(boundary: str, payload: bytes) -> bytes:
    return (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="project"\r\n\r\np1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.zip"\r\n'
            f"Content-Type: application/zip\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )


@pytest.mark.parametrize("threshold", [1 << 20, 10])
def test_multipart_parser_handles_split_delimiters_and_spooling(threshold: int) -> None:
    payload = b"\r\n--boun" + bytes(range(256)) * 3 + b"\r\n-"
    parsed = parse_multipart(Trickle(_body("bound", payload)), "bound", threshold=threshold)
    assert parsed.get("project") == "p1"
    part = parsed.files["file"]
    assert part.filename == "a.zip" and part.content_type == "application/zip"
    data = part.path.read_bytes() if part.path else part.data
    assert data == payload
    assert (part.path is not None) == (threshold == 10)
    parsed.discard()


def test_multipart_parser_rejects_truncated_body() -> None:
    with pytest.raises(MultipartError):
        parse_multipart(io.BytesIO(_body("b", b"data")[:-20]), "b")


def test_cli_user_specs() -> None:
    users, roles = parse_users(["qa:secret:read,execute", "ops:pw"])
    assert users == {"azkaban": "azkaban", "qa": "secret", "ops": "pw"}
    assert roles == {"qa": ("READ", "EXECUTE")}
    with pytest.raises(ValueError, match="NAME:PASSWORD"):
        parse_users(["nopassword"])


def test_unknown_permission_type_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="RAED"):
        SandboxServer(SandboxConfig(port=0, data_dir=tmp_path, user_roles={"x": ("RAED",)}))


def test_own_cli_refuses_bad_flags_before_serving(capsys: pytest.CaptureFixture[str]) -> None:
    from azkaban_sandbox.cli import sandbox_main  # the console script's entry point

    with pytest.raises(SystemExit) as exited:
        sandbox_main(["--port", "not-a-port"])
    assert exited.value.code == 2
    assert "--port" in capsys.readouterr().err
    assert sandbox_main(["--fault-rate", "2"]) == 2
