"""Organisations, members and invitations."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from etlfabric.api.deps import Id, bearer, client_ip, current_principal
from etlfabric.api.v1.accounts import org_out
from etlfabric.api.v1.schemas import (
    AcceptIn,
    InvitationIn,
    InvitationOut,
    MemberOut,
    OrgCreate,
    OrgOut,
    OrgPatch,
    RoleIn,
    TokenOut,
)
from etlfabric.db import platform_session
from etlfabric.errors import PermissionDenied, Unauthenticated
from etlfabric.models import Invitation
from etlfabric.services import auth, invitations, members, organizations, users
from etlfabric.services.permissions import Principal, require

router = APIRouter(tags=["organisations"])


@router.get("/orgs", response_model=list[OrgOut])
async def my_orgs(principal: Principal = Depends(current_principal)) -> list[OrgOut]:
    if principal.user_id is None:
        async with platform_session() as session:
            org = await organizations.get_organization(session=session, org_id=principal.org_id)
        return [org_out(org, principal.role.value)]
    async with platform_session() as session:
        rows = await users.memberships_of(session=session, user_id=principal.user_id)
    return [org_out(org, role) for org, role in rows]


@router.post("/orgs", status_code=201, response_model=OrgOut)
async def create_org(
    body: OrgCreate, request: Request, principal: Principal = Depends(current_principal)
) -> OrgOut:
    if principal.user_id is None:
        raise PermissionDenied("Organisations are created by people, not API keys.")
    async with platform_session() as session:
        owner = await session.get(users.User, principal.user_id)
        org = await organizations.create_organization(
            session=session, name=body.name, timezone=body.timezone, owner=owner
        )
        await organizations.record_created(
            session=session, org=org, owner=owner, ip=client_ip(request)
        )
    return org_out(org, "owner")


@router.post("/orgs/{org_id}/switch", response_model=TokenOut)
async def switch(
    org_id: Id, request: Request, principal: Principal = Depends(current_principal)
) -> TokenOut:
    pair = await auth.switch_org(principal=principal, org_id=org_id, ip=client_ip(request))
    return TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token)


@router.get("/org", response_model=OrgOut)
async def current_org(principal: Principal = Depends(current_principal)) -> OrgOut:
    require(principal, "org.read")
    async with platform_session() as session:
        org = await organizations.get_organization(session=session, org_id=principal.org_id)
    return org_out(org, principal.role.value)


@router.patch("/org", response_model=OrgOut)
async def update_org(body: OrgPatch, principal: Principal = Depends(current_principal)) -> OrgOut:
    async with platform_session() as session:
        org = await organizations.update_organization(
            session=session, principal=principal, name=body.name, timezone=body.timezone
        )
    return org_out(org, principal.role.value)


@router.get("/members", response_model=list[MemberOut])
async def list_members(principal: Principal = Depends(current_principal)) -> list[MemberOut]:
    async with platform_session() as session:
        rows = await members.list_members(session=session, principal=principal)
    return [
        MemberOut(
            user_id=m.user_id, email=m.email, name=m.name, role=m.role.value, joined_at=m.joined_at
        )
        for m in rows
    ]


@router.patch("/members/{user_id}", response_model=MemberOut)
async def change_role(
    user_id: Id, body: RoleIn, principal: Principal = Depends(current_principal)
) -> MemberOut:
    async with platform_session() as session:
        await members.change_role(
            session=session, principal=principal, user_id=user_id, role=body.role
        )
        rows = await members.list_members(session=session, principal=principal)
    member = next(m for m in rows if m.user_id == user_id)
    return MemberOut(
        user_id=member.user_id,
        email=member.email,
        name=member.name,
        role=member.role.value,
        joined_at=member.joined_at,
    )


@router.delete("/members/{user_id}", status_code=204)
async def remove_member(user_id: Id, principal: Principal = Depends(current_principal)):
    async with platform_session() as session:
        await members.remove_member(session=session, principal=principal, user_id=user_id)
    return Response(status_code=204)


def invitation_out(invitation: Invitation, **extra) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role.value,
        expires_at=invitation.expires_at,
        **extra,
    )


@router.get("/invitations", response_model=list[InvitationOut])
async def pending(principal: Principal = Depends(current_principal)) -> list[InvitationOut]:
    async with platform_session() as session:
        rows = await invitations.pending(session=session, principal=principal)
    return [invitation_out(row) for row in rows]


@router.post("/invitations", status_code=201, response_model=InvitationOut)
async def invite(
    body: InvitationIn, principal: Principal = Depends(current_principal)
) -> InvitationOut:
    new = await invitations.invite_and_notify(principal=principal, email=body.email, role=body.role)
    return invitation_out(
        new.invitation, token=new.token, accept_url=new.accept_url, emailed=new.emailed
    )


@router.delete("/invitations/{invitation_id}", status_code=204)
async def revoke_invitation(invitation_id: Id, principal: Principal = Depends(current_principal)):
    async with platform_session() as session:
        await invitations.revoke(session=session, principal=principal, invitation_id=invitation_id)
    return Response(status_code=204)


@router.get("/invitations/{token}")
async def describe_invitation(token: str) -> dict:
    return await invitations.describe(token=token)


@router.post("/invitations/{token}/accept", response_model=TokenOut)
async def accept(
    token: str,
    body: AcceptIn,
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> TokenOut:
    signed_in = None
    if credentials is not None:
        try:
            signed_in = (await auth.principal_from_bearer(credentials.credentials)).user_id
        except Unauthenticated:
            signed_in = None
    pair, _ = await invitations.accept(
        token=token,
        password=body.password,
        name=body.name,
        signed_in_user_id=signed_in,
        ip=client_ip(request),
    )
    return TokenOut(access_token=pair.access_token, refresh_token=pair.refresh_token)
