"""The members table on /settings: roles and removal (/api/v1/members)."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import platform_session
from etlfabric.errors import DomainError
from etlfabric.services import members
from etlfabric.services.permissions import Principal
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, when
from etlfabric.ui.state.auth import AuthState


def member_row(member: members.Member, me: int | None) -> dict[str, str]:
    return {
        "user_id": str(member.user_id),
        "name": member.name,
        "email": member.email,
        "role": member.role.value,
        "joined": when(member.joined_at),
        "me": "yes" if member.user_id == me else "",
    }


class MembersState(rx.State):
    # {"user_id", "name", "email", "role", "joined", "me"}; "me" is "yes" on the caller's row
    rows: list[dict[str, str]] = []
    # The last failed role change: which row, and why (shown next to that row's selector).
    error_user_id: str = ""
    error: str = ""
    # The member the confirm dialog asks about; "" when it is closed.
    removing_user_id: str = ""
    removing_label: str = ""
    remove_error: str = ""

    @rx.var
    def table_error(self) -> str:
        """An error that is not about one row's role (e.g. the list could not be read)."""
        return "" if self.error_user_id else self.error

    async def _fetch(self, principal: Principal) -> None:
        async with platform_session() as session:
            found = await members.list_members(session=session, principal=principal)
        self.rows = [member_row(m, principal.user_id) for m in found]

    @rx.event
    async def load(self):
        principal = await acting_principal(self)
        if principal is None:
            return None  # require_user has sent the visitor to sign in
        self.error_user_id = self.error = ""
        self.removing_user_id = self.removing_label = self.remove_error = ""
        try:
            await self._fetch(principal)
        except DomainError as exc:
            self.rows, self.error = [], exc.message
        return None

    @rx.event
    async def change_role(self, user_id: str, role: str):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        self.error_user_id = self.error = ""
        try:
            async with platform_session() as session:
                await members.change_role(
                    session=session, principal=principal, user_id=int(user_id), role=role
                )
        except DomainError as exc:
            self.error_user_id, self.error = user_id, exc.message
        try:
            await self._fetch(principal)  # also puts a refused selector back on the real role
        except DomainError as exc:
            self.error = exc.message
        if not self.error and int(user_id) == principal.user_id:
            return AuthState.require_user  # my own role changed: hide what it no longer allows
        return None

    @rx.event
    def ask_remove(self, user_id: str, label: str):
        self.removing_user_id, self.removing_label, self.remove_error = user_id, label, ""

    @rx.event
    def set_remove_open(self, is_open: bool):
        """The confirm dialog's on_open_change: Escape, Cancel and a click outside close it."""
        if not is_open:
            self.removing_user_id = self.removing_label = self.remove_error = ""

    @rx.event
    async def remove(self):
        if not self.removing_user_id:
            return None
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with platform_session() as session:
                await members.remove_member(
                    session=session, principal=principal, user_id=int(self.removing_user_id)
                )
        except DomainError as exc:
            self.remove_error = exc.message
            return None
        removed = self.removing_label
        self.removing_user_id = self.removing_label = self.remove_error = ""
        await self._fetch(principal)
        return rx.toast.success(f"{removed} was removed from the organisation.")
