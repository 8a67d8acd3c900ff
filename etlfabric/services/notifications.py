"""Notifications from the run engine: which rules an ended run (or a disabled schedule) matches,
and the delivery rows that follow, written in the same transaction as the status change.

services/runs.py calls `after_run_end` for every ended run. It costs one indexed query when the
organisation has no matching rule and writes nothing; otherwise it adds one `pending` delivery
per matching rule and, after the commit, one Celery message per delivery
(notification_sending.deliver sends it). A failure inside a rule's grouping window is recorded
as `grouped` and counted into that target's next alert instead of being sent.

Events: `failure` (a final failure: failed or timed out, not retried), `success`, `recovery` (a
success whose target's previous final outcome was a failure), `auto_disable` (a schedule
stopped), and the digests (notification_digests). A rule without a target matches every target;
a disabled rule, or any rule of a disabled channel, matches nothing.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from etlfabric.errors import Invalid, NotFound
from etlfabric.models import (
    DeliveryStatus,
    NotificationChannel,
    NotificationDelivery,
    NotificationRule,
    NotifyEvent,
    Run,
    RunStatus,
    Schedule,
)
from etlfabric.services import audit
from etlfabric.services import run_events as events
from etlfabric.services.notification_messages import test_message
from etlfabric.services.permissions import Principal, require

DELIVER_TASK = "etlfabric.deliver_notification"
E, S = NotifyEvent, RunStatus
FAILED = frozenset({S.failed, S.timed_out})
FINAL = (S.succeeded, S.failed, S.timed_out)
MAX_PAGE_SIZE = 200


def send_deliveries(org_id: int, delivery_ids: list[int]) -> None:
    """One Celery message per delivery (sent now; callers use `send_after_commit`)."""
    from etlfabric.tasks import celery_app

    for delivery_id in delivery_ids:
        celery_app.send_task(DELIVER_TASK, args=[int(org_id), int(delivery_id)])


def send_after_commit(session, org_id: int, delivery_ids: list[int]) -> None:
    if delivery_ids:
        events.after_commit(session, lambda: send_deliveries(org_id, list(delivery_ids)))


def _matching_rules(session: Session, wanted: tuple[NotifyEvent, ...], target_type, target_id):
    return session.execute(
        select(NotificationRule.id, NotificationRule.event, NotificationRule.channel_id)
        .add_columns(NotificationRule.group_minutes)
        .join(NotificationChannel, NotificationChannel.id == NotificationRule.channel_id)
        .where(
            NotificationRule.event.in_(wanted),
            NotificationRule.enabled.is_(True),
            NotificationChannel.enabled.is_(True),
            NotificationChannel.deleted_at.is_(None),
            or_(
                NotificationRule.target_type.is_(None),
                and_(
                    NotificationRule.target_type == target_type,
                    NotificationRule.target_id == target_id,
                ),
            ),
        )
        .order_by(NotificationRule.id)
    ).all()


def _events_of(run: Run, retry: bool) -> tuple[NotifyEvent, ...]:
    if retry:  # not final yet: its next attempt decides
        return ()
    if run.status is S.succeeded:
        return (E.success, E.recovery)
    if run.status in FAILED:
        return (E.failure,)
    return ()  # cancelled and skipped runs tell nobody


def _recovered(session: Session, run: Run) -> bool:
    """Whether the target's previous final outcome (retried attempts aside) was a failure."""
    previous = session.scalar(
        select(Run.status)
        .where(
            Run.target_type == run.target_type,
            Run.target_id == run.target_id,
            Run.id != run.id,
            Run.status.in_(FINAL),
            ~Run.details.has_key("retried_as"),
        )
        .order_by(Run.finished_at.desc().nulls_last(), Run.id.desc())
        .limit(1)
    )
    return previous in FAILED


def after_run_end(session: Session, org_id: int, run: Run, *, retry: bool) -> None:
    wanted = _events_of(run, retry)
    if not wanted:
        return
    rules = _matching_rules(session, wanted, run.target_type, run.target_id)
    if not rules:
        return
    if any(rule.event is E.recovery for rule in rules) and not _recovered(session, run):
        rules = [rule for rule in rules if rule.event is not E.recovery]
    sent = []
    for rule in rules:
        delivery = _run_delivery(session, rule, run)
        if delivery.status is DeliveryStatus.pending:
            sent.append(delivery.id)
    send_after_commit(session, org_id, sent)


def subject_of(event: NotifyEvent, target_type, target_name: str, run_id: int | None) -> str:
    what = f"{getattr(target_type, 'value', target_type) or 'target'} '{target_name}'"
    words = {
        E.failure: "Failed",
        E.success: "Succeeded",
        E.recovery: "Recovered",
        E.auto_disable: "Schedule disabled",
    }
    suffix = f" (run #{run_id})" if run_id else ""
    return f"{words.get(event, event.value)}: {what}{suffix}"


