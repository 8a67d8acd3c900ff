"""Request and response bodies of the connections and files API.

`credentials` are accepted on write and never returned: responses carry `credentials_set` (per
key, set or not). Config fields are checked by the service per type (errors name the field, e.g.
`config.host`), so these models only describe shapes.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ConnectionIn(BaseModel):
    name: str
    type: str = Field(
        description="postgres, mysql, mssql, oracle, sqlite, rest_api, odata or files "
        "(mssql and oracle have not been exercised against a real server)."
    )
    direction: str | None = Field(default=None, description="source, destination or both.")
    config: dict = Field(default_factory=dict)
    credentials: dict[str, str | None] | None = Field(default=None, description="Write-only.")


class ConnectionPatch(BaseModel):
    """Only the fields sent change. `config` is merged key by key (null resets a key);
    `credentials`: text sets a key, null removes it, "" keeps it."""

    name: str | None = None
    direction: str | None = None
    config: dict | None = None
    credentials: dict[str, str | None] | None = Field(default=None, description="Write-only.")


class ConnectionOut(BaseModel):
    id: int
    name: str
    type: str
    direction: str
    config: dict
    is_managed: bool
    credentials_set: dict[str, bool]
    created_at: datetime
    updated_at: datetime


class TestOut(BaseModel):
    __test__ = False

    ok: bool
    message: str
    latency_ms: int


class FileOut(BaseModel):
    name: str
    size: int
    modified_at: datetime
