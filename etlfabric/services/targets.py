"""The kinds of work a run, schedule or dependency points at, and how to find a live one.

One table per kind; each has `id`, `name` and a soft-delete `deleted_at`. One target has no row:
transformation 0, the organisation's whole dbt project (a run of it with no command is a
`dbt build`), live while the project has a model, seed or snapshot. The queries here are plain
statements, so the async services and the sync worker side both run them.
"""

from __future__ import annotations

from sqlalchemy import CompoundSelect, Select, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import DbtSeed, DbtSnapshot, Pipeline, Script, TargetType, Transformation
from etlfabric.models.targets import PROJECT_TARGET
from etlfabric.services.permissions import Principal, require

MODELS = {
    TargetType.script: Script,
    TargetType.pipeline: Pipeline,
    TargetType.transformation: Transformation,
}

Key = tuple[TargetType, int]  # (target_type, target_id): one node of the dependency graph
PROJECT: Key = (TargetType.transformation, PROJECT_TARGET)
PROJECT_NAME = "dbt project (build all)"


def key(target_type: TargetType | str, target_id: int) -> Key:
    return TargetType(target_type), int(target_id)


def is_project(target_type: TargetType | str, target_id: int) -> bool:
    return key(target_type, target_id) == PROJECT


def _project_exists():
    """The project has something to build: a live model, a seed or a snapshot."""
    return or_(
        select(Transformation.id).where(Transformation.deleted_at.is_(None)).exists(),
        select(DbtSeed.id).exists(),
        select(DbtSnapshot.id).exists(),
    )


def live(target_type: TargetType | str, target_id: int) -> Select:
    """The target's name if it exists and is not deleted (no row otherwise)."""
    if is_project(target_type, target_id):
        return select(literal(PROJECT_NAME)).where(_project_exists())
    model = MODELS[TargetType(target_type)]
    return select(model.name).where(model.id == target_id, model.deleted_at.is_(None))


def all_live() -> CompoundSelect:
    """(type, id, name) of every live target of the tenant, the dbt project included."""
    parts = [
        select(literal(kind.value).label("type"), model.id, model.name).where(
            model.deleted_at.is_(None)
        )
        for kind, model in MODELS.items()
    ]
    project = select(
        literal(TargetType.transformation.value).label("type"),
        literal(PROJECT_TARGET).label("id"),
        literal(PROJECT_NAME).label("name"),
    ).where(_project_exists())
    return union_all(*parts, project)


async def choices(*, session: AsyncSession, principal: Principal) -> list[tuple[str, int, str]]:
    """(type, id, name) of every live target, by name: what a target picker offers."""
    require(principal, "resources.read")
    live = all_live().subquery()
    rows = await session.execute(
        select(live.c.type, live.c.id, live.c.name).order_by(
            func.lower(live.c.name), live.c.type, live.c.id
        )
    )
    return [(kind, id_, name) for kind, id_, name in rows]


def label(target_type: TargetType | str, target_id: int, names: dict[Key, str]) -> str:
    """The name to show for a target; a deleted or unknown one reads "script #12"."""
    found = key(target_type, target_id)
    if found == PROJECT:
        return PROJECT_NAME
    return names.get(found) or f"{found[0].value} #{found[1]}"


def parse(text: str, field: str = "target") -> Key:
    """ "script:12" -> (TargetType.script, 12); Invalid(field) for anything else."""
    kind, _, number = str(text or "").partition(":")
    if kind not in TargetType.__members__ or not number.isdigit():
        kinds = ", ".join(TargetType.__members__)
        message = f"Give the target as <kind>:<id>, kind one of {kinds} (e.g. script:12)."
        raise Invalid(field, message)
    return TargetType(kind), int(number)


async def live_name(session: AsyncSession, target: Key) -> str:
    """The live target's name; NotFound when it does not exist here (or was deleted)."""
    name = await session.scalar(live(*target))
    if name is None:
        raise NotFound(f"{target[0].value.capitalize()} not found.")
    return name


async def find_by_name(
    *, session: AsyncSession, principal: Principal, target_type: TargetType | str, name: str
) -> int:
    """The id of the live target with this name (for scripts also its safe name)."""
    require(principal, "resources.read")
    kind = TargetType(target_type)
    if (kind, name) == (TargetType.transformation, PROJECT_NAME):
        await live_name(session, PROJECT)
        return PROJECT_TARGET
    model = MODELS[kind]
    matches = model.name == name
    if kind is TargetType.script:
        matches = matches | (Script.safe_name == name)
    ids = list(
        await session.scalars(
            select(model.id).where(matches, model.deleted_at.is_(None)).order_by(model.id)
        )
    )
    if not ids:
        raise NotFound(f"No {kind.value} is named '{name}'.")
    if len(ids) > 1:
        raise Conflict(f"{len(ids)} {kind.value}s are named '{name}'; rename one of them.")
    return ids[0]
