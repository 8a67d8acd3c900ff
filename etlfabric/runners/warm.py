"""A pre-started Python interpreter per worker process: a script run skips Python's start-up.

When a python script starts for the second time in a row on a worker process, the worker starts
the next interpreter for the same environment and user in the background. It runs warm_boot.py
and waits, holding only the base environment (no script's variables, nothing of the worker's).
The next run in that environment hands it its job (folder, whole environment, rlimits) over a
pipe instead of starting a process: ~11 ms less per run, and the start-up's CPU is spent while
the previous script works. Anything else starts cold: another environment or user, a script
whose own variables act at interpreter start-up (PYTHON*, locale, TZ), a run that must join a
cgroup. The waiting interpreter exits by itself when the worker goes away (its pipe closes) or
after IDLE_SECONDS.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from etlfabric.runners.limits import NICENESS, SETPRIV

log = logging.getLogger("etlfabric.runners.warm")

BOOT = (Path(__file__).with_name("warm_boot.py")).read_text(encoding="utf-8")
IDLE_SECONDS = 600
TAKE_WITHIN_SECONDS = IDLE_SECONDS / 2  # far from the interpreter's own give-up time
STARTUP_NAMES = {"LANG", "LANGUAGE", "TZ"}
STARTUP_PREFIXES = ("PYTHON", "LC_")


@dataclass(frozen=True)
class Key:
    """What an interpreter is started with: a waiting one serves only a run with the same."""

    python: str
    environment_inode: int  # a rebuilt environment is a new folder
    uid: int | None
    gid: int | None
    base_env: tuple[tuple[str, str], ...]


def key_for(python: Path, base_env: dict[str, str], uid: int | None, gid: int | None) -> Key:
    try:
        inode = python.parent.parent.stat().st_ino
    except OSError:
        inode = -1
    return Key(str(python), inode, uid, gid, tuple(sorted(base_env.items())))


def acts_at_startup(variables: dict[str, str]) -> bool:
    """Whether a script's own variables would change how the interpreter starts."""
    return any(n in STARTUP_NAMES or n.startswith(STARTUP_PREFIXES) for n in variables)


class Warm:
    """One waiting interpreter; `hand_over` makes it the run's process."""

    def __init__(self, key: Key, proc: subprocess.Popen, control: int) -> None:
        self.key, self.proc, self._control = key, proc, control
        self.born = time.monotonic()

    def usable_for(self, key: Key) -> bool:
        fresh = time.monotonic() - self.born < TAKE_WITHIN_SECONDS
        return key == self.key and fresh and self.proc.poll() is None

    def hand_over(
        self, *, cwd: Path, env: dict[str, str], rlimits: list, argv0: str
    ) -> subprocess.Popen | None:
        """The interpreter, now running the job; None when it had died (start one cold)."""
        limits = ",".join(f"{which}:{soft}:{hard}" for which, soft, hard in rlimits)
        fields = [str(cwd), argv0, limits, *(f"{name}={value}" for name, value in env.items())]
        data = "\0".join(fields).encode("utf-8", "surrogateescape")
        control, self._control = self._control, None
        if control is None:
            return None
        try:
            while data:
                data = data[os.write(control, data) :]
        except OSError:  # BrokenPipeError: it is gone
            self._end()
            return None
        finally:
            os.close(control)
        return self.proc

    def discard(self) -> None:
        """Stop it, unless it was handed a job (then the run owns the process). Idempotent."""
        if self._control is not None:
            os.close(self._control)
            self._control = None
            self._end()

    def _end(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe:
                pipe.close()


def _start(key: Key) -> Warm | None:
    if key.uid is not None and SETPRIV is None:
        return None
    argv = [key.python, "-u", "-c", BOOT]
    if key.uid is not None:
        argv = [SETPRIV, f"--reuid={key.uid}", f"--regid={key.gid}", "--clear-groups", "--", *argv]
    read, write = os.pipe()
    try:
        proc = subprocess.Popen(
            [*argv, str(read), str(IDLE_SECONDS)],
            cwd="/",
            env=dict(key.base_env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            pass_fds=(read,),
        )
    except (OSError, subprocess.SubprocessError):
        os.close(write)
        log.warning("could not pre-start an interpreter", exc_info=True)
        return None
    finally:
        os.close(read)
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, proc.pid, os.getpriority(os.PRIO_PROCESS, 0) + NICENESS)
    return Warm(key, proc, write)


class _Pool:
    """This worker process's one waiting interpreter, started on a background thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: Warm | None = None
        self._starting: threading.Thread | None = None
        self._last_key: Key | None = None

    def take(self, key: Key) -> Warm | None:
        if self._starting is not None:
            self._starting.join()
        with self._lock:
            warm, self._waiting = self._waiting, None
        if warm is not None and not warm.usable_for(key):
            warm.discard()
            return None
        return warm

    def waiting(self) -> Warm | None:
        return self._waiting

    def start_soon(self, key: Key) -> None:
        """Start one for `key` in the background, once a script of it runs a second time in a
        row here: one-off scripts do not pay for an interpreter nobody takes."""
        repeated, self._last_key = key == self._last_key, key
        if not repeated or (self._starting is not None and self._starting.is_alive()):
            return
        self._starting = threading.Thread(target=self._start, args=(key,), daemon=True)
        self._starting.start()

    def _start(self, key: Key) -> None:
        warm = _start(key)
        with self._lock:
            old, self._waiting = self._waiting, warm
        if old is not None:
            old.discard()

    def clear(self) -> None:
        if self._starting is not None:
            self._starting.join()
        with self._lock:
            warm, self._waiting = self._waiting, None
        if warm is not None:
            warm.discard()


pool = _Pool()
