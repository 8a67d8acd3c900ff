"""The /scripts page's state: the folder tree, the scripts in view with their last run, and the
dialogs that create a script (by name only), a folder, or scripts from uploaded files.

Handlers call the services the REST API calls (scripts, folders, run_stats); the services check
the role again, the page only hides what the role may not do.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.models import TargetType
from etlfabric.services import folders, run_stats, scripts
from etlfabric.services.permissions import Principal
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors
from etlfabric.ui.state.run_format import status_label, when

TYPES = ("python", "shell", "batch")
TYPE_LABELS = {"python": "Python", "shell": "Shell", "batch": "Batch"}
# service field -> the dialog's input
NEW_FIELDS = {"name": "new_name", "folder_id": "new_folder", "type": "new_type"}
FOLDER_FIELDS = {"name": "folder_name", "parent_id": "folder_parent"}
UPLOAD_ID = "script-upload"


def editor_route(script_id: int | str) -> str:
    return f"/scripts/{script_id}"


def flatten(nodes: list[folders.FolderNode], depth: int = 0) -> list[dict[str, str]]:
    """The tree in display order, each folder with its depth (for indentation)."""
    rows = []
    for node in nodes:
        rows.append(
            {
                "id": str(node.id),
                "name": node.name,
                "path": node.path,
                "depth": str(depth),
                "parent": str(node.parent_id or ""),
            }
        )
        rows.extend(flatten(node.children, depth + 1))
    return rows


def script_row(script, paths: dict[int, str], last) -> dict[str, str]:
    status = last.status.value if last else ""
    return {
        "id": str(script.id),
        "href": editor_route(script.id),
        "name": script.name,
        "safe_name": script.safe_name,
        "type": TYPE_LABELS.get(str(script.type), str(script.type)),
        "folder": paths.get(script.folder_id, "") if script.folder_id else "",
        "folder_id": str(script.folder_id or ""),
        "status": status,
        "status_label": status_label(last.status if last else None),
        "last_run": when(last.queued_at) if last else "",
        "last_run_href": f"/runs/{last.id}" if last else "",
        "enabled": "Enabled" if script.enabled else "Disabled",
    }


def optional_id(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


class ScriptsState(rx.State):
    folders: list[dict[str, str]] = []  # {"id", "name", "path", "depth", "parent"}
    folder: str = ""  # the folder in view; "" = every script
    search: str = ""
    rows: list[dict[str, str]] = []
    loaded: bool = False
    error: str = ""
    new_open: bool = False
    new_errors: dict[str, str] = {}
    creating: bool = False
    folder_open: bool = False
    folder_errors: dict[str, str] = {}
    upload_errors: list[str] = []
    uploading: bool = False

    @rx.var
    def folder_label(self) -> str:
        return next((f["path"] for f in self.folders if f["id"] == self.folder), "All scripts")

    @rx.var
    def summary(self) -> str:
        count = len(self.rows)
        return f"{count} script{'s' if count != 1 else ''} in {self.folder_label}"

    async def _fetch(self, principal: Principal) -> None:
        folder_id = optional_id(self.folder)
        async with tenant_session(principal.org_id) as session:
            tree = await folders.tree(session=session, principal=principal)
            found = await scripts.list_scripts(
                session=session, principal=principal, folder_id=folder_id, search=self.search
            )
            last = await run_stats.last_runs(
                session=session,
                principal=principal,
                target_type=TargetType.script,
                target_ids=[s.id for s in found],
            )
        self.folders = flatten(tree)
        paths = {int(f["id"]): f["path"] for f in self.folders}
        if folder_id is not None and folder_id not in paths:
            self.folder = ""  # deleted meanwhile
        self.rows = [script_row(s, paths, last.get(s.id)) for s in found]

    async def _refresh(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            await self._fetch(principal)
            self.error = ""
        except DomainError as exc:
            self.error = exc.message
        self.loaded = True
        return None

    @rx.event
    async def load(self):
        self.loaded, self.search, self.upload_errors = False, "", []
        self.new_open = self.folder_open = False
        return await self._refresh()

    @rx.event
    async def select_folder(self, folder_id: str):
        self.folder = folder_id
        return await self._refresh()

    @rx.event
    async def apply_search(self, form_data: dict):
        self.search = str(form_data.get("script_search") or "").strip()
        return await self._refresh()

    @rx.event
    def set_new_open(self, is_open: bool):
        self.new_open, self.new_errors, self.creating = is_open, {}, False

    @rx.event
    async def create(self, form_data: dict):
        self.new_errors, self.creating = {}, True
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.creating = False
            yield SESSION_OVER
            return
        try:
            async with tenant_session(principal.org_id) as session:
                script = await scripts.create(
                    session=session,
                    principal=principal,
                    name=str(form_data.get("new_name") or ""),
                    folder_id=optional_id(form_data.get("new_folder")),
                    type=str(form_data.get("new_type") or "python"),
                )
        except DomainError as exc:
            self.new_errors, self.creating = field_errors(exc, NEW_FIELDS), False
            yield rx.set_focus(NEW_FIELDS.get(exc.field or "", "new_name"))
            return
        self.new_open = self.creating = False
        yield rx.redirect(editor_route(script.id))

    @rx.event
    def set_folder_open(self, is_open: bool):
        self.folder_open, self.folder_errors = is_open, {}

    @rx.event
    async def create_folder(self, form_data: dict):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        name = str(form_data.get("folder_name") or "")
        try:
            async with tenant_session(principal.org_id) as session:
                folder = await folders.create(
                    session=session,
                    principal=principal,
                    name=name,
                    parent_id=optional_id(form_data.get("folder_parent")),
                )
        except DomainError as exc:
            self.folder_errors = field_errors(exc, FOLDER_FIELDS)
            if exc.field is None:  # a name already taken is a Conflict without a field
                self.folder_errors = {"folder_name": exc.message}
            return rx.set_focus("folder_name")
        self.folder_open, self.folder = False, str(folder.id)
        await self._fetch(principal)
        return rx.toast.success(f"Folder {folder.name} was created.")

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Each file becomes a script in the folder in view; one editor opens when one file came."""
        self.uploading, self.upload_errors = True, []
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.uploading = False
            yield SESSION_OVER
            return
        created, problems = [], []
        for file in files:
            name = file.name or file.filename or "file"
            try:
                data = await file.read()
                async with tenant_session(principal.org_id) as session:
                    script = await scripts.upload(
                        session=session,
                        principal=principal,
                        filename=name,
                        data=data,
                        folder_id=optional_id(self.folder),
                    )
                created.append(script)
            except DomainError as exc:
                problems.append(exc.message if name in exc.message else f"{name}: {exc.message}")
        self.uploading, self.upload_errors = False, problems
        if len(created) == 1 and not problems:
            yield rx.redirect(editor_route(created[0].id))
            return
        await self._fetch(principal)
        if created:
            names = ", ".join(s.name for s in created)
            yield rx.toast.success(f"Uploaded {len(created)} script(s): {names}.")
