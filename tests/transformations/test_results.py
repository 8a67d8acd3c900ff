"""Column types for lineage: catalog.json compacted to (column, type) pairs in table order, and
joined with the columns documented in schema.yml by name in any case."""

from __future__ import annotations

from etlfabric.transformations import results

CATALOG = {
    "nodes": {
        "model.p.stg": {
            "columns": {
                "status": {"name": "status", "type": "text", "index": 2},
                "id": {"name": "id", "type": "integer", "index": 1},
            }
        }
    },
    "sources": {"source.p.shop.items": {"columns": {"ID": {"name": "ID", "type": "bigint"}}}},
}


def manifest_node(unique_id: str, resource_type: str, columns: dict, depends=()) -> dict:
    return {
        "unique_id": unique_id,
        "resource_type": resource_type,
        "name": unique_id.rsplit(".", 1)[-1],
        "schema": "s",
        "description": "",
        "columns": columns,
        "depends_on": list(depends),
    }


def test_the_catalog_is_compacted_to_pairs_in_table_order():
    assert results.catalog_columns(CATALOG) == {
        "model.p.stg": [["id", "integer"], ["status", "text"]],
        "source.p.shop.items": [["ID", "bigint"]],
    }
    assert results.catalog_columns({}) == {}


def test_lineage_columns_carry_types_and_docs_documented_ones_kept():
    nodes = [
        manifest_node(
            "model.p.stg",
            "model",
            {
                "ID": {"description": "The key", "data_type": None},
                "gone": {"description": "Dropped from the SQL", "data_type": "date"},
            },
            depends=["source.p.shop.items"],
        ),
        manifest_node("source.p.shop.items", "source", {}),
    ]
    typed = results.lineage(nodes, results.catalog_columns(CATALOG))
    stg = next(node for node in typed["nodes"] if node["id"] == "model.p.stg")
    assert stg["columns"] == [
        {"name": "id", "type": "integer", "description": "The key"},
        {"name": "status", "type": "text", "description": ""},
        {"name": "gone", "type": "date", "description": "Dropped from the SQL"},
    ]
    untyped = results.lineage(nodes)
    assert next(n for n in untyped["nodes"] if n["id"] == "model.p.stg")["columns"] == [
        {"name": "ID", "type": "", "description": "The key"},
        {"name": "gone", "type": "date", "description": "Dropped from the SQL"},
    ]
    again = results.with_catalog(untyped, results.catalog_columns(CATALOG))
    assert again["nodes"] == typed["nodes"] and again["edges"] == typed["edges"]
    assert results.with_catalog(untyped, None) is untyped
