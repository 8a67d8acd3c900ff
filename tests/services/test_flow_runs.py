"""Flows without a worker: runs are claimed and finished here, as a worker would, and the flow
starts, skips and closes what follows (real database and Redis)."""

import threading

import pytest
from sqlalchemy import select, update

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.models import FlowStatus, Run, RunStatus, Transformation, Trigger
from etlfabric.services import dependencies, flow_runs, runs
from tests.flow_factories import end, flow_of, flow_runs_of, latest, link, run_flow, scripts_named
from tests.run_factories import sent_messages, start

pytestmark = pytest.mark.usefixtures("clean_queues")
S = RunStatus


async def test_a_chain_runs_one_after_another_and_the_flow_succeeds(owner):
    made = await scripts_named(owner, "load", "clean", "report")
    await link(owner, "load>clean clean>report", made)
    root = await run_flow(owner, made["load"])
    assert root.flow_id is not None and root.status is S.queued
    assert sent_messages() == [[[owner.org_id, root.id], {}]]
    flow = flow_of(owner, root.flow_id)
    assert (flow.root_name, flow.trigger, flow.status) == ("load", Trigger.manual, "running")
    assert list(flow_runs_of(owner, root.flow_id)) == ["load"], "downstream waits"
    end(owner, root.id)
    clean = latest(owner, root.flow_id, "clean")
    assert (clean.status, clean.trigger, clean.triggered_by_id) == (
        S.queued,
        "dependency",
        owner.user_id,
    )
    assert [owner.org_id, clean.id] in [args for args, _ in sent_messages()]
    end(owner, clean.id)
    report = latest(owner, root.flow_id, "report")
    assert flow_of(owner, root.flow_id).status is FlowStatus.running
    end(owner, report.id)
    flow = flow_of(owner, root.flow_id)
    assert flow.status is FlowStatus.succeeded and flow.finished_at is not None


async def test_a_diamond_waits_for_both_branches_and_starts_the_join_once(owner):
    made = await scripts_named(owner, "a", "b", "c", "d")
    await link(owner, "a>b a>c b>d c>d", made)
    root = await run_flow(owner, made["a"])
    end(owner, root.id)
    b, c = latest(owner, root.flow_id, "b"), latest(owner, root.flow_id, "c")
    assert b.status is S.queued and c.status is S.queued, "both branches start together"
    end(owner, b.id)
    assert "d" not in flow_runs_of(owner, root.flow_id), "d waits for c"
    end(owner, c.id)
    assert [r.status for r in flow_runs_of(owner, root.flow_id)["d"]] == [S.queued]


async def test_two_upstreams_ending_at_once_start_the_downstream_once(owner):
    made = await scripts_named(owner, "a", "b", "c", "d")
    await link(owner, "a>b a>c b>d c>d", made)
    root = await run_flow(owner, made["a"])
    end(owner, root.id)
    b, c = latest(owner, root.flow_id, "b"), latest(owner, root.flow_id, "c")
    for run in (b, c):
        with sync_tenant_session(owner.org_id) as session:
            runs.claim_run(session, org_id=owner.org_id, run_id=run.id, worker="test")
    done = threading.Event()

    def finish_c():
        with sync_tenant_session(owner.org_id) as session:
            runs.finish_run(session, org_id=owner.org_id, run_id=c.id, status="succeeded")
        done.set()

    with sync_tenant_session(owner.org_id) as session:  # b ends; its transaction stays open
        runs.finish_run(session, org_id=owner.org_id, run_id=b.id, status="succeeded")
        other = threading.Thread(target=finish_c)
        other.start()
        assert not done.wait(0.5), "c's end waits for the flow's lock"
    other.join(10)
    assert [r.status for r in flow_runs_of(owner, root.flow_id)["d"]] == [S.queued]


async def test_a_final_failure_skips_everything_below_it_and_the_flow_fails(owner):
    made = await scripts_named(owner, "load", "clean", "report", "audit", "other")
    await link(owner, "load>clean clean>report report>audit load>other", made)
    root = await run_flow(owner, made["load"])
    end(owner, root.id)
    end(owner, latest(owner, root.flow_id, "clean").id, "failed")
    found = flow_runs_of(owner, root.flow_id)
    reason = f"Skipped: upstream clean failed in flow #{root.flow_id}."
    for name in ("report", "audit"):
        assert [(r.status, r.error) for r in found[name]] == [(S.skipped, reason)]
        assert found[name][0].finished_at is not None
    assert flow_of(owner, root.flow_id).status is FlowStatus.running, "other still runs"
    end(owner, found["other"][0].id)
    flow = flow_of(owner, root.flow_id)
    assert flow.status is FlowStatus.failed and flow.finished_at is not None


async def test_a_retried_upstream_skips_nothing_and_its_success_continues_the_flow(owner):
    made = await scripts_named(owner, "a", "b")
    await link(owner, "a>b", made)
    root = await run_flow(owner, made["a"])
    async with tenant_session(owner.org_id) as session:  # the flow's retry policy: 2 attempts
        (await session.get(Run, root.id)).max_attempts = 2
    end(owner, root.id, "failed")
    found = flow_runs_of(owner, root.flow_id)
    assert list(found) == ["a"] and [r.status for r in found["a"]] == [S.failed, S.queued]
    retry = found["a"][1]
    assert (retry.trigger, retry.attempt, retry.flow_id) == ("retry", 2, root.flow_id)
    end(owner, retry.id)
    b = latest(owner, root.flow_id, "b")
    assert b.status is S.queued and b.max_attempts == 2, "downstream runs get the root's attempts"
    end(owner, b.id)
    assert flow_of(owner, root.flow_id).status is FlowStatus.succeeded


