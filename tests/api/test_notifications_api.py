"""The notifications REST API: channels with write-only secrets, the test button over real SMTP,
rules, the paginated history; roles, bad input that names the field and changes nothing, and
another organisation's things answering 404."""

from __future__ import annotations

import json
import logging

from etlfabric.db import tenant_session
from etlfabric.services import scripts
from tests.api.conftest import bearer, join, signup
from tests.notification_factories import deliveries, end_run
from tests.notification_servers import body_of, smtp_server, webhook_receiver
from tests.run_factories import start

PASSWORD = "smtp-canary-password-93"
SLACK = "https://hooks.slack.example/services/T000/B000/canary-slack-token"
SIGNING = "canary-signing-secret-0123456789"


async def account(client):
    made = await signup(client)
    return {**made, "headers": bearer(made["access_token"])}


def email_body(port: int, **config) -> dict:
    return {
        "name": "Ops mail",
        "kind": "email",
        "config": {
            "host": "127.0.0.1",
            "port": port,
            "tls": "none",
            "user": "",
            "from": "alerts@example.com",
            "recipients": ["ops@example.com", "oncall@example.com"],
            **config,
        },
        "secrets": {"password": PASSWORD},
    }


async def test_channels_crud_test_button_and_secrets_never_come_back(client, caplog):
    caplog.set_level(logging.DEBUG)
    owner, seen = await account(client), []
    headers = owner["headers"]
    with smtp_server() as mail:
        made = await client.post(
            "/api/v1/notification-channels", json=email_body(mail.port), headers=headers
        )
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["secrets_set"] == {"password": True} and "secrets" not in body
        assert body["config"]["recipients"] == ["ops@example.com", "oncall@example.com"]
        url = f"/api/v1/notification-channels/{body['id']}"
        tested = await client.post(f"{url}/test", headers=headers)
        assert tested.json() == {
            "ok": True,
            "message": "Test message sent to ops@example.com, oncall@example.com.",
        }
        [message] = mail.messages
        assert "test message from ETL Fabric" in body_of(message)
    down = await client.post(f"{url}/test", headers=headers)  # the server is gone now
    assert down.json()["ok"] is False
    assert f"127.0.0.1:{mail.port}" in down.json()["message"]
    slack = await client.post(
        "/api/v1/notification-channels",
        json={"name": "Slack", "kind": "slack", "secrets": {"url": SLACK}},
        headers=headers,
    )
    hook = await client.post(
        "/api/v1/notification-channels",
        json={
            "name": "Hook",
            "kind": "webhook",
            "config": {"url": "https://example.com/etl"},
            "secrets": {"signing_secret": SIGNING},
        },
        headers=headers,
    )
    assert slack.json()["secrets_set"] == {"url": True}
    assert hook.json()["secrets_set"] == {"signing_secret": True}
    patched = await client.patch(url, json={"config": {"port": 2525}}, headers=headers)
    assert patched.json()["config"]["port"] == 2525 and patched.json()["secrets_set"]["password"]
    listed = await client.get("/api/v1/notification-channels", headers=headers)
    assert [c["name"] for c in listed.json()] == ["Hook", "Ops mail", "Slack"]
    audit = await client.get("/api/v1/audit", headers=headers)
    seen += [made, tested, down, slack, hook, patched, listed, audit]
    dump = json.dumps([answer.text for answer in seen]) + caplog.text
    for secret in (PASSWORD, SLACK, "canary-slack-token", SIGNING):
        assert secret not in dump
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


