"""GET /api/metrics: Prometheus text that a scraper parses, with the runs, queues, workers and
scheduler as they are; loopback-only without METRICS_TOKEN, bearer token with it; fast with
many organisations."""

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event

from etlfabric.api.metrics import collect_families
from etlfabric.db import async_engine, tenant_session
from etlfabric.models import Run
from etlfabric.orchestration.scheduler import forget_presence, record_presence
from etlfabric.redis_client import get_redis
from etlfabric.services import workers
from tests.factories import make_org, make_owned_org

TOKEN = "metrics-token-for-the-test-0123456789"


def samples(text: str) -> dict[tuple, float]:
    """(sample name, sorted labels) -> value, as a scraper reads them."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def scrape(client) -> dict[tuple, float]:
    answer = await client.get("/api/metrics")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return samples(answer.text)


async def add_runs(org_id: int, durations_ms: list[int | None], status: str, kind="pipeline"):
    async with tenant_session(org_id) as session:
        for ms in durations_ms:
            session.add(
                Run(
                    status=status,
                    target_type=kind,
                    target_id=1,
                    trigger="manual",
                    duration_ms=ms,
                    finished_at=datetime.now(UTC) if ms is not None else None,
                )
            )


def runs(found, kind, status) -> float:
    return found.get(("etlfabric_runs", (("kind", kind), ("status", status))), 0)


def bucket(found, kind, status, le) -> float:
    key = (
        "etlfabric_run_duration_seconds_bucket",
        (("kind", kind), ("le", le), ("status", status)),
    )
    return found.get(key, 0)


async def test_metrics_show_the_runs_of_every_organisation(client):
    (first, _, _), (second, _, _) = await make_owned_org(), await make_owned_org()
    before = await scrape(client)
    await add_runs(first.id, [200, 2_000, 40_000], "succeeded")
    await add_runs(second.id, [700], "succeeded")
    await add_runs(second.id, [3_000], "failed")
    await add_runs(second.id, [None, None], "queued")
    after = await scrape(client)

    def grew(name_or_fn, *args):
        return name_or_fn(after, *args) - name_or_fn(before, *args)

    assert grew(runs, "pipeline", "succeeded") == 4
    assert grew(runs, "pipeline", "failed") == 1
    assert grew(runs, "pipeline", "queued") == 2
    assert grew(bucket, "pipeline", "succeeded", "0.5") == 1  # 200 ms
    assert grew(bucket, "pipeline", "succeeded", "1") == 2  # + 700 ms
    assert grew(bucket, "pipeline", "succeeded", "5") == 3  # + 2 s
    assert grew(bucket, "pipeline", "succeeded", "+Inf") == 4
    total = ("etlfabric_run_duration_seconds_sum", (("kind", "pipeline"), ("status", "succeeded")))
    assert after[total] - before.get(total, 0) == pytest.approx(42.9)
    assert after[("etlfabric_organizations", ())] >= 2


async def test_metrics_show_queues_workers_and_the_scheduler(client):
    workers.record_heartbeat("metrics-test@host", ["default", "reports"], 3)
    await get_redis().rpush("reports", "a", "b", "c")
    record_presence(is_leader=True, ticked=True)
    try:
        found = await scrape(client)
    finally:
        forget_presence()
    assert found[("etlfabric_queue_depth", (("queue", "reports"),))] == 3
    assert found[("etlfabric_queue_depth", (("queue", "default"),))] == 0
    assert found[("etlfabric_queue_workers", (("queue", "reports"),))] == 1
    assert found[("etlfabric_workers_alive", ())] >= 1
    assert found[("etlfabric_scheduler_leader", ())] == 1
    assert 0 <= found[("etlfabric_scheduler_lag_seconds", ())] < 30


async def test_a_stale_worker_is_not_alive(client):
    await get_redis().flushdb()
    workers.record_heartbeat("gone@host", ["default"], 1)
    listed = await workers.list_workers(now=time.time() + workers.ALIVE_SECONDS + 1)
    assert [(w.name, w.alive) for w in listed] == [("gone@host", False)]
    found = await scrape(client)
    assert found[("etlfabric_workers_alive", ())] == 1  # "now" it is still fresh


async def test_without_a_token_only_loopback_clients_are_answered(api_app):
    transport = httpx.ASGITransport(app=api_app, client=("203.0.113.7", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as remote:
        answer = await remote.get("/api/metrics")
    assert answer.status_code == 403
    assert "METRICS_TOKEN" in answer.json()["detail"]


async def test_with_a_token_the_bearer_must_match(api_app, monkeypatch):
    from etlfabric.config import reset_settings

    monkeypatch.setenv("METRICS_TOKEN", TOKEN)
    reset_settings()
    transport = httpx.ASGITransport(app=api_app, client=("203.0.113.7", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as remote:
        missing = await remote.get("/api/metrics")
        wrong = await remote.get("/api/metrics", headers={"Authorization": "Bearer nope"})
        right = await remote.get("/api/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert missing.status_code == wrong.status_code == 401
    assert right.status_code == 200
    assert ("etlfabric_organizations", ()) in samples(right.text)


async def statements_of_a_scrape() -> tuple[int, float, float]:
    """(SQL statements, organisations counted, seconds) of one collection."""
    seen = []

    def count(*_args) -> None:
        seen.append(1)

    engine = async_engine().sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        families = await collect_families()
        elapsed = time.perf_counter() - started
    finally:
        event.remove(engine, "before_cursor_execute", count)
    organisations = next(f for f in families if f.name == "etlfabric_organizations")
    return len(seen), organisations.samples[0].value, elapsed


async def test_a_scrape_runs_the_same_statements_for_fifty_organisations_as_for_forty_five():
    """The run counts of every tenant come from one UNION ALL, so a scrape's statements do not
    grow with the organisations (the time is printed, not asserted: the machine is shared)."""
    async with tenant_session((await make_owned_org())[0].id):
        pass
    from etlfabric.db import platform_session
    from etlfabric.services.platform_metrics import live_tenants

    async with platform_session() as session:
        have = len(await live_tenants(session))
    for _ in range(max(0, 45 - have)):
        org = await make_org()
        await add_runs(org.id, [100, 5_000], "succeeded", kind="script")
    await collect_families()  # warm: first statement of a connection, plan caches
    fewer, counted_before, _ = await statements_of_a_scrape()
    for _ in range(5):
        org = await make_org()
        await add_runs(org.id, [100, 5_000], "succeeded", kind="script")
    more, counted, elapsed = await statements_of_a_scrape()
    assert counted == counted_before + 5 and counted >= 50
    assert more == fewer, f"{fewer} statements for {counted_before:.0f}, {more} for {counted:.0f}"
    print(f"collecting metrics for {counted:.0f} organisations: {more} statements, {elapsed:.3f} s")


async def test_the_run_counts_skip_a_disabled_organisation(client):
    org = await make_org()
    await add_runs(org.id, [100], "cancelled", kind="transformation")
    before = runs(await scrape(client), "transformation", "cancelled")
    from etlfabric.db import platform_session
    from etlfabric.models import Organization

    async with platform_session() as session:
        (await session.get(Organization, org.id)).deleted_at = datetime.now(UTC) - timedelta(1)
    assert runs(await scrape(client), "transformation", "cancelled") == before - 1
