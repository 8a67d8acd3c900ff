"""The pipelines REST contract (issue #6): paths, field names, 202 runs, errors naming the field,
404 for another organisation, 403 for a viewer."""

import pytest

from tests.api.conftest import bearer, join, signup
from tests.pipeline_factories import make_connection, warehouse

pytestmark = pytest.mark.usefixtures("clean_queues")

ISSUE_FIELDS = {
    "id",
    "name",
    "source_connection_id",
    "destination_connection_id",
    "dataset_name",
    "mode",
    "config",
    "write_disposition",
    "primary_key",
    "schema_contract",
    "filters",
    "batch_size",
}


@pytest.fixture
async def owner(client):
    account = await signup(client)
    org_id = account["org"]["id"]
    source = await make_connection(org_id, name="crm")
    destination = await warehouse(org_id)
    body = {
        "name": "CRM customers",
        "source_connection_id": source.id,
        "destination_connection_id": destination.id,
        "dataset_name": "raw",
        "mode": "table",
        "config": {"table": "customers"},
    }
    return {**account, "headers": bearer(account["access_token"]), "body": body}


async def test_create_read_change_list_run_and_delete(client, owner):
    headers = owner["headers"]
    made = await client.post("/api/v1/pipelines", json=owner["body"], headers=headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) >= ISSUE_FIELDS and body["write_disposition"] == "append"
    assert "credentials" not in made.text and "password" not in made.text
    url = f"/api/v1/pipelines/{body['id']}"
    assert (await client.get(url, headers=headers)).json() == body
    changed = await client.patch(
        url, json={"write_disposition": "merge", "primary_key": ["id"]}, headers=headers
    )
    assert changed.status_code == 200 and changed.json()["primary_key"] == ["id"]
    run = await client.post(f"{url}/runs", params={"full_refresh": "true"}, headers=headers)
    assert run.status_code == 202, run.text
    assert (run.json()["target_type"], run.json()["target_id"]) == ("pipeline", body["id"])
    flow = await client.post(f"{url}/runs", params={"downstream": "true"}, headers=headers)
    assert flow.status_code == 202
    [listed] = (await client.get("/api/v1/pipelines", headers=headers)).json()
    assert listed["last_run"]["id"] == flow.json()["id"] and listed["next_run_at"] is None
    off = await client.post(f"{url}/disable", headers=headers)
    assert off.json()["enabled"] is False
    assert (await client.post(f"{url}/runs", headers=headers)).status_code == 409
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"dataset_name": "Not An Identifier"}, "dataset_name"),
        ({"write_disposition": "merge"}, "primary_key"),
        ({"filters": [{"column": "a", "op": "in", "value": 3}]}, "filters[0].value"),
        ({"config": {"table": "t", "options": {"dev_mode": True}}}, "config.options.dev_mode"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
async def test_errors_name_the_field(client, owner, change, field):
    answer = await client.post(
        "/api/v1/pipelines", json={**owner["body"], **change}, headers=owner["headers"]
    )
    assert answer.status_code == 422 and answer.json()["field"] == field, answer.text


async def test_another_org_gets_404_and_a_viewer_403(client, owner):
    made = await client.post("/api/v1/pipelines", json=owner["body"], headers=owner["headers"])
    url = f"/api/v1/pipelines/{made.json()['id']}"
    stranger = bearer((await signup(client))["access_token"])
    assert (await client.get(url, headers=stranger)).status_code == 404
    assert (await client.patch(url, json={"name": "x"}, headers=stranger)).status_code == 404
    assert (await client.post(f"{url}/runs", headers=stranger)).status_code == 404
    viewer = bearer((await join(client, owner["access_token"], "viewer"))["access_token"])
    assert (await client.get(url, headers=viewer)).status_code == 200
    assert (await client.patch(url, json={"name": "x"}, headers=viewer)).status_code == 403
    assert (await client.delete(url, headers=viewer)).status_code == 403
    assert (await client.post(f"{url}/runs", headers=viewer)).status_code == 403
    again = {**owner["body"], "name": "other"}
    assert (await client.post("/api/v1/pipelines", json=again, headers=viewer)).status_code == 403
