"""What the settings states share: who is acting, and how service errors reach the form.

Every handler asks AuthState for the principal and passes it to the service, which checks the
role itself; the page only hides what the role may not do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

import reflex as rx
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, Unauthenticated
from etlfabric.services.permissions import Principal
from etlfabric.ui.state.auth import AuthState

# Returned when the session is over: AuthState forgets it and sends the user to sign in.
SESSION_OVER = AuthState.require_user
T = TypeVar("T")


async def acting_principal(state: rx.State) -> Principal | None:
    """The signed-in caller, or None when the session is over (then return SESSION_OVER)."""
    auth_state = await state.get_state(AuthState)
    if not auth_state.signed_in:
        return None
    try:
        return await auth_state.principal()
    except Unauthenticated:
        return None


async def read_in_tenant(
    state: rx.State, read: Callable[[AsyncSession, Principal], Awaitable[T]], *, empty: T
) -> T | None:
    """What `read(session, principal)` returns in the acting principal's tenant, with
    `state.error` cleared; on the service's refusal `empty`, the refusal in `state.error`.
    None when the session is over (then return SESSION_OVER)."""
    principal = await acting_principal(state)
    if principal is None:
        return None
    try:
        async with tenant_session(principal.org_id) as session:
            found = await read(session, principal)
    except DomainError as exc:
        state.error = exc.message
        return empty
    state.error = ""
    return found


async def delete_then_leave(state: rx.State, delete, *, back: str, done: str, **target):
    """The events of a page's Delete button: the service's `delete(**target)` as the acting
    principal, then back to the list with `done`, or the service's refusal as a toast."""
    principal = await acting_principal(state)
    if principal is None:
        return SESSION_OVER
    try:
        async with tenant_session(principal.org_id) as session:
            await delete(session=session, principal=principal, **target)
    except DomainError as exc:
        return rx.toast.error(exc.message)
    return [rx.redirect(back), rx.toast.success(done)]


def field_errors(exc: DomainError, fields: dict[str, str]) -> dict[str, str]:
    """{form field: message}; `fields` maps the service's field names to the form's input names.

    An error that names no field of this form is kept under "" and shown above the buttons.
    """
    return {fields.get(exc.field or "", ""): exc.message}


def when(moment: datetime | None) -> str:
    """A timestamp as the tables show it: `2025-03-01 14:05 UTC`, or "" for none."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else ""
