"""The script editor's state (/scripts/[script_id]): load, edit, auto-save a draft, save, run.

The code and requirements the user types live in backend-only vars (`_code`, `_requirements`):
every keystroke reaches the server, but the text is never sent back, and the editors keep their
own buffer (they get a new `editor_key` only when other text must be loaded: another script, a
restored version, a discarded draft). Auto-save goes through script_versions.save_draft, which
keeps no version. Env var values never reach the browser: existing ones are only names here, and
the form sends a value only when the user types a new one.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, Invalid
from etlfabric.models import Script
from etlfabric.services import folders, script_versions, scripts
from etlfabric.services.script_checks import LIMITS
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, when
from etlfabric.ui.state.scripts import TYPE_LABELS, flatten, optional_id

# service field -> the form's input (the code editors are named after their service fields)
FIELDS = {
    "name": "script_name",
    "description": "description",
    "type": "script_type",
    "folder_id": "script_folder",
    "timeout_seconds": "timeout_seconds",
    "memory_limit_mb": "memory_limit_mb",
    "cpu_limit_seconds": "cpu_limit_seconds",
    "max_concurrent_runs": "max_concurrent_runs",
    "enabled": "enabled",
    "content": "content",
    "requirements": "requirements",
    "env_vars": "env_vars",
}
LANGUAGE = {"python": "python", "shell": "shell", "batch": "batch"}


def script_id_of(path: str) -> int | None:
    """The id in /scripts/<id>; None for anything else."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else None


def limit_value(field: str, raw) -> int | None:
    """The form's text as the service wants it: an int, None for an empty optional limit."""
    text = str(raw or "").strip().replace(",", "").replace("_", "")
    optional = LIMITS[field][2]
    if not text and optional:
        return None
    try:
        return int(text)
    except ValueError:
        lowest, highest, _ = LIMITS[field]
        label = field.replace("_", " ").capitalize()
        empty = " (or empty for no limit)" if optional else ""
        message = f"{label} must be a whole number from {lowest} to {highest}{empty}."
        raise Invalid(field, message) from None


def env_vars_from(form_data: dict, rows: list[dict[str, str]]) -> dict[str, str | None]:
    """NAME -> new value, or None to keep a stored value. Stored names missing here are removed."""
    result: dict[str, str | None] = {}
    for row in rows:
        name = str(form_data.get(f"env_name_{row['key']}") or row["name"]).strip()
        value = str(form_data.get(f"env_value_{row['key']}") or "")
        if not name and not value:
            continue  # an empty row the user added and left
        if not name:
            raise Invalid("env_vars", "Give every env var a name (or remove the row).")
        if name in result:
            raise Invalid("env_vars", f"The env var {name} is listed twice.")
        result[name] = value if value or not row["stored"] else None
    return result


