"""Notification rules: which event of which target (or of every target) goes to which channel.

A rule names a live channel, an event, optionally a target (script, pipeline, transformation:
services/targets.py, so new kinds need nothing here), a grouping window for failures and, for
digests, the local hour and weekday. `session` is the tenant session; one call, one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Invalid, NotFound
from etlfabric.models import (
    NotificationChannel,
    NotificationRule,
    NotifyEvent,
    Organization,
    TargetType,
)
from etlfabric.services import audit, notification_digests, targets
from etlfabric.services.permissions import Principal, require

RULE_EVENTS = tuple(event for event in NotifyEvent if event is not NotifyEvent.test)
MAX_GROUP_MINUTES = 24 * 60
# What `update` may change: (lowest, highest, what it is) for the numbers.
EDITABLE = {
    "enabled": None,
    "group_minutes": (0, MAX_GROUP_MINUTES, "Grouping"),
    "digest_hour": (0, 23, "The hour"),
    "digest_weekday": (0, 6, "The weekday"),
}


def _event(value: str) -> NotifyEvent:
    try:
        event = NotifyEvent(value)
    except ValueError:
        event = None
    if event not in RULE_EVENTS:
        choices = ", ".join(e.value for e in RULE_EVENTS)
        raise Invalid("event", f"Choose one of: {choices}.")
    return event


def _number(field: str, value, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Invalid(field, f"{what} is a whole number from {low} to {high}.")
    return value


async def _target(session: AsyncSession, target_type, target_id) -> tuple[TargetType, int, str]:
    if target_type is None or target_id is None:
        field = "target_id" if target_type is not None else "target_type"
        raise Invalid(field, "Give both target_type and target_id, or neither (every target).")
    try:
        kind = TargetType(target_type)
    except ValueError:
        raise Invalid("target_type", "Choose script, pipeline or transformation.") from None
    name = await session.scalar(targets.live(kind, target_id))
    if name is None:
        raise Invalid("target_id", f"No {kind.value} #{target_id} exists here.")
    return kind, int(target_id), name


def view(rule: NotificationRule, channel_name: str, target_name: str | None) -> dict:
    return {
        "id": rule.id,
        "channel_id": rule.channel_id,
        "channel_name": channel_name,
        "event": rule.event.value,
        "target_type": rule.target_type.value if rule.target_type else None,
        "target_id": rule.target_id,
        "target_name": target_name,
        "group_minutes": rule.group_minutes,
        "digest_hour": rule.digest_hour,
        "digest_weekday": rule.digest_weekday,
        "next_digest_at": rule.next_digest_at,
        "enabled": rule.enabled,
        "created_at": rule.created_at,
    }


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    channel_id: int,
    event: str,
    target_type: str | None = None,
    target_id: int | None = None,
    group_minutes: int = 15,
    digest_hour: int = 8,
    digest_weekday: int = 0,
) -> dict:
    require(principal, "notifications.write")
    chosen = _event(event)
    channel = await session.scalar(
        select(NotificationChannel).where(
            NotificationChannel.id == channel_id, NotificationChannel.deleted_at.is_(None)
        )
    )
    if channel is None:
        raise Invalid("channel_id", "Choose one of this organisation's channels.")
    target = None
    if target_type is not None or target_id is not None:
        target = await _target(session, target_type, target_id)
    rule = NotificationRule(
        channel_id=channel.id,
        event=chosen,
        target_type=target[0] if target else None,
        target_id=target[1] if target else None,
        group_minutes=_number("group_minutes", group_minutes, 0, MAX_GROUP_MINUTES, "Grouping"),
        digest_hour=_number("digest_hour", digest_hour, 0, 23, "The hour"),
        digest_weekday=_number("digest_weekday", digest_weekday, 0, 6, "The weekday"),
        created_by_id=principal.user_id,
    )
    await _schedule_digest(session, principal, rule)
    session.add(rule)
    await session.flush()
    result = view(rule, channel.name, target[2] if target else None)
    await audit.record(
        session=session,
        principal=principal,
        action="notification_rule.create",
        resource_type="notification_rule",
        resource_id=rule.id,
        new={k: v for k, v in result.items() if k not in ("id", "created_at", "next_digest_at")},
    )
    return result


async def _schedule_digest(session: AsyncSession, principal: Principal, rule) -> None:
    """A digest rule's next send time from now (a re-enabled rule does not catch up)."""
    if rule.event in notification_digests.DIGESTS:
        org = await session.get(Organization, principal.org_id)
        rule.next_digest_at = notification_digests.next_time(
            rule.event, rule.digest_hour, rule.digest_weekday, org.timezone, datetime.now(UTC)
        )


