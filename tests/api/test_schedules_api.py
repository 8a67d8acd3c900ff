"""The schedules REST contract (issue #5): paths, field names, errors naming the field."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import bearer, join, signup

ISSUE_FIELDS = {
    "id",
    "target_type",
    "target_id",
    "kind",
    "cron",
    "interval_seconds",
    "run_at",
    "timezone",
    "start_at",
    "end_at",
    "enabled",
    "catch_up",
    "max_attempts",
    "retry_delay_seconds",
    "overlap",
    "auto_disable_after",
    "next_run_at",
    "last_run_at",
}
OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


@pytest.fixture
async def owner(client):
    account = await signup(client)
    headers = bearer(account["access_token"])
    script = await client.post("/api/v1/scripts", json={"name": "Load"}, headers=headers)
    return {**account, "headers": headers, "script_id": script.json()["id"]}


async def post_schedule(client, owner, **body):
    body = {"target_type": "script", "target_id": owner["script_id"], **body}
    return await client.post("/api/v1/schedules", json=body, headers=owner["headers"])


async def test_create_read_change_and_delete(client, owner):
    headers = owner["headers"]
    made = await post_schedule(
        client, owner, kind="cron", cron="30 7 * * 1-5", timezone="Europe/Lisbon"
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) >= ISSUE_FIELDS
    assert body["description"] == "Every weekday at 07:30 (Europe/Lisbon)"
    assert (body["max_attempts"], body["retry_delay_seconds"], body["auto_disable_after"]) == (
        2,
        300,
        3,
    )
    assert (body["catch_up"], body["overlap"], body["target_name"]) == ("skip", "skip", "Load")
    assert body["next_run_at"] is not None and body["last_run_at"] is None
    url = f"/api/v1/schedules/{body['id']}"
    assert (await client.get(url, headers=headers)).json() == body
    listed = await client.get("/api/v1/schedules", params={"sort": "name"}, headers=headers)
    assert [row["id"] for row in listed.json()] == [body["id"]]
    changed = await client.patch(url, json={"overlap": "queue", "max_attempts": 3}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["overlap"], changed.json()["max_attempts"]) == ("queue", 3)
    assert changed.json()["cron"] == "30 7 * * 1-5"
    off = await client.post(f"{url}/disable", headers=headers)
    assert (off.json()["enabled"], off.json()["next_run_at"]) == (False, None)
    on = await client.post(f"{url}/enable", headers=headers)
    assert on.json()["enabled"] and on.json()["next_run_at"]
    assert (await client.delete(url, headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).status_code == 404


async def test_the_kind_follows_the_timing_field_and_null_keeps_a_value(client, owner):
    made = await post_schedule(client, owner, interval_seconds=900)
    assert made.status_code == 201, made.text
    assert (made.json()["kind"], made.json()["description"]) == ("interval", "Every 15 minutes")
    url = f"/api/v1/schedules/{made.json()['id']}"
    kept = await client.patch(url, json={"max_attempts": None}, headers=owner["headers"])
    assert kept.status_code == 200 and kept.json()["max_attempts"] == 2
    cron = await client.patch(
        url, json={"kind": "cron", "cron": "0 6 * * *"}, headers=owner["headers"]
    )
    assert cron.status_code == 200, cron.text
    assert (cron.json()["kind"], cron.json()["interval_seconds"]) == ("cron", None)


async def test_bulk_enable_and_disable(client, owner):
    ids = [
        (await post_schedule(client, owner, kind="interval", interval_seconds=60 * n)).json()["id"]
        for n in (1, 2)
    ]
    off = await client.post(
        "/api/v1/schedules/disable", json={"ids": ids}, headers=owner["headers"]
    )
    assert off.status_code == 200 and [row["enabled"] for row in off.json()] == [False, False]
    listed = await client.get(
        "/api/v1/schedules", params={"enabled": "false"}, headers=owner["headers"]
    )
    assert {row["id"] for row in listed.json()} == set(ids)
    on = await client.post("/api/v1/schedules/enable", json={"ids": ids}, headers=owner["headers"])
    assert [row["enabled"] for row in on.json()] == [True, True]


async def test_preview_gives_iso_times_with_the_offset(client, owner):
    answer = await client.post(
        "/api/v1/schedules/preview",
        json={"kind": "cron", "cron": "30 2 * * *", "timezone": "Europe/Berlin", "count": 50},
        headers=owner["headers"],
    )
    assert answer.status_code == 200, answer.text
    times = answer.json()["fire_times"]
    assert len(times) == 50 and all(OFFSET.match(t) for t in times)
    assert all(t[11:16] in ("02:30", "03:30") for t in times)
    interval = await client.post(
        "/api/v1/schedules/preview",
        json={"kind": "interval", "interval_seconds": 900, "timezone": "UTC"},
        headers=owner["headers"],
    )
    assert len(interval.json()["fire_times"]) == 5
    assert interval.json()["fire_times"][0].endswith("+00:00")


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"kind": "cron", "cron": "* * * * 9"}, "cron", "day of week"),
        ({"kind": "cron", "cron": "0 25 * * *"}, "cron", "hour"),
        ({"kind": "cron", "cron": "0 0 31 4 *"}, "cron", "day of month"),
        ({"kind": "interval", "interval_seconds": "often"}, "interval_seconds", ""),
        ({"kind": "cron", "cron": "0 * * * *", "timezone": "Europe/Nowhere"}, "timezone", ""),
        ({"kind": "once", "run_at": "yesterday"}, "run_at", ""),
        ({"kind": "cron", "cron": "0 * * * *", "target_id": 987654}, "target_id", ""),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(client, owner, body, field, words):
    answer = await post_schedule(client, owner, **body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field and words in answer.json()["detail"]
    preview = {k: v for k, v in body.items() if k != "target_id"}
    answer = await client.post("/api/v1/schedules/preview", json=preview, headers=owner["headers"])
    if field != "target_id":
        assert answer.status_code == 422 and answer.json()["field"] == field


cron_ish = st.lists(
    st.one_of(
        st.sampled_from(["*", "*/0", "*/5", "1-", "-1", "a-b", "5-1", "99", "0", "jan", "7", ","]),
        st.text(alphabet="0123456789*/-,abcxyz", min_size=1, max_size=6),
    ),
    min_size=0,
    max_size=7,
).map(" ".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(expression=cron_ish)
async def test_any_cron_text_is_a_200_or_a_422_never_a_500(client, owner, expression):
    answer = await client.post(
        "/api/v1/schedules/preview",
        json={"kind": "cron", "cron": expression, "timezone": "UTC", "count": 3},
        headers=owner["headers"],
    )
    assert answer.status_code in (200, 422), answer.text
    if answer.status_code == 422:
        assert answer.json()["field"] == "cron"


async def test_another_organisation_gets_404(client, owner):
    made = (await post_schedule(client, owner, kind="interval", interval_seconds=60)).json()
    stranger = bearer((await signup(client))["access_token"])
    url = f"/api/v1/schedules/{made['id']}"
    assert (await client.get(url, headers=stranger)).status_code == 404
    assert (await client.patch(url, json={"enabled": False}, headers=stranger)).status_code == 404
    assert (await client.post(f"{url}/disable", headers=stranger)).status_code == 404
    assert (await client.delete(url, headers=stranger)).status_code == 404
    assert (await client.get("/api/v1/schedules", headers=stranger)).json() == []
    viewer = await join(client, owner["access_token"], "viewer")
    seen = await client.get(url, headers=bearer(viewer["access_token"]))
    assert seen.status_code == 200
    refused = await client.post(f"{url}/disable", headers=bearer(viewer["access_token"]))
    assert refused.status_code == 403


async def test_alerts_list_and_acknowledge(client, owner):
    from etlfabric.db import tenant_session
    from etlfabric.models import Alert, AlertKind

    async with tenant_session(owner["org"]["id"]) as session:
        session.add(Alert(kind=AlertKind.schedule_disabled, message="Schedule disabled."))
    listed = await client.get("/api/v1/alerts", headers=owner["headers"])
    [alert] = listed.json()
    assert alert["message"] == "Schedule disabled." and alert["acknowledged_at"] is None
    done = await client.post(f"/api/v1/alerts/{alert['id']}/acknowledge", headers=owner["headers"])
    assert done.status_code == 200 and done.json()["acknowledged_at"]
    assert (await client.get("/api/v1/alerts", headers=owner["headers"])).json() == []
