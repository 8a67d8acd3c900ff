"""dbt on a real Celery worker: compile and preview answered by the warm dbt child (fast once
warm, fresh after an edit), lineage, and several organisations' runs at once in worker
processes."""

from __future__ import annotations

import statistics
import time

import pytest

from etlfabric.errors import Invalid
from etlfabric.models import RunStatus, Trigger
from etlfabric.services import dbt_project, transformations
from tests.factories import call, make_owned_org
from tests.run_factories import wait_status
from tests.transformation_factories import model, nodes, source, workload_sql


async def test_compile_and_preview_are_answered_warm_and_follow_edits(owner):
    org = owner.org_id
    workload_sql(
        org,
        f"CREATE TABLE t{org}_raw.items (id int, price numeric(8,2), sold date)",
        f"INSERT INTO t{org}_raw.items SELECT g, g * 1.5, date '2026-01-01' + g"
        " FROM generate_series(1, 150) g",
    )
    source(org, "items", source_name="shop")
    base = model(org, "stg_items", "select * from {{ source('shop', 'items') }}")
    top = model(org, "top_items", "select id, price from {{ ref('stg_items') }} where id > 140")

    compiled = await call(transformations.compile_sql, owner, transformation_id=top.id)
    assert f'"t{org}_staging"."stg_items"' in compiled["compiled_sql"]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        await call(transformations.compile_sql, owner, transformation_id=top.id)
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 1.0, timings

    shown = await call(transformations.preview, owner, transformation_id=base.id)
    assert shown["columns"] == ["id", "price", "sold"]
    assert len(shown["rows"]) == 100 and shown["rows"][0] == [1, 1.5, "2026-01-02"]

    await call(
        transformations.update,
        owner,
        transformation_id=top.id,
        sql="select id from {{ ref('stg_items') }} where id > 148",
    )
    again = await call(transformations.compile_sql, owner, transformation_id=top.id)
    assert "id > 148" in again["compiled_sql"]
    with pytest.raises(Invalid) as unbuilt:  # a preview reads what its refs have built
        await call(transformations.preview, owner, transformation_id=top.id)
    assert f'relation "t{org}_staging.stg_items" does not exist' in unbuilt.value.message
    run = await call(transformations.run, owner, transformation_id=base.id)
    assert wait_status(org, run.id, ["succeeded", "failed"], timeout=120).error is None
    rows = await call(transformations.preview, owner, transformation_id=top.id)
    assert rows == {"columns": ["id"], "rows": [[149], [150]]}


async def test_a_model_dbt_cannot_compile_answers_with_the_field_and_dbts_reason(owner):
    org = owner.org_id
    broken = model(org, "broken_jinja", "select {{ 1 + }}")
    with pytest.raises(Invalid) as refused:
        await call(transformations.compile_sql, owner, transformation_id=broken.id)
    assert refused.value.field == "sql" and "broken_jinja" in refused.value.message
    from etlfabric.db import sync_tenant_session
    from etlfabric.models import Transformation

    with sync_tenant_session(org) as session:
        session.get(Transformation, broken.id).enabled = False


async def test_lineage_goes_from_pipelines_through_sources_to_models(owner):
    from tests.pipeline_factories import make_pipeline, postgres_source, warehouse

    org = owner.org_id
    workload_sql(org, f"CREATE TABLE t{org}_raw.clicks (id int)")
    pipe = await make_pipeline(
        owner, await postgres_source(org, "postgres"), await warehouse(org), direct=True
    )
    source(org, "clicks", source_name="web", pipeline_id=pipe.id)
    model(org, "stg_clicks", "select * from {{ source('web', 'clicks') }}")
    model(org, "click_total", "select count(*) n from {{ ref('stg_clicks') }}", schema="marts")
    graph = await call(dbt_project.lineage, owner)
    ids = {node["name"]: node["id"] for node in graph["nodes"]}
    assert {"from": f"pipeline.{pipe.id}", "to": ids["clicks"]} in graph["edges"]
    assert {"from": ids["clicks"], "to": ids["stg_clicks"]} in graph["edges"]
    assert {"from": ids["stg_clicks"], "to": ids["click_total"]} in graph["edges"]


async def test_four_organisations_run_dbt_at_once_in_worker_processes(celery_worker):
    owners = [(await make_owned_org())[2] for _ in range(4)]
    started = []
    for number, principal in enumerate(owners):
        org = principal.org_id
        workload_sql(
            org,
            f"CREATE TABLE t{org}_raw.n (v int)",
            f"INSERT INTO t{org}_raw.n SELECT generate_series(1, {number + 1})",
        )
        model(org, "base_n", f"select v from t{org}_raw.n")
        total = model(org, "total_n", "select sum(v) s from {{ ref('base_n') }}", schema="marts")
        run = await call(
            transformations.run,
            principal,
            transformation_id=total.id,
            select="+total_n",
            trigger=Trigger.manual,
        )
        started.append((principal, run.id))
    for number, (principal, run_id) in enumerate(started):
        org = principal.org_id
        run = wait_status(org, run_id, ["succeeded", "failed"], timeout=180)
        assert run.status is RunStatus.succeeded, run.error
        assert set(nodes(run)) == {"base_n", "total_n"}
        expected = (number + 1) * (number + 2) // 2
        assert workload_sql(org, f"select s from t{org}_marts.total_n") == [(expected,)]


async def test_a_model_with_column_tests_previews_before_it_is_built(owner):
    org = owner.org_id
    workload_sql(
        org, f"CREATE TABLE t{org}_raw.tags (id int)", f"INSERT INTO t{org}_raw.tags VALUES (7)"
    )
    tests = [{"column": "id", "test": "not_null"}]
    tagged = model(org, "stg_tags", f"select id from t{org}_raw.tags", tests=tests)
    compiled = await call(transformations.compile_sql, owner, transformation_id=tagged.id)
    assert compiled["compiled_sql"].strip() == f"select id from t{org}_raw.tags"
    shown = await call(transformations.preview, owner, transformation_id=tagged.id)
    assert shown == {"columns": ["id"], "rows": [[7]]}
