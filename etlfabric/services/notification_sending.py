"""Sending deliveries (sync: the worker's task and the leader's sweep). The delivery row is the
truth: an attempt first claims the row (attempts + 1, and a lease: `next_attempt_at` moves
LEASE ahead) and commits; then the message goes out with no transaction open; then the outcome
is recorded. A worker that dies mid-way leaves the row `pending` with an expired lease, and the
sweep (`resend_due`) sends it again. A failed attempt waits BASE_DELAY x 2^(attempts - 1)
(at most MAX_DELAY); after MAX_ATTEMPTS the delivery is `failed` with the last error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from etlfabric.db import sync_tenant_session
from etlfabric.models import (
    ChannelKind,
    DeliveryStatus,
    NotificationChannel,
    NotificationDelivery,
    NotifyEvent,
    Run,
    RunLog,
)
from etlfabric.services import notification_messages as messages
from etlfabric.services import notifiers
from etlfabric.services.notification_channels import secrets_of

log = logging.getLogger("etlfabric.notifications")

D = NotificationDelivery
LEASE = timedelta(minutes=2)  # longer than a send can take (SMTP and HTTP time out at 15 s)
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)
MAX_ATTEMPTS = 8  # about 1 h of trying: 30 s, 1, 2, 4, 8, 16, 32 min
FRESH_GRACE = timedelta(seconds=10)  # a new delivery's own message is on its way: not re-sent
BATCH = 100


def retry_delay(attempts: int) -> timedelta:
    return min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)


@dataclass(frozen=True)
class Outgoing:
    kind: str
    config: dict
    secret: dict
    message: notifiers.Message
    attempts: int


def _tail(session: Session, run_id: int) -> list[str]:
    rows = session.scalars(
        select(RunLog.text)
        .where(RunLog.run_id == run_id)
        .order_by(RunLog.seq.desc())
        .limit(messages.LOG_LINES)
    ).all()
    return list(reversed(rows))


def compose(session: Session, delivery: NotificationDelivery) -> notifiers.Message:
    event = NotifyEvent(delivery.event)
    if event in messages.HEADLINES:
        run = session.get(Run, delivery.run_id) if delivery.run_id else None
        if run is None:  # purged by retention before the message went out
            text = f"{delivery.subject}\n(The run is no longer stored.)"
            return notifiers.Message(event.value, f"[ETL Fabric] {delivery.subject}", text, {})
        lines = _tail(session, run.id) if event is NotifyEvent.failure else []
        facts = messages.RunFacts(run=run, log_lines=lines, grouped=delivery.grouped_count)
        return messages.run_message(event, facts)
    if event is NotifyEvent.auto_disable:
        return messages.auto_disable_message(delivery.payload or {})
    return messages.digest_message(event, delivery.payload or {})


def _claim(session: Session, delivery_id: int) -> NotificationDelivery | None:
    return session.scalars(
        update(D)
        .where(
            D.id == delivery_id,
            D.status == DeliveryStatus.pending,
            or_(D.next_attempt_at.is_(None), D.next_attempt_at <= func.now()),
        )
        .values(attempts=D.attempts + 1, next_attempt_at=func.now() + LEASE)
        .returning(D)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _prepare(org_id: int, delivery_id: int) -> Outgoing | None:
    """Claim the delivery and build its message in one short transaction; None when there is
    nothing to send (sent already, claimed by another attempt, or its channel is gone)."""
    with sync_tenant_session(org_id) as session:
        delivery = _claim(session, delivery_id)
        if delivery is None:
            return None
        channel = session.get(NotificationChannel, delivery.channel_id)
        if channel is None or channel.deleted_at is not None or not channel.enabled:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.failed, None
            delivery.last_error = "Not sent: the channel was deleted or disabled."
            return None
        message = compose(session, delivery)
        delivery.subject = message.subject.removeprefix("[ETL Fabric] ")[:300]
        kind = ChannelKind(channel.kind).value
        return Outgoing(kind, dict(channel.config), secrets_of(channel), message, delivery.attempts)


def _record(org_id: int, delivery_id: int, attempts: int, error: str | None) -> DeliveryStatus:
    if error is None:
        values = dict(status=DeliveryStatus.sent, sent_at=func.now(), next_attempt_at=None)
    elif attempts >= MAX_ATTEMPTS:
        values = dict(status=DeliveryStatus.failed, next_attempt_at=None)
        error = f"{error} Gave up after {attempts} attempts."
    else:
        values = dict(next_attempt_at=func.now() + retry_delay(attempts))
        error = f"{error} Retrying in {int(retry_delay(attempts).total_seconds())} s."
    with sync_tenant_session(org_id) as session:
        session.execute(
            update(D)
            .where(D.id == delivery_id, D.status == DeliveryStatus.pending, D.attempts == attempts)
            .values(last_error=error, **values)
            .execution_options(synchronize_session=False)
        )
    return values.get("status", DeliveryStatus.pending)


def deliver(org_id: int, delivery_id: int) -> DeliveryStatus | None:
    """One attempt at one delivery; its status afterwards (None: nothing was attempted)."""
    outgoing = _prepare(org_id, delivery_id)
    if outgoing is None:
        return None
    try:
        notifiers.send(outgoing.kind, outgoing.config, outgoing.secret, outgoing.message)
        error = None
    except notifiers.NotifyFailed as exc:
        error = exc.message
    except Exception as exc:  # a bug in a sender must not lose the delivery: retried
        log.exception("sending notification %s failed unexpectedly", delivery_id)
        error = f"Unexpected error: {type(exc).__name__}."
    if error:
        log.warning("notification %s not delivered (attempt %s)", delivery_id, outgoing.attempts)
    return _record(org_id, delivery_id, outgoing.attempts, error)


def resend_due(session: Session, org_id: int) -> int:
    """Send a message for every pending delivery that is due: retries whose wait is over,
    claims whose worker died (lease expired), and messages lost before a worker got them."""
    due = session.scalars(
        select(D.id)
        .where(
            D.status == DeliveryStatus.pending,
            D.next_attempt_at <= func.now(),
            or_(D.attempts > 0, D.created_at < func.now() - FRESH_GRACE),
        )
        .order_by(D.next_attempt_at, D.id)
        .limit(BATCH)
    ).all()
    from etlfabric.services.notifications import send_after_commit

    send_after_commit(session, org_id, list(due))
    return len(due)
