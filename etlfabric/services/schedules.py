"""Schedules: create, change, enable and disable, preview; the alerts they raise (DESIGN.md §6).

The Schedule row is the truth; the scheduler's leader reads `next_fire_at` on every tick, so a
change here takes effect within a second, without a restart. `next_fire_at` is computed on every
create, on every change of timing, and on enabling, by the same code that fires
(schedule_times.py). A schedule points at any target kind (script, pipeline, transformation)
that exists in the organisation. Checks: schedule_checks.py; words: schedule_forms.py; list:
schedule_queries.py. `session` is the organisation's tenant session; one call is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Invalid, NotFound
from etlfabric.models import Alert, Organization, Run, Schedule, ScheduleKind, TargetType
from etlfabric.services import audit, targets
from etlfabric.services import schedule_checks as checks
from etlfabric.services.permissions import Principal, require
from etlfabric.services.schedule_forms import describe
from etlfabric.services.schedule_times import Timing, next_fire_time, next_fire_times

MAX_PREVIEW = 50


@dataclass(frozen=True)
class ScheduleItem:
    schedule: Schedule
    target_name: str
    last_run_id: int | None = None
    last_run_status: str | None = None


def public_view(item: ScheduleItem) -> dict:
    """Every field a client sees (REST and UI), with the schedule in words."""
    schedule = item.schedule
    values = {name: getattr(schedule, name) for name in checks.EDITABLE}
    for name, value in values.items():
        values[name] = value.value if hasattr(value, "value") else value
    return {
        "id": schedule.id,
        **values,
        "target_name": item.target_name,
        "description": describe(Timing.of(schedule)),
        "next_run_at": schedule.next_fire_at,
        "last_run_at": schedule.last_fire_at,
        "last_run_id": item.last_run_id,
        "last_run_status": item.last_run_status,
        "consecutive_failures": schedule.consecutive_failures,
        "disabled_reason": schedule.disabled_reason,
        "created_at": schedule.created_at,
        "updated_at": schedule.updated_at,
    }


def plan(schedule: Schedule, now: datetime) -> datetime | None:
    """The next fire time after `now`, or None (disabled, startup, or no time left)."""
    if not schedule.enabled or schedule.kind is ScheduleKind.startup:
        return None
    return next_fire_time(Timing.of(schedule), after=now)


async def load(session: AsyncSession, schedule_id: int, *, for_update: bool = False) -> Schedule:
    query = select(Schedule).where(Schedule.id == schedule_id, Schedule.deleted_at.is_(None))
    schedule = await session.scalar(query.with_for_update() if for_update else query)
    if schedule is None:
        raise NotFound("Schedule not found.")
    return schedule


async def _item(session: AsyncSession, schedule: Schedule) -> ScheduleItem:
    name = await session.scalar(targets.live(schedule.target_type, schedule.target_id))
    last = (
        await session.execute(
            select(Run.id, Run.status)
            .where(Run.schedule_id == schedule.id)
            .order_by(Run.id.desc())
            .limit(1)
        )
    ).first()
    return ScheduleItem(
        schedule=schedule,
        target_name=name or f"{schedule.target_type.value} #{schedule.target_id} (deleted)",
        last_run_id=last.id if last else None,
        last_run_status=last.status.value if last else None,
    )


async def _org_timezone(session: AsyncSession, org_id: int) -> str:
    zone = await session.scalar(select(Organization.timezone).where(Organization.id == org_id))
    return zone or "UTC"


async def _require_target(session: AsyncSession, target_type: TargetType, target_id) -> None:
    if isinstance(target_id, bool) or not isinstance(target_id, int):
        raise Invalid("target_id", "target_id must be a whole number (a script's id, say).")
    if await session.scalar(targets.live(target_type, target_id)) is None:
        raise Invalid("target_id", f"There is no {target_type.value} #{target_id} here.")


def _audit(values: dict) -> dict:
    return {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}


async def get(*, session: AsyncSession, principal: Principal, schedule_id: int) -> ScheduleItem:
    require(principal, "resources.read")
    return await _item(session, await load(session, schedule_id))


async def create(*, session: AsyncSession, principal: Principal, **fields) -> ScheduleItem:
    """A new schedule; `target_type`, `target_id` and the kind's timing fields are required.
    The time zone defaults to the organisation's."""
    require(principal, "resources.write")
    checks.unknown_field(fields)
    for name in ("target_type", "target_id"):
        if fields.get(name) is None:
            raise Invalid(name, f"{name} is required.")
    if fields.get("timezone") is None:
        fields["timezone"] = await _org_timezone(session, principal.org_id)
    now = datetime.now(UTC)
    values = checks.clean(fields, now=now)
    await _require_target(session, values["target_type"], values["target_id"])
    schedule = Schedule(**values, created_by_id=principal.user_id, created_at=now, updated_at=now)
    schedule.next_fire_at = plan(schedule, now)
    session.add(schedule)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="schedule.create",
        resource_type="schedule",
        resource_id=schedule.id,
        new=_audit(values),
    )
    return await _item(session, schedule)


