"""The latest dbt runs of the organisation's models, for the transformations list: per model its
last `run` (or `build`) and its last `test`, read from the Runs (the one source of truth)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.models import Run, TargetType
from etlfabric.services.permissions import Principal, require

RUN_COMMANDS = ("run", "build")


async def latest_runs(*, session: AsyncSession, principal: Principal) -> dict[int, dict[str, Run]]:
    """transformation id -> {"run": its latest run or build, "test": its latest test}."""
    require(principal, "resources.read")
    command = Run.payload["command"].astext
    kind = select(
        Run.id,
        Run.target_id,
        command.label("command"),
    ).where(Run.target_type == TargetType.transformation, Run.target_id > 0)
    latest = (
        kind.ext(distinct_on(Run.target_id, command))
        .order_by(Run.target_id, command, Run.id.desc())
        .subquery()
    )
    rows = await session.execute(select(latest.c.command, Run).join(Run, Run.id == latest.c.id))
    found: dict[int, dict[str, Run]] = {}
    for name, run in rows:
        slot = "test" if name == "test" else "run" if name in RUN_COMMANDS or not name else None
        if slot is None:
            continue
        known = found.setdefault(run.target_id, {}).get(slot)
        if known is None or known.id < run.id:  # "run" and "build" share a slot
            found[run.target_id][slot] = run
    return found
