"""The dashboard's state: members, scripts with their last run and 7-day success rate, counts of
runs by status, the most recent runs, and a run button per script."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import reflex as rx

from etlfabric.db import platform_session, tenant_session
from etlfabric.errors import DomainError
from etlfabric.models import RunStatus, TargetType
from etlfabric.services import (
    members,
    run_analytics,
    run_queries,
    run_stats,
    schedule_queries,
    scripts,
)
from etlfabric.services.permissions import Principal
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal
from etlfabric.ui.state.run_format import run_row, status_label, when

WINDOW = timedelta(days=7)
MAX_SCRIPTS = 20
RECENT_RUNS = 10
NEVER = datetime.min.replace(tzinfo=UTC)


def next_fire_times(planned: list) -> dict[int, datetime]:
    """target id -> the soonest next fire of its enabled schedules."""
    soonest: dict[int, datetime] = {}
    for item in planned:
        moment, target = item.schedule.next_fire_at, item.schedule.target_id
        if moment is not None and (target not in soonest or moment < soonest[target]):
            soonest[target] = moment
    return soonest


def rate_text(rate: run_stats.SuccessRate | None) -> str:
    if rate is None or rate.percent is None:
        return "—"
    return f"{rate.percent:.0f}% ({rate.succeeded} of {rate.finished})"


class DashboardState(rx.State):
    member_count: int = 0
    script_count: int = 0
    scripts: list[dict[str, str]] = []
    counts: dict[str, int] = {}
    recent: list[dict[str, str]] = []
    error: str = ""
    starting: str = ""  # the script whose run is being started

    @rx.var
    def member_count_label(self) -> str:
        return "1 member" if self.member_count == 1 else f"{self.member_count} members"

    @rx.var
    def active_count(self) -> int:
        return self.counts.get("queued", 0) + self.counts.get("running", 0)

    @rx.var
    def week_count(self) -> int:
        return sum(self.counts.values()) - self.active_count

    async def _overview(self, principal: Principal) -> None:
        since = datetime.now(UTC) - WINDOW
        async with tenant_session(principal.org_id) as session:
            found = await scripts.list_scripts(session=session, principal=principal)
            ids = [s.id for s in found]
            last = await run_stats.last_runs(
                session=session, principal=principal, target_type=TargetType.script, target_ids=ids
            )
            rates = await run_stats.success_rates(
                session=session, principal=principal, target_type=TargetType.script, since=since
            )
            counts = await run_stats.status_counts(
                session=session, principal=principal, since=since
            )
            recent = await run_queries.list_runs(
                session=session, principal=principal, page=1, page_size=RECENT_RUNS
            )
            slow = await run_analytics.anomalous_runs(
                session=session, principal=principal, run_ids=[r.id for r in recent.items]
            )
            planned = await schedule_queries.list_schedules(
                session=session, principal=principal, enabled=True, target_type=TargetType.script
            )
        next_runs = next_fire_times(planned)
        found.sort(key=lambda s: last[s.id].queued_at if s.id in last else NEVER, reverse=True)
        self.script_count = len(found)
        self.scripts = [
            {
                "id": str(s.id),
                "name": s.name,
                "href": f"/scripts/{s.id}",
                "enabled": "yes" if s.enabled else "",
                "status": last[s.id].status.value if s.id in last else "",
                "status_label": status_label(last[s.id].status if s.id in last else None),
                "last_run": when(last[s.id].queued_at) if s.id in last else "",
                "last_run_href": f"/runs/{last[s.id].id}" if s.id in last else "",
                "next_run": when(next_runs.get(s.id)) or "—",
                "success_rate": rate_text(rates.get(s.id)),
            }
            for s in found[:MAX_SCRIPTS]
        ]
        self.counts = {status.value: total for status, total in counts.items()}
        self.recent = [run_row(run, slow.get(run.id)) for run in recent.items]

    @rx.event
    async def load(self):
        principal = await acting_principal(self)
        if principal is None:
            return None  # require_user has sent the visitor to sign in
        self.error = ""
        try:
            async with platform_session() as session:
                self.member_count = await members.member_count(
                    session=session, org_id=principal.org_id
                )
            await self._overview(principal)
        except DomainError as exc:
            self.error = exc.message
        return None

    @rx.event
    async def run(self, script_id: str):
        self.starting = script_id
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.starting = ""
            yield SESSION_OVER
            return
        try:
            async with tenant_session(principal.org_id) as session:
                run = await scripts.run(
                    session=session, principal=principal, script_id=int(script_id)
                )
        except DomainError as exc:
            self.starting = ""
            yield rx.toast.error(exc.message)
            return
        self.starting = ""
        yield rx.redirect(f"/runs/{run.id}")


COUNT_TILES = (
    ("Running now", "active_count", "blue"),
    ("Succeeded (7 days)", RunStatus.succeeded.value, "green"),
    ("Failed (7 days)", RunStatus.failed.value, "red"),
    ("Timed out (7 days)", RunStatus.timed_out.value, "orange"),
)
