"""The whole dbt project (transformation:0) as a target, with a real scheduler and worker: a
schedule on it fires a `dbt build`, and an edge pipeline → dbt project builds after the load."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import FlowStatus, Run, RunStatus
from etlfabric.services import dependencies, flows, schedules
from etlfabric.services.targets import PROJECT_NAME
from tests.factories import call, make_owned_org
from tests.flow_factories import flow_of, flow_runs_of
from tests.pipeline_factories import make_pipeline, postgres_source, source_sql, warehouse
from tests.processes import start, stop, wait_for
from tests.run_factories import wait_status
from tests.transformation_factories import model, nodes, source, workload_sql

pytestmark = pytest.mark.slow
ENV = {"SCHEDULER_POLL_SECONDS": "0.5"}
NOT_NULL = [{"column": "id", "test": "not_null"}]


def scheduled_run(org_id: int, schedule_id: int) -> Run | None:
    with sync_tenant_session(org_id) as session:
        return session.scalar(select(Run).where(Run.schedule_id == schedule_id))


async def test_a_schedule_on_the_dbt_project_fires_a_build(celery_worker, tmp_path):
    _, _, owner = await make_owned_org()
    org = owner.org_id
    workload_sql(
        org,
        f"CREATE TABLE t{org}_raw.sales (id int, amount int)",
        f"INSERT INTO t{org}_raw.sales VALUES (1, 10), (2, 32)",
    )
    model(org, "stg_sales", f"select * from t{org}_raw.sales", materialization="table")
    model(
        org,
        "sales_total",
        "select sum(amount) as total from {{ ref('stg_sales') }}",
        schema="marts",
        materialization="table",
        tests=[{"column": "total", "test": "not_null"}],
    )
    made = await call(
        schedules.create,
        owner,
        target_type="transformation",
        target_id=0,
        kind="once",
        run_at=datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2),
        timezone="UTC",
    )
    assert made.target_name == PROJECT_NAME
    scheduler = start("scheduler", env=ENV, log=tmp_path / "scheduler.log")
    try:
        fired = wait_for(lambda: scheduled_run(org, made.schedule.id), 60, "the schedule to fire")
    finally:
        stop(scheduler)
    run = wait_status(org, fired.id, ["succeeded", "failed"], timeout=240)
    assert run.status is RunStatus.succeeded, run.error
    assert (run.target_id, run.target_name, run.trigger.value) == (0, PROJECT_NAME, "schedule")
    assert run.details["dbt"]["command"] == "build"
    built = nodes(run)
    assert {"stg_sales", "sales_total"} <= set(built)
    assert any(node["resource_type"] == "test" for node in built.values())
    assert workload_sql(org, f"select total from t{org}_marts.sales_total") == [(42,)]


async def test_a_pipeline_then_the_dbt_project_builds_after_the_load(celery_worker, source_db):
    _, _, owner = await make_owned_org()
    org = owner.org_id
    source_sql(
        source_db,
        "CREATE TABLE parcels (id int PRIMARY KEY, weight int)",
        "INSERT INTO parcels SELECT g, g * 2 FROM generate_series(1, 25) g",
    )
    pipeline = await make_pipeline(
        owner,
        await postgres_source(org, source_db),
        await warehouse(org),
        config={"table": "parcels"},
    )
    source(org, "parcels", source_name="depot", pipeline_id=pipeline.id)
    model(
        org,
        "stg_parcels",
        "select id, weight from {{ source('depot', 'parcels') }}",
        materialization="table",
        tests=NOT_NULL,
    )
    edge = await call(
        dependencies.create_edge,
        owner,
        upstream_type="pipeline",
        upstream_id=pipeline.id,
        downstream_type="transformation",
        downstream_id=0,
    )
    assert edge.downstream_name == PROJECT_NAME
    async with tenant_session(org) as session:
        root = await flows.run_with_downstream(
            session=session, principal=owner, target_type="pipeline", target_id=pipeline.id
        )
    flow = wait_for(
        lambda: (f := flow_of(owner, root.flow_id)).status is not FlowStatus.running and f,
        300,
        "the flow to end",
        step=0.5,
    )
    found = flow_runs_of(owner, root.flow_id)
    assert flow.status is FlowStatus.succeeded, {k: [r.error for r in v] for k, v in found.items()}
    [loaded], [built] = found[pipeline.name], found[PROJECT_NAME]
    assert built.trigger.value == "dependency" and built.target_id == 0
    assert built.started_at >= loaded.finished_at
    assert built.details["dbt"]["command"] == "build"
    assert nodes(built)["stg_parcels"]["status"] == "success"
    assert workload_sql(org, f"select count(*), sum(weight) from t{org}_staging.stg_parcels") == [
        (25, 650)
    ]
