"""Charts of runs over time: one target's analytics (script and pipeline pages) and the
organisation's trend (dashboard), both from services/run_analytics."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.models import TargetType
from etlfabric.services import run_analytics
from etlfabric.ui.state.acting import acting_principal
from etlfabric.ui.state.run_detail import run_id_of
from etlfabric.ui.state.run_format import duration, when

DASHBOARD_DAYS = 14
WINDOW_LABELS = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}


def chart_days(days: list[run_analytics.DayStats]) -> list[dict]:
    """Rows for recharts: numbers (seconds for durations), the day as `MM-DD`."""

    def seconds(ms: float | None) -> float | None:
        return None if ms is None else round(ms / 1000, 2)

    return [
        {
            "day": day.day.strftime("%m-%d"),
            "succeeded": day.succeeded,
            "failed": day.failed,
            "other": day.runs - day.succeeded - day.failed,
            "p50": seconds(day.p50_ms),
            "p95": seconds(day.p95_ms),
        }
        for day in days
    ]


def rate_rows(success: dict) -> list[dict[str, str]]:
    rows = []
    for window, rate in success.items():
        percent = "—" if rate.percent is None else f"{rate.percent:.0f}%"
        detail = f"{rate.succeeded} of {rate.finished}" if rate.finished else "no finished runs"
        rows.append({"window": WINDOW_LABELS[window], "percent": percent, "detail": detail})
    return rows


class TargetAnalyticsState(rx.State):
    rates: list[dict[str, str]] = []
    days: list[dict] = []
    anomalies: list[dict[str, str]] = []
    error: str = ""

    async def _load(self, kind: TargetType):
        self.rates, self.days, self.anomalies, self.error = [], [], [], ""
        principal = await acting_principal(self)
        target_id = run_id_of(self.router.url.path)
        if principal is None or target_id is None:
            return
        try:
            async with tenant_session(principal.org_id) as session:
                found = await run_analytics.target_analytics(
                    session=session, principal=principal, target_type=kind, target_id=target_id
                )
        except DomainError as exc:
            self.error = exc.message
            return
        self.rates, self.days = rate_rows(found.success), chart_days(found.days)
        self.anomalies = [
            {
                "id": str(a.run_id),
                "href": f"/runs/{a.run_id}",
                "queued": when(a.queued_at),
                "duration": duration(a.duration_ms),
                "baseline": duration(round(a.baseline_p95_ms)),
            }
            for a in found.anomalies[:10]
        ]

    @rx.event
    async def load_script(self):
        await self._load(TargetType.script)

    @rx.event
    async def load_pipeline(self):
        await self._load(TargetType.pipeline)


class TrendState(rx.State):
    """The dashboard's chart: the organisation's runs per day and duration percentiles."""

    days: list[dict] = []

    @rx.event
    async def load(self):
        principal = await acting_principal(self)
        if principal is None:
            return
        try:
            async with tenant_session(principal.org_id) as session:
                found = await run_analytics.organization_daily(
                    session=session, principal=principal, days=DASHBOARD_DAYS
                )
        except DomainError:
            self.days = []
            return
        self.days = chart_days(found)
