"""dbt runs as Runs, with real dbt on the organisation's own schemas."""

from __future__ import annotations

from etlfabric.models import RunStatus
from tests.factories import make_owned_org
from tests.transformation_factories import (
    execute,
    model,
    nodes,
    seed,
    snapshot,
    source,
    workload_sql,
)


async def test_a_ref_chain_runs_with_upstream_and_records_each_node(owner):
    org = owner.org_id
    workload_sql(
        org,
        f"CREATE TABLE t{org}_raw.orders (id int, amount int, status text)",
        f"INSERT INTO t{org}_raw.orders VALUES (1, 10, 'paid'), (2, 20, 'open'), (3, 5, 'paid')",
    )
    model(org, "stg_orders", f"select * from t{org}_raw.orders", materialization="view")
    paid = model(
        org,
        "paid_orders",
        "select id, amount from {{ ref('stg_orders') }} where status = 'paid'",
        schema="marts",
        materialization="table",
    )
    run, log = execute(org, paid, select="+paid_orders")
    assert run.status is RunStatus.succeeded, (run.error, log)
    found = nodes(run)
    assert found["stg_orders"]["status"] == "success"
    assert found["paid_orders"]["rows_affected"] == 2
    assert run.rows_loaded == 2
    assert any("OK created sql table model" in line for line in log), log
    assert workload_sql(org, f"select sum(amount) from t{org}_marts.paid_orders") == [(15,)]


async def test_tests_pass_and_fail_with_failing_row_counts_and_sql(owner):
    org = owner.org_id
    workload_sql(
        org,
        f"CREATE TABLE t{org}_raw.people (id int, email text, kind text)",
        f"INSERT INTO t{org}_raw.people VALUES (1, 'a@x', 'b2b'), (2, null, 'b2c'),"
        " (2, null, 'other')",
    )
    people = model(
        org,
        "people",
        f"select * from t{org}_raw.people",
        materialization="table",
        tests=[
            {"column": "email", "test": "not_null"},
            {"column": "id", "test": "unique"},
            {"column": "kind", "test": "accepted_values", "values": ["b2b", "b2c", "other"]},
        ],
    )
    run, _ = execute(org, people, command="build")
    assert run.status is RunStatus.failed
    found = nodes(run)
    assert found["accepted_values_people_kind__b2b__b2c__other"]["status"] == "pass"
    failing = found["not_null_people_email"]
    assert failing["status"] == "fail" and failing["failures"] == 2
    assert "email is null" in failing["compiled_sql"]
    assert found["unique_people_id"]["failures"] == 1
    assert "2 of 3 tests failed" in run.error and "not_null_people_email (2 failing rows)" in (
        run.error
    )
    workload_sql(org, f"DELETE FROM t{org}_raw.people WHERE email IS NULL")
    run, log = execute(org, people, command="build")
    assert run.status is RunStatus.succeeded, (run.error, log)
    assert {n["status"] for n in run.details["dbt"]["nodes"]} == {"success", "pass"}


async def test_an_incremental_model_takes_only_new_rows_on_its_second_run(owner):
    org = owner.org_id
    workload_sql(
        org,
        f"CREATE TABLE t{org}_raw.events (id int, at timestamptz)",
        f"INSERT INTO t{org}_raw.events VALUES (1, '2026-01-01'), (2, '2026-01-02')",
    )
    events = model(
        org,
        "events_inc",
        f"select * from t{org}_raw.events\n"
        "{% if is_incremental() %} where at > (select max(at) from {{ this }}) {% endif %}",
        materialization="incremental",
        unique_key="id",
    )
    first, _ = execute(org, events)
    assert first.status is RunStatus.succeeded, first.error
    assert nodes(first)["events_inc"]["rows_affected"] == 2
    workload_sql(org, f"INSERT INTO t{org}_raw.events VALUES (3, '2026-01-03')")
    second, _ = execute(org, events)
    assert second.status is RunStatus.succeeded, second.error
    assert nodes(second)["events_inc"]["rows_affected"] == 1
    assert workload_sql(org, f"select count(*) from t{org}_staging.events_inc") == [(3,)]


