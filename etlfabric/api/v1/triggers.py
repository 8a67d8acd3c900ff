"""URL triggers: firing a token (no other auth), triggering a script by name, and managing the
tokens of a target.

A trigger answers 202 with the run's id and status URL; with `?wait=N` it answers once the run has
ended (200, with the final status) or after N seconds (202, with the status then).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from etlfabric.api.deps import MAX_ID, Id, client_ip, current_principal
from etlfabric.api.v1.trigger_schemas import (
    TriggeredRunOut,
    TriggerTokenCreated,
    TriggerTokenIn,
    TriggerTokenOut,
)
from etlfabric.db import tenant_session
from etlfabric.errors import Invalid
from etlfabric.models import Run, Trigger
from etlfabric.services import run_waits, scripts, targets, trigger_tokens, url_triggers
from etlfabric.services.permissions import Principal
from etlfabric.services.runs import TERMINAL

router = APIRouter(tags=["url triggers"])

MAX_PAYLOAD_BYTES = 64 * 1024
PAYLOAD_BODY = {
    "requestBody": {
        "required": False,
        "description": "Optional: a JSON object, handed to the run as its payload "
        "(scripts read it from ETLFABRIC_PAYLOAD).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
WAIT = Query(
    0,
    ge=0,
    le=run_waits.MAX_WAIT_SECONDS,
    description="Seconds to wait for the run to end (at most 60); 0 answers at once.",
)
TRIGGER_RESPONSES = {200: {"model": TriggeredRunOut, "description": "The run ended in time"}}


async def read_payload(request: Request) -> dict | None:
    body = await request.body()
    if not body.strip():
        return None
    if len(body) > MAX_PAYLOAD_BYTES:
        raise Invalid("payload", f"The payload is larger than {MAX_PAYLOAD_BYTES // 1024} KB.")
    try:
        payload = json.loads(body)
    except ValueError:
        raise Invalid("payload", "The body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise Invalid("payload", "The payload must be a JSON object ({...}).")
    return payload


async def answer(org_id: int, run: Run, wait: int) -> JSONResponse:
    if wait:
        run = await run_waits.wait_for_end(org_id=org_id, run_id=run.id, timeout=wait)
    body = TriggeredRunOut(
        run_id=run.id,
        status=run.status.value,
        status_url=url_triggers.status_url(run.id),
        exit_code=run.exit_code,
        error=run.error,
        finished_at=run.finished_at,
    )
    ended = bool(wait) and run.status in TERMINAL
    return JSONResponse(body.model_dump(mode="json"), status_code=200 if ended else 202)


@router.post(
    "/hooks/{token}",
    status_code=202,
    response_model=TriggeredRunOut,
    responses=TRIGGER_RESPONSES,
    openapi_extra=PAYLOAD_BODY,
)
async def fire_hook(
    request: Request,
    token: str = Path(description="The trigger token (etf_trg_...)"),
    wait: int = WAIT,
) -> JSONResponse:
    """Start a run of the token's target. No other authentication: the token is the secret."""
    payload = await read_payload(request)
    fired = await url_triggers.fire(secret=token, ip=client_ip(request), payload=payload)
    return await answer(fired.org_id, fired.run, wait)


@router.post(
    "/scripts/by-name/{safe_name}/trigger",
    status_code=202,
    response_model=TriggeredRunOut,
    responses=TRIGGER_RESPONSES,
    openapi_extra=PAYLOAD_BODY,
)
async def trigger_script_by_name(
    request: Request,
    safe_name: str,
    folder_id: int | None = Query(None, ge=1, le=MAX_ID, description="Default: the top level."),
    wait: int = WAIT,
    principal: Principal = Depends(current_principal),
) -> JSONResponse:
    """Run a script found by its safe name (API key with the `run` scope, or a user who may run)."""
    payload = await read_payload(request)
    trigger = Trigger.api if principal.is_api_key else Trigger.manual
    async with tenant_session(principal.org_id) as session:
        script = await scripts.get_by_name(
            session=session, principal=principal, safe_name=safe_name, folder_id=folder_id
        )
        run = await scripts.run(
            session=session,
            principal=principal,
            script_id=script.id,
            trigger=trigger,
            payload=payload,
        )
    return await answer(principal.org_id, run, wait)


@router.get("/triggers", response_model=list[TriggerTokenOut])
async def list_tokens(
    target: str = Query(description="<kind>:<id>, e.g. script:12"),
    principal: Principal = Depends(current_principal),
) -> list[TriggerTokenOut]:
    key = targets.parse(target)
    async with tenant_session(principal.org_id) as session:
        rows = await trigger_tokens.list_tokens(session=session, principal=principal, target=key)
    return [TriggerTokenOut(**trigger_tokens.public_view(row)) for row in rows]


@router.post("/triggers", status_code=201, response_model=TriggerTokenCreated)
async def create_token(
    body: TriggerTokenIn, principal: Principal = Depends(current_principal)
) -> TriggerTokenCreated:
    key = targets.parse(body.target)
    async with tenant_session(principal.org_id) as session:
        token, secret = await trigger_tokens.create(
            session=session,
            principal=principal,
            target=key,
            name=body.name,
            allowed_ips=body.allowed_ips,
            rate_per_minute=body.rate_per_minute,
        )
    return TriggerTokenCreated(
        **trigger_tokens.public_view(token),
        secret=secret,
        url=url_triggers.hook_url(secret),
        curl=url_triggers.curl_example(secret),
    )


@router.delete("/triggers/{token_id}", status_code=204)
async def revoke_token(token_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await trigger_tokens.revoke(session=session, principal=principal, token_id=token_id)
    return Response(status_code=204)
