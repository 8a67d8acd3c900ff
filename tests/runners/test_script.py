"""run_script end to end: the child's environment, its working directory, its user."""

from __future__ import annotations

import ctypes
import json
import os
import pwd
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from etlfabric.config import reset_settings
from etlfabric.runners import run_script
from etlfabric.runners.script import remove_tree
from tests.runners.conftest import Recorder, never, spec

RUN_USER = "etlfabric-test-run"
DUMP_ENVIRONMENT = "import os\nfor k, v in sorted(os.environ.items()): print(f'{k}={v}')"


def script_output(recorder: Recorder) -> list[tuple[str, str]]:
    return [(stream, line) for _, stream, line in recorder.calls if stream != "system"]


def run(script, cancel=never):
    recorder = Recorder()
    outcome = run_script(script, on_output=recorder, should_cancel=cancel)
    return outcome, recorder


def test_python_and_shell_scripts_print_their_lines(data_dir):
    code = "import sys, time\nprint('one')\ntime.sleep(0.05)\nprint('two', file=sys.stderr)"
    outcome, recorder = run(spec(content=code))
    assert outcome.status == "succeeded" and outcome.exit_code == 0
    assert script_output(recorder) == [("stdout", "one"), ("stderr", "two")]

    code = "echo one\r\nsleep 0.05\r\necho two >&2\r\nexit 5\r\n"  # CRLF from a Windows editor
    outcome, recorder = run(spec(type="shell", content=code))
    assert (outcome.status, outcome.exit_code, outcome.error) == ("failed", 5, "exit code 5")
    assert script_output(recorder) == [("stdout", "one"), ("stderr", "two")]


def test_the_first_line_arrives_before_the_script_ends(data_dir):
    code = "import time\nprint('before')\ntime.sleep(1)\nprint('after')"
    outcome, recorder = run(spec(content=code))
    ended = time.monotonic() - recorder.started
    assert outcome.status == "succeeded"
    first_at = recorder.calls[0][0]
    assert recorder.lines("stdout") == ["before", "after"]
    assert first_at < ended - 0.8


def test_no_platform_secret_reaches_a_script(data_dir):
    os.environ.update(CANARY_SECRET="canary-7f3a9c", SECRET_KEY="secret-key-canary-0b1d" * 3)
    reset_settings()
    script = spec(content=DUMP_ENVIRONMENT, env_vars={"API_TOKEN": "own", "ETLFABRIC_RUN_ID": "x"})
    outcome, recorder = run(script)
    assert outcome.status == "succeeded"
    output = recorder.text()
    for secret in ("canary-7f3a9c", "secret-key-canary-0b1d", os.environ["FERNET_KEYS"]):
        assert secret not in output
    for name in ("DATABASE_URL", "REDIS_URL", "FERNET_KEYS", "SECRET_KEY", "CANARY_SECRET"):
        assert f"{name}=" not in output
    variables = dict(line.split("=", 1) for line in recorder.lines("stdout"))
    assert variables["ETLFABRIC_RUN_ID"] == str(script.run_id)
    assert variables["API_TOKEN"] == "own"
    assert variables["PYTHONUNBUFFERED"] == "1"
    assert variables["PATH"].split(":")[1:] == ["/usr/local/bin", "/usr/bin", "/bin"]
    assert variables["HOME"] == variables["TMPDIR"].removesuffix("/tmp")
    assert "ETLFABRIC_PAYLOAD" not in variables


def test_the_payload_is_handed_to_the_script(data_dir):
    payload = json.dumps({"rows": [1, 2]})
    content = "import json, os\nprint(json.loads(os.environ['ETLFABRIC_PAYLOAD'])['rows'])"
    outcome, recorder = run(spec(content=content, payload=payload))
    assert outcome.status == "succeeded"
    assert recorder.lines("stdout") == ["[1, 2]"]


