"""GET /api/v1/analytics/targets/{kind}/{id}: role-checked, other tenants 404, numbers as the
service computes them; GET /api/v1/system/health for platform administrators only."""

from datetime import UTC, datetime, timedelta

from etlfabric.db import platform_session, tenant_session
from etlfabric.models import Organization, Run, Script, User
from tests.api.conftest import bearer, join, signup


async def make_runs(org_id: int, durations_ms: list[int]) -> int:
    """Runs a minute apart ending now, all on the organisation's today: near midnight UTC the
    organisation keeps its days in Asia/Kolkata (05:30 then), so none falls on yesterday."""
    if not 1 <= datetime.now(UTC).hour <= 22:
        async with platform_session() as session:
            (await session.get(Organization, org_id)).timezone = "Asia/Kolkata"
    async with tenant_session(org_id) as session:
        script = Script(name="Nightly", safe_name="nightly", type="python", content="pass")
        session.add(script)
        await session.flush()
        for minutes, ms in enumerate(durations_ms):
            session.add(
                Run(
                    status="succeeded" if ms < 50_000 else "failed",
                    target_type="script",
                    target_id=script.id,
                    trigger="manual",
                    duration_ms=ms,
                    queued_at=datetime.now(UTC) - timedelta(minutes=len(durations_ms) - minutes),
                )
            )
        return script.id


async def test_a_viewer_reads_the_analytics_of_a_script(client):
    owner = await signup(client)
    script_id = await make_runs(owner["org"]["id"], [1000] * 10 + [60_000])
    viewer = await join(client, owner["access_token"], "viewer")
    answer = await client.get(
        f"/api/v1/analytics/targets/script/{script_id}", headers=bearer(viewer["access_token"])
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["name"] == "Nightly" and body["target_type"] == "script"
    assert body["success"]["24h"] == {"succeeded": 10, "finished": 11, "percent": 100 * 10 / 11}
    today = body["days"][-1]
    assert today["runs"] == 11 and today["p50_ms"] == 1000
    assert [a["duration_ms"] for a in body["anomalies"]] == [60_000]
    assert body["anomalies"][0]["baseline_p95_ms"] == 1000


async def test_another_organisation_gets_404_and_so_does_a_bad_kind(client):
    owner = await signup(client)
    script_id = await make_runs(owner["org"]["id"], [1000])
    stranger = await signup(client)
    other = await client.get(
        f"/api/v1/analytics/targets/script/{script_id}", headers=bearer(stranger["access_token"])
    )
    assert other.status_code == 404
    kind = await client.get(
        f"/api/v1/analytics/targets/dashboard/{script_id}", headers=bearer(owner["access_token"])
    )
    assert kind.status_code == 422 and kind.json()["field"] == "kind"
    anonymous = await client.get(f"/api/v1/analytics/targets/script/{script_id}")
    assert anonymous.status_code == 401


async def test_system_health_is_for_platform_administrators(client):
    owner = await signup(client)
    refused = await client.get("/api/v1/system/health", headers=bearer(owner["access_token"]))
    assert refused.status_code == 403  # an organisation owner is not the machine's owner
    async with platform_session() as session:
        (await session.get(User, owner["user"]["id"])).is_platform_admin = True
    answer = await client.get("/api/v1/system/health", headers=bearer(owner["access_token"]))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert 0 <= body["host"]["memory_percent"] <= 100 and body["host"]["disk_total"] > 0
    assert body["database_bytes"] > 0 and "default" in body["queues"]
