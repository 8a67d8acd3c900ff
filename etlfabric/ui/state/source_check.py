"""The sources page's "Check freshness": a `dbt source freshness` Run on a worker, followed until
it ends, then the statuses are read again. A check still going when the page loads (started by a
schedule, the API or another tab) is followed the same way."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import dbt_project, source_freshness
from etlfabric.ui.state.acting import acting_principal
from etlfabric.ui.state.dbt_sources import DbtSourcesState
from etlfabric.ui.state.run_follow import run_updates
from etlfabric.ui.state.run_format import ACTIVE, status_label


class SourceCheckState(rx.State):
    run_id: str = ""
    run_status: str = ""
    run_error: str = ""
    problem: str = ""
    _watch: int = 0  # bumped by every load: an older follow loop stops

    @rx.var
    def checking(self) -> bool:
        return self.run_status in ACTIVE

    @rx.var
    def run_label(self) -> str:
        return status_label(self.run_status) if self.run_status else ""

    @rx.event(background=True)
    async def resume(self):
        """on_load: show the latest check; follow it if it is still going."""
        async with self:
            self._watch += 1
            watch, self.problem = self._watch, ""
            principal = await acting_principal(self)
        if principal is None:
            return
        async with tenant_session(principal.org_id) as session:
            run = await source_freshness.latest_check(session=session, principal=principal)
        async with self:
            self.run_id = str(run.id) if run else ""
            self.run_status = run.status.value if run else ""
            self.run_error = (run.error or "") if run else ""
        if run is not None and run.status.value in ACTIVE:
            await self._follow(principal, run.id, watch)

    @rx.event(background=True)
    async def check(self):
        async with self:
            if self.checking:
                return
            principal = await acting_principal(self)
            watch, self.problem = self._watch, ""
        if principal is None:
            return
        try:
            async with tenant_session(principal.org_id) as session:
                run = await dbt_project.run_project(
                    session=session, principal=principal, command="freshness"
                )
        except DomainError as exc:
            async with self:
                self.problem = exc.message
            return
        async with self:
            self.run_id, self.run_status, self.run_error = str(run.id), run.status.value, ""
        await self._follow(principal, run.id, watch)

    @rx.event
    def stop_following(self):
        """on_unmount of the check bar: a check followed by it stops being re-read."""
        self._watch += 1

    async def _follow(self, principal, run_id: int, watch: int) -> None:
        """Follow the run until it ends, then read the sources' statuses again."""
        try:
            async for run in run_updates(principal, run_id):
                async with self:
                    if self._watch != watch or self.run_id != str(run_id):
                        return  # the page was loaded again, or another check replaced this one
                    self.run_status = run.status.value
                    if run.status.value not in ACTIVE:
                        self.run_error = run.error or ""
                        sources = await self.get_state(DbtSourcesState)
                        await sources._fetch()
        except DomainError as exc:
            async with self:
                self.problem = exc.message
