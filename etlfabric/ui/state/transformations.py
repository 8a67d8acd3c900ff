"""The /transformations page's state: every dbt model with its schema, materialization, last run
and last test (from the Runs), a Run button, and "New transformation" opening the editor."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.models import Run, Transformation
from etlfabric.services import transformation_runs, transformations
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors, read_in_tenant
from etlfabric.ui.state.run_format import status_label, when
from etlfabric.ui.state.transformation_format import MATERIALIZATION_LABELS

STARTER_SQL = "select 1 as id\n"
# service field -> the New transformation form's input
NEW_FIELDS = {"name": "new_name", "schema_name": "new_schema", "materialization": "new_mat"}


def run_cells(prefix: str, run: Run | None) -> dict[str, str]:
    """The list's cells for one run: status, its word, when, a link to the run."""
    return {
        f"{prefix}_status": run.status.value if run else "",
        f"{prefix}_label": status_label(run.status if run else None),
        f"{prefix}_when": when(run.finished_at or run.queued_at) if run else "",
        f"{prefix}_href": f"/runs/{run.id}" if run else "",
    }


def transformation_row(model: Transformation, runs: dict[str, Run]) -> dict[str, str]:
    return {
        "id": str(model.id),
        "href": f"/transformations/{model.id}",
        "name": model.name,
        "schema": model.schema_name,
        "materialization": MATERIALIZATION_LABELS.get(model.materialization, model.materialization),
        "description": model.description or "",
        **run_cells("run", runs.get("run")),
        **run_cells("test", runs.get("test")),
    }


class TransformationsState(rx.State):
    rows: list[dict[str, str]] = []
    schemas: list[str] = []
    loaded: bool = False
    error: str = ""
    create_errors: dict[str, str] = {}
    creating: bool = False

    @rx.var
    def summary(self) -> str:
        count = len(self.rows)
        return f"{count} transformation{'s' * (count != 1)}"

    async def _read(self, session, principal) -> list[dict[str, str]]:
        models = await transformations.list_transformations(session=session, principal=principal)
        latest = await transformation_runs.latest_runs(session=session, principal=principal)
        self.schemas = await transformations.data_schemas(session, principal.org_id)
        return [transformation_row(model, latest.get(model.id, {})) for model in models]

    async def _fetch(self):
        rows = await read_in_tenant(self, self._read, empty=[])
        if rows is None:
            return SESSION_OVER
        self.rows, self.loaded = rows, True
        return None

    @rx.event
    async def load(self):
        self.loaded, self.create_errors = False, {}
        return await self._fetch()

    @rx.event
    async def create(self, form_data: dict):
        """A new model with a starter SELECT; the editor opens on it at once."""
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        self.creating = True
        try:
            async with tenant_session(principal.org_id) as session:
                model = await transformations.create(
                    session=session,
                    principal=principal,
                    name=str(form_data.get("new_name") or "").strip(),
                    schema_name=str(form_data.get("new_schema") or ""),
                    materialization=str(form_data.get("new_mat") or "view"),
                    sql=STARTER_SQL,
                )
        except DomainError as exc:
            self.create_errors = field_errors(exc, NEW_FIELDS)
            return None
        finally:
            self.creating = False
        self.create_errors = {}
        return rx.redirect(f"/transformations/{model.id}")

    @rx.event
    async def run(self, transformation_id: str):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                started = await transformations.run(
                    session=session, principal=principal, transformation_id=int(transformation_id)
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._fetch()
        return rx.toast.success(f"Run #{started.id} of {started.target_name} queued.")
