"""The organisation profile on /settings: name and default time zone (PATCH /api/v1/org)."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import platform_session
from etlfabric.errors import DomainError
from etlfabric.services import organizations
from etlfabric.services.permissions import require
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal, field_errors
from etlfabric.ui.state.auth import AuthState

# service field -> form input
FIELDS = {"name": "org_name", "timezone": "org_timezone"}


class OrgProfileState(rx.State):
    name: str = ""
    timezone: str = ""
    errors: dict[str, str] = {}
    saved: bool = False
    saving: bool = False

    @rx.event
    async def load(self):
        principal = await acting_principal(self)
        if principal is None:
            return None  # require_user has sent the visitor to sign in
        self.errors, self.saved = {}, False
        try:
            require(principal, "org.read")
            async with platform_session() as session:
                org = await organizations.get_organization(session=session, org_id=principal.org_id)
        except DomainError as exc:
            self.errors = {"": exc.message}
            return None
        self.name, self.timezone = org.name, org.timezone
        return None

    @rx.event
    async def save(self, form_data: dict[str, str]):
        self.errors, self.saved, self.saving = {}, False, True
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.saving = False
            yield SESSION_OVER
            return
        try:
            async with platform_session() as session:
                org = await organizations.update_organization(
                    session=session,
                    principal=principal,
                    name=form_data.get("org_name") or "",
                    timezone=(form_data.get("org_timezone") or "").strip(),
                )
        except DomainError as exc:
            self.errors, self.saving = field_errors(exc, FIELDS), False
            if exc.field in FIELDS:
                yield rx.set_focus(FIELDS[exc.field])
            return
        self.name, self.timezone = org.name, org.timezone
        self.saved, self.saving = True, False
        yield AuthState.require_user  # the header shows the new name
