"""The seeds panel of /transformations/project: the organisation's seeds (CSV files that
`dbt seed` loads into a data schema), and a dialog that uploads a new one or replaces one.

The dropped file is read and checked at once (a .csv, at most 5 MB, UTF-8, a header of column
names); its text waits in a backend-only var until Save hands it to the service, which checks
it again with the name and schema. A refusal shows under its field and saves nothing.
"""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, Invalid
from etlfabric.services import dbt_project
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors
from etlfabric.ui.state.dbt_parts import DbtPartsState
from etlfabric.ui.state.dbt_seed_files import csv_shape, read_csv, seed_name, seed_row

# service field -> the dialog's input
FIELDS = {"name": "seed_name", "schema_name": "seed_schema", "csv": "file", "file": "file"}
DEFAULT_SCHEMA = "raw"


class DbtSeedsState(DbtPartsState, rx.State):
    KIND: ClassVar[str] = "seed"

    editing_id: str = ""  # the seed being replaced; "" for a new seed
    seed_name: str = ""
    seed_schema: str = ""
    file_name: str = ""
    file_summary: str = ""
    errors: dict[str, str] = {}
    uploading: bool = False
    saving: bool = False
    _csv: str = ""
    _name_typed: bool = False

    def _row(self, part) -> dict[str, str]:
        return seed_row(part)

    def _open(self, editing_id: str, name: str, schema: str) -> None:
        self.editing_id, self.seed_name, self.seed_schema = editing_id, name, schema
        self.file_name = self.file_summary = self._csv = ""
        self.errors, self._name_typed, self.dialog_open = {}, bool(name), True

    @rx.event
    def open_new(self):
        schema = DEFAULT_SCHEMA if DEFAULT_SCHEMA in self.schemas else next(iter(self.schemas), "")
        self._open("", "", schema)

    @rx.event
    def open_replace(self, seed_id: str):
        row = next((row for row in self.rows if row["id"] == seed_id), None)
        if row is not None:
            self._open(seed_id, row["name"], row["schema"])

    @rx.event
    def set_dialog_open(self, value: bool):
        self.dialog_open = value

    @rx.event
    def set_seed_name(self, value: str):
        self.seed_name, self._name_typed = value, True

    @rx.event
    def set_seed_schema(self, value: str):
        self.seed_schema = value

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Read the dropped CSV; its name becomes the seed's unless the user typed one."""
        self.uploading, self.errors = True, {}
        yield
        self.file_name = self.file_summary = self._csv = ""
        try:
            if len(files) != 1:
                raise Invalid("file", "Upload one CSV file at a time.")
            filename = files[0].name or files[0].filename or "file"
            text = read_csv(filename, await files[0].read())
        except DomainError as exc:
            self.uploading, self.errors = False, field_errors(exc, FIELDS)
            return
        columns, rows = csv_shape(text)
        self._csv, self.file_name, self.uploading = text, filename, False
        self.file_summary = f"{len(columns)} columns ({', '.join(columns)}), {rows:,} rows"
        if not self._name_typed:
            self.seed_name = seed_name(filename)

    @rx.event
    async def save(self):
        principal = await acting_principal(self)
        if principal is None:
            yield SESSION_OVER
            return
        if not self._csv and not self.editing_id:
            self.errors = {"file": "Choose a CSV file to upload."}
            return
        self.saving = True
        yield
        fields = {"name": self.seed_name.strip(), "schema_name": self.seed_schema}
        if self._csv:
            fields["csv"] = self._csv
        try:
            async with tenant_session(principal.org_id) as session:
                if self.editing_id:
                    seed = await dbt_project.update(
                        session=session,
                        principal=principal,
                        kind="seed",
                        row_id=int(self.editing_id),
                        **fields,
                    )
                else:
                    seed = await dbt_project.create(
                        session=session, principal=principal, kind="seed", **fields
                    )
        except DomainError as exc:
            self.saving, self.errors = False, field_errors(exc, FIELDS)
            return
        done = "replaced" if self.editing_id else "added"
        self.saving, self.dialog_open, self.errors, self._csv = False, False, {}, ""
        await self._fetch(principal)
        yield rx.toast.success(f"Seed {seed.name} {done}. Load it to create its table.")
