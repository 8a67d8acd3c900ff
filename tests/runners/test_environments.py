"""Script environments: built once per (script, requirements, Python), reused, pruned."""

from __future__ import annotations

import fcntl
import os
import statistics
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from etlfabric.config import reset_settings
from etlfabric.runners import prune_environments, run_script
from etlfabric.runners.environments import LAST_USED, environment
from etlfabric.runners.requirements import normalise_requirements, requirement_problem
from tests.runners.conftest import Recorder, never, spec


def env_folder(data_dir: Path, script) -> list[Path]:
    folder = data_dir / "envs" / str(script.org_id) / str(script.script_id)
    return sorted(path for path in folder.iterdir() if path.is_dir())


def test_an_interpreter_that_cannot_run_fails_clearly(data_dir):
    os.environ["SCRIPT_PYTHON"] = "/nonexistent/python3"
    reset_settings()
    outcome = run_script(spec(), on_output=Recorder(), should_cancel=never)
    assert outcome.status == "failed"
    assert outcome.error.startswith("The interpreter /nonexistent/python3 (SCRIPT_PYTHON) cannot")


def test_requirements_are_normalised():
    text = "  six==1.17.0  \n# a comment\n\ntomli # inline\nsix==1.17.0\n"
    assert normalise_requirements(text) == ["six==1.17.0", "tomli"]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("-r /etc/shadow", "only the options"),
        ("-e .", "only the options"),
        ("./local-package", "local files and paths"),
        ("pkg @ file:///etc/passwd", "local files and paths"),
        ("--index-url /srv/index", "an index must be an http(s) URL"),
    ],
)
def test_requirements_that_would_read_the_workers_files_are_refused(line, problem, data_dir):
    recorder = Recorder()
    outcome = run_script(spec(requirements=line), on_output=recorder, should_cancel=never)
    assert outcome.status == "failed"
    assert outcome.error.startswith("The requirements were refused: ") and problem in outcome.error
    assert requirement_problem(["six", "--index-url https://pypi.org/simple"]) is None


