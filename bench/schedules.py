"""Schedule firing benchmark (issue #5), beside baselines measured in the same run.

    uv run python -m bench.schedules

Fire → run start lag: 1,000 enabled schedules across 10 organisations (100 each, one trivial
script per organisation), each an interval of 200 s, staggered so that 5 fire every second: 200
fires in 40 s, all on the real path (scheduler leader process → run row → Celery → worker claims
it). Lag = run.started_at − run.fire_time. Target p95 ≤ 1 s.
Baselines: a bare Celery round trip, and a manual run's queue → start lag on the same worker
(what the engine alone adds, with no scheduler in between).
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta

from bench import harness
from tests.processes import start, stop, wait_for

ORGS = 10
PER_ORG = 100
FIRES = 200
PER_SECOND = 5
INTERVAL = (ORGS * PER_ORG) // PER_SECOND  # 200 s: every schedule fires once in the window
LOOP = asyncio.new_event_loop()  # one loop: pooled async connections belong to it


def _run(coroutine):
    return LOOP.run_until_complete(coroutine)


async def _organisations() -> list[tuple[object, int]]:
    """(owner principal, script id) per organisation."""
    from tests.factories import make_owned_org
    from tests.run_factories import make_script

    made = []
    for _ in range(ORGS):
        _, _, principal = await make_owned_org()
        script = await make_script(principal.org_id, content="pass")
        made.append((principal, script.id))
    return made


async def _schedules(orgs, first_fire: datetime) -> None:
    from etlfabric.db import tenant_session
    from etlfabric.services import schedules

    number = 0
    for principal, script_id in orgs:
        async with tenant_session(principal.org_id) as session:
            for _ in range(PER_ORG):
                await schedules.create(
                    session=session,
                    principal=principal,
                    target_type="script",
                    target_id=script_id,
                    kind="interval",
                    interval_seconds=INTERVAL,
                    start_at=first_fire + timedelta(seconds=number // PER_SECOND),
                    timezone="UTC",
                    max_attempts=1,
                )
                number += 1


async def _manual_run(principal, script_id: int):
    from etlfabric.db import tenant_session
    from etlfabric.models import TargetType, Trigger
    from etlfabric.services import run_starts

    async with tenant_session(principal.org_id) as session:
        return await run_starts.start_run(
            session=session,
            principal=principal,
            target_type=TargetType.script,
            target_id=script_id,
            target_name="bench",
            trigger=Trigger.manual,
        )


def _manual_runs(orgs, count: int) -> list[float]:
    """Queue → start lag of manual runs (warms every organisation's script environment too)."""
    from tests.run_factories import wait_status

    lags = []
    for index in range(count):
        principal, script_id = orgs[index % len(orgs)]
        run = _run(_manual_run(principal, script_id))
        done = wait_status(principal.org_id, run.id, ["succeeded", "failed"], timeout=300)
        lags.append((done.started_at - done.queued_at).total_seconds() * 1000)
    return lags


def _fired(orgs, since: datetime) -> list[tuple[datetime, datetime | None, datetime]]:
    """(fire_time, started_at, queued_at) of every scheduled run fired since `since`."""
    from sqlalchemy import select

    from etlfabric.db import sync_tenant_session
    from etlfabric.models import Run

    rows = []
    for principal, _ in orgs:
        with sync_tenant_session(principal.org_id) as session:
            rows += session.execute(
                select(Run.fire_time, Run.started_at, Run.queued_at).where(
                    Run.fire_time >= since, Run.schedule_id.is_not(None)
                )
            ).all()
    return sorted(rows, key=lambda row: (row[0], row[2]))


def fire_lag() -> dict:
    from etlfabric.tasks.system import ping

    orgs = _run(_organisations())
    worker = start("worker", "--concurrency", "2")
    scheduler = None
    try:
        from etlfabric.tasks import celery_app

        wait_for(lambda: celery_app.control.ping(timeout=0.5), 60, "the worker")
        manual = _manual_runs(orgs, 40)[ORGS:]  # the first round builds the environments
        celery = harness.time_calls(lambda: ping.delay().get(timeout=10), 100)
        first_fire = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=40)
        created = time.perf_counter()
        _run(_schedules(orgs, first_fire))
        print(f"created {ORGS * PER_ORG} schedules in {time.perf_counter() - created:.1f} s")
        scheduler = start("scheduler")
        wait_for(
            lambda: len([r for r in _fired(orgs, first_fire) if r[1]]) >= FIRES,
            FIRES / PER_SECOND + 120,
            f"{FIRES} scheduled runs to start",
            step=1.0,
        )
    finally:
        if scheduler is not None:
            stop(scheduler)
        stop(worker)
    rows = _fired(orgs, first_fire)[:FIRES]
    lags = [(started - fired).total_seconds() * 1000 for fired, started, _ in rows if started]
    inserted = [(queued - fired).total_seconds() * 1000 for fired, _, queued in rows]
    harness.report("fire → run row inserted (leader tick)", inserted)
    return harness.report(
        f"fire → run start, {FIRES} fires, {ORGS * PER_ORG} schedules / {ORGS} orgs",
        lags,
        baselines={
            "bare Celery round trip": celery,
            "manual run: queued → started": manual,
        },
        targets={"p95": 1000},
    )


def main(argv: list[str]) -> None:
    with harness.platform("etlfabric_bench_schedules"):
        fire_lag()


if __name__ == "__main__":
    main(sys.argv[1:])
