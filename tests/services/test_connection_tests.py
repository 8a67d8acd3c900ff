"""'Test connection' against real servers: PostgreSQL, MariaDB, SQLite, files, a loopback HTTP
server; and the exact failures (name, refused, timeout, authentication, permission, missing)."""

import base64
import http.server
import socket
import threading
import uuid

import psycopg2
import pymysql
import pytest

from etlfabric.db import tenant_session
from etlfabric.services import connection_access, connection_tests, connections
from tests.processes import free_port

SECRET = "canary-pass-3c9d"
TIMEOUT = 3.0


async def make(owner, type, config, credentials=None, direction=None):
    async with tenant_session(owner.org_id) as session:
        conn = await connections.create(
            session=session,
            principal=owner,
            name=f"c-{uuid.uuid4().hex[:8]}",
            type=type,
            config=config,
            credentials=credentials,
            direction=direction,
        )
        org = await connections.organization(session, owner.org_id)
    return conn, org


async def check(owner, type, config, credentials=None, direction=None, timeout=TIMEOUT):
    conn, org = await make(owner, type, config, credentials, direction)
    result = connection_tests.test_connection(conn, org, timeout=timeout)
    assert SECRET not in result.message
    return result


@pytest.fixture(scope="module")
def pg_database():
    name = f"etf_conn_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
        cursor.execute(f'CREATE ROLE "{name}_nologin" NOLOGIN')
        cursor.execute(f'CREATE ROLE "{name}_reader" LOGIN')
        cursor.execute(f'REVOKE CREATE ON DATABASE "{name}" FROM PUBLIC')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'DROP ROLE IF EXISTS "{name}_nologin"')
        cursor.execute(f'DROP ROLE IF EXISTS "{name}_reader"')
    admin.close()


