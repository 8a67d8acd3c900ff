"""Notifications from the run engine, sent to real receivers on loopback: the failure e-mail's
content, grouping, recovery, no rules → nothing at all, and retries after an outage. The senders
(SMTP, Slack, signed webhook) share one contract test."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from etlfabric.config import reset_settings
from etlfabric.db import sync_tenant_session
from etlfabric.models import DeliveryStatus, NotificationDelivery
from etlfabric.orchestration import notifying
from etlfabric.services import notification_channels, notification_sending, notifications, notifiers
from tests.factories import audit_rows, call
from tests.notification_factories import (
    SIGNING_SECRET,
    deliver_tasks,
    deliveries,
    email_channel,
    end_run,
    ended_run,
    rule,
    slack_channel,
    webhook_channel,
)
from tests.notification_servers import body_of, smtp_server, webhook_receiver
from tests.run_factories import make_script, start

pytestmark = pytest.mark.usefixtures("clean_queues")
D = DeliveryStatus


def move_back(org_id: int, delivery_id: int, **deltas: timedelta) -> None:
    """Pretend time passed: the named timestamps of a delivery move back."""
    values = {name: getattr(NotificationDelivery, name) - delta for name, delta in deltas.items()}
    with sync_tenant_session(org_id) as session:
        session.execute(
            update(NotificationDelivery)
            .where(NotificationDelivery.id == delivery_id)
            .values(**values)
        )


async def test_no_rules_no_delivery_rows_and_no_task(owner):
    await ended_run(owner, status="failed", error="boom")
    await ended_run(owner, status="succeeded")
    assert deliveries(owner.org_id) == []
    assert deliver_tasks() == []


async def test_the_failure_email_carries_target_link_duration_error_and_last_50_lines(
    owner, monkeypatch
):
    monkeypatch.setenv("PUBLIC_URL", "https://etl.example.com")
    reset_settings()
    with smtp_server() as mail:
        channel = await email_channel(owner, mail)
        await rule(owner, channel, "failure")
        run, script = await ended_run(
            owner, lines=60, error="Exit code 3: table missing", exit_code=3, duration_ms=12_345
        )
        [delivery] = deliveries(owner.org_id)
        assert (delivery.status, delivery.run_id, delivery.event.value) == (
            D.pending,
            run.id,
            "failure",
        )
        assert deliver_tasks() == [[owner.org_id, delivery.id]], "one task, after the commit"
        assert notification_sending.deliver(owner.org_id, delivery.id) is D.sent
        [message] = mail.messages
    body = body_of(message)
    assert message["Subject"] == f"[ETL Fabric] Failed: script 'Nightly load' (run #{run.id})"
    assert message["To"] == "ops@example.com"
    assert f"https://etl.example.com/runs/{run.id}" in body
    assert "Duration: 12.3 s" in body and "Exit status: 3" in body
    assert "Error: Exit code 3: table missing" in body
    assert "Last 50 log lines:" in body
    assert "line 11\n" in body and body.rstrip().endswith("line 60")
    assert "line 10\n" not in body
    [sent] = deliveries(owner.org_id)
    assert (sent.status, sent.attempts, sent.sent_at is not None) == (D.sent, 1, True)
    assert notification_sending.deliver(owner.org_id, delivery.id) is None, "sent only once"


async def test_repeated_failures_of_one_target_are_grouped_into_the_next_alert(owner):
    with smtp_server() as mail:
        channel = await email_channel(owner, mail)
        await rule(owner, channel, "failure", group_minutes=15)
        script = await make_script(owner.org_id, name="Flaky")
        for _ in range(3):
            await ended_run(owner, script, error="boom")
        first, *grouped = deliveries(owner.org_id)
        assert first.status is D.pending
        assert [d.status for d in grouped] == [D.grouped, D.grouped]
        assert deliver_tasks() == [[owner.org_id, first.id]]
        other, _ = await ended_run(owner, error="another target")  # its own window
        assert deliveries(owner.org_id)[-1].status is D.pending
        move_back(owner.org_id, first.id, created_at=timedelta(minutes=16))
        run, _ = await ended_run(owner, script, error="boom again")
        latest = deliveries(owner.org_id)[-1]
        assert (latest.status, latest.grouped_count) == (D.pending, 2)
        assert notification_sending.deliver(owner.org_id, latest.id) is D.sent
        assert "2 more failure(s) of this target" in body_of(mail.messages[-1])


async def test_recovery_is_the_first_success_after_failures(owner):
    with webhook_receiver() as hook:
        channel = await webhook_channel(owner, hook.url)
        await rule(owner, channel, "recovery")
        await rule(owner, channel, "success")
        script = await make_script(owner.org_id)
        await ended_run(owner, script, status="succeeded")
        await ended_run(owner, script, status="failed", error="x")
        await ended_run(owner, script, status="succeeded")
        await ended_run(owner, script, status="succeeded")
        events = [d.event.value for d in deliveries(owner.org_id)]
    assert events == ["success", "recovery", "success", "success"]


async def test_a_rule_for_one_target_ignores_the_others(owner):
    with webhook_receiver() as hook:
        channel = await webhook_channel(owner, hook.url)
        watched = await make_script(owner.org_id, name="Watched")
        await rule(owner, channel, "failure", target_type="script", target_id=watched.id)
        await ended_run(owner, error="elsewhere")
        assert deliveries(owner.org_id) == []
        await ended_run(owner, watched, error="here")
        assert [d.target_name for d in deliveries(owner.org_id)] == ["Watched"]


async def test_a_retried_attempt_is_not_a_failure_yet(owner):
    with webhook_receiver() as hook:
        channel = await webhook_channel(owner, hook.url)
        await rule(owner, channel, "failure")
        script = await make_script(owner.org_id)
        run = await start(owner, script, max_attempts=2)
        end_run(owner, run.id, "failed", error="first try")
        assert deliveries(owner.org_id) == []


# --- the senders' contract: e-mail, Slack and the signed webhook behave alike -------------------


@pytest.fixture(params=["email", "slack", "webhook"])
def receiver(request):
    """(kind, make_channel(principal), received() -> list of texts, stop(), restart())."""
    if request.param == "email":
        with smtp_server() as mail:
            yield Receiver("email", mail, None)
    else:
        with webhook_receiver() as hook:
            yield Receiver(request.param, None, hook)


class Receiver:
    def __init__(self, kind, mail, hook):
        self.kind, self.mail, self.hook = kind, mail, hook

    async def channel(self, principal):
        if self.kind == "email":
            return await email_channel(principal, self.mail)
        if self.kind == "slack":
            return await slack_channel(principal, self.hook.url)
        return await webhook_channel(principal, self.hook.url)

    def received(self) -> list[str]:
        if self.mail is not None:
            return [body_of(m) for m in self.mail.messages]
        return [body.decode() for _, _, body in self.hook.requests]

    def go_down(self):
        if self.mail is not None:
            self.mail.stop()
        else:
            self.hook.status[0] = 503

    def come_back(self):
        if self.mail is not None:
            self.mail.start()
        else:
            self.hook.status[0] = 200


async def test_contract_a_failure_reaches_the_channel_with_its_run_link(owner, receiver):
    channel = await receiver.channel(owner)
    await rule(owner, channel, "failure")
    run, _ = await ended_run(owner, error="Disk full")
    [delivery] = deliveries(owner.org_id)
    assert notification_sending.deliver(owner.org_id, delivery.id) is D.sent
    [text] = receiver.received()
    assert f"/runs/{run.id}" in text and "Nightly load" in text and "Disk full" in text


async def test_contract_delivery_retries_with_backoff_until_the_receiver_is_back(owner, receiver):
    channel = await receiver.channel(owner)
    await rule(owner, channel, "failure")
    await ended_run(owner, error="boom")
    [delivery] = deliveries(owner.org_id)
    receiver.go_down()
    assert notification_sending.deliver(owner.org_id, delivery.id) is D.pending
    [waiting] = deliveries(owner.org_id)
    assert waiting.attempts == 1 and "Retrying in 30 s" in waiting.last_error
    assert notification_sending.deliver(owner.org_id, delivery.id) is None, "not due yet"
    receiver.come_back()
    move_back(owner.org_id, delivery.id, next_attempt_at=timedelta(seconds=31))
    with sync_tenant_session(owner.org_id) as session:
        assert notification_sending.resend_due(session, owner.org_id) == 1
    assert deliver_tasks()[-1] == [owner.org_id, delivery.id]
    assert notification_sending.deliver(owner.org_id, delivery.id) is D.sent
    assert len(receiver.received()) == 1
    [sent] = deliveries(owner.org_id)
    assert (sent.status, sent.attempts) == (D.sent, 2)


async def test_contract_gives_up_after_the_last_attempt(owner, receiver, monkeypatch):
    monkeypatch.setattr(notification_sending, "MAX_ATTEMPTS", 2)
    channel = await receiver.channel(owner)
    await rule(owner, channel, "failure")
    await ended_run(owner, error="boom")
    [delivery] = deliveries(owner.org_id)
    receiver.go_down()
    notification_sending.deliver(owner.org_id, delivery.id)
    move_back(owner.org_id, delivery.id, next_attempt_at=timedelta(minutes=5))
    assert notification_sending.deliver(owner.org_id, delivery.id) is D.failed
    [failed] = deliveries(owner.org_id)
    assert "Gave up after 2 attempts" in failed.last_error


# --- what only one sender does -----------------------------------------------------------------


async def test_the_webhook_is_signed_and_a_tampered_body_fails_verification(owner):
    with webhook_receiver() as hook:
        channel = await webhook_channel(owner, hook.url)
        await rule(owner, channel, "failure")
        run, _ = await ended_run(owner, error="boom", lines=3)
        [delivery] = deliveries(owner.org_id)
        notification_sending.deliver(owner.org_id, delivery.id)
        [(path, headers, body)] = hook.requests
    stamp, signature = headers["X-ETLFabric-Timestamp"], headers["X-ETLFabric-Signature"]
    assert path == "/hooks/etl" and signature.startswith("sha256=")
    assert notifiers.verify(SIGNING_SECRET, stamp, body, signature)
    assert not notifiers.verify(SIGNING_SECRET, stamp, body.replace(b"boom", b"fine"), signature)
    assert not notifiers.verify("another-secret-0123456789", stamp, body, signature)
    assert not notifiers.verify(SIGNING_SECRET, str(int(stamp) - 3600), body, signature)
    data = json.loads(body)
    assert data["event"] == "failure" and data["run"]["id"] == run.id
    assert data["target"]["name"] == "Nightly load" and data["log_tail"] == [
        "line 1",
        "line 2",
        "line 3",
    ]
    assert headers["X-ETLFabric-Event"] == "failure"


async def test_slack_gets_text_and_blocks(owner):
    with webhook_receiver() as hook:
        channel = await slack_channel(owner, hook.url)
        await rule(owner, channel, "failure")
        await ended_run(owner, error="boom")
        [delivery] = deliveries(owner.org_id)
        notification_sending.deliver(owner.org_id, delivery.id)
        [(_, headers, body)] = hook.requests
    data = json.loads(body)
    assert data["text"].startswith("[ETL Fabric] Failed: script 'Nightly load'")
    assert [block["type"] for block in data["blocks"]] == ["header", "section"]
    assert "boom" in data["blocks"][1]["text"]["text"]
    assert "X-ETLFabric-Signature" not in headers


async def test_a_worker_lost_mid_send_loses_nothing(owner):
    with smtp_server() as mail:
        channel = await email_channel(owner, mail)
        await rule(owner, channel, "failure")
        await ended_run(owner, error="boom")
        [delivery] = deliveries(owner.org_id)
        with sync_tenant_session(owner.org_id) as session:  # claimed, then the worker died
            assert notification_sending._claim(session, delivery.id) is not None
        assert notification_sending.deliver(owner.org_id, delivery.id) is None, "leased"
        move_back(owner.org_id, delivery.id, next_attempt_at=notification_sending.LEASE)
        notifying.run_once()
        assert [owner.org_id, delivery.id] in deliver_tasks()
        assert notification_sending.deliver(owner.org_id, delivery.id) is D.sent
        assert len(mail.messages) == 1


async def test_an_unreachable_slack_url_stays_out_of_the_recorded_error(owner):
    from tests.processes import free_port

    secret_url = f"http://127.0.0.1:{free_port()}/services/T0/B0/canary-slack-token"
    channel = await slack_channel(owner, secret_url)
    await rule(owner, channel, "failure")
    await ended_run(owner, error="boom")
    [delivery] = deliveries(owner.org_id)
    assert notification_sending.deliver(owner.org_id, delivery.id) is D.pending
    [waiting] = deliveries(owner.org_id)
    assert waiting.last_error.startswith("The Slack webhook could not be reached")
    assert "canary-slack-token" not in waiting.last_error


async def test_the_test_button_leaves_a_history_row_and_an_audit_entry(owner):
    with smtp_server() as mail:
        channel = await email_channel(owner, mail)
        prepared = await call(notification_channels.send_test, owner, channel_id=channel.id)
        for ok, message in [await notification_channels.deliver_test(*prepared), (False, "down")]:
            await call(
                notifications.record_test, owner, channel_id=channel.id, ok=ok, message=message
            )
    sent, failed = deliveries(owner.org_id)
    assert (sent.event.value, sent.status, sent.rule_id, sent.last_error) == (
        "test",
        D.sent,
        None,
        None,
    )
    assert sent.subject == "Test message for 'Ops mail'" and sent.sent_at is not None
    assert (failed.status, failed.attempts, failed.last_error) == (D.failed, 1, "down")
    assert deliver_tasks() == [], "a test row is history, never re-sent"
    rows = await audit_rows(owner, "notification_channel", channel.id)
    assert [r.new_values["ok"] for r in rows if r.action == "notification_channel.test"] == [
        True,
        False,
    ]
