"""The pipeline page's state (/pipelines/[pipeline_id]): what the pipeline is, its recent runs,
Run and Run with full refresh, its dlt state (cursors per resource, last load, a pending reset)
with "Reset state" confirmed by typing the name, the tables it loaded with their column types,
and the first rows of a chosen table with CSV / XLSX downloads (sensitive columns left out by
pipeline_data, the service the REST API calls too)."""

from __future__ import annotations

import json
import logging
from datetime import datetime

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.models import Pipeline, TargetType
from etlfabric.services import connections, pipeline_data, pipelines, run_queries
from etlfabric.services.run_queries import RunFilter
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, delete_then_leave
from etlfabric.ui.state.pipeline_editor import pipeline_id_of
from etlfabric.ui.state.pipeline_facts import configured_cursor, reads
from etlfabric.ui.state.pipeline_form import MODE_LABELS
from etlfabric.ui.state.pipelines import rows_text
from etlfabric.ui.state.run_format import run_row, when

log = logging.getLogger(__name__)

RECENT_RUNS = 10
RESETS = {"state": "Reset state", "full_refresh": "Full refresh"}


def facts_of(pipeline: Pipeline, names: dict[int, str]) -> dict[str, str]:
    view = pipelines.public_view(pipeline)
    mode = view["mode"] if view["mode"] != "advanced" else view["config"].get("base", "table")
    contract = ", ".join(f"{k}: {v}" for k, v in view["schema_contract"].items())
    reads_label, reads_text = reads(pipeline)
    return {
        "name": view["name"],
        "source": names.get(view["source_connection_id"], "(deleted)"),
        "source_href": f"/connections/{view['source_connection_id']}",
        "destination": names.get(view["destination_connection_id"], "(deleted)"),
        "destination_href": f"/connections/{view['destination_connection_id']}",
        "dataset": view["dataset_name"],
        "mode": MODE_LABELS.get(mode, mode),
        "reads_label": reads_label,
        "reads": reads_text,
        "cursor": configured_cursor(pipeline),
        "write_disposition": view["write_disposition"],
        "primary_key": ", ".join(view["primary_key"]) or "—",
        "contract": contract or "dlt's default (evolve)",
        "sensitive": ", ".join(view["sensitive_columns"]) or "—",
        "enabled": "yes" if view["enabled"] else "",
        "edit_href": f"/pipelines/{view['id']}/edit",
        "schedule_href": f"/schedules/new?target=pipeline:{view['id']}",
        "runs_href": f"/runs?target=pipeline:{view['id']}",
    }


def shown(value) -> str:
    if value is None:
        return "null"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def moment(value) -> str:
    """A moment of the state (ISO text) as the app shows times: `2025-03-01 14:05:09 UTC`."""
    if not value:
        return ""
    try:
        return when(datetime.fromisoformat(str(value))) + " UTC"
    except ValueError:
        return str(value)


def cursor_rows(state: dict) -> list[dict[str, str]]:
    return [
        {"resource": resource, "column": column, "value": shown(value)}
        for resource, cursors in sorted((state.get("cursors") or {}).items())
        for column, value in cursors.items()
    ]


def column_rows(tables: list[dict]) -> list[dict[str, str]]:
    """One row per column; the table's name only on its first row."""
    rows = []
    for table in tables:
        for i, column in enumerate(table["columns"]):
            rows.append(
                {
                    "table": table["name"] if i == 0 else "",
                    "column": column["name"],
                    "type": column["data_type"],
                }
            )
    return rows


