import json
import logging

import pytest

from etlfabric.services import data_files
from tests.api.conftest import bearer, join, signup

SECRET = "canary-api-secret-41a7"


@pytest.fixture
async def owner(client):
    account = await signup(client)
    return {**account, "headers": bearer(account["access_token"])}


def pg_body(name="shop", **config):
    return {
        "name": name,
        "type": "postgres",
        "config": {"host": "127.0.0.1", "database": "postgres", "username": "postgres", **config},
        "credentials": {"password": SECRET},
    }


async def test_crud_test_and_credentials_never_come_back(client, owner, caplog):
    caplog.set_level(logging.DEBUG)
    headers, seen = owner["headers"], []
    listed = await client.get("/api/v1/connections", headers=headers)
    assert [(c["name"], c["is_managed"]) for c in listed.json()] == [("Warehouse", True)]
    made = await client.post("/api/v1/connections", json=pg_body(), headers=headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["credentials_set"] == {"password": True} and "credentials" not in body
    assert (body["type"], body["direction"], body["config"]["port"]) == ("postgres", "both", 5432)
    url = f"/api/v1/connections/{body['id']}"
    seen += [made, await client.get(url, headers=headers)]
    patched = await client.patch(url, json={"config": {"sslmode": "disable"}}, headers=headers)
    assert patched.status_code == 200 and patched.json()["config"]["sslmode"] == "disable"
    tested = await client.post(f"{url}/test", headers=headers)
    assert tested.status_code == 200 and tested.json()["ok"] is True, tested.text
    assert set(tested.json()) == {"ok", "message", "latency_ms"}
    audit = await client.get("/api/v1/audit", headers=headers)
    seen += [patched, tested, audit, await client.get("/api/v1/connections", headers=headers)]
    dump = json.dumps([answer.text for answer in seen]) + caplog.text
    assert SECRET not in dump
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


async def test_bad_input_names_the_field(client, owner):
    headers = owner["headers"]
    for body, field in [
        (pg_body(port=0), "config.port"),
        ({**pg_body(), "type": "warehouse"}, "type"),
        ({**pg_body(), "type": "mysql", "direction": "destination"}, "direction"),
        ({**pg_body(), "credentials": {"token": "x"}}, "credentials.token"),
    ]:
        answer = await client.post("/api/v1/connections", json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        assert field in answer.text, (field, answer.text)
    warehouse = (await client.get("/api/v1/connections", headers=headers)).json()[0]
    refused = await client.delete(f"/api/v1/connections/{warehouse['id']}", headers=headers)
    assert refused.status_code == 409


async def test_other_tenants_get_404_and_viewers_get_403(client, owner):
    made = await client.post("/api/v1/connections", json=pg_body(), headers=owner["headers"])
    url = f"/api/v1/connections/{made.json()['id']}"
    stranger = bearer((await signup(client))["access_token"])
    for method in ("get", "delete"):
        assert (await getattr(client, method)(url, headers=stranger)).status_code == 404
    assert (await client.post(f"{url}/test", headers=stranger)).status_code == 404
    assert (await client.patch(url, json={"name": "x"}, headers=stranger)).status_code == 404
    viewer = bearer((await join(client, owner["access_token"], "viewer"))["access_token"])
    assert (await client.get(url, headers=viewer)).status_code == 200
    assert (await client.patch(url, json={"name": "v"}, headers=viewer)).status_code == 403
    assert (await client.delete(url, headers=viewer)).status_code == 403
    created = await client.post("/api/v1/connections", json=pg_body("v"), headers=viewer)
    assert created.status_code == 403
    upload = await client.post(
        "/api/v1/files", files={"file": ("a.csv", b"id\n1\n")}, headers=viewer
    )
    assert upload.status_code == 403


async def test_files_upload_list_delete_and_sqlite_use(client, owner, monkeypatch):
    headers = owner["headers"]
    sent = await client.post(
        "/api/v1/files", files={"file": ("../../My Orders (1).CSV", b"id\n1\n")}, headers=headers
    )
    assert sent.status_code == 201, sent.text
    assert (sent.json()["name"], sent.json()["size"]) == ("My_Orders_1.csv", 5)
    bad = await client.post("/api/v1/files", files={"file": ("x.exe", b"MZ")}, headers=headers)
    assert bad.status_code == 422 and "file" in bad.text
    monkeypatch.setattr(data_files, "MAX_UPLOAD_BYTES", 10)
    big = await client.post(
        "/api/v1/files", files={"file": ("big.jsonl", b"{}\n" * 10)}, headers=headers
    )
    assert big.status_code == 422 and "larger than" in big.text
    names = [f["name"] for f in (await client.get("/api/v1/files", headers=headers)).json()]
    assert names == ["My_Orders_1.csv"]
    files_conn = await client.post(
        "/api/v1/connections",
        json={"name": "csvs", "type": "files", "config": {"format": "csv"}},
        headers=headers,
    )
    tested = await client.post(
        f"/api/v1/connections/{files_conn.json()['id']}/test", headers=headers
    )
    assert tested.json()["ok"] is True, tested.text
    escape = await client.delete("/api/v1/files/..%2F..%2Fsecrets.json", headers=headers)
    assert escape.status_code in (404, 422)
    gone = await client.delete("/api/v1/files/My_Orders_1.csv", headers=headers)
    assert gone.status_code == 204
    assert (await client.get("/api/v1/files", headers=headers)).json() == []
