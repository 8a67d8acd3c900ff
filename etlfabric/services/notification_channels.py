"""Notification channels: where an organisation's alerts go (e-mail, Slack, a signed webhook).

Per kind, `config` holds what may be shown and `secret` (Fernet-encrypted JSON) what may not:
the SMTP password, the Slack URL (whoever has it can post), the webhook signing secret. Secrets
are write-only: views and audit rows say which are set, never what they are. Deleting is a soft
delete that drops the secret and the channel's rules; its deliveries stay in the history.
`session` is the organisation's tenant session; one call is one transaction.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from email.utils import parseaddr
from urllib.parse import urlsplit

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric import crypto
from etlfabric.errors import Invalid, NotFound
from etlfabric.models import ChannelKind, NotificationChannel, NotificationRule
from etlfabric.services import audit, notifiers
from etlfabric.services.naming import require_text
from etlfabric.services.permissions import Principal, require

TLS_MODES = ("starttls", "tls", "none")
SECRET_KEYS = {
    ChannelKind.email: ("password",),
    ChannelKind.slack: ("url",),
    ChannelKind.webhook: ("signing_secret",),
}
REQUIRED_SECRETS = {ChannelKind.slack: ("url",), ChannelKind.webhook: ("signing_secret",)}
MIN_SIGNING_SECRET = 16
MAX_RECIPIENTS = 50
_ADDRESS = re.compile(r"^[^@\s<>,]+@[^@\s<>,]+$")


def secrets_of(channel: NotificationChannel) -> dict:
    """The decrypted secrets (workers and the test button only; never into a view or a log)."""
    return crypto.decrypt_json(channel.secret) if channel.secret else {}


def public_view(channel: NotificationChannel) -> dict:
    stored = secrets_of(channel)
    keys = SECRET_KEYS[ChannelKind(channel.kind)]
    return {
        "id": channel.id,
        "name": channel.name,
        "kind": ChannelKind(channel.kind).value,
        "config": dict(channel.config or {}),
        "secrets_set": {key: bool(stored.get(key)) for key in keys},
        "enabled": channel.enabled,
        "created_at": channel.created_at,
        "updated_at": channel.updated_at,
    }


def _audit_values(channel: NotificationChannel) -> dict:
    view = public_view(channel)
    return {
        "name": view["name"],
        "kind": view["kind"],
        "config": view["config"],
        "enabled": view["enabled"],
        "fields_set": sorted(k for k, v in view["secrets_set"].items() if v),
    }


def _kind(value: str) -> ChannelKind:
    try:
        return ChannelKind(value)
    except ValueError:
        raise Invalid("kind", "Choose email, slack or webhook.") from None


def _http_url(field: str, value) -> str:
    url = require_text(field, value if isinstance(value, str) else None, max_length=2000)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Invalid(field, "Enter an http:// or https:// URL.")
    return url


def _address(field: str, value) -> str:
    text = require_text(field, value if isinstance(value, str) else None, max_length=320)
    if not _ADDRESS.match(parseaddr(text)[1] or ""):
        raise Invalid(field, f"'{text}' is not an e-mail address.")
    return text


def _recipients(value) -> list[str]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[,;\s]+", value) if part]
    if not isinstance(value, list) or not value:
        raise Invalid("config.recipients", "Add at least one recipient address.")
    if len(value) > MAX_RECIPIENTS:
        raise Invalid("config.recipients", f"At most {MAX_RECIPIENTS} recipients.")
    return [_address("config.recipients", item) for item in value]


def _email_config(config: dict) -> dict:
    port = config.get("port", 587)
    if isinstance(port, str) and port.strip().isdigit():
        port = int(port)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise Invalid("config.port", "The port is a number from 1 to 65535.")
    tls = config.get("tls") or "starttls"
    if tls not in TLS_MODES:
        raise Invalid("config.tls", "TLS mode is starttls, tls or none.")
    user = config.get("user") or None
    if user is not None and (not isinstance(user, str) or len(user) > 320):
        raise Invalid("config.user", "The user is text of at most 320 characters.")
    return {
        "host": require_text("config.host", config.get("host"), max_length=255),
        "port": port,
        "tls": tls,
        "user": user,
        "from": _address("config.from", config.get("from")),
        "recipients": _recipients(config.get("recipients")),
    }


def check_config(kind: ChannelKind, config: dict | None) -> dict:
    """The clean config of a kind, or Invalid naming the field (e.g. `config.host`)."""
    if config is not None and not isinstance(config, dict):
        raise Invalid("config", "config must be an object.")
    config = config or {}
    known = {
        ChannelKind.email: {"host", "port", "tls", "user", "from", "recipients"},
        ChannelKind.slack: set(),
        ChannelKind.webhook: {"url"},
    }[kind]
    unknown = sorted(set(config) - known)
    if unknown:
        raise Invalid(f"config.{unknown[0]}", f"'{unknown[0]}' is not a setting of {kind.value}.")
    if kind is ChannelKind.email:
        return _email_config(config)
    if kind is ChannelKind.webhook:
        return {"url": _http_url("config.url", config.get("url"))}
    return {}


def merge_secrets(kind: ChannelKind, current: dict, given: dict | None) -> dict:
    """Text sets a key, null removes it, "" keeps it; required ones must end up set."""
    if given is not None and not isinstance(given, dict):
        raise Invalid("secrets", "secrets must be an object.")
    merged = dict(current)
    for key, value in (given or {}).items():
        if key not in SECRET_KEYS[kind]:
            raise Invalid(f"secrets.{key}", f"'{key}' is not a secret of {kind.value}.")
        if value is None:
            merged.pop(key, None)
        elif not isinstance(value, str):
            raise Invalid(f"secrets.{key}", "A secret is text.")
        elif value != "":
            merged[key] = value
    for key in REQUIRED_SECRETS.get(kind, ()):
        if not merged.get(key):
            raise Invalid(f"secrets.{key}", f"{_label(key)} is required.")
    if kind is ChannelKind.slack:
        _http_url("secrets.url", merged["url"])
    if kind is ChannelKind.webhook and len(merged["signing_secret"]) < MIN_SIGNING_SECRET:
        raise Invalid(
            "secrets.signing_secret",
            f"The signing secret needs at least {MIN_SIGNING_SECRET} characters.",
        )
    return merged


def _label(key: str) -> str:
    return {"url": "The webhook URL", "signing_secret": "The signing secret"}.get(key, key)


def _name(value) -> str:
    return require_text("name", value if isinstance(value, str) else None, max_length=200)


async def _require_free_name(session: AsyncSession, name: str, own_id: int | None = None):
    query = select(NotificationChannel.id).where(
        func.lower(NotificationChannel.name) == name.lower(),
        NotificationChannel.deleted_at.is_(None),
    )
    if own_id is not None:
        query = query.where(NotificationChannel.id != own_id)
    if await session.scalar(query) is not None:
        raise Invalid("name", f"A channel named '{name}' already exists.")


async def load(session: AsyncSession, channel_id: int, *, for_update=False):
    query = select(NotificationChannel).where(
        NotificationChannel.id == channel_id, NotificationChannel.deleted_at.is_(None)
    )
    channel = await session.scalar(query.with_for_update() if for_update else query)
    if channel is None:
        raise NotFound("Notification channel not found.")
    return channel


async def create(
    *,
    session: AsyncSession,
    principal: Principal,
    name: str,
    kind: str,
    config: dict | None = None,
    secrets: dict | None = None,
    enabled: bool = True,
) -> NotificationChannel:
    require(principal, "notifications.write")
    name, chosen = _name(name), _kind(kind)
    clean = check_config(chosen, config)
    stored = merge_secrets(chosen, {}, secrets)
    await _require_free_name(session, name)
    channel = NotificationChannel(
        name=name,
        kind=chosen,
        config=clean,
        secret=crypto.encrypt_json(stored) if stored else None,
        enabled=bool(enabled),
        created_by_id=principal.user_id,
    )
    session.add(channel)
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="notification_channel.create",
        resource_type="notification_channel",
        resource_id=channel.id,
        new=_audit_values(channel),
    )
    return channel


async def update(
    *, session: AsyncSession, principal: Principal, channel_id: int, **fields
) -> NotificationChannel:
    """Change name, enabled, config (merged key by key) or secrets (text sets, null removes,
    "" keeps). The kind is fixed."""
    require(principal, "notifications.write")
    unknown = sorted(set(fields) - {"name", "enabled", "config", "secrets"})
    if unknown:
        raise Invalid(unknown[0], f"'{unknown[0]}' cannot be changed on a channel.")
    channel = await load(session, channel_id, for_update=True)
    kind, old = ChannelKind(channel.kind), _audit_values(channel)
    if fields.get("name") is not None:
        channel.name = _name(fields["name"])
        await _require_free_name(session, channel.name, channel.id)
    if fields.get("enabled") is not None:
        channel.enabled = bool(fields["enabled"])
    if fields.get("config") is not None:
        if not isinstance(fields["config"], dict):
            raise Invalid("config", "config must be an object.")
        channel.config = check_config(kind, {**(channel.config or {}), **fields["config"]})
    current = secrets_of(channel)
    stored = merge_secrets(kind, current, fields.get("secrets"))
    if stored != current:
        channel.secret = crypto.encrypt_json(stored) if stored else None
    new = _audit_values(channel)
    changed = {key for key in new if new[key] != old[key]}
    if not changed and stored == current:
        return channel
    channel.updated_at = datetime.now(UTC)
    await session.flush()
    record_new = {key: new[key] for key in changed}
    if stored != current:
        record_new["fields_changed"] = sorted(
            k for k in set(stored) | set(current) if stored.get(k) != current.get(k)
        )
    await audit.record(
        session=session,
        principal=principal,
        action="notification_channel.update",
        resource_type="notification_channel",
        resource_id=channel.id,
        old={key: old[key] for key in changed},
        new=record_new,
    )
    return channel


async def get(*, session: AsyncSession, principal: Principal, channel_id: int):
    require(principal, "notifications.read")
    return await load(session, channel_id)


async def list_channels(*, session: AsyncSession, principal: Principal):
    require(principal, "notifications.read")
    query = select(NotificationChannel).where(NotificationChannel.deleted_at.is_(None))
    order = (func.lower(NotificationChannel.name), NotificationChannel.id)
    return list(await session.scalars(query.order_by(*order)))


async def delete(*, session: AsyncSession, principal: Principal, channel_id: int) -> None:
    require(principal, "notifications.write")
    channel = await load(session, channel_id, for_update=True)
    old = _audit_values(channel)
    channel.deleted_at = channel.updated_at = datetime.now(UTC)
    channel.secret, channel.enabled = None, False
    await session.execute(
        sql_delete(NotificationRule).where(NotificationRule.channel_id == channel.id)
    )
    await session.flush()
    await audit.record(
        session=session,
        principal=principal,
        action="notification_channel.delete",
        resource_type="notification_channel",
        resource_id=channel.id,
        old=old,
    )


async def send_test(*, session: AsyncSession, principal: Principal, channel_id: int):
    """Load what a test message needs; the caller sends it with `deliver_test` after the
    transaction (no database connection is held while SMTP or the webhook answers)."""
    require(principal, "notifications.write")
    channel = await load(session, channel_id)
    return ChannelKind(channel.kind).value, dict(channel.config), secrets_of(channel), channel.name


async def deliver_test(kind: str, config: dict, secret: dict, name: str) -> tuple[bool, str]:
    """Send a test message in a thread: (ok, what happened)."""
    from etlfabric.services.notification_messages import test_message

    try:
        await asyncio.to_thread(notifiers.send, kind, config, secret, test_message(name))
    except notifiers.NotifyFailed as exc:
        return False, exc.message
    where = ", ".join(config.get("recipients", [])) if kind == "email" else "the webhook"
    return True, f"Test message sent to {where}."