async def test_bad_input_names_the_field_and_changes_nothing(client):
    owner = await account(client)
    headers = owner["headers"]
    cases = [
        ({"kind": "pager"}, "kind"),
        ({"config": {"host": ""}}, "config.host"),
        ({"config": {"port": 70000}}, "config.port"),
        ({"config": {"tls": "ssl3"}}, "config.tls"),
        ({"config": {"from": "nobody"}}, "config.from"),
        ({"config": {"recipients": []}}, "config.recipients"),
        ({"config": {"recipients": ["ok@example.com", "not an address"]}}, "config.recipients"),
        ({"config": {"colour": "red"}}, "config.colour"),
        ({"name": " "}, "name"),
    ]
    for change, field in cases:
        body = email_body(25)
        body = {**body, **{k: v for k, v in change.items() if k != "config"}}
        if "config" in change:
            body["config"] = {**body["config"], **change["config"]}
        answer = await client.post("/api/v1/notification-channels", json=body, headers=headers)
        assert (answer.status_code, answer.json()["field"]) == (422, field), (change, answer.text)
    short = {"name": "H", "kind": "webhook", "config": {"url": "ftp://x"}}
    answer = await client.post("/api/v1/notification-channels", json=short, headers=headers)
    assert answer.json()["field"] == "config.url"
    short["config"]["url"] = "https://example.com/x"
    short["secrets"] = {"signing_secret": "short"}
    answer = await client.post("/api/v1/notification-channels", json=short, headers=headers)
    assert answer.json()["field"] == "secrets.signing_secret"
    made = await client.post("/api/v1/notification-channels", json=email_body(25), headers=headers)
    url = f"/api/v1/notification-channels/{made.json()['id']}"
    refused = await client.patch(url, json={"config": {"port": 0}}, headers=headers)
    assert refused.json()["field"] == "config.port"
    assert (await client.get(url, headers=headers)).json()["config"]["port"] == 25
    duplicate = await client.post(
        "/api/v1/notification-channels", json=email_body(25), headers=headers
    )
    assert duplicate.json()["field"] == "name"
    assert len((await client.get("/api/v1/notification-channels", headers=headers)).json()) == 1
    rule_cases = [
        ({"channel_id": 999999, "event": "failure"}, "channel_id"),
        ({"event": "explosion"}, "event"),
        ({"event": "failure", "target_type": "script"}, "target_id"),
        ({"event": "failure", "target_type": "script", "target_id": 999999}, "target_id"),
        ({"event": "failure", "group_minutes": -1}, "group_minutes"),
        ({"event": "daily_digest", "digest_hour": 24}, "digest_hour"),
    ]
    for body, field in rule_cases:
        body = {"channel_id": made.json()["id"], **body}
        answer = await client.post("/api/v1/notification-rules", json=body, headers=headers)
        assert (answer.status_code, answer.json()["field"]) == (422, field), (body, answer.text)
    assert (await client.get("/api/v1/notification-rules", headers=headers)).json() == []


async def test_rules_history_roles_and_other_tenants(client):
    owner, other = await account(client), await account(client)
    headers = owner["headers"]
    viewer = await join(client, owner["access_token"], "viewer")
    as_viewer = bearer(viewer["access_token"])
    with webhook_receiver() as hook:
        made = await client.post(
            "/api/v1/notification-channels",
            json={
                "name": "Hook",
                "kind": "webhook",
                "config": {"url": hook.url},
                "secrets": {"signing_secret": SIGNING},
            },
            headers=headers,
        )
        channel_id = made.json()["id"]
        principal = await principal_of(client, headers)
        async with tenant_session(principal.org_id) as session:
            script = await scripts.create(session=session, principal=principal, name="Loader")
        rule = await client.post(
            "/api/v1/notification-rules",
            json={
                "channel_id": channel_id,
                "event": "failure",
                "target_type": "script",
                "target_id": script.id,
                "group_minutes": 0,
            },
            headers=headers,
        )
        assert rule.status_code == 201, rule.text
        assert (rule.json()["target_name"], rule.json()["channel_name"]) == ("Loader", "Hook")
        for _ in range(3):
            run = await start(principal, script)
            end_run(principal, run.id, "failed", error="boom")
        assert len(deliveries(principal.org_id)) == 3
    page = await client.get("/api/v1/notifications?page=1&page_size=2", headers=as_viewer)
    assert page.status_code == 200
    assert (page.json()["total"], len(page.json()["items"])) == (3, 2)
    first = page.json()["items"][0]
    assert (first["status"], first["event"], first["channel_name"]) == (
        "pending",
        "failure",
        "Hook",
    )
    assert first["subject"] == f"Failed: script 'Loader' (run #{run.id})"
    second = await client.get("/api/v1/notifications?page=2&page_size=2", headers=as_viewer)
    assert len(second.json()["items"]) == 1
    bad = await client.get("/api/v1/notifications?status=lost", headers=headers)
    assert (bad.status_code, bad.json()["field"]) == (422, "status")
    denied = await client.post(
        "/api/v1/notification-rules",
        json={"channel_id": channel_id, "event": "success"},
        headers=as_viewer,
    )
    assert denied.status_code == 403
    theirs = other["headers"]
    channel_url = f"/api/v1/notification-channels/{channel_id}"
    assert (await client.get(channel_url, headers=theirs)).status_code == 404
    assert (await client.patch(channel_url, json={"name": "x"}, headers=theirs)).status_code == 404
    assert (await client.post(f"{channel_url}/test", headers=theirs)).status_code == 404
    assert (await client.delete(channel_url, headers=theirs)).status_code == 404
    rule_url = f"/api/v1/notification-rules/{rule.json()['id']}"
    assert (await client.delete(rule_url, headers=theirs)).status_code == 404
    assert (await client.get("/api/v1/notifications", headers=theirs)).json()["total"] == 0
    stolen = await client.post(
        "/api/v1/notification-rules",
        json={"channel_id": channel_id, "event": "failure"},
        headers=theirs,
    )
    assert stolen.json()["field"] == "channel_id"
    assert (await client.delete(rule_url, headers=headers)).status_code == 204
    assert (await client.get("/api/v1/notification-rules", headers=headers)).json() == []


