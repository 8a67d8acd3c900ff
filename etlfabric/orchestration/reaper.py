"""The reaper: small sweeps the scheduler's leader repeats, so no run is stuck or kept forever.

- `run_once` (every SWEEP_SECONDS): runs whose worker was lost (heartbeat older than 60 s) become
  `failed` and are retried while attempts remain; queued runs nobody claimed are sent again. A run
  whose worker was killed leaves `running` within 60 + SWEEP_SECONDS s.
- `purge_expired` (hourly): runs and their logs older than each organisation's retention.
- `prune_environments` (every few hours): script environments nobody used for a while.

Every sweep goes over all active organisations, one batch per transaction; each is idempotent and
safe beside workers and a second copy of itself (locked rows are skipped).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from etlfabric.db import sync_platform_session, sync_tenant_session
from etlfabric.errors import NotFound
from etlfabric.models import Organization
from etlfabric.runners import environments
from etlfabric.services import flow_runs, run_sweeps, runs

log = logging.getLogger("etlfabric.reaper")

SWEEP_SECONDS = 10
RETENTION_SWEEP_SECONDS = 3600
PRUNE_SWEEP_SECONDS = 6 * 3600
ENVIRONMENT_IDLE_DAYS = 14
BATCH = 100


def active_organisations() -> list[tuple[int, int]]:
    """(id, run retention in days) of every organisation that is not deleted."""
    with sync_platform_session() as session:
        rows = session.execute(
            select(Organization.id, Organization.run_retention_days)
            .where(Organization.deleted_at.is_(None))
            .order_by(Organization.id)
        )
        return [(org_id, days) for org_id, days in rows]


def _each_organisation(sweep: Callable[[int, int], int], what: str) -> int:
    total = 0
    for org_id, retention_days in active_organisations():
        try:
            total += sweep(org_id, retention_days)
        except NotFound:  # deleted since the list was read
            continue
        except Exception:  # one broken tenant must not stop the sweep for the others
            log.exception("%s failed for organisation %s", what, org_id)
    return total


def _in_batches(org_id: int, step: Callable, batch: int) -> int:
    """Repeat `step(session)` in fresh transactions until it handles fewer than `batch` rows."""
    done = 0
    while True:
        with sync_tenant_session(org_id) as session:
            count = step(session)
        done += count
        if count < batch:
            return done


def fail_lost_runs(*, stale_after: timedelta = runs.STALE_AFTER) -> int:
    def sweep(org_id: int, _: int) -> int:
        return _in_batches(
            org_id,
            lambda s: len(
                runs.fail_stale_runs(s, org_id=org_id, stale_after=stale_after, batch=BATCH)
            ),
            BATCH,
        )

    return _each_organisation(sweep, "failing lost runs")


def resend_unclaimed(*, older_than: timedelta = run_sweeps.UNCLAIMED_AFTER) -> int:
    def sweep(org_id: int, _: int) -> int:
        with sync_tenant_session(org_id) as session:
            flow_runs.advance_stalled(session, org_id)  # a safety net: flows left with no run
            return run_sweeps.resend_unclaimed(session, org_id=org_id, older_than=older_than)

    return _each_organisation(sweep, "re-sending unclaimed runs")


@dataclass(frozen=True)
class Sweep:
    lost: int  # running runs failed as "worker lost"
    resent: int  # queued runs sent again


def run_once(
    *,
    stale_after: timedelta = runs.STALE_AFTER,
    unclaimed_after: timedelta = run_sweeps.UNCLAIMED_AFTER,
) -> Sweep:
    """One pass of the frequent sweeps; the thresholds are arguments so tests need not wait."""
    sweep = Sweep(
        lost=fail_lost_runs(stale_after=stale_after),
        resent=resend_unclaimed(older_than=unclaimed_after),
    )
    if sweep.lost or sweep.resent:
        log.info("reaper: %d lost runs failed, %d queued runs re-sent", sweep.lost, sweep.resent)
    return sweep


def purge_expired(*, batch: int = 500) -> int:
    def sweep(org_id: int, retention_days: int) -> int:
        return _in_batches(
            org_id,
            lambda s: run_sweeps.purge_expired(s, retention_days=retention_days, batch=batch),
            batch,
        )

    deleted = _each_organisation(sweep, "run retention")
    if deleted:
        log.info("retention: %d runs deleted with their logs", deleted)
    return deleted


def prune_environments(*, max_idle_days: float = ENVIRONMENT_IDLE_DAYS) -> int:
    """Script environments unused for `max_idle_days` (on this machine's DATA_DIR)."""
    removed = environments.prune_environments(max_idle_days=max_idle_days)
    if removed:
        log.info("pruned %d unused script environments", len(removed))
    return len(removed)


# (name, function, seconds between runs), registered in scheduler.LEADER_JOBS
JOBS: list[tuple[str, Callable[[], object], int]] = [
    ("reaper", run_once, SWEEP_SECONDS),
    ("run-retention", purge_expired, RETENTION_SWEEP_SECONDS),
    ("environment-prune", prune_environments, PRUNE_SWEEP_SECONDS),
]
