"""Structured logs: the one place where web, worker and scheduler configure logging.

`configure_logging("worker")` sends every record, as one JSON object per line, to stderr and to
DATA_DIR/logs/<process>.log, rotated by size (LOG_MAX_BYTES, LOG_BACKUP_COUNT). Several processes
of one kind (granian workers, Celery's pool) share a file: rotation happens under a file lock and
a writer whose file was rotated by another process reopens it. Before a line is written, every
secret the platform knows (settings secrets, passwords in URLs, bearer tokens, API keys) is
replaced by "***".
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import sys
import traceback
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from urllib.parse import urlsplit

from etlfabric.config import Settings, get_settings

MASK = "***"
# Standard LogRecord attributes: anything else a caller passes with `extra=` is a field of its own.
_RECORD_ATTRIBUTES = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}
_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\b(etf_)[A-Za-z0-9_-]{8,}"),  # API keys and trigger tokens
    re.compile(r"(?i)((?:password|passwd|secret|token|api_key)[\"']?\s*[=:]\s*[\"']?)[^\s\"',&]+"),
    re.compile(r"(://[^:/@\s]+:)[^@\s]+(@)"),  # the password in a URL
)
_configured: str | None = None


def known_secrets(settings: Settings) -> list[str]:
    """Values of the settings that must never reach a log line, longest first."""
    values = [settings.secret_key, settings.smtp_password, settings.metrics_token]
    found = [value.get_secret_value() for value in values if value is not None]
    found += settings.fernet_key_list()
    for url in (settings.database_url, settings.redis_url):
        password = urlsplit(url).password if url else None
        if password:
            found.append(password)
    return sorted({value for value in found if len(value) >= 6}, key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(_masked, text)
    return text


def _masked(match: re.Match) -> str:
    """The prefix a pattern keeps (and the URL's "@"), the secret itself replaced."""
    return match.group(1) + MASK + (match.group(2) if match.re.groups > 1 else "")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, process, pid, message, extras, exception."""

    def __init__(self, process: str, secrets: list[str]) -> None:
        super().__init__()
        self.process = process
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "process": self.process,
            "pid": record.process,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _RECORD_ATTRIBUTES and not name.startswith("_"):
                line[name] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info))
        text = json.dumps(line, ensure_ascii=False, default=str)
        return redact(text, self.secrets)


class SharedRotatingFileHandler(RotatingFileHandler):
    """RotatingFileHandler for a file several processes append to.

    The size check and the rename run under an exclusive flock on `<file>.lock`; a process whose
    open file was renamed by another reopens the path before writing (as WatchedFileHandler does).
    """

    def __init__(self, filename: Path, max_bytes: int, backup_count: int) -> None:
        super().__init__(filename, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")
        self._lock_path = f"{self.baseFilename}.lock"

    def _reopen_if_moved(self) -> None:
        try:
            on_disk = os.stat(self.baseFilename)
        except FileNotFoundError:
            on_disk = None
        if self.stream is not None:
            mine = os.fstat(self.stream.fileno())
            if on_disk and (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino):
                return
            self.stream.close()
        self.stream = self._open()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            with open(self._lock_path, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                self._reopen_if_moved()
                if self.shouldRollover(record):
                    self.doRollover()
                logging.FileHandler.emit(self, record)
        except Exception:
            self.handleError(record)


def log_dir(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).data_dir / "logs"


def configure_logging(process: str, *, settings: Settings | None = None) -> Path:
    """Route the root logger to JSON lines on stderr and in DATA_DIR/logs/<process>.log."""
    global _configured
    settings = settings or get_settings()
    folder = log_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{process}.log"
    formatter = JsonFormatter(process, known_secrets(settings))
    to_file = SharedRotatingFileHandler(path, settings.log_max_bytes, settings.log_backup_count)
    to_stderr = logging.StreamHandler(sys.stderr)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_etlfabric", False):
            root.removeHandler(handler)
            handler.close()
    for handler in (to_file, to_stderr):
        handler.setFormatter(formatter)
        handler._etlfabric = True
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    _configured = process
    return path


def configured_process() -> str | None:
    return _configured
