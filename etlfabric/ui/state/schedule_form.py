"""The schedule editor's form as plain strings, and the way to and from the schedules service.

The page keeps every input as a string in one dict (`values`); `to_fields` turns it into the
keyword arguments of schedules.create / update, raising Invalid(field, message) with the same
field names the service uses, so one error map (ERROR_INPUTS) puts every message next to its
input. Dates and times are typed on the schedule's own wall clock ("2026-03-29T02:30").
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from etlfabric.errors import Invalid

KINDS = (
    ("cron", "Repeating"),
    ("interval", "Every N"),
    ("once", "Once"),
    ("startup", "At startup"),
)
BUILDS = (("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly"), ("cron", "Cron"))
WEEKDAYS = (
    ("mon", "Mon"),
    ("tue", "Tue"),
    ("wed", "Wed"),
    ("thu", "Thu"),
    ("fri", "Fri"),
    ("sat", "Sat"),
    ("sun", "Sun"),
)
UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# (input id, label, hint) of the five cron fields, in order
CRON_FIELDS = (
    ("cron_minute", "Minute", "0-59, */15, 0,30"),
    ("cron_hour", "Hour", "0-23, */2, 9-17"),
    ("cron_day", "Day of month", "1-31, *"),
    ("cron_month", "Month", "1-12 or jan-dec"),
    ("cron_weekday", "Day of week", "0-6 (0 = Sun), mon-fri"),
)
# The names schedule_times uses for the fields in its messages ("The hour field has 24; ...").
CRON_FIELD_NAMES = ("minute", "hour", "day of month", "month", "day of week")
PRESETS = (
    ("Every 15 minutes", "*/15 * * * *"),
    ("Hourly", "0 * * * *"),
    ("Daily at midnight", "0 0 * * *"),
    ("Weekdays 07:30", "30 7 * * 1-5"),
    ("Mondays 09:00", "0 9 * * 1"),
    ("First of the month", "0 6 1 * *"),
)
OVERLAPS = (("skip", "Skip this run"), ("queue", "Queue it"), ("cancel", "Cancel the previous run"))
CATCH_UPS = (("skip", "Skip missed runs"), ("latest", "Run the latest one"), ("all", "Run all"))
SHORT_MONTHS = (("skip", "Skip shorter months"), ("last_day", "Use the last day"))

DEFAULTS: dict[str, str] = {
    "target": "",
    "kind": "cron",
    "build": "daily",
    "time": "07:30",
    "days": "mon,tue,wed,thu,fri",
    "day": "1",
    "short_months": "skip",
    "cron": "30 7 * * *",
    "interval_value": "15",
    "interval_unit": "minutes",
    "run_at": "",
    "timezone": "UTC",
    "start_at": "",
    "end_at": "",
    "enabled": "yes",
    "max_attempts": "2",
    "retry_delay_seconds": "300",
    "timeout_seconds": "",
    "overlap": "skip",
    "catch_up": "skip",
    "catch_up_limit": "1",
    "auto_disable_after": "3",
    "misfire_grace_seconds": "60",
}
# service field -> the input its message is shown under
ERROR_INPUTS = {
    "target_type": "target",
    "target_id": "target",
    "kind": "kind",
    "cron": "cron",
    "form": "form",
    "interval_seconds": "interval_value",
    "run_at": "run_at",
    "timezone": "timezone",
    "start_at": "start_at",
    "end_at": "end_at",
    "max_attempts": "max_attempts",
    "retry_delay_seconds": "retry_delay_seconds",
    "timeout_seconds": "timeout_seconds",
    "overlap": "overlap",
    "catch_up": "catch_up",
    "catch_up_limit": "catch_up_limit",
    "auto_disable_after": "auto_disable_after",
    "misfire_grace_seconds": "misfire_grace_seconds",
    "short_months": "short_months",
    "enabled": "enabled",
}
NUMBERS = {  # field -> (label, lowest, highest, optional)
    "max_attempts": ("Max attempts", 1, 10, False),
    "retry_delay_seconds": ("Retry delay", 0, 86400, False),
    "timeout_seconds": ("Timeout", 1, 604800, True),
    "catch_up_limit": ("Catch-up limit", 1, 1000, False),
    "auto_disable_after": ("Auto-disable after", 0, 1000, False),
    "misfire_grace_seconds": ("Misfire grace", 0, 86400, False),
}


def cron_parts(cron: str) -> list[str]:
    """The five fields of an expression, "" for any that are missing."""
    parts = cron.split()
    return (parts + [""] * 5)[:5] if len(parts) <= 5 else parts[:4] + [" ".join(parts[4:])]


def with_cron_part(cron: str, index: int, text: str) -> str:
    parts = cron_parts(cron)
    parts[index] = text.strip().replace(" ", "")
    return " ".join(part or "*" for part in parts)


def cron_error_input(message: str) -> str | None:
    """The builder field a cron message names ("The hour field has 24" -> cron_hour)."""
    match = re.match(r"The (minute|hour|day of month|month|day of week) field", message)
    return CRON_FIELDS[CRON_FIELD_NAMES.index(match.group(1))][0] if match else None


def error_map(field: str | None, message: str) -> dict[str, str]:
    """{input id: message} for a service error; an error of no known field goes under ""."""
    target = ERROR_INPUTS.get((field or "").split(".")[0], "")
    errors = {target: message}
    if target == "cron" and (part := cron_error_input(message)):
        errors[part] = message
    return errors


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        message = f"'{name}' is not a timezone; pick one such as Europe/Lisbon."
        raise Invalid("timezone", message) from None


def local_moment(text: str, zone: ZoneInfo, field: str, label: str) -> datetime | None:
    """ "2026-03-29T02:30" on the zone's wall clock -> an aware datetime; "" -> None."""
    if not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=zone)
    except ValueError:
        raise Invalid(field, f"{label} must be a date and time, e.g. 2026-03-29 07:30.") from None


