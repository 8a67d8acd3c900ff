import time

from jose import jwt

from etlfabric.config import get_settings
from etlfabric.services import throttle, tokens
from tests.api.conftest import PASSWORD, bearer, join, signup


async def test_signup_login_me_refresh_logout(client):
    created = await signup(client, email="Flow@Example.com")
    assert set(created) >= {"user", "org", "access_token", "refresh_token", "token_type"}
    assert created["user"]["email"] == "flow@example.com" and created["org"]["role"] == "owner"
    login = await client.post(
        "/api/v1/auth/login", json={"email": "flow@example.com", "password": PASSWORD}
    )
    assert login.status_code == 200 and login.json()["token_type"] == "bearer"
    me = await client.get("/api/v1/me", headers=bearer(login.json()["access_token"]))
    assert me.json()["role"] == "owner" and me.json()["org"]["id"] == created["org"]["id"]
    fresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}
    )
    assert fresh.status_code == 200
    out = await client.post(
        "/api/v1/auth/logout", json={"refresh_token": fresh.json()["refresh_token"]}
    )
    assert out.status_code == 204
    again = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": fresh.json()["refresh_token"]}
    )
    assert again.status_code == 401


async def test_errors_name_the_field(client):
    answer = await client.post(
        "/api/v1/auth/signup",
        json={"email": "not-an-email", "password": PASSWORD, "name": "x", "org_name": "y"},
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "email" and answer.json()["detail"]
    common = await client.post(
        "/api/v1/auth/signup",
        json={"email": "c@example.com", "password": "password123", "name": "x", "org_name": "y"},
    )
    assert (common.status_code, common.json()["field"]) == (422, "password")


async def test_unknown_user_and_wrong_password_look_alike_then_429(client, monkeypatch):
    monkeypatch.setattr(throttle, "ACCOUNT_LIMIT", 2)
    created = await signup(client)
    email = created["user"]["email"]
    answers = []
    for who in (email, "nobody@example.com"):
        answer = await client.post(
            "/api/v1/auth/login", json={"email": who, "password": "nope!!!!"}
        )
        answers.append((answer.status_code, answer.json()))
    assert answers[0] == answers[1] and answers[0][0] == 401
    await client.post("/api/v1/auth/login", json={"email": email, "password": "nope!!!!"})
    limited = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def forged(**claims) -> str:
    base = {
        "sub": "1",
        "org": 1,
        "typ": "access",
        "aud": tokens.AUDIENCE,
        "iss": tokens.ISSUER,
        "exp": int(time.time()) + 600,
    }
    return jwt.encode(
        {**base, **claims}, get_settings().secret_key.get_secret_value(), algorithm="HS256"
    )


async def test_jwt_matrix_over_http_is_401(client):
    created = await signup(client)
    good = created["access_token"]
    header, payload, signature = good.split(".")
    bad = {
        "alg none": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + payload + ".",
        "tampered": f"{header}.{payload}.{signature[::-1]}",
        "expired": forged(exp=int(time.time()) - 1),
        "wrong audience": forged(aud="grafana"),
        "wrong type": forged(typ="refresh"),
        "refresh as access": created["refresh_token"],
        "garbage": "x",
    }
    for name, token in bad.items():
        answer = await client.get("/api/v1/me", headers=bearer(token))
        assert answer.status_code == 401, name
    assert (await client.get("/api/v1/me")).status_code == 401
    assert (await client.get("/api/v1/me", headers=bearer(good))).status_code == 200


async def test_viewer_gets_403_and_removed_member_gets_401(client):
    owner = await signup(client)
    viewer = await join(client, owner["access_token"], "viewer")
    forbidden = await client.post(
        "/api/v1/invitations",
        json={"email": "z@example.com"},
        headers=bearer(viewer["access_token"]),
    )
    assert forbidden.status_code == 403
    me = (await client.get("/api/v1/me", headers=bearer(viewer["access_token"]))).json()
    removed = await client.delete(
        f"/api/v1/members/{me['user']['id']}", headers=bearer(owner["access_token"])
    )
    assert removed.status_code == 204
    assert (
        await client.get("/api/v1/me", headers=bearer(viewer["access_token"]))
    ).status_code == 401
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": viewer["refresh_token"]}
    )
    assert refresh.status_code == 401


async def test_last_owner_cannot_leave_over_rest(client):
    owner = await signup(client)
    leave = await client.delete(
        f"/api/v1/members/{owner['user']['id']}", headers=bearer(owner["access_token"])
    )
    assert leave.status_code == 409 and "last owner" in leave.json()["detail"]


async def test_orgs_create_switch_and_patch(client):
    owner = await signup(client)
    headers = bearer(owner["access_token"])
    second = await client.post("/api/v1/orgs", json={"name": "Second"}, headers=headers)
    assert second.status_code == 201
    listed = await client.get("/api/v1/orgs", headers=headers)
    assert {o["name"] for o in listed.json()} == {owner["org"]["name"], "Second"}
    switched = await client.post(f"/api/v1/orgs/{second.json()['id']}/switch", headers=headers)
    new_headers = bearer(switched.json()["access_token"])
    assert (await client.get("/api/v1/org", headers=new_headers)).json()["name"] == "Second"
    patched = await client.patch(
        "/api/v1/org", json={"timezone": "Europe/Lisbon"}, headers=new_headers
    )
    assert patched.json()["timezone"] == "Europe/Lisbon"
    bad = await client.patch("/api/v1/org", json={"timezone": "Nowhere/City"}, headers=new_headers)
    assert (bad.status_code, bad.json()["field"]) == (422, "timezone")
    theme = await client.patch("/api/v1/me", json={"theme": "dark"}, headers=new_headers)
    assert theme.json()["user"]["theme"] == "dark"
