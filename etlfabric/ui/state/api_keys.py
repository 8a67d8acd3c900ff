"""API keys on /settings: the table, the create dialog and revoke (/api/v1/api-keys).

The secret exists in `secret` only while the create dialog shows it; closing the dialog clears it,
and the service keeps only its hash, so it can never be shown again.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import reflex as rx

from etlfabric.db import platform_session
from etlfabric.errors import DomainError, Invalid
from etlfabric.models import ApiKey
from etlfabric.services import api_keys
from etlfabric.services.permissions import Principal, allowed
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors, when

# service field -> form input
FIELDS = {"name": "key_name", "scopes": "key_scopes", "expires_at": "key_expires"}


def key_status(key: ApiKey, now: datetime) -> str:
    if key.revoked_at is not None:
        return "Revoked"
    if key.expires_at is not None and key.expires_at <= now:
        return "Expired"
    return "Active"


def key_row(key: ApiKey, now: datetime) -> dict[str, str]:
    return {
        "id": str(key.id),
        "name": key.name,
        "prefix": key.prefix,
        "scopes": ", ".join(key.scopes),
        "expires": when(key.expires_at) or "Never",
        "last_used": when(key.last_used_at) or "Never",
        "created": when(key.created_at),
        "status": key_status(key, now),
    }


def end_of_day(value: str) -> datetime | None:
    """The form's "valid through" date as the first moment after that day (UTC)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid("expires_at", "Enter the date as YYYY-MM-DD.") from None
    return datetime.combine(day + timedelta(days=1), time.min, UTC)


class ApiKeysState(rx.State):
    # {"id", "name", "prefix", "scopes", "expires", "last_used", "created", "status"}
    rows: list[dict[str, str]] = []
    error: str = ""
    create_open: bool = False
    errors: dict[str, str] = {}
    creating: bool = False
    # The new key's secret, while the dialog shows it; "" otherwise.
    secret: str = ""
    created_name: str = ""
    # The key the revoke dialog asks about; "" when it is closed.
    revoking_id: str = ""
    revoking_label: str = ""
    revoke_error: str = ""

    async def _fetch(self, principal: Principal) -> None:
        async with platform_session() as session:
            keys = await api_keys.list_keys(session=session, principal=principal)
        now = datetime.now(UTC)
        self.rows = [key_row(key, now) for key in keys]

    def _close_create(self) -> None:
        self.create_open, self.errors, self.secret, self.created_name = False, {}, "", ""

    @rx.event
    async def load(self):
        principal = await acting_principal(self)
        if principal is None:
            return None  # require_user has sent the visitor to sign in
        self._close_create()
        self.error = self.revoking_id = self.revoking_label = self.revoke_error = ""
        self.rows = []
        if not allowed(principal, "api_keys.read"):
            return None  # the page does not show the tab to this role
        try:
            await self._fetch(principal)
        except DomainError as exc:
            self.error = exc.message
        return None

    @rx.event
    def open_create(self):
        self._close_create()
        self.create_open = True

    @rx.event
    def set_create_open(self, is_open: bool):
        """on_open_change: closing the dialog forgets the secret for good."""
        if is_open:
            self.create_open = True
        else:
            self._close_create()

    @rx.event
    async def create(self, form_data: rx.form.FormData):
        self.errors, self.creating = {}, True
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.creating = False
            yield SESSION_OVER
            return
        try:
            async with platform_session() as session:
                key, secret = await api_keys.create(
                    session=session,
                    principal=principal,
                    name=form_data.get("key_name") or "",
                    scopes=[str(scope) for scope in form_data.getlist("key_scopes")],
                    expires_at=end_of_day(str(form_data.get("key_expires") or "")),
                )
        except DomainError as exc:
            self.errors, self.creating = field_errors(exc, FIELDS), False
            if exc.field in ("name", "expires_at"):
                yield rx.set_focus(FIELDS[exc.field])
            return
        self.secret, self.created_name, self.creating = secret, key.name, False
        await self._fetch(principal)

    @rx.event
    def ask_revoke(self, key_id: str, label: str):
        self.revoking_id, self.revoking_label, self.revoke_error = key_id, label, ""

    @rx.event
    def set_revoke_open(self, is_open: bool):
        if not is_open:
            self.revoking_id = self.revoking_label = self.revoke_error = ""

    @rx.event
    async def revoke(self):
        if not self.revoking_id:
            return None
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with platform_session() as session:
                await api_keys.revoke(
                    session=session, principal=principal, key_id=int(self.revoking_id)
                )
        except DomainError as exc:
            self.revoke_error = exc.message
            return None
        revoked = self.revoking_label
        self.revoking_id = self.revoking_label = self.revoke_error = ""
        await self._fetch(principal)
        return rx.toast.success(f"API key {revoked} was revoked; it no longer works.")
