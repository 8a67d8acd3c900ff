"""One probe per kind of target, used by connection_tests.py: log in, ask for the version, and
turn each driver's errors into one sentence that starts with what went wrong."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
from sqlalchemy.engine import URL

from etlfabric.models import Connection
from etlfabric.services.connection_specs import can_write

DEFAULT_PORTS = {"postgres": 5432, "warehouse": 5432, "mysql": 3306, "mssql": 1433, "oracle": 1521}


class Failure(Exception):
    """A test that failed; the message is the one sentence the user sees."""


def _seconds(left: float) -> int:
    return max(1, int(left))


def _where(url: URL) -> str:
    return f"{url.host}:{url.port}"


def _classify(text: str, url: URL, database: str) -> str:
    """A driver's error text as our one sentence (the first matching rule wins)."""
    low = text.lower()
    user = url.username or ""
    rules = (
        (("timeout", "timed out"), f"Timeout: {_where(url)} did not answer in time."),
        (
            (
                "password authentication failed",
                "no password supplied",
                "access denied for user",
                "login failed",
                "ora-01017",
                "authentication failed",
            ),
            f"Authentication failed: the server refused the login for user '{user}'.",
        ),
        (
            ("ssl", "tls", "certificate"),
            f"TLS problem: {text.strip().splitlines()[0][:200]}",
        ),
        (
            ("unknown database", "cannot open database", "ora-12514", "dpy-6001")
            + ((f'database "{database}" does not exist',) if database else ()),
            f"Database not found: the server has no database '{database}'.",
        ),
        (
            ('role "', "permission denied", "not permitted", "access denied"),
            f"Permission denied: user '{user}' may not use '{database}'.",
        ),
        (("refused",), f"Connection refused: nothing accepts connections on {_where(url)}."),
        (
            ("could not translate host name", "name or service not known", "getaddrinfo"),
            f"Name not resolved: no address was found for host '{url.host}'.",
        ),
    )
    for needles, message in rules:
        if any(needle in low for needle in needles):
            if needles[0] == 'role "' and "does not exist" in low:
                return f"Authentication failed: there is no user '{user}' on the server."
            return message
    return f"Connection failed: {text.strip().splitlines()[0][:300] if text.strip() else text}"


def postgres_probe(url: URL, conn: Connection, left: float) -> str:
    import psycopg2

    database = url.database or ""
    try:
        link = psycopg2.connect(
            host=url.host,
            port=url.port,
            dbname=database,
            user=url.username,
            password=url.password,
            sslmode=url.query.get("sslmode", "prefer"),
            connect_timeout=_seconds(left),
            application_name="etlfabric-test",
            options=f"-c statement_timeout={_seconds(left) * 1000}",
        )
    except psycopg2.Error as exc:
        raise Failure(_classify(str(exc), url, database)) from None
    try:
        with link.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0].split(" ")[0]
            cursor.execute("SELECT has_database_privilege(current_database(), 'CREATE')")
            may_create = cursor.fetchone()[0]
    finally:
        link.close()
    if can_write(conn.direction) and conn.type == "postgres" and not may_create:
        raise Failure(
            f"Permission denied: user '{url.username}' cannot create schemas in '{database}', "
            "which a destination needs."
        )
    return f"Connected to PostgreSQL {version} as '{url.username}'."


def mysql_probe(url: URL, conn: Connection, left: float) -> str:
    import pymysql

    database = url.database or ""
    try:
        link = pymysql.connect(
            host=url.host,
            port=url.port or 3306,
            user=url.username,
            password=url.password or "",
            database=database or None,
            connect_timeout=_seconds(left),
            read_timeout=_seconds(left),
            write_timeout=_seconds(left),
            charset="utf8mb4",
        )
    except pymysql.Error as exc:
        code = exc.args[0] if exc.args else 0
        if code == 1044:
            raise Failure(
                f"Permission denied: user '{url.username}' may not use '{database}'."
            ) from None
        raise Failure(_classify(" ".join(str(a) for a in exc.args), url, database)) from None
    try:
        with link.cursor() as cursor:
            cursor.execute("SELECT VERSION()")
            version = cursor.fetchone()[0]
    finally:
        link.close()
    brand = "MariaDB" if "mariadb" in version.lower() else "MySQL"
    return f"Connected to {brand} {version.split('-')[0]} as '{url.username}'."


