"""`etlfabric run <kind> <name> --org <slug> [--wait]`: a run from the command line, through a real
worker (scripts, a dbt model, the whole dbt project); the exit code says whether it succeeded."""

from __future__ import annotations

from etlfabric.services.targets import PROJECT_NAME
from tests.factories import audit_rows, make_owned_org
from tests.run_factories import load, make_script
from tests.test_cli import etlfabric
from tests.transformation_factories import model, nodes, workload_sql


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


async def test_run_a_transformation_and_the_whole_dbt_project(celery_worker):
    org, _, _ = await make_owned_org()
    model(org.id, "stg_cli", "select 3 as id", materialization="table")
    done = etlfabric("run", "transformation", "stg_cli", "--org", org.slug, "--wait")
    assert done.returncode == 0, (done.stdout, done.stderr)
    run = load(org.id, int(done.stdout.split()[1]))
    assert run.details["dbt"]["select"] == "stg_cli" and set(nodes(run)) == {"stg_cli"}
    assert workload_sql(org.id, f"select id from t{org.id}_staging.stg_cli") == [(3,)]

    built = etlfabric("run", "transformation", PROJECT_NAME, "--org", org.slug, "--wait")
    assert built.returncode == 0, (built.stdout, built.stderr)
    run = load(org.id, int(built.stdout.split()[1]))
    assert (run.target_id, run.details["dbt"]["command"]) == (0, "build")
