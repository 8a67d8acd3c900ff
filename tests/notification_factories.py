"""Channels, rules and ended runs for the notification tests (through the real services)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from sqlalchemy import insert, select

from etlfabric.db import sync_tenant_session
from etlfabric.models import NotificationDelivery, RunLog
from etlfabric.services import notification_channels, notification_rules, runs
from etlfabric.services.notifications import DELIVER_TASK
from tests.factories import call
from tests.run_factories import make_script, start

SIGNING_SECRET = "whsec-test-0123456789abcdef"


async def email_channel(principal, smtp, name="Ops mail", **config):
    return await call(
        notification_channels.create,
        principal,
        name=name,
        kind="email",
        config=smtp.config(**config),
        secrets={},
    )


async def webhook_channel(principal, url, name="Ops hook"):
    return await call(
        notification_channels.create,
        principal,
        name=name,
        kind="webhook",
        config={"url": url},
        secrets={"signing_secret": SIGNING_SECRET},
    )


async def slack_channel(principal, url, name="Ops Slack"):
    return await call(
        notification_channels.create,
        principal,
        name=name,
        kind="slack",
        secrets={"url": url},
    )


async def rule(principal, channel, event="failure", **fields):
    return await call(
        notification_rules.create, principal, channel_id=channel.id, event=event, **fields
    )


def end_run(principal, run_id, status="failed", *, lines=0, **values):
    """Claim a queued run, store `lines` numbered log lines, and end it with `status`."""
    org_id = principal.org_id
    with sync_tenant_session(org_id) as session:
        runs.claim_run(session, org_id=org_id, run_id=run_id, worker="test")
        if lines:
            now = datetime.now(UTC)
            session.execute(
                insert(RunLog),
                [
                    {"run_id": run_id, "seq": n, "ts": now, "stream": "stdout", "text": f"line {n}"}
                    for n in range(1, lines + 1)
                ],
            )
    with sync_tenant_session(org_id) as session:
        return runs.finish_run(session, org_id=org_id, run_id=run_id, status=status, **values)


async def ended_run(principal, script=None, status="failed", **values):
    script = script or await make_script(principal.org_id, name="Nightly load")
    run = await start(principal, script)
    return end_run(principal, run.id, status, **values), script


def deliveries(org_id: int) -> list[NotificationDelivery]:
    with sync_tenant_session(org_id) as session:
        return list(session.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)))


def deliver_tasks() -> list[list]:
    """Args of every notification task message waiting in the default queue."""
    from etlfabric.services import run_events

    found = []
    for raw in run_events.sync_redis().lrange("default", 0, -1):
        message = json.loads(raw)
        if message["headers"]["task"] == DELIVER_TASK:
            found.append(json.loads(base64.b64decode(message["body"]))[0])
    return found
