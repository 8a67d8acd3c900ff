"""The pipelines service: validation naming each field, connections and datasets of the tenant,
list with last and next run, update, delete with its edges, runs and full refresh, audit."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from etlfabric.db import tenant_session
from etlfabric.errors import Conflict, Invalid, NotFound, PermissionDenied
from etlfabric.models import AuditLog, Dependency, Organization, Pipeline, Run, Schedule
from etlfabric.services import dependencies, pipelines, schedules
from tests.factories import audit_rows, call, make_member, make_owned_org
from tests.pipeline_factories import make_connection, make_pipeline, warehouse
from tests.run_factories import make_script

pytestmark = pytest.mark.usefixtures("clean_queues")


async def pair(principal):
    return await make_connection(principal.org_id), await warehouse(principal.org_id)


async def audit_actions(principal, pipeline_id) -> list[str]:
    return [row.action for row in await audit_rows(principal, "pipeline", pipeline_id)]


async def count_pipelines(principal) -> int:
    async with tenant_session(principal.org_id) as session:
        return await session.scalar(select(func.count()).select_from(Pipeline))


async def test_create_get_and_list_a_table_pipeline_into_the_warehouse(owner):
    source, destination = await pair(owner)
    pipeline = await make_pipeline(
        owner,
        source,
        destination,
        name="CRM customers",
        config={"table": "customers", "incremental": {"cursor_column": "updated_at"}},
        write_disposition="merge",
        primary_key="id",
        schema_contract={"columns": "freeze"},
        filters=[{"column": "country", "op": "in", "value": ["PT", "ES"]}],
        batch_size=50_000,
        sensitive_columns=["email"],
    )
    got = await call(pipelines.get, owner, pipeline_id=pipeline.id)
    view = pipelines.public_view(got)
    assert view["primary_key"] == ["id"] and view["sensitive_columns"] == ["email"]
    assert view["config"]["incremental"] == {"cursor_column": "updated_at", "initial_value": None}
    assert (view["source_connection_id"], view["dataset_name"]) == (source.id, "raw")
    [row] = await call(pipelines.list_pipelines, owner)
    assert row.pipeline.name == "CRM customers"
    assert (row.last_run_status, row.rows_loaded, row.next_run_at) == (None, None, None)
    assert await call(pipelines.list_pipelines, owner, search="nothing like it") == []
    assert await audit_actions(owner, pipeline.id) == ["pipeline.create"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"dataset_name": "Raw Data"}, "dataset_name"),
        ({"dataset_name": "1raw"}, "dataset_name"),
        ({"mode": "stream"}, "mode"),
        ({"config": {}}, "config.table"),
        ({"config": {"table": "t", "colour": "red"}}, "config.colour"),
        (
            {"config": {"table": "t", "incremental": {"initial_value": 1}}},
            "config.incremental.cursor_column",
        ),
        ({"mode": "database", "config": {"tables": []}}, "config.tables"),
        ({"mode": "rest", "config": {"resources": []}}, "config.resources"),
        ({"mode": "rest", "config": {"resources": [{"name": "x"}]}}, "config.resources[0].path"),
        (
            {"mode": "rest", "config": {"resources": [{"path": "/a", "cursor_path": "u"}]}},
            "config.resources[0].cursor_path",
        ),
        ({"mode": "odata", "config": {}}, "config.entity_set"),
        ({"mode": "files", "config": {"glob": "../other/*.csv"}}, "config.glob"),
        ({"mode": "files", "config": {"format": "xml"}}, "config.format"),
        ({"mode": "advanced", "config": {"base": "table", "table": "t"}}, "config.options"),
        (
            {"mode": "advanced", "config": {"base": "sql", "options": {"backend": "pyarrow"}}},
            "config.base",
        ),
        ({"config": {"table": "t", "options": {"dev_mode": True}}}, "config.options.dev_mode"),
        ({"config": {"table": "t", "options": {"backend": "spark"}}}, "config.options.backend"),
        ({"write_disposition": "upsert"}, "write_disposition"),
        ({"write_disposition": "merge"}, "primary_key"),
        ({"primary_key": ["id", "id"]}, "primary_key"),
        ({"schema_contract": {"rows": "freeze"}}, "schema_contract.rows"),
        ({"schema_contract": {"columns": "lock"}}, "schema_contract.columns"),
        ({"schema_contract": "freeze"}, "schema_contract"),
        ({"filters": [{"column": "a", "op": "like", "value": 1}]}, "filters[0].op"),
        ({"filters": [{"column": "a", "op": "in", "value": 1}]}, "filters[0].value"),
        ({"filters": [{"column": "a", "op": "gt", "value": [1]}]}, "filters[0].value"),
        ({"filters": [{"op": "eq", "value": 1}]}, "filters[0].column"),
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 1_000_001}, "batch_size"),
        ({"batch_size": "100"}, "batch_size"),
        ({"sensitive_columns": "email, phone" * 20}, "sensitive_columns[0]"),
        ({"sensitive_columns": {"email": True}}, "sensitive_columns"),
        ({"enabled": "yes"}, "enabled"),
        ({"colour": "red"}, "colour"),
        ({"source_connection_id": 999_999}, "source_connection_id"),
        ({"destination_connection_id": "1"}, "destination_connection_id"),
        ({"dataset_name": "t1_raw"}, "dataset_name"),
        ({"mode": "rest", "config": {"resources": [{"path": "/a"}]}}, "mode"),
    ],
)
async def test_each_bad_field_is_refused_by_name_and_nothing_is_saved(owner, fields, field):
    source, destination = await pair(owner)
    with pytest.raises((Invalid, NotFound)) as caught:
        await make_pipeline(owner, source, destination, **fields)
    assert caught.value.field == field
    assert await count_pipelines(owner) == 0


async def test_connections_must_face_the_right_way(owner):
    source, destination = await pair(owner)
    writer = await make_connection(owner.org_id, direction="destination")
    reader = await make_connection(owner.org_id, direction="source")
    with pytest.raises(Invalid) as caught:
        await make_pipeline(owner, writer, destination)
    assert caught.value.field == "source_connection_id" and "source or both" in str(caught.value)
    with pytest.raises(Invalid) as caught:
        await make_pipeline(owner, source, reader, dataset_name="anything")
    assert caught.value.field == "destination_connection_id"
    both = await make_connection(owner.org_id, direction="both")
    loaded = await make_pipeline(owner, both, writer, dataset_name="crm_copy")
    assert loaded.dataset_name == "crm_copy", "outside the Warehouse any identifier will do"


async def test_another_orgs_connection_pipeline_and_schema_are_out_of_reach(owner):
    other_org, _, other = await make_owned_org()
    their_pipeline = await make_pipeline(other, *(await pair(other)))
    for _ in range(3):  # ids are per tenant: theirs must be one we do not have
        theirs = await make_connection(other.org_id)
    source, destination = await pair(owner)
    with pytest.raises(NotFound) as caught:
        await make_pipeline(owner, theirs, destination)
    assert caught.value.field == "source_connection_id"
    for function in (pipelines.get, pipelines.delete, pipelines.run):
        with pytest.raises(NotFound):
            await call(function, owner, pipeline_id=their_pipeline.id)
    with pytest.raises(NotFound):
        await call(pipelines.update, owner, pipeline_id=their_pipeline.id, name="mine")
    with pytest.raises(Invalid) as caught:  # their data schema, by its physical name
        await make_pipeline(owner, source, destination, dataset_name=f"t{other_org.id}_raw")
    assert caught.value.field == "dataset_name"
    assert "raw, " in caught.value.message or "raw" in caught.value.message


async def test_update_checks_the_whole_pipeline_and_audits_what_changed(owner):
    source, destination = await pair(owner)
    pipeline = await make_pipeline(owner, source, destination, batch_size=10)
    with pytest.raises(Invalid) as caught:
        await call(pipelines.update, owner, pipeline_id=pipeline.id, write_disposition="merge")
    assert caught.value.field == "primary_key"
    with pytest.raises(Invalid) as caught:
        await call(pipelines.update, owner, pipeline_id=pipeline.id, mode="database")
    assert caught.value.field == "config"
    changed = await call(
        pipelines.update,
        owner,
        pipeline_id=pipeline.id,
        write_disposition="merge",
        primary_key=["id"],
        dataset_name="staging",
        batch_size=None,
        name=None,
    )
    assert (changed.write_disposition, changed.dataset_name) == ("merge", "staging")
    assert changed.batch_size is None and changed.name == pipeline.name
    disabled = await call(pipelines.set_enabled, owner, pipeline_id=pipeline.id, enabled=False)
    assert disabled.enabled is False
    async with tenant_session(owner.org_id) as session:
        row = await session.scalar(
            select(AuditLog).where(AuditLog.action == "pipeline.update").order_by(AuditLog.id)
        )
    assert row.old_values["write_disposition"] == "append"
    assert row.new_values["primary_key"] == ["id"]
    assert await audit_actions(owner, pipeline.id) == [
        "pipeline.create",
        "pipeline.update",
        "pipeline.update",
    ]
    with pytest.raises(Conflict, match="disabled"):
        await call(pipelines.run, owner, pipeline_id=pipeline.id)


async def test_names_are_unique_and_freed_by_delete_which_removes_edges(owner):
    source, destination = await pair(owner)
    pipeline = await make_pipeline(owner, source, destination, name="orders")
    with pytest.raises(Invalid) as caught:
        await make_pipeline(owner, source, destination, name="Orders")
    assert caught.value.field == "name"
    script = await make_script(owner.org_id, name="after orders")
    await call(
        dependencies.create_edge,
        owner,
        upstream_type="pipeline",
        upstream_id=pipeline.id,
        downstream_type="script",
        downstream_id=script.id,
    )
    await call(pipelines.delete, owner, pipeline_id=pipeline.id)
    async with tenant_session(owner.org_id) as session:
        assert await session.scalar(select(func.count()).select_from(Dependency)) == 0
        row = await session.scalar(select(AuditLog).where(AuditLog.action == "pipeline.delete"))
    assert row.old_values == {"name": "orders", "dataset_name": "raw", "dependencies": 1}
    with pytest.raises(NotFound):
        await call(pipelines.get, owner, pipeline_id=pipeline.id)
    again = await make_pipeline(owner, source, destination, name="orders")
    assert again.id != pipeline.id
    assert [r.pipeline.id for r in await call(pipelines.list_pipelines, owner)] == [again.id]


async def test_pipelines_with_the_longest_name_are_deleted_again_and_again(owner):
    source, destination = await pair(owner)
    longest = "p" * 200
    deleted = []
    for _ in range(2):
        pipeline = await make_pipeline(owner, source, destination, name=longest)
        await call(pipelines.delete, owner, pipeline_id=pipeline.id)
        deleted.append(pipeline.id)
    async with tenant_session(owner.org_id) as session:
        names = list(await session.scalars(select(Pipeline.name).where(Pipeline.id.in_(deleted))))
    assert sorted(len(name) for name in names) == [200, 200]
    assert {name.rpartition("~deleted-")[2] for name in names} == {str(i) for i in deleted}


async def test_viewers_read_but_cannot_write_or_run(owner):
    async with tenant_session(owner.org_id) as session:
        org = await session.get(Organization, owner.org_id)
    _, viewer = await make_member(org, "viewer")
    source, destination = await pair(owner)
    pipeline = await make_pipeline(owner, source, destination)
    assert (await call(pipelines.get, viewer, pipeline_id=pipeline.id)).id == pipeline.id
    with pytest.raises(PermissionDenied):
        await make_pipeline(viewer, source, destination)
    for function, extra in (
        (pipelines.update, {"name": "renamed"}),
        (pipelines.delete, {}),
        (pipelines.run, {}),
        (pipelines.set_enabled, {"enabled": False}),
    ):
        with pytest.raises(PermissionDenied):
            await call(function, viewer, pipeline_id=pipeline.id, **extra)
    assert (await call(pipelines.get, owner, pipeline_id=pipeline.id)).name == pipeline.name


async def test_runs_full_refresh_downstream_and_the_list_summary(owner):
    source, destination = await pair(owner)
    pipeline = await make_pipeline(owner, source, destination, name="orders")
    run = await call(pipelines.run, owner, pipeline_id=pipeline.id)
    assert (run.target_type.value, run.target_id, run.payload) == ("pipeline", pipeline.id, None)
    refresh = await call(pipelines.run, owner, pipeline_id=pipeline.id, full_refresh=True)
    assert refresh.payload == {"full_refresh": True}
    flow_root = await call(pipelines.run, owner, pipeline_id=pipeline.id, downstream=True)
    assert flow_root.flow_id is not None
    assert "pipeline.full_refresh" in await audit_actions(owner, pipeline.id)
    async with tenant_session(owner.org_id) as session:
        last = await session.get(Run, flow_root.id)
        last.rows_loaded = 1234
    item = await call(
        schedules.create,
        owner,
        target_type="pipeline",
        target_id=pipeline.id,
        kind="interval",
        interval_seconds=3600,
    )
    [row] = await call(pipelines.list_pipelines, owner)
    assert (row.last_run_id, row.last_run_status, row.rows_loaded) == (flow_root.id, "queued", 1234)
    assert row.next_run_at == item.schedule.next_fire_at
    assert row.next_run_at > datetime.now(UTC) - timedelta(minutes=1)
    async with tenant_session(owner.org_id) as session:
        assert await session.scalar(select(func.count()).select_from(Schedule)) == 1
