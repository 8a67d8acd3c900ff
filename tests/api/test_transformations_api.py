"""The transformations and dbt REST contract (issue #7): paths, fields, 202 runs with the dbt
command on the run, errors naming the field and changing nothing, 404 for another organisation,
403 for a viewer, audit rows."""

import pytest

from tests.api.conftest import bearer, join, signup
from tests.pipeline_runs import finish
from tests.transformation_factories import workload_sql

pytestmark = pytest.mark.usefixtures("clean_queues")

ISSUE_FIELDS = {
    "id",
    "name",
    "sql",
    "schema_name",
    "materialization",
    "unique_key",
    "description",
    "tests",
}
BODY = {
    "name": "stg_orders",
    "sql": "select 1 as id, 'paid' as status",
    "schema_name": "staging",
    "materialization": "table",
    "description": "Orders, cleaned",
    "columns": [{"name": "id", "description": "The order"}],
    "tests": [
        {"column": "id", "test": "unique"},
        {"column": "status", "test": "accepted_values", "values": ["paid", "open"]},
    ],
}


@pytest.fixture
async def owner(client):
    account = await signup(client)
    return {**account, "headers": bearer(account["access_token"])}


async def test_create_read_change_list_run_test_and_delete(client, owner):
    headers = owner["headers"]
    made = await client.post("/api/v1/transformations", json=BODY, headers=headers)
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) >= ISSUE_FIELDS and body["tests"] == BODY["tests"]
    url = f"/api/v1/transformations/{body['id']}"
    assert (await client.get(url, headers=headers)).json() == body
    marts = {
        "name": "orders",
        "sql": "select * from {{ ref('stg_orders') }}",
        "schema_name": "marts",
        "materialization": "incremental",
        "unique_key": "id",
        "tests": [{"column": "id", "test": "relationships", "to": "stg_orders", "field": "id"}],
    }
    downstream = await client.post("/api/v1/transformations", json=marts, headers=headers)
    assert downstream.status_code == 201, downstream.text
    changed = await client.patch(url, json={"description": "Orders"}, headers=headers)
    assert changed.status_code == 200 and changed.json()["description"] == "Orders"
    listed = await client.get("/api/v1/transformations", headers=headers)
    assert [t["name"] for t in listed.json()] == ["orders", "stg_orders"]

    run = await client.post(f"{url}/runs", params={"select": "stg_orders+"}, headers=headers)
    assert run.status_code == 202, run.text
    assert (run.json()["target_type"], run.json()["target_id"]) == ("transformation", body["id"])
    bad_select = await client.post(f"{url}/runs", params={"select": "+other"}, headers=headers)
    assert bad_select.status_code == 422 and bad_select.json()["field"] == "select"
    tested = await client.post(f"{url}/test", headers=headers)
    assert tested.status_code == 202
    build = await client.post("/api/v1/dbt/build", headers=headers)
    assert build.status_code == 202 and build.json()["target_name"] == "dbt build"

    # referenced by orders: deleting it would break the project
    refused = await client.delete(url, headers=headers)
    assert refused.status_code == 409 and "orders" in refused.json()["detail"]
    gone = await client.delete(
        f"/api/v1/transformations/{downstream.json()['id']}", headers=headers
    )
    assert gone.status_code == 204
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404
    audit = await client.get(
        "/api/v1/audit", params={"action": "transformation.create"}, headers=headers
    )
    assert audit.status_code == 200, audit.text
    assert (
        len([row for row in audit.json()["items"] if row["action"] == "transformation.create"]) == 2
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Bad Name!"}, "name"),
        ({"sql": "  "}, "sql"),
        ({"schema_name": "tenant_1"}, "schema_name"),
        ({"materialization": "materialized_view"}, "materialization"),
        ({"unique_key": "id"}, "unique_key"),  # a table has no unique key
        ({"tests": [{"column": "id", "test": "between"}]}, "tests.0.test"),
        ({"tests": [{"column": "id", "test": "accepted_values"}]}, "tests.0.values"),
        (
            {"tests": [{"column": "id", "test": "relationships", "to": "nope", "field": "id"}]},
            "tests.0.to",
        ),
        ({"sql": "select * from {{ ref('missing_model') }}"}, "sql"),
        ({"sql": "select * from {{ source('raw', 'nothing') }}"}, "sql"),
        ({"columns": [{"name": "a b"}]}, "columns.0.name"),
    ],
)
async def test_validation_errors_name_the_field_and_change_nothing(client, owner, change, field):
    headers = owner["headers"]
    answer = await client.post("/api/v1/transformations", json={**BODY, **change}, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert (await client.get("/api/v1/transformations", headers=headers)).json() == []


async def test_names_are_unique_across_models_seeds_and_snapshots(client, owner):
    headers = owner["headers"]
    seed = {"name": "stg_orders", "schema_name": "raw", "csv": "id,status\n1,paid\n"}
    assert (await client.post("/api/v1/dbt/seeds", json=seed, headers=headers)).status_code == 201
    again = await client.post("/api/v1/transformations", json=BODY, headers=headers)
    assert again.status_code == 422 and again.json()["field"] == "name"
    seed_run = await client.post("/api/v1/dbt/seeds/stg_orders/runs", headers=headers)
    assert seed_run.status_code == 202 and seed_run.json()["target_name"] == "dbt seed stg_orders"
    assert (await client.post("/api/v1/dbt/seeds/nope/runs", headers=headers)).status_code == 404


async def test_sources_seeds_and_snapshots_validate_their_fields(client, owner):
    headers = owner["headers"]
    source = {"source_name": "shop", "schema_name": "raw", "table_name": "orders"}
    fresh = {**source, "warn_after": {"count": 2, "period": "hour"}}
    refused = await client.post("/api/v1/dbt/sources", json=fresh, headers=headers)
    assert refused.status_code == 422 and refused.json()["field"] == "loaded_at_field"
    bad_period = {**fresh, "loaded_at_field": "at", "warn_after": {"count": 1, "period": "week"}}
    refused = await client.post("/api/v1/dbt/sources", json=bad_period, headers=headers)
    assert refused.json()["field"] == "warn_after.period"
    made = await client.post(
        "/api/v1/dbt/sources", json={**fresh, "loaded_at_field": "at"}, headers=headers
    )
    assert made.status_code == 201, made.text
    snapshot = {"name": "orders_history", "schema_name": "staging", "sql": "select 1 as id"}
    refused = await client.post(
        "/api/v1/dbt/snapshots", json={**snapshot, "unique_key": "id"}, headers=headers
    )
    assert refused.status_code == 422 and refused.json()["field"] == "updated_at_column"
    made = await client.post(
        "/api/v1/dbt/snapshots",
        json={**snapshot, "unique_key": "id", "strategy": "check", "check_cols": ["id"]},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    edited = await client.patch(
        f"/api/v1/dbt/snapshots/{made.json()['id']}", json={"strategy": "x"}, headers=headers
    )
    assert edited.status_code == 422 and edited.json()["field"] == "strategy"
    every = {**snapshot, "name": "orders_all", "unique_key": "id", "strategy": "check"}
    made = await client.post(
        "/api/v1/dbt/snapshots", json={**every, "check_cols": "all"}, headers=headers
    )
    assert made.status_code == 201 and made.json()["check_cols"] == [], made.text
    listed = await client.get("/api/v1/dbt/snapshots", headers=headers)
    assert [s["strategy"] for s in listed.json()] == ["check", "check"]


async def test_other_organisations_get_404_and_viewers_403(client, owner):
    headers = owner["headers"]
    made = await client.post("/api/v1/transformations", json=BODY, headers=headers)
    url = f"/api/v1/transformations/{made.json()['id']}"
    stranger = bearer((await signup(client))["access_token"])
    for method, path in [
        ("get", url),
        ("patch", url),
        ("delete", url),
        ("post", f"{url}/runs"),
        ("post", f"{url}/test"),
        ("post", f"{url}/compile"),
        ("post", f"{url}/preview"),
    ]:
        kwargs = {"json": {"description": "x"}} if method == "patch" else {}
        answer = await getattr(client, method)(path, headers=stranger, **kwargs)
        assert answer.status_code == 404, (method, path, answer.text)
    viewer = bearer((await join(client, owner["access_token"], "viewer"))["access_token"])
    assert (await client.get(url, headers=viewer)).status_code == 200
    denied = await client.post("/api/v1/transformations", json=BODY, headers=viewer)
    assert denied.status_code == 403
    assert (await client.post(f"{url}/runs", headers=viewer)).status_code == 403


async def test_source_freshness_reads_each_source_after_a_check(client, owner):
    headers, org = owner["headers"], owner["org"]["id"]
    workload_sql(
        org,
        f"CREATE TABLE t{org}_raw.orders (id int, at timestamp)",
        f"INSERT INTO t{org}_raw.orders VALUES (1, now() at time zone 'utc')",
    )
    body = {"source_name": "shop", "schema_name": "raw", "table_name": "orders"}
    fresh = {"loaded_at_field": "at", "warn_after": {"count": 1, "period": "hour"}}
    made = await client.post("/api/v1/dbt/sources", json={**body, **fresh}, headers=headers)
    url = "/api/v1/dbt/sources/freshness"
    before = (await client.get(url, headers=headers)).json()
    assert [(s["source_id"], s["status"], s["run_id"]) for s in before] == [
        (made.json()["id"], "never", None)
    ]
    started = await client.post(url, headers=headers)
    assert started.status_code == 202, started.text
    run, log = finish(org, started.json()["id"])
    assert run.status.value == "succeeded", (run.error, log)
    [after] = (await client.get(url, headers=headers)).json()
    assert (after["status"], after["run_id"], after["table_name"]) == ("pass", run.id, "orders")
    assert after["age_seconds"] < 600 and after["checked_at"] and after["max_loaded_at"]
    stranger = bearer((await signup(client))["access_token"])
    assert (await client.get(url, headers=stranger)).json() == []
