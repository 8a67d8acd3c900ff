"""How dbt sources read on the sources page: thresholds, freshness words and ages as plain
strings, and the source form's inputs turned into the service's fields (and back)."""

from __future__ import annotations

from etlfabric.models import DbtSource
from etlfabric.services.source_freshness import NEVER, UNSET, Freshness
from etlfabric.ui.state.acting import when

FRESHNESS_LABELS = {
    "pass": "Fresh",
    "warn": "Warning",
    "error": "Too old",
    "runtime error": "Check failed",
    NEVER: "Never checked",
    UNSET: "No thresholds",
}
# service field -> the source form's input
SOURCE_FIELDS = {
    "source_name": "source_name",
    "schema_name": "schema_name",
    "table_name": "table_name",
    "loaded_at_field": "loaded_at_field",
    "warn_after.count": "warn_count",
    "warn_after.period": "warn_period",
    "error_after.count": "error_count",
    "error_after.period": "error_period",
    "description": "description",
}
EMPTY_FORM = dict.fromkeys(SOURCE_FIELDS.values(), "")


def threshold(value: dict | None) -> str:
    """{"count": 2, "period": "hour"} → "2 hours"; "" for none."""
    if not value:
        return ""
    count = value.get("count")
    return f"{count} {value.get('period')}{'s' * (count != 1)}"


def age(seconds: float | None) -> str:
    """dbt's age of the newest row: `45 s`, `12 min`, `3 h 05 min`, `2 d 04 h`; "" unknown."""
    if seconds is None:
        return ""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minute = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minute:02d} min"
    days, hour = divmod(hours, 24)
    return f"{days} d {hour:02d} h"


def form_values(source: DbtSource) -> dict[str, str]:
    """What the edit form opens with."""
    warn, error = source.warn_after or {}, source.error_after or {}
    return {
        "source_name": source.source_name,
        "schema_name": source.schema_name,
        "table_name": source.table_name,
        "loaded_at_field": source.loaded_at_field or "",
        "warn_count": str(warn.get("count") or ""),
        "warn_period": warn.get("period") or "",
        "error_count": str(error.get("count") or ""),
        "error_period": error.get("period") or "",
        "description": source.description or "",
    }


def source_row(source: DbtSource, freshness: Freshness) -> dict[str, str]:
    ago = age(freshness.age_seconds)
    return {
        "id": str(source.id),
        "source_name": source.source_name,
        "name": f"{source.source_name}.{source.table_name}",  # what source() names
        "table": f"{source.schema_name}.{source.table_name}",
        "call": f"{{{{ source('{source.source_name}', '{source.table_name}') }}}}",
        "loaded_at_field": source.loaded_at_field or "",
        "warn_after": threshold(source.warn_after),
        "error_after": threshold(source.error_after),
        "description": source.description or "",
        "status": freshness.status,
        "label": FRESHNESS_LABELS.get(freshness.status, freshness.status),
        "age": f"newest row {ago} old" if ago else "",
        "max_loaded_at": freshness.max_loaded_at or "",
        "checked": when(freshness.checked_at),
        "run_href": f"/runs/{freshness.run_id}" if freshness.run_id else "",
        "message": freshness.message or "" if freshness.status == "runtime error" else "",
        **{f"form_{k}": v for k, v in form_values(source).items()},
    }


def _period(form: dict, prefix: str) -> dict | None:
    """The count + period inputs as the service's {"count", "period"}; both empty is none. A
    count that is not a whole number goes through as typed, for the service to name it."""
    count = str(form.get(f"{prefix}_count") or "").strip()
    period = str(form.get(f"{prefix}_period") or "").strip()
    if not count and not period:
        return None
    return {"count": int(count) if count.isdigit() else (count or None), "period": period}


def source_fields(form: dict) -> dict:
    """The source form's inputs as the service's fields."""
    return {
        "source_name": str(form.get("source_name") or "").strip(),
        "schema_name": str(form.get("schema_name") or "").strip(),
        "table_name": str(form.get("table_name") or "").strip(),
        "loaded_at_field": str(form.get("loaded_at_field") or "").strip() or None,
        "warn_after": _period(form, "warn"),
        "error_after": _period(form, "error"),
        "description": str(form.get("description") or "").strip(),
    }
