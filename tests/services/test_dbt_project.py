"""The project's parts through the service: sources suggested from what pipelines really loaded
into the Warehouse; a check snapshot may compare every column ('all'), keeps doing so when
edited, and the project renders check_cols='all'."""

from __future__ import annotations

import pytest

from etlfabric.errors import Conflict, Invalid
from etlfabric.models import RunStatus
from etlfabric.services import dbt_project, transformations
from etlfabric.transformations.project import snapshot_sql
from tests.factories import call, make_owned_org
from tests.pipeline_factories import make_pipeline, postgres_source, source_sql, warehouse
from tests.pipeline_runs import execute
from tests.transformation_factories import model, seed, source


async def test_loaded_tables_are_suggested_by_data_schema_until_declared(owner, source_db):
    source_sql(
        source_db,
        "DROP TABLE IF EXISTS customers",
        "CREATE TABLE customers (id int PRIMARY KEY, name text)",
        "INSERT INTO customers VALUES (1, 'Ada'), (2, 'Grace')",
    )
    org = owner.org_id
    pipeline = await make_pipeline(
        owner, await postgres_source(org, source_db), await warehouse(org), name="Shop load"
    )
    assert await call(dbt_project.suggested_sources, owner) == []
    run, log = execute(org, pipeline)
    assert run.status is RunStatus.succeeded, (run.error, log)

    suggested = await call(dbt_project.suggested_sources, owner)
    assert suggested == [
        {
            "pipeline_id": pipeline.id,
            "pipeline": "Shop load",
            "schema_name": "raw",
            "table_name": "customers",
        }
    ]
    row = await call(dbt_project.create, owner, kind="source", source_name="raw", **suggested[0])
    assert (row.schema_name, row.table_name, row.pipeline_id) == ("raw", "customers", pipeline.id)
    assert await call(dbt_project.suggested_sources, owner) == []


SNAPSHOT = {
    "name": "orders_history",
    "schema_name": "staging",
    "sql": "select 1 as id",
    "unique_key": "id",
    "strategy": "check",
}


async def test_a_check_snapshot_compares_all_columns_and_stays_so_when_edited():
    _, _, owner = await make_owned_org()
    made = await call(dbt_project.create, owner, kind="snapshot", **SNAPSHOT, check_cols="all")
    assert made.check_cols == []
    edited = await call(
        dbt_project.update, owner, kind="snapshot", row_id=made.id, description="History"
    )
    assert (edited.description, edited.check_cols) == ("History", [])
    rendered = snapshot_sql(lambda schema: schema, {**SNAPSHOT, "check_cols": edited.check_cols})
    assert 'check_cols="all"' in rendered
    listed = await call(dbt_project.list_rows, owner, kind="snapshot")
    assert [row.name for row in listed] == ["orders_history"]


@pytest.mark.parametrize("cols", [[], None, "some", ["ok", "not ok"]])
async def test_a_check_snapshot_without_usable_columns_is_refused(cols):
    _, _, owner = await make_owned_org()
    with pytest.raises(Invalid) as refused:
        await call(dbt_project.create, owner, kind="snapshot", **SNAPSHOT, check_cols=cols)
    assert refused.value.field == "check_cols"
    assert await call(dbt_project.list_rows, owner, kind="snapshot") == []


async def test_sources_and_seeds_that_models_read_cannot_be_deleted_until_they_stop():
    _, _, owner = await make_owned_org()
    org = owner.org_id
    orders = source(org, "orders")
    codes = seed(org, "country_codes", "code,name\nNL,Netherlands\n")
    reader = model(
        org,
        "stg_orders",
        "select o.*, c.name from {{ source('raw', 'orders') }} o\n"
        "join {{ ref('country_codes') }} c on c.code = o.country",
    )
    with pytest.raises(Conflict, match=r"source\('raw', 'orders'\): stg_orders"):
        await call(dbt_project.delete, owner, kind="source", row_id=orders.id)
    with pytest.raises(Conflict, match=r"ref\('country_codes'\): stg_orders"):
        await call(dbt_project.delete, owner, kind="seed", row_id=codes.id)
    assert len(await call(dbt_project.list_rows, owner, kind="source")) == 1
    assert len(await call(dbt_project.list_rows, owner, kind="seed")) == 1

    await call(transformations.delete, owner, transformation_id=reader.id)
    await call(dbt_project.delete, owner, kind="source", row_id=orders.id)
    await call(dbt_project.delete, owner, kind="seed", row_id=codes.id)
    assert await call(dbt_project.list_rows, owner, kind="source") == []
