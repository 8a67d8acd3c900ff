"""What a scheduled run's end means for its schedule (sync; the worker and reaper side).

services/runs.py calls, for every run that ends:
- `retry_delay(session, run)` while making a retry: a scheduled run's retry waits
  retry_delay_seconds x 2^(attempt - 1) (exponential backoff), other runs retry at once. A waiting
  retry is `queued` with `not_before` set and is not sent: the scheduler's leader sends it when it
  is due (schedule_firing.send_held_runs), and the reaper's re-send sweep leaves it alone.
- `after_run_end(session, org_id, run, retry=...)`: a success resets the schedule's count of
  consecutive failures; a final failure (failed or timed out, not retried) adds one, and at
  auto_disable_after (0 = never) the schedule is disabled with a reason, an Alert on the
  dashboard and the auto-disable notifications. Runs queued behind this one (overlap policy
  `queue`) are sent, or wait for its retry.
Cancelled and skipped runs change no count.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import BigInteger, func, select, update
from sqlalchemy.orm import Session

from etlfabric.models import Alert, AlertKind, Run, RunStatus, Schedule
from etlfabric.services import notifications
from etlfabric.services import run_events as events
from etlfabric.services.schedule_forms import describe
from etlfabric.services.schedule_times import Timing

log = logging.getLogger("etlfabric.schedules")

S = RunStatus
FAILED = frozenset({S.failed, S.timed_out})
MAX_DOUBLINGS = 16


def retry_delay(session: Session, run: Run) -> timedelta | None:
    """How long the retry of `run` waits; None to send it at once."""
    if run.schedule_id is None:
        return None
    seconds = session.scalar(
        select(Schedule.retry_delay_seconds).where(Schedule.id == run.schedule_id)
    )
    if not seconds:
        return None
    return timedelta(seconds=seconds * 2 ** min(max(run.attempt - 1, 0), MAX_DOUBLINGS))


def waiting_on(model=Run):
    """The id of the run a queued run waits for (overlap policy `queue`), as a SQL expression;
    `model` is Run or an alias of it."""
    return model.details["after_run"].astext.cast(BigInteger)


def _hand_over(session: Session, org_id: int, run: Run) -> None:
    """Runs queued behind `run` now wait for its retry, or are sent when their time has come."""
    retried_as = (run.details or {}).get("retried_as")
    behind = (Run.status == S.queued, waiting_on() == run.id)
    if retried_as is not None:
        session.execute(
            update(Run)
            .where(*behind)
            .values(details=Run.details.op("||")(func.jsonb_build_object("after_run", retried_as)))
            .execution_options(synchronize_session=False)
        )
        return
    sent = session.execute(
        update(Run)
        .where(*behind, Run.not_before <= func.now())
        .values(not_before=None)
        .returning(Run.id, Run.queue)
        .execution_options(synchronize_session=False)
    ).all()
    for run_id, queue in sent:
        events.enqueue_after_commit(session, org_id=org_id, run_id=run_id, queue=queue)


def after_run_end(session: Session, org_id: int, run: Run, *, retry: bool) -> None:
    if run.schedule_id is None:
        return
    _hand_over(session, org_id, run)
    if retry:  # not final yet: its next attempt decides
        return
    if run.status is S.succeeded:
        session.execute(
            update(Schedule)
            .where(Schedule.id == run.schedule_id, Schedule.consecutive_failures != 0)
            .values(consecutive_failures=0)
            .execution_options(synchronize_session=False)
        )
    elif run.status in FAILED:
        _count_failure(session, org_id, run)


def _count_failure(session: Session, org_id: int, run: Run) -> None:
    schedule = session.scalar(
        select(Schedule).where(Schedule.id == run.schedule_id).with_for_update()
    )
    if schedule is None:
        return
    schedule.consecutive_failures += 1
    limit = schedule.auto_disable_after
    if not (limit and schedule.enabled and schedule.consecutive_failures >= limit):
        return
    reason = (
        f"Disabled after {schedule.consecutive_failures} consecutive failed runs; the last one, "
        f"run #{run.id}, ended: {(run.error or run.status.value).strip()[:500]} Fix the cause, "
        "then enable the schedule again."
    )
    message = (
        f"The schedule of {run.target_name or schedule.target_type.value} "
        f"({describe(Timing.of(schedule))}) was disabled after "
        f"{schedule.consecutive_failures} consecutive failed runs. Last error (run "
        f"#{run.id}): {(run.error or run.status.value).strip()[:500]}"
    )
    disable_with_alert(session, schedule, reason=reason, message=message, org_id=org_id, run=run)
    log.warning("schedule %s disabled after %s failures", schedule.id, limit)


def disable_with_alert(
    session: Session,
    schedule: Schedule,
    *,
    reason: str,
    message: str,
    org_id: int | None = None,
    run: Run | None = None,
) -> None:
    """Stop a schedule, keeping `reason` on it, and tell the dashboard with an alert (and, given
    `org_id`, the organisation's auto-disable notification rules)."""
    schedule.enabled, schedule.next_fire_at, schedule.disabled_reason = False, None, reason
    session.add(
        Alert(
            kind=AlertKind.schedule_disabled,
            schedule_id=schedule.id,
            target_type=schedule.target_type,
            target_id=schedule.target_id,
            message=message,
        )
    )
    notifications.schedule_disabled(session, org_id, schedule, message=message, run=run)
