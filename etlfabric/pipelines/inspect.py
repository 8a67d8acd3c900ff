"""What a pipeline loaded, read with the organisation's workload role (never the platform's):
its tables with column types, a preview of rows without the sensitive columns; and its state.

Several pipelines may share one dataset, so a pipeline's tables are the ones dlt recorded in its
own schema (`_dlt_version`, one row per version of each pipeline's schema), not the whole dataset.

Synchronous; the web process calls these with asyncio.to_thread.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import decimal
import json
import uuid
import zlib

import psycopg2
from psycopg2 import sql
from sqlalchemy import select

from etlfabric.db import sync_tenant_session
from etlfabric.errors import NotFound
from etlfabric.models import Connection, Organization, Pipeline
from etlfabric.pipelines import state
from etlfabric.pipelines.spec import dataset_of, pipeline_name
from etlfabric.services import connection_access

MAX_PREVIEW = 1000
CONNECT_TIMEOUT = 10


def pipeline_state(org_id: int, pipeline_id: int) -> dict:
    """state.read_state with JSON-friendly values (timestamps as ISO text)."""
    found = state.read_state(org_id, pipeline_id)
    found["cursors"] = {
        resource: {column: _plain(value) for column, value in values.items()}
        for resource, values in found["cursors"].items()
    }
    found["last_load_at"] = _plain(found["last_load_at"])
    found["last_extracted_at"] = _plain(found["last_extracted_at"])
    return found


def reset_state(org_id: int, pipeline_id: int) -> None:
    """The next run forgets the incremental cursors (a full refresh is a run's own payload)."""
    state.request_reset(org_id, pipeline_id, kind="state")


def _reader(org_id: int, pipeline: Pipeline) -> tuple[str, str]:
    """(libpq URL, physical schema) of the pipeline's destination, as the org's workload role
    when it is the Warehouse."""
    with sync_tenant_session(org_id) as session:
        destination = session.scalar(
            select(Connection).where(Connection.id == pipeline.destination_connection_id)
        )
        org = session.get(Organization, org_id)
        if destination is None or org is None:
            raise NotFound("The pipeline's destination connection was deleted.")
        if destination.type == "warehouse":
            url = connection_access.warehouse_url(org)
        else:
            url = connection_access.sqlalchemy_url(destination, org)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return dsn, dataset_of(org_id, pipeline, destination)


def _connect(dsn: str):
    """A read-only connection, closed on leaving the block (psycopg2's own `with` only ends
    the transaction, and a NotFound raised inside would leave the connection open)."""
    db = psycopg2.connect(dsn, connect_timeout=CONNECT_TIMEOUT)
    db.set_session(readonly=True)
    return contextlib.closing(db)


def _columns(cursor, schema: str) -> dict[str, list[dict]]:
    """{table: [{"name", "data_type"}]} of every table in the schema, dlt's own included."""
    cursor.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s ORDER BY table_name, ordinal_position",
        (schema,),
    )
    tables: dict[str, list[dict]] = {}
    for table, column, data_type in cursor.fetchall():
        tables.setdefault(table, []).append({"name": column, "data_type": data_type})
    return tables


def _recorded(cursor, schema: str, dlt_schema: str) -> set[str]:
    """The user tables (children like `customers__tags` included) in the newest version of one
    dlt schema stored in the dataset; none before that pipeline's first load."""
    cursor.execute(
        sql.SQL(
            "SELECT schema FROM {}._dlt_version WHERE schema_name = %s "
            "ORDER BY version DESC, inserted_at DESC LIMIT 1"
        ).format(sql.Identifier(schema)),
        (dlt_schema,),
    )
    found = cursor.fetchone()
    if found is None:
        return set()
    text = found[0]
    if not text.lstrip().startswith("{"):  # dlt zips a schema too long for a text column
        text = zlib.decompress(base64.b64decode(text)).decode("utf-8")
    return {name for name in json.loads(text).get("tables", {}) if not name.startswith("_dlt_")}


def _own_columns(cursor, schema: str, dlt_schema: str) -> dict[str, list[dict]]:
    """{table: columns} of the tables in the dataset this pipeline loaded."""
    tables = _columns(cursor, schema)
    if "_dlt_version" not in tables:
        return {}
    own = _recorded(cursor, schema, dlt_schema)
    return {name: columns for name, columns in tables.items() if name in own}


def _hidden(pipeline: Pipeline) -> set[str]:
    return {c.lower() for c in (getattr(pipeline, "sensitive_columns", None) or [])}


def list_tables(org_id: int, pipeline: Pipeline) -> list[dict]:
    """[{"name", "columns": [{"name", "data_type"}]}] of the tables this pipeline loaded (not
    the rest of its dataset; sensitive columns left out)."""
    dsn, schema = _reader(org_id, pipeline)
    hidden = _hidden(pipeline)
    with _connect(dsn) as db, db.cursor() as cursor:
        tables = _own_columns(cursor, schema, pipeline_name(org_id, pipeline.id))
    return [
        {"name": name, "columns": [c for c in columns if c["name"].lower() not in hidden]}
        for name, columns in tables.items()
    ]


def preview_rows(org_id: int, pipeline: Pipeline, table: str, limit: int = 100):
    """(columns, rows) of the first `limit` rows of a loaded table, sensitive columns removed;
    NotFound for a table the pipeline did not load (another pipeline's in the same dataset too)."""
    dsn, schema = _reader(org_id, pipeline)
    hidden = _hidden(pipeline)
    limit = max(1, min(int(limit), MAX_PREVIEW))
    with _connect(dsn) as db, db.cursor() as cursor:
        tables = _own_columns(cursor, schema, pipeline_name(org_id, pipeline.id))
        if table not in tables:
            raise NotFound(f"The pipeline has not loaded a table named '{table}'.")
        names = [
            c["name"]
            for c in tables[table]
            if c["name"].lower() not in hidden and not c["name"].startswith("_dlt_")
        ]
        if not names:  # every column is sensitive
            return [], []
        query = sql.SQL("SELECT {} FROM {}.{} LIMIT %s").format(
            sql.SQL(", ").join(sql.Identifier(n) for n in names),
            sql.Identifier(schema),
            sql.Identifier(table),
        )
        cursor.execute(query, (limit,))
        rows = [[_plain(v) for v in row] for row in cursor.fetchall()]
    return names, rows


def _plain(value):
    """A JSON-friendly value."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | bytes | memoryview):
        return str(value) if isinstance(value, uuid.UUID) else bytes(value).hex()
    return value
