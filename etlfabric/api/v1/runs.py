"""Runs: history (filter, sort, page, export), detail, log lines (paged or live), cancel, rerun."""

from __future__ import annotations

import json
from datetime import datetime

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import StreamingResponse

from etlfabric.api.deps import MAX_ID, Id, OptionalId, OptionalTargetId, current_principal
from etlfabric.api.v1.run_schemas import LogLineOut, LogsOut, RunOut, RunPage
from etlfabric.api.v1.schemas import EXPORT_RESPONSES
from etlfabric.db import tenant_session
from etlfabric.models import RunStatus, TargetType, Trigger
from etlfabric.services import run_logs, run_queries, run_starts, runs
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["runs"])


def run_filter(
    status: list[RunStatus] | None = Query(None, description="any of these (repeat the parameter)"),
    target_type: TargetType | None = None,
    target_id: OptionalTargetId = None,
    trigger: Trigger | None = None,
    since: datetime | None = Query(None, description="queued at or after"),
    until: datetime | None = Query(None, description="queued before"),
    search: str = Query("", max_length=200, description="words in the run's output"),
    flow_id: OptionalId = None,
) -> run_queries.RunFilter:
    return run_queries.RunFilter(
        status=tuple(status or ()),
        target_type=target_type,
        target_id=target_id,
        trigger=trigger,
        since=since,
        until=until,
        search=search,
        flow_id=flow_id,
    )


@router.get("/runs", response_model=RunPage)
async def list_runs(
    principal: Principal = Depends(current_principal),
    filters: run_queries.RunFilter = Depends(run_filter),
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=run_queries.MAX_PAGE_SIZE),
    sort: str = Query(run_queries.DEFAULT_SORT, description="a column; '-' for descending"),
) -> RunPage:
    async with tenant_session(principal.org_id) as session:
        result = await run_queries.list_runs(
            session=session,
            principal=principal,
            filters=filters,
            page=page,
            page_size=page_size,
            sort=sort,
        )
        items = [RunOut.of(run) for run in result.items]
    return RunPage(items=items, total=result.total, page=result.page, page_size=result.page_size)


# Declared before /runs/{run_id}, which would otherwise take "export" for an id.
@router.get("/runs/export", response_class=Response, responses=EXPORT_RESPONSES)
async def export_runs(
    principal: Principal = Depends(current_principal),
    filters: run_queries.RunFilter = Depends(run_filter),
    format: str = Query("csv", pattern="^(csv|xlsx)$"),
    sort: str = Query(run_queries.DEFAULT_SORT),
) -> Response:
    async with tenant_session(principal.org_id) as session:
        content, media_type, filename = await run_queries.export_runs(
            session=session, principal=principal, filters=filters, format=format, sort=sort
        )
    disposition = f'attachment; filename="{filename}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


@router.get("/runs/{run_id}", response_model=RunOut)
async def get_run(run_id: Id, principal: Principal = Depends(current_principal)) -> RunOut:
    async with tenant_session(principal.org_id) as session:
        return RunOut.of(await runs.get_run(session=session, principal=principal, run_id=run_id))


@router.get("/runs/{run_id}/logs", response_model=LogsOut)
async def run_log(
    run_id: Id,
    principal: Principal = Depends(current_principal),
    after_seq: int = Query(0, ge=0),
    limit: int = Query(run_logs.PAGE_LINES, ge=1, le=run_logs.MAX_PAGE_LINES),
) -> LogsOut:
    async with tenant_session(principal.org_id) as session:
        lines, done = await run_logs.read_lines(
            session=session, principal=principal, run_id=run_id, after_seq=after_seq, limit=limit
        )
    return LogsOut(lines=[LogLineOut(**line.__dict__) for line in lines], done=done)


@router.get("/runs/{run_id}/logs/stream", response_class=StreamingResponse)
async def follow_run_log(
    run_id: Id,
    principal: Principal = Depends(current_principal),
    after_seq: int = Query(0, ge=0),
    last_event_id: int | None = Header(None, ge=0, le=MAX_ID),
) -> StreamingResponse:
    """Server-sent events: `line` events (id = seq) live, then one `end` event with the status.
    A reconnecting EventSource sends Last-Event-ID and resumes after it."""
    start = max(after_seq, last_event_id or 0)
    async with tenant_session(principal.org_id) as session:
        await runs.get_run(session=session, principal=principal, run_id=run_id)  # 404 first

    async def events():
        async for lines in run_logs.follow(principal=principal, run_id=run_id, after_seq=start):
            for line in lines:
                yield f"id: {line.seq}\nevent: line\ndata: {json.dumps(line.as_dict())}\n\n"
        async with tenant_session(principal.org_id) as session:
            run = await runs.get_run(session=session, principal=principal, run_id=run_id)
        yield f"event: end\ndata: {json.dumps({'status': run.status.value})}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@router.post("/runs/{run_id}/cancel", response_model=RunOut)
async def cancel_run(run_id: Id, principal: Principal = Depends(current_principal)) -> RunOut:
    async with tenant_session(principal.org_id) as session:
        run = await runs.request_cancel(session=session, principal=principal, run_id=run_id)
    return RunOut.of(run)


@router.post("/runs/{run_id}/rerun", status_code=202, response_model=RunOut)
async def rerun(run_id: Id, principal: Principal = Depends(current_principal)) -> RunOut:
    async with tenant_session(principal.org_id) as session:
        run = await run_starts.rerun(session=session, principal=principal, run_id=run_id)
    return RunOut.of(run)
