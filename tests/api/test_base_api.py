"""The REST base other tools rely on: health, version, OpenAPI and the offline docs."""

from __future__ import annotations

import re

import etlfabric
from etlfabric.config import reset_settings
from tests.processes import free_port


async def test_health_reports_each_part(client):
    answer = await client.get("/api/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "redis": "ok"}


async def test_health_names_the_part_that_fails(client, monkeypatch):
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nobody listens
    reset_settings()
    answer = await client.get("/api/health")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "error" and body["database"] == "ok"
    assert body["redis"].startswith("error: ")


async def test_version_and_openapi(client):
    version = await client.get("/api/version")
    assert version.json() == {"version": etlfabric.__version__, "api": "v1"}
    schema = (await client.get("/api/openapi.json")).json()
    for path in ("/api/health", "/api/v1/auth/signup", "/api/v1/members", "/api/v1/audit"):
        assert path in schema["paths"]


async def test_docs_are_served_without_a_cdn(client):
    page = await client.get("/api/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(url.startswith("/api/docs/assets/") for url in assets)
    for url in assets:
        assert (await client.get(url)).status_code == 200
