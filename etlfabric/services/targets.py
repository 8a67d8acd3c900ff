"""The kinds of work a run, schedule or dependency points at, and how to find a live one.

One table per kind; each has `id`, `name` and a soft-delete `deleted_at`. The queries here are
plain statements, so the async services and the sync worker side both run them.
"""

from __future__ import annotations

from sqlalchemy import CompoundSelect, Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import Pipeline, Script, TargetType, Transformation
from etlfabric.services.permissions import Principal, require

MODELS = {
    TargetType.script: Script,
    TargetType.pipeline: Pipeline,
    TargetType.transformation: Transformation,
}

Key = tuple[TargetType, int]  # (target_type, target_id): one node of the dependency graph


def key(target_type: TargetType | str, target_id: int) -> Key:
    return TargetType(target_type), int(target_id)


def live(target_type: TargetType | str, target_id: int) -> Select:
    """The target's name if it exists and is not deleted (no row otherwise)."""
    model = MODELS[TargetType(target_type)]
    return select(model.name).where(model.id == target_id, model.deleted_at.is_(None))


def all_live() -> CompoundSelect:
    """(type, id, name) of every live target of the tenant."""
    parts = [
        select(literal(kind.value).label("type"), model.id, model.name).where(
            model.deleted_at.is_(None)
        )
        for kind, model in MODELS.items()
    ]
    return union_all(*parts)


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
