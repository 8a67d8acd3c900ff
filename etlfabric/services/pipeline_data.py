"""What a pipeline has loaded and remembers, behind the role and tenant checks: its dlt state
(incremental cursors, last load), "reset state" (confirmed and audited), its tables with column
types, previews and exports of their rows without the sensitive columns.

The reading itself is etlfabric/pipelines/inspect.py (synchronous, with the organisation's
workload role); it runs in a thread so the web process never blocks on the warehouse.
"""

from __future__ import annotations

import asyncio
import json
import re

from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Invalid
from etlfabric.pipelines import inspect
from etlfabric.services import audit, run_queries
from etlfabric.services.permissions import Principal, require
from etlfabric.services.pipelines import load

PREVIEW_ROWS = 100
EXPORT_ROWS = inspect.MAX_PREVIEW
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")  # file and sheet names: header- and Excel-safe


async def state(*, session: AsyncSession, principal: Principal, pipeline_id: int) -> dict:
    """{"cursors": {resource: {column: value}}, "last_load_id", "last_load_at",
    "last_extracted_at", "reset_pending": None | "state" | "full_refresh"}."""
    require(principal, "resources.read")
    pipeline = await load(session, pipeline_id)
    return await asyncio.to_thread(inspect.pipeline_state, principal.org_id, pipeline.id)


async def reset(
    *, session: AsyncSession, principal: Principal, pipeline_id: int, confirm: str
) -> dict:
    """Forget the incremental cursors: the next run loads from the initial values again.
    `confirm` must repeat the pipeline's name (the UI asks for it); audited."""
    require(principal, "resources.write")
    pipeline = await load(session, pipeline_id, for_update=True)
    if (confirm or "").strip() != pipeline.name:
        raise Invalid("confirm", "Type the pipeline's name to confirm the reset.")
    before = await asyncio.to_thread(inspect.pipeline_state, principal.org_id, pipeline.id)
    await asyncio.to_thread(inspect.reset_state, principal.org_id, pipeline.id)
    await audit.record(
        session=session,
        principal=principal,
        action="pipeline.reset_state",
        resource_type="pipeline",
        resource_id=pipeline.id,
        old={"cursors": before["cursors"]},
    )
    return await asyncio.to_thread(inspect.pipeline_state, principal.org_id, pipeline.id)


async def tables(*, session: AsyncSession, principal: Principal, pipeline_id: int) -> list[dict]:
    """[{"name", "columns": [{"name", "data_type"}]}] of what the pipeline loaded."""
    require(principal, "resources.read")
    pipeline = await load(session, pipeline_id)
    return await asyncio.to_thread(inspect.list_tables, principal.org_id, pipeline)


async def preview(
    *,
    session: AsyncSession,
    principal: Principal,
    pipeline_id: int,
    table: str,
    limit: int = PREVIEW_ROWS,
) -> tuple[list[str], list[list]]:
    """(columns, rows): the first rows of a loaded table, sensitive columns removed."""
    require(principal, "resources.read")
    pipeline = await load(session, pipeline_id)
    return await asyncio.to_thread(inspect.preview_rows, principal.org_id, pipeline, table, limit)


async def export(
    *, session: AsyncSession, principal: Principal, pipeline_id: int, table: str, fmt: str
) -> tuple[bytes, str, str]:
    """(content, file name, media type) of a loaded table's first EXPORT_ROWS rows as CSV or
    XLSX (one sheet named after the table), sensitive columns removed."""
    if fmt not in run_queries.EXPORTERS:
        raise Invalid("format", "Export format must be csv or xlsx.")
    columns, rows = await preview(
        session=session,
        principal=principal,
        pipeline_id=pipeline_id,
        table=table,
        limit=EXPORT_ROWS,
    )
    cells = [columns, *([_cell(value) for value in row] for row in rows)]
    name = _UNSAFE_NAME.sub("_", table)
    if fmt == "xlsx":
        content = run_queries.to_xlsx(cells, sheet_name=name)
    else:
        content = run_queries.to_csv(cells)
    return content, f"{name}.{fmt}", run_queries.EXPORTERS[fmt][1]


def _cell(value):
    """JSON columns as JSON text; no text a spreadsheet would run as a formula."""
    if isinstance(value, dict | list):
        value = json.dumps(value, default=str)
    return run_queries.safe_cell(value)
