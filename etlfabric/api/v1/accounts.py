"""Sign-up, sign-in, tokens, and the caller's own profile."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from etlfabric.api.deps import client_ip, current_principal
from etlfabric.api.v1.schemas import (
    LoginIn,
    MeOut,
    MePatch,
    OrgOut,
    RefreshIn,
    SignupIn,
    SignupOut,
    TokenOut,
    UserOut,
)
from etlfabric.db import platform_session
from etlfabric.models import Organization, User
from etlfabric.services import auth, users
from etlfabric.services.permissions import Principal

router = APIRouter(tags=["accounts"])


def user_out(user: User) -> UserOut:
    return UserOut(id=user.id, email=user.email, name=user.name, theme=user.theme)


def org_out(org: Organization, role: str | None = None) -> OrgOut:
    return OrgOut(id=org.id, name=org.name, slug=org.slug, timezone=org.timezone, role=role)


@router.post("/auth/signup", status_code=201, response_model=SignupOut)
async def signup(body: SignupIn, request: Request) -> SignupOut:
    result = await auth.signup(
        email=body.email,
        password=body.password,
        name=body.name,
        org_name=body.org_name,
        ip=client_ip(request),
    )
    return SignupOut(
        user=user_out(result.user),
        org=org_out(result.org, "owner"),
        access_token=result.tokens.access_token,
        refresh_token=result.tokens.refresh_token,
    )


@router.post("/auth/login", response_model=TokenOut)
async def login(body: LoginIn, request: Request) -> TokenOut:
    pair = await auth.login(email=body.email, password=body.password, ip=client_ip(request))
    return TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token)


@router.post("/auth/refresh", response_model=TokenOut)
async def refresh(body: RefreshIn, request: Request) -> TokenOut:
    pair = await auth.refresh(refresh_token=body.refresh_token, ip=client_ip(request))
    return TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token)


@router.post("/auth/logout", status_code=204)
async def logout(body: RefreshIn) -> Response:
    await auth.logout(refresh_token=body.refresh_token)
    return Response(status_code=204)


async def _me(principal: Principal) -> MeOut:
    async with platform_session() as session:
        org = await session.get(Organization, principal.org_id)
        user = await session.get(User, principal.user_id) if principal.user_id else None
    return MeOut(
        user=user_out(user) if user else None,
        org=org_out(org, principal.role.value),
        role=principal.role.value,
        api_key=principal.is_api_key,
    )


@router.get("/me", response_model=MeOut)
async def me(principal: Principal = Depends(current_principal)) -> MeOut:
    return await _me(principal)


@router.patch("/me", response_model=MeOut)
async def update_me(body: MePatch, principal: Principal = Depends(current_principal)) -> MeOut:
    if principal.user_id is None:
        raise auth.PermissionDenied("An API key has no profile.")
    async with platform_session() as session:
        await users.update_profile(
            session=session, user_id=principal.user_id, name=body.name, theme=body.theme
        )
    return await _me(principal)
