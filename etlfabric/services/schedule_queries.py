"""The schedules table: every live schedule with its target's name and its last run, sortable
and filterable (the same rows for the REST list and the schedules page)."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Invalid
from etlfabric.models import Run, Schedule, ScheduleKind, TargetType
from etlfabric.services import targets
from etlfabric.services.permissions import Principal, require
from etlfabric.services.schedules import ScheduleItem

SORTS = ("next_run", "created", "name")


def _choice(enum_type, value, field: str):
    """`value` as a member of `enum_type`, or Invalid naming the field and the choices."""
    try:
        return enum_type(value)
    except ValueError:
        choices = ", ".join(member.value for member in enum_type)
        raise Invalid(field, f"Choose one of: {choices}.") from None


async def list_schedules(
    *,
    session: AsyncSession,
    principal: Principal,
    sort: str = "next_run",
    descending: bool = False,
    target_type: TargetType | str | None = None,
    target_id: int | None = None,
    enabled: bool | None = None,
    kind: ScheduleKind | str | None = None,
    search: str = "",
) -> list[ScheduleItem]:
    """`sort`: next_run (schedules without a next run last), created, or name (the target's).
    `search` matches the target's name, case-insensitive."""
    require(principal, "resources.read")
    if sort not in SORTS:
        raise Invalid("sort", f"Sort by one of: {', '.join(SORTS)}.")
    live = targets.all_live().subquery()
    name = live.c.name
    last_id = (
        select(func.max(Run.id)).where(Run.schedule_id == Schedule.id).scalar_subquery()
    ).label("last_id")
    query = (
        select(Schedule, name, last_id)
        .outerjoin(live, and_(live.c.type == Schedule.target_type, live.c.id == Schedule.target_id))
        .where(Schedule.deleted_at.is_(None))
    )
    if target_type is not None:
        query = query.where(Schedule.target_type == _choice(TargetType, target_type, "target_type"))
    if target_id is not None:
        query = query.where(Schedule.target_id == target_id)
    if enabled is not None:
        query = query.where(Schedule.enabled.is_(enabled))
    if kind is not None:
        query = query.where(Schedule.kind == _choice(ScheduleKind, kind, "kind"))
    if term := (search or "").strip():
        query = query.where(name.icontains(term, autoescape=True))
    column = {
        "next_run": Schedule.next_fire_at,
        "created": Schedule.created_at,
        "name": func.lower(name),
    }[sort]
    order = column.desc() if descending else column.asc()
    query = query.order_by(order.nulls_last(), Schedule.id)
    rows = (await session.execute(query)).all()
    run_ids = [row.last_id for row in rows if row.last_id is not None]
    statuses = {}
    if run_ids:
        found = await session.execute(select(Run.id, Run.status).where(Run.id.in_(run_ids)))
        statuses = {run_id: status.value for run_id, status in found}
    return [
        ScheduleItem(
            schedule=row.Schedule,
            target_name=row.name
            or f"{row.Schedule.target_type.value} #{row.Schedule.target_id} (deleted)",
            last_run_id=row.last_id,
            last_run_status=statuses.get(row.last_id),
        )
        for row in rows
    ]
