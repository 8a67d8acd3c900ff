"""Changing a rule (enabled, grouping, digest time) and what "disabled" means: a disabled rule or
channel writes no delivery, queues no digest and sends nothing already waiting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from etlfabric.db import sync_tenant_session
from etlfabric.errors import Invalid, NotFound, PermissionDenied
from etlfabric.models import DeliveryStatus, NotificationRule
from etlfabric.services import (
    notification_channels,
    notification_digests,
    notification_rules,
    notification_sending,
)
from tests.factories import audit_rows, call, make_member, make_owned_org
from tests.notification_factories import deliver_tasks, deliveries, ended_run, rule, webhook_channel
from tests.notification_servers import webhook_receiver
from tests.run_factories import make_script

pytestmark = pytest.mark.usefixtures("clean_queues")


async def change(principal, rule_id, **fields):
    return await call(notification_rules.update, principal, rule_id=rule_id, **fields)


async def test_a_disabled_rule_writes_no_delivery_until_it_is_enabled_again(owner):
    with webhook_receiver() as hook:
        channel = await webhook_channel(owner, hook.url)
        made = await rule(owner, channel, "failure", group_minutes=0)
        script = await make_script(owner.org_id)
        changed = await change(owner, made["id"], enabled=False, group_minutes=30)
        assert (changed["enabled"], changed["group_minutes"]) == (False, 30)
        assert [r["enabled"] for r in await call(notification_rules.list_rules, owner)] == [False]
        await ended_run(owner, script, error="boom")
        assert deliveries(owner.org_id) == [] and deliver_tasks() == []
        await change(owner, made["id"], enabled=True)
        await ended_run(owner, script, error="boom")
        assert [d.status for d in deliveries(owner.org_id)] == [DeliveryStatus.pending]


async def test_update_is_audited_and_a_no_op_writes_nothing(owner):
    with webhook_receiver() as hook:
        channel = await webhook_channel(owner, hook.url)
        made = await rule(owner, channel, "failure")
        await change(owner, made["id"], enabled=False)
        await change(owner, made["id"], enabled=False, group_minutes=15)  # nothing differs
    rows = await audit_rows(owner, "notification_rule", made["id"])
    assert [r.action for r in rows] == ["notification_rule.create", "notification_rule.update"]
    assert (rows[-1].old_values, rows[-1].new_values) == ({"enabled": True}, {"enabled": False})


async def test_bad_input_names_the_field_and_changes_nothing(owner):
    with webhook_receiver() as hook:
        channel = await webhook_channel(owner, hook.url)
        made = await rule(owner, channel, "weekly_digest")
        cases = [
            ({"enabled": "no"}, "enabled"),
            ({"group_minutes": -1}, "group_minutes"),
            ({"digest_hour": 24}, "digest_hour"),
            ({"enabled": False, "digest_weekday": 7}, "digest_weekday"),
            ({"event": "success"}, "event"),
            ({"channel_id": channel.id}, "channel_id"),
        ]
        for fields, field in cases:
            with pytest.raises(Invalid) as caught:
                await change(owner, made["id"], **fields)
            assert caught.value.field == field, fields
        [kept] = await call(notification_rules.list_rules, owner)
    assert {k: v for k, v in kept.items() if k != "channel_name"} == {
        k: v for k, v in made.items() if k != "channel_name"
    }


async def test_viewers_may_not_and_other_tenants_see_nothing():
    org, _, org_owner = await make_owned_org()
    with webhook_receiver() as hook:
        channel = await webhook_channel(org_owner, hook.url)
        made = await rule(org_owner, channel, "failure")
    _, viewer = await make_member(org, "viewer")
    with pytest.raises(PermissionDenied):
        await change(viewer, made["id"], enabled=False)
    _, _, stranger = await make_owned_org()
    with pytest.raises(NotFound):
        await change(stranger, made["id"], enabled=False)
    with pytest.raises(NotFound):
        await change(org_owner, 999_999, enabled=False)
    [kept] = await call(notification_rules.list_rules, org_owner)
    assert kept["enabled"] is True


async def test_a_disabled_channel_writes_no_delivery_and_sends_none_already_waiting(owner):
    with webhook_receiver() as hook:
        channel = await webhook_channel(owner, hook.url)
        await rule(owner, channel, "failure", group_minutes=0)
        script = await make_script(owner.org_id)
        await ended_run(owner, script, error="before")  # pending, not sent yet
        [waiting] = deliveries(owner.org_id)
        await call(notification_channels.update, owner, channel_id=channel.id, enabled=False)
        await ended_run(owner, script, error="while off")
        assert notification_sending.deliver(owner.org_id, waiting.id) is None
        assert hook.requests == []
    [kept] = deliveries(owner.org_id)
    assert (kept.status, kept.last_error) == (
        DeliveryStatus.failed,
        "Not sent: the channel was deleted or disabled.",
    )


async def test_a_disabled_digest_is_not_queued_and_resumes_from_now(owner):
    with webhook_receiver() as hook:
        channel = await webhook_channel(owner, hook.url)
        made = await rule(owner, channel, "daily_digest", digest_hour=6)
    past = datetime.now(UTC) - timedelta(days=3)
    with sync_tenant_session(owner.org_id) as session:
        session.execute(
            update(NotificationRule)
            .where(NotificationRule.id == made["id"])
            .values(next_digest_at=past)
        )
    await change(owner, made["id"], enabled=False)
    with sync_tenant_session(owner.org_id) as session:
        assert notification_digests.queue_due(session, owner.org_id, "UTC") == 0
    resumed = await change(owner, made["id"], enabled=True, digest_hour=9)
    assert resumed["next_digest_at"] > datetime.now(UTC), "no catching up on the days it was off"
    assert resumed["next_digest_at"].hour == 9
    with sync_tenant_session(owner.org_id) as session:
        assert notification_digests.queue_due(session, owner.org_id, "UTC") == 0
