"""Import a standard dbt project zip into the organisation: the rows are created through the
same services a user's edits go through (same checks, same audit), one savepoint per row, so
one bad file is reported as {file, reason} and never fails the rest. Sources, seeds and
snapshots come first, then models in ref() order. A name that exists already is skipped,
never overwritten: an import only adds."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import DomainError
from etlfabric.services import audit, dbt_project, transformations
from etlfabric.services import transformation_checks as checks
from etlfabric.services.permissions import Principal, require
from etlfabric.transformations import archive, import_plan
from etlfabric.transformations.import_plan import Item

COUNTS = ("models", "tests", "sources", "seeds", "snapshots")


def _depends_on(item: Item, names: set[str]) -> set[str]:
    refs, _ = checks.references(item.fields.get("sql") or "")
    related = {t.get("to") for t in item.fields.get("tests") or [] if isinstance(t, dict)}
    return (refs | related) & names - {item.fields["name"]}


def _cycle_from(start: str, deps: dict[str, set[str]], stuck: set[str]) -> list[str]:
    path = [start]
    while (step := min(deps[path[-1]] & stuck)) not in path:
        path.append(step)
    return path[path.index(step) :] + [step]


def ref_order(models: list[Item]) -> tuple[list[Item], list[dict]]:
    """The models upstream first (topological by ref() and relationships tests), and the ones
    that cannot be ordered: a second file for one name, or a ref() cycle."""
    by_name: dict[str, Item] = {}
    skipped = []
    for item in models:
        name = item.fields["name"]
        if name in by_name:
            skipped.append({"file": item.file, "reason": f"{by_name[name].file} is model '{name}'"})
        else:
            by_name[name] = item
    deps = {name: _depends_on(item, set(by_name)) for name, item in by_name.items()}
    done: list[str] = []
    ready = sorted(name for name, needs in deps.items() if not needs)
    while ready:
        done.append(name := ready.pop(0))
        newly = [n for n, needs in deps.items() if name in needs and needs <= set(done)]
        ready = sorted(set(ready) | {n for n in newly if n not in done})
    stuck = set(by_name) - set(done)
    for name in sorted(stuck):
        cycle = _cycle_from(name, deps, stuck)
        reason = (
            f"ref() cycle: {' → '.join(cycle)}; dbt cannot build it, break the cycle first"
            if name in cycle
            else f"it refs '{cycle[0]}', which is in a ref() cycle"
        )
        skipped.append({"file": by_name[name].file, "reason": reason})
    return [by_name[name] for name in done], skipped


async def _attempt(session: AsyncSession, item: Item, skipped: list[dict], create) -> bool:
    try:
        async with session.begin_nested():
            await create()
    except DomainError as exc:
        where = f"{exc.field}: " if exc.field else ""
        skipped.append({"file": item.file, "reason": f"{where}{exc.message}"})
        return False
    return True


def _taken(item: Item, existing: set[str], skipped: list[dict]) -> bool:
    name = item.fields["name"]
    if name.lower() in existing:
        skipped.append(
            {
                "file": item.file,
                "reason": f"'{name}' exists already in this organisation; an import never "
                "overwrites (rename or delete it first)",
            }
        )
        return True
    return False


async def import_zip(
    *, session: AsyncSession, principal: Principal, data: bytes, filename: str = ""
) -> dict:
    """{"created": {models, tests, sources, seeds, snapshots}, "skipped": [{file, reason}]}."""
    require(principal, "resources.write")
    files = archive.read_project(data)
    plan = import_plan.parse(files, await transformations.data_schemas(session, principal.org_id))
    existing = {name.lower() for name in await transformations.node_names(session)}
    created, skipped = dict.fromkeys(COUNTS, 0), list(plan.skipped)
    for kind, items in (
        ("source", plan.sources),
        ("seed", plan.seeds),
        ("snapshot", plan.snapshots),
    ):
        for item in items:
            if kind != "source" and _taken(item, existing, skipped):
                continue
            create = _maker(dbt_project.create, session, principal, kind=kind, **item.fields)
            created[f"{kind}s"] += await _attempt(session, item, skipped, create)
    ordered, unordered = ref_order(plan.models)
    skipped += unordered
    failed = {item.fields["name"] for item in plan.models} - {i.fields["name"] for i in ordered}
    for item in ordered:
        upstream = sorted(_depends_on(item, failed))
        if upstream:
            reason = f"it refs '{upstream[0]}', which was not imported (see that file)"
            skipped.append({"file": item.file, "reason": reason})
            failed.add(item.fields["name"])
        elif not _taken(item, existing, skipped):  # an existing one still serves its refs
            create = _maker(transformations.create, session, principal, **item.fields)
            if await _attempt(session, item, skipped, create):
                created["models"] += 1
                created["tests"] += len(item.fields["tests"])
            else:
                failed.add(item.fields["name"])
    await audit.record(
        session=session,
        principal=principal,
        action="dbt.import",
        resource_type="dbt_project",
        new={"file": filename, "created": created, "skipped": len(skipped)},
    )
    return {"created": created, "skipped": skipped}


def _maker(function, session: AsyncSession, principal: Principal, **fields):
    async def create():
        await function(session=session, principal=principal, **fields)

    return create
