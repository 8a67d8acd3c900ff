"""The leader's notification sweep: digests that are due become deliveries, and deliveries whose
retry wait (or a dead worker's lease) is over are sent again. Every SWEEP_SECONDS, one
transaction per organisation; safe to repeat and beside a second copy of itself."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select

from etlfabric.db import sync_platform_session, sync_tenant_session
from etlfabric.errors import NotFound
from etlfabric.models import Organization
from etlfabric.services import notification_digests, notification_sending

log = logging.getLogger("etlfabric.notifications")

SWEEP_SECONDS = 10


def organisations() -> list[tuple[int, str]]:
    """(id, time zone) of every organisation that is not deleted."""
    with sync_platform_session() as session:
        rows = session.execute(
            select(Organization.id, Organization.timezone)
            .where(Organization.deleted_at.is_(None))
            .order_by(Organization.id)
        )
        return [(org_id, zone) for org_id, zone in rows]


def run_once(now: datetime | None = None) -> tuple[int, int]:
    """(digests queued, deliveries re-sent) over all organisations."""
    now = now or datetime.now(UTC)
    digests = resent = 0
    for org_id, zone in organisations():
        try:
            with sync_tenant_session(org_id) as session:
                digests += notification_digests.queue_due(session, org_id, zone, now)
                resent += notification_sending.resend_due(session, org_id)
        except NotFound:  # deleted since the list was read
            continue
        except Exception:  # one broken tenant must not stop the sweep for the others
            log.exception("the notification sweep failed for organisation %s", org_id)
    if digests or resent:
        log.info("notifications: %d digests queued, %d deliveries re-sent", digests, resent)
    return digests, resent


# (name, function, seconds between runs), registered in scheduler.LEADER_JOBS
JOBS = [("notifications", run_once, SWEEP_SECONDS)]
