from __future__ import annotations

import logging
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from azkaban_seeder.profile import Profile, compare
from azkaban_seeder.profile.chart import write_chart


def test_chart_is_a_png(small_profile: Profile, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = replace(small_profile, executions=None)
    report = compare(small_profile, target)
    path = write_chart(small_profile, target, tmp_path / "likeness.png", report)
    assert path == str(tmp_path / "likeness.png")
    data = Path(path).read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_without_matplotlib_no_chart_and_a_log_line(
    small_profile: Profile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import raises ImportError
    with caplog.at_level(logging.INFO):
        assert write_chart(small_profile, small_profile, tmp_path / "x.png") is None
    assert "matplotlib is not installed" in caplog.text
    assert not (tmp_path / "x.png").exists()
