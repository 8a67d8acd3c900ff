"""The month calendar on a schedule's page: each day with how that schedule's runs went.

A day reads as a word as well as a colour ("2 succeeded, 1 failed"), so the calendar does not
depend on colour alone. Months move with Previous / Next; the schedule's timezone decides which
day a run belongs to (services/schedule_calendar.py).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import schedule_calendar
from etlfabric.services.schedule_calendar import DayOutcome
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_state(outcome: DayOutcome | None) -> str:
    """succeeded | failed | mixed | other | none: what colour the day gets."""
    if outcome is None or outcome.total == 0:
        return "none"
    if outcome.failed and outcome.succeeded:
        return "mixed"
    if outcome.failed:
        return "failed"
    if outcome.succeeded:
        return "succeeded"
    return "other"


def day_summary(outcome: DayOutcome | None) -> str:
    """ "2 succeeded, 1 failed" — the words the day shows; "" for a day without runs."""
    if outcome is None:
        return ""
    parts = [
        f"{count} {word}"
        for count, word in (
            (outcome.succeeded, "succeeded"),
            (outcome.failed, "failed"),
            (outcome.other, "other"),
        )
        if count
    ]
    return ", ".join(parts)


def month_grid(
    year: int, month: int, outcomes: dict[date, DayOutcome], today: date
) -> list[list[dict[str, str]]]:
    """Weeks (Monday first) of day cells: {"day", "date", "in_month", "state", "summary",
    "label", "today"}; days of the neighbouring months fill the first and last weeks, blank."""
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        cells = []
        for day in week:
            inside = day.month == month
            outcome = outcomes.get(day) if inside else None
            summary = day_summary(outcome)
            label = f"{day:%A %-d %B}: {summary or 'no runs'}"
            cells.append(
                {
                    "day": str(day.day) if inside else "",
                    "date": day.isoformat(),
                    "in_month": "yes" if inside else "",
                    "state": day_state(outcome),
                    "summary": summary,
                    "label": label if inside else "",
                    "today": "yes" if day == today else "",
                }
            )
        weeks.append(cells)
    return weeks


def shifted(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


class ScheduleCalendarState(rx.State):
    year: int = 2000
    month: int = 1
    weeks: list[list[dict[str, str]]] = []
    month_summary: str = ""
    error: str = ""
    _schedule_id: int = 0
    _timezone: str = "UTC"

    @rx.var
    def month_label(self) -> str:
        return f"{calendar.month_name[self.month]} {self.year}"

    async def _fetch(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                outcomes = await schedule_calendar.month_outcomes(
                    session=session,
                    principal=principal,
                    schedule_id=self._schedule_id,
                    year=self.year,
                    month=self.month,
                    timezone=self._timezone,
                )
        except DomainError as exc:
            self.error, self.weeks = exc.message, []
            return None
        today = datetime.now(UTC).astimezone(ZoneInfo(self._timezone)).date()
        self.weeks, self.error = month_grid(self.year, self.month, outcomes, today), ""
        good = sum(o.succeeded for o in outcomes.values())
        bad = sum(o.failed for o in outcomes.values())
        self.month_summary = (
            f"{good} succeeded and {bad} failed this month" if outcomes else "No runs this month"
        )
        return None

    async def show(self, schedule_id: int, timezone: str):
        """Called by the schedule page once it knows the schedule: this month, in its zone."""
        self._schedule_id, self._timezone = schedule_id, timezone or "UTC"
        today = datetime.now(UTC).astimezone(ZoneInfo(self._timezone)).date()
        self.year, self.month = today.year, today.month
        return await self._fetch()

    @rx.event
    async def previous_month(self):
        self.year, self.month = shifted(self.year, self.month, -1)
        return await self._fetch()

    @rx.event
    async def next_month(self):
        self.year, self.month = shifted(self.year, self.month, 1)
        return await self._fetch()

    @rx.event
    async def this_month(self):
        return await self.show(self._schedule_id, self._timezone)
