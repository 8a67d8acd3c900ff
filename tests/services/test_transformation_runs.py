"""The transformations list's last run and last test per model, read from the Runs."""

from __future__ import annotations

from etlfabric.services import transformation_runs
from tests.factories import call, make_owned_org
from tests.transformation_factories import model, queue


async def test_each_model_has_its_latest_run_or_build_and_its_latest_test():
    _, _, owner = await make_owned_org()
    org = owner.org_id
    orders = model(org, "orders", "select 1 as id")
    totals = model(org, "totals", "select 2 as id")
    untouched = model(org, "untouched", "select 3 as id")
    queue(org, orders.id, "orders", {"command": "run", "select": "orders"})
    first_test = queue(org, orders.id, "orders", {"command": "test", "select": "orders"})
    build = queue(org, orders.id, "orders", {"command": "build", "select": "+orders"})
    last_test = queue(org, orders.id, "orders", {"command": "test", "select": "orders"})
    only_run = queue(org, totals.id, "totals", {"command": "run", "select": "totals+"})
    queue(org, 0, "dbt project", {"command": "build", "select": None})  # the whole project

    latest = await call(transformation_runs.latest_runs, owner)

    assert latest[orders.id]["run"].id == build
    assert latest[orders.id]["test"].id == last_test != first_test
    assert latest[totals.id] == {"run": latest[totals.id]["run"]}
    assert latest[totals.id]["run"].id == only_run
    assert untouched.id not in latest and 0 not in latest
