"""The run history: filters, pagination, sorting, search in output, CSV and XLSX export."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql

from etlfabric.db import tenant_session
from etlfabric.errors import Invalid
from etlfabric.models import Run, RunLog
from etlfabric.services import run_queries
from etlfabric.services.run_queries import RunFilter
from tests.factories import make_owned_org

NOW = datetime.now(UTC).replace(microsecond=0)
# (status, target type, target id, trigger, hours ago, duration ms, output)
HISTORY = [
    ("succeeded", "script", 1, "manual", 1, 1200, ["loaded 10 rows", "all good"]),
    ("failed", "script", 1, "schedule", 2, 300, ["Traceback", "KeyError: customer_id"]),
    ("succeeded", "script", 2, "api", 3, 50, ["nothing to do"]),
    ("timed_out", "pipeline", 7, "schedule", 30, 300000, ["extracting customers"]),
    ("queued", "script", 2, "manual", 0, None, []),
    ("cancelled", "transformation", 9, "dependency", 50, 10, ['=HYPERLINK("x")']),
]


@pytest.fixture(scope="module")
async def history():
    """An organisation with HISTORY, and a second organisation with one run of its own."""
    _, _, principal = await make_owned_org()
    _, _, stranger = await make_owned_org()
    ids = []
    async with tenant_session(principal.org_id) as session:
        for status, kind, target, trigger, hours, ms, output in HISTORY:
            queued = NOW - timedelta(hours=hours)
            run = Run(
                status=status,
                target_type=kind,
                target_id=target,
                target_name=f"=target {target}" if kind == "transformation" else f"target {target}",
                trigger=trigger,
                queued_at=queued,
                started_at=None if status == "queued" else queued,
                duration_ms=ms,
                error="-1 is not a number" if status == "failed" else None,
            )
            session.add(run)
            await session.flush()
            ids.append(run.id)
            for seq, text in enumerate(output, start=1):
                session.add(RunLog(run_id=run.id, seq=seq, ts=queued, stream="stdout", text=text))
    async with tenant_session(stranger.org_id) as session:
        session.add(Run(status="failed", target_type="script", target_id=1, trigger="manual"))
    return principal, stranger, ids


async def page_ids(principal, **options):
    async with tenant_session(principal.org_id) as session:
        result = await run_queries.list_runs(session=session, principal=principal, **options)
    return [run.id for run in result.items], result.total


async def test_newest_first_by_default_and_paginated_on_the_server(history):
    principal, _, ids = history
    newest_first = [ids[4], ids[0], ids[1], ids[2], ids[3], ids[5]]
    assert await page_ids(principal) == (newest_first, 6)
    assert await page_ids(principal, page=2, page_size=4) == (newest_first[4:], 6)
    assert await page_ids(principal, page=9, page_size=4) == ([], 6)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (RunFilter(status=["failed", "timed_out"]), [1, 3]),
        (RunFilter(target_type="script"), [4, 0, 1, 2]),
        (RunFilter(target_type="script", target_id=2), [4, 2]),
        (RunFilter(trigger="schedule"), [1, 3]),
        (RunFilter(since=NOW - timedelta(hours=2, minutes=30)), [4, 0, 1]),
        (RunFilter(until=NOW - timedelta(hours=2, minutes=30)), [2, 3, 5]),
        (RunFilter(search="KeyError"), [1]),
        (RunFilter(search="customers"), [3]),
        (RunFilter(search="loaded rows"), [0]),
        (RunFilter(search="loaded missing"), []),
        (RunFilter(status=["succeeded"], search="good"), [0]),
    ],
)
async def test_filters(history, filters, expected):
    principal, _, ids = history
    assert await page_ids(principal, filters=filters) == ([ids[i] for i in expected], len(expected))


async def test_sorting(history):
    principal, _, ids = history
    by_duration = await page_ids(principal, sort="-duration_ms")
    assert by_duration[0] == [ids[3], ids[0], ids[1], ids[2], ids[5], ids[4]], "nulls last"
    assert (await page_ids(principal, sort="queued_at"))[0][0] == ids[5]
    with pytest.raises(Invalid) as refused:
        await page_ids(principal, sort="password")
    assert refused.value.field == "sort"


async def test_search_can_use_the_full_text_index(history):
    """The expression must match the indexed one exactly (a bound 'simple' would not)."""
    principal, *_ = history
    query = select(Run.id).where(run_queries.output_matches("KeyError"))
    sql = query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
    async with tenant_session(principal.org_id) as session:
        await session.execute(text(f"SET LOCAL search_path TO tenant_{principal.org_id}"))
        await session.execute(text("SET LOCAL enable_seqscan TO off"))  # a tiny table otherwise
        plan = "\n".join(row[0] for row in await session.execute(text(f"EXPLAIN {sql}")))
    assert "ix_run_logs_text_search" in plan, plan


async def test_another_organisation_sees_only_its_own_runs(history):
    _, stranger, _ = history
    assert (await page_ids(stranger))[1] == 1, "run ids are per organisation; rows are not shared"
    assert await page_ids(stranger, filters=RunFilter(search="KeyError")) == ([], 0)


async def export(principal, format, filters=None):
    async with tenant_session(principal.org_id) as session:
        return await run_queries.export_runs(
            session=session, principal=principal, filters=filters or RunFilter(), format=format
        )


async def test_csv_export_of_the_filtered_list(history):
    principal, _, ids = history
    content, media_type, filename = await export(principal, "csv", RunFilter(target_type="script"))
    assert media_type.startswith("text/csv") and filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [int(row["id"]) for row in rows] == [ids[4], ids[0], ids[1], ids[2]]
    failed = rows[2]
    assert failed["status"] == "failed" and failed["trigger"] == "schedule"
    assert failed["error"] == "'-1 is not a number", "no cell a spreadsheet would run"
    assert failed["queued_at"].endswith("Z") and failed["duration_ms"] == "300"


async def test_xlsx_export_reads_back_with_openpyxl(history):
    principal, _, ids = history
    content, media_type, filename = await export(principal, "xlsx")
    assert "spreadsheetml" in media_type and filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header == list(run_queries.EXPORT_COLUMNS)
    column = {name: index for index, name in enumerate(header)}
    assert [row[column["id"]] for row in rows] == [ids[4], ids[0], ids[1], ids[2], ids[3], ids[5]]
    oldest = rows[-1]
    assert oldest[column["target_name"]] == "'=target 9" and oldest[column["status"]] == "cancelled"
    assert isinstance(oldest[column["queued_at"]], datetime)
    assert oldest[column["queued_at"]] == (NOW - timedelta(hours=50)).replace(tzinfo=None)


async def test_export_refuses_an_unknown_format(history):
    principal, *_ = history
    with pytest.raises(Invalid) as refused:
        await export(principal, "pdf")
    assert refused.value.field == "format"
