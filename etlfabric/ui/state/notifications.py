"""/notifications: channels (add, test, delete), rules (add, delete) and the delivery history.

Calls the same services as /api/v1/notification-*. Secrets typed into the channel form go
straight to the service: they are never kept in a state var, and the tables only say "set".
"""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, Invalid, Unauthenticated
from etlfabric.services import notification_channels as channels
from etlfabric.services import notification_rules as rules
from etlfabric.services import notifications, targets
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors, when

PAGE_SIZE = 25
# service field -> form input
CHANNEL_FIELDS = {
    "name": "channel_name",
    "kind": "channel_kind",
    "config.host": "smtp_host",
    "config.port": "smtp_port",
    "config.tls": "smtp_tls",
    "config.user": "smtp_user",
    "config.from": "smtp_from",
    "config.recipients": "smtp_recipients",
    "secrets.password": "smtp_password",
    "secrets.url": "slack_url",
    "config.url": "webhook_url",
    "secrets.signing_secret": "signing_secret",
}
RULE_FIELDS = {
    "channel_id": "rule_channel",
    "event": "rule_event",
    "target_type": "rule_target",
    "target_id": "rule_target",
    "group_minutes": "rule_group",
    "digest_hour": "rule_hour",
    "digest_weekday": "rule_weekday",
}
EVENT_LABELS = {
    "failure": "On failure",
    "success": "On success",
    "recovery": "On recovery",
    "auto_disable": "On auto-disable",
    "daily_digest": "Daily digest",
    "weekly_digest": "Weekly digest",
}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def channel_form(kind: str, form: dict) -> dict:
    """The service's keyword arguments from the channel form of `kind`."""
    text = {key: str(value or "").strip() for key, value in form.items()}
    if kind == "email":
        port = text.get("smtp_port", "")
        config = {
            "host": text.get("smtp_host"),
            "port": int(port) if port.isdigit() else (port or None),
            "tls": text.get("smtp_tls") or "starttls",
            "user": text.get("smtp_user") or None,
            "from": text.get("smtp_from"),
            "recipients": text.get("smtp_recipients", ""),
        }
        secrets = {"password": text["smtp_password"]} if text.get("smtp_password") else {}
    elif kind == "slack":
        config, secrets = {}, {"url": text.get("slack_url", "")}
    else:
        config = {"url": text.get("webhook_url")}
        secrets = {"signing_secret": text.get("signing_secret", "")}
    return {
        "name": text.get("channel_name", ""),
        "kind": kind,
        "config": config,
        "secrets": secrets,
    }


def _whole(field: str, value, default: int) -> int:
    value = str(value if value is not None else "").strip()
    if value == "":
        return default
    if not value.lstrip("-").isdigit():
        raise Invalid(field, "Enter a whole number.")
    return int(value)


def rule_form(form: dict) -> dict:
    target = str(form.get("rule_target") or "")
    kind, _, target_id = target.partition(":")
    channel = str(form.get("rule_channel") or "")
    return {
        "channel_id": int(channel) if channel.isdigit() else 0,
        "event": str(form.get("rule_event") or ""),
        "target_type": kind or None,
        "target_id": int(target_id) if target_id.isdigit() else None,
        "group_minutes": _whole("group_minutes", form.get("rule_group"), 15),
        "digest_hour": _whole("digest_hour", form.get("rule_hour"), 8),
        "digest_weekday": _whole("digest_weekday", form.get("rule_weekday"), 0),
    }


def channel_row(channel) -> dict[str, str]:
    view = channels.public_view(channel)
    config = view["config"]
    if view["kind"] == "email":
        where = f"{', '.join(config['recipients'])} via {config['host']}:{config['port']}"
    elif view["kind"] == "webhook":
        where = config["url"]
    else:
        where = "Slack incoming webhook"
    secret = ", ".join(f"{key}: ••••••" for key, is_set in view["secrets_set"].items() if is_set)
    return {
        "id": str(view["id"]),
        "name": view["name"],
        "kind": view["kind"],
        "where": where,
        "secrets": secret or "none",
    }


def rule_row(rule: dict) -> dict[str, str]:
    event = rule["event"]
    detail = ""
    if event == "failure":
        detail = f"grouped per {rule['group_minutes']} min" if rule["group_minutes"] else ""
    elif event == "daily_digest":
        detail = f"at {rule['digest_hour']:02d}:00"
    elif event == "weekly_digest":
        detail = f"{WEEKDAYS[rule['digest_weekday']]} at {rule['digest_hour']:02d}:00"
    return {
        "id": str(rule["id"]),
        "event": EVENT_LABELS.get(event, event),
        "target": rule["target_name"] or "Every target",
        "channel": rule["channel_name"],
        "detail": detail,
    }


def delivery_row(delivery, channel_name: str) -> dict[str, str]:
    return {
        "id": str(delivery.id),
        "created": when(delivery.created_at),
        "event": EVENT_LABELS.get(delivery.event.value, delivery.event.value),
        "subject": delivery.subject,
        "channel": channel_name,
        "status": delivery.status.value,
        "attempts": str(delivery.attempts),
        "error": delivery.last_error or "",
        "run_href": f"/runs/{delivery.run_id}" if delivery.run_id else "",
    }


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
        self.rules = [rule_row(rule) for rule in made]
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
        self.channel_open, self.channel_errors = is_open, {}

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
    async def create_channel(self, form_data: dict):
        self.channel_errors, self.saving = {}, True
        try:
            made = await self._act(channels.create, **channel_form(self.channel_kind, form_data))
        except DomainError as exc:
            self.channel_errors, self.saving = field_errors(exc, CHANNEL_FIELDS), False
            return None
        self.saving = False
        self.channel_open = False
        await self._refresh()
        return rx.toast.success(f"Channel {made.name} was added.")

    @rx.event
    async def test_channel(self, channel_id: str):
        try:
            prepared = await self._act(channels.send_test, channel_id=int(channel_id))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        ok, message = await channels.deliver_test(*prepared)
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
    async def delete_rule(self, rule_id: str):
        try:
            await self._act(rules.delete, rule_id=int(rule_id))
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._refresh()
        return rx.toast.success("The rule was deleted.")
