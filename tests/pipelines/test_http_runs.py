"""REST and OData sources served by a loopback HTTP server: pagination, incremental parameters,
retries on 503 and 429 (Retry-After honoured), a cooldown after a source that stays down."""

from __future__ import annotations

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from etlfabric.errors import NotFound
from etlfabric.models import RunStatus
from etlfabric.pipelines import cooldown, inspect
from tests.pipeline_factories import make_connection, make_pipeline, warehouse
from tests.pipeline_runs import execute

TOKEN = "tok-9d7c5b3a1e"
ITEMS = [{"id": i, "name": f"item {i}"} for i in range(1, 6)]
PRODUCTS = [{"ID": i, "Name": f"p{i}"} for i in range(1, 5)]
CUSTOMERS = [{"id": 1, "tags": ["new", "vip"]}, {"id": 2, "tags": ["old"]}]


class Api(BaseHTTPRequestHandler):
    seen: Counter = Counter()

    def log_message(self, *args):  # keep the test output quiet
        pass

    def send(self, status: int, body: dict | None = None, headers: dict | None = None):
        payload = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        Api.seen[self.path] += 1
        base = f"http://127.0.0.1:{self.server.server_port}"
        if url.path == "/api/items":
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                return self.send(401, {"error": "unauthorised"})
            rows = [r for r in ITEMS if r["id"] > int(query.get("since", 0))]
            start = int(query.get("after", 0))
            page = [r for r in rows if r["id"] > start][:2]
            more = page and page[-1]["id"] < rows[-1]["id"]
            next_url = f"{base}/api/items?after={page[-1]['id']}" if more else None
            if more and "since" in query:
                next_url += f"&since={query['since']}"
            return self.send(200, {"items": page, "next": next_url})
        if url.path == "/odata/Products":
            if Api.seen[self.path] == 1 and "$skiptoken" not in query:
                return self.send(503, {"error": "busy"}, {"Retry-After": "1"})
            if "$skiptoken" in query:
                if Api.seen[self.path] == 1:
                    return self.send(429, {"error": "slow down"}, {"Retry-After": "1"})
                return self.send(200, {"value": PRODUCTS[2:]})
            link = f"{base}/odata/Products?$skiptoken=2"
            return self.send(200, {"value": PRODUCTS[:2], "@odata.nextLink": link})
        if url.path == "/api/customers":  # nested lists: dlt loads them into a child table
            return self.send(200, {"items": CUSTOMERS, "next": None})
        if url.path == "/down/Things":
            return self.send(503, {"error": "down"}, {"Retry-After": "1"})
        return self.send(404)


@pytest.fixture(scope="module")
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


async def rest_source(org_id: int, api: str):
    """The loopback API as a REST connection: bearer token, pages by the body's `next` link."""
    return await make_connection(
        org_id,
        type="rest_api",
        config={"base_url": api, "auth": "bearer", "pagination": {"type": "json_link"}},
        credentials={"token": TOKEN},
    )


async def test_rest_json_link_pages_and_incremental_parameter(owner, api):
    source = await rest_source(owner.org_id, api)
    resource = {
        "path": "/api/items",
        "name": "items",
        "primary_key": ["id"],
        "incremental_param": "since",
        "cursor_path": "id",
    }
    pipeline = await make_pipeline(
        owner,
        source,
        await warehouse(owner.org_id),
        mode="rest",
        config={"resources": [resource]},
        write_disposition="merge",
        primary_key=[],
    )
    run, texts = execute(owner.org_id, pipeline)
    assert run.status is RunStatus.succeeded, (run.error, texts)
    assert run.details["tables"] == {"items": 5}
    assert not any(TOKEN in t for t in texts)
    ITEMS.append({"id": 6, "name": "item 6"})
    again, texts = execute(owner.org_id, pipeline)
    assert again.status is RunStatus.succeeded, (again.error, texts)
    assert again.details["tables"] == {"items": 1}  # only what is newer than the cursor
    _, rows = inspect.preview_rows(owner.org_id, pipeline, "items")
    assert sorted(r[0] for r in rows) == [1, 2, 3, 4, 5, 6]


async def test_odata_next_link_survives_a_503_and_a_429_then_a_dead_source_cools_down(owner, api):
    wh = await warehouse(owner.org_id)
    odata = await make_connection(
        owner.org_id, type="odata", config={"service_url": f"{api}/odata"}
    )
    pipeline = await make_pipeline(
        owner, odata, wh, mode="odata", config={"entity_set": "Products"}
    )
    run, texts = execute(owner.org_id, pipeline)
    assert run.status is RunStatus.succeeded, (run.error, texts)
    assert run.details["tables"] == {"products": 4}
    assert Api.seen["/odata/Products"] == 2 and Api.seen["/odata/Products?$skiptoken=2"] == 2

    down = await make_connection(
        owner.org_id, type="odata", config={"service_url": f"{api}/down", "max_attempts": 2}
    )
    dead = await make_pipeline(owner, down, wh, mode="odata", config={"entity_set": "Things"})
    failed, texts = execute(owner.org_id, dead)
    assert failed.status is RunStatus.failed
    assert failed.error.startswith(f"Source '{down.name}' is unavailable (HTTP 503"), failed.error
    assert 55 < cooldown.remaining(owner.org_id, down.id) <= 60
    skipped, _ = execute(owner.org_id, dead)
    assert skipped.status is RunStatus.skipped and "cools down" in skipped.error
    cooldown.clear(owner.org_id, down.id)


async def test_a_pipeline_lists_its_child_tables_and_no_other_pipelines(owner, api):
    """The dataset also holds what this module's other pipelines loaded; a pipeline's tables are
    its own, dlt's child table of a nested list included."""
    source = await rest_source(owner.org_id, api)
    fields = {
        "mode": "rest",
        "config": {"resources": [{"path": "/api/customers", "name": "customers"}]},
    }
    wh = await warehouse(owner.org_id)
    pipeline = await make_pipeline(owner, source, wh, **fields)
    run, texts = execute(owner.org_id, pipeline)
    assert run.status is RunStatus.succeeded, (run.error, texts)
    tables = inspect.list_tables(owner.org_id, pipeline)
    assert [t["name"] for t in tables] == ["customers", "customers__tags"]
    _, rows = inspect.preview_rows(owner.org_id, pipeline, "customers__tags")
    assert sorted(row[0] for row in rows) == ["new", "old", "vip"]

    never_run = await make_pipeline(owner, source, wh, **fields)
    assert inspect.list_tables(owner.org_id, never_run) == []
    with pytest.raises(NotFound):
        inspect.preview_rows(owner.org_id, never_run, "customers")
