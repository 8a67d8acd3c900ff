"""dlt resources from a spec (runs in the child): SQL tables or databases through sql_database
(PostgreSQL through connectorx, streamed in batches, where it is installed: it reads the binary
protocol straight into Arrow, ~3× faster than the pyarrow backend's Python rows; other databases
with the pyarrow backend), files by glob (CSV, JSONL, Parquet as Arrow tables), REST APIs and OData
through dlt's REST client (retries with backoff on 429/5xx honouring Retry-After, timeouts).

Filters are applied at the source: a WHERE clause for SQL, an Arrow mask for files, a row filter
for REST.
"""

from __future__ import annotations

import operator
from pathlib import Path

import dlt
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_CHUNK = 50_000
OPS = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
MAX_HTTP_ATTEMPTS = 5


def resources(spec: dict) -> list:
    kind = spec["source"]["kind"]
    if kind == "sql":
        return sql_resources(spec)
    if kind == "files":
        return [files_resource(spec)]
    if kind in ("rest", "odata"):
        return http_resources(spec)
    raise ValueError(f"unknown source kind {kind!r}")


# --- SQL ------------------------------------------------------------------------------------


def _sql_condition(column, op: str, value):
    if op == "in":
        return column.in_(list(value))
    if op == "not_in":
        return column.not_in(list(value))
    return OPS[op](column, value)


def query_adapter(filters: list[dict]):
    """A WHERE clause per filter whose column the table has (the same filter on every table)."""

    def adapt(query, table):
        for item in filters:
            if item["column"] in table.c:
                query = query.where(
                    _sql_condition(table.c[item["column"]], item["op"], item["value"])
                )
        return query

    return adapt if filters else None


def sql_resources(spec: dict) -> list:
    from dlt.sources.sql_database import sql_database, sql_table

    config, options, source = spec["config"], spec["options"], spec["source"]
    backend = options.get("backend") or fastest_backend(source.get("dialect"))
    print(f"extract: reading {source.get('name') or 'the source'} with dlt's {backend} backend")
    common = {
        "credentials": source["url"],
        "schema": config.get("schema"),
        "backend": backend,
        "backend_kwargs": {"return_type": "arrow_stream"} if backend == "connectorx" else None,
        "chunk_size": spec.get("batch_size") or DEFAULT_CHUNK,
        "reflection_level": options.get("reflection_level", "full"),
        "query_adapter_callback": query_adapter(spec["filters"]),
    }
    if spec["mode"] == "database":
        database = sql_database(table_names=config.get("tables"), **common)
        return list(database.selected_resources.values())
    resource = sql_table(table=config["table"], **common)
    incremental = config.get("incremental") or {}
    if incremental.get("cursor_column"):
        resource.apply_hints(incremental=_sql_incremental(resource, incremental))
    if options.get("table_name"):
        resource.apply_hints(table_name=options["table_name"])
    return [resource]


def fastest_backend(dialect: str | None) -> str:
    """The sql_database backend for a source database, unless the pipeline's options name one."""
    if dialect in ("postgres", "warehouse"):
        try:
            import connectorx  # noqa: F401
        except ImportError:
            return "pyarrow"
        return "connectorx"
    return "pyarrow"


def _sql_incremental(resource, incremental: dict):
    """dlt compares the cursor in the column's own type, so an initial value typed as text (a
    date, a timestamp, a decimal) is converted to the reflected type first."""
    from dlt.common.data_types.type_helpers import coerce_value

    cursor, initial = incremental["cursor_column"], incremental.get("initial_value")
    columns = resource.columns if isinstance(resource.columns, dict) else {}
    data_type = (columns.get(cursor) or {}).get("data_type")
    if isinstance(initial, str) and data_type not in (None, "text"):
        try:
            initial = coerce_value(data_type, "text", initial)
        except Exception:  # dlt and pendulum raise several kinds; this says what to fix
            raise ValueError(
                f"The initial value {initial!r} is not a {data_type} like the cursor column "
                f"'{cursor}'; fix config.incremental.initial_value."
            ) from None
    return dlt.sources.incremental(cursor, initial_value=initial)


# --- files ------------------------------------------------------------------------------------


def _arrow_mask(table: pa.Table, filters: list[dict]) -> pa.Table:
    for item in filters:
        if item["column"] not in table.column_names:
            continue
        column, op, value = table[item["column"]], item["op"], item["value"]
        if op in ("in", "not_in"):
            mask = pc.is_in(column, value_set=pa.array(value))
            mask = pc.invert(mask) if op == "not_in" else mask
        else:
            mask = _compare(column, op, value)
        table = table.filter(mask)
    return table


def _compare(column, op: str, value):
    functions = {
        "eq": pc.equal,
        "ne": pc.not_equal,
        "gt": pc.greater,
        "gte": pc.greater_equal,
        "lt": pc.less,
        "lte": pc.less_equal,
    }
    return functions[op](column, pa.scalar(value).cast(column.type))


