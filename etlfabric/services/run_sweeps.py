"""Upkeep of the runs table that changes no status: re-sending queued runs nobody claimed, and
deleting runs past their organisation's retention. Each call does one batch in the caller's
transaction and is safe to repeat beside workers (rows locked elsewhere are skipped)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import DateTime, Integer, delete, func, select
from sqlalchemy.orm import Session

from etlfabric.models import Run, RunStatus
from etlfabric.services import run_events as events
from etlfabric.services.runs import TERMINAL

UNCLAIMED_AFTER = timedelta(seconds=60)
MAX_BACKOFF_DOUBLINGS = 10  # a run still waiting is re-sent at most every 60 s * 2**10 (17 h)


def resend_unclaimed(
    session: Session, *, org_id: int, older_than: timedelta = UNCLAIMED_AFTER, batch: int = 200
) -> int:
    """Send again the message of queued runs nobody claimed (a lost message, a worker killed before
    acknowledging, a run that waited for a free slot). The wait doubles with each re-send, so a
    long but healthy backlog is not flooded with duplicates (a duplicate is claimed once anyway)."""
    sends = func.coalesce(Run.details["sends"].astext.cast(Integer), 1)
    last_sent = func.coalesce(
        Run.details["sent_at"].astext.cast(DateTime(timezone=True)), Run.queued_at
    )
    doublings = func.power(2, func.least(sends - 1, MAX_BACKOFF_DOUBLINGS))
    wait = func.make_interval(0, 0, 0, 0, 0, 0, older_than.total_seconds() * doublings)
    due = session.execute(
        select(Run.id, Run.queue, sends.label("sends"), func.now().label("now"))
        .where(Run.status == RunStatus.queued, Run.queued_at < func.now() - older_than)
        .where(Run.not_before.is_(None))  # held runs were never sent; the scheduler sends them
        .where(last_sent < func.now() - wait)
        .order_by(Run.queued_at)
        .limit(batch)
        .with_for_update(of=Run, skip_locked=True)
    ).all()
    for row in due:
        run = session.get(Run, row.id)
        sent = {"sends": row.sends + 1, "sent_at": row.now.isoformat()}
        run.details = {**(run.details or {}), **sent}
        events.enqueue_after_commit(session, org_id=org_id, run_id=row.id, queue=row.queue)
    return len(due)


def purge_expired(session: Session, *, retention_days: int, batch: int = 500) -> int:
    """Delete up to `batch` finished runs queued more than `retention_days` ago, with their log
    lines (ON DELETE CASCADE). Returns how many runs were deleted."""
    expired = (
        select(Run.id)
        .where(
            Run.status.in_(TERMINAL),
            Run.queued_at < func.now() - timedelta(days=max(1, retention_days)),
        )
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    result = session.execute(
        delete(Run)
        .where(Run.id.in_(expired.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
