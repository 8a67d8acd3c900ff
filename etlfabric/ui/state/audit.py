"""The audit page's state: filters and one page of entries, from the service /api/v1/audit uses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, PermissionDenied, Unauthenticated
from etlfabric.services import audit
from etlfabric.ui.state.auth import AuthState

PAGE_SIZE = 25


def describe_change(old: dict | None, new: dict | None) -> str:
    """`name: Acme → Acme Ltd; role was editor` from an entry's old and new values."""
    old, new = old or {}, new or {}
    parts = []
    for key in [*new, *(k for k in old if k not in new)]:
        if key in old and key in new:
            if old[key] != new[key]:
                parts.append(f"{key}: {old[key]} → {new[key]}")
        elif key in new:
            parts.append(f"{key}: {new[key]}")
        else:
            parts.append(f"{key} was {old[key]}")
    return "; ".join(parts)


def entry_row(entry) -> dict[str, str]:
    resource = entry.resource_type + (f" #{entry.resource_id}" if entry.resource_id else "")
    return {
        "id": str(entry.id),
        "time": entry.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "actor": entry.actor_label,
        "action": entry.action,
        "resource": resource,
        "changes": describe_change(entry.old_values, entry.new_values),
        "ip": str(entry.ip) if entry.ip else "",
    }


def parse_day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


class AuditState(rx.State):
    entries: list[dict[str, str]] = []
    total: int = 0
    page: int = 1
    # The filters as the form sent them ("" = any).
    actor: str = ""
    action: str = ""
    resource_type: str = ""
    since: str = ""
    until: str = ""
    date_error: str = ""
    error: str = ""
    actor_options: list[dict[str, str]] = []  # {"value": user id, "label": e-mail}
    action_options: list[str] = []
    resource_type_options: list[str] = []

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def summary(self) -> str:
        noun = "entry" if self.total == 1 else "entries"
        return f"{self.total} {noun} · page {self.page} of {self.page_count}"

    def _filters(self) -> audit.AuditFilter:
        since, until = parse_day(self.since), parse_day(self.until)
        return audit.AuditFilter(
            actor_user_id=int(self.actor) if self.actor else None,
            action=self.action or None,
            resource_type=self.resource_type or None,
            since=datetime.combine(since, datetime.min.time(), UTC) if since else None,
            # "To" is inclusive: everything before the next midnight.
            until=datetime.combine(until + timedelta(days=1), datetime.min.time(), UTC)
            if until
            else None,
        )

    async def _fetch(self):
        session_state = await self.get_state(AuthState)
        if not session_state.signed_in:
            return None  # require_user has sent the visitor to sign in
        self.error = ""
        try:
            principal = await session_state.principal()
            async with tenant_session(principal.org_id) as session:
                found = await audit.list_entries(
                    session=session,
                    principal=principal,
                    filters=self._filters(),
                    page=self.page,
                    page_size=PAGE_SIZE,
                )
                facets = await audit.facets(session=session, principal=principal)
        except Unauthenticated:
            return AuthState.require_user
        except PermissionDenied:
            self.entries, self.total = [], 0  # the page shows the refusal
            return None
        except DomainError as exc:
            self.error = exc.message
            return None
        self.entries, self.total = [entry_row(e) for e in found.items], found.total
        self.actor_options = [{"value": str(uid), "label": label} for uid, label in facets.actors]
        self.action_options, self.resource_type_options = facets.actions, facets.resource_types
        return None

    @rx.event
    async def load(self):
        """on_load: the newest entries, no filters."""
        self.actor = self.action = self.resource_type = self.since = self.until = ""
        self.date_error, self.page = "", 1
        return await self._fetch()

    @rx.event
    async def apply_filters(self, form_data: dict[str, str]):
        since, until = form_data.get("since") or "", form_data.get("until") or ""
        try:
            first, last = parse_day(since), parse_day(until)
        except ValueError:
            self.date_error = "Enter dates as YYYY-MM-DD."
            return None
        if first and last and last < first:
            self.date_error = "The “To” date is before the “From” date."
            return None
        actor = form_data.get("actor") or ""
        self.actor = actor if actor.isdigit() else ""
        self.action = form_data.get("action") or ""
        self.resource_type = form_data.get("resource_type") or ""
        self.since, self.until, self.date_error, self.page = since, until, "", 1
        return await self._fetch()

    @rx.event
    async def clear_filters(self):
        return await self.load()

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
