"""A schedule's runs per day on its own wall clock: the month calendar's numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from etlfabric.db import tenant_session
from etlfabric.errors import PermissionDenied
from etlfabric.models import Role, Run
from etlfabric.services import schedule_calendar
from etlfabric.services.permissions import Principal
from etlfabric.services.schedule_calendar import DayOutcome
from etlfabric.ui.state.schedule_calendar import day_state, day_summary, month_grid
from tests.factories import make_owned_org

# (schedule id, status, fire time in UTC)
RUNS = [
    (1, "succeeded", datetime(2026, 3, 2, 7, 30, tzinfo=UTC)),
    (1, "failed", datetime(2026, 3, 2, 8, 30, tzinfo=UTC)),
    (1, "timed_out", datetime(2026, 3, 3, 7, 30, tzinfo=UTC)),
    (1, "succeeded", datetime(2026, 3, 31, 23, 30, tzinfo=UTC)),  # 1 April in Lisbon (WEST)
    (1, "skipped", datetime(2026, 2, 28, 23, 30, tzinfo=UTC)),  # still February in Lisbon
    (2, "failed", datetime(2026, 3, 2, 7, 30, tzinfo=UTC)),  # another schedule
]


@pytest.fixture(scope="module")
async def history():
    _, _, principal = await make_owned_org()
    async with tenant_session(principal.org_id) as session:
        for schedule_id, status, fire_time in RUNS:
            session.add(
                Run(
                    status=status,
                    target_type="script",
                    target_id=1,
                    trigger="schedule",
                    schedule_id=schedule_id,
                    fire_time=fire_time,
                )
            )
    return principal


async def outcomes(principal, year: int, month: int, timezone: str = "Europe/Lisbon"):
    async with tenant_session(principal.org_id) as session:
        return await schedule_calendar.month_outcomes(
            session=session,
            principal=principal,
            schedule_id=1,
            year=year,
            month=month,
            timezone=timezone,
        )


async def test_runs_count_on_their_local_day(history):
    march = await outcomes(history, 2026, 3)
    assert march == {
        date(2026, 3, 2): DayOutcome(succeeded=1, failed=1),
        date(2026, 3, 3): DayOutcome(failed=1),
    }
    april = await outcomes(history, 2026, 4)
    assert april == {date(2026, 4, 1): DayOutcome(succeeded=1)}
    assert await outcomes(history, 2026, 2) == {date(2026, 2, 28): DayOutcome(other=1)}
    in_utc = await outcomes(history, 2026, 3, "UTC")
    assert in_utc[date(2026, 3, 31)] == DayOutcome(succeeded=1)


async def test_another_organisation_sees_nothing(history):
    _, _, stranger = await make_owned_org()
    assert await outcomes(stranger, 2026, 3) == {}


async def test_a_principal_without_read_is_refused(history):
    nobody = Principal(org_id=history.org_id, role=Role.viewer, api_key_id=1, scopes=frozenset())
    with pytest.raises(PermissionDenied):
        await outcomes(nobody, 2026, 3)


def test_a_day_says_in_words_what_its_colour_shows():
    assert (day_state(DayOutcome(1, 1)), day_summary(DayOutcome(1, 1))) == (
        "mixed",
        "1 succeeded, 1 failed",
    )
    assert day_state(DayOutcome(failed=2)) == "failed"
    assert day_state(None) == "none" and day_summary(None) == ""
    weeks = month_grid(2026, 3, {date(2026, 3, 2): DayOutcome(2)}, date(2026, 3, 2))
    cells = [cell for week in weeks for cell in week if cell["in_month"]]
    assert len(cells) == 31
    monday = next(cell for cell in cells if cell["date"] == "2026-03-02")
    assert monday["label"] == "Monday 2 March: 2 succeeded"
    assert monday["state"] == "succeeded" and monday["today"] == "yes"
    assert weeks[0][0]["date"] == "2026-02-23"  # weeks start on Monday
