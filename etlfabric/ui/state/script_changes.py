"""Renaming, moving and deleting on the /scripts page: a script (from its row) and the folder in
view. A substate of ScriptsState, so a change refreshes the same tree and table.

Each handler calls the service the REST API calls (scripts.update / scripts.delete, folders.update /
folders.delete); the services check the role and every rule, and a refused change is one rolled
back transaction, so an error leaves everything as it was.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import folders, scripts
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors
from etlfabric.ui.state.scripts import ScriptsState, optional_id

# service field -> the dialog's input
SCRIPT_FIELDS = {"name": "edit_name", "folder_id": "edit_folder"}
FOLDER_FIELDS = {"name": "edit_folder_name", "parent_id": "edit_folder_parent"}


class ScriptChangesState(ScriptsState):
    target: dict[str, str] = {}  # the script row a dialog is about
    edit_open: bool = False
    edit_errors: dict[str, str] = {}
    delete_open: bool = False
    delete_error: str = ""
    folder_edit_open: bool = False
    folder_edit_errors: dict[str, str] = {}
    folder_delete_open: bool = False
    folder_delete_error: str = ""

    @rx.var
    def folder_in_view(self) -> dict[str, str]:
        return next((f for f in self.folders if f["id"] == self.folder), {})

    def _row(self, script_id: str) -> dict[str, str]:
        return next((row for row in self.rows if row["id"] == script_id), {})

    @rx.event
    def open_edit(self, script_id: str):
        self.target, self.edit_errors, self.edit_open = self._row(script_id), {}, True

    @rx.event
    def set_edit_open(self, is_open: bool):
        self.edit_open, self.edit_errors = is_open, {}

    @rx.event
    async def save_script(self, form_data: dict):
        """Rename and/or move; the service makes the safe name again when either changes."""
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                script = await scripts.update(
                    session=session,
                    principal=principal,
                    script_id=int(self.target.get("id") or 0),
                    name=str(form_data.get("edit_name") or ""),
                    folder_id=optional_id(form_data.get("edit_folder")),
                )
        except DomainError as exc:
            self.edit_errors = field_errors(exc, SCRIPT_FIELDS)
            return rx.set_focus(SCRIPT_FIELDS.get(exc.field or "", "edit_name"))
        self.edit_open = False
        await self._fetch(principal)
        where = next((f["path"] for f in self.folders if f["id"] == str(script.folder_id)), "")
        return rx.toast.success(
            f"Saved “{script.name}” in {where or 'the top level'}; "
            f"its safe name is {script.safe_name}."
        )

    @rx.event
    def open_delete(self, script_id: str):
        self.target, self.delete_error, self.delete_open = self._row(script_id), "", True

    @rx.event
    def set_delete_open(self, is_open: bool):
        self.delete_open, self.delete_error = is_open, ""

    @rx.event
    async def delete_script(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        name = self.target.get("name", "")
        try:
            async with tenant_session(principal.org_id) as session:
                await scripts.delete(
                    session=session, principal=principal, script_id=int(self.target.get("id") or 0)
                )
        except DomainError as exc:
            self.delete_error = exc.message
            return None
        self.delete_open = False
        await self._fetch(principal)
        return rx.toast.success(f"Script “{name}” was deleted; its runs stay in the run history.")

    @rx.event
    def set_folder_edit_open(self, is_open: bool):
        self.folder_edit_open, self.folder_edit_errors = is_open, {}

    @rx.event
    async def save_folder(self, form_data: dict):
        """Rename and/or move the folder in view."""
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                folder = await folders.update(
                    session=session,
                    principal=principal,
                    folder_id=int(self.folder or 0),
                    name=str(form_data.get("edit_folder_name") or ""),
                    parent_id=optional_id(form_data.get("edit_folder_parent")),
                )
        except DomainError as exc:
            self.folder_edit_errors = field_errors(exc, FOLDER_FIELDS)
            if exc.field is None:  # a name already taken there is a Conflict without a field
                self.folder_edit_errors = {"edit_folder_name": exc.message}
            return rx.set_focus(FOLDER_FIELDS.get(exc.field or "", "edit_folder_name"))
        self.folder_edit_open = False
        await self._fetch(principal)
        return rx.toast.success(f"Folder saved as {self.folder_in_view.get('path', folder.name)}.")

    @rx.event
    def set_folder_delete_open(self, is_open: bool):
        self.folder_delete_open, self.folder_delete_error = is_open, ""

    @rx.event
    async def delete_folder(self):
        """Only an empty folder goes; otherwise the service's refusal says what is inside."""
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        name = self.folder_in_view.get("path", "")
        try:
            async with tenant_session(principal.org_id) as session:
                await folders.delete(
                    session=session, principal=principal, folder_id=int(self.folder or 0)
                )
        except DomainError as exc:
            self.folder_delete_error = exc.message
            return None
        self.folder_delete_open, self.folder = False, ""
        await self._fetch(principal)
        return rx.toast.success(f"Folder {name} was deleted.")
