"""Domain errors and bad requests as JSON: `{"detail": "...", "field": "..." | null}`.

Services raise `etlfabric.errors.DomainError` subclasses; each carries its HTTP status, so a new
error type needs no change here.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from etlfabric.errors import DomainError, TooManyRequests, Unauthenticated

# Request-body wrappers FastAPI puts in front of the name the client actually sent.
_LOCATION_PREFIXES = {"body", "query", "path", "header", "cookie"}


class ErrorOut(BaseModel):
    detail: str
    field: str | None = None


def error_response(status_code: int, detail: str, field: str | None = None, **headers: str):
    body = ErrorOut(detail=detail, field=field).model_dump()
    return JSONResponse(body, status_code=status_code, headers=headers or None)


async def domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    headers: dict[str, str] = {}
    if isinstance(exc, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(exc.status_code, exc.message, exc.field, **headers)


def _field_name(location: tuple | list) -> str | None:
    parts = [str(part) for part in location]
    if parts and parts[0] in _LOCATION_PREFIXES:
        parts = parts[1:]
    return ".".join(parts) or None


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's list of problems, reduced to the first one, phrased like a domain error."""
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    if not problems:
        return error_response(422, "The request is not valid.")
    first = problems[0]
    field = _field_name(first.get("loc", ()))
    message = str(first.get("msg", "Invalid value.")).removeprefix("Value error, ")
    detail = f"{field}: {message}" if field else message
    return error_response(422, detail, field)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    document_errors(app)


def document_errors(app: FastAPI) -> None:
    """The OpenAPI document describes the 422 body the handler above sends ({detail, field}),
    not FastAPI's default list of problems."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        schemas = schema.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in schemas:
            schemas["HTTPValidationError"] = ErrorOut.model_json_schema()
            schemas["HTTPValidationError"]["title"] = "HTTPValidationError"
            schemas.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi
