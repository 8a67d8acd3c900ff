"""Checks of a schedule's fields: one message per field, for the REST API and the editor alike.

`clean(values, now=...)` takes the complete set of fields (a new schedule's, or an existing one's
with a PATCH applied), and returns them normalised, or raises Invalid naming the first field at
fault. Naive date-times are read on the schedule's time zone. Pure: the target's existence and the
organisation's default time zone are looked up by the service.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from etlfabric.errors import Invalid
from etlfabric.models import CatchUp, Overlap, ScheduleKind, ShortMonths, TargetType
from etlfabric.services.organizations import validate_timezone
from etlfabric.services.schedule_forms import clean_form, form_to_cron
from etlfabric.services.schedule_times import parse_cron, whole_second

MAX_ATTEMPTS = 10  # as services/runs.py
DAY = 86400
# field -> (lowest, highest) for whole numbers
RANGES = {
    "interval_seconds": (1, 366 * DAY),
    "catch_up_limit": (1, 1000),
    "misfire_grace_seconds": (0, DAY),
    "max_attempts": (1, MAX_ATTEMPTS),
    "retry_delay_seconds": (0, 7 * DAY),
    "timeout_seconds": (1, 7 * DAY),
    "auto_disable_after": (0, 1000),
}
CHOICES = {
    "target_type": TargetType,
    "kind": ScheduleKind,
    "catch_up": CatchUp,
    "overlap": Overlap,
    "short_months": ShortMonths,
}
DEFAULTS = {
    "kind": ScheduleKind.cron,
    "cron": None,
    "form": None,
    "interval_seconds": None,
    "run_at": None,
    "timezone": "UTC",
    "start_at": None,
    "end_at": None,
    "enabled": True,
    "catch_up": CatchUp.skip,
    "catch_up_limit": 1,
    "misfire_grace_seconds": 60,
    "max_attempts": 2,
    "retry_delay_seconds": 300,
    "timeout_seconds": None,
    "overlap": Overlap.skip,
    "auto_disable_after": 3,
    "short_months": ShortMonths.skip,
}
EDITABLE = ("target_type", "target_id", *DEFAULTS)
NULLABLE = {"cron", "form", "interval_seconds", "run_at", "start_at", "end_at", "timeout_seconds"}
TIMING = ("kind", "cron", "form", "interval_seconds", "run_at", "timezone", "start_at", "end_at")
TIMING += ("short_months",)


def _choice(field: str, value: object):
    kind = CHOICES[field]
    try:
        return kind(value.value if hasattr(value, "value") else value)
    except ValueError:
        options = ", ".join(member.value for member in kind)
        raise Invalid(field, f"'{value}' is not one of: {options}.") from None


def _whole(field: str, value: object, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(field, f"{field} must be a whole number.")
    low, high = RANGES[field]
    if not low <= value <= high:
        raise Invalid(field, f"{field} must be between {low:,} and {high:,}.")
    return value


def _moment(field: str, value: object, zone: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(field, f"'{value}' is not a date and time (ISO 8601).") from None
    if not isinstance(value, datetime):
        raise Invalid(field, f"{field} must be a date and time.")
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return whole_second(value)


USES = {
    ScheduleKind.cron: {"cron", "form"},
    ScheduleKind.interval: {"interval_seconds"},
    ScheduleKind.once: {"run_at"},
    ScheduleKind.startup: set(),
}


def _timing(values: dict, given: set[str]) -> dict:
    """kind-specific fields: the ones the kind uses are required, the others cleared (and
    refused when given with a value in this call: they would silently do nothing)."""
    kind = values["kind"]
    for field in ("cron", "form", "interval_seconds", "run_at"):
        if field in given and values.get(field) is not None and field not in USES[kind]:
            raise Invalid(field, f"A {kind.value} schedule has no {field}; change its kind first.")
    if values.get("form") is not None and kind is ScheduleKind.cron:
        values["cron"], values["short_months"] = form_to_cron(values["form"])
        values["form"] = clean_form(values["form"])
    if kind is ScheduleKind.cron:
        if not isinstance(values.get("cron"), str) or not values["cron"].strip():
            raise Invalid("cron", "A cron schedule needs a cron expression, e.g. '30 7 * * 1-5'.")
        values["cron"] = " ".join(values["cron"].split())
        if len(values["cron"]) > 120:
            raise Invalid("cron", "The cron expression is longer than 120 characters.")
        parse_cron(values["cron"], values["short_months"])
    else:
        values["cron"] = values["form"] = None
    if kind is ScheduleKind.interval:
        if values.get("interval_seconds") is None:
            raise Invalid("interval_seconds", "An interval schedule needs interval_seconds.")
        values["interval_seconds"] = _whole("interval_seconds", values["interval_seconds"])
    else:
        values["interval_seconds"] = None
    if kind is ScheduleKind.once:
        if values.get("run_at") is None:
            raise Invalid("run_at", "A one-off schedule needs run_at, the time to run.")
    else:
        values["run_at"] = None
    return values


def clean(values: dict, *, now: datetime, changed: set[str] | None = None) -> dict:
    """The schedule's fields checked and normalised; `changed` (the PATCHed names) decides which
    date-times must lie in the future (default: all of them)."""
    given = {k: v for k, v in values.items() if v is not None or k in NULLABLE}
    values = {**DEFAULTS, "kind": infer_kind(values), **given}
    for field in CHOICES:
        if field in values:
            values[field] = _choice(field, values[field])
    values["timezone"] = validate_timezone(str(values["timezone"] or ""), "timezone")
    for field in ("run_at", "start_at", "end_at"):
        values[field] = _moment(field, values[field], values["timezone"])
    fresh = changed if changed is not None else set(values)
    values = _timing(values, fresh)
    for field in RANGES:
        if field != "interval_seconds":
            values[field] = _whole(field, values[field], optional=field == "timeout_seconds")
    if not isinstance(values["enabled"], bool):
        raise Invalid("enabled", "enabled must be true or false.")
    start, end = values["start_at"], values["end_at"]
    if start and end and end <= start:
        raise Invalid("end_at", "end_at must be after start_at.")
    if values["run_at"] and "run_at" in fresh and values["run_at"] <= now:
        raise Invalid("run_at", "run_at is in the past; choose a time to come.")
    if end and "end_at" in fresh and end <= now:
        raise Invalid("end_at", "end_at is in the past; the schedule would never fire.")
    return values


def infer_kind(values: dict) -> ScheduleKind:
    """The kind when none is given: from the timing field that is."""
    if values.get("kind") is not None:
        return values["kind"]
    if values.get("interval_seconds") is not None:
        return ScheduleKind.interval
    if values.get("run_at") is not None:
        return ScheduleKind.once
    return ScheduleKind.cron


def unknown_field(fields: dict) -> None:
    for name in fields:
        if name not in EDITABLE:
            raise Invalid(name, f"'{name}' is not a schedule field.")
