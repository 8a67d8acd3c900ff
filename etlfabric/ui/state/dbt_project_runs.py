"""The /transformations/project page's runs of the whole project: "Build whole project", "Run
snapshots" and a seed's "Load". Each is a Run (services/dbt_project.run_project) that a worker
executes; the page lists the runs started from it (newest first, the last SHOWN), links to each
and re-reads every one until it ends, so the user sees each one's progress. Each start is a
background event of its own, so runs started one after another are followed side by side and
the page stays usable meanwhile.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import dbt_project
from etlfabric.ui.state.acting import acting_principal
from etlfabric.ui.state.run_follow import run_updates
from etlfabric.ui.state.run_format import ACTIVE, status_label

SHOWN = 5
SEED_PREFIX = "dbt seed "


def entry(run_id: int, label: str, status: str, error: str = "") -> dict[str, str]:
    """One run as the page shows it (all strings, so the page can compare and join them)."""
    active = "yes" if status in ACTIVE else ""
    return {
        "id": str(run_id),
        "label": label,
        "status": status,
        "status_label": status_label(status),
        "error": error,
        "active": active,
    }


class DbtProjectRunState(rx.State):
    runs: list[dict[str, str]] = []  # newest first
    problem: str = ""

    @rx.var
    def seed_runs(self) -> dict[str, dict[str, str]]:
        """The newest load of each seed started here, by seed name (for the seeds table)."""
        found: dict[str, dict[str, str]] = {}
        for run in self.runs:
            if run["label"].startswith(SEED_PREFIX):
                found.setdefault(run["label"].removeprefix(SEED_PREFIX), run)
        return found

    @rx.event
    def reset_runs(self):
        """on_load: nothing followed yet (the runs themselves are on the runs page)."""
        self.runs, self.problem = [], ""

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
            started = entry(run.id, run.target_name, run.status.value)
            self.runs = [started, *self.runs][:SHOWN]
            self.problem = ""
        await self._follow(principal, run.id)

    async def _follow(self, principal, run_id: int) -> None:
        try:
            async for run in run_updates(principal, run_id):
                async with self:
                    if not self._update(run_id, run.status.value, run.error or ""):
                        return  # no longer on the page (left it, or newer runs pushed it out)
        except DomainError as exc:
            async with self:
                self.problem = exc.message

    def _update(self, run_id: int, status: str, error: str) -> bool:
        key = str(run_id)
        if not any(run["id"] == key for run in self.runs):
            return False
        ended = error if status not in ACTIVE else ""
        self.runs = [
            entry(run_id, run["label"], status, ended) if run["id"] == key else run
            for run in self.runs
        ]
        return True
