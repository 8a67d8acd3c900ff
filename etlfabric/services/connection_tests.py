""" "Test connection": reach what a connection points at within 10 s and say what happened.

The answer is ok with the server's version and the latency, or the failure in one sentence that
starts with what went wrong: "Name not resolved", "Connection refused", "Timeout",
"Authentication failed", "TLS problem", "Permission denied", "Database not found",
"File not found", "HTTP <status>". Network and name failures are found the same way for every
type (resolve, then open a TCP connection) before the driver speaks; each driver gets the time
that is left. `test_connection` is synchronous (workers); the web process calls
`test_in_thread`, which never blocks the event loop. No message ever carries a credential.
"""

from __future__ import annotations

import asyncio
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from etlfabric.errors import Invalid
from etlfabric.models import Connection, Organization
from etlfabric.services import connection_access as access
from etlfabric.services import connection_probes as probes
from etlfabric.services.connection_probes import Failure

TIMEOUT_SECONDS = 10.0
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="connection-test")
_RESOLVER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="connection-resolve")


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest class

    ok: bool
    message: str
    latency_ms: int


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise Failure(f"Timeout: no answer within {self.seconds:g} s.")
        return left


def reach(host: str, port: int, deadline: Deadline) -> None:
    """Resolve `host` and open (and close) a TCP connection, naming the failure exactly."""
    lookup = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        lookup.result(timeout=deadline.left())
    except FutureTimeout:
        raise Failure(f"Timeout: the name '{host}' was not resolved in time.") from None
    except (socket.gaierror, UnicodeError):
        raise Failure(f"Name not resolved: no address was found for host '{host}'.") from None
    try:
        socket.create_connection((host, port), timeout=min(deadline.left(), 5.0)).close()
    except ConnectionRefusedError:
        raise Failure(
            f"Connection refused: nothing accepts connections on {host}:{port}."
        ) from None
    except TimeoutError:
        raise Failure(f"Timeout: {host}:{port} did not accept a connection in time.") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise Failure(f"Network problem: {host}:{port} cannot be reached ({reason}).") from None


def _database(conn: Connection, org: Organization, deadline: Deadline) -> str:
    url = access.sqlalchemy_url(conn, org)
    if url.host:  # no host: a Unix socket (an embedded platform database)
        reach(url.host, url.port or probes.DEFAULT_PORTS[conn.type], deadline)
    probe = probes.DATABASE_PROBES[conn.type]
    return probe(url, conn, deadline.left())


def _http(conn: Connection, org: Organization, deadline: Deadline) -> str:
    url = access.base_url(conn)
    parts = urlsplit(url)
    reach(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), deadline)
    return probes.http_probe(url, access.http_headers(conn), conn.type, deadline.left())


def _sqlite(conn: Connection, org: Organization, deadline: Deadline) -> str:
    try:
        path = access.resolve_file(org.id, (conn.config or {}).get("path", ""))
    except Invalid as exc:
        raise Failure(f"Permission denied: {exc.message}") from None
    return probes.sqlite_probe(path, (conn.config or {})["path"], deadline.left())


def _files(conn: Connection, org: Organization, deadline: Deadline) -> str:
    return probes.files_probe(access.files_dir(org.id), conn.config or {})


PROBES = {
    "postgres": _database,
    "warehouse": _database,
    "mysql": _database,
    "mssql": _database,
    "oracle": _database,
    "sqlite": _sqlite,
    "files": _files,
    "rest_api": _http,
    "odata": _http,
}


def scrub(message: str, secrets: list[str]) -> str:
    for secret in secrets:
        message = message.replace(secret, "••••")
    return message


def test_connection(
    conn: Connection, org: Organization, *, timeout: float = TIMEOUT_SECONDS
) -> TestResult:
    """Reach the connection's target within `timeout` seconds and say how it went."""
    started = time.monotonic()
    try:
        message, ok = PROBES[conn.type](conn, org, Deadline(timeout)), True
    except Failure as exc:
        message, ok = str(exc), False
    except Exception as exc:  # an unexpected driver error: its first line, scrubbed
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        message, ok = f"Connection failed: {first[:300]}", False
    latency = int((time.monotonic() - started) * 1000)
    secrets = access.secret_values(conn) if conn.credentials_secret else []
    return TestResult(ok=ok, message=scrub(message, secrets), latency_ms=latency)


test_connection.__test__ = False  # not a pytest test when imported by one


async def test_in_thread(
    conn: Connection, org: Organization, *, timeout: float = TIMEOUT_SECONDS
) -> TestResult:
    """`test_connection` in a worker thread, with a hard deadline for the event loop's sake."""
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    work = loop.run_in_executor(_POOL, lambda: test_connection(conn, org, timeout=timeout))
    try:
        return await asyncio.wait_for(work, timeout + 1.0)
    except TimeoutError:
        latency = int((time.monotonic() - started) * 1000)
        return TestResult(False, f"Timeout: no answer within {timeout:g} s.", latency)


test_in_thread.__test__ = False
