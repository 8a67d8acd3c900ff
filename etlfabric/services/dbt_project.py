"""The organisation's dbt project as a whole: sources, seeds and snapshots (the parts that are
not models), runs of the whole project (build, seed, snapshot, source freshness, docs) and its
lineage. A project run is a Run of target type transformation with target id 0."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.db import tenant_session
from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import (
    DbtSeed,
    DbtSnapshot,
    DbtSource,
    Pipeline,
    Run,
    RunStatus,
    TargetType,
    Transformation,
    Trigger,
)
from etlfabric.models.targets import PROJECT_TARGET
from etlfabric.services import audit, dbt_requests, run_starts, tenancy
from etlfabric.services import transformation_checks as checks
from etlfabric.services.permissions import Principal, require
from etlfabric.services.transformations import check_schema, require_free_name
from etlfabric.transformations import results
from etlfabric.transformations.project import project_name

PERIODS = ("minute", "hour", "day")
STRATEGIES = ("timestamp", "check")
ALL_COLUMNS = "all"  # a check snapshot that compares every column
MAX_SEED_BYTES = 5_000_000
KINDS = {"source": DbtSource, "seed": DbtSeed, "snapshot": DbtSnapshot}


def _freshness(field: str, value) -> dict | None:
    if value in (None, {}):
        return None
    if not isinstance(value, dict) or value.get("period") not in PERIODS:
        raise Invalid(f"{field}.period", f"Choose a period of: {', '.join(PERIODS)}.")
    count = value.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise Invalid(f"{field}.count", "Give a whole number of periods, 1 or more.")
    return {"count": count, "period": value["period"]}


def clean_source(values: dict) -> dict:
    out = {
        "source_name": checks.check_name("source_name", values.get("source_name"), "A name"),
        "schema_name": checks.check_name("schema_name", values.get("schema_name"), "A schema"),
        "table_name": checks.check_column("table_name", values.get("table_name")),
        "pipeline_id": values.get("pipeline_id"),
        "description": str(values.get("description") or ""),
        "warn_after": _freshness("warn_after", values.get("warn_after")),
        "error_after": _freshness("error_after", values.get("error_after")),
        "loaded_at_field": None,
    }
    if values.get("loaded_at_field"):
        out["loaded_at_field"] = checks.check_column("loaded_at_field", values["loaded_at_field"])
    if (out["warn_after"] or out["error_after"]) and not out["loaded_at_field"]:
        raise Invalid("loaded_at_field", "Freshness needs the column that says when rows loaded.")
    return out


def clean_seed(values: dict) -> dict:
    text = values.get("csv")
    if not isinstance(text, str) or not text.strip():
        raise Invalid("csv", "Upload a CSV file with a header row.")
    if len(text.encode()) > MAX_SEED_BYTES:
        raise Invalid("csv", "A seed is at most 5 MB; load bigger files with a pipeline.")
    header = next(csv.reader(io.StringIO(text)), [])
    for column in header:
        checks.check_column("csv", column)
    return {
        "name": checks.check_name("name", values.get("name"), "A seed name"),
        "schema_name": checks.check_name("schema_name", values.get("schema_name"), "A schema"),
        "csv": text,
        "description": str(values.get("description") or ""),
    }


def clean_snapshot(values: dict) -> dict:
    strategy = values.get("strategy") or "timestamp"
    if strategy not in STRATEGIES:
        raise Invalid("strategy", "Choose timestamp or check.")
    sql = values.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        raise Invalid("sql", "Write the snapshot's SELECT statement.")
    out = {
        "name": checks.check_name("name", values.get("name"), "A snapshot name"),
        "schema_name": checks.check_name("schema_name", values.get("schema_name"), "A schema"),
        "sql": sql,
        "strategy": strategy,
        "unique_key": checks.check_column("unique_key", values.get("unique_key")),
        "updated_at_column": None,
        "check_cols": [],
        "description": str(values.get("description") or ""),
    }
    if strategy == "timestamp":
        out["updated_at_column"] = checks.check_column(
            "updated_at_column", values.get("updated_at_column")
        )
    else:
        cols = values.get("check_cols") or []
        if cols == ALL_COLUMNS:  # stored as no list: the project renders check_cols='all'
            return out
        if not isinstance(cols, list) or not cols:
            raise Invalid(
                "check_cols", "The check strategy needs the columns to compare (or 'all')."
            )
        out["check_cols"] = [checks.check_column("check_cols", c) for c in cols]
    return out


CLEAN = {"source": clean_source, "seed": clean_seed, "snapshot": clean_snapshot}


async def _load(session: AsyncSession, kind: str, row_id: int):
    row = await session.get(KINDS[kind], row_id)
    if row is None:
        raise NotFound(f"{kind.title()} not found.")
    return row


async def _checked(session, principal, kind: str, values: dict, row=None) -> dict:
    values = CLEAN[kind](values)
    await check_schema(session, principal.org_id, "schema_name", values["schema_name"])
    if kind != "source" and (row is None or row.name != values["name"]):
        await require_free_name(
            session, values["name"], skip=(KINDS[kind], row.id) if row else None
        )
    if kind == "source" and values["pipeline_id"] is not None:
        found = await session.scalar(
            select(Pipeline.id).where(
                Pipeline.id == values["pipeline_id"], Pipeline.deleted_at.is_(None)
            )
        )
        if found is None:
            raise Invalid("pipeline_id", f"There is no pipeline #{values['pipeline_id']} here.")
    return values


def _current(kind: str, row) -> dict:
    """The row's fields as create takes them: a check snapshot without columns compares all."""
    values = view(row)
    if kind == "snapshot" and values["strategy"] == "check" and not values["check_cols"]:
        values["check_cols"] = ALL_COLUMNS
    return values


