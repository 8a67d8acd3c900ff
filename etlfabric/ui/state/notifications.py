"""/notifications: channels (add, edit, switch on/off, test, delete), rules (add, switch on/off,
delete) and the delivery history.

Calls the same services as /api/v1/notification-*. Secrets typed into the channel form go
straight to the service: they are never kept in a state var, and the tables only say "set".
"""

from __future__ import annotations

import contextlib

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, Unauthenticated
from etlfabric.services import notification_channels as channels
from etlfabric.services import notification_rules as rules
from etlfabric.services import notifications, targets
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors
from etlfabric.ui.state.notification_forms import (
    CHANNEL_FIELDS,
    RULE_FIELDS,
    channel_form,
    channel_row,
    channel_values,
    delivery_row,
    rule_form,
    rule_row,
)

PAGE_SIZE = 25
NEW_CHANNEL = {"smtp_port": "587", "smtp_tls": "starttls"}


class NotificationsState(rx.State):
    channels: list[dict[str, str]] = []
    rules: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    targets: list[dict[str, str]] = []  # {"value": "script:12", "label": "Script · Nightly"}
    total: int = 0
    page: int = 1
    error: str = ""
    channel_open: bool = False
    channel_kind: str = "email"
    channel_editing: str = ""  # the id of the channel in the form; "" adds a new one
    channel_values: dict[str, str] = dict(NEW_CHANNEL)  # what the form opens with (no secrets)
    channel_errors: dict[str, str] = {}
    rule_open: bool = False
    rule_event: str = "failure"
    rule_errors: dict[str, str] = {}
    saving: bool = False

    @rx.var
    def page_count(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @rx.var
    def summary(self) -> str:
        return f"{self.total} deliveries · page {self.page} of {self.page_count}"

    async def _fetch(self, principal) -> None:
        async with tenant_session(principal.org_id) as session:
            found = await channels.list_channels(session=session, principal=principal)
            made = await rules.list_rules(session=session, principal=principal)
            rows, self.total = await notifications.list_deliveries(
                session=session, principal=principal, page=self.page, page_size=PAGE_SIZE
            )
            choices = await targets.choices(session=session, principal=principal)
        self.channels = [channel_row(channel) for channel in found]
        off = {channel.id for channel in found if not channel.enabled}
        self.rules = [rule_row(rule, off) for rule in made]
        self.history = [delivery_row(delivery, name) for delivery, name in rows]
        self.targets = [
            {"value": f"{kind}:{id_}", "label": f"{kind.capitalize()} · {name}"}
            for kind, id_, name in choices
        ]

    async def _refresh(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            await self._fetch(principal)
        except DomainError as exc:
            self.error = exc.message
        return None

    @rx.event
    async def load(self):
        self.error, self.page = "", 1
        self.channel_open = self.rule_open = False
        return await self._refresh()

    @rx.event
    async def refresh(self):
        return await self._refresh()

    @rx.event
    async def next_page(self):
        self.page = min(self.page + 1, self.page_count)
        return await self._refresh()

    @rx.event
    async def previous_page(self):
        self.page = max(self.page - 1, 1)
        return await self._refresh()

    @rx.event
    def set_channel_open(self, is_open: bool):
        """The "Add channel" trigger opens an empty form; closing forgets the edited one (so the
        next "Add channel" starts empty; `edit_channel` opens the form without this)."""
        self.channel_open, self.channel_errors = is_open, {}
        self._forget_channel()

    def _forget_channel(self) -> None:
        self.channel_editing, self.channel_values = "", dict(NEW_CHANNEL)
        self.channel_kind = "email"

    @rx.event
    def choose_kind(self, kind: str):
        self.channel_kind, self.channel_errors = kind, {}

    @rx.event
    def set_rule_open(self, is_open: bool):
        self.rule_open, self.rule_errors = is_open, {}

    @rx.event
    def choose_event(self, event: str):
        self.rule_event = event

    async def _act(self, action, **arguments):
        """One service call as the acting principal, in one transaction; its answer."""
        principal = await acting_principal(self)
        if principal is None:
            raise Unauthenticated("Your session has ended; sign in again.")
        async with tenant_session(principal.org_id) as session:
            return await action(session=session, principal=principal, **arguments)

    @rx.event
    async def edit_channel(self, channel_id: str):
        try:
            channel = await self._act(channels.get, channel_id=int(channel_id))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.channel_values, self.channel_kind = channel_values(channel), channel.kind.value
        self.channel_editing, self.channel_errors = str(channel.id), {}
        self.channel_open = True
        return None

    async def _save_channel(self, form_data: dict):
        fields = channel_form(self.channel_kind, form_data)
        if not self.channel_editing:
            return await self._act(channels.create, **fields)
        fields.pop("kind")  # fixed once made; secrets left empty keep the stored ones
        return await self._act(channels.update, channel_id=int(self.channel_editing), **fields)

    @rx.event
    async def save_channel(self, form_data: dict):
        self.channel_errors, self.saving = {}, True
        try:
            saved = await self._save_channel(form_data)
        except DomainError as exc:
            self.channel_errors, self.saving = field_errors(exc, CHANNEL_FIELDS), False
            return None
        done = "saved" if self.channel_editing else "added"
        self.saving = self.channel_open = False
        self._forget_channel()
        await self._refresh()
        return rx.toast.success(f"Channel {saved.name} was {done}.")

    @rx.event
    async def switch_channel(self, channel_id: str, on: bool):
        try:
            await self._act(channels.update, channel_id=int(channel_id), enabled=bool(on))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._refresh()
        return None

    @rx.event
    async def test_channel(self, channel_id: str):
        try:
            prepared = await self._act(channels.send_test, channel_id=int(channel_id))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        ok, message = await channels.deliver_test(*prepared)
        with contextlib.suppress(DomainError):  # the toast says how it went, recorded or not
            await self._act(
                notifications.record_test, channel_id=int(channel_id), ok=ok, message=message
            )
        await self._refresh()
        return rx.toast.success(message) if ok else rx.toast.error(message)

    @rx.event
    async def delete_channel(self, channel_id: str):
        try:
            await self._act(channels.delete, channel_id=int(channel_id))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._refresh()
        return rx.toast.success("The channel and its rules were deleted.")

    @rx.event
    async def create_rule(self, form_data: dict):
        self.rule_errors, self.saving = {}, True
        try:
            await self._act(rules.create, **rule_form(form_data))
        except DomainError as exc:
            self.rule_errors, self.saving = field_errors(exc, RULE_FIELDS), False
            return None
        self.saving = False
        self.rule_open = False
        await self._refresh()
        return rx.toast.success("The rule was added.")

    @rx.event
    async def switch_rule(self, rule_id: str, on: bool):
        try:
            await self._act(rules.update, rule_id=int(rule_id), enabled=bool(on))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._refresh()
        return None

    @rx.event
    async def delete_rule(self, rule_id: str):
        try:
            await self._act(rules.delete, rule_id=int(rule_id))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._refresh()
        return rx.toast.success("The rule was deleted.")
