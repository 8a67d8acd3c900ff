"""Transformations: SQL models of the organisation's dbt project (DESIGN.md §7).

Field checks are transformation_checks.py (pure); here are the ones that need the database: the
schema is one of the organisation's data schemas, the name is free among models, seeds and
snapshots (dbt refs them all by name), and every ref()/source() the SQL names exists, so one
save cannot break the project for every other model. A run is a Run like any other; compile and
preview are answered by a worker (dbt_requests.py) after their own short transaction has ended;
every other call is one transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.db import tenant_session
from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import (
    DbtSeed,
    DbtSnapshot,
    DbtSource,
    Run,
    TargetType,
    Transformation,
    Trigger,
)
from etlfabric.services import audit, dbt_requests, dependencies, run_starts, tenancy
from etlfabric.services import transformation_checks as checks
from etlfabric.services.permissions import Principal, require


def public_view(model: Transformation) -> dict:
    return {
        "id": model.id,
        **{key: getattr(model, key) for key in checks.FIELDS},
        "created_at": model.created_at,
        "updated_at": model.updated_at,
    }


async def load(session: AsyncSession, model_id: int, *, for_update: bool = False):
    query = select(Transformation).where(
        Transformation.id == model_id, Transformation.deleted_at.is_(None)
    )
    model = await session.scalar(query.with_for_update() if for_update else query)
    if model is None:
        raise NotFound("Transformation not found.")
    return model


async def data_schemas(session: AsyncSession, org_id: int) -> list[str]:
    return await session.run_sync(lambda sync: tenancy.list_data_schemas(sync.connection(), org_id))


async def check_schema(session: AsyncSession, org_id: int, field: str, schema: str) -> None:
    own = await data_schemas(session, org_id)
    if schema not in own:
        raise Invalid(
            field,
            f"'{schema}' is not one of this organisation's data schemas; choose one of: "
            f"{', '.join(own) or '(none yet)'}.",
        )


async def node_names(session: AsyncSession, *, skip: tuple[type, int] | None = None) -> set[str]:
    """Names dbt refs: live models, seeds and snapshots (`skip`: the row being edited)."""
    names: set[str] = set()
    for kind in (Transformation, DbtSeed, DbtSnapshot):
        query = select(kind.name).where(kind.deleted_at.is_(None))
        if skip and skip[0] is kind:
            query = query.where(kind.id != skip[1])
        names |= set(await session.scalars(query))
    return names


async def require_free_name(session: AsyncSession, name: str, skip=None) -> None:
    taken = {n.lower() for n in await node_names(session, skip=skip)}
    if name.lower() in taken:
        raise Invalid(
            "name", f"A model, seed or snapshot named '{name}' already exists; choose another."
        )


async def check_references(session: AsyncSession, values: dict) -> None:
    """Every ref() and source() of the SQL, and every relationships test, points at something."""
    names = await node_names(session) | {values["name"]}
    refs, sources = checks.references(values["sql"])
    for ref in sorted(refs - names):
        raise Invalid("sql", f"ref('{ref}') names no model, seed or snapshot of this project.")
    declared = set(
        (await session.execute(select(DbtSource.source_name, DbtSource.table_name))).all()
    )
    for pair in sorted(sources - {tuple(row) for row in declared}):
        raise Invalid("sql", f"source('{pair[0]}', '{pair[1]}') is not a declared source table.")
    for index, test in enumerate(values["tests"]):
        if test["test"] == "relationships" and test["to"] not in names:
            raise Invalid(f"tests.{index}.to", f"'{test['to']}' is no model of this project.")


async def create(*, session: AsyncSession, principal: Principal, **fields) -> Transformation:
    require(principal, "resources.write")
    values = checks.clean(fields)
    await check_schema(session, principal.org_id, "schema_name", values["schema_name"])
    await require_free_name(session, values["name"])
    await check_references(session, values)
    model = Transformation(**values)
    session.add(model)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="transformation.create",
        resource_type="transformation",
        resource_id=model.id,
        new=values,
    )
    return model


async def update(
    *, session: AsyncSession, principal: Principal, transformation_id: int, **fields
) -> Transformation:
    """PATCH: given fields replace the current ones; the result is checked as a whole."""
    require(principal, "resources.write")
    for key in fields:
        if key not in checks.FIELDS:
            raise Invalid(key, f"'{key}' is not a transformation field.")
    model = await load(session, transformation_id, for_update=True)
    current = {key: getattr(model, key) for key in checks.FIELDS}
    given = {k: v for k, v in fields.items() if v is not None or k == "unique_key"}
    values = checks.clean({**current, **given})
    if values["schema_name"] != model.schema_name:
        await check_schema(session, principal.org_id, "schema_name", values["schema_name"])
    if values["name"] != model.name:
        await require_free_name(session, values["name"], skip=(Transformation, model.id))
        await refuse_if_referenced(session, model, "rename")
    await check_references(session, values)
    old, new = {}, {}
    for key, value in values.items():
        if current[key] != value:
            old[key], new[key] = current[key], value
            setattr(model, key, value)
    if not new:
        return model
    model.updated_at = datetime.now(UTC)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="transformation.update",
        resource_type="transformation",
        resource_id=model.id,
        old=old,
        new=new,
    )
    return model


async def refuse_if_referenced(session: AsyncSession, model: Transformation, what: str) -> None:
    """Other models ref() this one (or test a relationship to it): renaming or deleting it
    would break the project."""
    users = []
    others = await session.scalars(
        select(Transformation).where(
            Transformation.deleted_at.is_(None), Transformation.id != model.id
        )
    )
    for other in others:
        refs, _ = checks.references(other.sql)
        related = {t.get("to") for t in other.tests or [] if t.get("test") == "relationships"}
        if model.name in refs or model.name in related:
            users.append(other.name)
    if users:
        raise Conflict(
            f"Cannot {what} '{model.name}': {', '.join(sorted(users))} refer(s) to it; "
            "change those first."
        )


async def get(*, session: AsyncSession, principal: Principal, transformation_id: int):
    require(principal, "resources.read")
    return await load(session, transformation_id)


async def list_transformations(
    *, session: AsyncSession, principal: Principal, search: str = ""
) -> list[Transformation]:
    require(principal, "resources.read")
    query = select(Transformation).where(Transformation.deleted_at.is_(None))
    if term := (search or "").strip():
        query = query.where(Transformation.name.icontains(term, autoescape=True))
    return list(await session.scalars(query.order_by(func.lower(Transformation.name))))


async def delete(*, session: AsyncSession, principal: Principal, transformation_id: int) -> None:
    """Soft delete: its runs stay, its name is free, its dependency edges go. Refused while
    other models ref() it. The built table or view stays in the warehouse."""
    require(principal, "resources.write")
    model = await load(session, transformation_id, for_update=True)
    await refuse_if_referenced(session, model, "delete")
    old = {"name": model.name, "schema_name": model.schema_name}
    await dependencies.soft_delete_target(session, principal, TargetType.transformation, model, old)


async def run(
    *,
    session: AsyncSession,
    principal: Principal,
    transformation_id: int,
    select: str | None = None,
    command: str = "run",
    trigger: Trigger = Trigger.manual,
) -> Run:
    """Queue `dbt run` (or `test`, `build`) of the model, with upstream/downstream per select."""
    require(principal, "runs.start")
    model = await load(session, transformation_id)
    if not model.enabled:
        raise Conflict(f"Transformation '{model.name}' is disabled; enable it before running it.")
    payload = {"command": command, "select": checks.selection(model.name, select)}
    return await run_starts.start_run(
        session=session,
        principal=principal,
        target_type=TargetType.transformation,
        target_id=model.id,
        target_name=model.name,
        trigger=trigger,
        payload=payload,
    )


async def _checked_model(principal: Principal, transformation_id: int) -> int:
    """The model's id once the principal may read it: a short transaction of its own, ended
    before the worker is asked, so no pooled connection waits on dbt."""
    async with tenant_session(principal.org_id) as session:
        require(principal, "resources.read")
        return (await load(session, transformation_id)).id


async def compile_sql(*, principal: Principal, transformation_id: int):
    """{"compiled_sql"}: the model's SQL as dbt compiles it (refs and Jinja resolved)."""
    model_id = await _checked_model(principal, transformation_id)
    answer = await dbt_requests.ask(principal.org_id, "compile", model_id)
    return {"compiled_sql": answer["compiled_sql"]}


async def preview(*, principal: Principal, transformation_id: int):
    """{"columns", "rows"}: the model's first 100 rows (`dbt show`), as the workload role."""
    model_id = await _checked_model(principal, transformation_id)
    answer = await dbt_requests.ask(principal.org_id, "show", model_id)
    return {"columns": answer["columns"], "rows": answer["rows"]}
