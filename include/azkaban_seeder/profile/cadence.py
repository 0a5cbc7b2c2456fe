"""Quartz cron schedules by cadence: fire times over one week, a class, and back to a cron.

Fire times are counted at minute resolution over a reference week that starts on Sunday
2023-01-15 00:00 (minute of week 0 = Sunday 00:00, wall clock of the server's time zone, as
Azkaban evaluates crons; mid-month, so crons on the first or last days of a month do not fire
in it). The class is read from those fire times, not from the cron's
spelling, so ``0 0/15 * * * ?`` and ``0 0,15,30,45 * ? * *`` are the same cadence:

``sub_hourly``  every day, every hour, at minutes ``offset, offset + interval, ...`` (< 60),
                ``offset < interval``, at least two fires per hour
``hourly``      every day, every hour, at one ``minute``
``daily``       every day at one ``minute_of_day``
``weekly``      one day a week at one minute: ``minute_of_week``
``other``       anything else (weekdays only, twice a day, several fires a minute, ...),
                described by days with fires, fire hours per day, fire minutes per hour and
                the minute of day of the first fire; calendar crons (days of month, months,
                years, ``L``/``W``/``#``) are ``other`` with 0 days a week, their hours and
                minutes read from their first firing day
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from azkaban_seeder.loaders.cron import QuartzCron, parse_quartz

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
REFERENCE_WEEK = datetime(2023, 1, 15)  # a Sunday in mid-month
CALENDAR_HORIZON = timedelta(days=400)  # how far to look for a calendar cron's first day
MAX_SLOW_FIRES = 20_000  # fire-by-fire evaluation bound for crons of the general kind
DAY_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")

WeekFires = tuple[tuple[int, int], ...]  # sorted (minute of week, fires in that minute)


@dataclass(frozen=True)
class Cadence:
    """A schedule's class and its parameters (unused ones are 0); see the module docstring.

    ``minute`` is the minute of the hour (hourly), of the day (daily, other: first fire) or
    of the week (weekly)."""

    kind: str
    interval: int = 0
    offset: int = 0
    minute: int = 0
    days_per_week: int = 0
    hours_per_day: int = 0
    fires_per_hour: int = 0


def minute_label(minute_of_week: int) -> str:
    """``Sun 00:00`` for minute of week 0."""
    day, rest = divmod(minute_of_week, MINUTES_PER_DAY)
    return f"{DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"


# --------------------------------------------------------------------------- fire times


def _simple_days(cron: QuartzCron) -> list[int] | None:
    """Days of the week (0 = Sunday) a cron fires on when its days need no calendar, else None."""
    if cron.day_rule is not None or len(cron.months) != 12 or REFERENCE_WEEK.year not in cron.years:
        return None
    if cron.days_of_week is not None:
        return sorted(d - 1 for d in cron.days_of_week)
    assert cron.days_of_month is not None
    return list(range(7)) if len(cron.days_of_month) == 31 else None


def _slow_fires(cron: QuartzCron) -> Counter[int]:
    fires: Counter[int] = Counter()
    end = REFERENCE_WEEK + timedelta(days=7)
    at = cron.next_fire_time(REFERENCE_WEEK - timedelta(seconds=1))
    while at is not None and at < end and sum(fires.values()) < MAX_SLOW_FIRES:
        fires[int((at - REFERENCE_WEEK).total_seconds()) // 60] += 1
        at = cron.next_fire_time(at)
    return fires


@lru_cache(maxsize=65_536)
def week_fires(expr: str) -> WeekFires:
    """Fires per minute of the reference week of the Quartz cron ``expr`` (ValueError if it
    does not parse). Crons on every day or on days of the week are expanded directly; the
    rest (days of month, months, years, L/W/#) are evaluated fire by fire."""
    cron = parse_quartz(expr)
    days = _simple_days(cron)
    if days is None:
        return tuple(sorted(_slow_fires(cron).items()))
    per_minute = len(cron.seconds)
    return tuple(
        (day * MINUTES_PER_DAY + hour * 60 + minute, per_minute)
        for day in days
        for hour in sorted(cron.hours)
        for minute in sorted(cron.minutes)
    )


# --------------------------------------------------------------------------- classes


def _by_day(fires: Iterable[tuple[int, int]]) -> dict[int, tuple[int, ...]]:
    days: dict[int, list[int]] = defaultdict(list)
    for minute, _ in fires:
        day, rest = divmod(minute, MINUTES_PER_DAY)
        days[day].append(rest)
    return {day: tuple(sorted(m)) for day, m in days.items()}


def _hourly_kind(pattern: Sequence[int]) -> Cadence | None:
    """Hourly or sub-hourly if the day's pattern repeats the same minutes in all 24 hours."""
    minutes = sorted({m % 60 for m in pattern})
    if len(pattern) != 24 * len(minutes):
        return None
    if len(minutes) == 1:
        return Cadence("hourly", minute=minutes[0])
    offset, interval = minutes[0], minutes[1] - minutes[0]
    if offset < interval and minutes == list(range(offset, 60, interval)):
        return Cadence("sub_hourly", interval=interval, offset=offset)
    return None


def other_cadence(fires: WeekFires) -> Cadence:
    """The ``other`` description of any fire times (also used for merged small classes)."""
    days = _by_day(fires)
    if not days:
        return Cadence("other")
    hours_per_day = max(len({m // 60 for m in minutes}) for minutes in days.values())
    per_hour = Counter((minute // 60) for minute, _ in fires)
    first_day = min(days)
    return Cadence(
        "other",
        minute=days[first_day][0],
        days_per_week=len(days),
        hours_per_day=hours_per_day,
        fires_per_hour=max(per_hour.values()),
    )


def classify(fires: WeekFires) -> Cadence:
    """The cadence of one schedule's week of fire times."""
    days = _by_day(fires)
    if not fires or any(n > 1 for _, n in fires):
        return other_cadence(fires)
    patterns = set(days.values())
    if len(days) == 7 and len(patterns) == 1:
        pattern = next(iter(patterns))
        if len(pattern) == 1:
            return Cadence("daily", minute=pattern[0])
        hourly = _hourly_kind(pattern)
        if hourly is not None:
            return hourly
    if len(days) == 1 and len(fires) == 1:
        return Cadence("weekly", minute=fires[0][0])
    return other_cadence(fires)


def _calendar_cadence(cron: QuartzCron) -> Cadence:
    """``other`` with 0 days a week, hours and minutes from the first firing day."""
    first = cron.next_fire_time(REFERENCE_WEEK - timedelta(seconds=1))
    if first is None or first - REFERENCE_WEEK > CALENDAR_HORIZON:
        return Cadence("other")
    day_end = first.replace(hour=0, minute=0, second=0) + timedelta(days=1)
    minutes: set[int] = set()
    at: datetime | None = first
    while at is not None and at < day_end and len(minutes) < MINUTES_PER_DAY:
        minutes.add(at.hour * 60 + at.minute)
        at = cron.next_fire_time(at)
    return Cadence(
        "other",
        minute=min(minutes),
        hours_per_day=len({m // 60 for m in minutes}),
        fires_per_hour=max(Counter(m // 60 for m in minutes).values()),
    )


@lru_cache(maxsize=65_536)
def cadence_of(expr: str) -> Cadence:
    """The cadence of the Quartz cron ``expr`` (cached): `classify` of its week of fire times,
    or the calendar description; an unparsable cron is ``other`` with nothing known."""
    try:
        cron = parse_quartz(expr)
    except ValueError:
        return Cadence("other")
    if _simple_days(cron) is None:
        return _calendar_cadence(cron)
    return classify(week_fires(expr))


# --------------------------------------------------------------------------- crons


def _hm(minute_of_day: int) -> tuple[int, int]:
    hour, minute = divmod(minute_of_day % MINUTES_PER_DAY, 60)
    return hour, minute


def sub_hourly_cron(interval: int, offset: int) -> str:
    return f"0 {offset % interval}/{interval} * ? * *"


def hourly_cron(minute: int) -> str:
    return f"0 {minute % 60} * ? * *"


def daily_cron(minute_of_day: int) -> str:
    hour, minute = _hm(minute_of_day)
    return f"0 {minute} {hour} ? * *"


def weekly_cron(minute_of_week: int) -> str:
    day, rest = divmod(minute_of_week % MINUTES_PER_WEEK, MINUTES_PER_DAY)
    hour, minute = _hm(rest)
    return f"0 {minute} {hour} ? * {day + 1}"


def _spread(first: int, count: int, modulus: int) -> str:
    """``count`` values from ``first``, evenly spaced modulo ``modulus``, as a Quartz list."""
    step = max(1, modulus // count)
    return ",".join(str(v) for v in sorted({(first + i * step) % modulus for i in range(count)}))


def other_cron(cadence: Cadence, days: Sequence[int]) -> str:
    """A cron with the ``other`` parameters of ``cadence`` firing on ``days`` (0 = Sunday).

    No days (a calendar cron) becomes a monthly cron on day 1 with those hours and minutes."""
    hour, minute = _hm(cadence.minute)
    minutes = _spread(minute, max(1, min(60, cadence.fires_per_hour)), 60)
    hours = _spread(hour, max(1, min(24, cadence.hours_per_day)), 24)
    if not days:
        return f"0 {minutes} {hours} 1 * ?"
    dow = "*" if len(set(days)) == 7 else ",".join(str(d + 1) for d in sorted(set(days)))
    return f"0 {minutes} {hours} ? * {dow}"


def fires_by_minute_of_day(fires: Mapping[int, float]) -> dict[int, float]:
    """Fold a minute-of-week weighting onto the minute of the day."""
    out: dict[int, float] = defaultdict(float)
    for minute, weight in fires.items():
        out[minute % MINUTES_PER_DAY] += weight
    return dict(out)
