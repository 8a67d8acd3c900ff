"""Run summaries: the last run of each target, 7-day success rates, counts by status."""

from datetime import UTC, datetime, timedelta

import pytest

from etlfabric.db import tenant_session
from etlfabric.errors import PermissionDenied
from etlfabric.models import Role, Run, RunStatus, TargetType
from etlfabric.services import run_stats
from etlfabric.services.permissions import Principal
from tests.factories import make_owned_org

NOW = datetime.now(UTC).replace(microsecond=0)
# (target id, status, days ago)
HISTORY = [
    (1, "failed", 10),
    (1, "succeeded", 3),
    (1, "failed", 2),
    (1, "succeeded", 1),
    (2, "timed_out", 5),
    (2, "cancelled", 0.5),
    (3, "running", 20),
]


@pytest.fixture(scope="module")
async def history():
    _, _, principal = await make_owned_org()
    _, _, stranger = await make_owned_org()
    ids = []
    async with tenant_session(principal.org_id) as session:
        for target, status, days in HISTORY:
            run = Run(
                status=status,
                target_type="script",
                target_id=target,
                target_name=f"script {target}",
                trigger="manual",
                queued_at=NOW - timedelta(days=days),
            )
            session.add(run)
            await session.flush()
            ids.append(run.id)
    async with tenant_session(stranger.org_id) as session:
        session.add(Run(status="failed", target_type="script", target_id=1, trigger="manual"))
    return principal, stranger, ids


async def test_last_run_of_each_target_is_the_newest_queued(history):
    principal, _, ids = history
    async with tenant_session(principal.org_id) as session:
        last = await run_stats.last_runs(
            session=session,
            principal=principal,
            target_type=TargetType.script,
            target_ids=[1, 2, 9],
        )
    assert {target: run.id for target, run in last.items()} == {1: ids[3], 2: ids[5]}
    assert last[2].status is RunStatus.cancelled


async def test_another_organisation_sees_only_its_own_runs(history):
    _, stranger, _ = history
    async with tenant_session(stranger.org_id) as session:
        last = await run_stats.last_runs(
            session=session, principal=stranger, target_type=TargetType.script, target_ids=[1, 2]
        )
    assert list(last) == [1] and last[1].status is RunStatus.failed


async def test_success_rate_counts_finished_runs_in_the_window(history):
    principal, _, _ = history
    async with tenant_session(principal.org_id) as session:
        rates = await run_stats.success_rates(
            session=session,
            principal=principal,
            target_type=TargetType.script,
            since=NOW - timedelta(days=7),
        )
    assert rates[1] == run_stats.SuccessRate(succeeded=2, finished=3)
    assert round(rates[1].percent) == 67
    assert rates[2].percent == 0.0
    assert 3 not in rates  # running, and outside the window


async def test_counts_include_what_is_still_running_from_before_the_window(history):
    principal, _, _ = history
    async with tenant_session(principal.org_id) as session:
        counts = await run_stats.status_counts(
            session=session, principal=principal, since=NOW - timedelta(days=7)
        )
    assert counts[RunStatus.succeeded] == 2
    assert counts[RunStatus.failed] == 1
    assert counts[RunStatus.running] == 1
    assert counts[RunStatus.queued] == 0


async def test_an_api_key_without_read_scope_is_refused(history):
    principal, _, _ = history
    key = Principal(org_id=principal.org_id, role=Role.admin, api_key_id=1, scopes=frozenset())
    async with tenant_session(principal.org_id) as session:
        with pytest.raises(PermissionDenied):
            await run_stats.status_counts(session=session, principal=key, since=NOW)
