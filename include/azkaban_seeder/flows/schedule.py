"""Quartz cron times for flows, spread evenly across the spec's daily schedule window."""

from __future__ import annotations

from azkaban_seeder.spec import EnvSpec

_MINUTES_PER_DAY = 24 * 60


def flow_cron(spec: EnvSpec, index: int) -> str | None:
    """Quartz cron ``0 M H ? * *`` for flow ``index``, or None when ``spec.schedule == "off"``.

    Flow ``i`` of ``n`` fires ``floor(i * window / n)`` minutes into the window, so fire times
    are spread evenly (a real scheduler never sees all flows in one minute) and depend only on
    the spec. The expression is what ``/schedule?ajax=scheduleCronFlow`` accepts: six fields,
    seconds 0, day-of-month ``?``.
    """
    window = spec.schedule_window
    if window is None:
        return None
    offset = index * window.length_minutes // spec.flow_count
    minute_of_day = (window.start_minute + offset) % _MINUTES_PER_DAY
    hour, minute = divmod(minute_of_day, 60)
    return f"0 {minute} {hour} ? * *"
