"""The dev stack's PostgreSQL: initdb once, start as a non-root user, create the app database."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psutil
import psycopg2
from psycopg2 import sql

from etlfabric.devstack_binaries import (
    BINARIES_ENV,
    Binary,
    DevstackError,
    RunAs,
    postgres_major,
    postgres_user,
    require_reachable,
)
from etlfabric.devstack_processes import HOST, log_tail, server_env, spawn

DB_USER = "etlfabric"  # the cluster's bootstrap superuser: the app creates tenant roles
DB_NAME = "etlfabric"
SOCKET_PATH_MAX = 100  # a unix socket path holds at most 107 bytes


def start_postgres(
    binary: Binary, port: int, *, pgdata: Path, socket_dir: Path, log: Path
) -> psutil.Process:
    user = postgres_user(pgdata)
    require_reachable(binary.path, user, "the PostgreSQL server")
    require_reachable(pgdata.parent, user, "the data directory")
    for directory, mode in ((pgdata, 0o700), (socket_dir, 0o755)):
        _own_directory(directory, user, mode)
    if (pgdata / "PG_VERSION").exists():
        _check_version(binary, pgdata)
        _clear_stale_lock(pgdata)
    else:
        _initdb(binary, user, pgdata=pgdata, log=log)
    command = [str(binary.path), "-D", str(pgdata), "-p", str(port), "-h", HOST]
    command += ["-k", _socket_setting(socket_dir, port), "-c", "logging_collector=off"]
    return spawn(command, log=log, run_as=user, cwd=pgdata.parent)


def pg_answers(port: int) -> bool:
    try:
        connection = psycopg2.connect(
            host=HOST, port=port, user=DB_USER, dbname="postgres", connect_timeout=2
        )
    except psycopg2.Error:
        return False
    connection.close()
    return True


def create_database(port: int) -> None:
    connection = psycopg2.connect(host=HOST, port=port, user=DB_USER, dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
            if cursor.fetchone() is None:
                statement = sql.SQL("CREATE DATABASE {} OWNER {}")
                cursor.execute(statement.format(sql.Identifier(DB_NAME), sql.Identifier(DB_USER)))
    finally:
        connection.close()


def _own_directory(directory: Path, user: RunAs, mode: int) -> None:
    directory.mkdir(exist_ok=True)
    if os.geteuid() == 0 and directory.stat().st_uid != user.uid:
        for parent, _dirs, files in os.walk(directory):
            os.chown(parent, user.uid, user.gid)
            for name in files:
                os.chown(os.path.join(parent, name), user.uid, user.gid, follow_symlinks=False)
    directory.chmod(mode)


def _socket_setting(socket_dir: Path, port: int) -> str:
    # A data directory deep in the tree would overflow the socket path: then TCP only.
    fits = len(f"{socket_dir}/.s.PGSQL.{port}") <= SOCKET_PATH_MAX
    return str(socket_dir) if fits else ""


def _initdb(binary: Binary, user: RunAs, *, pgdata: Path, log: Path) -> None:
    command = [str(binary.path.parent / "initdb"), "-D", str(pgdata), "-U", DB_USER]
    command += ["--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"]
    with log.open("ab") as output:
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=pgdata.parent,
            env=server_env(),
            check=False,
            **user.popen_kwargs(),
        )
    if result.returncode != 0:
        raise DevstackError(
            f"initdb failed for {pgdata} (exit {result.returncode}). If the directory holds "
            f"nothing you need, delete it and try again. End of {log}:\n{log_tail(log)}"
        )


def _check_version(binary: Binary, pgdata: Path) -> None:
    data_major = int((pgdata / "PG_VERSION").read_text().strip().split(".")[0])
    server_major = postgres_major(binary.path)
    if data_major != server_major:
        raise DevstackError(
            f"The data in {pgdata} was created by PostgreSQL {data_major}, but the {binary.source} "
            f"server {binary.path} is PostgreSQL {server_major}. Set {BINARIES_ENV} to the other "
            f"choice, or delete {pgdata} to start over (its data is lost)."
        )


def _clear_stale_lock(pgdata: Path) -> None:
    """A postmaster.pid left by a killed server whose pid now belongs to another process."""
    lock = pgdata / "postmaster.pid"
    try:
        pid = int(lock.read_text().splitlines()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return
    try:
        process = psutil.Process(pid)
        serves_pgdata = str(pgdata) in process.cmdline() and process.status() != "zombie"
    except psutil.NoSuchProcess:
        return  # gone: PostgreSQL replaces the file itself
    except psutil.AccessDenied:
        serves_pgdata = False  # another user's process; ours would run as us
    if serves_pgdata:
        raise DevstackError(
            f"A PostgreSQL server (pid {pid}) already runs on {pgdata}, but devstack has no record "
            f"of starting it. Stop it with `pg_ctl -D {pgdata} stop -m fast`, then run again."
        )
    # PostgreSQL would refuse to start, taking the unrelated live pid for another postmaster.
    lock.unlink()