@pytest.fixture(scope="module")
def maria_database():
    name = f"etf_conn_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
        cursor.execute(f"CREATE DATABASE `{name}_other`")
        cursor.execute(f"CREATE USER '{name}'@'%%' IDENTIFIED BY %s", (SECRET,))
        cursor.execute(f"GRANT ALL ON `{name}`.* TO '{name}'@'%'")
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f"DROP USER IF EXISTS '{name}'@'%'")
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}_other`")
    admin.close()


@pytest.fixture
def silent_port():
    """A listening socket that accepts (through the kernel) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener.getsockname()[1]
    listener.close()


def pg(database, **overrides):
    return {"host": "127.0.0.1", "database": database, "username": "postgres", **overrides}


async def test_postgres_ok_and_each_failure(owner, pg_database, silent_port):
    ok = await check(owner, "postgres", pg(pg_database), {"password": SECRET})
    assert ok.ok and ok.message.startswith("Connected to PostgreSQL 1"), ok.message
    assert 0 <= ok.latency_ms < 10_000
    cases = [
        (pg(pg_database, host="no-such-host.invalid"), "Name not resolved"),
        (pg(pg_database, port=free_port()), "Connection refused"),
        (pg(pg_database, port=silent_port), "Timeout"),
        (pg("no_such_database_here"), "Database not found"),
        (pg(pg_database, username="nobody_at_all"), "Authentication failed"),
        (pg(pg_database, username=f"{pg_database}_nologin"), "Permission denied"),
    ]
    for config, start in cases:
        result = await check(owner, "postgres", config, {"password": SECRET})
        assert not result.ok and result.message.startswith(start), (config, result.message)
        assert result.latency_ms < 6_000
    reader = pg(pg_database, username=f"{pg_database}_reader")
    as_source = await check(owner, "postgres", reader, direction="source")
    assert as_source.ok, as_source.message
    as_destination = await check(owner, "postgres", reader, direction="both")
    assert as_destination.message.startswith("Permission denied") and "schemas" in (
        as_destination.message
    )


async def test_warehouse_connects_as_the_workload_role(owner):
    async with tenant_session(owner.org_id) as session:
        warehouse = await connections.warehouse(session=session, principal=owner)
        org = await connections.organization(session, owner.org_id)
    result = connection_tests.test_connection(warehouse, org, timeout=TIMEOUT)
    assert result.ok and "_workload" in result.message, result.message


async def test_mariadb_ok_wrong_password_missing_database_and_no_permission(owner, maria_database):
    base = {"host": "127.0.0.1", "database": maria_database, "username": maria_database}
    ok = await check(owner, "mysql", base, {"password": SECRET})
    assert ok.ok and ok.message.startswith("Connected to MariaDB 10."), ok.message
    wrong = await check(owner, "mysql", base, {"password": "not-the-password"})
    assert wrong.message.startswith("Authentication failed") and maria_database in wrong.message
    root = {**base, "username": "root", "database": "no_such_db_here"}
    assert (await check(owner, "mysql", root)).message.startswith("Database not found")
    other = {**base, "database": f"{maria_database}_other"}
    denied = await check(owner, "mysql", other, {"password": SECRET})
    assert denied.message.startswith("Permission denied"), denied.message
    refused = await check(owner, "mysql", {**base, "port": free_port()}, {"password": SECRET})
    assert refused.message.startswith("Connection refused")


async def test_sqlite_and_files_in_the_organisation_folder(owner):
    import sqlite3

    folder = connection_access.files_dir(owner.org_id)
    with sqlite3.connect(folder / "shop.sqlite") as link:
        link.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    (folder / "broken.db").write_text("this is not a database at all, just text " * 10)
    (folder / "a.csv").write_text("id\n1\n")
    ok = await check(owner, "sqlite", {"path": "shop.sqlite"})
    assert ok.ok and "1 tables" in ok.message, ok.message
    missing = await check(owner, "sqlite", {"path": "gone.sqlite"})
    assert missing.message.startswith("File not found")
    broken = await check(owner, "sqlite", {"path": "broken.db"})
    assert broken.message.startswith("Database not found") and "not a SQLite" in broken.message
    files = await check(owner, "files", {"format": "csv"})
    assert files.ok and files.message.startswith("1 file(s) match '*.csv'")
    none = await check(owner, "files", {"format": "parquet"})
    assert not none.ok and none.message.startswith("File not found")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        expected = "Basic " + base64.b64encode(f"etl:{SECRET}".encode()).decode()
        if self.path.startswith("/broken"):
            self.send_response(503)
        elif self.path.startswith("/odata"):
            self.send_response(200)
            self.send_header("OData-Version", "4.0")
        elif self.headers.get("Authorization") == expected:
            self.send_response(200)
        else:
            self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def http_base():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_http_status_auth_and_timeouts(owner, http_base, silent_port):
    basic = {"base_url": f"{http_base}/api", "auth": "basic", "username": "etl"}
    ok = await check(owner, "rest_api", basic, {"password": SECRET})
    assert ok.ok and ok.message.startswith("HTTP 200 OK"), ok.message
    wrong = await check(owner, "rest_api", basic, {"password": "nope"})
    assert wrong.message.startswith("Authentication failed: HTTP 401")
    broken = await check(owner, "rest_api", {"base_url": f"{http_base}/broken"})
    assert broken.message.startswith("HTTP 503")
    odata = await check(owner, "odata", {"service_url": f"{http_base}/odata/"})
    assert odata.ok and "OData 4.0" in odata.message
    silent = await check(owner, "rest_api", {"base_url": f"http://127.0.0.1:{silent_port}/"})
    assert silent.message.startswith("Timeout")
    unknown = await check(owner, "odata", {"service_url": "https://no-such-host.invalid/svc"})
    assert unknown.message.startswith("Name not resolved")


async def test_the_web_process_runs_the_test_in_a_thread_with_a_deadline(owner, silent_port):
    conn, org = await make(owner, "postgres", pg("x", port=silent_port))
    result = await connection_tests.test_in_thread(conn, org, timeout=1.0)
    assert not result.ok and result.message.startswith("Timeout")
    assert result.latency_ms < 3_000
