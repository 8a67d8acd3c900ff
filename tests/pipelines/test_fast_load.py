"""The fast load (etlfabric/pipelines/fastload.py): SQL tables go to the Warehouse as Parquet
through a binary COPY where dlt's ADBC job handles them, and the CSV way everywhere else."""

from __future__ import annotations

from etlfabric.config import get_settings
from etlfabric.models import RunStatus
from etlfabric.pipelines import inspect, state
from etlfabric.pipelines.spec import pipeline_dir, pipeline_name
from tests.pipeline_factories import make_pipeline, postgres_source, source_sql, warehouse
from tests.pipeline_runs import execute

WIDE = (
    "CREATE TABLE {name} (id int PRIMARY KEY, small smallint, big bigint, ratio real, "
    "price numeric(8,2), label varchar(20), ok boolean, day date, at timestamp, "
    "at_tz timestamptz)"
)
ROW = "({id}, 7, 9000000000, 1.5, 12.34, 'x{id}', true, '2024-05-01', '2024-05-01 08:00:00', "
ROW += "'2024-05-01 08:00:00+00')"


def load_line(texts: list[str]) -> str:
    return next(t for t in texts if t.startswith("load: "))


async def test_every_safe_type_goes_as_parquet_appends_incrementally_and_merges(owner, source_db):
    source_sql(source_db, WIDE.format(name="wide"), "INSERT INTO wide VALUES " + ROW.format(id=1))
    source = await postgres_source(owner.org_id, source_db)
    wh = await warehouse(owner.org_id)
    appended = await make_pipeline(
        owner,
        source,
        wh,
        config={"table": "wide", "incremental": {"cursor_column": "id", "initial_value": 0}},
    )
    merged = await make_pipeline(
        owner,
        source,
        wh,
        dataset_name="staging",
        config={"table": "wide"},
        write_disposition="merge",
        primary_key=["id"],
    )
    for pipeline in (appended, merged):
        run, texts = execute(owner.org_id, pipeline)
        assert run.status is RunStatus.succeeded, (run.error, texts)
        assert run.details["tables"] == {"wide": 1}
        assert load_line(texts).endswith("; binary COPY: wide)"), texts
    source_sql(source_db, "INSERT INTO wide VALUES " + ROW.format(id=2))
    source_sql(source_db, "UPDATE wide SET label = 'changed' WHERE id = 1")
    for pipeline, rows in ((appended, 1), (merged, 2)):
        run, texts = execute(owner.org_id, pipeline)
        assert run.status is RunStatus.succeeded and run.rows_loaded == rows, (run.error, texts)
        assert "binary COPY: wide" in load_line(texts), texts

    names, rows = inspect.preview_rows(owner.org_id, appended, "wide")
    assert names == ["id", "small", "big", "ratio", "price", "label", "ok", "day", "at", "at_tz"]
    first = sorted(rows)[0]
    assert first[:8] == [1, 7, 9000000000, 1.5, "12.34", "x1", True, "2024-05-01"], first
    assert first[8].startswith("2024-05-01T08:00:00") and first[9].startswith("2024-05-01T08:00")
    _, rows = inspect.preview_rows(owner.org_id, merged, "wide")
    assert sorted((r[0], r[5]) for r in rows) == [(1, "changed"), (2, "x2")]


async def test_an_empty_table_is_created_then_its_rows_go_as_parquet_pinned_or_not(
    owner, source_db
):
    source_sql(source_db, WIDE.format(name="later"))
    source = await postgres_source(owner.org_id, source_db)
    pinned = {"table": "later", "options": {"loader_file_format": "parquet"}}
    pipeline = await make_pipeline(owner, source, await warehouse(owner.org_id), config=pinned)
    empty, texts = execute(owner.org_id, pipeline)
    assert empty.status is RunStatus.succeeded, (empty.error, texts)
    assert empty.rows_loaded == 0 and "binary COPY" not in load_line(texts), texts
    assert inspect.preview_rows(owner.org_id, pipeline, "later")[1] == []

    source_sql(source_db, "INSERT INTO later VALUES " + ROW.format(id=1))
    run, texts = execute(owner.org_id, pipeline)
    assert run.status is RunStatus.succeeded and run.rows_loaded == 1, (run.error, texts)
    assert "binary COPY: later" in load_line(texts), texts


async def test_json_columns_and_replace_keep_the_csv_way(owner, source_db):
    source_sql(
        source_db,
        "CREATE TABLE docs (id int PRIMARY KEY, body jsonb)",
        """INSERT INTO docs VALUES (1, '{"a": 1}'), (2, '[2]')""",
        "CREATE TABLE plain (id int PRIMARY KEY, name text)",
        "INSERT INTO plain VALUES (1, 'a')",
    )
    source = await postgres_source(owner.org_id, source_db)
    wh = await warehouse(owner.org_id)
    with_json = await make_pipeline(owner, source, wh, config={"table": "docs"})
    replaced = await make_pipeline(
        owner, source, wh, config={"table": "plain"}, write_disposition="replace"
    )
    for pipeline, rows in ((with_json, 2), (replaced, 1), (replaced, 1)):
        run, texts = execute(owner.org_id, pipeline)
        assert run.status is RunStatus.succeeded and run.rows_loaded == rows, (run.error, texts)
        assert "binary COPY" not in load_line(texts), texts
    _, rows = inspect.preview_rows(owner.org_id, with_json, "docs")
    assert sorted(rows) == [[1, {"a": 1}], [2, [2]]]
    assert inspect.preview_rows(owner.org_id, replaced, "plain")[1] == [[1, "a"]]


async def test_loaded_files_are_not_kept_but_the_last_load_is_known(owner, source_db):
    source_sql(source_db, WIDE.format(name="kept"), "INSERT INTO kept VALUES " + ROW.format(id=1))
    source = await postgres_source(owner.org_id, source_db)
    pipeline = await make_pipeline(
        owner, source, await warehouse(owner.org_id), config={"table": "kept"}
    )
    run, texts = execute(owner.org_id, pipeline)
    assert run.status is RunStatus.succeeded, (run.error, texts)

    folder = pipeline_dir(get_settings().data_dir, owner.org_id, pipeline.id)
    loaded = folder / pipeline_name(owner.org_id, pipeline.id) / "load" / "loaded"
    assert [p.name for p in loaded.iterdir()] == [run.details["load_id"]]
    assert not [p for p in loaded.rglob("*") if p.is_file() and "completed_jobs" in p.parts]
    assert state.read_state(owner.org_id, pipeline.id)["last_load_id"] == run.details["load_id"]
