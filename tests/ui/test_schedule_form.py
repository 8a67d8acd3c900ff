"""The schedule editor's form strings to and from the schedules service's fields."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from etlfabric.errors import Invalid
from etlfabric.ui.state import schedule_form as sf


def values(**changes) -> dict[str, str]:
    return sf.DEFAULTS | {"target": "script:7"} | changes


def test_the_cron_builder_edits_one_field_at_a_time():
    assert sf.cron_parts("30 7 * * 1-5") == ["30", "7", "*", "*", "1-5"]
    assert sf.cron_parts("*/5 *") == ["*/5", "*", "", "", ""]
    assert sf.with_cron_part("30 7 * * 1-5", 1, " 9 ") == "30 9 * * 1-5"
    assert sf.with_cron_part("*/5", 4, "mon") == "*/5 * * * mon"


def test_a_cron_error_lands_under_the_field_it_names():
    errors = sf.error_map("cron", "The hour field has 24; use 0 to 23.")
    assert errors == {"cron": "The hour field has 24; use 0 to 23.", "cron_hour": errors["cron"]}
    assert "cron_weekday" in sf.error_map("cron", "The day of week field has 'xyz', which is ...")
    assert sf.error_map("cron", "A cron expression has 5 fields; this one has 3.").keys() == {
        "cron"
    }
    assert sf.error_map("interval_seconds", "no") == {"interval_value": "no"}
    assert sf.error_map(None, "Something else") == {"": "Something else"}


def test_a_weekly_form_becomes_the_services_form():
    fields = sf.to_fields(values(build="weekly", days="mon,fri", time="07:30"))
    assert fields["kind"] == "cron"
    assert fields["form"] == {"type": "weekly", "days": ["mon", "fri"], "time": "07:30"}
    assert fields["target_type"] == "script" and fields["target_id"] == 7
    assert fields["max_attempts"] == 2 and fields["timeout_seconds"] is None
    assert fields["enabled"] is True


def test_a_monthly_form_on_day_31_keeps_the_short_months_rule():
    fields = sf.timing_fields(values(build="monthly", day="31", short_months="last_day"))
    assert fields["form"]["day"] == 31 and fields["short_months"] == "last_day"


def test_the_raw_expression_clears_the_simple_form():
    fields = sf.timing_fields(values(build="cron", cron=" */15  * * * * "))
    assert fields["cron"] == "*/15  * * * *" and fields["form"] is None


def test_times_are_read_on_the_schedules_wall_clock():
    fields = sf.timing_fields(
        values(kind="once", run_at="2026-03-29T02:30", timezone="Europe/Berlin")
    )
    assert fields["run_at"] == datetime(2026, 3, 29, 2, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    assert fields["timezone"] == "Europe/Berlin"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target": ""}, "target_id"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"kind": "interval", "interval_value": "0"}, "interval_seconds"),
        ({"kind": "once", "run_at": ""}, "run_at"),
        ({"build": "weekly", "days": ""}, "form"),
        ({"max_attempts": "eleven"}, "max_attempts"),
        ({"start_at": "tomorrow"}, "start_at"),
    ],
)
def test_bad_input_names_its_field(changes, field):
    with pytest.raises(Invalid) as caught:
        sf.to_fields(values(**changes))
    assert caught.value.field == field


def test_a_stored_schedule_reads_back_as_the_form_it_was_built_with():
    view = {
        "target_type": "script",
        "target_id": 3,
        "kind": "interval",
        "interval_seconds": 7200,
        "timezone": "Europe/Lisbon",
        "start_at": datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
        "enabled": False,
        "max_attempts": 3,
        "timeout_seconds": None,
        "form": None,
    }
    form = sf.from_view(view)
    assert (form["interval_value"], form["interval_unit"]) == ("2", "hours")
    assert form["start_at"] == "2026-06-01T09:00"  # Lisbon summer time
    assert form["enabled"] == "" and form["max_attempts"] == "3" and form["timeout_seconds"] == ""
    weekly = sf.from_view(
        view | {"kind": "cron", "form": {"type": "weekly", "days": ["sat"], "time": "10:00"}}
    )
    assert (weekly["build"], weekly["days"], weekly["time"]) == ("weekly", "sat", "10:00")


def test_preview_rows_show_both_zones():
    moment = datetime(2026, 1, 5, 7, 30, tzinfo=ZoneInfo("Europe/Lisbon"))
    (row,) = sf.preview_rows([moment], "Europe/Lisbon", "Asia/Tokyo")
    assert row["schedule"] == "Mon 2026-01-05 07:30 WET"
    assert row["viewer"] == "Mon 2026-01-05 16:30 JST"
    assert sf.preview_rows([moment], "UTC", "")[0]["viewer"] == ""
