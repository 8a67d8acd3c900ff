"""Invitations on /settings: the invite dialog and the pending list (/api/v1/invitations)."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import platform_session
from etlfabric.errors import DomainError
from etlfabric.services import invitations
from etlfabric.services.permissions import Principal
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors, when

# service field -> form input
FIELDS = {"email": "invite_email", "role": "invite_role"}


class InvitationsState(rx.State):
    # {"id", "email", "role", "expires"}
    pending: list[dict[str, str]] = []
    error: str = ""
    dialog_open: bool = False
    errors: dict[str, str] = {}
    inviting: bool = False
    # After inviting: the accept link to pass on (no SMTP), or the address it was e-mailed to.
    link: str = ""
    emailed_to: str = ""

    async def _fetch(self, principal: Principal) -> None:
        async with platform_session() as session:
            rows = await invitations.pending(session=session, principal=principal)
        self.pending = [
            {
                "id": str(row.id),
                "email": row.email,
                "role": row.role.value,
                "expires": when(row.expires_at),
            }
            for row in rows
        ]

    def _close(self) -> None:
        self.dialog_open, self.errors, self.link, self.emailed_to = False, {}, "", ""

    @rx.event
    async def load(self):
        principal = await acting_principal(self)
        if principal is None:
            return None  # require_user has sent the visitor to sign in
        self._close()
        self.error = ""
        try:
            await self._fetch(principal)
        except DomainError as exc:
            self.pending, self.error = [], exc.message
        return None

    @rx.event
    def open_dialog(self):
        self._close()
        self.dialog_open = True

    @rx.event
    def set_dialog_open(self, is_open: bool):
        """on_open_change: closing forgets the link, so it is shown only once."""
        if is_open:
            self.dialog_open = True
        else:
            self._close()

    @rx.event
    async def invite(self, form_data: dict[str, str]):
        self.errors, self.inviting = {}, True
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.inviting = False
            yield SESSION_OVER
            return
        try:
            new = await invitations.invite_and_notify(
                principal=principal,
                email=form_data.get("invite_email") or "",
                role=form_data.get("invite_role") or "",
            )
        except DomainError as exc:
            self.errors, self.inviting = field_errors(exc, FIELDS), False
            if exc.field in FIELDS:
                yield rx.set_focus(FIELDS[exc.field])
            return
        if new.emailed:
            self.emailed_to = new.invitation.email
        else:
            self.link = new.accept_url
        self.inviting = False
        await self._fetch(principal)

    @rx.event
    async def revoke(self, invitation_id: str):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        self.error = ""
        try:
            async with platform_session() as session:
                await invitations.revoke(
                    session=session, principal=principal, invitation_id=int(invitation_id)
                )
            await self._fetch(principal)
        except DomainError as exc:
            self.error = exc.message
        return None
