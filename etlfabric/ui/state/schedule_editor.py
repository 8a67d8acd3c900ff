"""The schedule editor's state (/schedules/new and /schedules/[schedule_id]).

Every input is a string in `values` (schedule_form.py turns them into service arguments). Each
change recomputes the live preview through schedules.preview, the code the scheduler fires with,
and the plain-language description; a problem with the timing shows next to the input it names
at once, a problem with anything else when saving. The viewer's own timezone comes from the
browser (Intl), so every fire time reads in the schedule's zone and in the viewer's.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import platform_session, tenant_session
from etlfabric.errors import DomainError
from etlfabric.models import Organization, ScheduleKind
from etlfabric.services import schedules, targets
from etlfabric.services.schedule_forms import describe, form_to_cron
from etlfabric.services.schedule_times import Timing
from etlfabric.ui.state import schedule_form as sf
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, delete_then_leave
from etlfabric.ui.state.run_format import TARGET_LABELS, status_label, when
from etlfabric.ui.state.schedule_calendar import ScheduleCalendarState

NEW = "new"
MAX_PREVIEW = 50
VIEWER_ZONE_JS = "Intl.DateTimeFormat().resolvedOptions().timeZone"


def schedule_id_of(path: str) -> int | None:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else None


def describe_timing(fields: dict) -> tuple[str, str]:
    """(description, cron) of the timing fields, the cron a simple form stands for included."""
    cron, short_months = fields.get("cron"), fields.get("short_months", "skip")
    if fields.get("form"):
        cron, short_months = form_to_cron(fields["form"])
    timing = Timing(
        kind=ScheduleKind(fields["kind"]),
        cron=cron,
        interval_seconds=fields.get("interval_seconds"),
        run_at=fields.get("run_at"),
        timezone=fields["timezone"],
        start_at=fields.get("start_at"),
        end_at=fields.get("end_at"),
        short_months=short_months,
    )
    return describe(timing), cron or ""


def facts_of(view: dict) -> dict[str, str]:
    return {
        "target_name": view.get("target_name") or "",
        "description": view.get("description") or "",
        "next_run": when(view.get("next_run_at")) or "—",
        "last_run": when(view.get("last_run_at")),
        "last_run_href": f"/runs/{view['last_run_id']}" if view.get("last_run_id") else "",
        "last_status": view.get("last_run_status") or "",
        "last_status_label": status_label(view.get("last_run_status")),
        "failures": str(view.get("consecutive_failures") or 0),
        "disabled_reason": view.get("disabled_reason") or "",
    }


class ScheduleEditorState(rx.State):
    schedule_id: int = 0  # 0: a new schedule
    missing: str = ""
    loaded: bool = False
    values: dict[str, str] = dict(sf.DEFAULTS)
    errors: dict[str, str] = {}
    targets: list[dict[str, str]] = []  # {"key", "label"}
    facts: dict[str, str] = {}
    description: str = ""
    form_cron: str = ""  # the expression a daily / weekly / monthly form stands for
    preview: list[dict[str, str]] = []
    timing_problem: str = ""  # why there is no preview: the timing as typed is refused
    preview_count: int = 5
    viewer_zone: str = ""
    saving: bool = False
    _saved: dict = {}  # the loaded schedule as service fields, to send only what changed

    @rx.var
    def cron_parts(self) -> list[str]:
        return sf.cron_parts(self.values.get("cron", ""))

    @rx.var
    def chosen_days(self) -> list[str]:
        return [day for day in self.values.get("days", "").split(",") if day]

    @rx.var
    def long_month_day(self) -> bool:
        day = self.values.get("day", "")
        return day.isdigit() and int(day) >= 29

    @rx.var
    def heading(self) -> str:
        if not self.schedule_id:
            return "New schedule"
        return f"Schedule: {self.facts.get('target_name', '')}"

    async def _targets(self, principal) -> list[dict[str, str]]:
        async with tenant_session(principal.org_id) as session:
            rows = await targets.choices(session=session, principal=principal)
        return [
            {"key": f"{kind}:{id_}", "label": f"{name} ({TARGET_LABELS.get(kind, kind)})"}
            for kind, id_, name in rows
        ]

    async def _refresh_preview(self, principal) -> None:
        """The description and next fire times of the timing as typed; errors by the field."""
        timing_inputs = set(sf.ERROR_INPUTS.values()) | {f[0] for f in sf.CRON_FIELDS}
        self.errors = {k: v for k, v in self.errors.items() if k not in timing_inputs}
        try:
            fields = sf.timing_fields(self.values)
            self.description, self.form_cron = describe_timing(fields)
            async with tenant_session(principal.org_id) as session:
                times = await schedules.preview(
                    session=session, principal=principal, count=self.preview_count, **fields
                )
        except DomainError as exc:
            self.errors = self.errors | sf.error_map(exc.field, exc.message)
            self.preview, self.description, self.timing_problem = [], "", exc.message
            return
        self.preview = sf.preview_rows(times, fields["timezone"], self.viewer_zone)
        self.timing_problem = ""

    async def _preview(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        await self._refresh_preview(principal)
        return None

    @rx.event
    async def load(self):
        self.loaded, self.missing, self.errors, self.saving = False, "", {}, False
        self.preview_count, self.facts, self.preview = 5, {}, []
        principal = await acting_principal(self)
        if principal is None:
            return None
        param = self.router.url.path.rstrip("/").rsplit("/", 1)[-1]
        try:
            self.targets = await self._targets(principal)
            if param == NEW:
                self.schedule_id = 0
                self.values = sf.DEFAULTS | {
                    "timezone": await self._org_zone(principal),
                    "target": str(self.router.url.query_parameters.get("target") or ""),
                }
            else:
                await self._read(principal, schedule_id_of(self.router.url.path))
        except DomainError as exc:
            self.missing = exc.message
            return None
        self.loaded = True
        await self._refresh_preview(principal)
        return rx.call_script(VIEWER_ZONE_JS, callback=ScheduleEditorState.set_viewer_zone)

    async def _org_zone(self, principal) -> str:
        async with platform_session() as session:
            org = await session.get(Organization, principal.org_id)
        return org.timezone if org else "UTC"

    async def _read(self, principal, schedule_id: int | None) -> None:
        if schedule_id is None:
            raise DomainError("There is no schedule at this address.")
        async with tenant_session(principal.org_id) as session:
            item = await schedules.get(
                session=session, principal=principal, schedule_id=schedule_id
            )
        view = schedules.public_view(item)
        self.schedule_id = schedule_id
        self.values = sf.from_view(view)
        try:
            self._saved = sf.to_fields(self.values)
        except DomainError:
            self._saved = {}  # e.g. a target deleted since: every field is sent on save
        self.facts = facts_of(view)
        calendar = await self.get_state(ScheduleCalendarState)
        await calendar.show(schedule_id, self.values["timezone"])

    @rx.event
    async def set_viewer_zone(self, zone: str):
        self.viewer_zone = str(zone or "")
        return await self._preview()

    @rx.event
    async def edit(self, field: str, value: str):
        if field == "build" and value == "cron" and self.form_cron:
            self.values = self.values | {"cron": self.form_cron}  # the same times, as fields
        self.values = self.values | {field: str(value)}
        self.errors = {k: v for k, v in self.errors.items() if k not in (field, "")}
        return await self._preview()

    @rx.event
    async def set_enabled(self, enabled: bool):
        self.values = self.values | {"enabled": "yes" if enabled else ""}

    @rx.event
    async def toggle_day(self, day: str, chosen: bool):
        days = [
            d
            for d, _ in sf.WEEKDAYS
            if (d == day and chosen) or (d != day and d in self.chosen_days)
        ]
        return await self.edit("days", ",".join(days))

    @rx.event
    async def set_cron_part(self, index: int, text: str):
        return await self.edit("cron", sf.with_cron_part(self.values.get("cron", ""), index, text))

    @rx.event
    async def apply_preset(self, cron: str):
        self.values = self.values | {"kind": "cron", "build": "cron"}
        return await self.edit("cron", cron)

    @rx.event
    async def open_in_builder(self):
        """From a daily / weekly / monthly form to the five fields, keeping the same times."""
        cron = self.form_cron or self.values.get("cron", "")
        self.values = self.values | {"build": "cron"}
        return await self.edit("cron", cron)

    @rx.event
    async def show_more(self):
        self.preview_count = MAX_PREVIEW if self.preview_count < MAX_PREVIEW else 5
        return await self._preview()

    @rx.event
    async def save(self, form_data: dict | None = None):
        principal = await acting_principal(self)
        if principal is None:
            yield SESSION_OVER
            return
        self.saving, self.errors = True, {}
        yield
        try:
            fields = sf.to_fields(self.values)
            async with tenant_session(principal.org_id) as session:
                if self.schedule_id:
                    # Only what changed: an unchanged past run_at must not be checked again.
                    changed = {k: v for k, v in fields.items() if self._saved.get(k, v) != v}
                    changed |= {k: v for k, v in fields.items() if k not in self._saved}
                    item = await schedules.update(
                        session=session,
                        principal=principal,
                        schedule_id=self.schedule_id,
                        **changed,
                    )
                else:
                    item = await schedules.create(session=session, principal=principal, **fields)
        except DomainError as exc:
            self.saving = False
            self.errors = sf.error_map(exc.field, exc.message)
            focus = next(iter(self.errors))
            yield rx.set_focus(focus) if focus else rx.noop()
            return
        self.saving = False
        if not self.schedule_id:
            yield rx.redirect(f"/schedules/{item.schedule.id}")
            return
        await self._read(principal, item.schedule.id)
        await self._refresh_preview(principal)
        yield rx.toast.success("The schedule was saved.")

    @rx.event
    async def delete(self):
        return await delete_then_leave(
            self,
            schedules.delete,
            back="/schedules",
            done="The schedule was deleted.",
            schedule_id=self.schedule_id,
        )
