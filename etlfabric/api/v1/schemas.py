"""Request and response bodies of the accounts API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    theme: str = "light"


class OrgOut(BaseModel):
    id: int
    name: str
    slug: str
    timezone: str
    role: str | None = None


class SignupIn(BaseModel):
    email: str
    password: str
    name: str
    org_name: str


class SignupOut(TokenOut):
    user: UserOut
    org: OrgOut


class LoginIn(BaseModel):
    email: str
    password: str


class RefreshIn(BaseModel):
    refresh_token: str


class MeOut(BaseModel):
    user: UserOut | None
    org: OrgOut
    role: str
    api_key: bool = False


class MePatch(BaseModel):
    name: str | None = None
    theme: str | None = None


class OrgCreate(BaseModel):
    name: str
    timezone: str = "UTC"


class OrgPatch(BaseModel):
    name: str | None = None
    timezone: str | None = None


class MemberOut(BaseModel):
    user_id: int
    email: str
    name: str
    role: str
    joined_at: datetime


class RoleIn(BaseModel):
    role: str


class InvitationIn(BaseModel):
    email: str
    role: str = "editor"


class InvitationOut(BaseModel):
    id: int
    email: str
    role: str
    expires_at: datetime
    token: str | None = None
    accept_url: str | None = None
    emailed: bool | None = None


class AcceptIn(BaseModel):
    password: str = ""
    name: str | None = None


class ApiKeyIn(BaseModel):
    name: str
    scopes: list[str] = Field(default_factory=lambda: ["read"])
    expires_at: datetime | None = None


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(BaseModel):
    id: int
    prefix: str
    secret: str
    name: str
    scopes: list[str]


class AuditOut(BaseModel):
    id: int
    actor_user_id: int | None
    actor_label: str
    action: str
    resource_type: str
    resource_id: str | None
    old_values: dict | None
    new_values: dict | None
    ip: str | None
    created_at: datetime


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    page: int
    page_size: int


# The 200 answer of an export: a file, CSV or XLSX as asked.
EXPORT_RESPONSES = {
    200: {
        "description": "The file (Content-Disposition: attachment)",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    }
}
