import time
import uuid

import pytest
from jose import jwt

from etlfabric.config import get_settings
from etlfabric.db import platform_session
from etlfabric.errors import Invalid, NotFound, TooManyRequests, Unauthenticated
from etlfabric.models import Role
from etlfabric.redis_client import get_redis
from etlfabric.services import auth, members, throttle, tokens
from tests.factories import make_member, make_owned_org

PASSWORD = "a long enough passphrase"


@pytest.fixture(autouse=True)
async def clean_throttle(monkeypatch):
    await get_redis().flushdb()
    # Small limits keep the test quick; the mechanism is the same at the real ones.
    monkeypatch.setattr(throttle, "ACCOUNT_LIMIT", 3)
    monkeypatch.setattr(throttle, "IP_LIMIT", 5)


async def signup(email=None, org_name="Founders Inc"):
    email = email or f"founder-{uuid.uuid4().hex[:8]}@example.com"
    return await auth.signup(email=email, password=PASSWORD, name="Founder", org_name=org_name)


async def test_signup_creates_account_org_and_owner_session():
    result = await signup()
    principal = await auth.principal_from_bearer(result.tokens.access_token)
    assert (principal.user_id, principal.org_id, principal.role) == (
        result.user.id,
        result.org.id,
        Role.owner,
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"password": "password123"}, "password"),
        ({"org_name": " "}, "org_name"),
        ({"email": "nope"}, "email"),
    ],
)
async def test_bad_signup_names_the_field_and_creates_nothing(kwargs, field):
    data = {"email": "new@example.com", "password": PASSWORD, "name": "N", "org_name": "Org"}
    with pytest.raises(Invalid) as caught:
        await auth.signup(**{**data, **kwargs})
    assert caught.value.field == field
    with pytest.raises(Unauthenticated):
        await auth.login(email="new@example.com", password=PASSWORD)


async def test_login_throttles_per_account_without_permanent_lockout():
    await signup("target@example.com")
    for number, email in enumerate(("target@example.com", "ghost@example.com")):
        for _ in range(throttle.ACCOUNT_LIMIT):
            with pytest.raises(Unauthenticated):
                await auth.login(email=email, password="wrong password", ip=f"10.0.0.{number}")
        with pytest.raises(TooManyRequests) as caught:
            await auth.login(email=email, password=PASSWORD, ip=f"10.0.1.{number}")
        assert 0 < caught.value.retry_after <= throttle.WINDOW_SECONDS
    await get_redis().delete(*await get_redis().keys("throttle:login:account:*"))
    assert (await auth.login(email="target@example.com", password=PASSWORD)).access_token


async def test_login_throttles_per_ip():
    for number in range(throttle.IP_LIMIT):
        with pytest.raises(Unauthenticated):
            await auth.login(email=f"spray{number}@example.com", password="x" * 9, ip="10.9.9.9")
    with pytest.raises(TooManyRequests):
        await auth.login(email="fresh@example.com", password="x" * 9, ip="10.9.9.9")


async def test_refresh_rotates_and_reuse_revokes_the_family():
    first = (await signup()).tokens
    second = await auth.refresh(refresh_token=first.refresh_token)
    assert second.refresh_token != first.refresh_token
    with pytest.raises(Unauthenticated):
        await auth.refresh(refresh_token=first.refresh_token)  # stolen and replayed
    with pytest.raises(Unauthenticated):
        await auth.refresh(refresh_token=second.refresh_token)  # the family is gone


async def test_logout_ends_the_session():
    pair = (await signup()).tokens
    await auth.logout(refresh_token=pair.refresh_token)
    with pytest.raises(Unauthenticated):
        await auth.refresh(refresh_token=pair.refresh_token)
    await auth.logout(refresh_token=pair.refresh_token)  # twice is harmless


def forge(**overrides) -> str:
    claims = {
        "sub": "1",
        "org": 1,
        "typ": "access",
        "aud": tokens.AUDIENCE,
        "iss": tokens.ISSUER,
        "exp": int(time.time()) + 600,
    }
    claims.update(overrides)
    return jwt.encode(claims, get_settings().secret_key.get_secret_value(), algorithm="HS256")


def test_jwt_matrix_is_all_unauthenticated():
    valid = tokens.create_access_token(user_id=1, org_id=1)
    header, payload, signature = valid.split(".")
    unsigned_none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + "."
    cases = {
        "alg none": unsigned_none,
        "tampered signature": f"{header}.{payload}.{signature[:-4]}AAAA",
        "expired": forge(exp=int(time.time()) - 5),
        "wrong audience": forge(aud="someone-else"),
        "wrong type": forge(typ="refresh"),
        "refresh token as access": "opaque-refresh-token-value",
        "other secret": jwt.encode(
            {
                "sub": "1",
                "org": 1,
                "typ": "access",
                "aud": tokens.AUDIENCE,
                "exp": int(time.time()) + 60,
            },
            "x" * 40,
            algorithm="HS256",
        ),
        "no exp": jwt.encode(
            {"sub": "1", "org": 1, "typ": "access", "aud": tokens.AUDIENCE, "iss": tokens.ISSUER},
            get_settings().secret_key.get_secret_value(),
            algorithm="HS256",
        ),
    }
    for name, token in cases.items():
        with pytest.raises(Unauthenticated):
            tokens.decode_access_token(token)
            pytest.fail(f"{name} was accepted")
    assert tokens.decode_access_token(valid).user_id == 1


async def test_removed_member_loses_access_and_refresh_at_once():
    org, _, owner = await make_owned_org()
    member, _ = await make_member(org, "editor", password=PASSWORD)
    pair = await auth.login(email=member.email, password=PASSWORD)
    async with platform_session() as session:
        await members.remove_member(session=session, principal=owner, user_id=member.id)
    with pytest.raises(Unauthenticated):
        await auth.principal_from_bearer(pair.access_token)
    with pytest.raises(Unauthenticated):
        await auth.refresh(refresh_token=pair.refresh_token)


async def test_switch_org_only_to_own_organisations():
    mine = await signup()
    other, _, _ = await make_owned_org()
    principal = await auth.principal_from_bearer(mine.tokens.access_token)
    with pytest.raises(NotFound):
        await auth.switch_org(principal=principal, org_id=other.id)
    _, second_principal = await make_member(other, "viewer")
    pair = await auth.switch_org(principal=second_principal, org_id=other.id)
    switched = await auth.principal_from_bearer(pair.access_token)
    assert (switched.org_id, switched.role) == (other.id, Role.viewer)
