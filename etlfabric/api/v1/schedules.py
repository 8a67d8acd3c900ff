"""Schedules and the alerts they raise: thin routes over services/schedules.py and
schedule_queries.py, the same functions the schedules page calls."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from etlfabric.api.deps import Id, OptionalTargetId, current_principal
from etlfabric.api.v1.schedule_schemas import (
    AlertOut,
    BulkIn,
    PreviewIn,
    PreviewOut,
    ScheduleIn,
    ScheduleOut,
    SchedulePatch,
)
from etlfabric.db import tenant_session
from etlfabric.models import Alert, ScheduleKind, TargetType
from etlfabric.services import schedule_queries, schedules
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["schedules"])


def _out(item: schedules.ScheduleItem) -> ScheduleOut:
    return ScheduleOut(**schedules.public_view(item))


def _alert_out(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.id,
        kind=alert.kind.value,
        schedule_id=alert.schedule_id,
        target_type=alert.target_type.value if alert.target_type else None,
        target_id=alert.target_id,
        message=alert.message,
        created_at=alert.created_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by_id=alert.acknowledged_by_id,
    )


@router.get("/schedules", response_model=list[ScheduleOut])
async def list_schedules(
    principal: Principal = Depends(current_principal),
    sort: str = "next_run",
    descending: bool = False,
    target_type: TargetType | None = None,
    target_id: OptionalTargetId = None,
    enabled: bool | None = None,
    kind: ScheduleKind | None = None,
    search: str = "",
) -> list[ScheduleOut]:
    async with tenant_session(principal.org_id) as session:
        items = await schedule_queries.list_schedules(
            session=session,
            principal=principal,
            sort=sort,
            descending=descending,
            target_type=target_type,
            target_id=target_id,
            enabled=enabled,
            kind=kind,
            search=search,
        )
    return [_out(item) for item in items]


@router.post("/schedules", status_code=201, response_model=ScheduleOut)
async def create_schedule(
    body: ScheduleIn, principal: Principal = Depends(current_principal)
) -> ScheduleOut:
    async with tenant_session(principal.org_id) as session:
        item = await schedules.create(session=session, principal=principal, **body.model_dump())
    return _out(item)


@router.post("/schedules/preview", response_model=PreviewOut)
async def preview_schedule(
    body: PreviewIn, principal: Principal = Depends(current_principal)
) -> PreviewOut:
    """The next `count` fire times, computed by the code that fires."""
    fields = body.model_dump(exclude_none=True, exclude={"count"})
    async with tenant_session(principal.org_id) as session:
        times = await schedules.preview(
            session=session, principal=principal, count=body.count, **fields
        )
    return PreviewOut(fire_times=[moment.isoformat() for moment in times])


@router.post("/schedules/enable", response_model=list[ScheduleOut])
async def enable_schedules(
    body: BulkIn, principal: Principal = Depends(current_principal)
) -> list[ScheduleOut]:
    return await _bulk(principal, body.ids, True)


@router.post("/schedules/disable", response_model=list[ScheduleOut])
async def disable_schedules(
    body: BulkIn, principal: Principal = Depends(current_principal)
) -> list[ScheduleOut]:
    return await _bulk(principal, body.ids, False)


async def _bulk(principal: Principal, ids: list[int], enabled: bool) -> list[ScheduleOut]:
    async with tenant_session(principal.org_id) as session:
        items = await schedules.bulk_set_enabled(
            session=session, principal=principal, schedule_ids=ids, enabled=enabled
        )
    return [_out(item) for item in items]


@router.get("/schedules/{schedule_id}", response_model=ScheduleOut)
async def get_schedule(
    schedule_id: Id, principal: Principal = Depends(current_principal)
) -> ScheduleOut:
    async with tenant_session(principal.org_id) as session:
        item = await schedules.get(session=session, principal=principal, schedule_id=schedule_id)
    return _out(item)


@router.patch("/schedules/{schedule_id}", response_model=ScheduleOut)
async def update_schedule(
    schedule_id: Id, body: SchedulePatch, principal: Principal = Depends(current_principal)
) -> ScheduleOut:
    fields = body.model_dump(exclude_unset=True)
    async with tenant_session(principal.org_id) as session:
        item = await schedules.update(
            session=session, principal=principal, schedule_id=schedule_id, **fields
        )
    return _out(item)


@router.delete("/schedules/{schedule_id}", status_code=204)
async def delete_schedule(schedule_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await schedules.delete(session=session, principal=principal, schedule_id=schedule_id)
    return Response(status_code=204)


@router.post("/schedules/{schedule_id}/enable", response_model=ScheduleOut)
async def enable_schedule(
    schedule_id: Id, principal: Principal = Depends(current_principal)
) -> ScheduleOut:
    return await _set_enabled(principal, schedule_id, True)


@router.post("/schedules/{schedule_id}/disable", response_model=ScheduleOut)
async def disable_schedule(
    schedule_id: Id, principal: Principal = Depends(current_principal)
) -> ScheduleOut:
    return await _set_enabled(principal, schedule_id, False)


async def _set_enabled(principal: Principal, schedule_id: Id, enabled: bool) -> ScheduleOut:
    async with tenant_session(principal.org_id) as session:
        item = await schedules.set_enabled(
            session=session, principal=principal, schedule_id=schedule_id, enabled=enabled
        )
    return _out(item)


# --- alerts -------------------------------------------------------------------------------------


@router.get("/alerts", response_model=list[AlertOut])
async def list_alerts(
    include_acknowledged: bool = False, principal: Principal = Depends(current_principal)
) -> list[AlertOut]:
    async with tenant_session(principal.org_id) as session:
        rows = await schedules.list_alerts(
            session=session, principal=principal, include_acknowledged=include_acknowledged
        )
    return [_alert_out(row) for row in rows]


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertOut)
async def acknowledge_alert(
    alert_id: Id, principal: Principal = Depends(current_principal)
) -> AlertOut:
    async with tenant_session(principal.org_id) as session:
        alert = await schedules.acknowledge_alert(
            session=session, principal=principal, alert_id=alert_id
        )
    return _alert_out(alert)
