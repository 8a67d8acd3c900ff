"""What a notification says: one Message (subject, plain text, JSON data) per event.

A run message carries the target, a link to the run page (PUBLIC_URL + /runs/<id>), the
duration, the exit code or error, and the last LOG_LINES lines of its log (stored lines already
have the script's secrets masked). Digests are built from the figures stored on the delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from etlfabric.config import get_settings
from etlfabric.models import NotifyEvent, Run
from etlfabric.services.notifiers import Message

LOG_LINES = 50
HEADLINES = {
    NotifyEvent.failure: "Failed",
    NotifyEvent.success: "Succeeded",
    NotifyEvent.recovery: "Recovered",
}


@dataclass(frozen=True)
class RunFacts:
    """What a run message needs, read from the database by the sender."""

    run: Run
    log_lines: list[str]
    grouped: int = 0  # failures of the same target folded into this alert


def run_url(run_id: int) -> str:
    return f"{get_settings().public_url.rstrip('/')}/runs/{int(run_id)}"


def duration(ms: int | None) -> str:
    """`850 ms`, `12.4 s`, `3 min 05 s`, `2 h 01 min`; "unknown" when not recorded."""
    if ms is None:
        return "unknown"
    if ms < 1000:
        return f"{ms} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    minutes, second = divmod(ms // 1000, 60)
    if minutes < 60:
        return f"{minutes} min {second:02d} s"
    hours, minute = divmod(minutes, 60)
    return f"{hours} h {minute:02d} min"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def run_message(event: NotifyEvent, facts: RunFacts) -> Message:
    run = facts.run
    kind = run.target_type.value
    headline = HEADLINES[event]
    subject = f"[ETL Fabric] {headline}: {kind} '{run.target_name}' (run #{run.id})"
    link = run_url(run.id)
    lines = [
        f"{headline}: {kind} '{run.target_name}'",
        f"Run: #{run.id} ({run.status.value}, attempt {run.attempt} of {run.max_attempts}, "
        f"trigger {run.trigger.value})",
        f"Link: {link}",
        f"Duration: {duration(run.duration_ms)}",
    ]
    if run.exit_code is not None:
        lines.append(f"Exit status: {run.exit_code}")
    if run.error:
        lines.append(f"Error: {run.error.strip()}")
    if facts.grouped:
        lines.append(
            f"Also: {facts.grouped} more failure(s) of this target since the last alert "
            "(grouped, not sent one by one)."
        )
    if event is NotifyEvent.failure and facts.log_lines:
        lines += ["", f"Last {len(facts.log_lines)} log lines:", *facts.log_lines]
    data = {
        "event": event.value,
        "target": {"type": kind, "id": run.target_id, "name": run.target_name},
        "run": {
            "id": run.id,
            "url": link,
            "status": run.status.value,
            "trigger": run.trigger.value,
            "attempt": run.attempt,
            "started_at": _iso(run.started_at),
            "finished_at": _iso(run.finished_at),
            "duration_ms": run.duration_ms,
            "exit_code": run.exit_code,
            "error": run.error,
        },
        "grouped_failures": facts.grouped,
        "log_tail": facts.log_lines if event is NotifyEvent.failure else [],
    }
    return Message(event=event.value, subject=subject, text="\n".join(lines), data=data)


def auto_disable_message(payload: dict) -> Message:
    name = payload.get("target_name") or payload.get("target_type") or "a target"
    subject = f"[ETL Fabric] Schedule disabled: {name}"
    text = payload.get("message", "")
    if payload.get("run_id"):
        text += f"\nLast run: {run_url(payload['run_id'])}"
    schedule_url = f"{get_settings().public_url.rstrip('/')}/schedules/{payload.get('schedule_id')}"
    text += f"\nSchedule: {schedule_url}"
    data = {"event": NotifyEvent.auto_disable.value, **payload, "schedule_url": schedule_url}
    return Message(event=NotifyEvent.auto_disable.value, subject=subject, text=text, data=data)


def digest_message(event: NotifyEvent, payload: dict) -> Message:
    period = "Daily" if event is NotifyEvent.daily_digest else "Weekly"
    scope = payload.get("scope") or "all targets"
    rate = payload.get("success_rate")
    rate_text = "no finished runs" if rate is None else f"{rate:.1f}% success"
    subject = f"[ETL Fabric] {period} digest: {payload.get('total', 0)} runs, {rate_text}"
    counts = payload.get("counts", {})
    lines = [
        f"{period} digest for {scope}, {payload.get('since')} to {payload.get('until')}",
        f"Runs: {payload.get('total', 0)} ("
        + ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
        + ")",
        f"Success rate: {'n/a' if rate is None else f'{rate:.1f}%'}",
        "",
        f"Failures ({len(payload.get('failures', []))}):",
    ]
    for item in payload.get("failures", []):
        lines.append(
            f"- {item['target_type']} '{item['target_name']}' run #{item['run_id']}: "
            f"{item['error']} {run_url(item['run_id'])}"
        )
    lines += ["", "Slowest runs:"]
    for item in payload.get("slowest", []):
        lines.append(
            f"- {item['target_type']} '{item['target_name']}' run #{item['run_id']}: "
            f"{duration(item['duration_ms'])} {run_url(item['run_id'])}"
        )
    data = {"event": event.value, **payload}
    return Message(event=event.value, subject=subject, text="\n".join(lines), data=data)


def test_message(channel_name: str) -> Message:
    text = (
        f"This is a test message from ETL Fabric for the channel '{channel_name}'. "
        "If you can read it, alerts will reach you here."
    )
    data = {"event": NotifyEvent.test.value, "channel": channel_name, "message": text}
    subject = f"[ETL Fabric] Test message for '{channel_name}'"
    return Message(event=NotifyEvent.test.value, subject=subject, text=text, data=data)


test_message.__test__ = False  # pytest: not a test
