"""Embedded PostgreSQL and Redis for `etlfabric up` when DATABASE_URL / REDIS_URL are unset.

Everything lives under DATA_DIR/devstack: `postgres/` (PGDATA), `redis/`, `run/` (the PostgreSQL
socket), `state.json` (ports, pids, binaries) and `*.log`. `up` is idempotent; `down` stops only
processes that state.json says devstack started and that are still those processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis

from etlfabric.devstack_binaries import Binary, DevstackError, choose_postgres, choose_redis
from etlfabric.devstack_postgres import (
    DB_NAME,
    DB_USER,
    create_database,
    pg_answers,
    start_postgres,
)
from etlfabric.devstack_processes import (
    HOST,
    free_port,
    identity,
    is_ours,
    port_free,
    spawn,
    stop,
    wait_until,
)

__all__ = ["DevstackError", "StackInfo", "down", "status", "up"]

DEFAULT_PG_PORT = 54329
DEFAULT_REDIS_PORT = 63799
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class StackInfo:
    database_url: str  # postgresql://etlfabric@127.0.0.1:<port>/etlfabric, no driver suffix
    redis_url: str  # redis://127.0.0.1:<port>/0
    started: tuple[str, ...]  # what this call started: "postgres", "redis"; () when running


@dataclass(frozen=True)
class Layout:
    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> Layout:
        return cls(Path(data_dir).resolve() / "devstack")

    @property
    def pgdata(self) -> Path:
        return self.root / "postgres"

    @property
    def redis_dir(self) -> Path:
        return self.root / "redis"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            self.root.chmod(0o755)  # the non-root PostgreSQL user must traverse it
        self.redis_dir.mkdir(exist_ok=True)


@dataclass(frozen=True)
class Service:
    name: str
    label: str
    default_port: int
    stop_signal: signal.Signals  # PostgreSQL: SIGINT is `pg_ctl stop -m fast`
    choose: Callable[[dict], Binary]
    start: Callable[[Layout, Binary, int], psutil.Process]
    answers: Callable[[int], bool]
    finish: Callable[[int], None]
    url: Callable[[int], str]


def up(data_dir: Path, *, pg_port: int | None = None, redis_port: int | None = None) -> StackInfo:
    """Start what is not running yet; an explicit port that is busy is an error."""
    layout = Layout.of(data_dir)
    layout.prepare()
    with _locked(layout):
        state = _read_state(layout)
        started: list[str] = []
        try:
            for service, port in ((POSTGRES, pg_port), (REDIS, redis_port)):
                if _ensure(service, layout, state, port):
                    started.append(service.name)
                    _write_state(layout, state)
        except BaseException:
            # Leave nothing half-up behind: stop what this call started, then report.
            for service in SERVICES:
                if service.name in started:
                    _stop_service(service, state)
            _write_state(layout, state)
            raise
    return StackInfo(
        database_url=POSTGRES.url(state["postgres"]["port"]),
        redis_url=REDIS.url(state["redis"]["port"]),
        started=tuple(started),
    )


def down(data_dir: Path) -> list[str]:
    """Stop the servers devstack started; returns their names. Others are never touched."""
    layout = Layout.of(data_dir)
    if not layout.state_file.exists():
        return []
    with _locked(layout):
        state = _read_state(layout)
        stopped = [service.name for service in SERVICES if _stop_service(service, state)]
        _write_state(layout, state)
    return stopped


def status(data_dir: Path) -> dict[str, dict]:
    state = _read_state(Layout.of(data_dir))
    return {
        service.name: _status_of(service, state.get(service.name) or {}) for service in SERVICES
    }


def _status_of(service: Service, entry: dict) -> dict:
    running = is_ours(entry)
    port = entry.get("port")
    binary, source = entry.get("binary"), entry.get("source")
    if not binary:
        with contextlib.suppress(DevstackError):
            chosen = service.choose(entry)
            binary, source = str(chosen.path), chosen.source
    return {
        "running": running,
        "pid": entry["pid"] if running else None,
        "port": port,
        "url": service.url(port) if running else None,
        "binary": binary or "",
        "source": source or "",
    }


def _ensure(service: Service, layout: Layout, state: dict, port: int | None) -> bool:
    """Make `service` run and answer; True when this call had to start it."""
    entry = state.get(service.name) or {}
    log = layout.log(service.name)
    if is_ours(entry):
        _refuse_port_change(service, entry, port)
        process, running_port = psutil.Process(entry["pid"]), entry["port"]
        answers = functools.partial(service.answers, running_port)
        wait_until(
            answers, process=process, timeout=START_TIMEOUT_SECONDS, what=service.label, log=log
        )
        return False
    binary = service.choose(entry)
    chosen = _pick_port(service, entry, port)
    process = service.start(layout, binary, chosen)
    try:
        answers = functools.partial(service.answers, chosen)
        wait_until(
            answers, process=process, timeout=START_TIMEOUT_SECONDS, what=service.label, log=log
        )
        service.finish(chosen)
    except BaseException:
        stop(process.pid, signal.SIGKILL, STOP_TIMEOUT_SECONDS)
        raise
    binary_fields = {"binary": str(binary.path), "source": binary.source}
    state[service.name] = {"port": chosen, **binary_fields, **identity(process)}
    return True


def _refuse_port_change(service: Service, entry: dict, requested: int | None) -> None:
    if requested is not None and requested != entry["port"]:
        raise DevstackError(
            f"devstack's {service.label} is already running on port {entry['port']} "
            f"(pid {entry['pid']}); run `etlfabric devstack down` first to move it to port "
            f"{requested}."
        )


def _pick_port(service: Service, entry: dict, requested: int | None) -> int:
    """The caller's port, else the one used last time, else the default, else any free one."""
    if requested is not None:
        if not port_free(requested):
            raise DevstackError(
                f"port {requested} is in use by another program, so {service.label} cannot "
                "listen on it. Choose another port, or stop the program that holds it."
            )
        return requested
    for candidate in (entry.get("port"), service.default_port):
        if candidate and port_free(candidate):
            return candidate
    return free_port()


