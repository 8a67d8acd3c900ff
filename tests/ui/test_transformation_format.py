"""How dbt's answers read on the transformation pages, and the editor's rows to and from the
service's columns and tests."""

from __future__ import annotations

import itertools
from datetime import date, datetime

import pytest

from etlfabric.errors import Invalid
from etlfabric.ui.state.lineage import catalog_note, lineage_graph
from etlfabric.ui.state.transformation_format import (
    cell_text,
    dbt_test_results,
    filled,
    preview_table,
    row_error,
    rows_of_columns,
    rows_of_tests,
    selections,
    service_columns,
    service_tests,
)


def keys():
    return (str(n) for n in itertools.count(1))


def test_preview_cells_read_as_text_with_null_dates_and_json():
    answer = {
        "columns": ["id", "price", "sold", "ok", "tags", "note"],
        "rows": [[1, 1.5, date(2026, 1, 2), True, ["a", 1], None]],
    }
    assert preview_table(answer) == (
        ["id", "price", "sold", "ok", "tags", "note"],
        [["1", "1.5", "2026-01-02", "true", '["a", 1]', "NULL"]],
    )
    assert cell_text(datetime(2026, 1, 2, 3, 4)) == "2026-01-02T03:04:00"
    assert cell_text({"k": "v"}) == '{"k": "v"}'
    assert preview_table({}) == ([], [])


def test_a_run_selects_the_model_with_upstream_downstream_or_both():
    assert selections("orders") == ["orders", "+orders", "orders+", "+orders+"]
    assert selections("") == []


def test_test_results_come_from_the_runs_test_nodes_failures_first():
    details = {
        "dbt": {
            "nodes": [
                {"name": "orders", "resource_type": "model", "status": "success"},
                {
                    "name": "not_null_orders_id",
                    "resource_type": "test",
                    "status": "pass",
                    "failures": 0,
                    "compiled_sql": "select id from orders where id is null",
                    "message": None,
                },
                {
                    "name": "unique_orders_id",
                    "resource_type": "test",
                    "status": "fail",
                    "failures": 1234,
                    "compiled_sql": "select id, count(*) ...",
                    "message": "Got 1234 results, configured to fail if != 0",
                },
            ]
        }
    }
    rows = dbt_test_results(details)
    assert [row["name"] for row in rows] == ["unique_orders_id", "not_null_orders_id"]
    assert rows[0] | {"compiled_sql": ""} == {
        "name": "unique_orders_id",
        "status": "failed",
        "status_label": "Failed",
        "failures": "1,234",
        "compiled_sql": "",
        "message": "Got 1234 results, configured to fail if != 0",
    }
    assert rows[1]["status_label"] == "Passed" and rows[1]["message"] == ""
    assert dbt_test_results(None) == [] and dbt_test_results({"dbt": {}}) == []


def test_columns_and_tests_go_to_rows_and_back():
    columns = [{"name": "id", "description": "The key"}]
    tests = [
        {"column": "id", "test": "not_null"},
        {"column": "status", "test": "accepted_values", "values": ["new", "done"]},
        {"column": "customer_id", "test": "relationships", "to": "customers", "field": "id"},
    ]
    given = keys()
    col_rows = rows_of_columns(columns, given)
    rows = rows_of_tests(tests, given)
    assert col_rows == [{"key": "1", "name": "id", "description": "The key"}]
    assert [row["argument"] for row in rows] == ["", "new, done", "customers.id"]
    assert service_columns(col_rows) == columns
    assert service_tests(rows) == tests


def test_a_relationship_needs_model_dot_field_and_names_its_row():
    rows = [
        {"key": "1", "column": "id", "test": "not_null", "argument": ""},
        {"key": "2", "column": "c", "test": "relationships", "argument": "customers"},
    ]
    with pytest.raises(Invalid) as refused:
        service_tests(rows)
    assert refused.value.field == "tests.1.to"
    assert "model.field" in refused.value.message
    assert row_error(refused.value.field) == ("tests", 1)
    assert row_error("columns.0.name") == ("columns", 0)
    assert row_error("sql") is None and row_error(None) is None


def test_empty_rows_are_left_out_before_a_save():
    rows = [
        {"key": "1", "name": "", "description": " "},
        {"key": "2", "name": "id", "description": ""},
    ]
    assert filled(rows, "name", "description") == [rows[1]]


def test_lineage_nodes_are_laid_out_upstream_first_with_their_typed_columns():
    graph = {
        "nodes": [
            {"id": "model.p.stg", "type": "model", "name": "stg", "schema": "t1_staging"}
            | {"description": "Clean items"}
            | {"columns": [{"name": "id", "type": "integer", "description": "The key"}]},
            {"id": "source.p.shop.items", "type": "source", "name": "items", "schema": "t1_raw"}
            | {"description": "", "columns": []},
            {"id": "pipeline.4", "type": "pipeline", "name": "Shop load", "schema": None}
            | {"description": "", "columns": []},
        ],
        "edges": [
            {"from": "pipeline.4", "to": "source.p.shop.items"},
            {"from": "source.p.shop.items", "to": "model.p.stg"},
            {"from": "source.p.shop.items", "to": "model.p.gone"},  # not drawn: no such node
        ],
    }
    nodes, edges, details = lineage_graph(graph)
    x = {node["id"]: node["position"]["x"] for node in nodes}
    assert x["pipeline.4"] < x["source.p.shop.items"] < x["model.p.stg"]
    assert [edge["id"] for edge in edges] == [
        "pipeline.4->source.p.shop.items",
        "source.p.shop.items->model.p.stg",
    ]
    stg = next(node for node in nodes if node["id"] == "model.p.stg")
    assert stg["data"] | {} == {
        "label": "stg",
        "kind": "Model",
        "status": "",
        "status_label": "",
        "detail": "staging",  # the data schema, as everywhere else in the app
    }
    assert details["model.p.stg"]["columns"] == [
        {"name": "id", "type": "integer", "description": "The key"}
    ]
    assert details["pipeline.4"]["kind"] == "Pipeline" and details["pipeline.4"]["schema"] == ""
    assert details["source.p.shop.items"]["schema"] == "raw"
    assert next(n for n in nodes if n["id"] == "pipeline.4")["data"]["detail"] == ""


def test_the_catalog_note_says_which_docs_run_gave_the_types():
    from datetime import UTC, datetime

    assert catalog_note(None).startswith("No column types yet")
    moment = datetime(2026, 3, 1, 14, 5, tzinfo=UTC)
    assert catalog_note({"run_id": 12, "generated_at": moment}) == (
        "Column types from docs run #12, 2026-03-01 14:05 UTC."
    )
