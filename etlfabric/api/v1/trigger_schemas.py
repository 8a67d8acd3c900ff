"""Request and response bodies of the URL triggers API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class TriggerTokenIn(BaseModel):
    target: str = Field(description="What the token starts: <kind>:<id>, e.g. script:12")
    name: str = Field(description="What calls it, e.g. “CRM webhook”")
    allowed_ips: list[str] = Field(
        default_factory=list, description="IPs or CIDR ranges; empty: any address"
    )
    rate_per_minute: int = Field(60, description="Calls per minute before 429 (1–10000)")


class TriggerTokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    target: str
    allowed_ips: list[str]
    rate_per_minute: int
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TriggerTokenCreated(TriggerTokenOut):
    secret: str = Field(description="The token; shown this once, never again")
    url: str
    curl: str


class TriggeredRunOut(BaseModel):
    run_id: int
    status: str
    status_url: str = Field(description="GET it with an API key or access token")
    exit_code: int | None = None
    error: str | None = None
    finished_at: datetime | None = None
