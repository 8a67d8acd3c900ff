"""Structured logs: one JSON object per line, rotated by size, and no secret in any line, from a
logger in this process and from a real worker that ran a script holding a secret."""

import json
import logging
import shutil
import tempfile
from pathlib import Path

import pytest

from etlfabric.config import get_settings, reset_settings
from etlfabric.logs import configure_logging, redact
from etlfabric.services import workers
from tests.processes import wait_for

SCRIPT_SECRET = "s3cr3t-value-given-to-the-platform"


@pytest.fixture
def logs_in(tmp_path, monkeypatch):
    """Logging configured for a process whose DATA_DIR is tmp_path; the root logger restored."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)

    def configure(process: str, **env: str):
        monkeypatch.setenv("DATA_DIR", str(tmp_path))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        reset_settings()
        return configure_logging(process)

    yield configure
    for handler in root.handlers:
        if handler not in saved[0]:
            handler.close()
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def json_lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_line_is_a_json_object_with_the_context(logs_in):
    path = logs_in("scheduler")
    log = logging.getLogger("etlfabric.test")
    log.info("fired %d schedules", 3, extra={"org_id": 7})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("a job failed")
    first, second = json_lines(path)
    assert first["message"] == "fired 3 schedules" and first["org_id"] == 7
    assert (first["level"], first["logger"], first["process"]) == (
        "INFO",
        "etlfabric.test",
        "scheduler",
    )
    assert first["ts"].endswith("+00:00") and first["pid"] > 0
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exception"]


def test_files_rotate_by_size_and_keep_the_set_number(logs_in):
    path = logs_in("web", LOG_MAX_BYTES="2048", LOG_BACKUP_COUNT="2")
    log = logging.getLogger("etlfabric.test")
    for number in range(200):
        log.warning("line %03d %s", number, "x" * 40)
    files = sorted(p.name for p in path.parent.glob("web.log*") if not p.name.endswith(".lock"))
    assert files == ["web.log", "web.log.1", "web.log.2"]
    for name in files:
        lines = json_lines(path.parent / name)
        assert lines and all(line["process"] == "web" for line in lines)
        assert (path.parent / name).stat().st_size <= 2048 + 400
    assert json_lines(path)[-1]["message"].startswith("line 199")


def test_the_secrets_of_the_platform_are_masked(logs_in):
    path = logs_in("web", SMTP_PASSWORD="smtp-pass-0123456789")
    settings = get_settings()
    secret_key = settings.secret_key.get_secret_value()
    fernet_key = settings.fernet_key_list()[0]
    log = logging.getLogger("etlfabric.test")
    log.info("settings %s and %s", secret_key, fernet_key)
    log.info("mail with %s", "smtp-pass-0123456789")
    log.info("connecting to postgresql+psycopg2://etl:db-password-42@db:5432/app")
    log.info("Authorization: Bearer eyJhbGciOi.payload.signature")
    log.info("key etf_abcdefghijklmnopqrstuvwxyz012345 used")
    log.info("body", extra={"detail": "password=hunter22 token: abc123"})
    text = path.read_text()
    for secret in (
        secret_key,
        fernet_key,
        "smtp-pass-0123456789",
        "db-password-42",
        "eyJhbGciOi",
        "abcdefghijklmnopqrstuvwxyz012345",
        "hunter22",
        "abc123",
    ):
        assert secret not in text
    assert text.count("***") >= 8
    assert all(json_lines(path))  # still valid JSON after masking


def test_redact_keeps_ordinary_text():
    assert redact("ran 3 runs in 2.5 s for org 4", []) == "ran 3 runs in 2.5 s for org 4"


@pytest.mark.slow
async def test_a_worker_logs_json_and_never_a_secret_a_script_was_given(monkeypatch, request):
    from tests.factories import make_owned_org
    from tests.run_factories import log_texts, make_script, start, wait_status, worker

    # Not under pytest's tmp_path (0700): the unprivileged run user must reach the run folders.
    data_dir = Path(tempfile.mkdtemp(prefix="etlfabric-logs-"))
    request.addfinalizer(lambda: shutil.rmtree(data_dir, ignore_errors=True))
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    reset_settings()
    _, _, owner = await make_owned_org()
    script = await make_script(
        owner.org_id,
        content="import os\nprint('using', os.environ['SERVICE_TOKEN'])\n",
        env_vars={"SERVICE_TOKEN": SCRIPT_SECRET},
    )
    with worker(data_dir, "logs", concurrency=1, queues="default,logs-extra"):
        alive = wait_for(
            lambda: [w for w in _workers_now() if w.name.startswith("logs-")], 30, "a heartbeat"
        )
        assert set(alive[0].queues) == {"default", "logs-extra"} and alive[0].alive
        run = await start(owner, script)
        done = wait_status(owner.org_id, run.id, ("succeeded", "failed"), timeout=120)
        assert done.status.value == "succeeded", (done.error, log_texts(owner.org_id, run.id))
    lines = json_lines(data_dir / "logs" / "worker.log")
    assert any("etlfabric.execute_run" in line["message"] for line in lines)
    assert all(line["process"] == "worker" for line in lines)
    for log_file in (data_dir / "logs").glob("*.log*"):
        assert SCRIPT_SECRET not in log_file.read_text(errors="replace")
    assert not [w for w in _workers_now() if w.name.startswith("logs-")]  # forgotten on stop


def _workers_now() -> list:
    """What the health page would list now (read with the blocking client: wait_for polls)."""
    import time

    from etlfabric.services import run_events

    entries = run_events.sync_redis().hgetall(workers.WORKERS_KEY)
    return [workers._parse(name, raw, time.time()) for name, raw in entries.items()]
