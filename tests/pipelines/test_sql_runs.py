"""SQL sources (PostgreSQL, MariaDB) into the organisation's Warehouse, through the run engine."""

from __future__ import annotations

import psycopg2

from etlfabric.models import RunStatus
from etlfabric.pipelines import inspect
from etlfabric.services import tenancy
from tests.pipeline_factories import (
    SOURCE_PASSWORD,
    make_connection,
    make_pipeline,
    postgres_source,
    source_sql,
    warehouse,
)
from tests.pipeline_runs import execute


def warehouse_rows(org_id: int, table: str, order: str = "id") -> list:
    from etlfabric.config import get_settings

    schema = tenancy.data_schema(org_id, "raw")
    dsn = get_settings().database_url
    with psycopg2.connect(dsn) as db, db.cursor() as cursor:
        cursor.execute(f'SELECT id, name FROM "{schema}"."{table}" ORDER BY {order}')
        rows = cursor.fetchall()
    db.close()
    return rows


async def test_incremental_append_takes_only_new_rows_with_progress_and_results(owner, source_db):
    source_sql(
        source_db,
        "CREATE TABLE customers (id int PRIMARY KEY, name text, score numeric(8,2))",
        "INSERT INTO customers SELECT g, 'c' || g, g * 1.5 FROM generate_series(1, 3) g",
    )
    source = await postgres_source(owner.org_id, source_db)
    wh = await warehouse(owner.org_id)
    pipeline = await make_pipeline(
        owner,
        source,
        wh,
        config={"table": "customers", "incremental": {"cursor_column": "id", "initial_value": 0}},
    )
    first, texts = execute(owner.org_id, pipeline)
    assert first.status is RunStatus.succeeded, (first.error, texts)
    assert first.rows_loaded == 3 and first.details["tables"] == {"customers": 3}
    assert first.details["load_id"]
    assert any(t.startswith("extract: 3 rows") for t in texts), texts
    assert any(t.endswith("with dlt's connectorx backend") for t in texts), texts
    assert any(t.startswith("normalize: 3 rows") for t in texts)
    assert any(t.startswith("load: 3 rows into t") for t in texts)
    assert not any("ETLFABRIC_RESULT" in t or SOURCE_PASSWORD in t for t in texts)
    assert {"change": "new_table", "table": "customers"}.items() <= first.details["schema_changes"][
        0
    ].items()

    source_sql(source_db, "INSERT INTO customers VALUES (4, 'c4', 1), (5, 'c5', 2)")
    second, _ = execute(owner.org_id, pipeline)
    assert second.status is RunStatus.succeeded and second.rows_loaded == 2
    assert second.details["schema_changes"] == []
    assert [r[0] for r in warehouse_rows(owner.org_id, "customers")] == [1, 2, 3, 4, 5]


async def test_merge_updates_without_duplicates_and_replace_reloads(owner, source_db):
    source_sql(
        source_db,
        "CREATE TABLE accounts (id int PRIMARY KEY, name text)",
        "INSERT INTO accounts VALUES (1, 'a'), (2, 'b')",
    )
    source = await postgres_source(owner.org_id, source_db)
    wh = await warehouse(owner.org_id)
    merged = await make_pipeline(
        owner,
        source,
        wh,
        config={"table": "accounts"},
        write_disposition="merge",
        primary_key=["id"],
    )
    replaced = await make_pipeline(
        owner,
        source,
        wh,
        dataset_name="staging",
        config={"table": "accounts"},
        write_disposition="replace",
    )
    for pipeline in (merged, replaced):
        run, texts = execute(owner.org_id, pipeline)
        assert run.status is RunStatus.succeeded, (run.error, texts)
    source_sql(source_db, "UPDATE accounts SET name = 'b2' WHERE id = 2")
    source_sql(source_db, "INSERT INTO accounts VALUES (3, 'c')")
    for pipeline in (merged, replaced):
        run, texts = execute(owner.org_id, pipeline)
        assert run.status is RunStatus.succeeded and run.rows_loaded == 3, (run.error, texts)
    assert warehouse_rows(owner.org_id, "accounts") == [(1, "a"), (2, "b2"), (3, "c")]
    staging = tenancy.data_schema(owner.org_id, "staging")
    from etlfabric.config import get_settings

    with psycopg2.connect(get_settings().database_url) as db, db.cursor() as cursor:
        cursor.execute(f'SELECT id, name FROM "{staging}".accounts ORDER BY id')
        assert cursor.fetchall() == [(1, "a"), (2, "b2"), (3, "c")]
    db.close()


def mariadb(*statements: str) -> None:
    import pymysql

    db = pymysql.connect(host="127.0.0.1", port=3306, user="root", autocommit=True)
    with db.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    db.close()


async def test_mariadb_table_with_filters_applied_at_the_source(owner):
    import os

    name = f"etf_src_{os.getpid()}"
    mariadb(
        f"DROP DATABASE IF EXISTS {name}",
        f"CREATE DATABASE {name}",
        f"CREATE TABLE {name}.orders (id int PRIMARY KEY, name varchar(20), region varchar(8))",
        f"INSERT INTO {name}.orders VALUES (1,'o1','eu'),(2,'o2','us'),(3,'o3','eu'),(4,'o4','ap')",
    )
    try:
        source = await make_connection(
            owner.org_id,
            type="mysql",
            config={"host": "127.0.0.1", "port": 3306, "database": name, "username": "root"},
        )
        pipeline = await make_pipeline(
            owner,
            source,
            await warehouse(owner.org_id),
            config={"table": "orders"},
            filters=[
                {"column": "region", "op": "in", "value": ["eu", "us"]},
                {"column": "id", "op": "gte", "value": 2},
            ],
            batch_size=1,
        )
        run, texts = execute(owner.org_id, pipeline)
        assert run.status is RunStatus.succeeded, (run.error, texts)
        assert warehouse_rows(owner.org_id, "orders") == [(2, "o2"), (3, "o3")]
    finally:
        mariadb(f"DROP DATABASE IF EXISTS {name}")


