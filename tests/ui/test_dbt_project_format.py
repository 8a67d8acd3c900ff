"""How the dbt project page reads an uploaded seed CSV and shows seeds and snapshots."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from etlfabric.errors import Invalid
from etlfabric.ui.state.dbt_seed_files import read_csv, seed_name, seed_row, size_text
from etlfabric.ui.state.dbt_snapshots import snapshot_fields, strategy_text
from etlfabric.ui.state.dbt_transfer import created_rows


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("Country Codes.csv", "country_codes"),
        ("C:\\exports\\orders-2024.CSV", "orders_2024"),
        ("2024 sales.csv", "seed_2024_sales"),
        ("ünïcode.csv", "n_code"),
    ],
)
def test_a_seed_is_named_after_its_file(filename, expected):
    assert seed_name(filename) == expected


def test_a_seed_row_shows_columns_rows_and_size():
    seed = SimpleNamespace(
        id=7,
        name="codes",
        schema_name="raw",
        csv="code,name\nde,Germany\n\nfr,France\n",
        description="",
    )
    row = seed_row(seed)
    assert (row["columns"], row["rows"], row["size"]) == ("code, name", "2", "32 B")
    assert size_text(4_200) == "4.2 kB" and size_text(5_000_000) == "5.0 MB"


def test_an_uploaded_csv_is_read_without_its_byte_order_mark():
    assert read_csv("a.csv", "\ufeffid,name\n1,x\n".encode()) == "id,name\n1,x\n"


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("a.xlsx", b"id\n1\n", "a.xlsx is not a CSV file"),
        ("a.csv", b"id\n" + b"1\n" * 2_500_001, "a.csv is 5.0 MB; a seed is at most 5 MB"),
        ("a.csv", "id,näme\n".encode("latin-1"), "a.csv is not UTF-8 text"),
        ("a.csv", b"", "a.csv is empty"),
        ("a.csv", b"id,full name\n", "'full name' is not a column name"),
        ("a.csv", b"id,ID\n", "column 'ID' appears twice"),
    ],
)
def test_a_bad_upload_is_refused_on_the_file_field(filename, data, message):
    with pytest.raises(Invalid) as refused:
        read_csv(filename, data)
    assert refused.value.field == "file" and message in refused.value.message


def test_the_snapshot_form_in_the_services_terms():
    form = {
        "snap_name": " history ",
        "snap_schema": "staging",
        "snap_sql": "select 1",
        "snap_unique_key": "id",
        "snap_strategy": "check",
        "snap_check_cols": "a, b,",
        "snap_updated_at": "ignored",
    }
    fields = snapshot_fields(form)
    assert fields["name"] == "history" and fields["check_cols"] == ["a", "b"]
    assert "updated_at_column" not in fields
    assert snapshot_fields({**form, "snap_check_cols": " ALL "})["check_cols"] == "all"
    timestamp = snapshot_fields({**form, "snap_strategy": "timestamp"})
    assert timestamp["updated_at_column"] == "ignored" and "check_cols" not in timestamp


def test_strategies_and_import_counts_read_as_words():
    check = SimpleNamespace(strategy="check", check_cols=[], updated_at_column=None)
    assert strategy_text(check) == "check: all columns"
    stamp = SimpleNamespace(strategy="timestamp", check_cols=[], updated_at_column="at")
    assert strategy_text(stamp) == "timestamp: at"
    assert created_rows({"models": 2})[:2] == [
        {"kind": "Models", "count": "2"},
        {"kind": "Tests", "count": "0"},
    ]
