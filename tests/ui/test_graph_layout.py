"""The dependency graph's layered layout: edges point right, few crossings, 100 nodes spread out."""

from __future__ import annotations

import random

from etlfabric.ui.state.graph_layout import (
    COLUMN_WIDTH,
    ROW_HEIGHT,
    crossings,
    layers,
    order_layers,
    positions,
)


def test_a_layer_is_the_longest_path_to_the_node():
    edges = [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")]
    assert layers(["a", "b", "c", "d"], edges) == {"a": 0, "b": 1, "c": 2, "d": 3}


def test_a_diamond_puts_both_branches_in_one_column():
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    placed = positions(["a", "b", "c", "d"], edges)
    assert placed["b"][0] == placed["c"][0] == COLUMN_WIDTH
    assert placed["b"][1] != placed["c"][1]
    assert placed["d"][0] == 2 * COLUMN_WIDTH


def test_every_edge_points_right_on_a_random_dag():
    rng = random.Random(7)
    nodes = list(range(100))
    edges = {(u, d) for u, d in (rng.sample(nodes, 2) for _ in range(150))}
    edges = [(min(u, d), max(u, d)) for u, d in edges]  # lower id upstream: no cycles
    placed = positions(nodes, edges)
    assert set(placed) == set(nodes)
    assert all(placed[u][0] < placed[d][0] for u, d in edges)
    assert len(set(placed.values())) == len(nodes)  # no two nodes on one spot


def test_barycentre_ordering_removes_avoidable_crossings():
    # b feeds y, a feeds x: listed crosswise, ordering uncrosses them
    by_layer = [["a", "b"], ["y", "x"]]
    edges = [("a", "x"), ("b", "y")]
    assert crossings(by_layer, edges) == 1
    assert crossings(order_layers(by_layer, edges), edges) == 0


def test_ordering_reduces_crossings_on_random_layered_graphs():
    rng = random.Random(3)
    before = after = 0
    for _ in range(20):
        by_layer = [[f"{i}-{k}" for k in range(8)] for i in range(4)]
        edges = [
            (rng.choice(by_layer[i]), rng.choice(by_layer[i + 1]))
            for i in range(3)
            for _ in range(10)
        ]
        before += crossings(by_layer, edges)
        after += crossings(order_layers(by_layer, edges), edges)
    assert after < before * 0.7


def test_nodes_on_no_edge_sit_in_a_grid_below_the_graph():
    nodes = ["a", "b", *(f"lone{k}" for k in range(10))]
    placed = positions(nodes, [("a", "b")])
    graph_bottom = max(placed["a"][1], placed["b"][1])
    lone = [placed[f"lone{k}"] for k in range(10)]
    assert all(y > graph_bottom for _, y in lone)
    assert len({y for _, y in lone}) == 2  # two rows of at most six
    assert min(y for _, y in lone) == graph_bottom + 2 * ROW_HEIGHT


def test_a_cycle_does_not_hang_the_layout():
    placed = positions(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "b")])
    assert set(placed) == {"a", "b", "c"}
