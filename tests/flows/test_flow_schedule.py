from __future__ import annotations

from datetime import datetime

from azkaban_seeder.flows import flow_cron, generate_flow
from azkaban_seeder.loaders import cron
from azkaban_seeder.spec import EnvSpec


def _minute_of_day(expr: str) -> int:
    seconds, minute, hour, dom, month, dow = expr.split()
    assert (seconds, dom, month, dow) == ("0", "?", "*", "*")
    return int(hour) * 60 + int(minute)


def test_off_means_no_cron() -> None:
    spec = EnvSpec(flow_count=10)
    assert flow_cron(spec, 3) is None
    assert generate_flow(spec, 3).cron is None


def test_crons_spread_evenly_across_the_window() -> None:
    spec = EnvSpec(flow_count=3600, schedule="00:00-06:00")
    minutes = [_minute_of_day(flow_cron(spec, i) or "") for i in range(3600)]
    assert minutes[0] == 0
    assert minutes == sorted(minutes)
    assert set(minutes) == set(range(360))  # every minute of the window used ...
    assert max(minutes.count(m) for m in set(minutes)) == 10  # ... exactly 10 flows each


def test_window_wraps_past_midnight() -> None:
    spec = EnvSpec(flow_count=240, schedule="23:00-01:00")
    minutes = {_minute_of_day(flow_cron(spec, i) or "") for i in range(240)}
    assert minutes == set(range(23 * 60, 24 * 60)) | set(range(60))


def test_few_flows_in_a_long_window() -> None:
    spec = EnvSpec(flow_count=4, schedule="08:00-10:00")
    assert [flow_cron(spec, i) for i in range(4)] == [
        "0 0 8 ? * *",
        "0 30 8 ? * *",
        "0 0 9 ? * *",
        "0 30 9 ? * *",
    ]


def test_crons_are_valid_quartz_with_a_next_fire_time() -> None:
    spec = EnvSpec(flow_count=97, schedule="21:17-03:05")
    now = datetime(2026, 11, 27, 5, 0)
    for i in range(97):
        expr = flow_cron(spec, i) or ""
        assert cron.is_valid_quartz(expr, now), expr
        fire = cron.parse_quartz(expr).next_fire_time(now)
        assert fire is not None and fire.second == 0
