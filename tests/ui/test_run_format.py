"""How runs read on the pages: the page of each kind of target, and what a pipeline run loaded."""

from __future__ import annotations

from etlfabric.ui.state.run_format import load_results, target_href


def test_scripts_pipelines_and_transformations_link_to_their_pages():
    assert target_href("script", 4) == "/scripts/4"
    assert target_href("pipeline", 9) == "/pipelines/9"
    assert target_href("transformation", 2) == "/transformations/2"


def test_a_pipeline_runs_rows_per_table_schema_changes_and_violations():
    tables, notes = load_results(
        {
            "load_id": "1717.5",
            "tables": {"orders": 1200, "customers": 3},
            "schema_changes": [
                {"change": "new_table", "table": "orders", "columns": ["id", "total"]},
                {
                    "change": "new_column",
                    "table": "customers",
                    "column": "vip",
                    "data_type": "bool",
                },
            ],
            "contract_violations": [
                {"table": "customers", "column": "age", "entity": "columns", "mode": "freeze"}
            ],
        }
    )
    assert tables == [{"table": "customers", "rows": "3"}, {"table": "orders", "rows": "1,200"}]
    assert notes == [
        "Load id 1717.5",
        "New table orders (id, total)",
        "New column customers.vip (bool)",
        "Contract violation: customers.age (columns: freeze)",
    ]
    assert load_results(None) == ([], [])
