"""The editor's side panel: Compile, Preview, Run and Test of the model being edited.

Each saves the editor's changes first (dbt reads the saved project), then asks a worker: compile
and preview are answered through dbt_requests (the web only waits), run and test are Runs this
panel follows until they end. All are background events, so the page shows progress meanwhile.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import transformations
from etlfabric.ui.state.acting import acting_principal
from etlfabric.ui.state.run_follow import run_updates
from etlfabric.ui.state.run_format import ACTIVE, status_label
from etlfabric.ui.state.transformation_editor import TransformationEditorState
from etlfabric.ui.state.transformation_format import dbt_test_results, preview_table


class TransformationActionsState(rx.State):
    busy: str = ""  # what the panel waits for: "compile", "preview", "run", "test" or ""
    tab: str = "compiled"
    compiled_sql: str = ""
    preview_columns: list[str] = []
    preview_rows: list[list[str]] = []
    run_id: str = ""
    run_command: str = ""
    run_status: str = ""
    run_error: str = ""
    test_rows: list[dict[str, str]] = []
    problem: str = ""
    selection: str = ""

    @rx.var
    def run_status_label(self) -> str:
        return status_label(self.run_status) if self.run_status else ""

    @rx.var
    def preview_summary(self) -> str:
        count = len(self.preview_rows)
        return f"{count} row{'s' * (count != 1)} (at most 100)" if self.preview_columns else ""

    @rx.event
    def reset_panel(self):
        """on_load: a fresh panel for the model in the address."""
        self.busy, self.tab, self.problem, self.selection = "", "compiled", "", ""
        self.compiled_sql, self.preview_columns, self.preview_rows = "", [], []
        self.run_id = self.run_command = self.run_status = self.run_error = ""
        self.test_rows = []

    @rx.event
    def stop_following(self):
        """on_unmount of the panel: a run followed by it stops being re-read (it goes on)."""
        self.run_id = ""

    @rx.event
    def set_tab(self, tab: str):
        self.tab = tab

    @rx.event
    def set_selection(self, value: str):
        self.selection = value

    async def _begin(self, what: str):
        """Inside `async with self`: (principal, model id) once the editor is saved, else None."""
        if self.busy:
            return None
        principal = await acting_principal(self)
        editor = await self.get_state(TransformationEditorState)
        if principal is None or not editor.loaded_id:
            return None
        if not await editor._save_changes(principal):
            self.problem = "Fix the errors in the form first."
            return None
        self.busy, self.problem = what, ""
        self.tab = {"compile": "compiled", "preview": "preview"}.get(what, "results")
        return principal, editor.loaded_id

    @rx.event(background=True)
    async def compile(self):
        async with self:
            begun = await self._begin("compile")
        if begun is None:
            return
        principal, model_id = begun
        try:
            answer = await transformations.compile_sql(
                principal=principal, transformation_id=model_id
            )
        except DomainError as exc:
            async with self:
                self.busy, self.problem = "", exc.message
            return
        async with self:
            self.busy, self.compiled_sql = "", answer["compiled_sql"].strip()

    @rx.event(background=True)
    async def preview(self):
        async with self:
            begun = await self._begin("preview")
        if begun is None:
            return
        principal, model_id = begun
        try:
            answer = await transformations.preview(principal=principal, transformation_id=model_id)
        except DomainError as exc:
            async with self:
                self.busy, self.problem = "", exc.message
            return
        async with self:
            self.busy = ""
            self.preview_columns, self.preview_rows = preview_table(answer)

    @rx.event(background=True)
    async def run(self):
        await self._start("run")

    @rx.event(background=True)
    async def test(self):
        await self._start("test")

    async def _start(self, command: str):
        async with self:
            begun = await self._begin(command)
            select = self.selection if command == "run" else None
        if begun is None:
            return
        principal, model_id = begun
        try:
            async with tenant_session(principal.org_id) as session:
                run = await transformations.run(
                    session=session,
                    principal=principal,
                    transformation_id=model_id,
                    select=select or None,
                    command=command,
                )
        except DomainError as exc:
            async with self:
                self.busy, self.problem = "", exc.message
            return
        async with self:
            self.run_id, self.run_command = str(run.id), command
            self.run_status, self.run_error, self.test_rows = run.status.value, "", []
        await self._follow(principal, run.id)

    async def _follow(self, principal, run_id: int) -> None:
        try:
            async for run in run_updates(principal, run_id):
                async with self:
                    if self.run_id != str(run_id):
                        return  # another run replaced this one in the panel
                    self.run_status = run.status.value
                    if run.status.value not in ACTIVE:
                        self.run_error = run.error or ""
                        self.test_rows = dbt_test_results(run.details)
        except DomainError as exc:
            async with self:
                self.busy, self.problem = "", exc.message
            return
        async with self:
            self.busy = ""  # ended, or still going after FOLLOW_SECONDS (its page says more)