def read_file(path: Path, fmt: str) -> pa.Table:
    if fmt == "csv":
        from pyarrow import csv

        return csv.read_csv(path)
    if fmt == "jsonl":
        from pyarrow import json

        return json.read_json(path)
    from pyarrow import parquet

    return parquet.read_table(path)


def matching_files(root: Path, pattern: str) -> list[Path]:
    """Files under root that match the glob, never outside it (links included)."""
    root = root.resolve()
    found = []
    for path in sorted(root.glob(pattern)):
        real = path.resolve()
        if real.is_file() and real.is_relative_to(root):
            found.append(real)
    return found


def files_resource(spec: dict):
    source, filters = spec["source"], spec["filters"]
    root, fmt = Path(source["root"]), source["format"]
    batch = spec.get("batch_size") or DEFAULT_CHUNK
    name = spec["options"].get("table_name") or Path(source["glob"]).stem.strip("*?[]") or "files"

    def read():
        for path in matching_files(root, source["glob"]):
            table = _arrow_mask(read_file(path, fmt), filters)
            yield from (pa.Table.from_batches([b]) for b in table.to_batches(max_chunksize=batch))

    return dlt.resource(read, name=_table_name(name))


def _table_name(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "_" for ch in text.lower()).strip("_")
    return cleaned or "files"


# --- REST and OData ---------------------------------------------------------------------------


def _paginator(pagination: dict, page_size: int | None):
    from dlt.sources.helpers.rest_client import paginators as p

    kind = pagination.get("type") or "none"
    size = page_size or pagination.get("page_size") or 100
    if kind == "json_link":
        return p.JSONLinkPaginator(next_url_path=pagination.get("next_path") or "next")
    if kind == "odata":
        return p.JSONLinkPaginator(next_url_path="['@odata.nextLink']")
    if kind == "offset":
        return p.OffsetPaginator(
            limit=size,
            offset_param=pagination.get("offset_param") or "offset",
            limit_param=pagination.get("limit_param") or "limit",
            total_path=None,
        )
    if kind == "page_number":
        return p.PageNumberPaginator(
            base_page=1, page_param=pagination.get("page_param") or "page", total_path=None
        )
    if kind == "cursor":
        return p.JSONResponseCursorPaginator(
            cursor_path=pagination.get("cursor_path") or "cursors.next",
            cursor_param=pagination.get("cursor_param") or "cursor",
        )
    return p.SinglePagePaginator()


def http_client(spec: dict):
    from dlt.sources.helpers.requests import Client
    from dlt.sources.helpers.rest_client import RESTClient

    source = spec["source"]
    timeout = float(source.get("timeout_seconds") or 30)
    session = Client(
        request_timeout=(min(10.0, timeout), timeout),  # (connect, read)
        request_max_attempts=int(source.get("max_attempts") or MAX_HTTP_ATTEMPTS),
        request_backoff_factor=1,
        request_max_retry_delay=60,
    ).session
    pagination = dict(source.get("pagination") or {})
    if source["kind"] == "odata":
        pagination["type"] = "odata"
    return RESTClient(
        base_url=source["base_url"].rstrip("/") + "/",
        headers=source.get("headers") or {},
        paginator=_paginator(pagination, spec.get("batch_size")),
        data_selector="value" if source["kind"] == "odata" else None,
        session=session,
    )


def _row_filter(filters: list[dict]):
    def keep(row: dict) -> bool:
        for item in filters:
            value, op = row.get(item["column"]), item["op"]
            if op == "in" and value not in item["value"]:
                return False
            if op == "not_in" and value in item["value"]:
                return False
            if op in OPS and (value is None or not OPS[op](value, item["value"])):
                return False
        return True

    return keep


def http_resources(spec: dict) -> list:
    client = http_client(spec)
    if spec["source"]["kind"] == "odata":
        params = {"$filter": spec["config"]["filter"]} if spec["config"].get("filter") else {}
        items = [{"path": spec["config"]["entity_set"], "params": params}]
        items[0]["name"] = _table_name(spec["config"]["entity_set"])
        items[0]["primary_key"] = spec.get("primary_key") or None
    else:
        items = spec["config"]["resources"]
    made = []
    for item in items:
        resource = _http_resource(client, item)
        if spec["filters"]:
            resource.add_filter(_row_filter(spec["filters"]))
        made.append(resource)
    return made


def _http_resource(client, item: dict):
    path, params = item["path"].lstrip("/"), dict(item.get("params") or {})
    param, cursor_path = item.get("incremental_param"), item.get("cursor_path")

    incremental = dlt.sources.incremental(cursor_path) if cursor_path else None

    def pages(cursor=incremental):  # dlt finds the incremental in the default argument
        query = dict(params)
        if cursor is not None and cursor.last_value is not None:
            query[param] = cursor.last_value
        yield from client.paginate(path, params=query)

    return dlt.resource(pages, name=item["name"], primary_key=item.get("primary_key") or None)()
