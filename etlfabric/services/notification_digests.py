"""Daily and weekly digests: when the next one is due, and what it says.

A digest rule is due at `digest_hour` o'clock (weekly: on `digest_weekday`, 0 = Monday) in the
organisation's time zone; `next_digest_at` holds that moment in UTC. The leader's sweep
(`queue_due`) turns each due rule into one delivery covering the day or week that ended then,
with the figures stored on the delivery (a retry sends the same text), and moves the rule on to
its next time after now: a platform that was down sends one digest, not one per missed day.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from etlfabric.models import (
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    NotifyEvent,
    Run,
    RunStatus,
)
from etlfabric.services import targets
from etlfabric.services.notifications import send_after_commit

DIGESTS = (NotifyEvent.daily_digest, NotifyEvent.weekly_digest)
PERIODS = {NotifyEvent.daily_digest: timedelta(days=1), NotifyEvent.weekly_digest: timedelta(7)}
S = RunStatus
LISTED = 10  # failures listed
SLOWEST = 5


def next_time(event: NotifyEvent, hour: int, weekday: int, zone: str, after: datetime) -> datetime:
    """The first digest moment strictly after `after` (UTC), on the local wall clock."""
    tz = ZoneInfo(zone or "UTC")
    local_day = after.astimezone(tz).date()
    for offset in range(0, 9):
        day = local_day + timedelta(days=offset)
        if event is NotifyEvent.weekly_digest and day.weekday() != weekday:
            continue
        moment = datetime.combine(day, time(hour), tz).astimezone(UTC)
        if moment > after:
            return moment
    raise AssertionError("a digest moment exists within 9 days")


def _target_filter(rule) -> list:
    if rule.target_type is None:
        return []
    return [Run.target_type == rule.target_type, Run.target_id == rule.target_id]


def figures(session: Session, rule, since: datetime, until: datetime) -> dict:
    """Counts by status, success rate of final outcomes, failures and the slowest runs."""
    ended = [Run.finished_at >= since, Run.finished_at < until, *_target_filter(rule)]
    counts = dict(
        session.execute(select(Run.status, func.count()).where(*ended).group_by(Run.status)).all()
    )
    final = ~Run.details.has_key("retried_as")
    outcomes = dict(
        session.execute(
            select(Run.status, func.count())
            .where(*ended, final, Run.status.in_((S.succeeded, S.failed, S.timed_out)))
            .group_by(Run.status)
        ).all()
    )
    finished = sum(outcomes.values())
    failures = session.execute(
        select(Run.id, Run.target_type, Run.target_name, Run.error, Run.status)
        .where(*ended, final, Run.status.in_((S.failed, S.timed_out)))
        .order_by(Run.finished_at.desc())
        .limit(LISTED)
    ).all()
    slowest = session.execute(
        select(Run.id, Run.target_type, Run.target_name, Run.duration_ms)
        .where(*ended, Run.duration_ms.is_not(None))
        .order_by(Run.duration_ms.desc())
        .limit(SLOWEST)
    ).all()
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "total": sum(counts.values()),
        "counts": {S(status).value: count for status, count in counts.items()},
        "success_rate": None
        if not finished
        else round(100.0 * outcomes.get(S.succeeded, 0) / finished, 1),
        "failures": [
            {
                "run_id": run_id,
                "target_type": kind.value,
                "target_name": name,
                "error": ((error or status.value).strip().splitlines() or [""])[0][:200],
            }
            for run_id, kind, name, error, status in failures
        ],
        "slowest": [
            {"run_id": run_id, "target_type": kind.value, "target_name": name, "duration_ms": ms}
            for run_id, kind, name, ms in slowest
        ],
    }


def _scope(session: Session, rule) -> str:
    if rule.target_type is None:
        return "all targets"
    name = session.scalar(targets.live(rule.target_type, rule.target_id))
    return (
        f"{rule.target_type.value} '{name}'"
        if name
        else f"{rule.target_type.value} #{rule.target_id}"
    )


def queue_due(session: Session, org_id: int, zone: str, now: datetime | None = None) -> int:
    """A delivery for every digest rule that is due; safe beside a second copy of itself."""
    now = now or datetime.now(UTC)
    rules = session.scalars(
        select(NotificationRule)
        .join(NotificationChannel, NotificationChannel.id == NotificationRule.channel_id)
        .where(
            NotificationRule.event.in_(DIGESTS),
            NotificationRule.next_digest_at <= now,
            NotificationRule.enabled.is_(True),
            NotificationChannel.enabled.is_(True),
            NotificationChannel.deleted_at.is_(None),
        )
        .with_for_update(of=NotificationRule, skip_locked=True)
    ).all()
    sent = []
    for rule in rules:
        until = rule.next_digest_at
        payload = figures(session, rule, until - PERIODS[rule.event], until)
        payload["scope"] = _scope(session, rule)
        delivery = NotificationDelivery(
            rule_id=rule.id,
            channel_id=rule.channel_id,
            event=rule.event,
            target_type=rule.target_type,
            target_id=rule.target_id,
            payload=payload,
            subject=f"{rule.event.value.replace('_', ' ').capitalize()}: {payload['total']} runs",
            next_attempt_at=func.now(),
        )
        session.add(delivery)
        session.flush()
        sent.append(delivery.id)
        rule.next_digest_at = next_time(
            rule.event, rule.digest_hour, rule.digest_weekday, zone, now
        )
    send_after_commit(session, org_id, sent)
    return len(sent)
