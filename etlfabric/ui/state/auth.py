"""Who is signed in, shared by every page.

The access and refresh tokens live in backend-only vars (leading underscore): the browser never
receives them. Reflex keeps this state in Redis under the tab's client token, so a reload keeps the
session until the refresh token expires or is revoked. Pages guard themselves with
`on_load=AuthState.require_user`; event handlers that act get the caller with `await
self.principal()` (refreshing an expired access token on the way) and pass it to the services,
which check the role and organisation themselves.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

import reflex as rx

from etlfabric.db import platform_session
from etlfabric.errors import DomainError, Unauthenticated
from etlfabric.models import Organization, User
from etlfabric.services import auth, users
from etlfabric.services.permissions import PERMISSIONS, Principal, allowed
from etlfabric.services.tokens import TokenPair

logger = logging.getLogger(__name__)

SIGN_IN_ROUTE = "/sign-in"
SIGN_UP_ROUTE = "/sign-up"
HOME_ROUTE = "/"


def sign_in_for(path: str, query: str = "") -> str:
    """The sign-in address that brings the user back to `path` (and its query) afterwards."""
    target = (path.rstrip("/") or "/") + (f"?{query}" if query else "")
    if safe_next(target) == HOME_ROUTE:
        return SIGN_IN_ROUTE
    return f"{SIGN_IN_ROUTE}?next={quote(target, safe='/')}"


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path of this app only (never another site, such as
    `//evil.example` or `/\\evil.example`), never back to the sign-in pages; else the dashboard."""
    value = (value or "").strip()
    elsewhere = value.startswith("//") or "\\" in value or any(ord(ch) < 32 for ch in value)
    if not value.startswith("/") or elsewhere:
        return HOME_ROUTE
    if value.split("?")[0].rstrip("/") in (SIGN_IN_ROUTE, SIGN_UP_ROUTE):
        return HOME_ROUTE
    return value


def client_ip(router) -> str | None:
    """The browser's address as the event socket saw it (throttling and audit use it)."""
    return router.session.client_ip or None


class AuthState(rx.State):
    _access_token: str = ""
    _refresh_token: str = ""
    user_id: int = 0
    user_name: str = ""
    user_email: str = ""
    theme: str = "light"
    org_id: int = 0
    org_name: str = ""
    role: str = ""
    # [{"id": "3", "name": "Acme", "role": "owner"}, ...]: the switcher's choices
    orgs: list[dict[str, str]] = []
    # The actions of permissions.PERMISSIONS this role may do: pages hide what it may not.
    allowed_actions: list[str] = []
    # Platform administrators see the system health page (host data of every organisation).
    platform_admin: bool = False

    @rx.var
    def signed_in(self) -> bool:
        return self.user_id != 0

    @rx.var
    def org_key(self) -> str:
        """The organisation switcher's value: select values are strings."""
        return str(self.org_id) if self.org_id else ""

    @rx.var
    def user_initials(self) -> str:
        words = (self.user_name or self.user_email).replace("@", " ").split()
        return "".join(word[0] for word in words[:2]).upper() or "?"

    async def principal(self) -> Principal:
        """The caller, from the access token; an expired one is refreshed once.

        Raises Unauthenticated when the session is over (signed out elsewhere, removed from the
        organisation, refresh token expired): the caller then sends the user to sign in.
        """
        if not self._access_token:
            raise Unauthenticated("Sign in to continue.")
        try:
            return await auth.principal_from_bearer(self._access_token, ip=client_ip(self.router))
        except Unauthenticated:
            pass
        try:
            pair = await auth.refresh(refresh_token=self._refresh_token, ip=client_ip(self.router))
        except Unauthenticated:
            self._forget()
            raise
        self._access_token, self._refresh_token = pair.access_token, pair.refresh_token
        principal = await auth.principal_from_bearer(pair.access_token)
        await self._load(principal)  # the role may have changed since the last token
        return principal

    async def adopt(self, pair: TokenPair) -> None:
        """Sign in with a fresh token pair (sign-in, sign-up, invitation accept, org switch)."""
        self._access_token, self._refresh_token = pair.access_token, pair.refresh_token
        await self._load(await auth.principal_from_bearer(pair.access_token))

    async def _load(self, principal: Principal) -> None:
        async with platform_session() as session:
            user = await session.get(User, principal.user_id)
            org = await session.get(Organization, principal.org_id)
            memberships = await users.memberships_of(session=session, user_id=principal.user_id)
        self.user_id, self.user_name, self.user_email = user.id, user.name or "", user.email
        self.theme = user.theme or "light"
        self.platform_admin = bool(user.is_platform_admin)
        self.org_id, self.org_name, self.role = org.id, org.name, principal.role.value
        self.orgs = [{"id": str(o.id), "name": o.name, "role": role} for o, role in memberships]
        self.allowed_actions = [action for action in PERMISSIONS if allowed(principal, action)]

    def _forget(self) -> None:
        self.reset()

    @rx.event
    async def require_user(self):
        """on_load guard of every page behind sign-in; also refreshes role and organisations."""
        try:
            principal = await self.principal()
        except Unauthenticated:
            self._forget()
            url = self.router.url
            return rx.redirect(sign_in_for(url.path, url.query), replace=True)
        await self._load(principal)

    @rx.event
    def leave_sign_in_page(self):
        """on_load of /sign-in and /sign-up: someone already signed in goes straight to the app."""
        if self._access_token:
            return rx.redirect(self.next_route(), replace=True)

    def next_route(self) -> str:
        """Where the sign-in (or sign-up) page sends the user: its `next`, checked."""
        return safe_next(self.router.url.query_parameters.get("next"))

    @rx.event
    async def switch_org(self, org_id: str):
        try:
            principal = await self.principal()
            await self.adopt(await auth.switch_org(principal=principal, org_id=int(org_id)))
        except Unauthenticated:
            return rx.redirect(SIGN_IN_ROUTE, replace=True)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.redirect(HOME_ROUTE, replace=True)

    @rx.event
    async def toggle_theme(self):
        self.theme = "dark" if self.theme == "light" else "light"
        if self.user_id:
            async with platform_session() as session:
                await users.update_profile(session=session, user_id=self.user_id, theme=self.theme)

    @rx.event
    async def sign_out(self):
        if self._refresh_token:
            try:
                await auth.logout(refresh_token=self._refresh_token)
            except Exception:  # the local session ends regardless
                logger.exception("sign-out could not revoke the refresh token")
        self._forget()
        return rx.redirect(SIGN_IN_ROUTE, replace=True)