def view(row) -> dict:
    fields = {c.key: getattr(row, c.key) for c in row.__table__.columns}
    return {k: v for k, v in fields.items() if k != "deleted_at"}


async def list_rows(*, session: AsyncSession, principal: Principal, kind: str) -> list:
    require(principal, "resources.read")
    model = KINDS[kind]
    return list(await session.scalars(select(model).order_by(model.id)))


async def create(*, session: AsyncSession, principal: Principal, kind: str, **fields):
    require(principal, "resources.write")
    values = await _checked(session, principal, kind, fields)
    row = KINDS[kind](**values)
    session.add(row)
    try:
        async with session.begin_nested():
            await session.flush()
    except Exception as exc:  # the (source, table) pair is unique
        raise Invalid("table_name", "This source table is declared already.") from exc
    await audit.record(
        session=session,
        principal=principal,
        action=f"dbt_{kind}.create",
        resource_type=f"dbt_{kind}",
        resource_id=row.id,
        new={k: v for k, v in values.items() if k != "csv"},
    )
    return row


async def update(*, session: AsyncSession, principal: Principal, kind: str, row_id: int, **fields):
    require(principal, "resources.write")
    row = await _load(session, kind, row_id)
    values = await _checked(session, principal, kind, {**_current(kind, row), **fields}, row)
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action=f"dbt_{kind}.update",
        resource_type=f"dbt_{kind}",
        resource_id=row.id,
        new={k: v for k, v in changed.items() if k != "csv"},
    )
    return row


async def _refuse_if_read(session: AsyncSession, kind: str, row) -> None:
    """Models still read it (source() for a source, ref() for a seed or snapshot): deleting it
    would break every compile and run of the project."""
    if kind == "source":
        wanted = (row.source_name, row.table_name)
        what = f"source('{row.source_name}', '{row.table_name}')"
    else:
        wanted, what = row.name, f"ref('{row.name}')"
    users = []
    for name, sql in await session.execute(
        select(Transformation.name, Transformation.sql).where(Transformation.deleted_at.is_(None))
    ):
        refs, sources = checks.references(sql)
        if wanted in (sources if kind == "source" else refs):
            users.append(name)
    if users:
        raise Conflict(
            f"Cannot delete {what}: {', '.join(sorted(users))} read(s) it; change those first."
        )


async def delete(*, session: AsyncSession, principal: Principal, kind: str, row_id: int) -> None:
    require(principal, "resources.write")
    row = await _load(session, kind, row_id)
    await _refuse_if_read(session, kind, row)
    await session.delete(row)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action=f"dbt_{kind}.delete",
        resource_type=f"dbt_{kind}",
        resource_id=row_id,
        old={"name": getattr(row, "name", None) or getattr(row, "table_name", None)},
    )


