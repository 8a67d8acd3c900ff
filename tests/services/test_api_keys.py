import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import make_url, update

from etlfabric.config import get_settings
from etlfabric.db import platform_session
from etlfabric.errors import Invalid, NotFound, PermissionDenied, Unauthenticated
from etlfabric.models import ApiKey
from etlfabric.services import api_keys, auth
from etlfabric.services.permissions import require
from tests.factories import make_member, make_owned_org


async def create_key(principal, scopes=("read",), **kwargs):
    async with platform_session() as session:
        return await api_keys.create(
            session=session, principal=principal, name="ci", scopes=list(scopes), **kwargs
        )


async def test_key_is_shown_once_and_authenticates_with_its_scopes():
    org, _, owner = await make_owned_org()
    key, secret = await create_key(owner, ["read", "run"])
    assert secret.startswith("etf_") and len(secret) >= 4 + 43
    principal = await auth.principal_from_bearer(secret)
    assert (principal.org_id, principal.api_key_id) == (org.id, key.id)
    require(principal, "runs.start")
    with pytest.raises(PermissionDenied):
        require(principal, "resources.write")
    with pytest.raises(PermissionDenied):
        require(principal, "members.invite")


async def test_secret_is_absent_from_a_database_dump():
    _, _, owner = await make_owned_org()
    _, secret = await create_key(owner)
    url = make_url(get_settings().database_url)
    dump = subprocess.run(
        [
            "pg_dump",
            "-h",
            url.host,
            "-p",
            str(url.port or 5432),
            "-U",
            url.username or "postgres",
            "--data-only",
            url.database,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert secret[:12] in dump, "the lookup prefix is stored"
    assert secret not in dump and secret[12:] not in dump


async def test_revoked_and_expired_keys_are_refused_at_once():
    _, _, owner = await make_owned_org()
    key, secret = await create_key(owner)
    await auth.principal_from_bearer(secret)
    async with platform_session() as session:
        await api_keys.revoke(session=session, principal=owner, key_id=key.id)
    with pytest.raises(Unauthenticated):
        await auth.principal_from_bearer(secret)
    expiring, expiring_secret = await create_key(owner)
    async with platform_session() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == expiring.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with pytest.raises(Unauthenticated):
        await auth.principal_from_bearer(expiring_secret)
    with pytest.raises(Unauthenticated):
        await auth.principal_from_bearer("etf_" + "x" * 43)


async def test_only_admins_manage_keys_and_other_orgs_keys_are_not_found():
    org, _, owner = await make_owned_org()
    _, other_owner = (await make_owned_org())[1:]
    _, editor = await make_member(org, "editor")
    with pytest.raises(PermissionDenied):
        await create_key(editor)
    key, _ = await create_key(owner)
    async with platform_session() as session:
        with pytest.raises(NotFound):
            await api_keys.revoke(session=session, principal=other_owner, key_id=key.id)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": ["root"]}, "scopes"),
        ({"expires_at": datetime(2000, 1, 1, tzinfo=UTC)}, "expires_at"),
    ],
)
async def test_bad_key_input_names_the_field(kwargs, field):
    _, _, owner = await make_owned_org()
    with pytest.raises(Invalid) as caught:
        await create_key(owner, **kwargs)
    assert caught.value.field == field
