"""Per-target analytics on runs with known durations: success rates per window, runs and
p50/p95 per day, and the anomaly flag (more than twice the p95 of the 30 runs before)."""

from datetime import UTC, datetime, timedelta

import pytest

from etlfabric.db import tenant_session
from etlfabric.errors import NotFound
from etlfabric.models import Run
from etlfabric.services import run_analytics
from tests.factories import call, make_member, make_owned_org
from tests.run_factories import make_script

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


async def add(org_id, target_id, *, status="succeeded", ms=1000, ago=timedelta(0), kind="script"):
    async with tenant_session(org_id) as session:
        run = Run(
            status=status,
            target_type=kind,
            target_id=target_id,
            trigger="manual",
            duration_ms=ms,
            queued_at=NOW - ago,
        )
        session.add(run)
        await session.flush()
        return run.id


@pytest.fixture(scope="module")
async def history():
    org, _, owner = await make_owned_org()
    script = await make_script(org.id)
    # today (12:00 UTC): durations 1..10 s, one failure, one timeout; yesterday: two runs
    for seconds in range(1, 11):
        await add(org.id, script.id, ms=seconds * 1000, ago=timedelta(minutes=60 - seconds))
    await add(org.id, script.id, status="failed", ms=500, ago=timedelta(minutes=30))
    await add(org.id, script.id, status="timed_out", ms=20_000, ago=timedelta(minutes=20))
    await add(org.id, script.id, ms=4000, ago=timedelta(days=1, minutes=1))
    await add(org.id, script.id, status="failed", ms=6000, ago=timedelta(days=1, hours=1))
    await add(org.id, script.id, status="cancelled", ms=100, ago=timedelta(days=2))
    await add(org.id, script.id, ms=9000, ago=timedelta(days=20))
    await add(org.id, script.id, ms=9000, ago=timedelta(days=40))  # outside every window
    await add(org.id, 999, ms=1, ago=timedelta(minutes=5))  # another target
    return org, owner, script


async def analytics(principal, script_id):
    return await call(
        run_analytics.target_analytics,
        principal,
        target_type="script",
        target_id=script_id,
        now=NOW,
    )


async def test_success_rates_per_window(history):
    _, owner, script = history
    found = await analytics(owner, script.id)
    rates = {name: (rate.succeeded, rate.finished) for name, rate in found.success.items()}
    # the cancelled run does not count; the 40-day-old one is outside
    assert rates == {"24h": (10, 12), "7d": (11, 14), "30d": (12, 15)}
    assert found.name == script.name


async def test_runs_and_percentiles_per_day(history):
    _, owner, script = history
    days = {day.day: day for day in (await analytics(owner, script.id)).days}
    assert len(days) == run_analytics.TREND_DAYS
    today = days[NOW.date()]
    assert (today.runs, today.succeeded, today.failed) == (12, 10, 2)
    # durations today: 0.5, 1..10, 20 s -> p50 = 5.5 s; p95 by linear interpolation
    assert today.p50_ms == pytest.approx(5500)
    ordered = sorted([500, 20_000, *range(1000, 11_000, 1000)])
    position = 0.95 * (len(ordered) - 1)
    low = int(position)
    expected = ordered[low] + (ordered[low + 1] - ordered[low]) * (position - low)
    assert today.p95_ms == pytest.approx(expected)
    yesterday = days[NOW.date() - timedelta(days=1)]
    assert (yesterday.runs, yesterday.succeeded, yesterday.failed) == (2, 1, 1)
    assert yesterday.p50_ms == pytest.approx(5000)
    cancelled_day = days[NOW.date() - timedelta(days=2)]
    assert (cancelled_day.runs, cancelled_day.p50_ms) == (1, None)  # counted, not timed
    assert days[NOW.date() - timedelta(days=5)].runs == 0


async def test_a_run_over_twice_the_p95_of_the_last_30_is_flagged(history):
    org, owner, _ = history
    steady = await make_script(org.id)
    for minute in range(40):  # 40 runs of 1.0-1.9 s; the baseline is the last 30
        await add(
            org.id,
            steady.id,
            ms=1000 + (minute % 10) * 100,
            ago=timedelta(hours=5, minutes=-minute),
        )
    slow = await add(org.id, steady.id, ms=4000, ago=timedelta(hours=2))
    just_under = await add(org.id, steady.id, ms=3700, ago=timedelta(hours=1))
    failed_slow = await add(
        org.id, steady.id, status="failed", ms=60_000, ago=timedelta(minutes=30)
    )
    found = await analytics(owner, steady.id)
    flagged = {a.run_id: a for a in found.anomalies}
    assert set(flagged) == {slow, failed_slow}
    assert flagged[slow].baseline_p95_ms == pytest.approx(1900)  # p95 of 1.0..1.9 s x3
    assert flagged[slow].duration_ms == 4000
    assert just_under not in flagged  # 3.7 s < 2 x p95 (~3.8 s)
    by_id = await call(run_analytics.anomalous_runs, owner, run_ids=[slow, just_under, failed_slow])
    assert set(by_id) == {slow, failed_slow}


async def test_too_few_runs_are_never_flagged(history):
    org, owner, _ = history
    young = await make_script(org.id)
    for ms in (100, 100, 100):
        await add(org.id, young.id, ms=ms, ago=timedelta(hours=3))
    late = await add(org.id, young.id, ms=10_000, ago=timedelta(hours=1))
    assert await call(run_analytics.anomalous_runs, owner, run_ids=[late]) == {}


async def test_any_kind_of_target_and_viewers_may_read(history):
    org, _, _ = history
    _, viewer = await make_member(org, "viewer")
    with pytest.raises(NotFound):  # no such pipeline in this organisation
        await call(run_analytics.target_analytics, viewer, target_type="pipeline", target_id=1)


async def test_another_organisation_gets_not_found(history):
    _, _, script = history
    _, _, stranger = await make_owned_org()
    with pytest.raises(NotFound):
        await analytics(stranger, script.id)


async def test_the_organisation_trend_covers_every_target(history):
    _, owner, _ = history
    days = await call(run_analytics.organization_daily, owner, days=3, now=NOW)
    assert [d.day for d in days] == [NOW.date() - timedelta(days=n) for n in (2, 1, 0)]
    assert days[-1].runs >= 13  # the script's 12 and target 999's one
