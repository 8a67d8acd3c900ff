"""The editor's history panel: the versions of the script, a diff of any two, and restore."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import platform_session, tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import members, script_versions
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, when
from etlfabric.ui.state.script_editor import ScriptEditorState

MAX_DIFF_LINES = 5000


def diff_kind(line: str) -> str:
    """How a line of a unified diff is drawn: added, removed, hunk header, file header, context."""
    if line.startswith(("+++", "---")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "added"
    if line.startswith("-"):
        return "removed"
    return "context"


def diff_rows(text: str) -> list[dict[str, str]]:
    lines = text.splitlines()
    rows = [{"text": line, "kind": diff_kind(line)} for line in lines[:MAX_DIFF_LINES]]
    if len(lines) > MAX_DIFF_LINES:
        rows.append({"text": f"… {len(lines) - MAX_DIFF_LINES:,} more lines", "kind": "hunk"})
    return rows


class ScriptHistoryState(rx.State):
    versions: list[dict[str, str]] = []  # {"number", "message", "author", "time"}
    compare_from: str = ""
    compare_to: str = ""
    diff: list[dict[str, str]] = []  # {"text", "kind"}
    diff_title: str = ""
    error: str = ""
    restoring: str = ""  # the version the confirm dialog asks about

    async def _authors(self, principal) -> dict[int, str]:
        try:
            async with platform_session() as session:
                found = await members.list_members(session=session, principal=principal)
        except DomainError:
            return {}
        return {m.user_id: m.name or m.email for m in found}

    async def _diff(self, principal, script_id: int) -> None:
        a, b = int(self.compare_from), int(self.compare_to)
        async with tenant_session(principal.org_id) as session:
            text = await script_versions.diff(
                session=session, principal=principal, script_id=script_id, a=a, b=b
            )
        self.diff_title = f"Changes from version {a} to version {b}"
        self.diff = diff_rows(text)

    @rx.event
    async def load(self):
        """on_load (after the editor's load): the versions, and what the newest save changed."""
        self.versions, self.diff, self.diff_title, self.error, self.restoring = [], [], "", "", ""
        editor = await self.get_state(ScriptEditorState)
        principal = await acting_principal(self)
        if principal is None or not editor.loaded_id:
            return None
        try:
            async with tenant_session(principal.org_id) as session:
                found = await script_versions.versions(
                    session=session, principal=principal, script_id=editor.loaded_id
                )
            authors = await self._authors(principal)
            self.versions = [
                {
                    "number": str(v.number),
                    "message": v.message or "(no message)",
                    "author": authors.get(v.author_id, f"user #{v.author_id}")
                    if v.author_id
                    else "",
                    "time": when(v.created_at),
                }
                for v in found
            ]
            if len(found) >= 2:
                self.compare_from, self.compare_to = str(found[1].number), str(found[0].number)
                await self._diff(principal, editor.loaded_id)
            elif found:
                self.compare_from = self.compare_to = str(found[0].number)
        except DomainError as exc:
            self.error = exc.message
        return None

    @rx.event
    def set_compare_from(self, value: str):
        self.compare_from = value

    @rx.event
    def set_compare_to(self, value: str):
        self.compare_to = value

    @rx.event
    async def compare(self):
        editor = await self.get_state(ScriptEditorState)
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        if not (self.compare_from.isdigit() and self.compare_to.isdigit()):
            return None
        try:
            await self._diff(principal, editor.loaded_id)
            self.error = ""
        except DomainError as exc:
            self.error = exc.message
        return None

    @rx.event
    async def show_changes(self, number: str):
        """What the save that made version `number` changed."""
        if int(number) <= 1:
            self.compare_from = self.compare_to = number
        else:
            self.compare_from, self.compare_to = str(int(number) - 1), number
        return await self.compare()

    @rx.event
    def ask_restore(self, number: str):
        self.restoring = number

    @rx.event
    def set_restore_open(self, is_open: bool):
        if not is_open:
            self.restoring = ""

    @rx.event
    async def restore(self):
        if not self.restoring:
            return None
        editor = await self.get_state(ScriptEditorState)
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        number, self.restoring = self.restoring, ""
        try:
            async with tenant_session(principal.org_id) as session:
                script = await script_versions.restore(
                    session=session,
                    principal=principal,
                    script_id=editor.loaded_id,
                    number=int(number),
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return [
            ScriptEditorState.reload,
            ScriptHistoryState.load,
            rx.toast.success(f"Version {number} restored as version {script.current_version}."),
        ]
