"""The dependency graph service: edges between targets, refused self-edges, duplicates and cycles,
the organisation lock, edges of deleted scripts, tenancy."""

import asyncio
import random
from graphlib import CycleError, TopologicalSorter

import pytest
from sqlalchemy import select

from etlfabric.db import tenant_session
from etlfabric.errors import Conflict, Invalid, NotFound, PermissionDenied
from etlfabric.models import AuditLog, Organization, Transformation
from etlfabric.services import dependencies, scripts
from tests.factories import call, make_member, make_owned_org
from tests.run_factories import make_script, start


async def link(principal, upstream, downstream):
    return await call(
        dependencies.create_edge,
        principal,
        upstream_type="script",
        upstream_id=upstream.id,
        downstream_type="script",
        downstream_id=downstream.id,
    )


async def test_edges_are_listed_with_names_and_the_graph_with_last_statuses(owner):
    load = await make_script(owner.org_id, name="load")
    clean = await make_script(owner.org_id, name="clean")
    idle = await make_script(owner.org_id, name="idle")
    edge = await link(owner, load, clean)
    assert (edge.upstream_name, edge.downstream_name) == ("load", "clean")
    run = await start(owner, load)
    listed = await call(dependencies.list_edges, owner)
    assert [(e.id, e.upstream_id, e.downstream_id) for e in listed] == [
        (edge.id, load.id, clean.id)
    ]
    assert (listed[0].upstream_last_status, listed[0].downstream_last_status) == ("queued", None)
    graph = await call(dependencies.graph, owner)
    by_name = {node.name: node for node in graph.nodes}
    assert set(by_name) == {"load", "clean", "idle"} and by_name["idle"].id == idle.id
    assert (by_name["load"].last_status, by_name["load"].last_run_id) == ("queued", run.id)
    assert by_name["clean"].last_status is None
    assert [e.id for e in graph.edges] == [edge.id]


async def test_self_edges_duplicates_and_cycles_are_refused_naming_the_cycle(owner):
    load, clean, report = [
        await make_script(owner.org_id, name=n) for n in ("load", "clean", "report")
    ]
    with pytest.raises(Invalid) as caught:
        await link(owner, load, load)
    assert caught.value.field == "downstream_id"
    await link(owner, clean, report)
    await link(owner, report, load)
    with pytest.raises(Conflict, match="already runs after"):
        await link(owner, clean, report)
    with pytest.raises(Conflict) as caught:
        await link(owner, load, clean)
    assert caught.value.message == (
        "Adding this edge would make a cycle: load → clean → report → load."
    )
    assert len(await call(dependencies.list_edges, owner)) == 2, "nothing was half-written"
    with pytest.raises(Invalid) as caught:
        await call(
            dependencies.create_edge,
            owner,
            upstream_type="notebook",
            upstream_id=load.id,
            downstream_type="script",
            downstream_id=clean.id,
        )
    assert caught.value.field == "upstream_type"


async def test_random_graphs_through_the_service_agree_with_graphlib(owner):
    nodes = [await make_script(owner.org_id, name=f"n{i}") for i in range(7)]
    rng, accepted = random.Random(5), []
    for _ in range(30):
        upstream, downstream = rng.sample(nodes, 2)
        pair = (upstream.id, downstream.id)
        if pair in accepted:
            continue
        sorter = TopologicalSorter({n.id: [] for n in nodes})
        for up, down in [*accepted, pair]:
            sorter.add(down, up)
        try:
            sorter.prepare()
            cyclic = False
        except CycleError:
            cyclic = True
        if cyclic:
            with pytest.raises(Conflict, match="would make a cycle"):
                await link(owner, upstream, downstream)
        else:
            await link(owner, upstream, downstream)
            accepted.append(pair)
    stored = await call(dependencies.list_edges, owner)
    assert sorted((e.upstream_id, e.downstream_id) for e in stored) == sorted(accepted)


