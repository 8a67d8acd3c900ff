"""The run history: filtered, sorted, paginated on the server, searchable in output, exportable.

`session` is always the principal's tenant session, so another organisation's runs are not there.
Search in output uses the GIN index on run_logs (`to_tsvector('simple', text)`): the expression
here must stay exactly the indexed one, with the configuration as a constant, not a parameter.
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.errors import Invalid
from etlfabric.models import Run, RunLog, RunStatus, TargetType, Trigger
from etlfabric.services.permissions import Principal, require

MAX_PAGE_SIZE = 200
MAX_EXPORT_ROWS = 100_000
DEFAULT_SORT = "-queued_at"
SORTS = {
    "id": Run.id,
    "queued_at": Run.queued_at,
    "started_at": Run.started_at,
    "finished_at": Run.finished_at,
    "duration_ms": Run.duration_ms,
    "status": Run.status,
    "target_name": Run.target_name,
    "trigger": Run.trigger,
    "attempt": Run.attempt,
    "peak_memory_mb": Run.peak_memory_mb,
}
EXPORT_COLUMNS = (
    "id",
    "status",
    "target_type",
    "target_id",
    "target_name",
    "trigger",
    "attempt",
    "max_attempts",
    "queued_at",
    "started_at",
    "finished_at",
    "duration_ms",
    "exit_code",
    "peak_memory_mb",
    "cpu_time_ms",
    "rows_loaded",
    "error",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SIMPLE = literal_column("'simple'::regconfig")


@dataclass(frozen=True)
class RunFilter:
    status: Sequence[RunStatus] = field(default_factory=tuple)  # any of these
    target_type: TargetType | None = None
    target_id: int | None = None
    trigger: Trigger | None = None
    since: datetime | None = None  # queued at or after
    until: datetime | None = None  # queued before
    search: str = ""  # words that must all appear in one line of output
    flow_id: int | None = None


@dataclass(frozen=True)
class Page:
    items: list[Run]
    total: int
    page: int
    page_size: int


def output_matches(words: str):
    """Runs with a log line containing every word (served by the GIN index on run_logs)."""
    matching = func.to_tsvector(_SIMPLE, RunLog.text).op("@@")(func.plainto_tsquery(_SIMPLE, words))
    return Run.id.in_(select(RunLog.run_id).where(matching))


def _filtered(filters: RunFilter) -> Select:
    query = select(Run)
    if filters.status:
        query = query.where(Run.status.in_([RunStatus(s) for s in filters.status]))
    if filters.target_type is not None:
        query = query.where(Run.target_type == TargetType(filters.target_type))
    if filters.target_id is not None:
        query = query.where(Run.target_id == filters.target_id)
    if filters.trigger is not None:
        query = query.where(Run.trigger == Trigger(filters.trigger))
    if filters.since is not None:
        query = query.where(Run.queued_at >= filters.since)
    if filters.until is not None:
        query = query.where(Run.queued_at < filters.until)
    if filters.since and filters.until and filters.since >= filters.until:
        raise Invalid("until", "The end of the date range must be after its start.")
    if filters.flow_id is not None:
        query = query.where(Run.flow_id == filters.flow_id)
    if filters.search.strip():
        query = query.where(output_matches(filters.search.strip()[:200]))
    return query


def _ordered(query: Select, sort: str) -> Select:
    """`sort` is a column name, `-` in front for descending; ties broken by id the same way."""
    name = (sort or DEFAULT_SORT).strip()
    descending = name.startswith("-")
    column = SORTS.get(name.lstrip("-"))
    if column is None:
        choices = ", ".join(sorted(SORTS))
        raise Invalid("sort", f"Sort by one of: {choices} (prefix '-' for descending).")
    if descending:
        return query.order_by(column.desc().nulls_last(), Run.id.desc())
    return query.order_by(column.asc().nulls_last(), Run.id.asc())


async def list_runs(
    *,
    session: AsyncSession,
    principal: Principal,
    filters: RunFilter = RunFilter(),
    page: int = 1,
    page_size: int = 50,
    sort: str = DEFAULT_SORT,
) -> Page:
    require(principal, "resources.read")
    page, page_size = max(1, page), min(max(1, page_size), MAX_PAGE_SIZE)
    query = _filtered(filters)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        _ordered(query, sort).offset((page - 1) * page_size).limit(page_size)
    )
    return Page(items=list(rows), total=total or 0, page=page, page_size=page_size)


# --- export -----------------------------------------------------------------------------------


def safe_cell(value):
    """A safe cell: enums as text, times in UTC, no text a spreadsheet would run as a formula."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


async def export_rows(
    *, session: AsyncSession, principal: Principal, filters: RunFilter, sort: str = DEFAULT_SORT
) -> list[list]:
    """The header and up to MAX_EXPORT_ROWS rows of the filtered, sorted list."""
    require(principal, "resources.read")
    runs = await session.scalars(_ordered(_filtered(filters), sort).limit(MAX_EXPORT_ROWS))
    body = [[safe_cell(getattr(run, name)) for name in EXPORT_COLUMNS] for run in runs]
    return [list(EXPORT_COLUMNS), *body]


def to_csv(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([f"{v.isoformat()}Z" if isinstance(v, datetime) else v for v in row])
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def to_xlsx(rows: list[list], sheet_name: str = "Runs") -> bytes:
    """One sheet (Excel allows 31 characters in its name); control characters, which Excel
    refuses, are dropped from text."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_name[:31])
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXPORTERS = {
    "csv": (to_csv, "text/csv; charset=utf-8"),
    "xlsx": (to_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


async def export_runs(
    *,
    session: AsyncSession,
    principal: Principal,
    filters: RunFilter,
    format: str,
    sort: str = DEFAULT_SORT,
) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the filtered list as CSV or XLSX."""
    if format not in EXPORTERS:
        raise Invalid("format", "Choose csv or xlsx.")
    rows = await export_rows(session=session, principal=principal, filters=filters, sort=sort)
    convert, media_type = EXPORTERS[format]
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return convert(rows), media_type, f"runs-{stamp}.{format}"
