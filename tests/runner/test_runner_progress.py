"""Progress lines and the TTY bar (pure; the clock is set by hand)."""

from __future__ import annotations

import io

from azkaban_seeder.progress import ProgressCounter, ProgressDisplay, format_seconds, render_bar


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def _counter(done_flows: int, elapsed: float) -> ProgressCounter:
    counter = ProgressCounter(total_projects=10, total_flows=1000)
    counter.started -= elapsed
    counter.add(done_flows)
    return counter


def test_line_has_projects_flows_and_rate() -> None:
    counter = _counter(400, elapsed=32.52)
    counter.add(0, failed=True)

    line = counter.line("shard 3")

    assert line.startswith("shard 3: 2/10 projects, 400 flows, 12.3 flows/s")
    assert line.endswith(", 1 failed")


def test_bar_shows_percentage_rate_and_eta() -> None:
    bar = render_bar(_counter(250, elapsed=10.0), width=20)

    assert bar.startswith("[#####...............]  25% 250/1000 flows")
    assert "25.0 flows/s" in bar
    assert bar.endswith("ETA 00:30")
    assert format_seconds(None) == "--:--"
    assert format_seconds(3725) == "1:02:05"


def test_display_redraws_one_line_on_a_tty_and_prints_lines_otherwise() -> None:
    tty = FakeTTY()
    display = ProgressDisplay(tty, ProgressCounter(total_projects=2, total_flows=20))
    display.update(10)
    display.update(10)
    display.close()
    assert tty.getvalue().count("\r[") == 2 and tty.getvalue().endswith("\n")

    plain = io.StringIO()
    display = ProgressDisplay(plain, ProgressCounter(total_projects=3, total_flows=30), 3600)
    for _ in range(3):
        display.update(10)
    lines = plain.getvalue().splitlines()
    # The first update prints, the next is throttled, the final one always prints.
    assert [line.split(",")[0] for line in lines] == [
        "progress: 1/3 projects",
        "progress: 3/3 projects",
    ]
    assert "\r" not in plain.getvalue()