def _run_delivery(session: Session, rule, run: Run) -> NotificationDelivery:
    status, grouped = DeliveryStatus.pending, 0
    if rule.event is E.failure:
        status, grouped = _grouping(session, rule, run)
    delivery = NotificationDelivery(
        rule_id=rule.id,
        channel_id=rule.channel_id,
        event=rule.event,
        status=status,
        run_id=run.id,
        target_type=run.target_type,
        target_id=run.target_id,
        target_name=run.target_name,
        grouped_count=grouped,
        subject=subject_of(rule.event, run.target_type, run.target_name, run.id),
        next_attempt_at=func.now() if status is DeliveryStatus.pending else None,
    )
    session.add(delivery)
    session.flush()
    return delivery


def _grouping(session: Session, rule, run: Run) -> tuple[DeliveryStatus, int]:
    """(status, failures folded in): `grouped` inside the window after this target's last
    alert from this rule; else `pending`, counting the grouped ones since that alert."""
    key = f"etlfabric.notify-group.{rule.id}.{run.target_type.value}.{int(run.target_id)}"
    session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))
    same = (
        NotificationDelivery.rule_id == rule.id,
        NotificationDelivery.target_type == run.target_type,
        NotificationDelivery.target_id == run.target_id,
    )
    window = func.make_interval(0, 0, 0, 0, 0, rule.group_minutes)
    last = session.execute(
        select(NotificationDelivery.id, NotificationDelivery.created_at > func.now() - window)
        .where(*same, NotificationDelivery.status != DeliveryStatus.grouped)
        .order_by(NotificationDelivery.id.desc())
        .limit(1)
    ).first()
    if last is not None and rule.group_minutes > 0 and last[1]:
        return DeliveryStatus.grouped, 0
    since = [NotificationDelivery.id > last[0]] if last is not None else []
    grouped = session.scalar(
        select(func.count()).where(*same, *since, NotificationDelivery.status == "grouped")
    )
    return DeliveryStatus.pending, int(grouped or 0)


def schedule_disabled(
    session: Session, org_id: int | None, schedule: Schedule, *, message: str, run: Run | None
) -> None:
    """Deliveries for the `auto_disable` rules of the schedule's target."""
    if org_id is None:
        return
    rules = _matching_rules(session, (E.auto_disable,), schedule.target_type, schedule.target_id)
    if not rules:
        return
    name = run.target_name if run is not None else f"#{schedule.target_id}"
    payload = {
        "schedule_id": schedule.id,
        "target_type": schedule.target_type.value,
        "target_id": schedule.target_id,
        "target_name": name,
        "run_id": run.id if run is not None else None,
        "message": message,
    }
    sent = []
    for rule in rules:
        delivery = NotificationDelivery(
            rule_id=rule.id,
            channel_id=rule.channel_id,
            event=E.auto_disable,
            run_id=payload["run_id"],
            target_type=schedule.target_type,
            target_id=schedule.target_id,
            target_name=name,
            payload=payload,
            subject=subject_of(E.auto_disable, schedule.target_type, name, None),
            next_attempt_at=func.now(),
        )
        session.add(delivery)
        session.flush()
        sent.append(delivery.id)
    send_after_commit(session, org_id, sent)


# --- the history --------------------------------------------------------------------------------


async def record_test(
    *, session: AsyncSession, principal: Principal, channel_id: int, ok: bool, message: str
) -> NotificationDelivery:
    """The test button's attempt (already made) as a `test` row in the history, sent or failed
    with what the server answered, and who pressed it in the audit log."""
    require(principal, "notifications.write")
    channel = await session.get(NotificationChannel, channel_id)
    if channel is None:
        raise NotFound("Notification channel not found.")
    delivery = NotificationDelivery(
        channel_id=channel.id,
        event=E.test,
        status=DeliveryStatus.sent if ok else DeliveryStatus.failed,
        subject=test_message(channel.name).subject.removeprefix("[ETL Fabric] ")[:300],
        attempts=1,
        last_error=None if ok else message,
        sent_at=func.now() if ok else None,
    )
    session.add(delivery)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="notification_channel.test",
        resource_type="notification_channel",
        resource_id=channel.id,
        new={"ok": ok, "delivery_id": delivery.id},
    )
    return delivery


async def list_deliveries(
    *,
    session: AsyncSession,
    principal: Principal,
    page: int = 1,
    page_size: int = 50,
    status: str | None = None,
) -> tuple[list[tuple[NotificationDelivery, str]], int]:
    """(delivery, channel name) newest first, and how many there are in all."""
    require(principal, "notifications.read")
    if page < 1:
        raise Invalid("page", "Pages start at 1.")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise Invalid("page_size", f"Choose a page size from 1 to {MAX_PAGE_SIZE}.")
    filters = []
    if status:
        try:
            filters.append(NotificationDelivery.status == DeliveryStatus(status))
        except ValueError:
            raise Invalid("status", "Status is pending, sent, failed or grouped.") from None
    total = await session.scalar(
        select(func.count()).select_from(NotificationDelivery).where(*filters)
    )
    rows = await session.execute(
        select(NotificationDelivery, NotificationChannel.name)
        .join(NotificationChannel, NotificationChannel.id == NotificationDelivery.channel_id)
        .where(*filters)
        .order_by(NotificationDelivery.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return [(delivery, name) for delivery, name in rows], int(total or 0)