@pytest.mark.slow
def test_requirements_install_once_and_the_next_run_reuses_them(data_dir):
    script = spec(requirements="six", content="import six; print(six.__version__)")
    first = Recorder()
    outcome = run_script(script, on_output=first, should_cancel=never)
    assert outcome.status == "succeeded", first.text()
    assert any("+ six==" in line for line in first.lines("system"))
    [env] = env_folder(data_dir, script)
    before = env.stat()

    again = Recorder()
    outcome = run_script(script, on_output=again, should_cancel=never)
    assert outcome.status == "succeeded"
    assert again.lines("system") == [], "a reused environment says nothing"
    assert again.lines("stdout") == first.lines("stdout")
    [same] = env_folder(data_dir, script)
    assert (same.stat().st_ino, same.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.slow
def test_changed_requirements_get_a_new_environment(data_dir):
    script = spec(requirements="six")
    run_script(script, on_output=Recorder(), should_cancel=never)
    changed = spec(script_id=script.script_id, requirements="six\ntomli")
    recorder = Recorder()
    assert run_script(changed, on_output=recorder, should_cancel=never).status == "succeeded"
    assert any("+ tomli==" in line for line in recorder.lines("system"))
    assert len(env_folder(data_dir, script)) == 2


@pytest.mark.slow
def test_a_requirement_that_does_not_exist_fails_with_a_clear_error(data_dir):
    script = spec(requirements="etlfabric-no-such-package-4711")
    recorder = Recorder()
    outcome = run_script(script, on_output=recorder, should_cancel=never)
    assert outcome.status == "failed" and outcome.exit_code is None
    assert outcome.error.startswith("Installing the requirements failed: ")
    assert "etlfabric-no-such-package-4711 was not found in the package registry" in outcome.error
    assert outcome.error.endswith("Fix the requirements and run again.")
    assert recorder.lines("system")[-1] == outcome.error
    assert env_folder(data_dir, script) == [], "nothing half-made is left behind"


@pytest.mark.slow
def test_concurrent_first_runs_build_the_environment_once(data_dir):
    script = spec(requirements="tomli", content="import tomli; print('ok')")
    recorders = [Recorder() for _ in range(4)]
    outcomes = [None] * 4

    def run(index: int) -> None:
        own_run = replace(script, run_id=script.run_id * 100 + index)
        outcomes[index] = run_script(own_run, on_output=recorders[index], should_cancel=never)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [outcome.status for outcome in outcomes] == ["succeeded"] * 4
    builds = [r for r in recorders if any("Creating the environment" in x for x in r.lines())]
    assert len(builds) == 1
    assert all(r.lines("stdout") == ["ok"] for r in recorders)
    assert len(env_folder(data_dir, script)) == 1


@pytest.mark.slow
def test_a_build_cancelled_midway_leaves_nothing_behind(data_dir):
    script = spec(requirements="tomli\nsix")
    recorder = Recorder()

    def cancel() -> bool:
        return any("Creating the environment" in line for line in recorder.lines())

    outcome = run_script(script, on_output=recorder, should_cancel=cancel)
    assert (outcome.status, outcome.error) == ("cancelled", "cancelled")
    assert env_folder(data_dir, script) == []


def test_staging_left_by_a_crashed_build_is_ignored_then_pruned(tmp_path):
    script = spec()
    folder = tmp_path / "envs" / "1" / str(script.script_id)
    crashed = folder / "0123456789abcdef.build-x1y2z3"
    (crashed / "env" / "bin").mkdir(parents=True)
    an_hour_ago = time.time() - 3600
    os.utime(crashed, (an_hour_ago, an_hour_ago))
    make_environment(tmp_path, script.script_id)
    assert prune_environments(max_idle_days=30, data_dir=tmp_path) == []
    assert not crashed.exists()
    assert len(env_folder(tmp_path, script)) == 1


@pytest.mark.slow
def test_an_environment_without_requirements_is_cheap(data_dir):
    script = spec()
    started = time.monotonic()
    outcome = run_script(script, on_output=Recorder(), should_cancel=never)
    assert outcome.status == "succeeded"
    assert time.monotonic() - started < 1


def make_environment(data_dir: Path, script_id: int, requirements: str = "") -> float:
    """Enter and leave an environment; return how long entering took (seconds)."""
    started = time.perf_counter()
    with environment(
        data_dir=data_dir,
        org_id=1,
        script_id=script_id,
        requirements=requirements,
        on_output=Recorder(),
        should_cancel=never,
    ):
        return time.perf_counter() - started


def test_prune_removes_idle_environments_and_keeps_fresh_and_busy_ones(tmp_path):
    idle, fresh, busy = (spec() for _ in range(3))
    for script in (idle, fresh, busy):
        make_environment(tmp_path, script.script_id)
    long_ago = time.time() - 40 * 86400
    [idle_env], [busy_env] = env_folder(tmp_path, idle), env_folder(tmp_path, busy)
    for env in (idle_env, busy_env):
        os.utime(env / LAST_USED, (long_ago, long_ago))

    lock = os.open(busy_env.parent / f"{busy_env.name}.lock", os.O_RDWR)
    fcntl.flock(lock, fcntl.LOCK_SH)  # as a run using it holds it
    try:
        assert prune_environments(max_idle_days=30, data_dir=tmp_path) == [idle_env]
    finally:
        os.close(lock)
    assert env_folder(tmp_path, idle) == []
    assert len(env_folder(tmp_path, fresh)) == 1
    assert prune_environments(max_idle_days=30, data_dir=tmp_path) == [busy_env]
    assert len(env_folder(tmp_path, fresh)) == 1


@pytest.mark.slow
def test_measured_environment_costs(data_dir, capsys):
    """DESIGN targets: reusing an environment adds ≤ 50 ms a run; a new one ≤ 2 s (warm cache)."""
    script = spec(requirements="six")
    run_script(script, on_output=Recorder(), should_cancel=never)  # warms the uv cache for six

    reuse = statistics.median(
        make_environment(data_dir, script.script_id, "six") for _ in range(20)
    )
    new = make_environment(data_dir, spec().script_id, "six")
    bare = make_environment(data_dir, spec().script_id)
    with capsys.disabled():
        print(
            f"\nenv reuse {reuse * 1000:.2f} ms, new env (six, warm cache) {new * 1000:.0f} ms, "
            f"new env without requirements {bare * 1000:.0f} ms"
        )
    assert reuse < 0.05
    assert new < 2
