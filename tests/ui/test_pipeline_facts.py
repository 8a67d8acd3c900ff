"""What the pipeline page says a pipeline reads, which incremental cursor it keeps, and how the
state's moments read."""

from __future__ import annotations

from etlfabric.models import Pipeline
from etlfabric.ui.state.pipeline_detail import moment
from etlfabric.ui.state.pipeline_facts import configured_cursor, reads


def pipeline(mode: str, **config) -> Pipeline:
    return Pipeline(name="p", mode=mode, config=config)


def test_a_single_table_names_its_table_and_cursor():
    orders = pipeline(
        "table", table="orders", incremental={"cursor_column": "id", "initial_value": 0}
    )
    assert reads(orders) == ("Table", "orders")
    assert configured_cursor(orders) == "id (from 0)"
    plain = pipeline("table", table="orders")
    assert configured_cursor(plain) == ""


def test_other_modes_say_what_they_read():
    assert reads(pipeline("database", tables=["a", "b"])) == ("Tables", "a, b")
    assert reads(pipeline("database")) == ("Tables", "every table of the source")
    assert reads(pipeline("odata", entity_set="People")) == ("Entity set", "People")
    assert reads(pipeline("files", glob="drops/*.csv")) == ("Files", "drops/*.csv")
    rest = pipeline(
        "rest",
        resources=[
            {"name": "orders", "path": "/orders", "cursor_path": "updated_at"},
            {"name": "users", "path": "/users"},
        ],
    )
    assert reads(rest) == ("Resources", "orders, users")
    assert configured_cursor(rest) == "orders: updated_at"
    advanced = pipeline("advanced", base="table", table="t", incremental={"cursor_column": "ts"})
    assert (reads(advanced), configured_cursor(advanced)) == (("Table", "t"), "ts")


def test_state_moments_read_like_the_rest_of_the_app():
    assert moment("2026-11-24T02:08:17.157151+00:00") == "2026-11-24 02:08:17 UTC"
    assert moment(None) == "" and moment("") == ""
