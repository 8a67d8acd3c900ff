"""Nothing of a run outlives its worker.

A script runs in a session of its own, so when its worker process is killed (kill -9, out of
memory) the script and its children would go on, orphaned. While a run lives, the worker keeps a
note of it in DATA_DIR/run-sessions/ (a folder only the worker's user can write, unlike the run's
own folder): which worker process, which session. A worker process that starts (Celery replaces a
killed child at once, and a restarted worker starts new ones) sweeps the notes of dead workers:
it kills every process of that session and removes the run's folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
from pathlib import Path

from etlfabric.runners.limits import read_stat, session_members

log = logging.getLogger("etlfabric.runners.orphans")
FOLDER = "run-sessions"


def _start_time(pid: int) -> str | None:
    stat = read_stat(pid)
    return stat[1] if stat else None


def _notes(data_dir: Path) -> Path:
    folder = data_dir / FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def register(data_dir: Path, name: str, *, sid: int, workdir: Path) -> Path:
    """Note that this worker process runs session `sid` for the run `name`; returns the note."""
    note = _notes(data_dir) / name
    me = os.getpid()
    entry = {
        "worker": me,
        "worker_start": _start_time(me),
        "sid": sid,
        "sid_start": _start_time(sid),
        "workdir": str(workdir),
    }
    note.write_text(json.dumps(entry))
    return note


def forget(note: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        note.unlink()


def sweep(data_dir: Path) -> int:
    """Kill the sessions of runs whose worker process is gone; how many processes were killed."""
    folder = data_dir / FOLDER
    if not folder.is_dir():
        return 0
    killed = 0
    for note in folder.iterdir():
        try:
            entry = json.loads(note.read_text())
        except (OSError, ValueError):
            forget(note)
            continue
        if _start_time(entry["worker"]) == entry["worker_start"]:
            continue  # its worker is alive and still watching it
        killed += _kill_session(entry)
        from etlfabric.runners.script import remove_tree  # script imports this module

        remove_tree(Path(entry["workdir"]))
        forget(note)
    if killed:
        log.warning("killed %d process(es) left running by runs of dead workers", killed)
    return killed


def _kill_session(entry: dict) -> int:
    """Every process of the run's session; the session id is trusted only while its leader is
    the same process (or gone: a session id is not reused while any member lives)."""
    sid = entry["sid"]
    leader_start = _start_time(sid)
    if leader_start is not None and leader_start != entry["sid_start"]:
        return 0  # the id now belongs to another process's session
    members = session_members(sid)
    for pid in members:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return len(members)
