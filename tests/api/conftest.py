import uuid

import httpx
import pytest

from etlfabric.api.app import build_api
from etlfabric.redis_client import get_redis

PASSWORD = "a long enough passphrase"


@pytest.fixture(scope="session")
def api_app():
    return build_api()


@pytest.fixture
async def client(api_app):
    await get_redis().flushdb()
    transport = httpx.ASGITransport(app=api_app, client=("127.0.0.1", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


async def signup(client, **overrides) -> dict:
    body = {
        "email": f"u-{uuid.uuid4().hex[:10]}@example.com",
        "password": PASSWORD,
        "name": "Founder",
        "org_name": "Org " + uuid.uuid4().hex[:6],
    }
    body.update(overrides)
    answer = await client.post("/api/v1/auth/signup", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def join(client, owner_token: str, role: str) -> dict:
    """Invite a new person with `role` and accept: returns their token pair."""
    email = f"m-{uuid.uuid4().hex[:10]}@example.com"
    invite = await client.post(
        "/api/v1/invitations", json={"email": email, "role": role}, headers=bearer(owner_token)
    )
    assert invite.status_code == 201, invite.text
    token = invite.json()["token"]
    accepted = await client.post(
        f"/api/v1/invitations/{token}/accept", json={"password": PASSWORD, "name": role.title()}
    )
    assert accepted.status_code == 200, accepted.text
    return {**accepted.json(), "email": email}
