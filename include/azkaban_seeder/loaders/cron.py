"""Quartz `CronExpression` parsing and next-fire computation (Quartz 2.2.1 as used by Azkaban).

Used for `/schedule` ajax=scheduleCronFlow (Azkaban `Utils.isCronExpressionValid`: valid only if
Quartz parses it AND it fires after now) and for Flow 2.0 trigger schedules.

Supported: 6 or 7 fields (sec min hour day-of-month month day-of-week [year]; Quartz ignores any
further tokens), `*`, `?`, values, ranges (wrapping like Quartz, e.g. `22-2`), lists, steps
`/`, month names JAN-DEC and day names SUN-SAT (1 = SUN), and the special days `L`, `L-n`,
`LW`, `nW` (day-of-month) and `L`, `nL`, `n#k` (day-of-week), each alone in its field (Quartz
does not combine them with lists). Exactly one of day-of-month and day-of-week must be `?`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

MIN_YEAR = 1970
# Quartz 2.2.1: MAX_YEAR = current year + 100 (computed when the class loads).
MAX_YEAR = datetime.now().year + 100

MONTHS = {name: i + 1 for i, name in enumerate(calendar.month_abbr[1:])}
MONTHS = {name.upper(): value for name, value in MONTHS.items()}
DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


@dataclass(frozen=True)
class _FieldSpec:
    label: str
    low: int
    high: int
    names: dict[str, int] | None = None


_SPECS = (
    _FieldSpec("second", 0, 59),
    _FieldSpec("minute", 0, 59),
    _FieldSpec("hour", 0, 23),
    _FieldSpec("day-of-month", 1, 31),
    _FieldSpec("month", 1, 12, MONTHS),
    _FieldSpec("day-of-week", 1, 7, DAYS),
    _FieldSpec("year", MIN_YEAR, MAX_YEAR),
)
_ITEM = re.compile(r"(?P<start>\*|[A-Z]+|\d+)(?:-(?P<end>[A-Z]+|\d+))?(?:/(?P<step>\d+))?")


def _value(text: str, spec: _FieldSpec) -> int:
    if text.isdigit():
        value = int(text)
    elif spec.names is not None and text in spec.names:
        value = spec.names[text]
    else:
        raise ValueError(f"invalid {spec.label} value {text!r}")
    if not spec.low <= value <= spec.high:
        raise ValueError(f"{spec.label} values must be between {spec.low} and {spec.high}")
    return value


def _span(start: int, end: int, step: int, spec: _FieldSpec) -> set[int]:
    if end >= start:
        return set(range(start, end + 1, step))
    # Quartz wraps a reversed range around the field's maximum (e.g. hours 22-2).
    size = spec.high - spec.low + 1
    return {
        spec.low + (start - spec.low + offset) % size
        for offset in range(0, end + size - start + 1, step)
    }


def _parse_item(item: str, spec: _FieldSpec) -> set[int]:
    match = _ITEM.fullmatch(item)
    if match is None:
        raise ValueError(f"invalid {spec.label} field item {item!r}")
    step = int(match["step"]) if match["step"] is not None else 1
    if step < 1 or step > spec.high - (spec.low if spec.low > 1 else 0):
        raise ValueError(f"invalid {spec.label} increment {step}")
    if match["start"] == "*":
        if match["end"] is not None:
            raise ValueError(f"invalid {spec.label} field item {item!r}")
        return set(range(spec.low, spec.high + 1, step))
    start = _value(match["start"], spec)
    if match["end"] is None:
        end = spec.high if match["step"] is not None else start
    else:
        end = _value(match["end"], spec)
    return _span(start, end, step, spec)


def _parse_field(text: str, spec: _FieldSpec) -> frozenset[int] | None:
    """Values of one field; None means '?' (no specific value)."""
    if text == "?":
        if spec.label not in ("day-of-month", "day-of-week"):
            raise ValueError("'?' can only be specified for day-of-month or day-of-week")
        return None
    if spec.label in ("day-of-month", "day-of-week"):
        special = {"L", "W", "#"} & set(text.replace("WED", ""))
        if special:
            raise ValueError(
                f"'{sorted(special)[0]}' cannot be combined with other values here: {text!r}"
            )
    values: set[int] = set()
    for item in text.split(","):
        values |= _parse_item(item, spec)
    return frozenset(values)


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _quartz_dow(day: date) -> int:
    return day.isoweekday() % 7 + 1


@dataclass(frozen=True)
class DayRule:
    """A Quartz special day: `L`, `L-n`, `LW`, `nW` (day-of-month), `nL`, `n#k` (day-of-week)."""

    kind: Literal["last", "last_weekday", "nearest_weekday", "last_dow", "nth_dow"]
    value: int = 0
    nth: int = 0

    def matches(self, day: date) -> bool:
        """Whether `day` is the day this rule selects in its month."""
        last = _last_day(day.year, day.month)
        if self.kind == "last":
            return day.day == last - self.value
        if self.kind == "last_weekday":
            return day.day == _nearest_weekday(day.replace(day=last), last)
        if self.kind == "nearest_weekday":
            return day.day == _nearest_weekday(day.replace(day=min(self.value, last)), last)
        if _quartz_dow(day) != self.value:
            return False
        if self.kind == "last_dow":
            return day.day + 7 > last
        return (day.day - 1) // 7 + 1 == self.nth


def _nearest_weekday(target: date, last: int) -> int:
    """Quartz `W`: the weekday nearest to `target`, never leaving its month."""
    dow = target.isoweekday()
    if dow == 6:  # Saturday -> Friday, or Monday when the 1st is a Saturday
        return target.day - 1 if target.day > 1 else target.day + 2
    if dow == 7:  # Sunday -> Monday, or Friday when the last day is a Sunday
        return target.day + 1 if target.day < last else target.day - 2
    return target.day


_DOM_LAST = re.compile(r"L(?:-(\d+))?")
_DOM_WEEKDAY = re.compile(r"(\d+)W")
_DOW_LAST = re.compile(r"(\d+|[A-Z]{3})L")
_DOW_NTH = re.compile(r"(\d+|[A-Z]{3})#(\d+)")


def _dom_rule(text: str) -> DayRule | None:
    spec = _SPECS[3]
    if text == "LW":
        return DayRule("last_weekday")
    if match := _DOM_LAST.fullmatch(text):
        offset = int(match[1] or 0)
        if offset > 30:
            raise ValueError("offset from last day must be <= 30")
        return DayRule("last", offset)
    if match := _DOM_WEEKDAY.fullmatch(text):
        return DayRule("nearest_weekday", _value(match[1], spec))
    return None


def _dow_rule(text: str) -> DayRule | None:
    spec = _SPECS[5]
    if match := _DOW_LAST.fullmatch(text):
        return DayRule("last_dow", _value(match[1], spec))
    if match := _DOW_NTH.fullmatch(text):
        nth = int(match[2])
        if not 1 <= nth <= 5:
            raise ValueError("a numeric value between 1 and 5 must follow the '#' option")
        return DayRule("nth_dow", _value(match[1], spec), nth)
    return None


@dataclass(frozen=True)
class QuartzCron:
    """A parsed Quartz cron expression; `days_of_week` uses Quartz numbering (1 = Sunday)."""

    expression: str
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    months: frozenset[int]
    days_of_week: frozenset[int] | None
    years: frozenset[int]
    day_rule: DayRule | None = None

    def _day_matches(self, day: datetime) -> bool:
        if self.day_rule is not None:
            return self.day_rule.matches(day.date())
        if self.days_of_month is not None:
            return day.day in self.days_of_month
        assert self.days_of_week is not None
        return _quartz_dow(day.date()) in self.days_of_week

    def _next_day(self, start: datetime) -> datetime | None:
        """First midnight-or-later date >= start whose year/month/day all match."""
        day = start
        while day.year <= MAX_YEAR:
            if day.year not in self.years:
                day = datetime(day.year + 1, 1, 1)
            elif day.month not in self.months:
                day = (
                    datetime(day.year + 1, 1, 1)
                    if day.month == 12
                    else datetime(day.year, day.month + 1, 1)
                )
            elif self._day_matches(day):
                return day
            else:
                day = datetime(day.year, day.month, day.day) + timedelta(days=1)
        return None

    def _time_on(self, day: datetime, earliest: tuple[int, int, int]) -> datetime | None:
        """First matching time of `day` at or after (hour, minute, second) `earliest`."""
        for hour in sorted(h for h in self.hours if h >= earliest[0]):
            first_minute = earliest[1] if hour == earliest[0] else 0
            for minute in sorted(m for m in self.minutes if m >= first_minute):
                first_second = earliest[2] if (hour, minute) == earliest[:2] else 0
                seconds = [s for s in self.seconds if s >= first_second]
                if seconds:
                    return day.replace(hour=hour, minute=minute, second=min(seconds))
        return None

    def next_fire_time(self, after: datetime) -> datetime | None:
        """First fire time strictly after `after` (wall clock of its tzinfo), or None.

        Like Quartz, sub-second precision is dropped and the search starts one second later.
        A tz-aware input gives a tz-aware result in the same tzinfo.
        """
        start = after.replace(tzinfo=None, microsecond=0) + timedelta(seconds=1)
        day = self._next_day(datetime(start.year, start.month, start.day))
        while day is not None:
            is_start_day = day.date() == start.date()
            earliest = (start.hour, start.minute, start.second) if is_start_day else (0, 0, 0)
            found = self._time_on(day, earliest)
            if found is not None:
                return found.replace(tzinfo=after.tzinfo)
            day = self._next_day(day + timedelta(days=1))
        return None


def parse_quartz(expr: str) -> QuartzCron:
    """Parse a Quartz cron expression; raise ValueError naming the problem."""
    tokens = expr.upper().split()
    if len(tokens) < 6:
        raise ValueError(f"expected 6 or 7 fields, got {len(tokens)}")
    # Quartz silently ignores tokens after the year field.
    tokens = tokens[:7]
    rule = _dom_rule(tokens[3]) or _dow_rule(tokens[5])
    if tokens[5] == "L":
        tokens[5] = "7"  # a lone 'L' in day-of-week means Saturday
    parsed = [
        frozenset[int]() if rule is not None and i in (3, 5) and text != "?" else None
        for i, text in enumerate(tokens)
    ]
    fields = [
        parsed[i] if parsed[i] is not None else _parse_field(text, _SPECS[i])
        for i, text in enumerate(tokens)
    ]
    if len(tokens) == 6:
        fields.append(frozenset(range(MIN_YEAR, MAX_YEAR + 1)))
    dom, dow = fields[3], fields[5]
    if (dom is None) == (dow is None):
        raise ValueError(
            "exactly one of day-of-month and day-of-week must be '?' "
            "(Quartz does not support specifying both, or neither)"
        )
    seconds, minutes, hours, _, months, _, years = fields
    assert seconds is not None and minutes is not None and hours is not None
    assert months is not None and years is not None
    return QuartzCron(expr, seconds, minutes, hours, dom, months, dow, years, rule)


def is_valid_quartz(expr: str, now: datetime) -> bool:
    """Azkaban's `isCronExpressionValid`: Quartz parses it and it fires after `now`."""
    try:
        cron = parse_quartz(expr)
    except ValueError:
        return False
    return cron.next_fire_time(now) is not None
