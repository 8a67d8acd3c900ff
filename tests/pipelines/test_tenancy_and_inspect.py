"""A pipeline stays inside its organisation; what it loaded is read back with the workload role;
its state can be seen and reset."""

from __future__ import annotations

import io
import json

import pytest

from etlfabric.errors import NotFound
from etlfabric.models import RunStatus
from etlfabric.pipelines import child, inspect
from etlfabric.services import tenancy
from tests.factories import make_owned_org
from tests.pipeline_factories import (
    SOURCE_PASSWORD,
    make_pipeline,
    postgres_source,
    source_sql,
    warehouse,
)
from tests.pipeline_runs import execute


async def test_a_pipeline_cannot_write_into_another_organisations_schema(owner, source_db):
    source_sql(source_db, "CREATE TABLE t_iso (id int PRIMARY KEY)", "INSERT INTO t_iso VALUES (1)")
    _, _, other = await make_owned_org()
    source = await postgres_source(owner.org_id, source_db)
    wh = await warehouse(owner.org_id)
    # by the code: a dataset that is not one of this org's data schemas never runs
    bad = await make_pipeline(
        owner,
        source,
        wh,
        direct=True,
        dataset_name=f"t{other.org_id}_raw",
        config={"table": "t_iso"},
    )
    run, texts = execute(owner.org_id, bad)
    assert run.status is RunStatus.failed and "not one of this organisation's" in run.error
    # by the database: the child handed the other org's schema is refused by PostgreSQL
    good = await make_pipeline(owner, source, wh, config={"table": "t_iso"})
    from etlfabric.db import sync_tenant_session
    from etlfabric.models import Connection, Organization
    from etlfabric.pipelines import spec as spec_module

    with sync_tenant_session(owner.org_id) as session:
        org = session.get(Organization, owner.org_id)
        src, dst = session.get(Connection, source.id), session.get(Connection, wh.id)
        handed = spec_module.build_spec(
            org=org, pipeline=good, source=src, destination=dst, data_dir=_tmp_dir()
        )
    handed["dataset"] = tenancy.data_schema(other.org_id, "raw")
    with pytest.raises(child.failures.RunFailed) as refused:
        child.run(handed)
    assert "permission denied" in refused.value.result["error"]


def _tmp_dir():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp(prefix="etf-spec-"))


async def test_disabled_pipeline_is_refused(owner, source_db):
    source = await postgres_source(owner.org_id, source_db)
    pipeline = await make_pipeline(
        owner, source, await warehouse(owner.org_id), direct=True, enabled=False
    )
    run, _ = execute(owner.org_id, pipeline)
    assert run.status is RunStatus.failed and "is disabled" in run.error


async def test_tables_preview_state_reset_and_full_refresh(owner, source_db):
    source_sql(
        source_db,
        "CREATE TABLE people (id int PRIMARY KEY, name text, email text)",
        "INSERT INTO people VALUES (1, 'ann', 'ann@x.io'), (2, 'bob', 'bob@x.io')",
    )
    source = await postgres_source(owner.org_id, source_db)
    pipeline = await make_pipeline(
        owner,
        source,
        await warehouse(owner.org_id),
        config={"table": "people", "incremental": {"cursor_column": "id", "initial_value": 0}},
        sensitive_columns=["email"],
    )
    run, texts = execute(owner.org_id, pipeline)
    assert run.status is RunStatus.succeeded, (run.error, texts)
    tables = inspect.list_tables(owner.org_id, pipeline)
    assert [t["name"] for t in tables] == ["people"]
    columns = {c["name"]: c["data_type"] for c in tables[0]["columns"]}
    assert (
        columns["id"] == "bigint"
        and columns["name"] == "character varying"
        and "email" not in columns
    )
    names, rows = inspect.preview_rows(owner.org_id, pipeline, "people", limit=100)
    assert names == ["id", "name"] and sorted(rows) == [[1, "ann"], [2, "bob"]]
    assert "ann@x.io" not in json.dumps(rows)
    with pytest.raises(NotFound):
        inspect.preview_rows(owner.org_id, pipeline, "pg_authid")

    state = inspect.pipeline_state(owner.org_id, pipeline.id)
    assert (
        state["cursors"] == {"people": {"id": 2}}
        and state["last_load_id"] == run.details["load_id"]
    )
    inspect.reset_state(owner.org_id, pipeline.id)
    assert inspect.pipeline_state(owner.org_id, pipeline.id)["reset_pending"] == "state"
    again, texts = execute(owner.org_id, pipeline)  # cursor forgotten: both rows again (append)
    assert again.status is RunStatus.succeeded and again.rows_loaded == 2, (again.error, texts)
    assert inspect.pipeline_state(owner.org_id, pipeline.id)["reset_pending"] is None
    refreshed, texts = execute(owner.org_id, pipeline, payload={"full_refresh": True})
    assert refreshed.status is RunStatus.succeeded and refreshed.rows_loaded == 2, (
        refreshed.error,
        texts,
    )
    _, rows = inspect.preview_rows(owner.org_id, pipeline, "people")
    assert sorted(rows) == [[1, "ann"], [2, "bob"]]  # dropped and reloaded: no duplicates
    log = io.StringIO("\n".join(texts))
    assert SOURCE_PASSWORD not in log.getvalue()


def test_the_child_environment_is_an_allowlist(tmp_path, monkeypatch):
    from etlfabric.pipelines.executor import child_environment

    monkeypatch.setenv("FERNET_KEYS", "platform-secret")
    env = child_environment(tmp_path)
    assert not {"DATABASE_URL", "FERNET_KEYS", "SECRET_KEY", "REDIS_URL"} & env.keys()
    assert "platform-secret" not in json.dumps(env)
