"""The /pipelines page's state: every pipeline with its source and destination, its latest run
(status, when, rows loaded) and its next scheduled run; a search, and the enabled switch."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import connections, pipelines
from etlfabric.services.pipelines import PipelineRow
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, read_in_tenant
from etlfabric.ui.state.pipeline_form import MODE_LABELS
from etlfabric.ui.state.run_format import status_label, when


def rows_text(rows: int | None) -> str:
    return "—" if rows is None else f"{rows:,}"


def pipeline_row(item: PipelineRow, names: dict[int, str]) -> dict[str, str]:
    pipeline = item.pipeline
    mode = pipeline.mode if pipeline.mode != "advanced" else pipeline.config.get("base", "table")
    return {
        "id": str(pipeline.id),
        "href": f"/pipelines/{pipeline.id}",
        "name": pipeline.name,
        "what": f"{MODE_LABELS.get(mode, mode)} → {pipeline.dataset_name}",
        "source": names.get(pipeline.source_connection_id, f"#{pipeline.source_connection_id}"),
        "destination": names.get(
            pipeline.destination_connection_id, f"#{pipeline.destination_connection_id}"
        ),
        "last_run": when(item.last_run_at),
        "last_run_href": f"/runs/{item.last_run_id}" if item.last_run_id else "",
        "last_status": item.last_run_status or "",
        "last_status_label": status_label(item.last_run_status),
        "rows": rows_text(item.rows_loaded),
        "next_run": when(item.next_run_at) or "—",
        "enabled": "yes" if pipeline.enabled else "",
    }


class PipelinesState(rx.State):
    rows: list[dict[str, str]] = []
    search: str = ""
    loaded: bool = False
    error: str = ""

    @rx.var
    def summary(self) -> str:
        count = len(self.rows)
        found = " found" if self.search else ""
        return f"{count} pipeline{'s' * (count != 1)}{found}"

    async def _read(self, session, principal) -> list[dict[str, str]]:
        items = await pipelines.list_pipelines(
            session=session, principal=principal, search=self.search
        )
        known = await connections.list_connections(session=session, principal=principal)
        names = {conn.id: conn.name for conn in known}
        return [pipeline_row(item, names) for item in items]

    async def _fetch(self):
        rows = await read_in_tenant(self, self._read, empty=[])
        if rows is None:
            return SESSION_OVER
        self.rows, self.loaded = rows, True
        return None

    @rx.event
    async def load(self):
        self.loaded, self.search = False, ""
        return await self._fetch()

    @rx.event
    async def find(self, form_data: dict):
        self.search = str(form_data.get("pipeline_search") or "").strip()[:200]
        return await self._fetch()

    @rx.event
    async def toggle(self, pipeline_id: str, enabled: bool):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                await pipelines.set_enabled(
                    session=session,
                    principal=principal,
                    pipeline_id=int(pipeline_id),
                    enabled=enabled,
                )
        except DomainError as exc:
            await self._fetch()
            return rx.toast.error(exc.message)
        return await self._fetch()
