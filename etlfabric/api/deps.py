"""Request-level dependencies: who is calling, from where."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi import Path as FastPath
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field

from etlfabric.config import get_settings
from etlfabric.services import addresses, auth
from etlfabric.services.permissions import Principal

bearer = HTTPBearer(auto_error=False, description="JWT access token or API key (etf_...)")


def client_ip(request: Request) -> str | None:
    """The caller's IP: the TCP peer, or the client a trusted proxy forwarded (TRUSTED_PROXIES)."""
    peer = request.client.host if request.client else None
    trusted = get_settings().trusted_proxy_list()
    return addresses.client_address(peer, request.headers.get("x-forwarded-for"), trusted)


async def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    token = credentials.credentials if credentials else ""
    return await auth.principal_from_bearer(token, ip=client_ip(request))


# Ids are PostgreSQL bigints: a larger number is a bad request naming the parameter, not a 500.
MAX_ID = 2**63 - 1
Id = Annotated[int, FastPath(ge=1, le=MAX_ID)]
OptionalId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]  # an id inside a request body
# A target's id (schedules, dependencies, run filters): 0 is transformation 0, the dbt project.
TargetId = Annotated[int, Field(ge=0, le=MAX_ID)]
OptionalTargetId = Annotated[int | None, Query(ge=0, le=MAX_ID)]
