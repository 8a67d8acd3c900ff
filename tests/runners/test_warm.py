"""Pre-started interpreters (runners/warm.py): a repeated script skips Python's start-up, and
cannot tell the difference."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

from etlfabric.runners import Limits, warm
from tests.runners.conftest import spec
from tests.runners.test_script import run, script_output

PROBE = textwrap.dedent(
    """
    import os, resource, sys
    print("pid", os.getpid())
    print("name", __name__, __file__, sys.modules["__main__"].__file__)
    print("argv", sys.argv, sys.orig_argv[1:])
    print("path0", sys.path[0], os.getcwd())
    print("env", sorted(os.environ.items()))
    print("limits", [resource.getrlimit(r) for r in (resource.RLIMIT_AS, resource.RLIMIT_CPU)])
    print("flags", sys.flags, sys.stdout.write_through)
    def broken():
        raise ValueError("on purpose")
    broken()
    """
)


def _probe(script) -> tuple[int, list[str]]:
    """(pid, the output with the run's own folder, run id and pid written out)."""
    outcome, recorder = run(script)
    assert outcome.status == "failed" and outcome.exit_code == 1, recorder.text()
    pid = int(recorder.lines("stdout")[0].split()[1])
    folder = recorder.lines("stdout")[3].split()[1]
    text = "\n".join(line for _, line in script_output(recorder)).replace(folder, "<folder>")
    text = text.replace(f"'ETLFABRIC_RUN_ID', '{script.run_id}'", "<run id>")
    return pid, text.splitlines()[1:]  # without the pid


def _waiting_pid() -> int | None:
    waiting = warm.pool.waiting()
    return waiting.proc.pid if waiting else None


def test_a_repeated_script_runs_in_a_waiting_interpreter_that_looks_like_a_new_one(data_dir):
    first = spec(content=PROBE, env_vars={"OWN": "one"}, limits=Limits(cpu_seconds=30))
    cold_pid, cold = _probe(first)
    _probe(replace(first, run_id=first.run_id + 10_000))  # the second in a row starts one
    waiting = _waiting_pid()
    assert waiting is not None

    third = replace(first, run_id=first.run_id + 20_000, env_vars={"OWN": "three"})
    warm_pid, warmed = _probe(replace(third, limits=Limits(cpu_seconds=7)))

    assert warm_pid == waiting != cold_pid
    assert warmed == [
        line.replace("'OWN', 'one'", "'OWN', 'three'").replace("(30, 32)", "(7, 9)")
        for line in cold
    ]
    assert any('File "<folder>/script.py", line 12, in <module>' in line for line in warmed)
    assert not any("<string>" in line for line in warmed)
    assert _waiting_pid() not in (None, warm_pid)  # the next one waits already


def test_limits_hold_in_a_waiting_interpreter(data_dir):
    bomb = "blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 1024 * 1024))"
    script = spec(content="print('warming up')", limits=Limits(memory_mb=64))
    for number in (1, 2):
        assert run(replace(script, run_id=script.run_id + number))[0].status == "succeeded"
    waiting = _waiting_pid()

    outcome, recorder = run(replace(script, run_id=script.run_id + 3, content=bomb))

    assert waiting is not None and outcome.error == "out of memory (limit 64 MB)"
    assert run(replace(script, run_id=script.run_id + 4))[0].status == "succeeded"


def test_variables_read_at_startup_make_the_run_start_new(data_dir):
    code = "import os, sys\nprint(os.getpid(), sys.flags.dont_write_bytecode)"
    script = spec(content=code)
    for number in (1, 2):
        run(replace(script, run_id=script.run_id + number))
    waiting = _waiting_pid()

    own = {"PYTHONDONTWRITEBYTECODE": "1"}
    outcome, recorder = run(replace(script, run_id=script.run_id + 3, env_vars=own))

    pid, flag = recorder.lines("stdout")[0].split()
    assert outcome.status == "succeeded" and flag == "1" and int(pid) != waiting


def test_a_syntax_error_reads_as_without_a_waiting_interpreter(data_dir):
    script = spec(content="print('fine')")
    for number in (1, 2):
        run(replace(script, run_id=script.run_id + number))
    assert _waiting_pid() is not None

    outcome, recorder = run(replace(script, run_id=script.run_id + 3, content="x = (\n"))

    assert outcome.exit_code == 1
    stderr = recorder.lines("stderr")
    assert stderr[0].endswith('/script.py", line 1') and stderr[-1].startswith("SyntaxError")
    assert not any("Traceback" in line or "<string>" in line for line in stderr)


WORKER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from etlfabric.runners import warm
    key = warm.key_for(Path(sys.executable), {"PATH": "/usr/bin:/bin"}, None, None)
    started = warm._start(key)
    print(started.proc.pid, flush=True)
    os._exit(0)  # as a worker killed with -9: no clean-up of any kind
    """
)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def test_a_waiting_interpreter_leaves_with_its_worker():
    worker = subprocess.run(
        [sys.executable, "-c", WORKER], capture_output=True, text=True, check=True, timeout=30
    )
    pid = int(worker.stdout.split()[0])
    until = time.monotonic() + 5
    while not _gone(pid) and time.monotonic() < until:
        time.sleep(0.05)
    assert _gone(pid)


def test_the_base_environment_is_all_a_waiting_interpreter_holds(data_dir):
    script = spec(content="print('x')", env_vars={"API_TOKEN": "secret-of-the-script"})
    for number in (1, 2):
        run(replace(script, run_id=script.run_id + number))
    waiting = warm.pool.waiting()
    assert waiting is not None
    environ = Path(f"/proc/{waiting.proc.pid}/environ").read_bytes().decode()
    held = dict(item.split("=", 1) for item in environ.split("\0") if item)
    assert held == dict(waiting.key.base_env)
    assert set(held) == {"PATH", "LANG", "LC_ALL", "TZ", "PYTHONUNBUFFERED", "VIRTUAL_ENV"}
    assert "secret-of-the-script" not in environ
