"""What a pipeline loaded and remembers, through the service: the incremental cursor in its state,
a confirmed and audited reset after which the next run starts over, tables, preview and export
without the sensitive columns; viewers read, other organisations see nothing."""

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from etlfabric.db import tenant_session
from etlfabric.errors import Invalid, NotFound, PermissionDenied
from etlfabric.models import AuditLog, Organization, RunStatus
from etlfabric.services import pipeline_data
from tests.factories import call, make_member, make_owned_org
from tests.pipeline_factories import make_pipeline, postgres_source, source_sql, warehouse
from tests.pipeline_runs import execute


async def viewer_of(principal):
    async with tenant_session(principal.org_id) as session:
        org = await session.get(Organization, principal.org_id)
    return (await make_member(org, "viewer"))[1]


async def test_state_shows_the_cursor_and_a_reset_makes_the_next_run_start_over(owner, source_db):
    source_sql(
        source_db,
        "CREATE TABLE events (id int PRIMARY KEY, name text, changed_at timestamptz)",
        "INSERT INTO events VALUES (1, 'a', '2024-03-01 10:00+00'), "
        "(2, 'b', '2024-03-02 11:30+00')",
    )
    pipeline = await make_pipeline(
        owner,
        await postgres_source(owner.org_id, source_db),
        await warehouse(owner.org_id),
        config={
            "table": "events",
            "incremental": {"cursor_column": "changed_at", "initial_value": "2024-01-01"},
        },
    )
    empty = await call(pipeline_data.state, owner, pipeline_id=pipeline.id)
    assert empty == {
        "cursors": {},
        "last_load_id": None,
        "last_load_at": None,
        "last_extracted_at": None,
        "reset_pending": None,
    }
    first, texts = execute(owner.org_id, pipeline)
    assert first.status is RunStatus.succeeded and first.rows_loaded == 2, (first.error, texts)

    state = await call(pipeline_data.state, owner, pipeline_id=pipeline.id)
    assert state["cursors"] == {"events": {"changed_at": "2024-03-02T11:30:00+00:00"}}
    assert state["last_load_id"] == first.details["load_id"]
    assert state["last_extracted_at"][:2] == "20" and state["reset_pending"] is None

    viewer = await viewer_of(owner)
    assert (await call(pipeline_data.state, viewer, pipeline_id=pipeline.id)) == state
    with pytest.raises(PermissionDenied):
        await call(pipeline_data.reset, viewer, pipeline_id=pipeline.id, confirm=pipeline.name)
    _, _, stranger = await make_owned_org()
    with pytest.raises(NotFound):
        await call(pipeline_data.state, stranger, pipeline_id=pipeline.id)
    with pytest.raises(Invalid) as wrong:
        await call(pipeline_data.reset, owner, pipeline_id=pipeline.id, confirm="something else")
    assert wrong.value.field == "confirm"

    reset = await call(pipeline_data.reset, owner, pipeline_id=pipeline.id, confirm=pipeline.name)
    assert reset["cursors"] == {} and reset["reset_pending"] == "state"
    async with tenant_session(owner.org_id) as session:
        [audited] = await session.scalars(
            select(AuditLog).where(
                AuditLog.action == "pipeline.reset_state",
                AuditLog.resource_id == str(pipeline.id),
            )
        )
    assert audited.old_values == {"cursors": state["cursors"]}
    assert audited.actor_user_id == owner.user_id

    source_sql(source_db, "INSERT INTO events VALUES (3, 'c', '2024-03-03 09:15+00')")
    again, texts = execute(owner.org_id, pipeline)  # from the initial value: all three rows
    assert again.status is RunStatus.succeeded and again.rows_loaded == 3, (again.error, texts)
    after = await call(pipeline_data.state, owner, pipeline_id=pipeline.id)
    assert after["cursors"] == {"events": {"changed_at": "2024-03-03T09:15:00+00:00"}}
    assert after["reset_pending"] is None and after["last_load_id"] == again.details["load_id"]


async def test_tables_preview_and_exports_leave_the_sensitive_columns_out(owner, source_db):
    source_sql(
        source_db,
        "CREATE TABLE people (id int PRIMARY KEY, name text, email text, joined date, "
        "score numeric(6,2), note text)",
        "INSERT INTO people VALUES (1, 'ann', 'ann@x.io', '2024-01-05', 1.5, '=1+1'), "
        "(2, 'bob', 'bob@x.io', '2024-02-06', 20, E'bell\\007 rings')",
    )
    pipeline = await make_pipeline(
        owner,
        await postgres_source(owner.org_id, source_db),
        await warehouse(owner.org_id),
        config={"table": "people"},
        sensitive_columns=["Email"],
    )
    run, texts = execute(owner.org_id, pipeline)
    assert run.status is RunStatus.succeeded, (run.error, texts)

    [table] = await call(pipeline_data.tables, owner, pipeline_id=pipeline.id)
    types = {c["name"]: c["data_type"] for c in table["columns"]}
    assert table["name"] == "people" and "email" not in types
    assert (types["id"], types["joined"], types["score"]) == ("bigint", "date", "numeric")
    assert list(types) == ["id", "name", "joined", "score", "note"]

    viewer = await viewer_of(owner)
    columns, rows = await call(
        pipeline_data.preview, viewer, pipeline_id=pipeline.id, table="people"
    )
    assert columns == ["id", "name", "joined", "score", "note"]
    assert sorted(rows) == [
        [1, "ann", "2024-01-05", "1.50", "=1+1"],
        [2, "bob", "2024-02-06", "20.00", "bell\x07 rings"],
    ]
    _, one = await call(
        pipeline_data.preview, owner, pipeline_id=pipeline.id, table="people", limit=1
    )
    assert len(one) == 1
    with pytest.raises(NotFound) as unknown:
        await call(pipeline_data.preview, owner, pipeline_id=pipeline.id, table="nope")
    assert unknown.value.message == "The pipeline has not loaded a table named 'nope'."

    content, filename, media_type = await call(
        pipeline_data.export, viewer, pipeline_id=pipeline.id, table="people", fmt="csv"
    )
    assert (filename, media_type) == ("people.csv", "text/csv; charset=utf-8")
    text = content.decode("utf-8-sig")
    assert "ann@x.io" not in text and "email" not in text
    header, *body = list(csv.reader(io.StringIO(text)))
    assert header == columns
    assert sorted(body)[0] == ["1", "ann", "2024-01-05", "1.50", "'=1+1"]  # never a formula

    content, filename, _ = await call(
        pipeline_data.export, owner, pipeline_id=pipeline.id, table="people", fmt="xlsx"
    )
    sheet = load_workbook(io.BytesIO(content)).active
    assert filename == "people.xlsx" and sheet.title == "people"
    read_back = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert read_back[0] == columns and len(read_back) == 3
    assert sorted(read_back[1:]) == [
        [1, "ann", "2024-01-05", "1.50", "'=1+1"],
        [2, "bob", "2024-02-06", "20.00", "bell rings"],  # Excel refuses control characters
    ]
    with pytest.raises(Invalid) as bad_format:
        await call(pipeline_data.export, owner, pipeline_id=pipeline.id, table="people", fmt="pdf")
    assert bad_format.value.field == "format"
