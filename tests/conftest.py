"""Test set-up: a throwaway database on a real PostgreSQL, a Redis of its own, test settings.

TEST_DATABASE_URL names a server with a superuser (default: the local one on 5432); the database
`etlfabric_test_<pid>` is created for the session and dropped, with its tenant roles, at the end.
TEST_REDIS_URL names a Redis to use; without it the session starts a private redis-server.
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
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import make_url

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_DB = f"etlfabric_test_{os.getpid()}"
TEST_DATABASE_URL = make_url(SERVER_URL).set(database=TEST_DB).render_as_string(hide_password=False)


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


TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or _private_redis()
TEST_DATA_DIR = tempfile.mkdtemp(prefix="etlfabric-test-")
atexit.register(shutil.rmtree, TEST_DATA_DIR, ignore_errors=True)

os.environ.update(
    ENV="test",
    DATABASE_URL=TEST_DATABASE_URL,
    REDIS_URL=TEST_REDIS_URL,
    SECRET_KEY=secrets.token_urlsafe(48),
    FERNET_KEYS=Fernet.generate_key().decode(),
    DATA_DIR=TEST_DATA_DIR,
    DO_NOT_TRACK="1",
    DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    RUNTIME__DLTHUB_TELEMETRY="false",
    REFLEX_TELEMETRY_ENABLED="false",
)


def _admin_connection():
    connection = psycopg2.connect(
        make_url(SERVER_URL)
        .render_as_string(hide_password=False)
        .replace("postgresql+psycopg2", "postgresql")
    )
    connection.autocommit = True
    return connection


def _drop_test_database() -> None:
    connection = _admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{TEST_DB}" WITH (FORCE)')
        cursor.execute("SELECT rolname FROM pg_roles WHERE rolname LIKE %s", (f"{TEST_DB}\\_%",))
        for (role,) in cursor.fetchall():
            cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
    connection.close()


@pytest.fixture(scope="session", autouse=True)
def test_database():
    _drop_test_database()
    connection = _admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{TEST_DB}"')
    connection.close()
    from etlfabric.migrations import migrate_all

    report = migrate_all()
    assert report.ok, report.failed
    yield TEST_DATABASE_URL
    from etlfabric.db import _sync_engines

    for engine in _sync_engines.values():
        engine.dispose()
    _drop_test_database()


@pytest.fixture(autouse=True)
def restore_environment():
    """Tests may change os.environ and cached settings; put both back afterwards."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    from etlfabric.config import reset_settings

    reset_settings()


@pytest.fixture(scope="session")
async def async_engine_cleanup():
    yield
    from etlfabric.db import dispose_engines

    await dispose_engines()


def pytest_collection_modifyitems(config, items):
    """In CI a browser test must run: a missing Chromium is an error, not a quiet skip."""
    from tests.browser import CHROMIUM, chromium_available

    wanted = any(item.get_closest_marker("browser") for item in items)
    if os.environ.get("CI") and wanted and not chromium_available():
        raise pytest.UsageError(f"CI: browser tests need {CHROMIUM} (apt-get install chromium)")
