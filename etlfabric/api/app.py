"""The REST API, put in front of the Reflex backend by `rx.App(api_transformer=build_api())`.

Reflex mounts its own ASGI app (event socket, /ping, the compiled frontend) at "" inside this one,
so routes declared here win and every other path falls through to Reflex. Everything of ours lives
under /api; versioned resources under /api/v1, one router per domain.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

import etlfabric
from etlfabric.api import errors, health, metrics, v1

OPENAPI_URL = "/api/openapi.json"
DOCS_URL = "/api/docs"
DOCS_ASSETS_URL = "/api/docs/assets"

DESCRIPTION = (
    "Scripts, dlt pipelines and dbt transformations for many organisations. "
    "Authenticate with a bearer token: a JWT access token or an API key (`etf_...`)."
)


def build_api() -> FastAPI:
    # FastAPIOffline serves the Swagger UI's files itself: plain FastAPI loads them from a CDN,
    # and a self-hosted install may have no internet.
    api = FastAPIOffline(
        docs_url=DOCS_URL,
        static_url=DOCS_ASSETS_URL,
        title="ETL Fabric",
        version=etlfabric.__version__,
        description=DESCRIPTION,
        openapi_url=OPENAPI_URL,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=f"{DOCS_URL}/oauth2-redirect",
    )
    errors.install_error_handlers(api)
    api.include_router(health.router, prefix="/api")
    api.include_router(metrics.router, prefix="/api")
    api.include_router(v1.router)
    return api