async def update(
    *, session: AsyncSession, principal: Principal, schedule_id: int, **fields
) -> ScheduleItem:
    """Change the given fields (PATCH). A change of timing recomputes the next fire time from
    now; other changes leave it alone, so a fire that is due right now still happens."""
    require(principal, "resources.write")
    checks.unknown_field(fields)
    keep = checks.NULLABLE | {"timezone"}  # null elsewhere means "unchanged"
    fields = {k: v for k, v in fields.items() if v is not None or k in keep}
    schedule = await load(session, schedule_id, for_update=True)
    current = {name: getattr(schedule, name) for name in checks.EDITABLE}
    if fields.get("cron") is not None and "form" not in fields:
        fields["form"] = None  # a hand-written expression replaces the simple form
    if fields.get("kind") not in (None, ScheduleKind.cron, "cron") and "form" not in fields:
        fields["form"] = None
    if "timezone" in fields and fields["timezone"] is None:
        fields["timezone"] = await _org_timezone(session, principal.org_id)
    now = datetime.now(UTC)
    values = checks.clean({**current, **fields}, now=now, changed=set(fields))
    if (values["target_type"], values["target_id"]) != (schedule.target_type, schedule.target_id):
        await _require_target(session, values["target_type"], values["target_id"])
    old, new = {}, {}
    for name, value in values.items():
        if getattr(schedule, name) != value:
            old[name], new[name] = getattr(schedule, name), value
            setattr(schedule, name, value)
    if not new:
        return await _item(session, schedule)
    if set(new) & {*checks.TIMING, "enabled"}:
        schedule.next_fire_at = plan(schedule, now)
    if new.get("enabled") is True:
        schedule.disabled_reason, schedule.consecutive_failures = None, 0
    schedule.updated_at = now
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="schedule.update",
        resource_type="schedule",
        resource_id=schedule.id,
        old=_audit(old),
        new=_audit(new),
    )
    return await _item(session, schedule)


async def delete(*, session: AsyncSession, principal: Principal, schedule_id: int) -> None:
    """Soft delete: it never fires again; its runs stay."""
    require(principal, "resources.write")
    schedule = await load(session, schedule_id, for_update=True)
    schedule.deleted_at = schedule.updated_at = datetime.now(UTC)
    schedule.enabled, schedule.next_fire_at = False, None
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="schedule.delete",
        resource_type="schedule",
        resource_id=schedule.id,
        old={"target": f"{schedule.target_type.value}:{schedule.target_id}"},
    )


async def set_enabled(
    *, session: AsyncSession, principal: Principal, schedule_id: int, enabled: bool
) -> ScheduleItem:
    """Enabling clears an auto-disable (reason and failure count) and plans from now on:
    fire times missed while disabled are not caught up."""
    return await update(
        session=session, principal=principal, schedule_id=schedule_id, enabled=bool(enabled)
    )


async def bulk_set_enabled(
    *, session: AsyncSession, principal: Principal, schedule_ids: list[int], enabled: bool
) -> list[ScheduleItem]:
    """All or nothing: one missing id (or another organisation's) is a NotFound for all."""
    require(principal, "resources.write")
    items = []
    for schedule_id in dict.fromkeys(schedule_ids):
        items.append(
            await set_enabled(
                session=session, principal=principal, schedule_id=schedule_id, enabled=enabled
            )
        )
    return items


async def preview(
    *,
    session: AsyncSession,
    principal: Principal,
    count: int = 5,
    after: datetime | None = None,
    **fields,
) -> list[datetime]:
    """The next `count` (1..50) fire times of a schedule that need not exist yet, in its time
    zone; from the same code the leader fires with."""
    require(principal, "resources.read")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PREVIEW:
        raise Invalid("count", f"count must be between 1 and {MAX_PREVIEW}.")
    allowed = set(checks.TIMING)
    for name in fields:
        if name not in allowed:
            raise Invalid(name, f"'{name}' is not used by the preview.")
    if fields.get("timezone") is None:
        fields["timezone"] = await _org_timezone(session, principal.org_id)
    now = after or datetime.now(UTC)
    values = checks.clean(fields, now=now)
    timing = Timing(**{name: values[name] for name in allowed if name != "form"}, anchor=now)
    zone = ZoneInfo(timing.timezone)
    return [moment.astimezone(zone) for moment in next_fire_times(timing, after=now, count=count)]


# --- alerts ---------------------------------------------------------------------------------------


async def list_alerts(
    *, session: AsyncSession, principal: Principal, include_acknowledged: bool = False
) -> list[Alert]:
    """Newest first; by default only those nobody acknowledged yet (the dashboard's)."""
    require(principal, "resources.read")
    query = select(Alert)
    if not include_acknowledged:
        query = query.where(Alert.acknowledged_at.is_(None))
    return list(await session.scalars(query.order_by(Alert.id.desc()).limit(200)))


async def acknowledge_alert(*, session: AsyncSession, principal: Principal, alert_id: int) -> Alert:
    """Idempotent: acknowledging twice keeps the first time and person."""
    require(principal, "resources.write")
    alert = await session.scalar(select(Alert).where(Alert.id == alert_id))
    if alert is None:
        raise NotFound("Alert not found.")
    if alert.acknowledged_at is None:
        alert = await session.scalar(
            sql_update(Alert)
            .where(Alert.id == alert_id)
            .values(acknowledged_at=datetime.now(UTC), acknowledged_by_id=principal.user_id)
            .returning(Alert)
            .execution_options(populate_existing=True)
        )
        await audit.record(
            session=session,
            principal=principal,
            action="alert.acknowledge",
            resource_type="alert",
            resource_id=alert_id,
        )
    return alert
