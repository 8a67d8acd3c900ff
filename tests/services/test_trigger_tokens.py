"""Trigger tokens and firing them, called as the services (the REST side is tests/api)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import update

from etlfabric.db import tenant_session
from etlfabric.errors import Conflict, NotFound, PermissionDenied
from etlfabric.models import Script, TargetType, TriggerToken
from etlfabric.redis_client import get_redis
from etlfabric.services import trigger_tokens, url_triggers
from tests.factories import audit_rows, call, make_member, make_owned_org
from tests.run_factories import make_script


@pytest.fixture(autouse=True)
async def no_throttles():
    redis = get_redis()
    for key in await redis.keys("throttle:*"):
        await redis.delete(key)


async def make_token(principal, script, **options) -> tuple[TriggerToken, str]:
    return await call(
        trigger_tokens.create,
        principal,
        target=(TargetType.script, script.id),
        name=options.pop("name", "hook"),
        **options,
    )


async def test_the_secret_is_stored_only_as_a_hash(owner):
    script = await make_script(owner.org_id)
    token, secret = await make_token(owner, script)
    assert secret not in (token.secret_hash, token.prefix) and secret.startswith(token.prefix)
    fired = await url_triggers.fire(secret=secret, ip="192.0.2.1", payload={"a": 1})
    assert (fired.org_id, fired.run.payload, fired.run.trigger.value) == (
        owner.org_id,
        {"a": 1},
        "url",
    )


async def test_an_unknown_token_is_logged_without_the_token(caplog):
    secret = "etf_trg_" + "x" * 43
    with caplog.at_level(logging.INFO, logger="etlfabric.triggers"), pytest.raises(NotFound):
        await url_triggers.fire(secret=secret, ip="192.0.2.1")
    assert "unknown token, from 192.0.2.1" in caplog.text and secret not in caplog.text


async def test_a_disabled_or_deleted_target_is_refused_and_audited(owner):
    script = await make_script(owner.org_id)
    token, secret = await make_token(owner, script)
    async with tenant_session(owner.org_id) as session:
        await session.execute(update(Script).where(Script.id == script.id).values(enabled=False))
    with pytest.raises(Conflict, match="is disabled"):
        await url_triggers.fire(secret=secret, ip=None)
    async with tenant_session(owner.org_id) as session:
        await session.execute(
            update(Script).where(Script.id == script.id).values(deleted_at=Script.created_at)
        )
    with pytest.raises(NotFound, match="no longer exists"):
        await url_triggers.fire(secret=secret, ip=None)
    calls = [r.new_values for r in await audit_rows(owner, "trigger_token", token.id)][1:]
    assert [c["outcome"] for c in calls] == ["not_started", "not_started"]


async def test_who_may_do_what():
    org, _, owner = await make_owned_org()
    _, viewer = await make_member(org, "viewer")
    _, editor = await make_member(org, "editor")
    script = await make_script(org.id)
    token, _ = await make_token(editor, script)
    target = (TargetType.script, script.id)
    with pytest.raises(PermissionDenied):
        await call(trigger_tokens.list_tokens, viewer, target=target)
    with pytest.raises(PermissionDenied):
        await call(trigger_tokens.revoke, viewer, token_id=token.id)
    assert [t.id for t in await call(trigger_tokens.list_tokens, editor, target=target)] == [
        token.id
    ]
    _, _, stranger = await make_owned_org()
    with pytest.raises(NotFound):
        await call(trigger_tokens.revoke, stranger, token_id=token.id)
    revoked = await call(trigger_tokens.revoke, owner, token_id=token.id)
    assert revoked.revoked_at is not None
