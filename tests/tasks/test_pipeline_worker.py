"""A pipeline run from end to end: started with POST /api/v1/pipelines/{id}/runs, carried out by a
real Celery worker over the real Redis broker, its progress followed on the live log stream."""

import asyncio
import json

import httpx
import pytest

from etlfabric.api.app import build_api
from etlfabric.services import tenancy
from etlfabric.services.tokens import create_access_token
from tests.pipeline_factories import make_pipeline, postgres_source, source_sql, warehouse

pytestmark = pytest.mark.slow
ROWS = 1500


def stream_events(body: str) -> list[tuple[str, dict]]:
    """(event, data) of each server-sent event."""
    found = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        found.append((fields.get("event", ""), json.loads(fields.get("data", "{}"))))
    return found


async def test_a_run_started_by_the_api_is_loaded_by_the_worker_with_live_progress(
    owner, source_db
):
    source_sql(
        source_db,
        "CREATE TABLE readings (id int PRIMARY KEY, value float8)",
        f"INSERT INTO readings SELECT g, g / 10.0 FROM generate_series(1, {ROWS}) g",
    )
    pipeline = await make_pipeline(
        owner,
        await postgres_source(owner.org_id, source_db),
        await warehouse(owner.org_id),
        config={"table": "readings"},
    )
    token = create_access_token(user_id=owner.user_id, org_id=owner.org_id)
    transport = httpx.ASGITransport(app=build_api(), client=("127.0.0.1", 5555))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        started = await client.post(f"/api/v1/pipelines/{pipeline.id}/runs")
        assert started.status_code == 202, started.text
        run_url = f"/api/v1/runs/{started.json()['id']}"
        # the stream ends when the run has ended; the bound only keeps a broken run from hanging
        stream = await asyncio.wait_for(client.get(f"{run_url}/logs/stream"), timeout=600)
        run = (await client.get(run_url)).json()

    events = stream_events(stream.text)
    texts = [data["text"] for event, data in events if event == "line"]
    assert events[-1] == ("end", {"status": "succeeded"}), (run["error"], texts)
    assert run["status"] == "succeeded" and run["rows_loaded"] == ROWS, texts
    assert any(t.startswith("extract: reading readings from") for t in texts), texts
    assert any(t.startswith(f"extract: {ROWS:,} rows in") for t in texts), texts
    assert any(t.startswith(f"normalize: {ROWS:,} rows in 1 table(s)") for t in texts), texts
    schema = tenancy.data_schema(owner.org_id, "raw")
    assert any(t.startswith(f"load: {ROWS:,} rows into {schema}") for t in texts), texts
