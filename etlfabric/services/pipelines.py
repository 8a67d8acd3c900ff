"""Pipelines: a source connection loaded by dlt into a destination connection's dataset.

Checks on the fields are pipeline_checks.py (pure); here are the ones that need the database:
the connections exist in this organisation and face the right way, and a dataset on the managed
Warehouse is one of the organisation's own data schemas. Deleting is a soft delete that frees
the name and removes the pipeline's dependency edges. A run is a Run like any other
(run_starts / flows); what dlt does in it is the runner's (etlfabric/pipelines/).
`session` is always the organisation's tenant session; one call is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import Connection, Pipeline, Run, Schedule, TargetType, Trigger
from etlfabric.models.connections import Direction
from etlfabric.services import audit, dependencies, flows, run_starts, tenancy
from etlfabric.services import pipeline_checks as checks
from etlfabric.services.connection_specs import LABELS, SOURCE_MODES
from etlfabric.services.permissions import Principal, require

EDITABLE = tuple(checks.FIELDS)
WAREHOUSE_TYPE = "warehouse"
READS = (Direction.source, Direction.both)
WRITES = (Direction.destination, Direction.both)


@dataclass(frozen=True)
class PipelineRow:
    """A line of the pipelines list: the pipeline, its latest run and its next scheduled one."""

    pipeline: Pipeline
    last_run_id: int | None
    last_run_status: str | None
    last_run_at: datetime | None  # finished, or queued when not finished yet
    rows_loaded: int | None  # by the latest run
    next_run_at: datetime | None  # the earliest next fire time of its enabled schedules


def public_view(pipeline: Pipeline) -> dict:
    """Every field a client may see (connections are referred to by id; no secret is here)."""
    return {
        "id": pipeline.id,
        "name": pipeline.name,
        "folder_id": pipeline.folder_id,
        **{key: getattr(pipeline, key) for key in checks.FIELDS if key != "name"},
        "created_at": pipeline.created_at,
        "updated_at": pipeline.updated_at,
    }


async def load(session: AsyncSession, pipeline_id: int, *, for_update: bool = False) -> Pipeline:
    """A live pipeline of this tenant, or NotFound (another tenant's id looks exactly the same)."""
    query = select(Pipeline).where(Pipeline.id == pipeline_id, Pipeline.deleted_at.is_(None))
    pipeline = await session.scalar(query.with_for_update() if for_update else query)
    if pipeline is None:
        raise NotFound("Pipeline not found.")
    return pipeline


async def _connection(session: AsyncSession, field: str, connection_id: int) -> Connection:
    found = await session.scalar(
        select(Connection).where(Connection.id == connection_id, Connection.deleted_at.is_(None))
    )
    if found is None:  # another organisation's connection is not found either
        raise NotFound(f"There is no connection #{connection_id} here.", field=field)
    return found


async def data_schemas(session: AsyncSession, org_id: int) -> list[str]:
    """The organisation's data schemas on its Warehouse, by short name (raw, staging...)."""
    return await session.run_sync(lambda sync: tenancy.list_data_schemas(sync.connection(), org_id))


async def _check_targets(session: AsyncSession, org_id: int, values: dict) -> None:
    """The connections exist here and face the right way; a Warehouse dataset is the org's."""
    source = await _connection(session, "source_connection_id", values["source_connection_id"])
    if source.direction not in READS:
        raise Invalid(
            "source_connection_id",
            f"Connection '{source.name}' is a {source.direction.value} only; "
            "choose a connection that can be read from (source or both).",
        )
    mode = values["mode"]
    if mode == "advanced":
        mode = (values.get("config") or {}).get("base")
    readable = SOURCE_MODES.get(source.type, ())
    if mode not in readable:
        field = "config.base" if values["mode"] == "advanced" else "mode"
        raise Invalid(
            field,
            f"A {LABELS.get(source.type, source.type)} source is read in mode "
            f"{' or '.join(readable)}, not {mode}; change the mode or the source connection.",
        )
    field = "destination_connection_id"
    destination = await _connection(session, field, values[field])
    if destination.direction not in WRITES:
        raise Invalid(
            field,
            f"Connection '{destination.name}' is a {destination.direction.value} only; "
            "choose a connection that can be written to (destination or both).",
        )
    if destination.is_managed or destination.type == WAREHOUSE_TYPE:
        schemas = await data_schemas(session, org_id)
        if values["dataset_name"] not in schemas:
            raise Invalid(
                "dataset_name",
                f"'{values['dataset_name']}' is not one of this organisation's data schemas on "
                f"the Warehouse; choose one of: {', '.join(schemas) or '(none yet)'}.",
            )


async def _flush_named(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A pipeline named '{name}' already exists; choose another name.") from exc


async def _require_free_name(session: AsyncSession, name: str, own_id: int | None = None):
    query = select(Pipeline.id).where(func.lower(Pipeline.name) == name.lower())
    if own_id is not None:
        query = query.where(Pipeline.id != own_id)
    if await session.scalar(query.limit(1)) is not None:
        raise Invalid("name", f"A pipeline named '{name}' already exists; choose another name.")


async def create(*, session: AsyncSession, principal: Principal, **fields) -> Pipeline:
    """A new pipeline; name, both connections, dataset_name and mode are required."""
    require(principal, "resources.write")
    values = checks.clean(fields)
    await _check_targets(session, principal.org_id, values)
    await _require_free_name(session, values["name"])
    pipeline = Pipeline(**values)
    session.add(pipeline)
    await _flush_named(session, values["name"])
    await audit.record(
        session=session,
        principal=principal,
        action="pipeline.create",
        resource_type="pipeline",
        resource_id=pipeline.id,
        new=values,
    )
    return pipeline


async def update(
    *, session: AsyncSession, principal: Principal, pipeline_id: int, **fields
) -> Pipeline:
    """Change any editable field (PATCH): the result is checked as a whole, so e.g. switching
    to merge without a primary key is refused. A field given as None keeps its value."""
    require(principal, "resources.write")
    for key in fields:
        if key not in EDITABLE:
            raise Invalid(key, f"'{key}' is not a pipeline field.")
    pipeline = await load(session, pipeline_id, for_update=True)
    current = {key: getattr(pipeline, key) for key in EDITABLE}
    # None keeps a value, except batch_size, where it means "the runner's default"
    given = {k: v for k, v in fields.items() if v is not None or k == "batch_size"}
    if "mode" in given and "config" not in given and given["mode"] != pipeline.mode:
        raise Invalid("config", "A new mode needs its own config; send both.")
    values = checks.clean({**current, **given})
    await _check_targets(session, principal.org_id, values)
    if values["name"] != pipeline.name:
        await _require_free_name(session, values["name"], pipeline.id)
    old, new = {}, {}
    for key, value in values.items():
        if current[key] != value:
            old[key], new[key] = current[key], value
            setattr(pipeline, key, value)
    if not new:
        return pipeline
    pipeline.updated_at = datetime.now(UTC)  # set here: a server-side onupdate would expire it
    await _flush_named(session, pipeline.name)
    await audit.record(
        session=session,
        principal=principal,
        action="pipeline.update",
        resource_type="pipeline",
        resource_id=pipeline.id,
        old=old,
        new=new,
    )
    return pipeline


async def set_enabled(
    *, session: AsyncSession, principal: Principal, pipeline_id: int, enabled: bool
) -> Pipeline:
    """Enable or disable: a disabled pipeline is not run by hand (schedules skip it too)."""
    return await update(
        session=session, principal=principal, pipeline_id=pipeline_id, enabled=enabled
    )


async def get(*, session: AsyncSession, principal: Principal, pipeline_id: int) -> Pipeline:
    require(principal, "resources.read")
    return await load(session, pipeline_id)


async def list_pipelines(
    *, session: AsyncSession, principal: Principal, search: str = ""
) -> list[PipelineRow]:
    """Live pipelines by name, each with its latest run and next scheduled run; `search`
    matches the name or the dataset, case-insensitive."""
    require(principal, "resources.read")
    runs = aliased(Run)
    last_id = (
        select(func.max(runs.id))
        .where(runs.target_type == TargetType.pipeline, runs.target_id == Pipeline.id)
        .correlate(Pipeline)
    ).scalar_subquery()
    next_at = (
        select(func.min(Schedule.next_fire_at)).where(
            Schedule.target_type == TargetType.pipeline,
            Schedule.target_id == Pipeline.id,
            Schedule.enabled.is_(True),
            Schedule.deleted_at.is_(None),
        )
    ).scalar_subquery()
    query = (
        select(Pipeline, Run, next_at.label("next_at"))
        .outerjoin(Run, Run.id == last_id)
        .where(Pipeline.deleted_at.is_(None))
    )
    if term := (search or "").strip():
        query = query.where(
            Pipeline.name.icontains(term, autoescape=True)
            | Pipeline.dataset_name.icontains(term, autoescape=True)
        )
    rows = await session.execute(query.order_by(func.lower(Pipeline.name), Pipeline.id))
    return [
        PipelineRow(
            pipeline=pipeline,
            last_run_id=last.id if last else None,
            last_run_status=last.status.value if last else None,
            last_run_at=(last.finished_at or last.queued_at) if last else None,
            rows_loaded=last.rows_loaded if last else None,
            next_run_at=next_run,
        )
        for pipeline, last, next_run in rows
    ]


async def delete(*, session: AsyncSession, principal: Principal, pipeline_id: int) -> None:
    """Soft delete; its runs stay, its name becomes free, its dependency edges go (a deleted
    target can neither wait for nor start anything). The loaded data is left in place."""
    require(principal, "resources.write")
    pipeline = await load(session, pipeline_id, for_update=True)
    old = {"name": pipeline.name, "dataset_name": pipeline.dataset_name}
    await dependencies.soft_delete_target(session, principal, TargetType.pipeline, pipeline, old)


async def run(
    *,
    session: AsyncSession,
    principal: Principal,
    pipeline_id: int,
    full_refresh: bool = False,
    downstream: bool = False,
    trigger: Trigger = Trigger.manual,
) -> Run:
    """Queue a run; `full_refresh` drops the loaded tables and state and loads everything again
    (the run's payload says so to the runner); `downstream` opens a flow (flows.py)."""
    require(principal, "runs.start")
    pipeline = await load(session, pipeline_id)
    if not pipeline.enabled:
        raise Conflict(f"Pipeline '{pipeline.name}' is disabled; enable it before running it.")
    payload = {"full_refresh": True} if full_refresh else None
    if downstream:
        started = await flows.run_with_downstream(
            session=session,
            principal=principal,
            target_type=TargetType.pipeline,
            target_id=pipeline.id,
            trigger=trigger,
            payload=payload,
        )
    else:
        started = await run_starts.start_run(
            session=session,
            principal=principal,
            target_type=TargetType.pipeline,
            target_id=pipeline.id,
            target_name=pipeline.name,
            trigger=trigger,
            payload=payload,
        )
    if full_refresh:
        await audit.record(
            session=session,
            principal=principal,
            action="pipeline.full_refresh",
            resource_type="pipeline",
            resource_id=pipeline.id,
            new={"run_id": started.id, "name": pipeline.name},
        )
    return started