async def test_rule_patch_and_the_test_button_leaves_a_history_row(client):
    owner, other = await account(client), await account(client)
    headers = owner["headers"]
    viewer = bearer((await join(client, owner["access_token"], "viewer"))["access_token"])
    with smtp_server() as mail:
        made = await client.post(
            "/api/v1/notification-channels", json=email_body(mail.port), headers=headers
        )
        url = f"/api/v1/notification-channels/{made.json()['id']}"
        assert (await client.post(f"{url}/test", headers=headers)).json()["ok"] is True
    assert (await client.post(f"{url}/test", headers=headers)).json()["ok"] is False
    history = (await client.get("/api/v1/notifications", headers=viewer)).json()
    failed, sent = history["items"]
    assert (sent["event"], sent["status"], sent["rule_id"]) == ("test", "sent", None)
    assert sent["subject"] == "Test message for 'Ops mail'" and sent["last_error"] is None
    assert (failed["status"], failed["attempts"]) == ("failed", 1)
    assert f"127.0.0.1:{mail.port}" in failed["last_error"]
    audit = (await client.get("/api/v1/audit", headers=headers)).text
    assert audit.count("notification_channel.test") == 2

    body = {"channel_id": made.json()["id"], "event": "daily_digest", "digest_hour": 6}
    rule = (await client.post("/api/v1/notification-rules", json=body, headers=headers)).json()
    assert rule["enabled"] is True
    rule_url = f"/api/v1/notification-rules/{rule['id']}"
    patched = await client.patch(
        rule_url, json={"enabled": False, "digest_hour": 7}, headers=headers
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["enabled"], patched.json()["digest_hour"]) == (False, 7)
    for change, field in [
        ({"enabled": "maybe"}, "enabled"),
        ({"digest_hour": 24}, "digest_hour"),
        ({"group_minutes": 2000}, "group_minutes"),
        ({"digest_weekday": -1}, "digest_weekday"),
    ]:
        answer = await client.patch(rule_url, json=change, headers=headers)
        assert (answer.status_code, answer.json()["field"]) == (422, field), change
    assert (await client.patch(rule_url, json={"enabled": True}, headers=viewer)).status_code == 403
    theirs = await client.patch(rule_url, json={"enabled": True}, headers=other["headers"])
    assert theirs.status_code == 404
    [kept] = (await client.get("/api/v1/notification-rules", headers=headers)).json()
    assert (kept["enabled"], kept["digest_hour"]) == (False, 7)
    audit = (await client.get("/api/v1/audit", headers=headers)).text
    assert "notification_rule.update" in audit


async def principal_of(client, headers):
    """The Principal behind a bearer token (to write runs with the services directly)."""
    from etlfabric.services import auth

    return await auth.principal_from_bearer(headers["Authorization"].split()[1], ip="127.0.0.1")
