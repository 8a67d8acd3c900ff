"""The snapshots panel of /transformations/project: the organisation's dbt snapshots (type-2
history of a query) and the "New snapshot" dialog: name, schema, SELECT, unique key, and the
timestamp strategy (an updated-at column) or the check strategy (columns to compare, or all)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import dbt_project
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors
from etlfabric.ui.state.dbt_parts import DbtPartsState

# service field -> the dialog's input
FIELDS = {
    "name": "snap_name",
    "schema_name": "snap_schema",
    "sql": "snap_sql",
    "unique_key": "snap_unique_key",
    "strategy": "snap_strategy",
    "updated_at_column": "snap_updated_at",
    "check_cols": "snap_check_cols",
}


def strategy_text(snapshot) -> str:
    if snapshot.strategy == "timestamp":
        return f"timestamp: {snapshot.updated_at_column}"
    return f"check: {', '.join(snapshot.check_cols) or 'all columns'}"


def snapshot_row(snapshot) -> dict[str, str]:
    return {
        "id": str(snapshot.id),
        "name": snapshot.name,
        "schema": snapshot.schema_name,
        "unique_key": snapshot.unique_key,
        "strategy": strategy_text(snapshot),
        "sql": snapshot.sql,
    }


def check_columns(text: str) -> str | list[str]:
    """'all' (every column), or the comma-separated names as a list."""
    if text.strip().lower() == dbt_project.ALL_COLUMNS:
        return dbt_project.ALL_COLUMNS
    return [part.strip() for part in text.split(",") if part.strip()]


def snapshot_fields(form: dict) -> dict:
    """The dialog's inputs in the service's terms."""
    strategy = str(form.get("snap_strategy") or "timestamp")
    fields = {
        "name": str(form.get("snap_name") or "").strip(),
        "schema_name": str(form.get("snap_schema") or ""),
        "sql": str(form.get("snap_sql") or ""),
        "unique_key": str(form.get("snap_unique_key") or "").strip(),
        "strategy": strategy,
    }
    if strategy == "timestamp":
        fields["updated_at_column"] = str(form.get("snap_updated_at") or "").strip()
    else:
        fields["check_cols"] = check_columns(str(form.get("snap_check_cols") or ""))
    return fields


class DbtSnapshotsState(DbtPartsState, rx.State):
    KIND: ClassVar[str] = "snapshot"

    strategy: str = "timestamp"
    errors: dict[str, str] = {}
    saving: bool = False

    def _row(self, part) -> dict[str, str]:
        return snapshot_row(part)

    @rx.event
    def set_dialog_open(self, value: bool):
        self.dialog_open, self.errors = value, {}
        if value:
            self.strategy = "timestamp"

    @rx.event
    def set_strategy(self, value: str):
        self.strategy = value

    @rx.event
    async def create(self, form_data: dict):
        principal = await acting_principal(self)
        if principal is None:
            yield SESSION_OVER
            return
        self.saving = True
        yield
        try:
            async with tenant_session(principal.org_id) as session:
                made = await dbt_project.create(
                    session=session,
                    principal=principal,
                    kind="snapshot",
                    **snapshot_fields(form_data),
                )
        except DomainError as exc:
            self.saving, self.errors = False, field_errors(exc, FIELDS)
            return
        self.saving, self.dialog_open, self.errors = False, False, {}
        await self._fetch(principal)
        yield rx.toast.success(f"Snapshot {made.name} added. Run snapshots to record history.")
