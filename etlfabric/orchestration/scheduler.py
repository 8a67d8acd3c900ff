"""The scheduler process: exactly one leader, guarded by a PostgreSQL advisory lock.

The leader holds a session-level advisory lock on a connection of its own for as long as it leads;
if that process or connection dies, PostgreSQL releases the lock and a standby takes over within
one poll. Jobs (schedule firing, the reaper, retention sweeps) run only on the leader.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.pool import NullPool

from etlfabric.config import get_settings
from etlfabric.db import sync_engine, with_driver
from etlfabric.models import SchedulerInstance
from etlfabric.orchestration import firing, notifying, reaper

log = logging.getLogger("etlfabric.scheduler")
LEADER_LOCK_KEY = 0x45544C46  # "ETLF"

# Jobs a leader runs: (name, function, seconds between runs). Later features append to this.
LEADER_JOBS: list[tuple[str, Callable[[], object], int]] = [
    *reaper.JOBS,
    *firing.JOBS,
    *notifying.JOBS,
]


def instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def record_presence(*, is_leader: bool, ticked: bool = False) -> None:
    now = datetime.now(UTC)
    values = {
        "hostname": socket.gethostname(),
        "pid": os.getpid(),
        "is_leader": is_leader,
        "last_seen_at": now,
    }
    if ticked:
        values["last_tick_at"] = now
    statement = insert(SchedulerInstance).values(instance_id=instance_id(), **values)
    statement = statement.on_conflict_do_update(index_elements=["instance_id"], set_=values)
    with sync_engine().begin() as connection:
        connection.execute(statement)


def forget_presence() -> None:
    with sync_engine().begin() as connection:
        connection.execute(
            text("DELETE FROM public.scheduler_instances WHERE instance_id = :id"),
            {"id": instance_id()},
        )


def _lock_connection() -> Connection:
    """A connection outside every pool: the lock lives exactly as long as it does."""
    engine = create_engine(with_driver(get_settings().database_url, "psycopg2"), poolclass=NullPool)
    return engine.connect()


def try_lead(connection: Connection) -> bool:
    acquired = connection.execute(
        text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}
    ).scalar()
    connection.commit()
    return bool(acquired)


def still_holding(connection: Connection) -> bool:
    try:
        connection.execute(text("SELECT 1")).scalar()
        connection.commit()
        return True
    except Exception:  # the connection is gone, and with it the lock
        log.warning("lost the leader connection; stepping down")
        return False


def _start_jobs(poll: float) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1}
    )
    scheduler.add_job(
        record_presence,
        "interval",
        seconds=poll,
        id="tick",
        kwargs={"is_leader": True, "ticked": True},
        next_run_time=datetime.now(UTC),
    )
    for name, function, seconds in LEADER_JOBS:
        scheduler.add_job(function, "interval", seconds=seconds, id=name)
    scheduler.start()
    return scheduler


def lead(connection: Connection, stop: threading.Event, poll: float) -> None:
    log.info("scheduler %s is the leader", instance_id())
    jobs = _start_jobs(poll)
    try:
        while not stop.wait(poll) and still_holding(connection):
            pass
    finally:
        jobs.shutdown(wait=True)


def run(stop: threading.Event, *, poll: float | None = None) -> None:
    """Lead when the lock is free, otherwise wait as a standby; return when `stop` is set."""
    poll = poll or get_settings().scheduler_poll_seconds
    try:
        while not stop.is_set():
            connection = _lock_connection()
            try:
                if try_lead(connection):
                    lead(connection, stop, poll)
                else:
                    record_presence(is_leader=False)
                    stop.wait(poll)
            finally:
                connection.close()
    finally:
        forget_presence()