async def test_a_seed_loads_and_a_snapshot_records_a_change(owner):
    org = owner.org_id
    seed(org, "countries", "code,name\nde,Germany\nfr,France\n")
    loaded, log = execute(org, None, command="seed", select="countries")
    assert loaded.status is RunStatus.succeeded, (loaded.error, log)
    assert nodes(loaded)["countries"]["rows_affected"] == 2
    assert workload_sql(org, f"select count(*) from t{org}_raw.countries") == [(2,)]
    workload_sql(
        org,
        f"CREATE TABLE t{org}_raw.customers (id int, tier text, updated timestamp)",
        f"INSERT INTO t{org}_raw.customers VALUES (1, 'free', '2026-01-01')",
    )
    snapshot(
        org,
        "customers_history",
        f"select * from t{org}_raw.customers",
        strategy="timestamp",
        unique_key="id",
        updated_at_column="updated",
    )
    first, log = execute(org, None, command="snapshot")
    assert first.status is RunStatus.succeeded, (first.error, log)
    workload_sql(org, f"UPDATE t{org}_raw.customers SET tier = 'pro', updated = '2026-02-01'")
    second, _ = execute(org, None, command="snapshot")
    assert second.status is RunStatus.succeeded, second.error
    history = workload_sql(
        org,
        f"select tier, dbt_valid_to is null from t{org}_staging.customers_history order by 1",
    )
    assert history == [("free", False), ("pro", True)]


async def test_source_freshness_warns_and_errors(owner):
    org = owner.org_id
    workload_sql(
        org,
        f"CREATE TABLE t{org}_raw.loads (id int, loaded_at timestamp)",
        f"INSERT INTO t{org}_raw.loads VALUES (1, now() at time zone 'utc' - interval '3 hours')",
    )
    limits = {"loaded_at_field": "loaded_at", "warn_after": {"count": 1, "period": "hour"}}
    row = source(org, "loads", source_name="feeds", **limits)
    warned, log = execute(org, None, command="freshness")
    assert warned.status is RunStatus.succeeded, (warned.error, log)
    assert nodes(warned)["loads"]["status"] == "warn"
    from etlfabric.db import sync_tenant_session
    from etlfabric.models import DbtSource

    with sync_tenant_session(org) as session:
        session.get(DbtSource, row.id).error_after = {"count": 2, "period": "hour"}
    failed, _ = execute(org, None, command="freshness")
    assert failed.status is RunStatus.failed
    assert nodes(failed)["loads"]["status"] == "error"
    assert "source 'loads' failed" in failed.error


async def test_a_model_reading_another_organisations_schema_is_denied():
    _, _, other = await make_owned_org()
    _, _, mine = await make_owned_org()
    workload_sql(other.org_id, f"CREATE TABLE t{other.org_id}_raw.secret (id int)")
    thief = model(mine.org_id, "steal", f"select * from t{other.org_id}_raw.secret")
    run, log = execute(mine.org_id, thief)
    assert run.status is RunStatus.failed
    assert "model 'steal' failed" in run.error and "permission denied" in run.error
    assert any("permission denied" in line for line in log)


async def test_docs_generate_gives_lineage_with_column_types_from_sources_to_models(owner):
    org = owner.org_id
    workload_sql(org, f"CREATE TABLE t{org}_raw.visits (id int, seen date)")
    source(org, "visits", source_name="web")
    model(
        org,
        "stg_visits",
        "select * from {{ source('web', 'visits') }}",
        description="Visits",
        columns=[{"name": "id", "description": "The visit"}],
    )
    model(org, "visit_count", "select count(*) as n from {{ ref('stg_visits') }}", schema="marts")
    built, log = execute(org, None)  # no command: the whole project builds
    assert built.status is RunStatus.succeeded and built.details["dbt"]["command"] == "build", log
    run, log = execute(org, None, command="docs")
    assert run.status is RunStatus.succeeded, (run.error, log)
    lineage = run.details["lineage"]
    ids = {node["name"]: node["id"] for node in lineage["nodes"]}
    assert {"from": ids["visits"], "to": ids["stg_visits"]} in lineage["edges"]
    assert {"from": ids["stg_visits"], "to": ids["visit_count"]} in lineage["edges"]
    described = next(n for n in lineage["nodes"] if n["name"] == "stg_visits")
    assert described["description"] == "Visits" and described["schema"] == f"t{org}_staging"
    # the catalog read the warehouse: every relation's columns with their PostgreSQL types
    assert run.details["catalog"][ids["visits"]] == [["id", "integer"], ["seen", "date"]]
    assert described["columns"] == [
        {"name": "id", "type": "integer", "description": "The visit"},
        {"name": "seen", "type": "date", "description": ""},
    ]
    counted = next(n for n in lineage["nodes"] if n["name"] == "visit_count")
    assert counted["columns"] == [{"name": "n", "type": "bigint", "description": ""}]
