"""The /connections page's state: every connection of the organisation (the managed Warehouse
first) with its type, direction and creation time, and deleting one (confirmed on the page)."""

from __future__ import annotations

import reflex as rx
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.models import Connection
from etlfabric.services import connection_specs as specs
from etlfabric.services import connections
from etlfabric.services.permissions import Principal
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, read_in_tenant, when
from etlfabric.ui.state.connection_fields import EXERCISED

DIRECTION_LABELS = {
    "source": "Source",
    "destination": "Destination",
    "both": "Source and destination",
}


def type_label(kind: str) -> str:
    return specs.LABELS.get(kind, kind).split(" (")[0]


def connection_row(conn: Connection) -> dict[str, str]:
    view = connections.public_view(conn)
    return {
        "id": str(view["id"]),
        "href": f"/connections/{view['id']}",
        "name": view["name"],
        "type": type_label(view["type"]),
        "exercised": EXERCISED.get(view["type"], ""),
        "direction": DIRECTION_LABELS.get(view["direction"], view["direction"]),
        "created": when(view["created_at"]),
        "managed": "yes" if view["is_managed"] else "",
    }


async def connection_rows(session: AsyncSession, principal: Principal) -> list[dict[str, str]]:
    await connections.ensure_warehouse(session, principal.org_id)
    found = await connections.list_connections(session=session, principal=principal)
    return [connection_row(conn) for conn in found]


class ConnectionsState(rx.State):
    rows: list[dict[str, str]] = []
    loaded: bool = False
    error: str = ""

    @rx.var
    def summary(self) -> str:
        count = len(self.rows)
        return f"{count} connection{'s' * (count != 1)}"

    async def _fetch(self):
        rows = await read_in_tenant(self, connection_rows, empty=[])
        if rows is None:
            return SESSION_OVER
        self.rows, self.loaded = rows, True
        return None

    @rx.event
    async def load(self):
        self.loaded = False
        return await self._fetch()

    @rx.event
    async def delete(self, connection_id: str):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        name = next((r["name"] for r in self.rows if r["id"] == connection_id), "")
        try:
            async with tenant_session(principal.org_id) as session:
                await connections.delete(
                    session=session, principal=principal, connection_id=int(connection_id)
                )
        except DomainError as exc:
            await self._fetch()
            return rx.toast.error(exc.message)
        await self._fetch()
        return rx.toast.success(f"Connection '{name}' was deleted.")