async def test_two_concurrent_adds_cannot_together_make_a_cycle(owner):
    a, b = await make_script(owner.org_id, name="a"), await make_script(owner.org_id, name="b")
    async with tenant_session(owner.org_id) as session:
        await dependencies.create_edge(
            session=session,
            principal=owner,
            upstream_type="script",
            upstream_id=a.id,
            downstream_type="script",
            downstream_id=b.id,
        )
        other = asyncio.create_task(link(owner, b, a))
        await asyncio.sleep(0.5)
        assert not other.done(), "the second add waits for the organisation's lock"
    with pytest.raises(Conflict, match="cycle: b → a → b"):
        await other
    assert len(await call(dependencies.list_edges, owner)) == 1


async def test_any_kind_of_target_can_be_linked(owner):
    script = await make_script(owner.org_id, name="extract")
    async with tenant_session(owner.org_id) as session:
        model = Transformation(name="orders", schema_name="marts")
        session.add(model)
        await session.flush()
    edge = await call(
        dependencies.create_edge,
        owner,
        upstream_type="script",
        upstream_id=script.id,
        downstream_type="transformation",
        downstream_id=model.id,
    )
    assert (edge.downstream_type, edge.downstream_name) == ("transformation", "orders")
    graph = await call(dependencies.graph, owner)
    assert {(n.type, n.name) for n in graph.nodes} == {
        ("script", "extract"),
        ("transformation", "orders"),
        ("transformation", "dbt project (build all)"),  # a project with a model builds
    }
    with pytest.raises(NotFound) as caught:
        await call(
            dependencies.create_edge,
            owner,
            upstream_type="pipeline",
            upstream_id=424242,
            downstream_type="script",
            downstream_id=script.id,
        )
    assert caught.value.field == "upstream_id"


async def test_deleting_an_edge_and_deleting_a_script_removes_its_edges(owner):
    a, b, c = [await make_script(owner.org_id, name=n) for n in ("a", "b", "c")]
    first = await link(owner, a, b)
    await link(owner, b, c)
    await link(owner, a, c)
    await call(dependencies.delete_edge, owner, edge_id=first.id)
    with pytest.raises(NotFound):
        await call(dependencies.delete_edge, owner, edge_id=first.id)
    await call(scripts.delete, owner, script_id=c.id)
    assert await call(dependencies.list_edges, owner) == []
    async with tenant_session(owner.org_id) as session:
        actions = list(
            await session.execute(
                select(AuditLog.action, AuditLog.old_values).order_by(AuditLog.id)
            )
        )
    assert [action for action, _ in actions] == [
        "dependency.create",
        "dependency.create",
        "dependency.create",
        "dependency.delete",
        "script.delete",
    ]
    assert actions[-1][1]["dependencies"] == 2
    assert actions[3][1]["upstream"] == f"script:{a.id} (a)"


async def test_other_organisations_targets_and_edges_are_not_found(owner):
    a, b = await make_script(owner.org_id, name="a"), await make_script(owner.org_id, name="b")
    edge = await link(owner, a, b)
    _, _, stranger = await make_owned_org()
    mine = await make_script(stranger.org_id, name="mine")  # ids are per tenant: mine.id == a.id
    assert await call(dependencies.list_edges, stranger) == []
    with pytest.raises(NotFound):
        await call(dependencies.delete_edge, stranger, edge_id=edge.id)
    with pytest.raises(NotFound) as caught:
        await link(stranger, mine, b)
    assert caught.value.field == "downstream_id"
    assert len(await call(dependencies.list_edges, owner)) == 1


async def test_a_viewer_reads_the_graph_but_cannot_change_it(owner):
    a, b = await make_script(owner.org_id, name="a"), await make_script(owner.org_id, name="b")
    edge = await link(owner, a, b)
    _, viewer = await make_member(Organization(id=owner.org_id), "viewer")
    assert len(await call(dependencies.list_edges, viewer)) == 1
    with pytest.raises(PermissionDenied):
        await link(viewer, b, a)
    with pytest.raises(PermissionDenied):
        await call(dependencies.delete_edge, viewer, edge_id=edge.id)
