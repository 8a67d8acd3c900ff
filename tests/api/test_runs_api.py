"""The runs REST API: list with filters, detail, logs, live stream, cancel, rerun, export."""

import io
import json
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import Role, Run, RunLog
from etlfabric.services import runs
from etlfabric.services.permissions import Principal
from tests.api.conftest import bearer, join, signup
from tests.run_factories import make_script, start

DETAIL_FIELDS = {
    "id", "status", "target_type", "target_id", "target_name", "trigger", "attempt", "exit_code",
    "error", "started_at", "finished_at", "duration_ms", "peak_memory_mb", "queued_at",
    "cpu_time_ms", "flow_id",
}  # fmt: skip


async def org_with_runs(client):
    """Sign up; a script; one finished run with two log lines and one queued run."""
    account = await signup(client)
    org_id = account["org"]["id"]
    owner = Principal(org_id=org_id, role=Role.owner, user_id=account["user"]["id"], label="o")
    script = await make_script(org_id, name="Nightly export")
    finished, queued = await start(owner, script), await start(owner, script)
    with sync_tenant_session(org_id) as session:
        runs.claim_run(session, org_id=org_id, run_id=finished.id, worker="w")
        session.add_all(
            RunLog(run_id=finished.id, seq=n, ts=datetime.now(UTC), stream="stdout", text=t)
            for n, t in ((1, "rows: 42"), (2, "done"))
        )
        session.flush()
        runs.finish_run(
            session, org_id=org_id, run_id=finished.id, status="succeeded", exit_code=0,
            duration_ms=1500, peak_memory_mb=21.5, cpu_time_ms=900,
        )  # fmt: skip
    return account, finished.id, queued.id


