"""The /runs page's state: one page of the run history, its filters and sort, and the export.

Filtering, sorting and paging happen in the database (run_queries, as GET /api/v1/runs); the export
is made here by the same service as GET /api/v1/runs/export and handed to the browser as a
download, so no token ever goes into a link.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, Invalid, Unauthenticated
from etlfabric.models import RunStatus, TargetType, Trigger
from etlfabric.services import run_analytics, run_queries, targets
from etlfabric.services.run_queries import RunFilter
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal
from etlfabric.ui.state.run_format import STATUS_LABELS, TARGET_LABELS, TRIGGER_LABELS, run_row

PAGE_SIZE = 25
STATUSES = {s.value for s in RunStatus}
TRIGGERS = {t.value for t in Trigger}
FILTERS = ("status", "target_type", "target", "trigger", "since", "until", "search")
# service field -> the filter form's input
FIELDS = {"since": "since", "until": "until", "search": "search", "sort": "sort"}
SORTABLE = {
    "id": "Run",
    "status": "Status",
    "target_name": "Target",
    "trigger": "Trigger",
    "queued_at": "Queued (UTC)",
    "duration_ms": "Duration",
}


def parse_day(field: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(field, "Enter the date as YYYY-MM-DD.") from None


def run_filter(values: dict[str, str]) -> RunFilter:
    """The form's text as a RunFilter; "To" is inclusive (everything before the next midnight)."""
    since, until = parse_day("since", values["since"]), parse_day("until", values["until"])
    if since and until and until < since:
        raise Invalid("until", "The “To” date is before the “From” date.")
    prefix, _, target = values["target"].rpartition(":")  # "pipeline:7"; a bare id is a script
    if target.isdigit():
        kind = prefix or values["target_type"] or "script"
    else:
        kind, target = values["target_type"], ""
    if kind and kind not in {t.value for t in TargetType}:
        raise Invalid("target_type", f"'{kind}' is not a kind of target.")
    return RunFilter(
        status=(RunStatus(values["status"]),) if values["status"] in STATUSES else (),
        target_type=TargetType(kind) if kind else None,
        target_id=int(target) if target.isdigit() else None,
        trigger=Trigger(values["trigger"]) if values["trigger"] in TRIGGERS else None,
        since=datetime.combine(since, time.min, UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time.min, UTC) if until else None,
        search=values["search"],
    )


class RunsState(rx.State):
    rows: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    sort: str = "-queued_at"
    filters: dict[str, str] = {name: "" for name in FILTERS}
    errors: dict[str, str] = {}
    targets: list[dict[str, str]] = []  # {"value": "<kind>:<id>", "label": "name (Kind)"}
    loaded: bool = False
    exporting: str = ""
    form_key: int = 0

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def summary(self) -> str:
        noun = "run" if self.total == 1 else "runs"
        return f"{self.total:,} {noun} · page {self.page} of {self.page_count}"

    @rx.var
    def filtered(self) -> bool:
        return any(self.filters.values())

    @rx.var
    def sort_directions(self) -> dict[str, str]:
        """column -> its aria-sort value ("ascending", "descending", "none")."""
        column = self.sort.lstrip("-")
        direction = "descending" if self.sort.startswith("-") else "ascending"
        return {name: direction if name == column else "none" for name in SORTABLE}

    async def _fetch(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                found = await run_queries.list_runs(
                    session=session,
                    principal=principal,
                    filters=run_filter(self.filters),
                    page=self.page,
                    page_size=PAGE_SIZE,
                    sort=self.sort,
                )
                known = await targets.choices(session=session, principal=principal)
                slow = await run_analytics.anomalous_runs(
                    session=session, principal=principal, run_ids=[r.id for r in found.items]
                )
        except Unauthenticated:
            return SESSION_OVER
        except DomainError as exc:
            self.errors = {FIELDS.get(exc.field or "", ""): exc.message}
            self.loaded = True
            return None
        self.rows, self.total, self.loaded = (
            [run_row(r, slow.get(r.id)) for r in found.items],
            found.total,
            True,
        )
        self.targets = [
            {"value": f"{kind}:{id_}", "label": f"{name} ({TARGET_LABELS.get(kind, kind)})"}
            for kind, id_, name in known
        ]
        return None

    @rx.event
    async def load(self):
        """on_load: newest first; `?target=<kind>:<id>` (or a script id) and `?status=`
        preselect filters."""
        query = self.router.url.query_parameters
        self.filters = {name: "" for name in FILTERS}
        for name in ("target", "status", "trigger"):
            self.filters[name] = str(query.get(name, ""))[:40]
        if self.filters["target"].isdigit():  # ?target=<script id>, as older links have it
            self.filters["target"] = f"script:{self.filters['target']}"
        self.page, self.sort, self.errors, self.loaded = 1, "-queued_at", {}, False
        self.form_key += 1
        return await self._fetch()

    @rx.event
    async def apply_filters(self, form_data: dict):
        self.filters = {name: str(form_data.get(name) or "").strip() for name in FILTERS}
        self.page, self.errors = 1, {}
        try:
            run_filter(self.filters)
        except Invalid as exc:
            self.errors = {FIELDS.get(exc.field or "", ""): exc.message}
            return None
        return await self._fetch()

    @rx.event
    async def clear_filters(self):
        self.filters = {name: "" for name in FILTERS}
        self.page, self.errors = 1, {}
        self.form_key += 1
        return await self._fetch()

    @rx.event
    async def sort_by(self, column: str):
        """First click: that column, descending for times and durations; again: reversed."""
        if column not in SORTABLE:
            return None
        if self.sort.lstrip("-") == column:
            self.sort = column if self.sort.startswith("-") else f"-{column}"
        else:
            self.sort = f"-{column}" if column in ("queued_at", "duration_ms", "id") else column
        self.page = 1
        return await self._fetch()

    @rx.event
    async def previous_page(self):
        if self.page > 1:
            self.page -= 1
            return await self._fetch()
        return None

    @rx.event
    async def next_page(self):
        if self.page < self.page_count:
            self.page += 1
            return await self._fetch()
        return None

    @rx.event
    async def refresh(self):
        return await self._fetch()

    @rx.event
    async def export(self, format: str):
        """The filtered, sorted list (every page) as a CSV or XLSX download."""
        self.exporting = format
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.exporting = ""
            yield SESSION_OVER
            return
        try:
            async with tenant_session(principal.org_id) as session:
                data, media_type, filename = await run_queries.export_runs(
                    session=session,
                    principal=principal,
                    filters=run_filter(self.filters),
                    format=format,
                    sort=self.sort,
                )
        except DomainError as exc:
            self.exporting = ""
            yield rx.toast.error(exc.message)
            return
        self.exporting = ""
        yield rx.download(data=data, filename=filename, mime_type=media_type.replace(" ", ""))


STATUS_CHOICES = [(s.value, label) for s, label in STATUS_LABELS.items()]
TRIGGER_CHOICES = list(TRIGGER_LABELS.items())
TARGET_CHOICES = list(TARGET_LABELS.items())
