"""The /schedules page's state: every schedule with its target, kind, plain-language description,
next and last run; sorting, the enabled toggle, and bulk enable / disable of the checked rows."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import schedule_queries, schedules
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, read_in_tenant
from etlfabric.ui.state.run_format import TARGET_LABELS, status_label, target_href, when

SORTS = (("next_run", "Next run"), ("created", "Created"), ("name", "Name"))
KIND_LABELS = {"cron": "Cron", "interval": "Interval", "once": "Once", "startup": "Startup"}


def schedule_row(item: schedules.ScheduleItem) -> dict[str, str]:
    view = schedules.public_view(item)
    kind, target = str(view["target_type"]), int(view["target_id"])
    return {
        "id": str(view["id"]),
        "href": f"/schedules/{view['id']}",
        "target": view["target_name"],
        "target_kind": TARGET_LABELS.get(kind, kind),
        "target_href": target_href(kind, target),
        "kind": KIND_LABELS.get(str(view["kind"]), str(view["kind"])),
        "description": view["description"],
        "next_run": when(view["next_run_at"]) or "—",
        "last_run": when(view["last_run_at"]),
        "last_run_href": f"/runs/{view['last_run_id']}" if view["last_run_id"] else "",
        "last_status": view["last_run_status"] or "",
        "last_status_label": status_label(view["last_run_status"]) if view["last_run_id"] else "",
        "enabled": "yes" if view["enabled"] else "",
        "disabled_reason": view["disabled_reason"] or "",
    }


class SchedulesState(rx.State):
    rows: list[dict[str, str]] = []
    sort: str = "next_run"
    descending: bool = False
    checked: list[str] = []
    loaded: bool = False
    error: str = ""

    @rx.var
    def summary(self) -> str:
        count, on = len(self.rows), sum(1 for row in self.rows if row["enabled"])
        return f"{count} schedule{'s' * (count != 1)}, {on} enabled"

    @rx.var
    def checked_count(self) -> int:
        return len(self.checked)

    @rx.var
    def all_checked(self) -> bool:
        return bool(self.rows) and len(self.checked) == len(self.rows)

    async def _read(self, session, principal) -> list[dict[str, str]]:
        items = await schedule_queries.list_schedules(
            session=session, principal=principal, sort=self.sort, descending=self.descending
        )
        return [schedule_row(item) for item in items]

    async def _fetch(self):
        rows = await read_in_tenant(self, self._read, empty=[])
        if rows is None:
            return SESSION_OVER
        self.rows = rows
        ids = {row["id"] for row in self.rows}
        self.checked = [i for i in self.checked if i in ids]
        self.loaded = True
        return None

    @rx.event
    async def load(self):
        self.loaded, self.checked = False, []
        return await self._fetch()

    @rx.event
    async def sort_by(self, column: str):
        if self.sort == column:
            self.descending = not self.descending
        else:
            self.sort, self.descending = column, False
        return await self._fetch()

    @rx.event
    def check(self, schedule_id: str, checked: bool):
        others = [i for i in self.checked if i != schedule_id]
        self.checked = [*others, schedule_id] if checked else others

    @rx.event
    def check_all(self, checked: bool):
        self.checked = [row["id"] for row in self.rows] if checked else []

    async def _set_enabled(self, ids: list[str], enabled: bool):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                await schedules.bulk_set_enabled(
                    session=session,
                    principal=principal,
                    schedule_ids=[int(i) for i in ids],
                    enabled=enabled,
                )
        except DomainError as exc:
            await self._fetch()
            return rx.toast.error(exc.message)
        await self._fetch()
        return None

    @rx.event
    async def toggle(self, schedule_id: str, enabled: bool):
        return await self._set_enabled([schedule_id], enabled)

    @rx.event
    async def bulk(self, enabled: bool):
        ids, count = list(self.checked), len(self.checked)
        if not ids:
            return None
        problem = await self._set_enabled(ids, enabled)
        if problem is not None:
            return problem
        self.checked = []
        word = "Enabled" if enabled else "Disabled"
        return rx.toast.success(f"{word} {count} schedule{'s' * (count != 1)}.")
