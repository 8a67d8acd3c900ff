"""The JSON spec a pipeline run hands to its child: how to reach the source and the destination
(credentials included: it travels only through the child's stdin), what to load and how.

Built in the worker from the rows it loaded; the child (child.py) needs nothing else.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, quote_plus

from etlfabric.errors import Invalid, PermissionDenied
from etlfabric.models import Connection, Organization, Pipeline
from etlfabric.services import connection_access, tenancy

SQL_TYPES = ("postgres", "mysql", "mssql", "oracle", "sqlite", "warehouse")
DESTINATION_TYPES = ("postgres", "warehouse")
# PostgreSQL COPY for tabular (arrow) sources; SQL tables may go as Parquet instead (fastload.py)
FAST_FORMAT = "csv"


def pipeline_name(org_id: int, pipeline_id: int) -> str:
    return f"etf_{int(org_id)}_{int(pipeline_id)}"


def pipeline_dir(data_dir: Path, org_id: int, pipeline_id: int) -> Path:
    """dlt's pipelines_dir for one pipeline: DATA_DIR/pipelines/<org_id>/<pipeline_id>/."""
    return Path(data_dir) / "pipelines" / str(int(org_id)) / str(int(pipeline_id))


def dataset_of(org_id: int, pipeline: Pipeline, destination: Connection) -> str:
    """The physical schema the pipeline writes: on the Warehouse, one of the org's own."""
    if destination.type == "warehouse":
        return tenancy.data_schema(org_id, pipeline.dataset_name)
    return pipeline.dataset_name


def check_dataset(org_id: int, pipeline: Pipeline, destination: Connection, own: list[str]):
    """Refuse a Warehouse dataset that is not one of this organisation's data schemas."""
    if destination.type == "warehouse" and pipeline.dataset_name not in own:
        raise PermissionDenied(
            f"The dataset '{pipeline.dataset_name}' is not one of this organisation's data "
            f"schemas ({', '.join(own) or 'none'}); the run did not start."
        )


def source_part(conn: Connection, org: Organization) -> dict:
    config = conn.config or {}
    if conn.type in SQL_TYPES:
        return {
            "kind": "sql",
            "dialect": conn.type,
            "name": conn.name,
            "url": connection_access.dlt_credentials(conn, org),
        }
    if conn.type == "files":
        return {
            "kind": "files",
            "name": conn.name,
            "root": str(connection_access.files_dir(org.id).resolve()),
            "glob": config.get("glob") or "*",
            "format": config.get("format") or "csv",
        }
    if conn.type in ("rest_api", "odata"):
        return {
            "kind": "odata" if conn.type == "odata" else "rest",
            "name": conn.name,
            "base_url": connection_access.base_url(conn),
            "headers": connection_access.http_headers(conn),
            "pagination": config.get("pagination") or {},
            "timeout_seconds": config.get("timeout_seconds") or 30,
            "max_attempts": config.get("max_attempts") or 5,  # retries on 429/5xx, timeouts
        }
    raise Invalid("source_connection_id", f"A {conn.type} connection cannot be a source.")


def destination_part(conn: Connection, org: Organization) -> dict:
    if conn.type not in DESTINATION_TYPES:
        raise Invalid(
            "destination_connection_id", f"A {conn.type} connection cannot be a destination."
        )
    url = connection_access.dlt_credentials(conn, org, destination=True)
    return {"kind": "postgres", "name": conn.name, "url": url}


def mode_and_config(pipeline: Pipeline) -> tuple[str, dict, dict]:
    """(mode, config, dlt options); an `advanced` pipeline runs as its base mode."""
    config = dict(pipeline.config or {})
    options = dict(config.pop("options", None) or {})
    mode = pipeline.mode
    if mode == "advanced":
        mode = config.pop("base")
    return mode, config, options


def build_spec(
    *,
    org: Organization,
    pipeline: Pipeline,
    source: Connection,
    destination: Connection,
    data_dir: Path,
    refresh: bool = False,
    reset_state: bool = False,
) -> dict:
    mode, config, options = mode_and_config(pipeline)
    src = source_part(source, org)
    if mode == "files":  # the pipeline may narrow the connection's glob or format
        src.update({k: config[k] for k in ("glob", "format") if config.get(k)})
    tabular = src["kind"] in ("sql", "files")
    return {
        "pipeline_name": pipeline_name(org.id, pipeline.id),
        "pipelines_dir": str(pipeline_dir(data_dir, org.id, pipeline.id)),
        "dataset": dataset_of(org.id, pipeline, destination),
        "source": src,
        "destination": destination_part(destination, org),
        "mode": mode,
        "config": config,
        "options": options,
        "write_disposition": pipeline.write_disposition,
        "primary_key": list(pipeline.primary_key or []),
        "schema_contract": dict(pipeline.schema_contract or {}),
        "filters": list(pipeline.filters or []),
        "batch_size": pipeline.batch_size,
        "loader_file_format": options.get("loader_file_format")
        or (FAST_FORMAT if tabular else None),
        "full_refresh": refresh,
        "reset_state": reset_state,
    }


def secrets_of(source: Connection, destination: Connection, org: Organization) -> tuple[str, ...]:
    """Every credential value the spec carries, raw and URL-escaped, for the log masker."""
    values = connection_access.secret_values(source) + connection_access.secret_values(destination)
    if "warehouse" in (source.type, destination.type):
        values.append(connection_access.warehouse_url(org).password)
    for conn in (source, destination):
        if conn.type in ("rest_api", "odata"):
            auth = connection_access.http_headers(conn).get("Authorization", "")
            values.append(auth.split(" ", 1)[-1])
    found: list[str] = []
    for value in values:
        text = str(value)
        found += [text, quote_plus(text), quote(text, safe="")]
    return tuple(dict.fromkeys(v for v in found if v))
