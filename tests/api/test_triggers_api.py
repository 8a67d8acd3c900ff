"""URL triggers over HTTP: tokens per target, firing them (404 / 403 / 429), the payload reaching a
script, `?wait`, the by-name trigger, and the audit of every call. Runs go through a real worker."""

from __future__ import annotations

import json
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import func, select

from etlfabric.config import reset_settings
from etlfabric.db import tenant_session
from etlfabric.models import Run
from etlfabric.redis_client import get_redis
from tests.api.conftest import bearer, join, signup
from tests.factories import audit_rows
from tests.run_factories import load
from tests.transformation_factories import nodes, workload_sql

PAYLOAD_SCRIPT = "import os\nprint('payload:', os.environ.get('ETLFABRIC_PAYLOAD'))\n"


@pytest.fixture
async def client(api_app):
    """Like tests/api's client, without flushing Redis: a worker of this module reads it."""
    redis = get_redis()
    for key in await redis.keys("throttle:*"):
        await redis.delete(key)
    transport = httpx.ASGITransport(app=api_app, client=("127.0.0.1", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def owner(client):
    account = await signup(client)
    return {**account, "headers": bearer(account["access_token"])}


async def make_script(client, headers, **body) -> dict:
    body.setdefault("content", "print('hi')\n")
    answer = await client.post("/api/v1/scripts", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def make_token(client, headers, target: str, **body) -> dict:
    answer = await client.post(
        "/api/v1/triggers", json={"target": target, "name": "hook", **body}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def as_org(account) -> SimpleNamespace:
    return SimpleNamespace(org_id=account["org"]["id"])


async def test_create_list_fire_and_revoke(client, owner):
    headers = owner["headers"]
    script = await make_script(client, headers, name="Nightly export")
    made = await make_token(client, headers, f"script:{script['id']}", allowed_ips=[" 10.0.0.7 "])
    secret = made["secret"]
    assert secret.startswith("etf_trg_") and made["prefix"] == secret[:16]
    assert made["allowed_ips"] == ["10.0.0.7/32"] and made["rate_per_minute"] == 60
    assert made["url"].endswith(f"/api/v1/hooks/{secret}") and secret in made["curl"]

    listed = await client.get(f"/api/v1/triggers?target=script:{script['id']}", headers=headers)
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [made["id"]]
    assert secret not in listed.text  # shown once, at creation

    revoked = await client.delete(f"/api/v1/triggers/{made['id']}", headers=headers)
    assert revoked.status_code == 204
    after = await client.get(f"/api/v1/triggers?target=script:{script['id']}", headers=headers)
    assert after.json()[0]["revoked_at"] is not None


async def test_unknown_and_revoked_tokens_answer_404(client, owner):
    headers = owner["headers"]
    script = await make_script(client, headers, name="Guarded")
    made = await make_token(client, headers, f"script:{script['id']}")
    assert (await client.post("/api/v1/hooks/etf_trg_nothing-like-this")).status_code == 404
    assert (await client.post("/api/v1/hooks/" + made["secret"][:-2] + "xx")).status_code == 404
    fired = await client.post(f"/api/v1/hooks/{made['secret']}")
    assert fired.status_code == 202, fired.text
    await client.delete(f"/api/v1/triggers/{made['id']}", headers=headers)
    again = await client.post(f"/api/v1/hooks/{made['secret']}")
    assert again.status_code == 404
    assert again.json()["detail"] == "No trigger is known by this token (unknown or revoked)."


async def test_an_address_outside_the_allowlist_is_403_unless_a_trusted_proxy_forwards_it(
    client, owner
):
    headers = owner["headers"]
    script = await make_script(client, headers, name="Office only")
    made = await make_token(client, headers, f"script:{script['id']}", allowed_ips=["10.0.0.0/8"])
    url = f"/api/v1/hooks/{made['secret']}"
    refused = await client.post(url)  # the test client calls from 127.0.0.1
    assert refused.status_code == 403 and "127.0.0.1" in refused.json()["detail"]
    # Without TRUSTED_PROXIES, X-Forwarded-For is only the caller's word: ignored.
    assert (await client.post(url, headers={"X-Forwarded-For": "10.1.2.3"})).status_code == 403
    import os

    os.environ["TRUSTED_PROXIES"] = "127.0.0.1"
    reset_settings()
    forwarded = await client.post(url, headers={"X-Forwarded-For": "10.1.2.3, 127.0.0.1"})
    assert forwarded.status_code == 202, forwarded.text
    spoofed = await client.post(url, headers={"X-Forwarded-For": "10.1.2.3, 192.0.2.9"})
    assert spoofed.status_code == 403 and "192.0.2.9" in spoofed.json()["detail"]


async def test_the_rate_limit_answers_429_with_retry_after(client, owner):
    headers = owner["headers"]
    script = await make_script(client, headers, name="Busy")
    made = await make_token(client, headers, f"script:{script['id']}", rate_per_minute=2)
    url = f"/api/v1/hooks/{made['secret']}"
    assert [(await client.post(url)).status_code for _ in range(2)] == [202, 202]
    limited = await client.post(url)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "2 calls per minute" in limited.json()["detail"]


async def test_every_call_is_audited_without_the_token(client, owner):
    headers = owner["headers"]
    script = await make_script(client, headers, name="Audited")
    made = await make_token(
        client, headers, f"script:{script['id']}", rate_per_minute=1, allowed_ips=["127.0.0.1"]
    )
    url = f"/api/v1/hooks/{made['secret']}"
    accepted = await client.post(url, json={"n": 1})
    await client.post(url)  # over the rate
    await client.delete(f"/api/v1/triggers/{made['id']}", headers=headers)
    await client.post(url)  # revoked
    rows = await audit_rows(as_org(owner), "trigger_token", made["id"])
    calls = [row.new_values for row in rows if row.action == "trigger.call"]
    assert [call["outcome"] for call in calls] == ["accepted", "rate_limited", "revoked"]
    assert calls[0]["run_id"] == accepted.json()["run_id"]
    assert [row.action for row in rows if row.action != "trigger.call"] == [
        "trigger_token.create",
        "trigger_token.revoke",
    ]
    assert all(str(row.ip) == "127.0.0.1" for row in rows if row.action == "trigger.call")
    everything = json.dumps([[r.actor_label, r.old_values, r.new_values] for r in rows])
    assert made["secret"] not in everything and made["prefix"] in everything


async def test_bad_input_names_the_field_and_creates_nothing(client, owner):
    headers = owner["headers"]
    script = await make_script(client, headers, name="Picky")
    target = f"script:{script['id']}"
    cases = [
        ({"target": "script"}, "target"),
        ({"target": "job:1"}, "target"),
        ({"name": "  "}, "name"),
        ({"allowed_ips": ["10.0.0.0/8", "not-an-ip"]}, "allowed_ips"),
        ({"rate_per_minute": 0}, "rate_per_minute"),
    ]
    for change, field in cases:
        body = {"target": target, "name": "hook", **change}
        answer = await client.post("/api/v1/triggers", json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == field
    assert (await client.get(f"/api/v1/triggers?target={target}", headers=headers)).json() == []
    made = await make_token(client, headers, target)
    url = f"/api/v1/hooks/{made['secret']}"
    for query, body, field in [("?wait=61", None, "wait"), ("", b"[1, 2]", "payload")]:
        answer = await client.post(url + query, content=body)
        assert answer.status_code == 422 and answer.json()["field"] == field


async def test_roles_and_other_organisations(client, owner):
    headers = owner["headers"]
    script = await make_script(client, headers, name="Shared")
    target = f"script:{script['id']}"
    made = await make_token(client, headers, target)
    viewer = bearer((await join(client, owner["access_token"], "viewer"))["access_token"])
    editor = bearer((await join(client, owner["access_token"], "editor"))["access_token"])
    assert (
        await client.get(f"/api/v1/triggers?target={target}", headers=viewer)
    ).status_code == 403
    denied = await client.post(
        "/api/v1/triggers", json={"target": target, "name": "x"}, headers=viewer
    )
    assert denied.status_code == 403
    assert (
        await client.delete(f"/api/v1/triggers/{made['id']}", headers=viewer)
    ).status_code == 403
    await make_token(client, editor, target)
    # An API key that may write but not run must not mint a way to run.
    key = await client.post(
        "/api/v1/api-keys", json={"name": "w", "scopes": ["write"]}, headers=headers
    )
    writer = bearer(key.json()["secret"])
    refused = await client.post(
        "/api/v1/triggers", json={"target": target, "name": "x"}, headers=writer
    )
    assert refused.status_code == 403

    other = await signup(client)
    stranger = bearer(other["access_token"])
    assert (
        await client.get(f"/api/v1/triggers?target={target}", headers=stranger)
    ).status_code == 404
    body = {"target": target, "name": "x"}
    assert (await client.post("/api/v1/triggers", json=body, headers=stranger)).status_code == 404
    assert (
        await client.delete(f"/api/v1/triggers/{made['id']}", headers=stranger)
    ).status_code == 404
    still = await client.get(f"/api/v1/triggers?target={target}", headers=headers)
    assert all(row["revoked_at"] is None for row in still.json())


async def test_by_name_needs_the_run_scope(client, owner):
    headers = owner["headers"]
    await make_script(client, headers, name="Daily Load")
    made = []
    for scopes in (["run"], ["read"]):
        key = await client.post(
            "/api/v1/api-keys", json={"name": "ci", "scopes": scopes}, headers=headers
        )
        made.append(bearer(key.json()["secret"]))
    runner, reader = made
    url = "/api/v1/scripts/by-name/daily-load/trigger"
    started = await client.post(url, json={"n": 1}, headers=runner)
    assert started.status_code == 202, started.text
    assert started.json()["status_url"].endswith(f"/api/v1/runs/{started.json()['run_id']}")
    run = await client.get(f"/api/v1/runs/{started.json()['run_id']}", headers=headers)
    assert run.json()["trigger"] == "api"
    assert (await client.post(url, headers=reader)).status_code == 403
    assert (await client.post(url)).status_code == 401
    missing = await client.post("/api/v1/scripts/by-name/nope/trigger", headers=runner)
    assert missing.status_code == 404
    other = bearer((await signup(client))["access_token"])
    assert (await client.post(url, headers=other)).status_code == 404


async def test_payload_reaches_the_script_and_wait_returns_the_final_status(
    client, owner, celery_worker
):
    headers = owner["headers"]
    script = await make_script(client, headers, name="Echo", content=PAYLOAD_SCRIPT)
    made = await make_token(client, headers, f"script:{script['id']}")
    answer = await client.post(
        f"/api/v1/hooks/{made['secret']}?wait=60", json={"customer": 42}, timeout=70
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["status"], body["exit_code"]) == ("succeeded", 0)
    logs = await client.get(f"/api/v1/runs/{body['run_id']}/logs", headers=headers)
    assert 'payload: {"customer": 42}' in [line["text"] for line in logs.json()["lines"]]
    run = await client.get(f"/api/v1/runs/{body['run_id']}", headers=headers)
    assert run.json()["trigger"] == "url"

    failing = await make_script(client, headers, name="Fails", content="raise SystemExit(3)\n")
    by_name = await client.post(
        "/api/v1/scripts/by-name/fails/trigger?wait=60", headers=headers, timeout=70
    )
    assert by_name.status_code == 200 and by_name.json()["status"] == "failed"
    assert by_name.json()["exit_code"] == 3 and failing["safe_name"] == "fails"


async def test_wait_ends_with_202_when_the_run_is_still_going(client, owner, celery_worker):
    headers = owner["headers"]
    script = await make_script(client, headers, name="Slow", content="import time\ntime.sleep(5)\n")
    made = await make_token(client, headers, f"script:{script['id']}")
    answer = await client.post(f"/api/v1/hooks/{made['secret']}?wait=1")
    assert answer.status_code == 202
    assert answer.json()["status"] in ("queued", "running")


async def test_a_hook_on_a_transformation_runs_its_model_and_one_on_the_project_builds(
    client, owner, celery_worker
):
    headers, org = owner["headers"], owner["org"]["id"]
    body = {"name": "stg_hooked", "sql": "select 7 as id", "schema_name": "staging"}
    made = await client.post(
        "/api/v1/transformations", json={**body, "materialization": "table"}, headers=headers
    )
    assert made.status_code == 201, made.text
    model = made.json()
    token = await make_token(client, headers, f"transformation:{model['id']}")
    answer = await client.post(f"/api/v1/hooks/{token['secret']}?wait=60", timeout=70)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "succeeded", answer.text
    run = load(org, answer.json()["run_id"])
    assert (run.target_id, run.trigger.value) == (model["id"], "url")
    assert run.details["dbt"]["command"] == "run" and run.details["dbt"]["select"] == "stg_hooked"
    assert set(nodes(run)) == {"stg_hooked"}
    assert workload_sql(org, f"select id from t{org}_staging.stg_hooked") == [(7,)]

    project = await make_token(client, headers, "transformation:0")
    built = await client.post(f"/api/v1/hooks/{project['secret']}?wait=60", timeout=70)
    assert built.status_code == 200 and built.json()["status"] == "succeeded", built.text
    run = load(org, built.json()["run_id"])
    assert (run.target_id, run.target_name) == (0, "dbt project (build all)")
    assert run.details["dbt"]["command"] == "build" and "stg_hooked" in nodes(run)


async def run_count(org_id: int) -> int:
    async with tenant_session(org_id) as session:
        return await session.scalar(select(func.count()).select_from(Run))


async def test_a_hook_body_may_widen_or_test_its_model_but_not_run_anything_else(
    client, owner, celery_worker
):
    """The body is the run's payload: for dbt it may ask what the REST API offers for the
    target (upstream/downstream, test or build of the model; a seed's load of the project),
    nothing else: no other model, no selector methods, no docs through a model's token."""
    headers, org = owner["headers"], owner["org"]["id"]
    body = {"name": "stg_limited", "sql": "select 1 as id", "schema_name": "staging"}
    made = await client.post("/api/v1/transformations", json=body, headers=headers)
    assert made.status_code == 201, made.text
    model = (await make_token(client, headers, f"transformation:{made.json()['id']}"))["secret"]
    project = (await make_token(client, headers, "transformation:0"))["secret"]
    refused = [
        (model, {"command": "docs"}, "command"),
        (model, {"command": "seed"}, "command"),
        (model, {"select": "other_model"}, "select"),
        (model, {"select": "path:models"}, "select"),
        (model, {"select": "stg_limited --full-refresh"}, "select"),
        (project, {"command": "run"}, "command"),
        (project, {"command": "build", "select": "stg_limited"}, "select"),
        (project, {"command": "seed", "select": "--full-refresh"}, "select"),
    ]
    for secret, payload, field in refused:
        answer = await client.post(f"/api/v1/hooks/{secret}", json=payload)
        assert answer.status_code == 422, (payload, answer.text)
        assert answer.json()["field"] == field, (payload, answer.text)
    assert await run_count(org) == 0
    wider = await client.post(
        f"/api/v1/hooks/{model}?wait=60", json={"select": "+stg_limited", "day": "x"}, timeout=70
    )
    assert wider.status_code == 200 and wider.json()["status"] == "succeeded", wider.text
    run = load(org, wider.json()["run_id"])
    assert (run.details["dbt"]["command"], run.details["dbt"]["select"]) == ("run", "+stg_limited")
