import random

from tests.api.conftest import bearer, join, signup


async def test_api_key_shown_once_scoped_and_revoked_at_once(client):
    owner = await signup(client)
    headers = bearer(owner["access_token"])
    created = await client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["read"]}, headers=headers
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("etf_") and created.json()["prefix"] == secret[:12]
    listed = await client.get("/api/v1/api-keys", headers=headers)
    assert "secret" not in listed.text and secret not in listed.text
    assert (await client.get("/api/v1/members", headers=bearer(secret))).status_code == 200
    write = await client.post(
        "/api/v1/invitations", json={"email": "k@example.com"}, headers=bearer(secret)
    )
    assert write.status_code == 403
    revoked = await client.delete(f"/api/v1/api-keys/{created.json()['id']}", headers=headers)
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/members", headers=bearer(secret))).status_code == 401


async def test_audit_lists_changes_with_filters(client):
    owner = await signup(client)
    headers = bearer(owner["access_token"])
    await client.patch("/api/v1/org", json={"name": "Renamed"}, headers=headers)
    await client.post("/api/v1/api-keys", json={"name": "k", "scopes": ["run"]}, headers=headers)
    page = (await client.get("/api/v1/audit", headers=headers)).json()
    assert [i["action"] for i in page["items"]] == ["api_key.create", "org.update", "org.create"]
    assert page["items"][1]["ip"] == "127.0.0.1"
    only = (
        await client.get("/api/v1/audit", params={"resource_type": "organization"}, headers=headers)
    ).json()
    assert only["total"] == 2  # created at sign-up, then renamed


async def test_thousand_cross_tenant_requests_all_404(client):
    org_a = await signup(client)
    org_b = await signup(client)
    b_headers = bearer(org_b["access_token"])
    b_member = await join(client, org_b["access_token"], "editor")
    b_key = (
        await client.post(
            "/api/v1/api-keys", json={"name": "b", "scopes": ["read"]}, headers=b_headers
        )
    ).json()
    b_invite = (
        await client.post("/api/v1/invitations", json={"email": "b@example.com"}, headers=b_headers)
    ).json()
    b_member_id = (await client.get("/api/v1/me", headers=bearer(b_member["access_token"]))).json()[
        "user"
    ]["id"]
    targets = [
        ("PATCH", f"/api/v1/members/{b_member_id}", {"role": "viewer"}),
        ("PATCH", f"/api/v1/members/{org_b['user']['id']}", {"role": "viewer"}),
        ("DELETE", f"/api/v1/members/{b_member_id}", None),
        ("DELETE", f"/api/v1/api-keys/{b_key['id']}", None),
        ("DELETE", f"/api/v1/invitations/{b_invite['id']}", None),
        ("POST", f"/api/v1/orgs/{org_b['org']['id']}/switch", None),
    ]
    a_headers = bearer(org_a["access_token"])
    rng = random.Random(7)
    statuses = []
    for _ in range(1000):
        method, path, body = rng.choice(targets)
        answer = await client.request(method, path, json=body, headers=a_headers)
        statuses.append(answer.status_code)
    assert set(statuses) == {404}
    members = (await client.get("/api/v1/members", headers=b_headers)).json()
    assert {m["role"] for m in members} == {"owner", "editor"}, "B's data is untouched"
    assert (await client.get("/api/v1/members", headers=bearer(b_key["secret"]))).status_code == 200
