"""How runs read on every page: status words, durations, sizes, and one run as a table row.

Pages get plain strings, so a status is shown by its word as well as its colour.
"""

from __future__ import annotations

from datetime import UTC, datetime

from etlfabric.models import Run, RunStatus
from etlfabric.models.targets import PROJECT_TARGET

STATUS_LABELS = {
    RunStatus.queued: "Queued",
    RunStatus.running: "Running",
    RunStatus.succeeded: "Succeeded",
    RunStatus.failed: "Failed",
    RunStatus.timed_out: "Timed out",
    RunStatus.cancelled: "Cancelled",
    RunStatus.skipped: "Skipped",
}
ACTIVE = ("queued", "running")
TRIGGER_LABELS = {
    "manual": "Manual",
    "schedule": "Schedule",
    "url": "URL trigger",
    "dependency": "Dependency",
    "retry": "Retry",
    "api": "API",
}
TARGET_LABELS = {"script": "Script", "pipeline": "Pipeline", "transformation": "Transformation"}
# Where each kind of target lives in the UI.
TARGET_ROUTES = {
    "script": "/scripts/{id}",
    "pipeline": "/pipelines/{id}",
    "transformation": "/transformations/{id}",
}


def target_href(target_type: str, target_id: int) -> str:
    """The page of a run's target, or "" for a kind without one."""
    if (str(target_type), int(target_id)) == ("transformation", PROJECT_TARGET):
        return "/transformations"  # the whole dbt project: its models' list
    route = TARGET_ROUTES.get(str(target_type))
    return route.format(id=target_id) if route else ""


def when(moment: datetime | None) -> str:
    """A run's moments to the second, in UTC: `2025-03-01 14:05:09`; "" for none."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def status_label(status: RunStatus | str | None) -> str:
    if status is None:
        return "Never run"
    return STATUS_LABELS.get(RunStatus(status), str(status))


def duration(ms: int | None) -> str:
    """`850 ms`, `12.4 s`, `3 min 05 s`, `2 h 01 min`; "" when unknown."""
    if ms is None:
        return ""
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, second = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {second:02d} s"
    hours, minute = divmod(minutes, 60)
    return f"{hours} h {minute:02d} min"


def memory(mb: float | None) -> str:
    return "" if mb is None else f"{mb:,.1f} MB"


def cpu(ms: int | None) -> str:
    return "" if ms is None else duration(ms)


def slow_text(anomaly) -> str:
    """Why a run is flagged as unusually slow (services/run_analytics.Anomaly), or ""."""
    if anomaly is None:
        return ""
    return (
        f"Unusually slow: more than twice the p95 ({duration(round(anomaly.baseline_p95_ms))}) "
        "of the 30 runs before it"
    )


def run_row(run: Run, anomaly=None) -> dict[str, str]:
    """One run as the tables show it; every value a string (`slow`: the anomaly flag's text)."""
    status = RunStatus(run.status).value
    return {
        "id": str(run.id),
        "href": f"/runs/{run.id}",
        "status": status,
        "status_label": status_label(status),
        "target_type": TARGET_LABELS.get(str(run.target_type), str(run.target_type)),
        "target_name": run.target_name or f"#{run.target_id}",
        "target_href": target_href(str(run.target_type), run.target_id),
        "trigger": TRIGGER_LABELS.get(str(run.trigger), str(run.trigger)),
        "attempt": f"{run.attempt} of {run.max_attempts}",
        "queued": when(run.queued_at),
        "started": when(run.started_at),
        "finished": when(run.finished_at),
        "duration": duration(run.duration_ms),
        "exit_code": "" if run.exit_code is None else str(run.exit_code),
        "error": run.error or "",
        "slow": slow_text(anomaly),
    }


def load_results(details: dict | None) -> tuple[list[dict[str, str]], list[str]]:
    """What a pipeline run loaded: ([{"table", "rows"}], notes) from its details — the notes
    being the load id, the schema changes against the previous run and contract violations."""
    details = details or {}
    tables = [
        {"table": table, "rows": f"{rows:,}" if isinstance(rows, int) else str(rows)}
        for table, rows in sorted((details.get("tables") or {}).items())
    ]
    notes = [f"Load id {details['load_id']}"] if details.get("load_id") else []
    for change in details.get("schema_changes") or []:
        if change.get("change") == "new_table":
            columns = ", ".join(change.get("columns") or [])
            notes.append(f"New table {change.get('table')} ({columns})")
        else:
            notes.append(
                f"New column {change.get('table')}.{change.get('column')} "
                f"({change.get('data_type')})"
            )
    for violation in details.get("contract_violations") or []:
        where = ".".join(str(p) for p in (violation.get("table"), violation.get("column")) if p)
        notes.append(
            f"Contract violation: {where} ({violation.get('entity')}: {violation.get('mode')})"
        )
    return tables, notes
