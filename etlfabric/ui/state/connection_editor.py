"""The connection editor's state (/connections/new and /connections/[connection_id]).

A new connection starts with its type (picked on the page, or `?type=`); the inputs are those of
connection_fields for that type. Typed secrets live in the backend-only `_secrets` and are sent
to the service only when not blank (blank keeps the stored value); the browser only learns
whether a secret is stored. "Test connection" tests the saved connection, or, while the form has
unsaved changes, the form as it stands (connections.draft) — without saving it.
"""

from __future__ import annotations

import io

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, Invalid
from etlfabric.services import connection_specs as specs
from etlfabric.services import connection_tests, connections, data_files
from etlfabric.ui.state import connection_fields as cf
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, delete_then_leave, when
from etlfabric.ui.state.connections import type_label

NEW = "new"
UPLOAD_ID = "connection-upload"
FILE_TYPES = ("files", "sqlite")


def connection_id_of(path: str) -> int | None:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else None


def file_row(entry: dict) -> dict[str, str]:
    return {"name": entry["name"], "size": f"{entry['size']:,} bytes"} | {
        "modified": when(entry["modified_at"])
    }


class ConnectionEditorState(rx.State):
    connection_id: int = 0  # 0: a new connection
    kind: str = ""  # the type; "" until one is picked
    managed: bool = False
    saved_name: str = ""
    missing: str = ""
    loaded: bool = False
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    secrets_set: dict[str, bool] = {}  # "credentials.password" -> a value is stored
    secret_key: int = 0  # bumped to empty the (uncontrolled) secret inputs
    saving: bool = False
    testing: bool = False
    test_status: str = ""  # "" | "ok" | "failed"
    test_message: str = ""
    test_latency: str = ""
    files: list[dict[str, str]] = []
    uploading: bool = False
    _secrets: dict[str, str] = {}
    _saved: dict[str, str] = {}  # the values as last loaded or saved
    _stored_config: dict = {}

    @rx.var
    def kind_label(self) -> str:
        return type_label(self.kind)

    @rx.var
    def heading(self) -> str:
        if self.connection_id:
            return f"Connection: {self.saved_name}"
        return f"New {type_label(self.kind)} connection" if self.kind else "New connection"

    @rx.var
    def directions(self) -> list[str]:
        return [d.value for d in specs.DIRECTIONS.get(self.kind, ())]

    @rx.var
    def exercised(self) -> str:
        return cf.EXERCISED.get(self.kind, "")

    @rx.var
    def uses_files(self) -> bool:
        return self.kind in FILE_TYPES

    @rx.event
    async def load(self):
        self.loaded, self.missing, self.errors, self.values = False, "", {}, {}
        self.saving, self.testing, self.test_status = False, False, ""
        self._secrets, self.secret_key = {}, self.secret_key + 1
        principal = await acting_principal(self)
        if principal is None:
            return None
        param = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            if param == NEW:
                self.connection_id, self.managed, self.secrets_set = 0, False, {}
                self._start(str(self.router.url.query_parameters.get("type") or ""))
            else:
                await self._read(principal, connection_id_of(self.router.url.path))
            await self._list_files(principal)
        except DomainError as exc:
            self.missing = exc.message
            return None
        self.loaded = True
        return None

    def _start(self, kind: str) -> None:
        """A blank form for `kind` (or the type picker when it is not a type one may add)."""
        self.kind = kind if kind in cf.TYPES else ""
        name = self.values.get("name", "")  # kept when the type changes
        direction = specs.DIRECTIONS[self.kind][0].value if self.kind else ""
        self.values = {"name": name, "direction": direction, **cf.defaults(self.kind)}
        self._saved, self._stored_config = {}, {}

    async def _read(self, principal, connection_id: int | None) -> None:
        if connection_id is None:
            raise DomainError("There is no connection at this address.")
        async with tenant_session(principal.org_id) as session:
            conn = await connections.get(
                session=session, principal=principal, connection_id=connection_id
            )
        view = connections.public_view(conn)
        self.connection_id, self.kind, self.managed = view["id"], view["type"], view["is_managed"]
        self.values = {
            "name": view["name"],
            "direction": view["direction"],
            **cf.from_config(view["type"], view["config"]),
        }
        self.secrets_set = {f"{cf.SECRET}{k}": v for k, v in view["credentials_set"].items()}
        self._saved, self._stored_config = dict(self.values), dict(view["config"])
        self.saved_name = view["name"]

    async def _list_files(self, principal) -> None:
        if self.kind in FILE_TYPES:
            self.files = [file_row(e) for e in await data_files.list_files(principal=principal)]

    @rx.event
    async def choose_type(self, kind: str):
        self._start(kind)
        self.errors, self.test_status = {}, ""
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        await self._list_files(principal)
        return None

    def _set(self, key: str, value: str) -> None:
        self.values = self.values | {key: str(value)}
        self.errors = {k: v for k, v in self.errors.items() if k not in (key, "")}

    @rx.event
    def edit(self, key: str, value: str):
        self._set(key, value)

    @rx.event
    def edit_secret(self, key: str, value: str):
        self._secrets = self._secrets | {key: str(value)}
        self.errors = {k: v for k, v in self.errors.items() if k not in (key, "")}

    @rx.event
    def use_file(self, name: str):
        """A file of the folder picked for the form: the SQLite file, or the files' glob."""
        self._set("path" if self.kind == "sqlite" else "glob", name)

    def _form(self) -> tuple[dict, dict]:
        values = self.values | {k: v for k, v in self._secrets.items() if v}
        return cf.to_service(self.kind, values)

    def _show_error(self, exc: DomainError):
        key = cf.error_input(self.kind, exc.field)
        self.errors = {key: exc.message}
        return rx.set_focus(cf.input_id(key)) if key else rx.noop()

    @rx.event
    async def save(self, form_data: dict | None = None):
        principal = await acting_principal(self)
        if principal is None:
            yield SESSION_OVER
            return
        self.saving, self.errors = True, {}
        yield
        try:
            async with tenant_session(principal.org_id) as session:
                conn = await self._write(session, principal)
        except DomainError as exc:
            self.saving = False
            yield self._show_error(exc)
            return
        self.saving = False
        if not self.connection_id:
            yield rx.redirect(f"/connections/{conn.id}")
            yield rx.toast.success(f"Connection '{conn.name}' was created.")
            return
        await self._read(principal, conn.id)
        self._secrets, self.secret_key = {}, self.secret_key + 1
        yield rx.toast.success("The connection was saved.")

    async def _write(self, session, principal):
        if self.managed:
            return await connections.update(
                session=session,
                principal=principal,
                connection_id=self.connection_id,
                name=self.values.get("name", ""),
            )
        if not self.kind:
            raise Invalid("type", "Choose the type of connection first.")
        config, credentials = self._form()
        common = {"name": self.values.get("name", ""), "direction": self.values.get("direction")}
        if not self.connection_id:
            return await connections.create(
                session=session,
                principal=principal,
                type=self.kind,
                config=config,
                credentials=credentials,
                **common,
            )
        # A key the form no longer has (a hidden input, an emptied one) goes back to its default.
        dropped = {key: None for key in self._stored_config if key not in config}
        return await connections.update(
            session=session,
            principal=principal,
            connection_id=self.connection_id,
            config=config | dropped,
            credentials=credentials or None,
            **common,
        )

    @rx.event
    async def test(self):
        """Reach the target within 10 s: the saved connection, or the form while it has changes."""
        principal = await acting_principal(self)
        if principal is None:
            yield SESSION_OVER
            return
        self.testing, self.test_status, self.errors = True, "", {}
        yield
        changed = self.values != self._saved or any(self._secrets.values())
        try:
            async with tenant_session(principal.org_id) as session:
                if self.connection_id and (self.managed or not changed):
                    conn = await connections.get(
                        session=session, principal=principal, connection_id=self.connection_id
                    )
                else:
                    config, credentials = self._form()
                    conn = await connections.draft(
                        session=session,
                        principal=principal,
                        type=self.kind,
                        direction=self.values.get("direction"),
                        config=config,
                        credentials=credentials,
                        connection_id=self.connection_id or None,
                    )
                org = await connections.organization(session, principal.org_id)
        except DomainError as exc:
            self.testing = False
            yield self._show_error(exc)
            return
        result = await connection_tests.test_in_thread(conn, org)
        self.testing = False
        self.test_status = "ok" if result.ok else "failed"
        self.test_message, self.test_latency = result.message, f"{result.latency_ms:,} ms"

    @rx.event
    async def upload(self, files: list[rx.UploadFile]):
        """Files into the organisation's folder; one file fills in the path (or the glob)."""
        self.uploading, self.errors = True, {}
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.uploading = False
            yield SESSION_OVER
            return
        saved = []
        try:
            for file in files:
                data = await file.read()
                async with tenant_session(principal.org_id) as session:
                    entry = await data_files.save_upload(
                        session=session,
                        principal=principal,
                        filename=file.name or file.filename or "file",
                        source=io.BytesIO(data),
                    )
                saved.append(entry["name"])
        except DomainError as exc:
            self.errors = {"file": exc.message}
        self.uploading = False
        await self._list_files(principal)
        if len(saved) == 1 and self.kind == "sqlite":
            self._set("path", saved[0])
        if saved:
            yield rx.toast.success(f"Uploaded {', '.join(saved)}.")

    @rx.event
    async def delete(self):
        return await delete_then_leave(
            self,
            connections.delete,
            back="/connections",
            done="The connection was deleted.",
            connection_id=self.connection_id,
        )
