from __future__ import annotations

from datetime import datetime

import pytest

from azkaban_seeder.loaders.cron import is_valid_quartz
from azkaban_seeder.profile.cadence import (
    Cadence,
    cadence_of,
    daily_cron,
    hourly_cron,
    minute_label,
    other_cron,
    sub_hourly_cron,
    week_fires,
    weekly_cron,
)

NOW = datetime(2026, 1, 1)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("0 0/15 * * * ?", Cadence("sub_hourly", interval=15, offset=0)),
        ("0 0,15,30,45 * ? * *", Cadence("sub_hourly", interval=15, offset=0)),
        ("0 7/20 * ? * *", Cadence("sub_hourly", interval=20, offset=7)),
        ("0 5 * ? * *", Cadence("hourly", minute=5)),
        ("0 30 2 ? * *", Cadence("daily", minute=150)),
        ("0 0 0 * * ?", Cadence("daily", minute=0)),
        ("0 0 0 ? * MON", Cadence("weekly", minute=1440)),
        ("0 15 23 ? * 7", Cadence("weekly", minute=6 * 1440 + 23 * 60 + 15)),
    ],
)
def test_simple_cadences(expr: str, expected: Cadence) -> None:
    assert cadence_of(expr) == expected


def test_other_cadences_keep_days_hours_and_minutes() -> None:
    weekdays = cadence_of("0 30 8 ? * MON-FRI")
    assert (weekdays.kind, weekdays.days_per_week, weekdays.hours_per_day) == ("other", 5, 1)
    assert weekdays.minute == 8 * 60 + 30
    twice = cadence_of("0 0 8,20 * * ?")
    assert (twice.days_per_week, twice.hours_per_day, twice.fires_per_hour) == (7, 2, 1)


def test_calendar_crons_are_other_with_no_weekly_days() -> None:
    monthly = cadence_of("0 0 1 1 * ?")  # the 1st of each month at 01:00
    assert (monthly.kind, monthly.days_per_week, monthly.minute) == ("other", 0, 60)
    assert cadence_of("0 0 0 L * ?").kind == "other"


def test_several_fires_a_minute_is_other() -> None:
    assert cadence_of("*/30 * * ? * *").kind == "other"
    assert dict(week_fires("*/30 * * ? * *"))[0] == 2


def test_week_fires_count_every_fire() -> None:
    assert len(week_fires("0 0/15 * * * ?")) == 672
    assert len(week_fires("0 5 * ? * *")) == 168
    assert [m for m, _ in week_fires("0 0 0 ? * SUN")] == [0]
    assert minute_label(0) == "Sun 00:00"
    assert minute_label(1440 + 61) == "Mon 01:01"


def test_cron_builders_round_trip_and_are_valid() -> None:
    crons = {
        sub_hourly_cron(15, 7): Cadence("sub_hourly", interval=15, offset=7),
        hourly_cron(59): Cadence("hourly", minute=59),
        daily_cron(1439): Cadence("daily", minute=1439),
        weekly_cron(3 * 1440 + 5): Cadence("weekly", minute=3 * 1440 + 5),
    }
    for expr, cadence in crons.items():
        assert is_valid_quartz(expr, NOW), expr
        assert cadence_of(expr) == cadence
    other = other_cron(Cadence("other", minute=510, hours_per_day=2, fires_per_hour=1), [1, 2])
    assert is_valid_quartz(other, NOW)
    assert cadence_of(other).days_per_week == 2
    monthly = other_cron(Cadence("other", minute=60, hours_per_day=1, fires_per_hour=1), [])
    assert is_valid_quartz(monthly, NOW)
    assert cadence_of(monthly).days_per_week == 0
