"""Walks over the dependency graph, checked against graphlib on many random graphs."""

import random
from graphlib import CycleError, TopologicalSorter

import pytest

from etlfabric.services.graph import cycle_if_added, downstream_map, path, reachable


def has_cycle(nodes, edges) -> bool:
    """The reference: graphlib refuses to order a graph with a cycle."""
    sorter = TopologicalSorter({node: [] for node in nodes})
    for upstream, downstream in edges:
        sorter.add(downstream, upstream)
    try:
        sorter.prepare()
    except CycleError:
        return True
    return False


def is_cycle(cycle, edges) -> bool:
    steps = set(zip(cycle, cycle[1:], strict=False))
    return cycle[0] == cycle[-1] and steps <= set(edges)


@pytest.mark.parametrize("seed", range(40))
def test_adding_edges_agrees_with_graphlib_on_random_graphs(seed):
    rng = random.Random(seed)
    nodes = list(range(rng.randint(2, 14)))
    accepted: list[tuple[int, int]] = []
    for _ in range(rng.randint(5, 60)):
        upstream, downstream = rng.choice(nodes), rng.choice(nodes)
        if (upstream, downstream) in accepted:
            continue
        cycle = cycle_if_added(accepted, upstream, downstream)
        would = has_cycle(nodes, [*accepted, (upstream, downstream)])
        assert (cycle is not None) == would, (accepted, upstream, downstream)
        if cycle is None:
            accepted.append((upstream, downstream))
        else:
            assert cycle[0] == upstream and cycle[1] == downstream
            assert is_cycle(cycle, [*accepted, (upstream, downstream)]), cycle
    assert not has_cycle(nodes, accepted)


def test_the_cycle_is_named_from_the_new_edges_upstream():
    edges = [("clean", "report"), ("report", "load")]
    assert cycle_if_added(edges, "load", "clean") == ["load", "clean", "report", "load"]
    assert cycle_if_added(edges, "clean", "load") is None, "a shortcut is no cycle"
    assert cycle_if_added(edges, "x", "x") == ["x", "x"]


def test_reachable_and_path():
    children = downstream_map([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("e", "a")])
    assert reachable(children, "a") == ["a", "b", "c", "d"]
    assert path(children, "e", "d") == ["e", "a", "b", "d"]
    assert path(children, "d", "a") is None
