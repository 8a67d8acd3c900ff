"""The pipeline editor's state (/pipelines/new and /pipelines/[pipeline_id]/edit).

Inputs are strings in `values`, REST resources and filters rows of strings (pipeline_form.py
turns them into the service's fields). The source select offers only connections that can be
read from, the destination select only those that can be written to; the modes offered follow
the source's type, and a dataset on the Warehouse is one of the organisation's data schemas.
The advanced dlt options are checked as JSON and against the allow-list as they are typed;
everything else when saving, each error next to the input it names.
"""

from __future__ import annotations

import json

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import connections, pipelines
from etlfabric.services.connection_specs import SOURCE_MODES
from etlfabric.services.pipeline_options import check_options
from etlfabric.ui.state import pipeline_form as pf
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal
from etlfabric.ui.state.connections import type_label

READS, WRITES = ("source", "both"), ("destination", "both")


def pipeline_id_of(path: str) -> int | None:
    parts = path.rstrip("/").split("/")
    found = [part for part in parts if part.isdigit()]
    return int(found[-1]) if found else None


def choice(conn) -> dict[str, str]:
    return {"id": str(conn.id), "label": f"{conn.name} ({type_label(conn.type)})"}


class PipelineEditorState(rx.State):
    pipeline_id: int = 0  # 0: a new pipeline
    saved_name: str = ""
    missing: str = ""
    loaded: bool = False
    saving: bool = False
    values: dict[str, str] = dict(pf.DEFAULTS)
    resources: list[dict[str, str]] = []
    filters: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    sources: list[dict[str, str]] = []  # {"id", "label"}
    destinations: list[dict[str, str]] = []
    connection_types: dict[str, str] = {}  # connection id -> type
    schemas: list[str] = []  # the organisation's data schemas on the Warehouse

    @rx.var
    def heading(self) -> str:
        return f"Edit pipeline: {self.saved_name}" if self.pipeline_id else "New pipeline"

    @rx.var
    def to_warehouse(self) -> bool:
        return self.connection_types.get(self.values.get("destination", "")) == "warehouse"

    @rx.var
    def modes(self) -> list[dict[str, str]]:
        """The modes that can read the chosen source (every mode until one is chosen)."""
        kind = self.connection_types.get(self.values.get("source", ""), "")
        allowed = SOURCE_MODES.get(kind, tuple(pf.MODE_LABELS))
        return [{"value": m, "label": pf.MODE_LABELS[m]} for m in allowed]

    @rx.var
    def back_href(self) -> str:
        return f"/pipelines/{self.pipeline_id}" if self.pipeline_id else "/pipelines"

    @rx.event
    async def load(self):
        self.loaded, self.missing, self.errors, self.saving = False, "", {}, False
        principal = await acting_principal(self)
        if principal is None:
            return None
        pipeline_id = pipeline_id_of(self.router.url.path)
        try:
            async with tenant_session(principal.org_id) as session:
                await self._choices(session, principal)
                if pipeline_id is None:
                    self._start(str(self.router.url.query_parameters.get("source") or ""))
                else:
                    found = await pipelines.get(
                        session=session, principal=principal, pipeline_id=pipeline_id
                    )
                    self._show(pipelines.public_view(found))
        except DomainError as exc:
            self.missing = exc.message
            return None
        self.loaded = True
        return None

    async def _choices(self, session, principal) -> None:
        await connections.ensure_warehouse(session, principal.org_id)
        found = await connections.list_connections(session=session, principal=principal)
        self.sources = [choice(c) for c in found if c.direction.value in READS]
        self.destinations = [choice(c) for c in found if c.direction.value in WRITES]
        self.connection_types = {str(c.id): c.type for c in found}
        self.schemas = await pipelines.data_schemas(session, principal.org_id)

    def _start(self, source: str) -> None:
        self.pipeline_id, self.saved_name = 0, ""
        warehouse = next(
            (d["id"] for d in self.destinations if self.connection_types[d["id"]] == "warehouse"),
            "",
        )
        self.values = dict(pf.DEFAULTS) | {"destination": warehouse}
        if self.schemas and "raw" not in self.schemas:
            self.values["dataset_name"] = self.schemas[0]
        self.resources, self.filters = [dict(pf.RESOURCE)], []
        if source in self.connection_types:
            self._set_source(source)

    def _show(self, view: dict) -> None:
        self.pipeline_id, self.saved_name = view["id"], view["name"]
        self.values, self.resources, self.filters = pf.from_view(view)
        if not self.resources:
            self.resources = [dict(pf.RESOURCE)]

    def _set_source(self, source: str) -> None:
        self.values = self.values | {"source": source}
        allowed = SOURCE_MODES.get(self.connection_types.get(source, ""), ())
        if allowed and self.values.get("mode") not in allowed:
            self.values = self.values | {"mode": allowed[0]}

    def _clear(self, *keys: str) -> None:
        self.errors = {k: v for k, v in self.errors.items() if k not in (*keys, "")}

    @rx.event
    def edit(self, key: str, value: str):
        if key == "source":
            self._set_source(str(value))
        else:
            self.values = self.values | {key: str(value)}
        self._clear(key)
        if key == "options":
            try:
                check_options({"options": pf.options(str(value))})
            except DomainError as exc:
                self.errors = self.errors | {"options": exc.message}

    @rx.event
    def set_enabled(self, enabled: bool):
        self.values = self.values | {"enabled": "yes" if enabled else ""}

    @rx.event
    def add_resource(self):
        self.resources = [*self.resources, dict(pf.RESOURCE)]

    @rx.event
    def remove_resource(self, index: int):
        self.resources = [r for i, r in enumerate(self.resources) if i != index]
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith("resource-")}

    @rx.event
    def edit_resource(self, index: int, key: str, value: str):
        rows = [dict(r) for r in self.resources]
        rows[index][key] = str(value)
        self.resources = rows
        self._clear(f"resource-{index}", "resources")

    @rx.event
    def add_filter(self):
        self.filters = [*self.filters, dict(pf.FILTER)]

    @rx.event
    def remove_filter(self, index: int):
        self.filters = [f for i, f in enumerate(self.filters) if i != index]
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith("filter-")}

    @rx.event
    def edit_filter(self, index: int, key: str, value: str):
        rows = [dict(f) for f in self.filters]
        rows[index][key] = str(value)
        self.filters = rows
        self._clear(f"filter-{index}", "filters")

    @rx.event
    async def save(self, form_data: dict | None = None):
        principal = await acting_principal(self)
        if principal is None:
            yield SESSION_OVER
            return
        self.saving, self.errors = True, {}
        yield
        try:
            fields = pf.to_fields(self.values, self.resources, self.filters)
            async with tenant_session(principal.org_id) as session:
                if self.pipeline_id:
                    saved = await pipelines.update(
                        session=session,
                        principal=principal,
                        pipeline_id=self.pipeline_id,
                        **fields,
                    )
                else:
                    saved = await pipelines.create(session=session, principal=principal, **fields)
        except DomainError as exc:
            self.saving = False
            key, focus = pf.error_target(exc.field)
            self.errors = {key: exc.message}
            # By id in the page: inputs of the resource and filter rows have ids made in the
            # browser, which rx.set_focus (refs made when compiling) cannot reach.
            yield rx.call_script(f"document.getElementById({json.dumps(focus)})?.focus()")
            return
        self.saving = False
        yield rx.redirect(f"/pipelines/{saved.id}")
        yield rx.toast.success(f"Pipeline '{saved.name}' was saved.")