async def test_a_cancelled_run_skips_its_downstream_and_the_flow_is_cancelled(owner):
    made = await scripts_named(owner, "a", "b")
    await link(owner, "a>b", made)
    root = await run_flow(owner, made["a"])
    end(owner, root.id, "cancelled")
    b = latest(owner, root.flow_id, "b")
    assert (b.status, b.error) == (
        S.skipped,
        f"Skipped: upstream a was cancelled in flow #{root.flow_id}.",
    )
    assert flow_of(owner, root.flow_id).status is FlowStatus.cancelled


async def test_a_disabled_downstream_script_is_skipped_with_its_reason(owner):
    made = await scripts_named(owner, "a", "b")
    made |= await scripts_named(owner, "off", enabled=False)
    await link(owner, "a>off off>b", made)
    root = await run_flow(owner, made["a"])
    end(owner, root.id)
    found = flow_runs_of(owner, root.flow_id)
    assert found["off"][0].error == "Skipped: script off is disabled."
    assert found["b"][0].error == f"Skipped: upstream off was skipped in flow #{root.flow_id}."
    assert flow_of(owner, root.flow_id).status is FlowStatus.failed


async def test_only_targets_downstream_of_the_root_belong_to_the_flow(owner):
    made = await scripts_named(owner, "before", "root", "after", "side")
    await link(owner, "before>root root>after side>after", made)
    root = await run_flow(owner, made["root"])
    end(owner, root.id)
    after = latest(owner, root.flow_id, "after")
    assert after.status is S.queued, "side is not in the flow, so after does not wait for it"
    assert set(flow_runs_of(owner, root.flow_id)) == {"root", "after"}


async def test_a_plain_run_opens_no_flow_and_has_downstream_says_whether_edges_leave(owner):
    made = await scripts_named(owner, "a", "b")
    await link(owner, "a>b", made)
    plain = await start(owner, made["a"])
    end(owner, plain.id)
    with sync_tenant_session(owner.org_id) as session:
        assert session.scalars(select(Run).where(Run.target_id == made["b"].id)).all() == []
        assert flow_runs.has_downstream(session, "script", made["a"].id)
        assert not flow_runs.has_downstream(session, "script", made["b"].id)


async def test_open_flow_is_what_a_scheduled_run_calls(owner):
    made = await scripts_named(owner, "a", "b")
    await link(owner, "a>b", made)
    with sync_tenant_session(owner.org_id) as session:
        run = Run(target_type="script", target_id=made["a"].id, target_name="a", trigger="schedule")
        session.add(run)
        flow = flow_runs.open_flow(session, root=run)
        assert run.flow_id == flow.id and flow.trigger == Trigger.schedule
        run_id = run.id
    end(owner, run_id)
    assert latest(owner, flow.id, "b").status is S.queued


async def test_a_non_script_downstream_is_started_like_any_target(owner):
    made = await scripts_named(owner, "extract")
    async with tenant_session(owner.org_id) as session:
        model = Transformation(name="orders", schema_name="marts")
        session.add(model)
        await session.flush()
        await dependencies.create_edge(
            session=session,
            principal=owner,
            upstream_type="script",
            upstream_id=made["extract"].id,
            downstream_type="transformation",
            downstream_id=model.id,
        )
    root = await run_flow(owner, made["extract"])
    end(owner, root.id)
    orders = latest(owner, root.flow_id, "orders")
    assert (orders.target_type, orders.status, orders.queue) == (
        "transformation",
        S.queued,
        "default",
    )


async def test_a_queued_run_cancelled_from_the_web_skips_what_is_below_it(owner):
    made = await scripts_named(owner, "a", "b", "c")
    await link(owner, "a>b b>c", made)
    root = await run_flow(owner, made["a"])
    end(owner, root.id)
    b = latest(owner, root.flow_id, "b")
    async with tenant_session(owner.org_id) as session:
        await runs.request_cancel(session=session, principal=owner, run_id=b.id)
    c = latest(owner, root.flow_id, "c")
    assert (c.status, c.error) == (
        S.skipped,
        f"Skipped: upstream b was cancelled in flow #{root.flow_id}.",
    )
    assert flow_of(owner, root.flow_id).status is FlowStatus.cancelled


async def test_a_flow_left_without_runs_is_caught_up_by_the_sweep(owner):
    made = await scripts_named(owner, "a", "b", "c")
    await link(owner, "a>b b>c", made)
    root = await run_flow(owner, made["a"])
    end(owner, root.id)
    b = latest(owner, root.flow_id, "b")
    with sync_tenant_session(owner.org_id) as session:  # ended behind the engine's back
        session.execute(update(Run).where(Run.id == b.id).values(status=S.cancelled))
    assert flow_of(owner, root.flow_id).status is FlowStatus.running
    with sync_tenant_session(owner.org_id) as session:
        assert flow_runs.advance_stalled(session, owner.org_id) == 1
    with sync_tenant_session(owner.org_id) as session:
        assert flow_runs.advance_stalled(session, owner.org_id) == 0, "safe to repeat"
    c = latest(owner, root.flow_id, "c")
    assert (c.status, c.error) == (
        S.skipped,
        f"Skipped: upstream b was cancelled in flow #{root.flow_id}.",
    )
    assert flow_of(owner, root.flow_id).status is FlowStatus.cancelled
