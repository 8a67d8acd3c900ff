"""`etlfabric run <kind> <name> --org <slug> [--wait]`: a manual run from the command line.

Whoever can run this command can reach the database, so it acts as the organisation's admin; the
audit log names it "command line".
"""

from __future__ import annotations

from sqlalchemy import select

from etlfabric.db import dispose_engines, platform_session, tenant_session
from etlfabric.errors import NotFound
from etlfabric.models import Organization, Role, RunStatus, Trigger
from etlfabric.redis_client import close_redis
from etlfabric.services import run_starts, run_waits, targets
from etlfabric.services.permissions import Principal
from etlfabric.services.runs import TERMINAL


async def _org_id(slug: str) -> int:
    async with platform_session() as session:
        org_id = await session.scalar(
            select(Organization.id).where(
                Organization.slug == slug, Organization.deleted_at.is_(None)
            )
        )
    if org_id is None:
        raise NotFound(f"No organisation has the slug '{slug}'.")
    return org_id


async def run(
    *, kind: str, name: str, org_slug: str, wait: bool = False, payload: dict | None = None
) -> int:
    """Start the run and print its id; with `wait`, print its final status too. The exit code:
    0 when started (or, waiting, when it succeeded), 1 when it did not succeed."""
    principal = Principal(org_id=await _org_id(org_slug), role=Role.admin, label="command line")
    async with tenant_session(principal.org_id) as session:
        target_id = await targets.find_by_name(
            session=session, principal=principal, target_type=kind, name=name
        )
        started = await run_starts.start_target(
            session=session,
            principal=principal,
            target_type=kind,
            target_id=target_id,
            trigger=Trigger.manual,
            payload=payload,
        )
    print(f"run {started.id} {started.status.value}", flush=True)
    if not wait:
        return 0 if started.status is not RunStatus.failed else 1
    final = started
    while final.status not in TERMINAL:
        final = await run_waits.wait_for_end(
            org_id=principal.org_id, run_id=started.id, timeout=run_waits.MAX_WAIT_SECONDS
        )
    detail = f" (exit code {final.exit_code})" if final.exit_code is not None else ""
    print(f"run {final.id} {final.status.value}{detail}", flush=True)
    if final.error and final.status is not RunStatus.succeeded:
        print(final.error)
    return 0 if final.status is RunStatus.succeeded else 1


async def main(**options) -> int:
    """`run`, then close the connections before the event loop goes."""
    try:
        return await run(**options)
    finally:
        await close_redis()
        await dispose_engines()
