"""Quartz cron parsing and next fire times (spec section 4.7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from azkaban_seeder.loaders.cron import MAX_YEAR, is_valid_quartz, parse_quartz

NOW = datetime(2026, 11, 27, 5, 0, 0)


@pytest.mark.parametrize(
    ("expr", "after", "expected"),
    [
        ("0 0 12 * * ?", datetime(2026, 1, 1, 11, 0), datetime(2026, 1, 1, 12, 0)),
        ("0 0 12 * * ?", datetime(2026, 1, 1, 12, 0), datetime(2026, 1, 2, 12, 0)),
        ("0 15 10 ? * MON-FRI", datetime(2026, 11, 27, 11, 0), datetime(2026, 11, 30, 10, 15)),
        ("0 0/15 * * * ?", datetime(2026, 1, 1, 0, 7, 30), datetime(2026, 1, 1, 0, 15)),
        ("*/20 * * * * ?", datetime(2026, 1, 1, 0, 0, 41), datetime(2026, 1, 1, 0, 1, 0)),
        ("0 0 0 1 JAN,jul ? ", datetime(2026, 2, 1), datetime(2026, 7, 1)),
        ("0 30 22-2 * * ?", datetime(2026, 1, 1, 3, 0), datetime(2026, 1, 1, 22, 30)),
        ("0 30 22-2 * * ?", datetime(2026, 1, 1, 23, 40), datetime(2026, 1, 2, 0, 30)),
        ("0 0 0 29 2 ?", datetime(2026, 3, 1), datetime(2028, 2, 29)),
        ("0 0 0 31 * ?", datetime(2026, 4, 1), datetime(2026, 5, 31)),
        ("0 0 9 ? * 1", datetime(2026, 11, 27), datetime(2026, 11, 29, 9, 0)),
        ("0 0 0 1 1 ? 2030", NOW, datetime(2030, 1, 1)),
        ("0 0 0 1 1 ? 2020-2024", NOW, None),
        ("0 0 0 30 2 ?", NOW, None),
        ("5 4 3 2 1 ? 2027 extra tokens", NOW, datetime(2027, 1, 2, 3, 4, 5)),
        ("0 0 0 L * ?", datetime(2026, 2, 3), datetime(2026, 2, 28)),
        ("0 0 0 L-2 * ?", datetime(2026, 2, 3), datetime(2026, 2, 26)),
        # 2026-01-31 is a Saturday, so the last weekday is Friday the 30th.
        ("0 0 0 LW * ?", datetime(2026, 1, 2), datetime(2026, 1, 30)),
        # 2026-02-01 is a Sunday: 1W is Monday the 2nd; 2026-08-01 is a Saturday: 1W is the 3rd.
        ("0 0 0 1W * ?", datetime(2026, 1, 15), datetime(2026, 2, 2)),
        ("0 0 0 1W * ?", datetime(2026, 7, 15), datetime(2026, 8, 3)),
        # 2026-05-31 is a Sunday: 31W is Friday the 29th.
        ("0 0 0 31W * ?", datetime(2026, 5, 1), datetime(2026, 5, 29)),
        ("0 0 0 ? * 6L", datetime(2026, 11, 1), datetime(2026, 11, 27)),
        ("0 0 0 ? * FRI#2", datetime(2026, 11, 1), datetime(2026, 11, 13)),
        ("0 0 0 ? * 2#5", datetime(2026, 11, 1), datetime(2026, 11, 30)),
        ("0 0 0 ? * L", datetime(2026, 11, 27), datetime(2026, 11, 28)),
        ("0 0 0 ? JUL,DEC WED", datetime(2026, 11, 27), datetime(2026, 12, 2)),
    ],
)
def test_next_fire_time(expr: str, after: datetime, expected: datetime | None) -> None:
    assert parse_quartz(expr).next_fire_time(after) == expected


def test_fire_time_is_strictly_after_and_drops_subseconds() -> None:
    cron = parse_quartz("* * * * * ?")
    assert cron.next_fire_time(datetime(2026, 1, 1, 0, 0, 0, 999)) == datetime(2026, 1, 1, 0, 0, 1)


def test_tz_aware_in_tz_aware_out() -> None:
    tz = timezone(timedelta(hours=2))
    after = datetime(2026, 1, 1, 11, 30, tzinfo=tz)
    result = parse_quartz("0 0 12 * * ?").next_fire_time(after)
    assert result == datetime(2026, 1, 1, 12, 0, tzinfo=tz)
    assert result is not None
    assert result.tzinfo is tz
    utc_result = parse_quartz("0 0 * * * ?").next_fire_time(NOW.replace(tzinfo=UTC))
    assert utc_result is not None
    assert utc_result.tzinfo is UTC


@pytest.mark.parametrize(
    ("expr", "reason"),
    [
        ("0 0 * * *", "expected 6 or 7 fields"),
        ("0 0 12 * * *", "exactly one of day-of-month and day-of-week"),
        ("0 0 12 ? * ?", "exactly one of day-of-month and day-of-week"),
        ("0 0 12 1 * MON", "exactly one of day-of-month and day-of-week"),
        ("60 0 12 * * ?", "second values must be between 0 and 59"),
        ("0 0 24 * * ?", "hour values must be between 0 and 23"),
        ("0 0 0 0 * ?", "day-of-month values must be between 1 and 31"),
        ("0 0 0 ? 13 *", "month values must be between 1 and 12"),
        ("0 0 0 ? * 8", "day-of-week values must be between 1 and 7"),
        ("0 0 0 ? * FOO", "invalid day-of-week value"),
        ("0 0/0 * * * ?", "increment"),
        ("0 0/60 * * * ?", "increment"),
        ("? 0 0 * * ?", "'?' can only be specified"),
        ("0 0 0 L,5 * ?", "'L' cannot be combined"),
        ("0 0 0 1-15W * ?", "'W' cannot be combined"),
        ("0 0 0 ? * 6#3,2", "'#' cannot be combined"),
        ("0 0 0 ? * 6#6", "between 1 and 5"),
        ("0 0 0 L * MON", "exactly one of day-of-month and day-of-week"),
        ("0 0 L * * ?", "invalid hour"),
        ("0 0 0 * * ? 1969", "year values must be between"),
        ("a b c d e f", "invalid"),
    ],
)
def test_rejected_expressions(expr: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_quartz(expr)


def test_is_valid_quartz_needs_a_future_fire_time() -> None:
    assert is_valid_quartz("0 0 12 * * ?", NOW)
    assert not is_valid_quartz("0 0 12 * *", NOW)
    assert not is_valid_quartz("0 0 0 1 1 ? 2025", NOW)
    assert is_valid_quartz(f"0 0 0 1 1 ? {MAX_YEAR}", NOW)