def mssql_probe(url: URL, conn: Connection, left: float) -> str:
    import pymssql

    database = url.database or ""
    try:
        link = pymssql.connect(
            server=url.host,
            port=str(url.port or 1433),
            user=url.username,
            password=url.password or "",
            database=database,
            login_timeout=_seconds(left),
            timeout=_seconds(left),
        )
    except pymssql.Error as exc:
        raise Failure(_classify(str(exc), url, database)) from None
    try:
        cursor = link.cursor()
        cursor.execute("SELECT CAST(SERVERPROPERTY('ProductVersion') AS VARCHAR(64))")
        version = cursor.fetchone()[0]
    finally:
        link.close()
    return f"Connected to SQL Server {version} as '{url.username}'."


def oracle_probe(url: URL, conn: Connection, left: float) -> str:
    import oracledb

    service = url.query.get("service_name", "")
    try:
        link = oracledb.connect(
            user=url.username,
            password=url.password or "",
            host=url.host,
            port=url.port or 1521,
            service_name=service,
            tcp_connect_timeout=left,
        )
    except oracledb.Error as exc:
        raise Failure(_classify(str(exc), url, service)) from None
    try:
        version = link.version
    finally:
        link.close()
    return f"Connected to Oracle {version} as '{url.username}'."


DATABASE_PROBES = {
    "postgres": postgres_probe,
    "warehouse": postgres_probe,
    "mysql": mysql_probe,
    "mssql": mssql_probe,
    "oracle": oracle_probe,
}


def sqlite_probe(path: Path, shown: str, left: float) -> str:
    if not path.is_file():
        raise Failure(f"File not found: '{shown}' is not in the organisation's files folder.")
    try:
        link = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=left)
        try:
            tables = link.execute(
                "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view')"
            ).fetchone()[0]
        finally:
            link.close()
    except sqlite3.DatabaseError:
        raise Failure(f"Database not found: '{shown}' is not a SQLite database.") from None
    return f"Opened SQLite {sqlite3.sqlite_version} file '{shown}' with {tables} tables and views."


def files_probe(folder: Path, config: dict) -> str:
    pattern = config.get("glob") or f"*.{config.get('format', 'csv')}"
    root = folder.resolve()
    found = [p for p in root.glob(pattern) if p.is_file() and p.resolve().is_relative_to(root)]
    if not found:
        raise Failure(f"File not found: no file matches '{pattern}' in the organisation's folder.")
    size = sum(p.stat().st_size for p in found)
    return f"{len(found)} file(s) match '{pattern}' ({size:,} bytes)."


def http_probe(url: str, headers: dict, kind: str, left: float) -> str:
    headers = {"Accept": "application/json", **headers}
    try:
        with httpx.Client(timeout=httpx.Timeout(left), follow_redirects=True) as client:
            answer = client.get(url, headers=headers)
    except httpx.TimeoutException:
        raise Failure(f"Timeout: {url} did not answer in time.") from None
    except httpx.ConnectError as exc:
        text = str(exc)
        if any(word in text.lower() for word in ("ssl", "certificate", "tls")):
            raise Failure(f"TLS problem: {text.splitlines()[0][:200]}") from None
        raise Failure(f"Connection failed: {text.splitlines()[0][:200]}") from None
    except httpx.HTTPError as exc:
        raise Failure(f"Connection failed: {type(exc).__name__} from {url}.") from None
    status = f"HTTP {answer.status_code} {answer.reason_phrase}".strip()
    if answer.status_code == 401:
        raise Failure(f"Authentication failed: {status} from {url}.")
    if answer.status_code == 403:
        raise Failure(f"Permission denied: {status} from {url}.")
    if answer.status_code >= 400:
        raise Failure(f"{status} from {url}.")
    server = answer.headers.get("OData-Version") if kind == "odata" else None
    server = f"OData {server}" if server else answer.headers.get("Server", "")
    return f"{status} from {url}" + (f" ({server})." if server else ".")
