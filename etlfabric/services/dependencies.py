"""The dependency graph: edges "when upstream succeeds, run downstream" between any two live
targets of one organisation (scripts, pipelines, transformations), as in DESIGN.md §6.

Self-edges, duplicates and cycles are refused; a cycle is named by its targets' names. Adding
edges takes a transaction-level advisory lock per organisation, so two concurrent adds cannot
together close a cycle that neither sees alone. Deleting a target removes its edges (a flow still
going no longer includes it, nor what only it led to; see flow_runs.py).
`session` is always the principal's tenant session; one call is one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import Dependency, Run, TargetType
from etlfabric.services import audit, targets
from etlfabric.services.graph import cycle_if_added
from etlfabric.services.permissions import Principal, require
from etlfabric.services.targets import Key


@dataclass(frozen=True)
class Edge:
    id: int
    upstream_type: str
    upstream_id: int
    upstream_name: str
    downstream_type: str
    downstream_id: int
    downstream_name: str
    created_at: datetime
    upstream_last_status: str | None = None  # of each target's latest run; None: never ran
    downstream_last_status: str | None = None


@dataclass(frozen=True)
class Node:
    type: str
    id: int
    name: str
    last_status: str | None  # of the target's latest run; None when it never ran
    last_run_id: int | None


@dataclass(frozen=True)
class Graph:
    nodes: list[Node]
    edges: list[Edge]


def _lock_key(org_id: int) -> str:
    return f"etlfabric.dependencies.{int(org_id)}"


async def _lock(session: AsyncSession, org_id: int) -> None:
    """Held until the transaction ends: edge changes of one organisation happen one at a time."""
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(_lock_key(org_id)))))


def _target_type(value, field: str) -> TargetType:
    try:
        return TargetType(value)
    except ValueError:
        raise Invalid(field, "Choose script, pipeline or transformation.") from None


async def _names(session: AsyncSession) -> dict[Key, str]:
    rows = await session.execute(targets.all_live())
    return {targets.key(kind, id_): name for kind, id_, name in rows}


async def _nodes(session: AsyncSession) -> dict[Key, Node]:
    """Every live target with its latest run, by name."""
    nodes = targets.all_live().subquery("nodes")
    last = (
        select(Run.status, Run.id)
        .where(Run.target_type == nodes.c.type, Run.target_id == nodes.c.id)
        .order_by(Run.queued_at.desc(), Run.id.desc())
        .limit(1)
        .lateral("last")
    )
    rows = await session.execute(
        select(nodes.c.type, nodes.c.id, nodes.c.name, last.c.status, last.c.id)
        .outerjoin(last, true())
        .order_by(func.lower(nodes.c.name), nodes.c.type, nodes.c.id)
    )
    return {
        targets.key(kind, id_): Node(
            type=kind, id=id_, name=name, last_status=status and str(status), last_run_id=run_id
        )
        for kind, id_, name, status, run_id in rows
    }


def _edge_view(edge: Dependency, nodes: dict[Key, Node]) -> Edge:
    up = nodes.get(targets.key(edge.upstream_type, edge.upstream_id))
    down = nodes.get(targets.key(edge.downstream_type, edge.downstream_id))
    return Edge(
        id=edge.id,
        upstream_type=edge.upstream_type.value,
        upstream_id=edge.upstream_id,
        upstream_name=up.name if up else targets.label(edge.upstream_type, edge.upstream_id, {}),
        downstream_type=edge.downstream_type.value,
        downstream_id=edge.downstream_id,
        downstream_name=(
            down.name if down else targets.label(edge.downstream_type, edge.downstream_id, {})
        ),
        created_at=edge.created_at,
        upstream_last_status=up.last_status if up else None,
        downstream_last_status=down.last_status if down else None,
    )


async def _edges(session: AsyncSession) -> list[Dependency]:
    return list(await session.scalars(select(Dependency).order_by(Dependency.id)))


async def list_edges(*, session: AsyncSession, principal: Principal) -> list[Edge]:
    """Every edge of the organisation, oldest first, with both targets' names and the status
    of each one's latest run."""
    require(principal, "resources.read")
    nodes = await _nodes(session)
    return [_edge_view(edge, nodes) for edge in await _edges(session)]


async def graph(*, session: AsyncSession, principal: Principal) -> Graph:
    """Every live target (with its latest run's status) and every edge: the graph page."""
    require(principal, "resources.read")
    nodes = await _nodes(session)
    edges = [_edge_view(edge, nodes) for edge in await _edges(session)]
    return Graph(nodes=list(nodes.values()), edges=edges)


