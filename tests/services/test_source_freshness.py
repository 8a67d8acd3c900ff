"""Each declared source's freshness, read back from real `dbt source freshness` runs."""

from __future__ import annotations

from etlfabric.models import RunStatus
from etlfabric.services import source_freshness
from tests.factories import call, make_member, make_owned_org
from tests.transformation_factories import execute, queue, source, workload_sql

HOUR = {"count": 1, "period": "hour"}


def loaded(org: int, table: str, hours_ago: int) -> None:
    """A raw table whose one row loaded `hours_ago` hours ago."""
    workload_sql(
        org,
        f"CREATE TABLE t{org}_raw.{table} (id int, loaded_at timestamp)",
        f"INSERT INTO t{org}_raw.{table} VALUES"
        f" (1, now() at time zone 'utc' - interval '{hours_ago} hours')",
    )


async def test_each_source_reads_its_latest_status_age_and_check():
    org_row, _, owner = await make_owned_org()
    org = owner.org_id
    for table, hours in (("fresh", 0), ("late", 3), ("stale", 10)):
        loaded(org, table, hours)
    limits = {"loaded_at_field": "loaded_at", "warn_after": HOUR}
    fresh = source(org, "fresh", source_name="feeds", **limits)
    late = source(org, "late", source_name="feeds", **limits, error_after={**HOUR, "count": 6})
    stale = source(org, "stale", source_name="feeds", **limits, error_after={**HOUR, "count": 2})
    broken = source(org, "fresh", source_name="other", **{**limits, "loaded_at_field": "nope"})
    plain = source(org, "late", source_name="plain")  # no thresholds: dbt skips it

    run, log = execute(org, None, command="freshness")
    assert run.status is RunStatus.failed, log  # a source past error_after fails the check
    added = source(org, "stale", source_name="later", **limits)  # declared after the check

    _, viewer = await make_member(org_row, "viewer")
    found = await call(source_freshness.source_freshness, viewer)

    assert {k: v.status for k, v in found.items()} == {
        fresh.id: "pass",
        late.id: "warn",
        stale.id: "error",
        broken.id: "runtime error",
        plain.id: "unset",
        added.id: "never",
    }
    assert 3 * 3600 - 120 < found[late.id].age_seconds < 3 * 3600 + 600
    assert found[stale.id].max_loaded_at.startswith(str(run.queued_at.year))
    assert found[late.id].checked_at == run.finished_at and found[late.id].run_id == run.id
    assert "nope" in found[broken.id].message
    assert found[added.id].checked_at is None and found[plain.id].run_id is None


async def test_a_check_still_going_leaves_the_last_finished_results_in_place():
    _, _, owner = await make_owned_org()
    org = owner.org_id
    loaded(org, "orders", 0)
    orders = source(org, "orders", loaded_at_field="loaded_at", warn_after=HOUR)
    assert (await call(source_freshness.source_freshness, owner))[orders.id].status == "never"
    assert await call(source_freshness.latest_check, owner) is None

    finished, log = execute(org, None, command="freshness")
    assert finished.status is RunStatus.succeeded, (finished.error, log)
    going = queue(org, 0, "dbt source freshness", {"command": "freshness", "select": None})

    found = await call(source_freshness.source_freshness, owner)
    assert found[orders.id].status == "pass" and found[orders.id].run_id == finished.id
    assert (await call(source_freshness.latest_check, owner)).id == going
    _, _, stranger = await make_owned_org()
    assert await call(source_freshness.source_freshness, stranger) == {}
