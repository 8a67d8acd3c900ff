"""The sources page's dialog: declare a source table or edit one (name, schema.table, loaded-at
column, warn/error thresholds, description); a refusal appears under the field it names."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import dbt_project
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors
from etlfabric.ui.state.dbt_sources import DbtSourcesState
from etlfabric.ui.state.source_format import EMPTY_FORM, SOURCE_FIELDS, source_fields


class SourceFormState(rx.State):
    open: bool = False
    editing: str = ""  # the id of the source in the form; "" declares a new one
    values: dict[str, str] = dict(EMPTY_FORM)  # what the form opens with
    errors: dict[str, str] = {}
    saving: bool = False

    @rx.event
    def set_open(self, is_open: bool):
        """The "Add source" trigger opens an empty form; closing forgets the edited one."""
        self.open, self.errors = is_open, {}
        self.editing, self.values = "", {**EMPTY_FORM, "schema_name": "raw"}

    @rx.event
    def edit(self, row: dict):
        """Open the form on one row of the table (its `form_*` cells hold the values)."""
        self.values = {k: str(row.get(f"form_{k}") or "") for k in EMPTY_FORM}
        self.editing, self.errors, self.open = str(row["id"]), {}, True

    @rx.event
    async def save(self, form_data: dict):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        self.errors, self.saving = {}, True
        fields = source_fields(form_data)
        try:
            async with tenant_session(principal.org_id) as session:
                if self.editing:
                    row = await dbt_project.update(
                        session=session,
                        principal=principal,
                        kind="source",
                        row_id=int(self.editing),
                        **fields,
                    )
                else:
                    row = await dbt_project.create(
                        session=session, principal=principal, kind="source", **fields
                    )
        except DomainError as exc:
            self.errors, self.saving = field_errors(exc, SOURCE_FIELDS), False
            return None
        done = "saved" if self.editing else "declared"
        self.saving = self.open = False
        self.editing, self.values = "", dict(EMPTY_FORM)
        sources = await self.get_state(DbtSourcesState)
        await sources._fetch()
        return rx.toast.success(f"Source {row.source_name}.{row.table_name} was {done}.")
