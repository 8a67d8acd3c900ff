"""Schedules in words, and the simple forms (daily, weekly, monthly) the editor builds them with.

- `describe(timing)`: "Every weekday at 07:30 (Europe/Lisbon)", "Every 15 minutes",
  "Monthly on day 31 (last day in shorter months) at 06:00 (UTC)"; anything unusual falls back
  to the expression itself.
- `form_to_cron(form)`: {"type": "daily", "time": "07:30"} | {"type": "weekly", "days": ["mon",
  "fri"], "time": "07:30"} | {"type": "monthly", "day": 31, "time": "06:00", "short_months":
  "skip" | "last_day"} -> (cron, short_months). The form is kept on the schedule for the editor.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from etlfabric.errors import Invalid
from etlfabric.models import ScheduleKind, ShortMonths
from etlfabric.services.schedule_times import WEEKDAYS, CronSpec, Timing, parse_cron

DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
UNITS = ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second"))
MAX_CLOCK_TIMES = 4  # more times a day than this read better as the expression


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _every(seconds: int) -> str:
    for size, unit in UNITS:
        if seconds % size == 0:
            count = seconds // size
            return f"Every {unit}" if count == 1 else f"Every {count} {unit}s"
    return f"Every {seconds} seconds"


def _step(values: tuple[int, ...], low: int, high: int) -> int | None:
    """n when `values` is exactly */n over low..high (n > 1 and dividing the range evenly)."""
    if len(values) < 2 or values[0] != low:
        return None
    step = values[1] - values[0]
    expected = tuple(range(low, high + 1, step))
    return step if values == expected and (high + 1 - low) % step == 0 else None


def _clock(spec: CronSpec) -> str | None:
    """'at 07:30' / 'at 06:00 and 18:00' when the day has a few fixed times."""
    if len(spec.hours) * len(spec.minutes) > MAX_CLOCK_TIMES:
        return None
    times = [f"{hour:02d}:{minute:02d}" for hour in spec.hours for minute in spec.minutes]
    return "at " + _listed(times)


def _within_day(spec: CronSpec) -> str | None:
    """'Every 15 minutes', 'Every hour at :05', 'Every 2 hours at :00' (no fixed clock times)."""
    all_hours = len(spec.hours) == 24
    if all_hours and len(spec.minutes) == 60:
        return "Every minute"
    if all_hours and (step := _step(spec.minutes, 0, 59)):
        return f"Every {step} minutes"
    if len(spec.minutes) == 1:
        past = f":{spec.minutes[0]:02d}"
        if all_hours:
            return f"Every hour at {past}"
        if step := _step(spec.hours, 0, 23):
            return f"Every {step} hours at {past}"
    return None


def _weekdays(spec: CronSpec, plural: bool = False) -> str:
    """'weekday', 'Monday and Friday' (or 'weekdays', 'Mondays and Fridays')."""
    days = sorted(spec.weekdays)
    if days == [1, 2, 3, 4, 5]:
        return "weekdays" if plural else "weekday"
    return _listed([DAY_NAMES[day] + ("s" if plural else "") for day in days])


def _days_of_month(spec: CronSpec, short_months: ShortMonths) -> str:
    days = sorted(spec.days)
    text = f"day {days[0]}" if len(days) == 1 else "days " + _listed([str(d) for d in days])
    if spec.single_day and spec.single_day >= 29:
        if short_months is ShortMonths.last_day:
            text += " (last day in shorter months)"
        else:
            text += " (skipping shorter months)"
    return text


def _describe_cron(spec: CronSpec, short_months: ShortMonths) -> str | None:
    clock = _clock(spec)
    within = None if clock else _within_day(spec)
    if clock is None and within is None:
        return None
    every_day = len(spec.days) == 31 and len(spec.weekdays) == 7
    if every_day or (spec.any_day and spec.any_weekday):
        text = f"Every day {clock}" if clock else within
    elif spec.any_day and len(spec.days) == 31:  # chosen days of the week
        plural = _weekdays(spec, plural=True)
        text = f"Every {_weekdays(spec)} {clock}" if clock else f"{within} on {plural}"
    elif spec.any_weekday:  # chosen days of the month
        days = _days_of_month(spec, short_months)
        text = f"Monthly on {days} {clock}" if clock else f"{within} on {days} of the month"
    elif clock:  # both restricted: either kind of day fires (standard cron)
        days = _days_of_month(spec, short_months)
        text = f"On {days} of the month and every {_weekdays(spec)} {clock}"
    else:
        return None
    if len(spec.months) < 12:
        text += " in " + _listed([MONTH_NAMES[month - 1] for month in sorted(spec.months)])
    return text


def describe(timing: Timing) -> str:
    """The schedule in one plain sentence, with its time zone where the wall clock matters."""
    kind = ScheduleKind(timing.kind)
    zone = timing.timezone or "UTC"
    if kind is ScheduleKind.startup:
        return "At every platform start"
    if kind is ScheduleKind.interval:
        return _every(int(timing.interval_seconds or 0)) if timing.interval_seconds else "Never"
    if kind is ScheduleKind.once:
        if timing.run_at is None:
            return "Once (no time set)"
        local = timing.run_at.astimezone(ZoneInfo(zone))
        return f"Once on {local:%Y-%m-%d} at {local:%H:%M} ({zone})"
    try:
        spec = parse_cron(timing.cron, timing.short_months)
    except Invalid:
        return f"Cron {timing.cron or ''} (invalid)".strip()
    text = _describe_cron(spec, ShortMonths(timing.short_months))
    if text is None:
        return f"Cron {' '.join((timing.cron or '').split())} ({zone})"
    if text == "Every minute" or (text.startswith("Every ") and text.endswith(" minutes")):
        return text  # a step within the hour reads the same in every zone
    return f"{text} ({zone})"


# --- simple forms ---------------------------------------------------------------------------------


def _time(value: object) -> tuple[int, int]:
    text = str(value or "").strip()
    hour, colon, minute = text.partition(":")
    if not (colon and hour.isdigit() and minute.isdigit()):
        raise Invalid("form", f"time: '{text}' is not a time of day like 07:30.")
    if not (0 <= int(hour) <= 23 and 0 <= int(minute) <= 59):
        raise Invalid("form", f"time: '{text}' is not a time of day (00:00 to 23:59).")
    return int(hour), int(minute)


def _weekday_numbers(days: object) -> list[int]:
    if not isinstance(days, list | tuple) or not days:
        raise Invalid("form", "days: choose at least one day of the week.")
    numbers = set()
    for day in days:
        word = str(day).strip().lower()[:3]
        if word.isdigit() and 0 <= int(word) <= 7:
            numbers.add(int(word) % 7)
        elif word in WEEKDAYS:
            numbers.add(WEEKDAYS.index(word))
        else:
            raise Invalid("form", f"days: '{day}' is not a day of the week (mon..sun).")
    return sorted(numbers)


def form_to_cron(form: dict) -> tuple[str, ShortMonths]:
    """The cron expression (and short-months rule) a simple form stands for."""
    if not isinstance(form, dict):
        raise Invalid("form", "The form must be an object with a type: daily, weekly or monthly.")
    kind = str(form.get("type", "")).lower()
    hour, minute = _time(form.get("time"))
    if kind == "daily":
        return f"{minute} {hour} * * *", ShortMonths.skip
    if kind == "weekly":
        days = ",".join(str(day) for day in _weekday_numbers(form.get("days")))
        return f"{minute} {hour} * * {days}", ShortMonths.skip
    if kind == "monthly":
        day = form.get("day")
        if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 31:
            raise Invalid("form", "day: choose a day of the month from 1 to 31.")
        rule = str(form.get("short_months") or ShortMonths.skip.value)
        if rule not in ShortMonths.__members__:
            raise Invalid("form", "short_months: choose 'skip' or 'last_day'.")
        return f"{minute} {hour} {day} * *", ShortMonths(rule)
    raise Invalid("form", f"type: '{kind}' is not one of daily, weekly, monthly.")


def clean_form(form: dict) -> dict:
    """The form as stored: only the keys its type uses, normalised."""
    kind = str(form.get("type", "")).lower()
    hour, minute = _time(form.get("time"))
    clean: dict = {"type": kind, "time": f"{hour:02d}:{minute:02d}"}
    if kind == "weekly":
        clean["days"] = [WEEKDAYS[day] for day in _weekday_numbers(form.get("days"))]
    if kind == "monthly":
        clean["day"] = form["day"]
        clean["short_months"] = str(form.get("short_months") or ShortMonths.skip.value)
    return clean