class ScriptEditorState(rx.State):
    loaded_id: int = 0
    missing: str = ""  # why the script cannot be shown
    name: str = ""
    safe_name: str = ""
    description: str = ""
    script_type: str = "python"
    folder: str = ""
    folder_path: str = ""
    folder_options: list[dict[str, str]] = []
    timeout_seconds: str = "300"
    memory_limit_mb: str = "512"
    cpu_limit_seconds: str = ""
    max_concurrent_runs: str = ""
    enabled: bool = True
    current_version: int = 0
    # What the editors start from; a new editor_key makes them start again.
    loaded_code: str = ""
    loaded_requirements: str = ""
    editor_key: int = 0
    form_key: int = 0
    dirty: bool = False
    draft_note: str = ""
    draft_status: str = ""
    env_rows: list[dict[str, str]] = []  # {"key", "name", "stored": "yes" | ""}
    errors: dict[str, str] = {}
    saving: bool = False
    running: bool = False
    _code: str = ""
    _requirements: str = ""
    _saved: tuple[str, str] = ("", "")
    _drafted: tuple[str, str] = ("", "")
    _env_counter: int = 0

    @rx.var
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.script_type, self.script_type)

    @rx.var
    def language(self) -> str:
        return LANGUAGE.get(self.script_type, "text")

    @rx.var
    def version_label(self) -> str:
        return f"Version {self.current_version}" if self.current_version else ""

    def _show(self, script: Script, folder_rows: list[dict[str, str]]) -> None:
        """Put a freshly loaded or saved script on the page."""
        view = scripts.public_view(script)
        self.loaded_id, self.missing = script.id, ""
        self.name, self.safe_name = view["name"], view["safe_name"]
        self.description = view["description"] or ""
        self.script_type = view["type"]
        self.folder = str(view["folder_id"] or "")
        self.folder_options = folder_rows
        self.folder_path = next((f["path"] for f in folder_rows if f["id"] == self.folder), "")
        self.timeout_seconds = str(view["timeout_seconds"])
        self.memory_limit_mb = str(view["memory_limit_mb"])
        self.cpu_limit_seconds = str(view["cpu_limit_seconds"] or "")
        self.max_concurrent_runs = str(view["max_concurrent_runs"] or "")
        self.enabled = bool(view["enabled"])
        self.current_version = view["current_version"]
        self._saved = (view["content"], view["requirements"])
        self._set_env_rows(view["env_var_names"])
        self.form_key += 1

    def _load_buffers(self, script: Script, *, keep_draft: bool) -> None:
        """Fill the editors: the auto-saved draft when there is one, else the saved text."""
        code, requirements = self._saved
        self.draft_note = self.draft_status = ""
        if keep_draft and script.draft_content is not None:
            code = script.draft_content
            requirements = (
                script.draft_requirements if script.draft_requirements is not None else requirements
            )
            self.draft_note = (
                f"Showing your unsaved changes, auto-saved {when(script.draft_saved_at)}. "
                f"Save them as a new version, or discard them to go back to version "
                f"{script.current_version}."
            )
        self._code, self._requirements = code, requirements
        self._drafted = (code, requirements)
        self.loaded_code, self.loaded_requirements = code, requirements
        self.dirty = (code, requirements) != self._saved
        self.editor_key += 1

    def _set_env_rows(self, names: list[str]) -> None:
        self.env_rows = []
        for name in names:
            self._env_counter += 1
            self.env_rows.append({"key": str(self._env_counter), "name": name, "stored": "yes"})

    async def _read(self, principal, script_id: int) -> tuple[Script, list[dict[str, str]]]:
        async with tenant_session(principal.org_id) as session:
            script = await scripts.get(session=session, principal=principal, script_id=script_id)
            tree = await folders.tree(session=session, principal=principal)
        return script, flatten(tree)

    @rx.event
    async def load(self):
        """on_load: the script in the address, with its draft if one was auto-saved."""
        self.errors, self.saving, self.running = {}, False, False
        principal = await acting_principal(self)
        if principal is None:
            return None  # require_user sends the visitor to sign in
        script_id = script_id_of(self.router.url.path)
        if script_id is None:
            self.loaded_id, self.missing = 0, "There is no script at this address."
            return None
        try:
            script, folder_rows = await self._read(principal, script_id)
        except DomainError as exc:
            self.loaded_id, self.missing = 0, exc.message
            return None
        self._show(script, folder_rows)
        self._load_buffers(script, keep_draft=True)
        return None

    @rx.event
    async def reload(self):
        """After a restore: the saved text replaces whatever the editors hold."""
        principal = await acting_principal(self)
        if principal is None or not self.loaded_id:
            return SESSION_OVER if principal is None else None
        script, folder_rows = await self._read(principal, self.loaded_id)
        self._show(script, folder_rows)
        self._load_buffers(script, keep_draft=False)
        return None

    @rx.event
    def edit_code(self, value: str):
        self._code = value
        self.dirty = (self._code, self._requirements) != self._saved

    @rx.event
    def edit_requirements(self, value: str):
        self._requirements = value
        self.dirty = (self._code, self._requirements) != self._saved

    @rx.event
    async def autosave(self):
        """Debounced after typing: keep the buffer as the script's draft (never a version)."""
        buffers = (self._code, self._requirements)
        if not self.loaded_id or buffers == self._drafted:
            return None
        principal = await acting_principal(self)
        if principal is None:
            return None
        try:
            async with tenant_session(principal.org_id) as session:
                script = await script_versions.save_draft(
                    session=session,
                    principal=principal,
                    script_id=self.loaded_id,
                    content=buffers[0],
                    requirements=buffers[1],
                )
        except DomainError as exc:
            self.draft_status = f"Auto-save failed: {exc.message}"
            return None
        self._drafted = buffers
        self.draft_status = (
            f"Draft auto-saved {when(script.draft_saved_at)}" if script.draft_saved_at else ""
        )
        return None

    @rx.event
    async def discard_draft(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                script = await script_versions.discard_draft(
                    session=session, principal=principal, script_id=self.loaded_id
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self._load_buffers(script, keep_draft=False)
        return rx.toast.info(f"Draft discarded: the editors show version {script.current_version}.")

    @rx.event
    def add_env_var(self):
        self._env_counter += 1
        self.env_rows.append({"key": str(self._env_counter), "name": "", "stored": ""})
        return rx.set_focus(f"env_name_{self._env_counter}")

    @rx.event
    def name_env_var(self, key: str, name: str):
        """Keep a new row's name as typed (on blur): Save reads the form, and this backs it up
        when a freshly added input is not in the submitted form yet."""
        self.env_rows = [
            {**row, "name": name.strip()} if row["key"] == key and not row["stored"] else row
            for row in self.env_rows
        ]

    @rx.event
    def remove_env_var(self, key: str):
        self.env_rows = [row for row in self.env_rows if row["key"] != key]

    def _fields(self, form_data: dict) -> dict:
        return {
            "name": str(form_data.get("script_name") or ""),
            "description": str(form_data.get("description") or ""),
            "type": str(form_data.get("script_type") or self.script_type),
            "folder_id": optional_id(form_data.get("script_folder")),
            "timeout_seconds": limit_value("timeout_seconds", form_data.get("timeout_seconds")),
            "memory_limit_mb": limit_value("memory_limit_mb", form_data.get("memory_limit_mb")),
            "cpu_limit_seconds": limit_value(
                "cpu_limit_seconds", form_data.get("cpu_limit_seconds")
            ),
            "max_concurrent_runs": limit_value(
                "max_concurrent_runs", form_data.get("max_concurrent_runs")
            ),
            "enabled": form_data.get("enabled") in ("on", "true", True),
            "env_vars": env_vars_from(form_data, self.env_rows),
            "content": self._code,
            "requirements": self._requirements,
        }

    @rx.event
    async def save(self, form_data: dict):
        self.errors, self.saving = {}, True
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.saving = False
            yield SESSION_OVER
            return
        before = self.current_version
        try:
            fields = self._fields(form_data)
            async with tenant_session(principal.org_id) as session:
                script = await scripts.update(
                    session=session,
                    principal=principal,
                    script_id=self.loaded_id,
                    message=str(form_data.get("message") or "").strip(),
                    base_version=self.current_version,
                    **fields,
                )
                tree = await folders.tree(session=session, principal=principal)
        except DomainError as exc:
            self.saving = False
            field = FIELDS.get(exc.field or "", "")
            self.errors = {field: exc.message}
            yield rx.set_focus(field or "save-button")
            return
        self.saving = False
        self._show(script, flatten(tree))
        self._drafted = self._saved
        self.dirty, self.draft_note, self.draft_status = False, "", ""
        if script.current_version != before:
            yield rx.toast.success(f"Saved as version {script.current_version}.")
        else:
            yield rx.toast.success("Saved. The code did not change, so no new version was kept.")

    @rx.event
    async def run(self):
        self.running = True
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.running = False
            yield SESSION_OVER
            return
        try:
            async with tenant_session(principal.org_id) as session:
                run = await scripts.run(
                    session=session, principal=principal, script_id=self.loaded_id
                )
        except DomainError as exc:
            self.running = False
            yield rx.toast.error(exc.message)
            return
        self.running = False
        yield rx.redirect(f"/runs/{run.id}")
