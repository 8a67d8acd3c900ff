"""Notification channels, rules and the delivery history: thin routes over
services/notification_channels.py, notification_rules.py and notifications.py. Secrets go in,
never out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from etlfabric.api.deps import Id, current_principal
from etlfabric.api.v1.notification_schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    ChannelTestOut,
    DeliveryOut,
    DeliveryPage,
    RuleIn,
    RuleOut,
    RulePatch,
)
from etlfabric.db import tenant_session
from etlfabric.models import NotificationDelivery
from etlfabric.services import notification_channels as channels
from etlfabric.services import notification_rules as rules
from etlfabric.services import notifications
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["notifications"])


def _channel(channel) -> ChannelOut:
    return ChannelOut(**channels.public_view(channel))


def _delivery(delivery: NotificationDelivery, channel_name: str) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        channel_id=delivery.channel_id,
        channel_name=channel_name,
        rule_id=delivery.rule_id,
        event=delivery.event.value,
        status=delivery.status.value,
        subject=delivery.subject,
        run_id=delivery.run_id,
        target_type=delivery.target_type.value if delivery.target_type else None,
        target_id=delivery.target_id,
        target_name=delivery.target_name,
        grouped_count=delivery.grouped_count,
        attempts=delivery.attempts,
        next_attempt_at=delivery.next_attempt_at,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        sent_at=delivery.sent_at,
    )


@router.get("/notification-channels", response_model=list[ChannelOut])
async def list_channels(principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        rows = await channels.list_channels(session=session, principal=principal)
    return [_channel(row) for row in rows]


@router.post("/notification-channels", status_code=201, response_model=ChannelOut)
async def create_channel(body: ChannelIn, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        channel = await channels.create(session=session, principal=principal, **body.model_dump())
    return _channel(channel)


@router.get("/notification-channels/{channel_id}", response_model=ChannelOut)
async def get_channel(channel_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        channel = await channels.get(session=session, principal=principal, channel_id=channel_id)
    return _channel(channel)


@router.patch("/notification-channels/{channel_id}", response_model=ChannelOut)
async def update_channel(
    channel_id: Id, body: ChannelPatch, principal: Principal = Depends(current_principal)
):
    async with tenant_session(principal.org_id) as session:
        channel = await channels.update(
            session=session,
            principal=principal,
            channel_id=channel_id,
            **body.model_dump(exclude_unset=True),
        )
    return _channel(channel)


@router.delete("/notification-channels/{channel_id}", status_code=204)
async def delete_channel(channel_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await channels.delete(session=session, principal=principal, channel_id=channel_id)
    return Response(status_code=204)


@router.post("/notification-channels/{channel_id}/test", response_model=ChannelTestOut)
async def test_channel(channel_id: Id, principal: Principal = Depends(current_principal)):
    """Send a test message now (within 15 s; no database session is held meanwhile). The
    attempt is kept in the history as a `test` delivery, sent or failed."""
    async with tenant_session(principal.org_id) as session:
        prepared = await channels.send_test(
            session=session, principal=principal, channel_id=channel_id
        )
    ok, message = await channels.deliver_test(*prepared)
    async with tenant_session(principal.org_id) as session:
        await notifications.record_test(
            session=session, principal=principal, channel_id=channel_id, ok=ok, message=message
        )
    return ChannelTestOut(ok=ok, message=message)


@router.get("/notification-rules", response_model=list[RuleOut])
async def list_rules(principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        return [
            RuleOut(**row) for row in await rules.list_rules(session=session, principal=principal)
        ]


@router.post("/notification-rules", status_code=201, response_model=RuleOut)
async def create_rule(body: RuleIn, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        rule = await rules.create(session=session, principal=principal, **body.model_dump())
    return RuleOut(**rule)


@router.patch("/notification-rules/{rule_id}", response_model=RuleOut)
async def update_rule(
    rule_id: Id, body: RulePatch, principal: Principal = Depends(current_principal)
):
    async with tenant_session(principal.org_id) as session:
        rule = await rules.update(
            session=session,
            principal=principal,
            rule_id=rule_id,
            **body.model_dump(exclude_unset=True),
        )
    return RuleOut(**rule)


@router.delete("/notification-rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: Id, principal: Principal = Depends(current_principal)):
    async with tenant_session(principal.org_id) as session:
        await rules.delete(session=session, principal=principal, rule_id=rule_id)
    return Response(status_code=204)


@router.get("/notifications", response_model=DeliveryPage)
async def list_deliveries(
    page: int = Query(1, description="From 1."),
    page_size: int = Query(50, description="1 to 200."),
    status: str | None = Query(None, description="pending, sent, failed or grouped."),
    principal: Principal = Depends(current_principal),
):
    async with tenant_session(principal.org_id) as session:
        rows, total = await notifications.list_deliveries(
            session=session, principal=principal, page=page, page_size=page_size, status=status
        )
    items = [_delivery(delivery, name) for delivery, name in rows]
    return DeliveryPage(items=items, total=total, page=page, page_size=page_size)