def test_a_fresh_working_directory_is_removed_afterwards(data_dir):
    content = (
        "import os, pathlib\nprint(os.getcwd())\nprint(sorted(os.listdir('.')))\n"
        "pathlib.Path('out.txt').write_text('x')\n"
        "os.makedirs('locked/inner')\nos.chmod('locked', 0o500)"
    )
    script = spec(content=content)
    outcome, recorder = run(script)
    assert outcome.status == "succeeded", recorder.text()
    cwd, listing = recorder.lines("stdout")
    assert cwd == str(data_dir / "runs" / str(script.org_id) / str(script.run_id))
    assert listing == "['script.py', 'tmp']"
    assert not Path(cwd).exists()


def test_batch_scripts_run_only_on_windows(data_dir):
    outcome, recorder = run(spec(type="batch", content="echo hi"))
    assert (outcome.status, outcome.error) == (
        "failed",
        "batch scripts run only on Windows workers",
    )
    assert recorder.lines("system") == [outcome.error]


@pytest.mark.slow
def test_a_shell_script_can_use_a_tool_its_requirements_installed(data_dir):
    script = spec(type="shell", requirements="pyflakes", content="pyflakes --version")
    outcome, recorder = run(script)
    assert outcome.status == "succeeded", recorder.text()
    assert recorder.lines("stdout")[0].startswith(("3.", "4.", "5."))


def test_the_worker_process_is_not_dumpable_after_a_run(data_dir):
    run(spec())
    libc = ctypes.CDLL(None)
    assert libc.prctl(3, 0, 0, 0, 0) == 0  # PR_GET_DUMPABLE: /proc/<worker>/environ is hidden


@pytest.mark.slow
def test_reusing_an_environment_adds_little_to_a_run(data_dir, capsys):
    script = spec()
    run(script)

    def timed(action) -> float:
        started = time.perf_counter()
        action()
        return time.perf_counter() - started

    runs = [timed(lambda: run(script)) for _ in range(20)]
    direct = [sys.executable, "-c", "print('hello')"]
    bare = [timed(lambda: subprocess.run(direct, capture_output=True)) for _ in range(20)]
    overhead = statistics.median(runs) - statistics.median(bare)
    with capsys.disabled():
        print(
            f"\nrun_script {statistics.median(runs) * 1000:.1f} ms, python -c "
            f"{statistics.median(bare) * 1000:.1f} ms, overhead {overhead * 1000:.1f} ms"
        )
    assert overhead < 0.05


def ensure_run_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(RUN_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", RUN_USER], check=True)
        return pwd.getpwnam(RUN_USER)


def readable_python() -> str | None:
    """An interpreter the run user can execute (this machine's own may sit under /root)."""
    for candidate in ("/usr/local/bin/python3", "/usr/bin/python3"):
        if os.path.exists(candidate):
            return candidate
    return None


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="switching to the run user needs a root worker")
def test_scripts_run_as_the_configured_user():
    entry = ensure_run_user()
    python = readable_python()
    if python is None:
        pytest.skip("no system Python the run user can execute")
    data_dir = Path(tempfile.mkdtemp(prefix="etlfabric-run-as-"))  # pytest's tmp is under a 0700
    os.environ.update(DATA_DIR=str(data_dir), RUN_SCRIPTS_AS=RUN_USER, SCRIPT_PYTHON=python)
    reset_settings()
    secrets = data_dir / "secrets.json"
    secrets.write_text("{}")
    secrets.chmod(0o600)
    content = (
        "import os\nprint(os.getuid(), os.getgid(), os.getgroups())\n"
        "print(os.stat('.').st_uid)\nopen('tmp/x', 'w').write('ok')\n"
        f"try:\n    open({str(secrets)!r}).read()\nexcept PermissionError:\n    print('denied')\n"
    )
    script = spec(content=content, requirements="six")
    outcome, recorder = run(script)
    assert outcome.status == "succeeded", recorder.text()
    ids, owner, denied = recorder.lines("stdout")
    assert ids == f"{entry.pw_uid} {entry.pw_gid} []"
    assert owner == str(entry.pw_uid)
    assert denied == "denied"
    assert not (data_dir / "runs" / "1" / str(script.run_id)).exists()
    shutil.rmtree(data_dir)