def local_text(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M") if moment else ""


def whole_number(values: dict[str, str], field: str) -> int | None:
    label, lowest, highest, optional = NUMBERS[field]
    text = values.get(field, "").strip()
    if not text and optional:
        return None
    if not text.isdigit() or not lowest <= int(text) <= highest:
        empty = " (or empty for none)" if optional else ""
        raise Invalid(field, f"{label} must be a whole number from {lowest} to {highest}{empty}.")
    return int(text)


def interval_seconds(values: dict[str, str]) -> int:
    text = values.get("interval_value", "").strip()
    if not text.isdigit() or int(text) < 1:
        raise Invalid("interval_seconds", "Give the interval as a whole number, 1 or more.")
    return int(text) * UNITS.get(values.get("interval_unit", "seconds"), 1)


def simple_form(values: dict[str, str]) -> dict:
    """The daily / weekly / monthly form the service turns into a cron expression."""
    build, time = values["build"], values.get("time", "").strip()
    if not re.fullmatch(r"\d{1,2}:\d{2}", time):
        raise Invalid("form", "Give a time of day, e.g. 07:30.")
    if build == "daily":
        return {"type": "daily", "time": time}
    if build == "weekly":
        days = [day for day in values.get("days", "").split(",") if day]
        if not days:
            raise Invalid("form", "Choose at least one day of the week.")
        return {"type": "weekly", "days": days, "time": time}
    day = values.get("day", "").strip()
    if not day.isdigit() or not 1 <= int(day) <= 31:
        raise Invalid("form", "The day of the month is a number from 1 to 31.")
    return {
        "type": "monthly",
        "day": int(day),
        "time": time,
        "short_months": values.get("short_months", "skip"),
    }


def timing_fields(values: dict[str, str]) -> dict:
    """What decides the fire times: what the preview needs and what a save sends first."""
    zone = zone_of(values.get("timezone") or "UTC")
    kind = values.get("kind", "cron")
    fields: dict = {"kind": kind, "timezone": zone.key}
    if kind == "cron" and values.get("build") == "cron":
        fields |= {"cron": values.get("cron", "").strip(), "form": None}
        fields["short_months"] = values.get("short_months", "skip")
    elif kind == "cron":
        form = simple_form(values)
        fields |= {"form": form, "short_months": form.get("short_months", "skip")}
    elif kind == "interval":
        fields["interval_seconds"] = interval_seconds(values)
    elif kind == "once":
        run_at = local_moment(values.get("run_at", ""), zone, "run_at", "Run at")
        if run_at is None:
            raise Invalid("run_at", "Choose when the schedule runs.")
        fields["run_at"] = run_at
    fields["start_at"] = local_moment(values.get("start_at", ""), zone, "start_at", "Start")
    fields["end_at"] = local_moment(values.get("end_at", ""), zone, "end_at", "End")
    return fields


def to_fields(values: dict[str, str]) -> dict:
    """Every keyword argument of schedules.create (target included) from the form's strings."""
    kind, _, number = values.get("target", "").partition(":")
    if not kind or not number.isdigit():
        raise Invalid("target_id", "Choose what this schedule runs.")
    fields = {"target_type": kind, "target_id": int(number), **timing_fields(values)}
    fields |= {field: whole_number(values, field) for field in NUMBERS}
    fields |= {
        "overlap": values.get("overlap", "skip"),
        "catch_up": values.get("catch_up", "skip"),
        "enabled": values.get("enabled") == "yes",
    }
    return fields


def from_view(view: dict) -> dict[str, str]:
    """A stored schedule (schedules.public_view) as the form's strings."""
    zone = zone_of(view.get("timezone") or "UTC")
    values = dict(DEFAULTS)
    values |= {
        "target": f"{view['target_type']}:{view['target_id']}",
        "kind": str(view["kind"]),
        "timezone": zone.key,
        "cron": view.get("cron") or DEFAULTS["cron"],
        "short_months": str(view.get("short_months") or "skip"),
        "start_at": local_text(view.get("start_at"), zone),
        "end_at": local_text(view.get("end_at"), zone),
        "run_at": local_text(view.get("run_at"), zone),
        "enabled": "yes" if view.get("enabled") else "",
        "overlap": str(view.get("overlap") or "skip"),
        "catch_up": str(view.get("catch_up") or "skip"),
    }
    for field in NUMBERS:
        stored = view.get(field)
        values[field] = "" if stored is None else str(stored)
    form = view.get("form") or {}
    values["build"] = form.get("type") or "cron"
    if form:
        values["time"] = form.get("time", values["time"])
        values["days"] = ",".join(form.get("days") or []) or values["days"]
        values["day"] = str(form.get("day") or values["day"])
        values["short_months"] = str(form.get("short_months") or values["short_months"])
    seconds = view.get("interval_seconds")
    if seconds:
        unit = next(u for u, size in reversed(UNITS.items()) if seconds % size == 0)
        values["interval_value"], values["interval_unit"] = str(seconds // UNITS[unit]), unit
    return values


def preview_rows(times: list[datetime], zone: str, viewer: str) -> list[dict[str, str]]:
    """Fire times as the preview table shows them: in the schedule's zone and the viewer's."""
    try:
        mine = ZoneInfo(viewer) if viewer else None
    except (ZoneInfoNotFoundError, ValueError):
        mine = None
    rows = []
    for number, moment in enumerate(times, 1):
        there = moment.astimezone(ZoneInfo(zone))
        here = moment.astimezone(mine) if mine else None
        rows.append(
            {
                "n": str(number),
                "schedule": there.strftime("%a %Y-%m-%d %H:%M %Z"),
                "viewer": here.strftime("%a %Y-%m-%d %H:%M %Z") if here else "",
                "iso": there.isoformat(),
            }
        )
    return rows
