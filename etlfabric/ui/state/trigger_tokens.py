"""The "URL triggers" panel of the script editor, the pipeline page and the transformation
editor (/api/v1/triggers).

The panel's target comes from the address (/scripts/12 → script:12, /transformations/3 →
transformation:3). A new token's secret lives in `secret` only while the create dialog shows it;
closing the dialog clears it, and the service keeps only its hash, so it can never be shown again.
"""

from __future__ import annotations

import re

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, Invalid
from etlfabric.models import TriggerToken
from etlfabric.services import targets, trigger_tokens, url_triggers
from etlfabric.services.permissions import allowed
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors, when

# service field -> form input
FIELDS = {"name": "trigger_name", "allowed_ips": "trigger_ips", "rate_per_minute": "trigger_rate"}
# page path -> target kind
PATHS = {"scripts": "script", "pipelines": "pipeline", "transformations": "transformation"}


def target_of(path: str) -> str:
    """ "script:12" for /scripts/12 (and /pipelines/7 → pipeline:7); "" elsewhere."""
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] in PATHS and parts[1].isdigit():
        return f"{PATHS[parts[0]]}:{parts[1]}"
    return ""


def rate_value(raw) -> int:
    text = str(raw or "").strip()
    if not text.isdigit():
        raise Invalid("rate_per_minute", "Enter the calls per minute as a whole number.")
    return int(text)


def token_row(token: TriggerToken) -> dict[str, str]:
    return {
        "id": str(token.id),
        "name": token.name,
        "prefix": token.prefix,
        "created": when(token.created_at),
        "last_used": when(token.last_used_at) or "Never",
        "allowlist": ", ".join(token.allowed_ips or []) or "Any address",
        "rate": f"{token.rate_per_minute}/min",
        "status": "Revoked" if token.revoked_at else "Active",
    }


class TriggerTokensState(rx.State):
    target: str = ""
    # {"id", "name", "prefix", "created", "last_used", "allowlist", "rate", "status"}
    rows: list[dict[str, str]] = []
    error: str = ""
    create_open: bool = False
    errors: dict[str, str] = {}
    creating: bool = False
    # The new token, its URL and a curl example, while the dialog shows them; "" otherwise.
    secret: str = ""
    url: str = ""
    curl: str = ""
    created_name: str = ""

    def _close_create(self) -> None:
        self.create_open, self.errors, self.creating = False, {}, False
        self.secret = self.url = self.curl = self.created_name = ""

    async def _fetch(self, principal) -> None:
        async with tenant_session(principal.org_id) as session:
            tokens = await trigger_tokens.list_tokens(
                session=session, principal=principal, target=targets.parse(self.target)
            )
        self.rows = [token_row(token) for token in tokens]

    @rx.event
    async def load(self):
        self._close_create()
        self.rows, self.error = [], ""
        self.target = target_of(self.router.url.path)
        principal = await acting_principal(self)
        if principal is None or not self.target or not allowed(principal, "runs.start"):
            return None  # the panel is not shown to roles that may not run
        try:
            await self._fetch(principal)
        except DomainError as exc:
            self.error = exc.message
        return None

    @rx.event
    def set_create_open(self, is_open: bool):
        """on_open_change: closing the dialog forgets the secret for good."""
        self._close_create()
        self.create_open = is_open

    @rx.event
    async def create(self, form_data: rx.form.FormData):
        self.errors, self.creating = {}, True
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.creating = False
            yield SESSION_OVER
            return
        ips = re.split(r"[\s,]+", str(form_data.get("trigger_ips") or ""))
        try:
            async with tenant_session(principal.org_id) as session:
                token, secret = await trigger_tokens.create(
                    session=session,
                    principal=principal,
                    target=targets.parse(self.target),
                    name=str(form_data.get("trigger_name") or ""),
                    allowed_ips=ips,
                    rate_per_minute=rate_value(form_data.get("trigger_rate")),
                )
        except DomainError as exc:
            self.errors, self.creating = field_errors(exc, FIELDS), False
            if exc.field in FIELDS:
                yield rx.set_focus(FIELDS[exc.field])
            return
        self.secret, self.created_name, self.creating = secret, token.name, False
        self.url, self.curl = url_triggers.hook_url(secret), url_triggers.curl_example(secret)
        await self._fetch(principal)

    @rx.event
    async def revoke(self, token_id: str, name: str):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                await trigger_tokens.revoke(
                    session=session, principal=principal, token_id=int(token_id)
                )
            await self._fetch(principal)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.toast.success(f"URL trigger {name} was revoked; calls to it now answer 404.")
