"""The /transformations/sources page's state: the declared dbt sources with their freshness (from
the freshness Runs), the tables pipelines loaded that are not declared yet (one click adds one),
and deleting a source. The form lives in source_form.py, the freshness check in source_check.py.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import dbt_project, source_freshness, transformations
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, read_in_tenant
from etlfabric.ui.state.source_format import source_row


def suggestion_row(suggestion: dict) -> dict[str, str]:
    return {
        "key": f"{suggestion['schema_name']}.{suggestion['table_name']}",
        "schema_name": suggestion["schema_name"],
        "table_name": suggestion["table_name"],
        "pipeline": suggestion["pipeline"],
        "pipeline_id": str(suggestion["pipeline_id"]),
        "pipeline_href": f"/pipelines/{suggestion['pipeline_id']}",
    }


class DbtSourcesState(rx.State):
    rows: list[dict[str, str]] = []
    suggestions: list[dict[str, str]] = []
    schemas: list[str] = []
    loaded: bool = False
    error: str = ""
    adding: str = ""  # the suggestion being declared ("schema.table"), for its button's spinner

    @rx.var
    def summary(self) -> str:
        count = len(self.rows)
        return f"{count} source table{'s' * (count != 1)}"

    async def _read(self, session, principal) -> tuple[list[dict], list[dict]]:
        sources = await dbt_project.list_rows(session=session, principal=principal, kind="source")
        fresh = await source_freshness.source_freshness(session=session, principal=principal)
        suggested = await dbt_project.suggested_sources(session=session, principal=principal)
        self.schemas = await transformations.data_schemas(session, principal.org_id)
        rows = [source_row(source, fresh[source.id]) for source in sources]
        return rows, [suggestion_row(s) for s in suggested]

    async def _fetch(self):
        found = await read_in_tenant(self, self._read, empty=([], []))
        if found is None:
            return SESSION_OVER
        self.rows, self.suggestions = found
        self.loaded = True
        return None

    @rx.event
    async def load(self):
        self.loaded = False
        return await self._fetch()

    @rx.event
    async def refresh(self):
        return await self._fetch()

    @rx.event
    async def add_suggestion(self, suggestion: dict):
        """Declare a loaded table as a source named after its schema (source('raw', 'orders'))."""
        principal = await acting_principal(self)
        if principal is None:
            yield SESSION_OVER
            return
        self.adding = suggestion["key"]
        yield
        try:
            async with tenant_session(principal.org_id) as session:
                await dbt_project.create(
                    session=session,
                    principal=principal,
                    kind="source",
                    source_name=suggestion["schema_name"],
                    schema_name=suggestion["schema_name"],
                    table_name=suggestion["table_name"],
                    pipeline_id=int(suggestion["pipeline_id"]),
                )
        except DomainError as exc:
            self.adding = ""
            yield rx.toast.error(exc.message)
            return
        self.adding = ""
        await self._fetch()
        yield rx.toast.success(f"{suggestion['key']} is a source now.")

    @rx.event
    async def delete(self, source_id: str):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                await dbt_project.delete(
                    session=session, principal=principal, kind="source", row_id=int(source_id)
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._fetch()
        return rx.toast.success("The source was deleted.")