def _stop_service(service: Service, state: dict) -> bool:
    entry = state.get(service.name)
    if not entry:
        return False
    ours = is_ours(entry)
    if ours:
        stop(entry["pid"], service.stop_signal, STOP_TIMEOUT_SECONDS)
    entry.pop("pid", None)
    entry.pop("created", None)
    return ours


@contextlib.contextmanager
def _locked(layout: Layout) -> Iterator[None]:
    # Two `up` calls at once (CLI and launcher) must not both start servers on the same PGDATA.
    with (layout.root / "lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _read_state(layout: Layout) -> dict:
    try:
        return json.loads(layout.state_file.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise DevstackError(
            f"{layout.state_file} cannot be read ({error}). Stop any server still running from "
            f"{layout.root} (see `ps -ef | grep {layout.root}`), then delete the file."
        ) from error


def _write_state(layout: Layout, state: dict) -> None:
    partial = layout.state_file.with_suffix(".json.tmp")
    partial.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    os.replace(partial, layout.state_file)  # readers never see half a file


def _start_redis(layout: Layout, binary: Binary, port: int) -> psutil.Process:
    log = layout.log("redis")
    command = [str(binary.path), "--port", str(port), "--bind", HOST, "--save", ""]
    command += ["--appendonly", "no", "--dir", str(layout.redis_dir), "--daemonize", "no"]
    command += ["--logfile", str(log)]
    return spawn(command, log=log, run_as=None, cwd=layout.redis_dir)


def _redis_answers(port: int) -> bool:
    client = redis.Redis(host=HOST, port=port, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _recorded(entry: dict) -> Binary | None:
    return Binary(Path(entry["binary"]), entry.get("source", "")) if entry.get("binary") else None


POSTGRES = Service(
    name="postgres",
    label="PostgreSQL",
    default_port=DEFAULT_PG_PORT,
    stop_signal=signal.SIGINT,
    choose=lambda entry: choose_postgres(_recorded(entry)),
    start=lambda layout, binary, port: start_postgres(
        binary, port, pgdata=layout.pgdata, socket_dir=layout.socket_dir, log=layout.log("postgres")
    ),
    answers=pg_answers,
    finish=create_database,
    url=lambda port: f"postgresql://{DB_USER}@{HOST}:{port}/{DB_NAME}",
)
REDIS = Service(
    name="redis",
    label="Redis",
    default_port=DEFAULT_REDIS_PORT,
    stop_signal=signal.SIGTERM,
    choose=lambda entry: choose_redis(),
    start=_start_redis,
    answers=_redis_answers,
    finish=lambda port: None,
    url=lambda port: f"redis://{HOST}:{port}/0",
)
SERVICES = (POSTGRES, REDIS)