class PipelineDetailState(rx.State):
    pipeline_id: int = 0
    missing: str = ""
    loaded: bool = False
    facts: dict[str, str] = {}
    runs: list[dict[str, str]] = []
    cursors: list[dict[str, str]] = []
    last_load: str = ""
    last_load_id: str = ""
    last_extracted: str = ""
    reset_pending: str = ""
    tables: list[str] = []
    columns: list[dict[str, str]] = []
    data_error: str = ""
    table: str = ""  # the table previewed
    preview_columns: list[str] = []
    preview_rows: list[list[str]] = []
    preview_error: str = ""
    starting: bool = False
    reset_open: bool = False
    reset_error: str = ""
    exporting: str = ""

    @rx.event
    async def load(self):
        self.loaded, self.missing, self.table, self.preview_rows = False, "", "", []
        self.preview_columns, self.preview_error, self.reset_open = [], "", False
        principal = await acting_principal(self)
        if principal is None:
            return None
        self.pipeline_id = pipeline_id_of(self.router.url.path) or 0
        try:
            await self._read(principal)
        except DomainError as exc:
            self.missing = exc.message
            return None
        self.loaded = True
        await self._read_data(principal)
        if self.tables:
            await self._preview(principal, self.tables[0])
        return None

    async def _read(self, principal) -> None:
        async with tenant_session(principal.org_id) as session:
            found = await pipelines.get(
                session=session, principal=principal, pipeline_id=self.pipeline_id
            )
            known = await connections.list_connections(session=session, principal=principal)
            recent = await run_queries.list_runs(
                session=session,
                principal=principal,
                filters=RunFilter(target_type=TargetType.pipeline, target_id=self.pipeline_id),
                page_size=RECENT_RUNS,
            )
        self.facts = facts_of(found, {conn.id: conn.name for conn in known})
        self.runs = [run_row(run) | {"rows": rows_text(run.rows_loaded)} for run in recent.items]

    async def _read_data(self, principal) -> None:
        """The dlt state and the loaded tables; a destination that cannot be read is said so."""
        self.data_error = ""
        try:
            async with tenant_session(principal.org_id) as session:
                state = await pipeline_data.state(
                    session=session, principal=principal, pipeline_id=self.pipeline_id
                )
                tables = await pipeline_data.tables(
                    session=session, principal=principal, pipeline_id=self.pipeline_id
                )
        except DomainError as exc:
            state, tables, self.data_error = {}, [], exc.message
        except Exception as exc:  # the destination database: unreachable, refused...
            state, tables, self.data_error = {}, [], self._unreadable(exc)
        self.cursors = cursor_rows(state)
        self.last_load = moment(state.get("last_load_at"))
        self.last_load_id = state.get("last_load_id") or ""
        self.last_extracted = moment(state.get("last_extracted_at"))
        self.reset_pending = RESETS.get(state.get("reset_pending") or "", "")
        self.tables = [table["name"] for table in tables]
        self.columns = column_rows(tables)

    def _unreadable(self, exc: Exception) -> str:
        log.warning("reading pipeline %s's data failed", self.pipeline_id, exc_info=True)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"The destination could not be read: {first[:300]}"

    async def _preview(self, principal, table: str) -> None:
        self.table, self.preview_error = table, ""
        try:
            async with tenant_session(principal.org_id) as session:
                names, rows = await pipeline_data.preview(
                    session=session,
                    principal=principal,
                    pipeline_id=self.pipeline_id,
                    table=table,
                )
        except DomainError as exc:
            names, rows, self.preview_error = [], [], exc.message
        except Exception as exc:
            names, rows, self.preview_error = [], [], self._unreadable(exc)
        self.preview_columns = names
        self.preview_rows = [[shown(value) for value in row] for row in rows]

    @rx.event
    async def refresh(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            await self._read(principal)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._read_data(principal)
        if self.table in self.tables or (self.tables and not self.table):
            await self._preview(principal, self.table or self.tables[0])
        return None

    @rx.event
    async def choose_table(self, table: str):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        await self._preview(principal, str(table))
        return None

    @rx.event
    async def run(self, full_refresh: bool = False):
        """Queue a run (dropping what was loaded first, for a full refresh) and open its page."""
        principal = await acting_principal(self)
        if principal is None:
            yield SESSION_OVER
            return
        self.starting = True
        yield
        try:
            async with tenant_session(principal.org_id) as session:
                started = await pipelines.run(
                    session=session,
                    principal=principal,
                    pipeline_id=self.pipeline_id,
                    full_refresh=full_refresh,
                )
        except DomainError as exc:
            self.starting = False
            yield rx.toast.error(exc.message)
            return
        self.starting = False
        yield rx.redirect(f"/runs/{started.id}")

    @rx.event
    def set_reset_open(self, open: bool):
        self.reset_open, self.reset_error = bool(open), ""

    @rx.event
    async def reset_state(self, form_data: dict):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                await pipeline_data.reset(
                    session=session,
                    principal=principal,
                    pipeline_id=self.pipeline_id,
                    confirm=str(form_data.get("confirm_name") or ""),
                )
        except DomainError as exc:
            self.reset_error = exc.message
            return rx.set_focus("confirm_name")
        self.reset_open = False
        await self._read_data(principal)
        return rx.toast.success("The state was reset: the next run starts from the beginning.")

    @rx.event
    async def export(self, fmt: str):
        self.exporting = fmt
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.exporting = ""
            yield SESSION_OVER
            return
        try:
            async with tenant_session(principal.org_id) as session:
                data, filename, media_type = await pipeline_data.export(
                    session=session,
                    principal=principal,
                    pipeline_id=self.pipeline_id,
                    table=self.table,
                    fmt=fmt,
                )
        except DomainError as exc:
            self.exporting = ""
            yield rx.toast.error(exc.message)
            return
        self.exporting = ""
        yield rx.download(data=data, filename=filename, mime_type=media_type.replace(" ", ""))

    @rx.event
    async def delete(self):
        return await delete_then_leave(
            self,
            pipelines.delete,
            back="/pipelines",
            done="The pipeline was deleted.",
            pipeline_id=self.pipeline_id,
        )
