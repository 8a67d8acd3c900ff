"""The schedules service: create, change, enable, preview, list, tenancy, alerts (real database)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from etlfabric.db import platform_session, tenant_session
from etlfabric.errors import Invalid, NotFound, PermissionDenied
from etlfabric.models import Alert, AlertKind, AuditLog, Organization, Schedule, TargetType
from etlfabric.services import schedule_queries, schedules
from tests.factories import make_member, make_owned_org
from tests.run_factories import make_script


async def create(principal, **fields):
    fields.setdefault("target_type", "script")
    async with tenant_session(principal.org_id) as session:
        return await schedules.create(session=session, principal=principal, **fields)


async def call(principal, function, **arguments):
    async with tenant_session(principal.org_id) as session:
        return await function(session=session, principal=principal, **arguments)


async def test_create_a_cron_schedule_with_the_orgs_time_zone(owner):
    async with platform_session() as session:
        org = await session.get(Organization, owner.org_id)
        org.timezone = "Europe/Lisbon"
    script = await make_script(owner.org_id, name="Nightly export")
    item = await create(owner, target_id=script.id, kind="cron", cron=" 30  7 * *   1-5 ")
    schedule = item.schedule
    assert schedule.cron == "30 7 * * 1-5"
    assert schedule.timezone == "Europe/Lisbon"
    assert schedule.enabled and schedule.max_attempts == 2 and schedule.retry_delay_seconds == 300
    assert schedule.auto_disable_after == 3
    assert item.target_name == "Nightly export"
    view = schedules.public_view(item)
    assert view["description"] == "Every weekday at 07:30 (Europe/Lisbon)"
    assert view["next_run_at"] > datetime.now(UTC)
    local = view["next_run_at"].astimezone(__import__("zoneinfo").ZoneInfo("Europe/Lisbon"))
    assert (local.hour, local.minute, local.isoweekday() <= 5) == (7, 30, True)
    async with tenant_session(owner.org_id) as session:
        actions = await session.scalars(select(AuditLog.action))
        assert "schedule.create" in list(actions)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "cron", "cron": "61 * * * *"}, "cron"),
        ({"kind": "cron"}, "cron"),
        ({"kind": "hourly"}, "kind"),
        ({"kind": "interval"}, "interval_seconds"),
        ({"kind": "interval", "interval_seconds": 0}, "interval_seconds"),
        ({"kind": "once"}, "run_at"),
        ({"kind": "once", "run_at": datetime(2001, 1, 1, tzinfo=UTC)}, "run_at"),
        ({"kind": "cron", "cron": "0 * * * *", "timezone": "Mars/Olympus"}, "timezone"),
        ({"kind": "cron", "cron": "0 * * * *", "max_attempts": 11}, "max_attempts"),
        ({"kind": "cron", "cron": "0 * * * *", "overlap": "sometimes"}, "overlap"),
        ({"kind": "cron", "cron": "0 * * * *", "catch_up": "maybe"}, "catch_up"),
        ({"kind": "cron", "cron": "0 * * * *", "auto_disable_after": -1}, "auto_disable_after"),
        ({"kind": "cron", "form": {"type": "daily", "time": "7"}}, "form"),
        ({"kind": "cron", "cron": "0 * * * *", "colour": "red"}, "colour"),
        (
            {
                "kind": "cron",
                "cron": "0 * * * *",
                "start_at": datetime(2030, 1, 2, tzinfo=UTC),
                "end_at": datetime(2030, 1, 1, tzinfo=UTC),
            },
            "end_at",
        ),
        ({"kind": "cron", "cron": "0 * * * *", "target_id": 999999}, "target_id"),
        ({"kind": "cron", "cron": "0 * * * *", "target_type": "robot"}, "target_type"),
    ],
)
async def test_bad_input_names_the_field_and_changes_nothing(owner, fields, field):
    script = await make_script(owner.org_id)
    fields = {"target_id": script.id, **fields}
    with pytest.raises(Invalid) as caught:
        await create(owner, **fields)
    assert caught.value.field == field
    async with tenant_session(owner.org_id) as session:
        assert list(await session.scalars(select(Schedule))) == []


async def test_simple_forms_and_the_schedule_in_words(owner):
    script = await make_script(owner.org_id)
    monthly = await create(
        owner,
        target_id=script.id,
        timezone="UTC",
        form={"type": "monthly", "day": 31, "time": "06:00", "short_months": "last_day"},
    )
    assert (monthly.schedule.kind.value, monthly.schedule.cron) == ("cron", "0 6 31 * *")
    assert monthly.schedule.short_months.value == "last_day"
    assert monthly.schedule.form == {
        "type": "monthly",
        "time": "06:00",
        "day": 31,
        "short_months": "last_day",
    }
    assert schedules.public_view(monthly)["description"] == (
        "Monthly on day 31 (last day in shorter months) at 06:00 (UTC)"
    )
    weekly = await create(
        owner, target_id=script.id, form={"type": "weekly", "days": ["mon", "wed"], "time": "8:00"}
    )
    assert weekly.schedule.cron == "0 8 * * 1,3"
    # a hand-written expression replaces the form
    changed = await call(
        owner, schedules.update, schedule_id=weekly.schedule.id, cron="*/15 * * * *"
    )
    assert changed.schedule.form is None and changed.schedule.cron == "*/15 * * * *"


async def test_a_timing_change_moves_the_next_run_and_other_changes_do_not(owner):
    script = await make_script(owner.org_id)
    item = await create(owner, target_id=script.id, kind="interval", interval_seconds=3600)
    first = item.schedule.next_fire_at
    assert timedelta(minutes=59) < first - datetime.now(UTC) <= timedelta(hours=1)
    same = await call(owner, schedules.update, schedule_id=item.schedule.id, max_attempts=4)
    assert same.schedule.next_fire_at == first and same.schedule.max_attempts == 4
    faster = await call(owner, schedules.update, schedule_id=item.schedule.id, interval_seconds=60)
    assert faster.schedule.next_fire_at - datetime.now(UTC) <= timedelta(seconds=60)
    with pytest.raises(Invalid) as caught:
        await call(owner, schedules.update, schedule_id=item.schedule.id, cron="bad")
    assert caught.value.field == "cron"  # a cron on an interval schedule is checked, then refused


async def test_enable_disable_and_bulk(owner):
    script = await make_script(owner.org_id)
    items = [
        await create(owner, target_id=script.id, kind="cron", cron=f"{n} * * * *") for n in range(3)
    ]
    ids = [item.schedule.id for item in items]
    off = await call(owner, schedules.bulk_set_enabled, schedule_ids=ids, enabled=False)
    assert [(i.schedule.enabled, i.schedule.next_fire_at) for i in off] == [(False, None)] * 3
    async with tenant_session(owner.org_id) as session:  # as auto-disable leaves it
        await session.execute(
            update(Schedule)
            .where(Schedule.id == ids[0])
            .values(consecutive_failures=3, disabled_reason="Disabled after 3 failures")
        )
    on = await call(owner, schedules.set_enabled, schedule_id=ids[0], enabled=True)
    assert on.schedule.enabled and on.schedule.next_fire_at is not None
    assert (on.schedule.consecutive_failures, on.schedule.disabled_reason) == (0, None)
    with pytest.raises(NotFound):
        await call(owner, schedules.bulk_set_enabled, schedule_ids=[ids[1], 10**9], enabled=True)
    assert (await call(owner, schedules.get, schedule_id=ids[1])).schedule.enabled is False


async def test_delete_is_soft_and_the_schedule_is_gone(owner):
    script = await make_script(owner.org_id)
    item = await create(owner, target_id=script.id, kind="interval", interval_seconds=60)
    await call(owner, schedules.delete, schedule_id=item.schedule.id)
    with pytest.raises(NotFound):
        await call(owner, schedules.get, schedule_id=item.schedule.id)
    assert await call(owner, schedule_queries.list_schedules) == []
    async with tenant_session(owner.org_id) as session:
        row = await session.get(Schedule, item.schedule.id)
        assert row.deleted_at is not None and row.next_fire_at is None


async def test_preview_in_the_schedules_zone(owner):
    times = await call(
        owner,
        schedules.preview,
        kind="cron",
        cron="30 2 * * *",
        timezone="Europe/Berlin",
        count=3,
        after=datetime(2025, 3, 29, tzinfo=UTC),
    )
    assert [t.isoformat() for t in times] == [
        "2025-03-29T02:30:00+01:00",
        "2025-03-30T03:30:00+02:00",
        "2025-03-31T02:30:00+02:00",
    ]
    for count in (0, 51):
        with pytest.raises(Invalid) as caught:
            await call(owner, schedules.preview, kind="cron", cron="* * * * *", count=count)
        assert caught.value.field == "count"
    many = await call(owner, schedules.preview, kind="interval", interval_seconds=60, count=50)
    assert len(many) == 50


async def test_list_sorts_and_filters(owner):
    alpha = await make_script(owner.org_id, name="alpha")
    beta = await make_script(owner.org_id, name="Beta")
    late = await create(owner, target_id=alpha.id, kind="interval", interval_seconds=7200)
    soon = await create(owner, target_id=beta.id, kind="interval", interval_seconds=60)
    off = await create(owner, target_id=beta.id, kind="cron", cron="0 0 * * *", enabled=False)

    async def ids(**options):
        items = await call(owner, schedule_queries.list_schedules, **options)
        return [item.schedule.id for item in items]

    assert await ids() == [soon.schedule.id, late.schedule.id, off.schedule.id]  # no next: last
    assert await ids(sort="created") == [late.schedule.id, soon.schedule.id, off.schedule.id]
    assert (await ids(sort="name"))[0] == late.schedule.id  # "alpha" before "Beta"
    assert await ids(enabled=False) == [off.schedule.id]
    assert await ids(search="bet", kind="interval") == [soon.schedule.id]
    assert await ids(target_type="script", target_id=alpha.id) == [late.schedule.id]
    with pytest.raises(Invalid):
        await ids(sort="colour")


async def test_other_organisations_and_roles(owner):
    script = await make_script(owner.org_id)
    item = await create(owner, target_id=script.id, kind="interval", interval_seconds=60)
    _, _, other = await make_owned_org()
    for function, arguments in [
        (schedules.get, {}),
        (schedules.update, {"max_attempts": 3}),
        (schedules.delete, {}),
        (schedules.set_enabled, {"enabled": False}),
    ]:
        with pytest.raises(NotFound):
            await call(other, function, schedule_id=item.schedule.id, **arguments)
    assert await call(other, schedule_queries.list_schedules) == []
    with pytest.raises(Invalid) as caught:  # another organisation's script is not a target here
        await create(other, target_id=script.id, kind="interval", interval_seconds=60)
    assert caught.value.field == "target_id"
    async with platform_session() as session:
        org = await session.get(Organization, owner.org_id)
    _, viewer = await make_member(org, role="viewer")
    with pytest.raises(PermissionDenied):
        await create(viewer, target_id=script.id, kind="interval", interval_seconds=60)
    assert len(await call(viewer, schedule_queries.list_schedules)) == 1  # viewers may read


async def test_pipelines_are_targets_too(owner):
    from etlfabric.models import Connection, Direction, Pipeline

    async with tenant_session(owner.org_id) as session:
        source = Connection(name="src", type="postgres", direction=Direction.source)
        session.add(source)
        await session.flush()
        pipeline = Pipeline(
            name="orders",
            source_connection_id=source.id,
            destination_connection_id=source.id,
            dataset_name="raw",
            mode="table",
        )
        session.add(pipeline)
        await session.flush()
        pipeline_id = pipeline.id
    item = await create(
        owner, target_type="pipeline", target_id=pipeline_id, kind="interval", interval_seconds=60
    )
    assert item.target_name == "orders" and item.schedule.target_type is TargetType.pipeline


async def test_alerts_are_listed_until_acknowledged(owner):
    async with tenant_session(owner.org_id) as session:
        alert = Alert(kind=AlertKind.schedule_disabled, schedule_id=1, message="Disabled.")
        session.add(alert)
        await session.flush()
        alert_id = alert.id
    assert [a.id for a in await call(owner, schedules.list_alerts)] == [alert_id]
    done = await call(owner, schedules.acknowledge_alert, alert_id=alert_id)
    assert done.acknowledged_at is not None and done.acknowledged_by_id == owner.user_id
    again = await call(owner, schedules.acknowledge_alert, alert_id=alert_id)
    assert again.acknowledged_at == done.acknowledged_at
    assert await call(owner, schedules.list_alerts) == []
    assert len(await call(owner, schedules.list_alerts, include_acknowledged=True)) == 1
    _, _, other = await make_owned_org()
    with pytest.raises(NotFound):
        await call(other, schedules.acknowledge_alert, alert_id=alert_id)