async def test_freeze_names_the_new_column_and_evolve_records_it(owner, source_db):
    source_sql(
        source_db,
        "CREATE TABLE items (id int PRIMARY KEY, name text)",
        "INSERT INTO items VALUES (1, 'x')",
    )
    source = await postgres_source(owner.org_id, source_db)
    wh = await warehouse(owner.org_id)
    frozen = await make_pipeline(
        owner, source, wh, config={"table": "items"}, schema_contract={"columns": "freeze"}
    )
    evolving = await make_pipeline(
        owner,
        source,
        wh,
        dataset_name="marts",
        config={"table": "items"},
        schema_contract={"columns": "evolve"},
    )
    for pipeline in (frozen, evolving):
        run, texts = execute(owner.org_id, pipeline)
        assert run.status is RunStatus.succeeded, (run.error, texts)
    source_sql(source_db, "ALTER TABLE items ADD COLUMN colour text DEFAULT 'red'")
    refused, texts = execute(owner.org_id, frozen)
    assert refused.status is RunStatus.failed
    assert "new column 'colour' in table 'items'" in refused.error, refused.error
    assert refused.details["contract_violations"] == [
        {"table": "items", "column": "colour", "entity": "columns", "mode": "freeze"}
    ]
    evolved, texts = execute(owner.org_id, evolving)
    assert evolved.status is RunStatus.succeeded, (evolved.error, texts)
    assert evolved.details["schema_changes"] == [
        {"change": "new_column", "table": "items", "column": "colour", "data_type": "text"}
    ]


async def test_a_sqlite_file_in_the_organisations_folder_loads_into_the_warehouse(owner):
    import sqlite3

    from etlfabric.db import tenant_session
    from etlfabric.services import connections
    from etlfabric.services.connection_access import files_dir

    path = files_dir(owner.org_id) / "shop.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT, price NUMERIC(8,2), "
        "weight REAL, added_at DATETIME);"
        "INSERT INTO products VALUES (1, 'cup', 3.50, 0.2, '2024-05-01 08:00:00'),"
        "(2, 'mug', 4.25, 0.35, '2024-05-02 09:30:00'), (3, 'jar', 7, 0.5, '2024-05-03 10:45:00');"
    )
    db.commit()
    async with tenant_session(owner.org_id) as session:
        source = await connections.create(
            session=session,
            principal=owner,
            name="shop file",
            type="sqlite",
            config={"path": "shop.sqlite"},
        )
    incremental = {"cursor_column": "added_at", "initial_value": "2024-05-01 12:00:00"}
    pipeline = await make_pipeline(
        owner,
        source,
        await warehouse(owner.org_id),
        config={"table": "products", "incremental": incremental},
    )
    first, texts = execute(owner.org_id, pipeline)
    assert first.status is RunStatus.succeeded, (first.error, texts)
    assert first.rows_loaded == 2 and first.details["tables"] == {"products": 2}
    assert warehouse_rows(owner.org_id, "products") == [(2, "mug"), (3, "jar")]

    db.execute("INSERT INTO products VALUES (4, 'pot', 12.5, 1.1, '2024-05-04 11:00:00')")
    db.commit()
    db.close()
    second, texts = execute(owner.org_id, pipeline)
    assert second.status is RunStatus.succeeded and second.rows_loaded == 1, (second.error, texts)
    names, rows = inspect.preview_rows(owner.org_id, pipeline, "products")
    assert names == ["id", "name", "price", "weight", "added_at"]
    assert sorted(rows)[-1] == [4, "pot", "12.50", 1.1, "2024-05-04T11:00:00"]

    bad = await make_pipeline(
        owner,
        source,
        await warehouse(owner.org_id),
        config={"table": "products", "incremental": {**incremental, "initial_value": "soon"}},
    )
    refused, texts = execute(owner.org_id, bad)
    assert refused.status is RunStatus.failed, texts
    assert "The initial value 'soon' is not a timestamp" in refused.error, refused.error
    assert "config.incremental.initial_value" in refused.error


async def test_postgres_filters_reach_the_query_connectorx_sends(owner, source_db):
    source_sql(
        source_db,
        "CREATE TABLE tickets (id int PRIMARY KEY, name text, region text, opened date)",
        "INSERT INTO tickets VALUES (1,'t1','eu','2024-01-01'),(2,'t2','us','2024-02-01'),"
        "(3,'t3','eu','2024-03-01'),(4,'t4','ap','2024-04-01')",
    )
    source = await postgres_source(owner.org_id, source_db)
    pipeline = await make_pipeline(
        owner,
        source,
        await warehouse(owner.org_id),
        config={"table": "tickets"},
        filters=[
            {"column": "region", "op": "in", "value": ["eu", "us"]},
            {"column": "opened", "op": "gte", "value": "2024-02-01"},
        ],
    )
    run, texts = execute(owner.org_id, pipeline)
    assert run.status is RunStatus.succeeded, (run.error, texts)
    assert any(t.endswith("with dlt's connectorx backend") for t in texts), texts
    assert warehouse_rows(owner.org_id, "tickets") == [(2, "t2"), (3, "t3")]