async def suggested_sources(*, session: AsyncSession, principal: Principal) -> list[dict]:
    """Tables pipelines loaded into the Warehouse (their last successful run says which), not
    declared as sources yet: what the sources page offers to declare."""
    require(principal, "resources.read")
    declared = {
        (schema, table)
        for schema, table in await session.execute(
            select(DbtSource.schema_name, DbtSource.table_name)
        )
    }
    suggestions, seen = [], set()
    query = (
        select(Pipeline.id, Pipeline.name, Run.details)
        .join(Run, (Run.target_id == Pipeline.id) & (Run.target_type == TargetType.pipeline))
        .where(Pipeline.deleted_at.is_(None), Run.status == RunStatus.succeeded)
        .order_by(Run.id.desc())
    )
    prefix = tenancy.data_schema(principal.org_id, "")
    for pipeline_id, name, details in await session.execute(query):
        # the run records the physical schema (t<org>_raw); a source names the data schema (raw)
        physical = str((details or {}).get("dataset") or "")
        if not physical.startswith(prefix):
            continue  # loaded outside the Warehouse: dbt cannot read it
        dataset = physical.removeprefix(prefix)
        for table in sorted((details or {}).get("tables") or {}):
            key = (dataset, table)
            if dataset and key not in declared and key not in seen:
                seen.add(key)
                suggestions.append(
                    {"pipeline_id": pipeline_id, "pipeline": name, "schema_name": dataset}
                    | {"table_name": table}
                )
    return suggestions


async def run_project(
    *,
    session: AsyncSession,
    principal: Principal,
    command: str,
    select_: str | None = None,
    trigger: Trigger = Trigger.manual,
) -> Run:
    """Queue a run of the whole project (or of one seed: command seed, select its name)."""
    require(principal, "runs.start")
    if command not in checks.PROJECT_COMMANDS:
        raise Invalid("command", f"Choose one of: {', '.join(checks.PROJECT_COMMANDS)}.")
    label = checks.PROJECT_COMMANDS[command]
    if command == "seed" and select_ is not None:
        found = await session.scalar(select(DbtSeed.id).where(DbtSeed.name == select_))
        if found is None:
            raise NotFound(f"There is no seed named '{select_}'.")
        label = f"dbt seed {select_}"
    return await run_starts.start_run(
        session=session,
        principal=principal,
        target_type=TargetType.transformation,
        target_id=PROJECT_TARGET,
        target_name=label,
        trigger=trigger,
        payload={"command": command, "select": select_},
    )


async def _last_catalog(session: AsyncSession) -> Run | None:
    """The latest successful docs run that read the warehouse's column types."""
    return await session.scalar(
        select(Run)
        .where(
            Run.target_type == TargetType.transformation,
            Run.target_id == PROJECT_TARGET,
            Run.status == RunStatus.succeeded,
            Run.details.has_key("catalog"),
        )
        .order_by(Run.id.desc())
        .limit(1)
    )


# (source, table, pipeline id, pipeline name) of each declared source a live pipeline loads
_LOADERS = (
    select(DbtSource.source_name, DbtSource.table_name, Pipeline.id, Pipeline.name)
    .join(Pipeline, Pipeline.id == DbtSource.pipeline_id)
    .where(Pipeline.deleted_at.is_(None))
)


async def lineage(*, principal: Principal) -> dict:
    """{"nodes", "edges", "catalog"}: pipelines → sources → models (and seeds, snapshots), from
    the project's manifest on a worker, plus the pipelines that load each declared source. Each
    node's columns [{name, type, description}] carry the types of the latest docs run's catalog
    (`catalog`: that run's id and end, or None when no docs run has read the warehouse yet).
    The database is read first, in a transaction of its own that ends before the worker is
    asked."""
    async with tenant_session(principal.org_id) as session:
        require(principal, "resources.read")
        loaders = (await session.execute(_LOADERS)).all()
        docs = await _last_catalog(session)
    graph = await dbt_requests.ask(principal.org_id, "lineage")
    if docs is not None:
        graph = results.with_catalog(graph, docs.details["catalog"])
    nodes, edges = list(graph["nodes"]), list(graph["edges"])
    project = project_name(principal.org_id)
    added = set()
    for source_name, table, pipeline_id, name in loaders:
        node_id = f"pipeline.{pipeline_id}"
        if node_id not in added:
            added.add(node_id)
            nodes.append(
                {"id": node_id, "type": "pipeline", "name": name, "schema": None}
                | {"description": "", "columns": []}
            )
        edges.append({"from": node_id, "to": f"source.{project}.{source_name}.{table}"})
    catalog = None
    if docs is not None:
        catalog = {"run_id": docs.id, "generated_at": docs.finished_at}
    return {"nodes": nodes, "edges": edges, "catalog": catalog}
