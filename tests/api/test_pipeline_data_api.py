"""The REST paths of issue #6 for what a pipeline loaded: state, reset (confirmed, audited),
tables, preview and export; and a full refresh started through the API. Runs are started with
POST /runs and carried out on the test's thread, as a worker would."""

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from etlfabric.db import platform_session
from etlfabric.models import Organization, RunStatus
from etlfabric.services.tokens import create_access_token
from tests.api.conftest import bearer
from tests.factories import make_member, make_owned_org
from tests.pipeline_factories import make_pipeline, postgres_source, source_sql, warehouse
from tests.pipeline_runs import finish


async def signed_in(org_id: int | None = None, role: str = "owner"):
    """(principal, headers): the owner of a new organisation, or a new `role` member of one."""
    if org_id is None:
        _, user, principal = await make_owned_org()
    else:
        async with platform_session() as session:
            org = await session.get(Organization, org_id)
        user, principal = await make_member(org, role)
    return principal, bearer(create_access_token(user_id=user.id, org_id=principal.org_id))


async def run_through_api(client, headers, org_id: int, url: str, **params):
    started = await client.post(f"{url}/runs", params=params, headers=headers)
    assert started.status_code == 202, started.text
    run, texts = finish(org_id, started.json()["id"])
    assert run.status is RunStatus.succeeded, (run.error, texts)
    return run


async def table_pipeline(owner, source_db: str, table: str, *statements: str, **fields):
    """A pipeline of the source database's `table` (dropped, then made by `statements`) into the
    Warehouse."""
    source_sql(source_db, f"DROP TABLE IF EXISTS {table}", *statements)
    return await make_pipeline(
        owner,
        await postgres_source(owner.org_id, source_db),
        await warehouse(owner.org_id),
        **({"config": {"table": table}} | fields),
    )


@pytest.fixture
async def orders(client, source_db):
    """An owner and their incremental pipeline of `orders` (`secret` is sensitive), run once."""
    owner, headers = await signed_in()
    pipeline = await table_pipeline(
        owner,
        source_db,
        "orders",
        "CREATE TABLE orders (id int PRIMARY KEY, item text, secret text)",
        "INSERT INTO orders VALUES (1, 'pen', 's1'), (2, 'ink', 's2'), (3, 'pad', 's3')",
        config={"table": "orders", "incremental": {"cursor_column": "id", "initial_value": 0}},
        sensitive_columns=["secret"],
    )
    url = f"/api/v1/pipelines/{pipeline.id}"
    run = await run_through_api(client, headers, owner.org_id, url)
    return {"owner": owner, "headers": headers, "pipeline": pipeline, "url": url, "run": run}


