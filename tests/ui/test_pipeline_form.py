"""The pipeline editor's form strings to and from the pipelines service's fields, checked by the
service's own pure checks; and where each service error is shown."""

from __future__ import annotations

import pytest

from etlfabric.errors import Invalid
from etlfabric.services import pipeline_checks
from etlfabric.ui.state import pipeline_form as pf


def values(**changes) -> dict[str, str]:
    return pf.DEFAULTS | {"name": "Orders", "source": "3", "destination": "1"} | changes


def test_a_single_table_form_becomes_fields_the_checks_accept():
    fields = pf.to_fields(
        values(
            table="orders",
            cursor_column="updated_at",
            initial_value="2024-01-01",
            primary_key="id, region",
            write_disposition="merge",
            contract_columns="freeze",
            batch_size="5000",
            sensitive_columns="email\nphone",
            options='{"backend": "pyarrow"}',
        ),
        [],
        [
            {"column": "amount", "op": "gte", "value": "10"},
            {"column": "c", "op": "in", "value": "PT, 7"},
        ],
    )
    assert fields["source_connection_id"] == 3 and fields["destination_connection_id"] == 1
    assert fields["config"] == {
        "table": "orders",
        "incremental": {"cursor_column": "updated_at", "initial_value": "2024-01-01"},
        "options": {"backend": "pyarrow"},
    }
    assert fields["primary_key"] == ["id", "region"]
    assert fields["schema_contract"] == {"columns": "freeze"}
    assert fields["filters"] == [
        {"column": "amount", "op": "gte", "value": 10},
        {"column": "c", "op": "in", "value": ["PT", 7]},
    ]
    assert fields["batch_size"] == 5000 and fields["sensitive_columns"] == ["email", "phone"]
    assert pipeline_checks.clean(fields)["write_disposition"] == "merge"


def test_values_read_like_json_scalars():
    assert [pf.scalar(t) for t in ("42", "1.5", "true", "null", '"42"', "abc", " [1] ")] == [
        42,
        1.5,
        True,
        None,
        "42",
        "abc",
        "[1]",
    ]


def test_rest_resources_and_the_stored_pipeline_round_trip():
    resources = [
        {"path": "/orders", "name": "", "primary_key": "id", "incremental_param": "since"}
        | {"cursor_path": "updated", "params": "status=open&limit=50"}
    ]
    fields = pf.to_fields(values(mode="rest", dataset_name="raw"), resources, [])
    assert fields["config"]["resources"] == [
        {
            "path": "/orders",
            "incremental_param": "since",
            "cursor_path": "updated",
            "primary_key": ["id"],
            "params": {"status": "open", "limit": 50},
        }
    ]
    view = {"id": 9, **pipeline_checks.clean(fields)}
    back, rows, filters = pf.from_view(view)
    assert back["mode"] == "rest" and back["source"] == "3" and filters == []
    assert rows[0]["name"] == "orders" and rows[0]["params"] == "status=open, limit=50"
    assert pf.to_fields(back, rows, filters)["config"] == view["config"]


def test_an_advanced_pipeline_stays_advanced_while_it_has_options():
    view = {
        "id": 2,
        **pipeline_checks.clean(
            {
                "name": "A",
                "source_connection_id": 1,
                "destination_connection_id": 2,
                "dataset_name": "raw",
                "mode": "advanced",
                "config": {"base": "table", "table": "t", "options": {"extract_workers": 2}},
            }
        ),
    }
    back, rows, filters = pf.from_view(view)
    assert (back["mode"], back["base"]) == ("table", "table")
    assert pf.to_fields(back, rows, filters)["mode"] == "advanced"
    assert pf.to_fields(back | {"options": ""}, rows, filters)["mode"] == "table"


def test_bad_options_and_missing_connections_name_their_inputs():
    with pytest.raises(Invalid) as bad_json:
        pf.to_fields(values(options="{nope"), [], [])
    assert bad_json.value.field == "config.options" and "Not valid JSON" in bad_json.value.message
    with pytest.raises(Invalid) as no_source:
        pf.to_fields(values(source=""), [], [])
    assert no_source.value.field == "source_connection_id"


@pytest.mark.parametrize(
    ("field", "target"),
    [
        ("name", ("name", "name")),
        ("source_connection_id", ("source", "source")),
        ("primary_key", ("primary_key", "primary_key")),
        ("primary_key[1]", ("primary_key", "primary_key")),
        ("config.table", ("table", "table")),
        ("config.incremental.initial_value", ("initial_value", "initial_value")),
        ("config.tables[0]", ("tables", "tables")),
        ("config.options.backend", ("options", "options")),
        ("config.filter", ("odata_filter", "odata_filter")),
        ("config.resources", ("resources", "resources")),
        ("config.resources[2].cursor_path", ("resource-2", "resource-2-cursor_path")),
        ("filters[1].op", ("filter-1", "filter-1-op")),
        ("schema_contract.data_type", ("contract_data_type", "contract_data_type")),
        (None, ("", "")),
    ],
)
def test_each_service_error_lands_beside_its_input(field, target):
    assert pf.error_target(field) == target


def test_typed_values_keep_their_type_through_the_form():
    assert [pf.scalar_text(v) for v in (42, "42", "PT", None, True, " x")] == [
        "42",
        '"42"',
        "PT",
        "null",
        "true",
        '" x"',
    ]
    stored = pipeline_checks.clean(
        pf.to_fields(
            values(table="t", cursor_column="code", initial_value='"007"'),
            [],
            [{"column": "c", "op": "not_in", "value": '1, "1", null'}],
        )
    )
    back, rows, filters = pf.from_view({"id": 1, **stored})
    assert back["initial_value"] == "007" and filters[0]["value"] == '1, "1", null'
    again = pf.to_fields(back, rows, filters)
    assert again["config"] == stored["config"] and again["filters"] == stored["filters"]
    no_start = pf.to_fields(values(table="t", cursor_column="id"), [], [])
    assert no_start["config"]["incremental"] == {"cursor_column": "id", "initial_value": None}
