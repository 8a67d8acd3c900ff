"""What the seeds and snapshots panels of /transformations/project share: the list of one kind
of project part with the organisation's data schemas (reloaded with the page), and a confirmed
delete, refused with the service's reason (a part that models still read stays)."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import dbt_project, transformations
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal


class DbtPartsState(rx.State, mixin=True):
    """Each panel's state names its KIND and says how one part reads as a row (`_row`)."""

    KIND: ClassVar[str] = ""  # dbt_project.KINDS: "seed" or "snapshot"

    rows: list[dict[str, str]] = []
    schemas: list[str] = []
    loaded: bool = False
    error: str = ""
    dialog_open: bool = False

    async def _fetch(self, principal) -> None:
        try:
            async with tenant_session(principal.org_id) as session:
                found = await dbt_project.list_rows(
                    session=session, principal=principal, kind=self.KIND
                )
                self.schemas = await transformations.data_schemas(session, principal.org_id)
            self.rows, self.error = [self._row(part) for part in found], ""
        except DomainError as exc:
            self.rows, self.error = [], exc.message
        self.loaded = True

    @rx.event
    async def load(self):
        self.loaded, self.dialog_open = False, False
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        await self._fetch(principal)
        return None

    @rx.event
    async def delete(self, part_id: str):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                await dbt_project.delete(
                    session=session, principal=principal, kind=self.KIND, row_id=int(part_id)
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._fetch(principal)
        return rx.toast.success(f"The {self.KIND} was deleted.")
