"""Walks over the dependency graph, on plain data (no database): the edges as (upstream, downstream)
pairs of target keys. Shared by the dependencies service (cycle check) and flows (subgraph)."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable

Node = Hashable


def downstream_map(edges: Iterable[tuple[Node, Node]]) -> dict[Node, list[Node]]:
    """upstream -> its direct downstream nodes, in the order the edges came."""
    children: dict[Node, list[Node]] = {}
    for upstream, downstream in edges:
        children.setdefault(upstream, []).append(downstream)
    return children


def upstream_map(edges: Iterable[tuple[Node, Node]]) -> dict[Node, list[Node]]:
    return downstream_map((downstream, upstream) for upstream, downstream in edges)


def reachable(children: dict[Node, list[Node]], start: Node) -> list[Node]:
    """`start` and every node reachable from it, breadth first (each once)."""
    seen, order, todo = {start}, [start], deque([start])
    while todo:
        for child in children.get(todo.popleft(), ()):
            if child not in seen:
                seen.add(child)
                order.append(child)
                todo.append(child)
    return order


def path(children: dict[Node, list[Node]], start: Node, goal: Node) -> list[Node] | None:
    """A shortest path start → … → goal (both included), or None."""
    parent: dict[Node, Node | None] = {start: None}
    todo = deque([start])
    while todo:
        node = todo.popleft()
        if node == goal:
            found = [node]
            while (node := parent[node]) is not None:
                found.append(node)
            return found[::-1]
        for child in children.get(node, ()):
            if child not in parent:
                parent[child] = node
                todo.append(child)
    return None


def cycle_if_added(
    edges: Iterable[tuple[Node, Node]], upstream: Node, downstream: Node
) -> list[Node] | None:
    """The cycle the edge upstream → downstream would close, as [upstream, downstream, …,
    upstream]; None when the graph stays acyclic (a self-edge is the cycle [node, node])."""
    back = path(downstream_map(edges), downstream, upstream)
    return None if back is None else [upstream, *back]
