"""`etlfabric run <kind> <name> --org <slug> [--wait]`: a run from the command line, through a real
worker; the exit code says whether it succeeded."""

from __future__ import annotations

from tests.factories import audit_rows, make_owned_org
from tests.run_factories import load, make_script
from tests.test_cli import etlfabric


async def test_run_waits_and_exits_with_the_outcome(celery_worker):
    org, _, owner = await make_owned_org()
    await make_script(
        org.id, name="Nightly", content="import os\nprint(os.environ['ETLFABRIC_PAYLOAD'])\n"
    )
    await make_script(org.id, name="Broken", content="raise SystemExit(4)\n")

    done = etlfabric(
        "run", "script", "Nightly", "--org", org.slug, "--wait", "--payload", '{"a": 1}'
    )
    assert done.returncode == 0, done.stderr
    first, last = done.stdout.splitlines()[:2]
    run_id = int(first.split()[1])
    assert first == f"run {run_id} queued" and last == f"run {run_id} succeeded (exit code 0)"
    run = load(org.id, run_id)
    assert (run.trigger.value, run.payload) == ("manual", {"a": 1})
    assert [row.actor_label for row in await audit_rows(owner, "run", run_id)] == ["command line"]

    failed = etlfabric("run", "script", "Broken", "--org", org.slug, "--wait")
    assert failed.returncode == 1
    assert failed.stdout.splitlines()[1].endswith("failed (exit code 4)")


async def test_run_names_what_it_cannot_find():
    org, _, _ = await make_owned_org()
    missing = etlfabric("run", "script", "Nope", "--org", org.slug)
    assert missing.returncode == 2 and "No script is named 'Nope'" in missing.stderr
    no_org = etlfabric("run", "script", "Nope", "--org", "no-such-org")
    assert no_org.returncode == 2 and "no-such-org" in no_org.stderr
