"""The dashboard's alerts: schedules that switched themselves off after failing N times in a row,
shown until somebody acknowledges them."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.models import Alert
from etlfabric.services import schedules
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, when


def alert_row(alert: Alert) -> dict[str, str]:
    return {
        "id": str(alert.id),
        "message": alert.message,
        "raised": when(alert.created_at),
        "schedule_href": f"/schedules/{alert.schedule_id}" if alert.schedule_id else "",
    }


class AlertsState(rx.State):
    rows: list[dict[str, str]] = []
    error: str = ""

    async def _fetch(self, principal) -> None:
        async with tenant_session(principal.org_id) as session:
            found = await schedules.list_alerts(session=session, principal=principal)
        self.rows = [alert_row(alert) for alert in found]

    @rx.event
    async def load(self):
        principal = await acting_principal(self)
        if principal is None:
            return None
        try:
            await self._fetch(principal)
            self.error = ""
        except DomainError as exc:
            self.error = exc.message
        return None

    @rx.event
    async def acknowledge(self, alert_id: str):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                await schedules.acknowledge_alert(
                    session=session, principal=principal, alert_id=int(alert_id)
                )
            await self._fetch(principal)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.toast.success("Alert acknowledged.")
