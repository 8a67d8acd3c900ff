"""A throwaway platform for one process: a database of its own on a real PostgreSQL, a private
Redis, test settings in os.environ. Used by tests/conftest.py and by the benchmarks in bench/.

    from tests import environment
    environment.configure(prefix="etlfabric_bench")  # sets os.environ, before any settings
    environment.create_database()                   # creates and migrates it
    ...
    environment.drop_database()

TEST_DATABASE_URL names a server with a superuser (default: the local one on 5432); the database
`<prefix>_<pid>` is dropped, with its tenant roles, at the end. TEST_REDIS_URL names a Redis to use;
without it a private redis-server runs until the process exits.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import tempfile

import psycopg2
from cryptography.fernet import Fernet
from sqlalchemy import make_url

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _private_redis() -> str:
    """A Redis server of this test session's own, on a free port, stopped when pytest exits.

    Tests flush their Redis and run real Celery workers on it: two test sessions at once (two
    developers' checkouts, or CI beside a developer) must not share queues or throttle counters.
    """
    from etlfabric.devstack_binaries import choose_redis
    from tests.processes import free_port, wait_for

    port, workdir = free_port(), tempfile.mkdtemp(prefix="etf-redis-")
    server = subprocess.Popen(
        [str(choose_redis().path), "--port", str(port), "--bind", "127.0.0.1"]
        + ["--save", "", "--appendonly", "no", "--dir", workdir],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    atexit.register(server.kill)  # atexit runs last-registered first: kill, then remove

    def answers() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    wait_for(answers, 10, f"the test Redis on port {port}", step=0.02)
    return f"redis://127.0.0.1:{port}/0"


database_name = ""


def configure(prefix: str = "etlfabric_test") -> str:
    """Point os.environ at a new database, a Redis and a fresh DATA_DIR; return the database URL."""
    global database_name
    database_name = f"{prefix}_{os.getpid()}"
    url = make_url(SERVER_URL).set(database=database_name).render_as_string(hide_password=False)
    data_dir = tempfile.mkdtemp(prefix=prefix.replace("_", "-") + "-")
    atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
    os.environ.update(
        ENV="test",
        DATABASE_URL=url,
        REDIS_URL=os.environ.get("TEST_REDIS_URL") or _private_redis(),
        SECRET_KEY=secrets.token_urlsafe(48),
        FERNET_KEYS=Fernet.generate_key().decode(),
        DATA_DIR=data_dir,
        DO_NOT_TRACK="1",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
        RUNTIME__DLTHUB_TELEMETRY="false",
        REFLEX_TELEMETRY_ENABLED="false",
    )
    return url


def _admin_connection():
    connection = psycopg2.connect(
        make_url(SERVER_URL)
        .render_as_string(hide_password=False)
        .replace("postgresql+psycopg2", "postgresql")
    )
    connection.autocommit = True
    return connection


def drop_database() -> None:
    """Drop the database and the tenant roles named after it (roles are cluster-wide)."""
    from etlfabric.db import _sync_engines

    for engine in _sync_engines.values():
        engine.dispose()
    connection = _admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
        cursor.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (f"{database_name}\\_%",)
        )
        for (role,) in cursor.fetchall():
            cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
    connection.close()


def create_database() -> None:
    """Create the configured database and migrate it to head."""
    drop_database()
    connection = _admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database_name}"')
    connection.close()
    from etlfabric.migrations import migrate_all

    report = migrate_all()
    if not report.ok:
        raise RuntimeError(f"migrations failed: {report.failed}")
