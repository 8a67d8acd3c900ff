"""How to reach what a connection points at: for the pipeline runner and "test connection".

Synchronous and without database access, so a worker (or the pipeline child) can call it with the
rows it loaded. Credentials are decrypted here and nowhere else; URLs are built with
`URL.create` (the password is escaped by SQLAlchemy, never formatted into a string by us).
"""

from __future__ import annotations

import base64
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.engine import URL

from etlfabric import crypto
from etlfabric.config import get_settings
from etlfabric.errors import Invalid
from etlfabric.models import Connection, Organization
from etlfabric.services import tenancy

DRIVERS = {
    "postgres": "postgresql+psycopg2",
    "warehouse": "postgresql+psycopg2",
    "mysql": "mysql+pymysql",
    "mssql": "mssql+pymssql",
    "oracle": "oracle+oracledb",
}


def connection_credentials(conn: Connection) -> dict:
    """The decrypted credentials ({} when none): for workers and tests of the connection only."""
    return crypto.decrypt_json(conn.credentials_secret) if conn.credentials_secret else {}


def files_dir(org_id: int) -> Path:
    """DATA_DIR/orgs/<org_id>/files/, created on demand."""
    folder = get_settings().data_dir / "orgs" / str(int(org_id)) / "files"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def resolve_file(org_id: int, relative: str, field: str = "path") -> Path:
    """`relative` inside the organisation's files folder, or Invalid when it would leave it."""
    root = files_dir(org_id).resolve()
    text = (relative or "").strip()
    if not text or "\x00" in text or "\\" in text or Path(text).is_absolute():
        raise Invalid(field, "The path must be relative to the organisation's files folder.")
    path = (root / text).resolve()
    if path == root or not path.is_relative_to(root):
        raise Invalid(field, "The path must stay inside the organisation's files folder.")
    return path


def warehouse_url(org: Organization) -> URL:
    """The platform database as the organisation's workload role (its own data schemas only)."""
    platform = make_url(get_settings().database_url)
    return URL.create(
        DRIVERS["warehouse"],
        username=tenancy.workload_role(org.id),
        password=crypto.decrypt(org.workload_secret),
        host=platform.host,
        port=platform.port,
        database=platform.database,
        query={k: v for k, v in platform.query.items() if k in ("sslmode", "host")},
    )


def sqlalchemy_url(conn: Connection, org: Organization) -> URL:
    """What SQLAlchemy (and dlt's sql_database source) needs to reach a database connection."""
    config = conn.config or {}
    if conn.type == "warehouse":
        return warehouse_url(org)
    if conn.type == "sqlite":
        return URL.create("sqlite", database=str(resolve_file(org.id, config["path"])))
    if conn.type not in DRIVERS:
        raise Invalid("type", f"A {conn.type} connection is not a database.")
    password = connection_credentials(conn).get("password")
    query = {}
    if conn.type == "postgres":
        query = {"sslmode": config.get("sslmode", "prefer")}
    elif conn.type == "mysql":
        query = {"charset": "utf8mb4"}
    elif conn.type == "oracle":
        query = {"service_name": config["service_name"]}
    return URL.create(
        DRIVERS[conn.type],
        username=config.get("username"),
        password=password or None,
        host=config.get("host"),
        port=config.get("port"),
        database=config.get("database"),
        query=query,
    )


def dlt_credentials(conn: Connection, org: Organization, *, destination: bool = False) -> str:
    """The URL as dlt takes it. dlt's postgres destination wants the plain `postgresql` driver
    name (`destination=True`); its sql_database source takes the SQLAlchemy driver."""
    url = sqlalchemy_url(conn, org)
    if destination and conn.type in ("postgres", "warehouse"):
        url = url.set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def http_headers(conn: Connection) -> dict[str, str]:
    """Request headers for a rest_api / odata connection: its plain headers plus its auth."""
    config = conn.config or {}
    headers = dict(config.get("headers") or {})
    secrets = connection_credentials(conn)
    auth = config.get("auth", "none")
    if auth == "bearer" and secrets.get("token"):
        headers["Authorization"] = f"Bearer {secrets['token']}"
    elif auth == "basic":
        pair = f"{config.get('username', '')}:{secrets.get('password', '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    elif auth == "api_key" and secrets.get("api_key"):
        headers[config.get("api_key_header") or "X-API-Key"] = secrets["api_key"]
    return headers


def base_url(conn: Connection) -> str:
    config = conn.config or {}
    return config.get("base_url") or config.get("service_url") or ""


def secret_values(conn: Connection) -> list[str]:
    """Every secret text of the connection, so a message can be scrubbed of them."""
    return [value for value in connection_credentials(conn).values() if value]
