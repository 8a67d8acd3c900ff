"""The transformation editor's state (/transformations/[id]): the model's SQL, materialization,
unique key, description, column docs and tests; save with each refusal under its field; delete.

The SQL the user types lives in a backend-only var (`_sql`): the editor keeps its own buffer and
gets a new `editor_key` only when other text must be loaded. Every other control writes its value
to the state as it changes (selects) or loses focus (inputs), so Save, Compile, Preview, Run and
Test all save the same thing (the side panel, transformation_actions.py, saves first).
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, Invalid
from etlfabric.models import Transformation
from etlfabric.services import transformations
from etlfabric.services.permissions import Principal
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, delete_then_leave
from etlfabric.ui.state.scripts import optional_id
from etlfabric.ui.state.transformation_format import (
    filled,
    row_error,
    rows_of_columns,
    rows_of_tests,
    selections,
    service_columns,
    service_tests,
)

FIELDS = ("materialization", "unique_key", "description")


def transformation_id_of(path: str) -> int | None:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return optional_id(last)


class TransformationEditorState(rx.State):
    loaded_id: int = 0
    missing: str = ""
    name: str = ""
    schema_name: str = ""
    materialization: str = "view"
    unique_key: str = ""
    description: str = ""
    loaded_sql: str = ""
    editor_key: int = 0
    form_key: int = 0
    column_rows: list[dict[str, str]] = []  # {"key", "name", "description", "error"}
    test_rows: list[dict[str, str]] = []  # {"key", "column", "test", "argument", "error"}
    errors: dict[str, str] = {}
    saving: bool = False
    saved_note: str = ""
    _sql: str = ""
    _saved: dict = {}
    _keys: int = 0

    @rx.var
    def select_options(self) -> list[str]:
        return selections(self.name)

    def _key(self) -> str:
        self._keys += 1
        return str(self._keys)

    def _show(self, model: Transformation) -> None:
        view = transformations.public_view(model)
        self.loaded_id, self.missing = model.id, ""
        self.name, self.schema_name = view["name"], view["schema_name"]
        self.materialization = view["materialization"]
        self.unique_key = view["unique_key"] or ""
        self.description = view["description"] or ""
        keys = iter(self._key, None)
        self.column_rows = [{**row, "error": ""} for row in rows_of_columns(view["columns"], keys)]
        self.test_rows = [{**row, "error": ""} for row in rows_of_tests(view["tests"], keys)]
        self._saved = {key: view[key] for key in ("sql", *FIELDS, "columns", "tests")}
        self.form_key += 1

    def _fields(self) -> dict:
        """What the page holds, in the service's terms (Invalid for a malformed test row)."""
        self.column_rows = filled(self.column_rows, "name", "description")
        self.test_rows = filled(self.test_rows, "column", "argument")
        return {
            "sql": self._sql,
            "materialization": self.materialization,
            "unique_key": self.unique_key.strip() or None,
            "description": self.description,
            "columns": service_columns(self.column_rows),
            "tests": service_tests(self.test_rows),
        }

    def _refused(self, exc: DomainError) -> None:
        """The refusal under its field, or on its column/test row, or above the buttons."""
        self.errors = {}
        found = row_error(exc.field)
        if found:
            kind, index = found
            rows = self.column_rows if kind == "columns" else self.test_rows
            if index < len(rows):
                rows[index] = {**rows[index], "error": exc.message}
                return
        self.errors = {exc.field or "": exc.message}

    async def _save_changes(self, principal: Principal) -> bool:
        """Save what changed (nothing to do is fine); False with the errors shown if refused."""
        self.saved_note = ""
        self.column_rows = [{**row, "error": ""} for row in self.column_rows]
        self.test_rows = [{**row, "error": ""} for row in self.test_rows]
        try:
            fields = self._fields()
            changed = {k: v for k, v in fields.items() if self._saved.get(k) != v}
            if changed:
                async with tenant_session(principal.org_id) as session:
                    model = await transformations.update(
                        session=session,
                        principal=principal,
                        transformation_id=self.loaded_id,
                        **changed,
                    )
                self._show(model)
                self.saved_note = "Saved."
        except DomainError as exc:
            self._refused(exc)
            return False
        self.errors = {}
        return True

    @rx.event
    async def load(self):
        self.errors, self.saving, self.saved_note = {}, False, ""
        principal = await acting_principal(self)
        if principal is None:
            return None
        model_id = transformation_id_of(self.router.url.path)
        try:
            if model_id is None:
                raise Invalid(None, "There is no transformation at this address.")
            async with tenant_session(principal.org_id) as session:
                model = await transformations.get(
                    session=session, principal=principal, transformation_id=model_id
                )
        except DomainError as exc:
            self.loaded_id, self.missing = 0, exc.message
            return None
        self._show(model)
        self._sql = self.loaded_sql = model.sql
        self.editor_key += 1
        return None

    @rx.event
    def edit_sql(self, text: str):
        self._sql = text

    @rx.event
    def set_field(self, field: str, value: str):
        if field in FIELDS:
            setattr(self, field, str(value or ""))

    @rx.event
    def set_cell(self, kind: str, key: str, field: str, value: str):
        rows = self.column_rows if kind == "columns" else self.test_rows
        for index, row in enumerate(rows):
            if row["key"] == key and field in row:
                rows[index] = {**row, field: str(value or "")}

    @rx.event
    def add_column(self):
        self.column_rows.append({"key": self._key(), "name": "", "description": "", "error": ""})

    @rx.event
    def add_test(self):
        row = {"key": self._key(), "column": "", "test": "not_null", "argument": "", "error": ""}
        self.test_rows.append(row)

    @rx.event
    def remove_row(self, kind: str, key: str):
        if kind == "columns":
            self.column_rows = [row for row in self.column_rows if row["key"] != key]
        else:
            self.test_rows = [row for row in self.test_rows if row["key"] != key]

    @rx.event
    async def save(self):
        principal = await acting_principal(self)
        if principal is None:
            yield SESSION_OVER
            return
        self.saving = True
        yield
        saved = await self._save_changes(principal)
        self.saving = False
        if saved:
            yield rx.toast.success(f"Saved {self.name}.")

    @rx.event
    async def delete(self):
        return await delete_then_leave(
            self,
            transformations.delete,
            back="/transformations",
            done=f"Deleted {self.name}.",
            transformation_id=self.loaded_id,
        )
