"""run_process with real children: live output, timeouts, cancel, and the limits."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

from etlfabric.runners import limits as limits_module
from etlfabric.runners.limits import Limits
from etlfabric.runners.process import Command, run_process
from tests.runners.conftest import Recorder, never

PYTHON = sys.executable
STREAMS = [("stdout", "out"), ("stderr", "err")]


def run(code: str, *, shell: bool = False, timeout: float = 20, limits=None, cancel=never):
    argv = ["/bin/bash", "-c", code] if shell else [PYTHON, "-u", "-c", code]
    command = Command(argv, Path("/tmp"), {"PATH": "/usr/bin:/bin"}, timeout, limits or Limits())
    recorder = Recorder()
    outcome = run_process(command, on_output=recorder, should_cancel=cancel)
    return outcome, recorder, time.monotonic() - recorder.started


def survivors(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        if marker in cmdline and proc.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(proc)
    return found


def test_lines_arrive_in_order_with_their_stream():
    code = (
        "import sys, time\n"
        "for i in range(3):\n"
        "    print(f'out {i}')\n"
        "    time.sleep(0.05)\n"
        "    print(f'err {i}', file=sys.stderr)\n"
        "    time.sleep(0.05)\n"
    )
    outcome, recorder, _ = run(code)
    assert outcome.status == "succeeded" and outcome.exit_code == 0 and outcome.error is None
    assert [(s, line) for _, s, line in recorder.calls] == [
        (stream, f"{word} {i}") for i in range(3) for stream, word in STREAMS
    ]


def test_a_line_arrives_while_the_script_still_runs():
    outcome, recorder, ended = run("import time\nprint('first')\ntime.sleep(1)\nprint('second')")
    assert outcome.status == "succeeded"
    (first_at, _, first), (_, _, second) = recorder.calls
    assert (first, second) == ("first", "second")
    assert first_at < ended - 0.8, f"first line came at {first_at:.2f}s, the run ended {ended:.2f}s"


def test_long_lines_are_split_and_bad_bytes_replaced():
    code = "import sys\nsys.stdout.buffer.write(b'x' * 20000 + b'\\nbad \\xff end\\r\\nlast')"
    outcome, recorder, _ = run(code)
    assert outcome.status == "succeeded"
    assert [len(line) for line in recorder.lines()[:3]] == [8192, 8192, 3616]
    assert recorder.lines()[3:] == ["bad \ufffd end", "last"]


def test_exit_code_and_signal_are_reported():
    outcome, _, _ = run("raise SystemExit(3)")
    assert (outcome.status, outcome.exit_code, outcome.error) == ("failed", 3, "exit code 3")
    outcome, _, _ = run("kill -SEGV $$", shell=True)
    assert outcome.exit_code == -signal.SIGSEGV
    assert outcome.error == "killed by signal 11 (SIGSEGV)"


def test_peak_memory_and_cpu_time_are_recorded():
    code = "import time\nx = bytearray(100 * 1024 * 1024)\nend = time.process_time() + 0.3\n"
    code += "while time.process_time() < end: pass\ntime.sleep(0.2)"
    outcome, _, _ = run(code)
    assert outcome.status == "succeeded"
    assert 100 <= outcome.peak_memory_mb < 200
    assert outcome.cpu_time_ms >= 300


@pytest.mark.slow
def test_an_infinite_loop_times_out():
    outcome, _, took = run("while True: pass", timeout=1)
    assert (outcome.status, outcome.error) == ("timed_out", "timed out after 1 s")
    assert took < 1 + 1


@pytest.mark.slow
def test_a_script_that_ignores_sigterm_is_killed_after_the_grace_period():
    code = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "print('ready')\nwhile True: time.sleep(0.1)"
    outcome, _, took = run(code, timeout=1)
    assert outcome.status == "timed_out" and outcome.exit_code == -signal.SIGKILL
    assert 1 + 5 <= took < 1 + 5 + 1


@pytest.mark.parametrize("ignore_sigterm", [False, True])
def test_cancel_takes_effect_within_two_seconds(ignore_sigterm: bool):
    code = "import signal, time\n"
    if ignore_sigterm:
        code += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    code += "print('ready')\nwhile True: time.sleep(0.1)"
    asked: list[float] = []

    def cancel() -> bool:
        if not asked and time.monotonic() - started > 0.5:
            asked.append(time.monotonic())
        return bool(asked)

    started = time.monotonic()
    outcome, _, _ = run(code, cancel=cancel)
    latency = time.monotonic() - asked[0]
    assert (outcome.status, outcome.error) == ("cancelled", "cancelled")
    assert latency < 2, f"cancel took {latency:.2f}s"


@pytest.mark.slow
def test_a_memory_bomb_fails_out_of_memory():
    outcome, _, took = run("x = []\nwhile True: x.append(b'x' * 10_000_000)", limits=Limits(128))
    assert (outcome.status, outcome.error) == ("failed", "out of memory (limit 128 MB)")
    assert took < 5


def test_memory_error_in_the_script_is_reported_as_out_of_memory():
    outcome, recorder, _ = run("x = bytearray(1024 ** 3)", limits=Limits(memory_mb=64))
    assert (outcome.status, outcome.error) == ("failed", "out of memory (limit 64 MB)")
    assert "MemoryError" in recorder.text()


@pytest.mark.slow
@pytest.mark.parametrize(
    "bomb",
    [
        pytest.param("import os\nwhile True: os.fork()  # {marker}", id="python"),
        pytest.param(":(){{ :|:& }};: # {marker}\nsleep 30", id="shell"),
    ],
)
def test_a_fork_bomb_is_stopped_and_nothing_of_it_survives(bomb: str, pid_guard):
    marker = f"bomb-{uuid.uuid4().hex}"
    shell = bomb.startswith(":")
    outcome, _, took = run(bomb.format(marker=marker), shell=shell, timeout=20, limits=Limits())
    assert outcome.status == "failed", outcome
    assert outcome.error == "too many processes (limit 256); the run was stopped"
    assert took < 10
    assert not survivors(marker)


@pytest.mark.slow
def test_without_a_kernel_backstop_the_watcher_alone_stops_a_fork_bomb(monkeypatch, pid_guard):
    """Where no pids cgroup can be made (a container, cgroup v2 without delegation)."""
    monkeypatch.setattr("etlfabric.runners.process.PidsCgroup.create", lambda max_tasks: None)
    marker = f"bomb-{uuid.uuid4().hex}"
    code = f"import os, time\nfor _ in range(9): os.fork()  # {marker}\ntime.sleep(30)"
    outcome, _, took = run(code, limits=Limits(processes=50))  # 512 processes if nothing stops it
    assert outcome.error == "too many processes (limit 50); the run was stopped"
    assert took < 5
    assert not survivors(marker)


def test_processes_left_running_are_stopped_when_the_script_ends():
    marker = f"left-{uuid.uuid4().hex}"
    children_before = set(psutil.Process().children())
    code = f"(exec -a {marker}-1 sleep 300) & (exec -a {marker}-2 sleep 301) &\necho started"
    outcome, recorder, _ = run(code, shell=True)
    assert outcome.status == "succeeded"
    assert "Stopped 2 process(es) the run left running" in recorder.lines("system")
    assert not survivors(marker)
    assert set(psutil.Process().children()) == children_before


def test_cpu_time_limit():
    outcome, _, _ = run("while True: pass", limits=Limits(cpu_seconds=1))
    assert (outcome.status, outcome.error) == ("failed", "CPU time limit exceeded (1 s)")


def test_file_size_limit():
    code = "import tempfile\nwith tempfile.TemporaryFile() as f: f.write(b'x' * 3 * 1024 * 1024)"
    outcome, _, _ = run(code, limits=Limits(file_size_mb=1))
    assert (outcome.status, outcome.error) == ("failed", "file size limit exceeded (1 MB)")


def test_a_command_that_cannot_start_fails_clearly():
    command = Command(["/nonexistent/python"], Path("/tmp"), {}, 5, Limits())
    recorder = Recorder()
    outcome = run_process(command, on_output=recorder, should_cancel=never)
    assert outcome.status == "failed" and outcome.exit_code is None
    assert outcome.error.startswith("the process could not be started:")
    assert recorder.lines("system") == [outcome.error]


SHOWS_ITS_LIMITS = (
    "import os, resource as r\n"
    "print(os.nice(0))\n"
    "for name in ('RLIMIT_AS', 'RLIMIT_FSIZE', 'RLIMIT_CORE'):\n"
    "    print(name, *r.getrlimit(getattr(r, name)))\n"
)


@pytest.mark.parametrize("launcher", [True, False], ids=["prlimit", "preexec"])
def test_the_child_gets_its_limits_and_niceness_either_way(launcher: bool, monkeypatch):
    """Through prlimit (vfork, the fast way) or a preexec hook (where a cgroup is joined)."""
    if launcher and limits_module.PRLIMIT is None:
        pytest.skip("util-linux prlimit is not installed")
    if not launcher:
        monkeypatch.setattr(limits_module, "PRLIMIT", None)
    limits = Limits(memory_mb=300, file_size_mb=7, processes=None)
    outcome, recorder, _ = run(SHOWS_ITS_LIMITS, limits=limits)
    assert outcome.status == "succeeded", recorder.text()
    mb = 1024 * 1024
    assert recorder.lines("stdout") == [
        str(os.nice(0) + limits_module.NICENESS),
        f"RLIMIT_AS {600 * mb} {600 * mb}",
        f"RLIMIT_FSIZE {7 * mb} {7 * mb}",
        "RLIMIT_CORE 0 0",
    ]


def test_a_command_the_launcher_cannot_exec_fails_clearly():
    command = Command(["/nonexistent/python"], Path("/tmp"), {}, 5, Limits(processes=None))
    recorder = Recorder()
    outcome = run_process(command, on_output=recorder, should_cancel=never)
    assert outcome.status == "failed" and outcome.exit_code is None
    assert outcome.error.startswith("the process could not be started:")
    assert "/nonexistent/python" in outcome.error
    assert recorder.lines() == [outcome.error]
