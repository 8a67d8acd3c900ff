"""The leader's firing job: schedules fire, delayed retries and queued fires are sent.

`tick` runs every second on the scheduler's leader (scheduler.LEADER_JOBS). Fire times are whole
seconds, so a tick waits for the next whole second (plus ALIGN) when that is near, and otherwise
starts at once: a fire is handled within ALIGN..MAX_WAIT of its time plus the work itself.
Each tick asks all active organisations at once (one query) which have a schedule due or a held
run due, then fires those in one transaction per organisation (services/schedule_firing.py).
Schedule changes need no restart: `next_fire_at` is read from the database on every tick.

Startup schedules fire once per platform start. A platform start is a scheduler process that
starts while no other scheduler is alive; a scheduler started beside a live one (a standby)
belongs to that one's start: its start time is the earliest `started_at` among the schedulers
alive when it started (public.scheduler_instances). The leader fires every startup schedule
created before that time with fire_time = that time, so a standby that takes over after the
leader died fires nothing again (the unique (schedule_id, fire_time) refuses the duplicate). A
leader stopped cleanly removes its entry, so its standby's takeover counts as a new start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import column, exists, func, literal, or_, select, table, union_all

from etlfabric.config import get_settings
from etlfabric.db import sync_engine, sync_platform_session, sync_tenant_session, tenant_schema
from etlfabric.errors import NotFound
from etlfabric.models import Organization, SchedulerInstance
from etlfabric.services import schedule_firing

log = logging.getLogger("etlfabric.firing")

TICK_SECONDS = 1
ALIGN = 0.02  # seconds after the whole second: fire times are whole seconds
MAX_WAIT = 0.7  # wait for the next whole second only this long, so a tick ends within its second
BATCH = 100
ORGS_TTL = 1.0  # seconds the list of organisations is reused (a new one fires within 2 s)
CHUNK = 200  # organisations per "who has something due" query

_orgs: tuple[float, list[int]] = (0.0, [])
_started_at: datetime | None = None  # this process's platform start, once known
_startup_done: set[int] = set()  # organisations whose startup schedules this process fired


def organisations() -> list[int]:
    global _orgs
    if time.monotonic() - _orgs[0] > ORGS_TTL:
        with sync_platform_session() as session:
            ids = session.scalars(
                select(Organization.id)
                .where(Organization.deleted_at.is_(None))
                .order_by(Organization.id)
            )
            _orgs = (time.monotonic(), list(ids))
    return _orgs[1]


def _something_due(org_id: int, now: datetime):
    schema = tenant_schema(org_id)
    schedules = table(
        "schedules", column("enabled"), column("deleted_at"), column("next_fire_at"), schema=schema
    )
    runs = table("runs", column("status"), column("not_before"), schema=schema)
    fire = exists().where(
        schedules.c.enabled.is_(True),
        schedules.c.deleted_at.is_(None),
        schedules.c.next_fire_at <= now,
    )
    held = exists().where(runs.c.status == "queued", runs.c.not_before <= now)
    return select(literal(org_id).label("org_id")).where(or_(fire, held))


def due_organisations(org_ids: list[int], now: datetime) -> list[int]:
    """The organisations with a schedule or a held run due, in one query per CHUNK of them."""
    due: list[int] = []
    with sync_engine().connect() as connection:
        for first in range(0, len(org_ids), CHUNK):
            parts = [_something_due(org_id, now) for org_id in org_ids[first : first + CHUNK]]
            due.extend(connection.scalars(union_all(*parts)))
    return due


def _each(org_ids: list[int], step: Callable[[int], int], what: str) -> int:
    done = 0
    for org_id in org_ids:
        try:
            done += step(org_id)
        except NotFound:  # deleted since the list was read
            continue
        except Exception:  # one broken tenant must not stop the others
            log.exception("%s failed for organisation %s", what, org_id)
    return done


def fire_organisation(org_id: int, now: datetime) -> int:
    """Due schedules and held runs of one organisation, a batch per transaction."""
    total = 0
    while True:
        try:
            with sync_tenant_session(org_id) as session:
                fired = schedule_firing.fire_due(session, org_id=org_id, now=now, batch=BATCH)
                sent = schedule_firing.send_held_runs(session, org_id=org_id, now=now, batch=BATCH)
        except schedule_firing.Broken as broken:  # rolled back: set it aside, fire the others
            log.exception("organisation %s: %s", org_id, broken)
            with sync_tenant_session(org_id) as session:
                schedule_firing.set_aside(session, schedule_id=broken.schedule_id, now=now)
            continue
        total += fired + sent
        if fired < BATCH and sent < BATCH:
            return total


def platform_started_at() -> datetime | None:
    """This process's platform start (see the module's docstring); None until it has reported."""
    global _started_at
    if _started_at is None:
        from etlfabric.orchestration.scheduler import instance_id

        margin = timedelta(seconds=2 * get_settings().scheduler_poll_seconds + 1)
        with sync_platform_session() as session:
            mine = session.get(SchedulerInstance, instance_id())
            if mine is None:
                return None
            _started_at = session.scalar(
                select(func.min(SchedulerInstance.started_at)).where(
                    SchedulerInstance.started_at <= mine.started_at,
                    SchedulerInstance.last_seen_at >= mine.started_at - margin,
                )
            )
    return _started_at


def fire_startup_schedules(org_ids: list[int]) -> int:
    started_at = platform_started_at()
    waiting = [org_id for org_id in org_ids if org_id not in _startup_done]
    if started_at is None or not waiting:
        return 0

    def step(org_id: int) -> int:
        with sync_tenant_session(org_id) as session:
            fired = schedule_firing.fire_startup(session, org_id=org_id, started_at=started_at)
        _startup_done.add(org_id)
        return fired

    return _each(waiting, step, "firing startup schedules")


def run_once(now: datetime | None = None) -> int:
    """One pass over every organisation; returns how many schedules and held runs it handled."""
    now = now or datetime.now(UTC)
    org_ids = organisations()
    done = fire_startup_schedules(org_ids)
    due = due_organisations(org_ids, now)
    return done + _each(due, lambda org_id: fire_organisation(org_id, now), "firing schedules")


def tick() -> int:
    """The leader's job, every TICK_SECONDS: wait for the next whole second when it is near."""
    wait = (ALIGN - time.time()) % 1.0
    if wait <= MAX_WAIT:
        time.sleep(wait)
    return run_once()


def forget() -> None:
    """Drop what this process remembers (tests start several 'platform starts' in one process)."""
    global _orgs, _started_at
    _orgs, _started_at = (0.0, []), None
    _startup_done.clear()


# (name, function, seconds between runs), registered in scheduler.LEADER_JOBS
JOBS: list[tuple[str, Callable[[], object], int]] = [("schedule-firing", tick, TICK_SECONDS)]