async def create_edge(
    *,
    session: AsyncSession,
    principal: Principal,
    upstream_type: TargetType | str,
    upstream_id: int,
    downstream_type: TargetType | str,
    downstream_id: int,
) -> Edge:
    """An edge: when upstream succeeds in a flow, downstream runs. NotFound (naming the field)
    for a target that does not exist here; Invalid for a self-edge; Conflict for a duplicate or
    a cycle (named by the targets' names)."""
    require(principal, "resources.write")
    upstream = targets.key(_target_type(upstream_type, "upstream_type"), upstream_id)
    downstream = targets.key(_target_type(downstream_type, "downstream_type"), downstream_id)
    if upstream == downstream:
        raise Invalid("downstream_id", "A target cannot depend on itself; choose another one.")
    await _lock(session, principal.org_id)  # before reading: a target's delete takes it too
    names = {}
    for field, (kind, id_) in (("upstream_id", upstream), ("downstream_id", downstream)):
        name = await session.scalar(targets.live(kind, id_))
        if name is None:
            raise NotFound(f"No {kind.value} with id {id_} exists here.", field=field)
        names[(kind, id_)] = name
    existing = [(targets.key(e.upstream_type, e.upstream_id), e) for e in await _edges(session)]
    pairs = [(up, targets.key(e.downstream_type, e.downstream_id)) for up, e in existing]
    if (upstream, downstream) in pairs:
        raise Conflict(f"'{names[downstream]}' already runs after '{names[upstream]}'.")
    if cycle := cycle_if_added(pairs, upstream, downstream):
        names |= await _names(session)
        shown = " → ".join(targets.label(kind, id_, names) for kind, id_ in cycle)
        raise Conflict(f"Adding this edge would make a cycle: {shown}.")
    edge = Dependency(
        upstream_type=upstream[0],
        upstream_id=upstream[1],
        downstream_type=downstream[0],
        downstream_id=downstream[1],
    )
    session.add(edge)
    try:
        await session.flush()
    except IntegrityError as exc:  # the lock makes this unlikely; the constraint still holds
        raise Conflict("This dependency was just added by someone else.") from exc
    await session.refresh(edge)
    view = _edge_view(edge, await _nodes(session))
    await audit.record(
        session=session,
        principal=principal,
        action="dependency.create",
        resource_type="dependency",
        resource_id=edge.id,
        new=_audit_values(view),
    )
    return view


def _audit_values(view: Edge) -> dict:
    return {
        "upstream": f"{view.upstream_type}:{view.upstream_id} ({view.upstream_name})",
        "downstream": f"{view.downstream_type}:{view.downstream_id} ({view.downstream_name})",
    }


async def delete_edge(*, session: AsyncSession, principal: Principal, edge_id: int) -> None:
    require(principal, "resources.write")
    edge = await session.get(Dependency, edge_id)
    if edge is None:
        raise NotFound("Dependency not found.")
    view = _edge_view(edge, await _nodes(session))
    await session.delete(edge)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="dependency.delete",
        resource_type="dependency",
        resource_id=edge_id,
        old=_audit_values(view),
    )


async def remove_target_edges(
    session: AsyncSession, org_id: int, target_type: TargetType | str, target_id: int
) -> int:
    """Delete every edge into or out of a target (called when the target is deleted, inside
    that call's transaction and audit entry); the number removed."""
    kind, id_ = targets.key(target_type, target_id)
    await _lock(session, org_id)
    removed = await session.execute(
        delete(Dependency)
        .where(
            or_(
                (Dependency.upstream_type == kind) & (Dependency.upstream_id == id_),
                (Dependency.downstream_type == kind) & (Dependency.downstream_id == id_),
            )
        )
        .returning(Dependency.id)
    )
    return len(removed.all())


async def soft_delete_target(
    session: AsyncSession,
    principal: Principal,
    kind: TargetType,
    row,
    old: dict,
    *,
    free: str = "name",
) -> None:
    """Soft-delete a script, pipeline or transformation: its runs stay, its `free` field (name
    or safe name) is released for a new one, its dependency edges go (a deleted target can
    neither wait for nor start anything), all in one audited change; `old` is what the audit
    entry keeps of it."""
    edges = await remove_target_edges(session, principal.org_id, kind, row.id)
    if edges:
        old["dependencies"] = edges
    row.deleted_at = row.updated_at = datetime.now(UTC)
    suffix = f"~deleted-{row.id}"  # kept whole, so two deleted rows never share a name
    setattr(row, free, getattr(row, free)[: 200 - len(suffix)] + suffix)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action=f"{kind.value}.delete",
        resource_type=kind.value,
        resource_id=row.id,
        old=old,
    )