LOOKS_INTO = """import os, sys
pid, workdir, envs = sys.argv[1:] if len(sys.argv) > 1 else ({pid!r}, {workdir!r}, {envs!r})
print(os.getuid())
for name, attempt in (
    ("environ", lambda: open(f"/proc/{{pid}}/environ", "rb").read()),
    ("memory", lambda: open(f"/proc/{{pid}}/mem", "rb").read(1)),
    ("signal", lambda: os.kill(int(pid), 0)),
    ("workdir", lambda: os.listdir(workdir)),
    ("runs", lambda: os.listdir(os.path.dirname(workdir))),
    ("environments", lambda: os.listdir(envs)),
):
    try:
        attempt()
        print(name, "open")
    except PermissionError:
        print(name, "denied")
    except OSError:  # opened, but nothing at that address
        print(name, "open")
"""


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="switching to run users needs a root worker")
def test_each_organisation_runs_as_its_own_user_and_cannot_look_into_another(data_dir):
    """Organisation A's script holds a secret variable and waits; B's script, running at the
    same time, can neither read A's process (environ, memory, signals) nor list its folders."""
    os.environ.pop("RUN_SCRIPTS_AS", None)
    reset_settings()
    secret = f"secret-{os.urandom(8).hex()}"
    waits = "import os, time\nprint('ready', os.getpid(), os.getuid(), os.getcwd(), flush=True)\n"
    waits += "time.sleep(60)"
    first = spec(org_id=9101, content=waits, env_vars={"API_TOKEN": secret})
    stop = threading.Event()
    first_recorder = Recorder()
    waiting = threading.Thread(
        target=run_script,
        args=(first,),
        kwargs={"on_output": first_recorder, "should_cancel": stop.is_set},
    )
    waiting.start()
    try:
        deadline = time.monotonic() + 60
        while not any(line.startswith("ready") for line in first_recorder.lines("stdout")):
            assert time.monotonic() < deadline and waiting.is_alive(), first_recorder.text()
            time.sleep(0.05)
        _, pid, first_uid, workdir = first_recorder.lines("stdout")[0].split()
        envs = str(data_dir / "envs" / "9101")
        looks = LOOKS_INTO.format(pid=pid, workdir=workdir, envs=envs)
        outcome, recorder = run(spec(org_id=9102, content=looks))
    finally:
        stop.set()
        waiting.join(30)
    assert outcome.status == "succeeded", recorder.text()
    second_uid, *checks = recorder.lines("stdout")
    assert pwd.getpwuid(int(first_uid)).pw_name == "etlfabric-o9101"
    assert pwd.getpwuid(int(second_uid)).pw_name == "etlfabric-o9102"
    names = ("environ", "memory", "signal", "workdir", "runs", "environments")
    assert checks == [f"{name} denied" for name in names]
    assert secret not in recorder.text()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as an unprivileged worker")
def test_a_non_root_worker_removes_folders_its_script_locked():
    parent = Path(tempfile.mkdtemp(prefix="etlfabric-remove-"))  # pytest's tmp is under a 0700
    parent.chmod(0o777)
    tree = parent / "run"
    nobody = pwd.getpwnam("nobody")
    pid = os.fork()
    if pid == 0:  # the child plays a worker running as `nobody`, its script as the same user
        status = 1
        try:
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            (tree / "a" / "b").mkdir(parents=True)
            (tree / "a" / "b" / "f").write_text("x")
            (tree / "link").symlink_to("/etc")
            (tree / "a" / "b").chmod(0o000)
            (tree / "a").chmod(0o500)
            remove_tree(tree)
            status = 0 if not tree.exists() else 2
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    parent.rmdir()
    assert os.waitstatus_to_exitcode(status) == 0
    assert os.stat("/etc").st_mode & 0o777 == 0o755
