"""/invite/<token>: what the invitation offers, and accepting it (as the REST accept does).

The token stays in a backend-only var; the browser has it in its address bar anyway, but no
state the page receives repeats it.
"""

from __future__ import annotations

import logging

import reflex as rx

from etlfabric.errors import DomainError, NotFound, Unauthenticated
from etlfabric.services import invitations
from etlfabric.ui.state.auth import HOME_ROUTE, AuthState, client_ip

logger = logging.getLogger(__name__)

FIELDS = ("name", "password")
UNAVAILABLE = "The invitation cannot be accepted right now. Try again in a minute."


class InviteAcceptState(rx.State):
    _token: str = ""
    # "loading" until the invitation is read, then "ready" or "invalid"
    status: str = "loading"
    invalid_reason: str = ""
    org_name: str = ""
    role: str = ""
    email: str = ""
    has_account: bool = False
    # Signed in as the invited account: one click accepts, no password needed.
    signed_in_as_invitee: bool = False
    errors: dict[str, str] = {}
    submitting: bool = False

    def _token_from_url(self) -> str:
        return self.router.url.path.rstrip("/").rsplit("/", 1)[-1]

    async def _signed_in_user_id(self) -> int | None:
        """The signed-in account's id, if a session is alive (a stale one counts as none)."""
        auth_state = await self.get_state(AuthState)
        if not auth_state.signed_in:
            return None
        try:
            return (await auth_state.principal()).user_id
        except Unauthenticated:
            return None

    @rx.event
    async def load(self):
        self._token, self.status = self._token_from_url(), "loading"
        self.errors, self.submitting, self.signed_in_as_invitee = {}, False, False
        try:
            offer = await invitations.describe(token=self._token)
        except NotFound as exc:
            self.status, self.invalid_reason = "invalid", exc.message
            return
        self.org_name, self.role, self.email = offer["org_name"], offer["role"], offer["email"]
        self.has_account = offer["has_account"]
        auth_state = await self.get_state(AuthState)
        me = await self._signed_in_user_id()
        self.signed_in_as_invitee = me is not None and auth_state.user_email == self.email
        self.status = "ready"

    @rx.event
    async def accept(self, form_data: dict[str, str]):
        self.errors, self.submitting = {}, True
        yield
        signed_in = await self._signed_in_user_id() if self.signed_in_as_invitee else None
        try:
            pair, _ = await invitations.accept(
                token=self._token,
                password=form_data.get("password") or "",
                name=(form_data.get("name") or "").strip() or None,
                signed_in_user_id=signed_in,
                ip=client_ip(self.router),
            )
            await (await self.get_state(AuthState)).adopt(pair)
        except NotFound as exc:  # used, revoked or expired since the page opened
            self.status, self.invalid_reason, self.submitting = "invalid", exc.message, False
            return
        except DomainError as exc:
            field = exc.field if exc.field in FIELDS else ""
            if isinstance(exc, Unauthenticated):
                field = "password"  # a wrong password for the existing account
            self.errors, self.submitting = {field: exc.message}, False
            if field:
                yield rx.set_focus(field)
            return
        except Exception:
            logger.exception("accepting an invitation failed unexpectedly")
            self.errors, self.submitting = {"": UNAVAILABLE}, False
            return
        self.submitting = False
        yield rx.redirect(HOME_ROUTE, replace=True)
