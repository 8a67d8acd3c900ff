"""How dbt sources read on the sources page, and the source form to and from the service."""

from __future__ import annotations

from datetime import UTC, datetime

from etlfabric.models import DbtSource
from etlfabric.services.source_freshness import Freshness
from etlfabric.ui.state.source_format import age, source_fields, source_row, threshold


def test_thresholds_and_ages_read_in_words():
    assert threshold({"count": 1, "period": "hour"}) == "1 hour"
    assert threshold({"count": 12, "period": "day"}) == "12 days"
    assert threshold(None) == ""
    assert [age(s) for s in (None, 4.9, 125, 3 * 3600 + 310, 50 * 3600)] == [
        "",
        "4 s",
        "2 min",
        "3 h 05 min",
        "2 d 02 h",
    ]


def test_a_row_shows_the_status_word_age_check_and_run_and_keeps_the_form_values():
    source = DbtSource(
        id=7,
        source_name="raw",
        schema_name="raw",
        table_name="orders",
        loaded_at_field="loaded_at",
        warn_after={"count": 2, "period": "hour"},
        error_after=None,
        description="",
    )
    checked = datetime(2026, 3, 1, 14, 5, tzinfo=UTC)
    row = source_row(source, Freshness("warn", "2026-03-01 11:00:00", 11100.0, checked, 42))
    assert row["label"] == "Warning" and row["age"] == "newest row 3 h 05 min old"
    assert row["checked"] == "2026-03-01 14:05 UTC" and row["run_href"] == "/runs/42"
    assert row["table"] == "raw.orders" and row["warn_after"] == "2 hours"
    assert row["error_after"] == "" and row["message"] == ""
    assert (row["form_warn_count"], row["form_warn_period"]) == ("2", "hour")
    assert row["form_error_count"] == row["form_error_period"] == ""
    never = source_row(source, Freshness("never"))
    assert (never["label"], never["checked"], never["run_href"]) == ("Never checked", "", "")


def test_the_form_gives_the_service_its_fields():
    form = {
        "source_name": " shop ",
        "schema_name": "raw",
        "table_name": "orders",
        "loaded_at_field": "",
        "warn_count": "3",
        "warn_period": "day",
        "error_count": "",
        "error_period": "",
        "description": "Orders ",
    }
    assert source_fields(form) == {
        "source_name": "shop",
        "schema_name": "raw",
        "table_name": "orders",
        "loaded_at_field": None,
        "warn_after": {"count": 3, "period": "day"},
        "error_after": None,
        "description": "Orders",
    }
    # what is not a whole number reaches the service as typed, which names the field
    odd = source_fields({**form, "error_count": "1.5", "error_period": ""})
    assert odd["error_after"] == {"count": "1.5", "period": ""}
