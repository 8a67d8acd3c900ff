"""Run logs: numbered, batched, masked, published, read back and followed live without gaps."""

import asyncio
import json
import threading
import time

import pytest

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.errors import NotFound
from etlfabric.services import run_events, run_logs, runs
from tests.factories import make_owned_org
from tests.run_factories import log_texts, make_script, next_message, start


@pytest.fixture
async def running():
    """(principal, run id) of a claimed run."""
    _, _, principal = await make_owned_org()
    script = await make_script(principal.org_id)
    run = await start(principal, script)
    with sync_tenant_session(principal.org_id) as session:
        runs.claim_run(session, org_id=principal.org_id, run_id=run.id, worker="test")
    return principal, run.id


def finish(principal, run_id, status="succeeded"):
    with sync_tenant_session(principal.org_id) as session:
        runs.finish_run(session, org_id=principal.org_id, run_id=run_id, status=status)


async def read(principal, run_id, after_seq=0, limit=1000):
    async with tenant_session(principal.org_id) as session:
        return await run_logs.read_lines(
            session=session, principal=principal, run_id=run_id, after_seq=after_seq, limit=limit
        )


async def test_lines_are_numbered_in_order_and_stored_within_the_flush_interval(running):
    principal, run_id = running
    writer = run_logs.LogWriter(org_id=principal.org_id, run_id=run_id).start()
    try:
        writer.write("stdout", "first")
        writer.write("stderr", "second")
        writer.write("system", "third")
        await asyncio.sleep(0.5)  # no close: the timer alone must have stored them
        lines, done = await read(principal, run_id)
        assert [(line.seq, line.stream, line.text) for line in lines] == [
            (1, "stdout", "first"),
            (2, "stderr", "second"),
            (3, "system", "third"),
        ]
        assert not done, "the run is still running"
    finally:
        writer.close()


async def test_every_batch_is_published_on_the_runs_channel(running):
    principal, run_id = running
    pubsub = run_events.sync_redis().pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(run_events.log_channel(principal.org_id, run_id))
    writer = run_logs.LogWriter(org_id=principal.org_id, run_id=run_id, batch_lines=500).start()
    for number in range(1, 1201):
        writer.write("stdout", f"line {number}")
    writer.close()
    seqs = []
    while len(seqs) < 1200 and (message := next_message(pubsub)):
        seqs += [line["seq"] for line in json.loads(message["data"])["lines"]]
    assert seqs == list(range(1, 1201))
    lines, _ = await read(principal, run_id, limit=5000)
    assert [line.seq for line in lines] == list(range(1, 1201))
    finish(principal, run_id)
    assert json.loads(next_message(pubsub)["data"]) == {"end": True, "status": "succeeded"}


async def test_the_scripts_own_variable_values_are_masked(running):
    principal, run_id = running
    secrets = ["s3cr3t-Value!", "1", "first-line\nsecond-line", "a.b*c"]
    writer = run_logs.LogWriter(org_id=principal.org_id, run_id=run_id, secrets=secrets).start()
    writer.write("stdout", "token=s3cr3t-Value! twice s3cr3t-Value!; count 1")
    writer.write("stderr", "second-line leaked, regex a.b*c but not axbbc")
    writer.write("stdout", "nul \x00 byte")
    writer.close()
    assert log_texts(principal.org_id, run_id) == [
        "token=**** twice ****; count 1",
        "**** leaked, regex **** but not axbbc",
        "nul \ufffd byte",
    ]


async def test_reading_after_a_seq_pages_without_gaps_and_says_when_done(running):
    principal, run_id = running
    writer = run_logs.LogWriter(org_id=principal.org_id, run_id=run_id).start()
    for number in range(1, 26):
        writer.write("stdout", str(number))
    writer.close()
    seen, after = [], 0
    while True:
        lines, done = await read(principal, run_id, after_seq=after, limit=10)
        seen += [line.seq for line in lines]
        after = lines[-1].seq if lines else after
        if not lines:
            break
    assert seen == list(range(1, 26)) and done is False
    finish(principal, run_id)
    lines, done = await read(principal, run_id, after_seq=20, limit=10)
    assert [line.text for line in lines] == ["21", "22", "23", "24", "25"] and done is True
    assert (await read(principal, run_id, after_seq=15, limit=10))[1] is False, "a full page"