async def test_list_filters_paginates_and_sorts(client):
    account, finished, queued = await org_with_runs(client)
    headers = bearer(account["access_token"])
    page = (await client.get("/api/v1/runs", params={"page_size": 1}, headers=headers)).json()
    assert (page["total"], page["page"], page["page_size"]) == (2, 1, 1)
    assert [item["id"] for item in page["items"]] == [queued], "newest first"
    assert set(page["items"][0]) >= DETAIL_FIELDS
    second = await client.get("/api/v1/runs", params={"page_size": 1, "page": 2}, headers=headers)
    assert [item["id"] for item in second.json()["items"]] == [finished]
    for params, expected in [
        ({"status": "succeeded"}, [finished]),
        ({"status": ["queued", "failed"]}, [queued]),
        ({"target_type": "script", "sort": "queued_at"}, [finished, queued]),
        ({"trigger": "schedule"}, []),
        ({"search": "rows"}, [finished]),
        ({"since": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, []),
    ]:
        answer = await client.get("/api/v1/runs", params=params, headers=headers)
        assert [item["id"] for item in answer.json()["items"]] == expected, params


async def test_bad_filters_name_the_field(client):
    account, *_ = await org_with_runs(client)
    headers = bearer(account["access_token"])
    bad_status = await client.get("/api/v1/runs", params={"status": "done"}, headers=headers)
    assert bad_status.status_code == 422 and bad_status.json()["field"] == "status.0"
    bad_sort = await client.get("/api/v1/runs", params={"sort": "secret"}, headers=headers)
    assert bad_sort.status_code == 422 and bad_sort.json()["field"] == "sort"
    big = await client.get("/api/v1/runs", params={"page_size": 1000}, headers=headers)
    assert big.status_code == 422 and big.json()["field"] == "page_size"


async def test_detail_and_logs_after_a_seq(client):
    account, finished, _ = await org_with_runs(client)
    headers = bearer(account["access_token"])
    detail = (await client.get(f"/api/v1/runs/{finished}", headers=headers)).json()
    assert set(detail) >= DETAIL_FIELDS
    assert (detail["status"], detail["exit_code"], detail["duration_ms"]) == ("succeeded", 0, 1500)
    assert (detail["peak_memory_mb"], detail["cpu_time_ms"]) == (21.5, 900)
    assert (detail["target_name"], detail["trigger"], detail["attempt"]) == (
        "Nightly export",
        "manual",
        1,
    )
    logs = (await client.get(f"/api/v1/runs/{finished}/logs", headers=headers)).json()
    assert [line["text"] for line in logs["lines"]] == ["rows: 42", "done"] and logs["done"]
    assert set(logs["lines"][0]) == {"seq", "ts", "stream", "text"}
    later = await client.get(f"/api/v1/runs/{finished}/logs?after_seq=1", headers=headers)
    assert [line["seq"] for line in later.json()["lines"]] == [2]


async def test_the_live_stream_sends_lines_then_the_end(client):
    account, finished, _ = await org_with_runs(client)
    headers = bearer(account["access_token"])
    answer = await client.get(f"/api/v1/runs/{finished}/logs/stream", headers=headers)
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = [block for block in answer.text.split("\n\n") if block]
    assert events[0].startswith("id: 1\nevent: line\ndata: ")
    assert json.loads(events[1].split("data: ")[1])["text"] == "done"
    assert events[-1] == 'event: end\ndata: {"status": "succeeded"}'
    resumed = await client.get(
        f"/api/v1/runs/{finished}/logs/stream", headers={**headers, "Last-Event-ID": "1"}
    )
    assert resumed.text.startswith("id: 2\n")


async def test_cancel_a_queued_run_and_not_a_finished_one(client):
    account, finished, queued = await org_with_runs(client)
    headers = bearer(account["access_token"])
    cancelled = await client.post(f"/api/v1/runs/{queued}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    refused = await client.post(f"/api/v1/runs/{finished}/cancel", headers=headers)
    assert refused.status_code == 409 and "already finished" in refused.json()["detail"]


async def test_rerun_queues_a_new_manual_run(client):
    account, finished, _ = await org_with_runs(client)
    headers = bearer(account["access_token"])
    again = await client.post(f"/api/v1/runs/{finished}/rerun", headers=headers)
    assert again.status_code == 202
    assert (again.json()["status"], again.json()["trigger"]) == ("queued", "manual")
    assert again.json()["id"] not in (finished,)


async def test_export_csv_and_xlsx_with_the_same_filters(client):
    account, finished, _ = await org_with_runs(client)
    headers = bearer(account["access_token"])
    csv = await client.get(
        "/api/v1/runs/export", params={"format": "csv", "status": "succeeded"}, headers=headers
    )
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith(f"{finished},succeeded,script,")
    xlsx = await client.get("/api/v1/runs/export", params={"format": "xlsx"}, headers=headers)
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("id", "status") and len(rows) == 3
    bad = await client.get("/api/v1/runs/export", params={"format": "pdf"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "format"


async def test_another_organisation_gets_404_on_every_route(client):
    _, finished, queued = await org_with_runs(client)
    stranger = await signup(client)  # an organisation without any run
    headers = bearer(stranger["access_token"])
    for method, path in [
        ("GET", f"/api/v1/runs/{finished}"),
        ("GET", f"/api/v1/runs/{finished}/logs"),
        ("GET", f"/api/v1/runs/{finished}/logs/stream"),
        ("POST", f"/api/v1/runs/{queued}/cancel"),
        ("POST", f"/api/v1/runs/{finished}/rerun"),
    ]:
        answer = await client.request(method, path, headers=headers)
        assert answer.status_code == 404, (method, path, answer.text)
        assert answer.json() == {"detail": "Run not found.", "field": None}
    listed = (await client.get("/api/v1/runs", headers=headers)).json()
    assert listed["total"] == 0
    exported = await client.get("/api/v1/runs/export", headers=headers)
    assert len(exported.content.decode("utf-8-sig").splitlines()) == 1, "the header only"


async def test_a_viewer_reads_but_cannot_cancel_or_rerun(client):
    account, finished, queued = await org_with_runs(client)
    viewer = bearer((await join(client, account["access_token"], "viewer"))["access_token"])
    assert (await client.get(f"/api/v1/runs/{finished}", headers=viewer)).status_code == 200
    assert (await client.post(f"/api/v1/runs/{queued}/cancel", headers=viewer)).status_code == 403
    assert (await client.post(f"/api/v1/runs/{finished}/rerun", headers=viewer)).status_code == 403
    async with tenant_session(account["org"]["id"]) as session:
        assert (await session.get(Run, queued)).status == "queued", "nothing changed"


async def test_an_api_key_needs_the_run_scope_to_cancel(client):
    account, _, queued = await org_with_runs(client)
    headers = bearer(account["access_token"])
    keys = {}
    for scope in ("read", "run"):
        body = {"name": scope, "scopes": [scope]}
        keys[scope] = (await client.post("/api/v1/api-keys", json=body, headers=headers)).json()
    read_only = bearer(keys["read"]["secret"])
    assert (await client.get("/api/v1/runs", headers=read_only)).status_code == 200
    assert (
        await client.post(f"/api/v1/runs/{queued}/cancel", headers=read_only)
    ).status_code == 403
    runner = bearer(keys["run"]["secret"])
    assert (await client.post(f"/api/v1/runs/{queued}/cancel", headers=runner)).status_code == 200
