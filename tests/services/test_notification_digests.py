"""Digests at a local hour (DST-correct), their content, and the auto-disable notification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import DeliveryStatus, NotificationRule, NotifyEvent, Run
from etlfabric.services import notification_digests, notification_sending, schedules
from tests.notification_factories import deliveries, email_channel, end_run, ended_run, rule
from tests.notification_servers import body_of, smtp_server
from tests.run_factories import make_script, start

pytestmark = pytest.mark.usefixtures("clean_queues")
DAILY, WEEKLY = NotifyEvent.daily_digest, NotifyEvent.weekly_digest


def test_the_next_digest_is_at_the_local_hour_across_dst():
    before_dst = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # Berlin moves to CEST on 29 March
    first = notification_digests.next_time(DAILY, 8, 0, "Europe/Berlin", before_dst)
    second = notification_digests.next_time(DAILY, 8, 0, "Europe/Berlin", first)
    assert first == datetime(2026, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert second == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert notification_digests.next_time(DAILY, 8, 0, "UTC", first - timedelta(hours=1)) == (
        datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    )
    weekly = notification_digests.next_time(WEEKLY, 9, 0, "America/New_York", before_dst)
    assert weekly == datetime(2026, 3, 30, 13, 0, tzinfo=UTC)  # Monday 09:00 EDT


async def test_a_daily_digest_counts_runs_failures_slowest_and_success_rate(owner):
    fast = await make_script(owner.org_id, name="Fast one")
    slow = await make_script(owner.org_id, name="Slow one")
    await ended_run(owner, fast, "succeeded", duration_ms=1_000)
    await ended_run(owner, slow, "succeeded", duration_ms=3_723_000)
    await ended_run(owner, slow, "succeeded", duration_ms=90_000)
    failed, _ = await ended_run(owner, fast, "failed", error="Source refused\nmore detail")
    with smtp_server() as mail:
        channel = await email_channel(owner, mail)
        made = await rule(owner, channel, "daily_digest", digest_hour=7)
        assert made["next_digest_at"] > datetime.now(UTC)
        now = datetime.now(UTC)
        with sync_tenant_session(owner.org_id) as session:
            session.execute(
                update(NotificationRule)
                .where(NotificationRule.id == made["id"])
                .values(next_digest_at=now + timedelta(seconds=1))
            )
        with sync_tenant_session(owner.org_id) as session:  # too early: nothing
            assert notification_digests.queue_due(session, owner.org_id, "UTC", now) == 0
        later = now + timedelta(minutes=1)
        with sync_tenant_session(owner.org_id) as session:
            assert notification_digests.queue_due(session, owner.org_id, "UTC", later) == 1
        with sync_tenant_session(owner.org_id) as session:  # done: not twice
            assert notification_digests.queue_due(session, owner.org_id, "UTC", later) == 0
            moved = session.get(NotificationRule, made["id"]).next_digest_at
        assert moved > later and moved.hour == 7
        [digest] = deliveries(owner.org_id)
        assert digest.payload["total"] == 4 and digest.payload["success_rate"] == 75.0
        assert digest.payload["counts"] == {"succeeded": 3, "failed": 1}
        assert notification_sending.deliver(owner.org_id, digest.id) is DeliveryStatus.sent
        [message] = mail.messages
    text = body_of(message)
    assert message["Subject"] == "[ETL Fabric] Daily digest: 4 runs, 75.0% success"
    assert "Success rate: 75.0%" in text and "failed 1, succeeded 3" in text
    assert f"script 'Fast one' run #{failed.id}: Source refused" in text
    assert "more detail" not in text
    slowest = text.split("Slowest runs:")[1].strip().splitlines()
    assert slowest[0].startswith("- script 'Slow one'") and "1 h 02 min" in slowest[0]
    assert len(slowest) == 3  # the failed run recorded no duration


async def test_an_auto_disabled_schedule_is_notified(owner):
    script = await make_script(owner.org_id, name="Export")
    async with tenant_session(owner.org_id) as session:
        item = await schedules.create(
            session=session,
            principal=owner,
            target_type="script",
            target_id=script.id,
            kind="interval",
            interval_seconds=60,
            timezone="UTC",
            max_attempts=1,
            auto_disable_after=1,
        )
    with smtp_server() as mail:
        channel = await email_channel(owner, mail)
        await rule(owner, channel, "auto_disable", target_type="script", target_id=script.id)
        run = await start(owner, script)
        with sync_tenant_session(owner.org_id) as session:  # as if the schedule had fired it
            session.execute(
                update(Run).where(Run.id == run.id).values(schedule_id=item.schedule.id)
            )
        end_run(owner, run.id, "failed", error="boom")
        [delivery] = deliveries(owner.org_id)
        assert delivery.event is NotifyEvent.auto_disable
        assert notification_sending.deliver(owner.org_id, delivery.id) is DeliveryStatus.sent
        [message] = mail.messages
    text = body_of(message)
    assert message["Subject"] == "[ETL Fabric] Schedule disabled: Export"
    assert "was disabled after 1 consecutive failed runs" in text and "boom" in text
    assert f"/schedules/{item.schedule.id}" in text and f"/runs/{run.id}" in text