async def test_output_is_truncated_after_the_line_limit(running):
    principal, run_id = running
    writer = run_logs.LogWriter(org_id=principal.org_id, run_id=run_id, max_lines=3).start()
    for number in range(10):
        writer.write("stdout", str(number))
    writer.close()
    assert log_texts(principal.org_id, run_id) == [
        "0",
        "1",
        "2",
        "Output truncated: more than 3 lines.",
    ]


def produce(principal, run_id, count, pause=0.01):
    """A worker's side: `count` lines over time, then the final status."""
    writer = run_logs.LogWriter(org_id=principal.org_id, run_id=run_id).start()
    for number in range(1, count + 1):
        writer.write("stdout", f"line {number}")
        time.sleep(pause)
    writer.close()
    finish(principal, run_id)


async def collect(principal, run_id, after_seq=0, stop_after=None):
    seqs = []
    async for lines in run_logs.follow(principal=principal, run_id=run_id, after_seq=after_seq):
        assert lines, "no empty batches"
        seqs += [line.seq for line in lines]
        if stop_after and len(seqs) >= stop_after:
            break
    return seqs


async def test_a_live_viewer_gets_every_line_once_and_a_reconnect_resumes_without_gaps(running):
    principal, run_id = running
    producer = threading.Thread(target=produce, args=(principal, run_id, 300))
    producer.start()
    try:
        await asyncio.sleep(0.3)  # some lines exist before the first viewer arrives
        first = await asyncio.wait_for(collect(principal, run_id, stop_after=40), 30)
        await asyncio.sleep(0.5)  # lines go by while it is disconnected
        rest = await asyncio.wait_for(collect(principal, run_id, after_seq=first[-1]), 30)
    finally:
        producer.join()
    assert first + rest == list(range(1, 301)), "no gap, no duplicate, ends with the run"


async def test_following_a_finished_run_returns_its_lines_and_ends(running):
    principal, run_id = running
    produce(principal, run_id, 5, pause=0)
    assert await asyncio.wait_for(collect(principal, run_id), 10) == [1, 2, 3, 4, 5]
    assert await asyncio.wait_for(collect(principal, run_id, after_seq=5), 10) == []


async def test_another_organisation_cannot_read_or_follow_a_log(running):
    principal, run_id = running
    _, _, stranger = await make_owned_org()
    with pytest.raises(NotFound):
        await read(stranger, run_id)
    with pytest.raises(NotFound):
        await collect(stranger, run_id)


async def test_a_long_log_opens_at_its_tail_pages_back_and_follows_on_without_gaps(running):
    principal, run_id = running
    async with tenant_session(principal.org_id) as session:
        assert await run_logs.read_tail(
            session=session, principal=principal, run_id=run_id, limit=10
        ) == ([], 0), "nothing printed yet: follow from the start"
    writer = run_logs.LogWriter(org_id=principal.org_id, run_id=run_id).start()
    for number in range(1, 26):
        writer.write("stdout", f"line {number}")
    writer.flush()
    async with tenant_session(principal.org_id) as session:
        tail, last_seq = await run_logs.read_tail(
            session=session, principal=principal, run_id=run_id, limit=10
        )
        earlier = await run_logs.read_before(
            session=session, principal=principal, run_id=run_id, before_seq=tail[0].seq, limit=10
        )
        first = await run_logs.read_before(
            session=session, principal=principal, run_id=run_id, before_seq=earlier[0].seq, limit=10
        )
    assert [line.seq for line in tail] == list(range(16, 26)) and last_seq == 25
    assert [line.text for line in earlier] == [f"line {n}" for n in range(6, 16)]
    assert [line.seq for line in first] == [1, 2, 3, 4, 5]
    for number in range(26, 31):
        writer.write("stdout", f"line {number}")
    writer.close()
    finish(principal, run_id)
    assert await asyncio.wait_for(collect(principal, run_id, after_seq=last_seq), 10) == list(
        range(26, 31)
    ), "the follow from the tail's seq misses nothing and repeats nothing"


async def test_another_organisation_cannot_read_the_tail(running):
    principal, run_id = running
    _, _, stranger = await make_owned_org()
    async with tenant_session(stranger.org_id) as session:
        with pytest.raises(NotFound):
            await run_logs.read_tail(session=session, principal=stranger, run_id=run_id)
