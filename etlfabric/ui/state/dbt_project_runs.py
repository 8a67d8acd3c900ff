"""The /transformations/project page's runs of the whole project: "Build whole project", "Run
snapshots" and a seed's "Load". Each is a Run (services/dbt_project.run_project) that a worker
executes; the page links to it and re-reads it until it ends, so the user sees the progress.
A background event, so the page stays usable meanwhile; a newer start replaces the one followed.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import dbt_project
from etlfabric.ui.state.acting import acting_principal
from etlfabric.ui.state.run_follow import run_updates
from etlfabric.ui.state.run_format import ACTIVE, status_label


class DbtProjectRunState(rx.State):
    run_id: str = ""
    run_label: str = ""  # the run's target name: "dbt build", "dbt seed country_codes"...
    run_status: str = ""
    run_error: str = ""
    problem: str = ""

    @rx.var
    def run_status_label(self) -> str:
        return status_label(self.run_status) if self.run_status else ""

    @rx.var
    def following(self) -> bool:
        return self.run_status in ACTIVE

    @rx.event
    def reset_runs(self):
        """on_load: nothing followed yet (the runs themselves are on the runs page)."""
        self.run_id = self.run_label = self.run_status = self.run_error = self.problem = ""

    @rx.event(background=True)
    async def build(self):
        await self._start("build")

    @rx.event(background=True)
    async def run_snapshots(self):
        await self._start("snapshot")

    @rx.event(background=True)
    async def load_seed(self, name: str):
        await self._start("seed", name)

    async def _start(self, command: str, select: str | None = None) -> None:
        async with self:
            principal = await acting_principal(self)
        if principal is None:
            return
        try:
            async with tenant_session(principal.org_id) as session:
                run = await dbt_project.run_project(
                    session=session,
                    principal=principal,
                    command=command,
                    select_=select,
                )
        except DomainError as exc:
            async with self:
                self.problem = exc.message
            return
        async with self:
            self.run_id, self.run_label, self.problem = str(run.id), run.target_name, ""
            self.run_status, self.run_error = run.status.value, ""
        await self._follow(principal, run.id)

    async def _follow(self, principal, run_id: int) -> None:
        try:
            async for run in run_updates(principal, run_id):
                async with self:
                    if self.run_id != str(run_id):
                        return  # a newer run replaced this one on the page
                    self.run_status = run.status.value
                    if run.status.value not in ACTIVE:
                        self.run_error = run.error or ""
        except DomainError as exc:
            async with self:
                self.problem = exc.message
