"""Where each node of the dependency graph sits: layers left to right, upstream first.

A node's layer is the length of the longest path that reaches it (sources in layer 0), so every
edge points to the right. Within a layer nodes are ordered by the barycentre (mean position) of
their neighbours in the layer before, then the layer after, a few sweeps each way: the classic
Sugiyama heuristic, which keeps crossings few without a solver. Nodes on no edge go in a grid of
their own under the graph, so a hundred unconnected targets do not make one endless column.
Cycles never reach here (the service refuses them); if one did, its back edges are ignored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence

COLUMN_WIDTH = 260  # px between layers (a node is about 200 px wide)
ROW_HEIGHT = 90  # px between nodes of one layer
SWEEPS = 4
LONE_COLUMNS = 6  # nodes on no edge, per row of their grid

Node = Hashable


def layers(nodes: Sequence[Node], edges: Iterable[tuple[Node, Node]]) -> dict[Node, int]:
    """node -> its layer: 0 for a node without upstreams, else 1 + its deepest upstream's."""
    known = set(nodes)
    downstream: dict[Node, list[Node]] = defaultdict(list)
    waiting = dict.fromkeys(nodes, 0)  # upstream edges not yet placed
    for up, down in edges:
        if up in known and down in known and up != down:
            downstream[up].append(down)
            waiting[down] += 1
    layer = dict.fromkeys(nodes, 0)
    ready = [n for n in nodes if waiting[n] == 0]
    while ready:  # Kahn's order: a node is placed after all of its upstreams
        node = ready.pop()
        for down in downstream[node]:
            layer[down] = max(layer[down], layer[node] + 1)
            waiting[down] -= 1
            if waiting[down] == 0:
                ready.append(down)
    return layer


def _sort_by(layer: list[Node], neighbours: dict[Node, list[Node]], beside: list[Node]) -> None:
    """Sort `layer` in place by the mean index of each node's neighbours in `beside`; a node
    with none there keeps its current place (a stable sort keeps ties as they were)."""
    index = {n: k for k, n in enumerate(beside)}
    here = {n: k for k, n in enumerate(layer)}
    scale = len(beside) / max(len(layer), 1)

    def key(node: Node) -> float:
        placed = [index[n] for n in neighbours[node] if n in index]
        return sum(placed) / len(placed) if placed else here[node] * scale

    layer.sort(key=key)


def order_layers(
    by_layer: list[list[Node]], edges: list[tuple[Node, Node]], sweeps: int = SWEEPS
) -> list[list[Node]]:
    """Each layer reordered to reduce crossings (down and up sweeps by barycentre)."""
    ups: dict[Node, list[Node]] = defaultdict(list)
    downs: dict[Node, list[Node]] = defaultdict(list)
    for up, down in edges:
        ups[down].append(up)
        downs[up].append(down)
    ordered = [list(layer) for layer in by_layer]
    for _ in range(sweeps):
        for i in range(1, len(ordered)):
            _sort_by(ordered[i], ups, ordered[i - 1])
        for i in range(len(ordered) - 2, -1, -1):
            _sort_by(ordered[i], downs, ordered[i + 1])
    return ordered


def crossings(ordered: list[list[Node]], edges: Iterable[tuple[Node, Node]]) -> int:
    """How many pairs of edges between adjacent layers cross (for tests and tuning)."""
    where = {n: (i, k) for i, layer in enumerate(ordered) for k, n in enumerate(layer)}
    spans = [(where[u], where[d]) for u, d in edges if u in where and d in where]
    spans = [(a[1], b[1], a[0]) for a, b in spans if b[0] == a[0] + 1]
    return sum(
        1
        for i, (a1, b1, layer1) in enumerate(spans)
        for a2, b2, layer2 in spans[i + 1 :]
        if layer1 == layer2 and (a1 - a2) * (b1 - b2) < 0
    )


def positions(
    nodes: Sequence[Node], edges: Iterable[tuple[Node, Node]]
) -> dict[Node, tuple[int, int]]:
    """node -> (x, y) in pixels for React Flow: layers as columns, lone nodes in a grid below."""
    edges = [(u, d) for u, d in edges if u != d]
    linked = {n for edge in edges for n in edge}
    connected = [n for n in nodes if n in linked]
    lone = [n for n in nodes if n not in linked]
    layer_of = layers(connected, edges)
    by_layer: list[list[Node]] = [[] for _ in range(max(layer_of.values(), default=-1) + 1)]
    for node in connected:
        by_layer[layer_of[node]].append(node)
    ordered = order_layers(by_layer, [(u, d) for u, d in edges if u in linked and d in linked])
    tallest = max((len(layer) for layer in ordered), default=0)
    placed: dict[Node, tuple[int, int]] = {}
    for column, layer in enumerate(ordered):
        offset = (tallest - len(layer)) * ROW_HEIGHT // 2  # centre short layers
        for row, node in enumerate(layer):
            placed[node] = (column * COLUMN_WIDTH, offset + row * ROW_HEIGHT)
    top = tallest * ROW_HEIGHT + (ROW_HEIGHT if tallest else 0)
    for k, node in enumerate(lone):
        row, column = divmod(k, LONE_COLUMNS)
        placed[node] = (column * COLUMN_WIDTH, top + row * ROW_HEIGHT)
    return placed