def _changes(rule: NotificationRule, fields: dict) -> dict:
    """{field: new value} of what differs, each checked; Invalid names the field."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise Invalid(unknown[0], f"'{unknown[0]}' cannot be changed on a rule.")
    changes = {}
    for field, value in fields.items():
        if value is None:
            continue
        if field == "enabled":
            if not isinstance(value, bool):
                raise Invalid("enabled", "enabled is true or false.")
        else:
            value = _number(field, value, *EDITABLE[field])
        if value != getattr(rule, field):
            changes[field] = value
    return changes


async def update(*, session: AsyncSession, principal: Principal, rule_id: int, **fields) -> dict:
    """Change enabled, group_minutes, digest_hour or digest_weekday (only the ones given).
    The channel, event and target are fixed: delete the rule and add another."""
    require(principal, "notifications.write")
    rule = await session.scalar(
        select(NotificationRule).where(NotificationRule.id == rule_id).with_for_update()
    )
    channel = await session.get(NotificationChannel, rule.channel_id) if rule else None
    if rule is None or channel is None or channel.deleted_at is not None:
        raise NotFound("Notification rule not found.")
    changes = _changes(rule, fields)
    old = {field: getattr(rule, field) for field in changes}
    for field, value in changes.items():
        setattr(rule, field, value)
    if changes.keys() & {"enabled", "digest_hour", "digest_weekday"} and rule.enabled:
        await _schedule_digest(session, principal, rule)
    name = None
    if rule.target_type is not None:
        live = await session.scalar(targets.live(rule.target_type, rule.target_id))
        found = targets.key(rule.target_type, rule.target_id)
        name = targets.label(rule.target_type, rule.target_id, {found: live} if live else {})
    if changes:
        await session.flush()
        await audit.record(
            session=session,
            principal=principal,
            action="notification_rule.update",
            resource_type="notification_rule",
            resource_id=rule.id,
            old=old,
            new=changes,
        )
    return view(rule, channel.name, name)


async def list_rules(*, session: AsyncSession, principal: Principal) -> list[dict]:
    require(principal, "notifications.read")
    rows = await session.execute(
        select(NotificationRule, NotificationChannel.name)
        .join(NotificationChannel, NotificationChannel.id == NotificationRule.channel_id)
        .where(NotificationChannel.deleted_at.is_(None))
        .order_by(func.lower(NotificationChannel.name), NotificationRule.id)
    )
    found, names = rows.all(), {}
    if any(rule.target_type for rule, _ in found):
        live = await session.execute(targets.all_live())
        names = {targets.key(kind, id_): name for kind, id_, name in live}
    return [
        view(
            rule,
            channel,
            targets.label(rule.target_type, rule.target_id, names) if rule.target_type else None,
        )
        for rule, channel in found
    ]


async def delete(*, session: AsyncSession, principal: Principal, rule_id: int) -> None:
    require(principal, "notifications.write")
    rule = await session.scalar(
        select(NotificationRule).where(NotificationRule.id == rule_id).with_for_update()
    )
    if rule is None:
        raise NotFound("Notification rule not found.")
    target_type = rule.target_type.value if rule.target_type else None
    old = {"channel_id": rule.channel_id, "event": rule.event.value}
    old |= {"target_type": target_type, "target_id": rule.target_id}
    await session.delete(rule)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="notification_rule.delete",
        resource_type="notification_rule",
        resource_id=rule_id,
        old=old,
    )