async def test_state_tables_preview_and_export(client, orders):
    url, headers = orders["url"], orders["headers"]
    state = await client.get(f"{url}/state", headers=headers)
    assert state.status_code == 200, state.text
    assert state.json()["cursors"] == {"orders": {"id": 3}}
    assert state.json()["last_load_id"] == orders["run"].details["load_id"]
    started = datetime.fromisoformat(state.json()["last_load_at"])  # the load id is its time
    assert started.timestamp() == pytest.approx(float(orders["run"].details["load_id"]))
    assert state.json()["reset_pending"] is None and state.json()["last_extracted_at"]

    tables = await client.get(f"{url}/tables", headers=headers)
    assert tables.json() == [
        {
            "name": "orders",
            "columns": [
                {"name": "id", "data_type": "bigint"},
                {"name": "item", "data_type": "character varying"},
            ],
        }
    ]
    preview = await client.get(f"{url}/tables/orders/preview", headers=headers)
    assert preview.json()["columns"] == ["id", "item"]
    assert sorted(preview.json()["rows"]) == [[1, "pen"], [2, "ink"], [3, "pad"]]
    assert "s1" not in preview.text
    two = await client.get(f"{url}/tables/orders/preview", params={"limit": 2}, headers=headers)
    assert len(two.json()["rows"]) == 2
    too_many = await client.get(
        f"{url}/tables/orders/preview", params={"limit": 1001}, headers=headers
    )
    assert too_many.status_code == 422 and too_many.json()["field"] == "limit"
    unknown = await client.get(f"{url}/tables/nope/preview", headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "The pipeline has not loaded a table named 'nope'."

    as_csv = await client.get(f"{url}/tables/orders/export", headers=headers)
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == 'attachment; filename="orders.csv"'
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0] == ["id", "item"] and sorted(rows[1:]) == [
        ["1", "pen"],
        ["2", "ink"],
        ["3", "pad"],
    ]
    as_xlsx = await client.get(
        f"{url}/tables/orders/export", params={"format": "xlsx"}, headers=headers
    )
    assert as_xlsx.headers["content-disposition"] == 'attachment; filename="orders.xlsx"'
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    assert sheet.title == "orders"
    assert sorted(sheet.iter_rows(min_row=2, values_only=True)) == [
        (1, "pen"),
        (2, "ink"),
        (3, "pad"),
    ]
    bad = await client.get(f"{url}/tables/orders/export", params={"format": "pdf"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "format"


async def test_reset_is_confirmed_audited_refused_to_viewers_and_hidden_from_others(client, orders):
    url, headers, pipeline = orders["url"], orders["headers"], orders["pipeline"]
    _, viewer = await signed_in(orders["owner"].org_id, "viewer")
    assert (await client.get(f"{url}/state", headers=viewer)).status_code == 200
    assert (await client.get(f"{url}/tables/orders/preview", headers=viewer)).status_code == 200
    refused = await client.post(f"{url}/reset", json={"confirm": pipeline.name}, headers=viewer)
    assert refused.status_code == 403

    _, stranger = await signed_in()
    for path in ("state", "tables", "tables/orders/preview", "tables/orders/export"):
        assert (await client.get(f"{url}/{path}", headers=stranger)).status_code == 404, path
    hidden = await client.post(f"{url}/reset", json={"confirm": pipeline.name}, headers=stranger)
    assert hidden.status_code == 404

    wrong = await client.post(f"{url}/reset", json={"confirm": "orders?"}, headers=headers)
    assert wrong.status_code == 422 and wrong.json()["field"] == "confirm"
    assert "name" in wrong.json()["detail"]
    missing = await client.post(f"{url}/reset", json={}, headers=headers)
    assert missing.status_code == 422 and missing.json()["field"] == "confirm"
    assert (await client.get(f"{url}/state", headers=headers)).json()["cursors"] != {}

    reset = await client.post(f"{url}/reset", json={"confirm": pipeline.name}, headers=headers)
    assert reset.status_code == 200, reset.text
    assert (reset.json()["cursors"], reset.json()["reset_pending"]) == ({}, "state")
    audit = await client.get(
        "/api/v1/audit", params={"action": "pipeline.reset_state"}, headers=headers
    )
    [entry] = audit.json()["items"]
    assert entry["resource_id"] == str(pipeline.id)
    assert entry["old_values"] == {"cursors": {"orders": {"id": 3}}}

    again = await run_through_api(client, headers, orders["owner"].org_id, url)
    assert again.rows_loaded == 3  # from the initial value again
    state = (await client.get(f"{url}/state", headers=headers)).json()
    assert state["cursors"] == {"orders": {"id": 3}} and state["reset_pending"] is None


async def test_a_full_refresh_replaces_the_loaded_table(client, source_db):
    owner, headers = await signed_in()
    pipeline = await table_pipeline(
        owner,
        source_db,
        "stock",
        "CREATE TABLE stock (id int PRIMARY KEY, name text)",
        "INSERT INTO stock VALUES (1, 'bolt'), (2, 'nut'), (3, 'washer')",
    )
    url = f"/api/v1/pipelines/{pipeline.id}"
    await run_through_api(client, headers, owner.org_id, url)
    source_sql(source_db, "DELETE FROM stock WHERE id = 2")

    refreshed = await run_through_api(client, headers, owner.org_id, url, full_refresh="true")
    assert refreshed.payload == {"full_refresh": True} and refreshed.rows_loaded == 2
    preview = await client.get(f"{url}/tables/stock/preview", headers=headers)
    assert sorted(preview.json()["rows"]) == [[1, "bolt"], [3, "washer"]]


async def test_a_pipeline_shows_only_its_own_tables_of_a_shared_dataset(client, orders, source_db):
    """A second pipeline into the same dataset shows nothing before its first run, never the
    first pipeline's `orders` (whose `secret` column only the first one hides), then only its own
    table."""
    owner, headers = orders["owner"], orders["headers"]
    second = await table_pipeline(
        owner,
        source_db,
        "parcels",
        "CREATE TABLE parcels (id int PRIMARY KEY, weight int)",
        "INSERT INTO parcels VALUES (1, 5)",
    )
    url = f"/api/v1/pipelines/{second.id}"
    assert (await client.get(f"{url}/tables", headers=headers)).json() == []
    for path in (
        "tables/orders/preview",
        "tables/orders/export",
        "tables/orders/export?format=xlsx",
    ):
        refused = await client.get(f"{url}/{path}", headers=headers)
        assert refused.status_code == 404, (path, refused.text)
        assert "s1" not in refused.text

    await run_through_api(client, headers, owner.org_id, url)
    tables = (await client.get(f"{url}/tables", headers=headers)).json()
    assert [table["name"] for table in tables] == ["parcels"]
    assert (await client.get(f"{url}/tables/orders/preview", headers=headers)).status_code == 404
    first = (await client.get(f"{orders['url']}/tables", headers=orders["headers"])).json()
    assert [table["name"] for table in first] == ["orders"]
    assert "secret" not in str(first)
