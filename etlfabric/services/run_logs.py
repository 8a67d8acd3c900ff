"""Run output: numbered lines stored in batches, published live, read back from any point.

Writing (the worker): `LogWriter(org_id=..., run_id=..., secrets=[...]).start()`; `write(stream,
text)` from the runner's callback; `close()` before the run's final status is recorded. Lines get
seq 1, 2, 3...; a batch is stored (one INSERT) and then published on the run's Redis channel at
least every FLUSH_SECONDS or every BATCH_LINES lines, and the first line after a quiet spell at
once. The script's own variable values are masked (`****`) before anything is stored or
published. When the run ends, runs.py publishes the end marker `{"end": true, "status": ...}` on
the same channel after the final status commits.

Reading: `read_lines(after_seq=N)` pages from the database; `done` is true once the run has ended
and the page reached the last line. `read_tail` gives the last lines (a long log opens at its end)
and `read_before(before_seq=N)` pages backwards from there. A live viewer (UI or SSE) uses `follow`:

    async for lines in run_logs.follow(principal=principal, run_id=run_id, after_seq=last_seq):
        show(lines); last_seq = lines[-1].seq       # the loop ends when the run has ended

`follow` subscribes first, then reads the database from after_seq, then yields published batches
(re-reading the database on any gap, and every few seconds when nothing arrives). So a viewer that
reconnects with the last seq it has gets every later line exactly once.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from etlfabric.db import sync_tenant_session, tenant_session
from etlfabric.errors import Invalid
from etlfabric.models import RunLog
from etlfabric.redis_client import get_redis
from etlfabric.services import run_events as events
from etlfabric.services import runs
from etlfabric.services.permissions import Principal

log = logging.getLogger("etlfabric.run_logs")

FLUSH_SECONDS = 0.2
BATCH_LINES = 500
MAX_LINES = 1_000_000  # per run; later lines are dropped with one note, so a log stays readable
MASK = "****"
MIN_MASKED_CHARS = 3  # shorter values ("1", "on") would blank out ordinary output
ERROR_LINE_CHARS = 300  # of the last stderr line, added to "exit code N"
PAGE_LINES = 1000
MAX_PAGE_LINES = 5000
RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class LogLine:
    seq: int
    ts: datetime
    stream: str  # "stdout" | "stderr" | "system"
    text: str

    def as_dict(self) -> dict:
        ts = self.ts.isoformat()
        return {"seq": self.seq, "ts": ts, "stream": self.stream, "text": self.text}


def masker(secrets: Iterable[str]) -> Callable[[str], str]:
    """Replace every occurrence of a secret value (each line of a multi-line one) with ****."""
    pieces = {
        piece
        for value in secrets
        for piece in str(value).splitlines()
        if len(piece.strip()) >= MIN_MASKED_CHARS
    }
    if not pieces:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(p) for p in sorted(pieces, key=len, reverse=True)))
    return lambda text: pattern.sub(MASK, text)


class LogWriter:
    """Numbers, masks, stores and publishes one run's lines. Thread-safe; `write` never blocks on
    the database except to flush a full batch."""

    def __init__(
        self,
        *,
        org_id: int,
        run_id: int,
        secrets: Iterable[str] = (),
        flush_seconds: float = FLUSH_SECONDS,
        batch_lines: int = BATCH_LINES,
        max_lines: int = MAX_LINES,
    ) -> None:
        self.org_id, self.run_id = org_id, run_id
        self._mask = masker(secrets)
        self._flush_seconds, self._batch_lines, self._max_lines = (
            flush_seconds,
            batch_lines,
            max_lines,
        )
        self._buffer: list[dict] = []
        self._seq = 0
        self._lock = threading.Lock()  # the buffer and the counter
        self._flushing = threading.Lock()  # one flush at a time, so batches stay in seq order
        self._stop, self._wake = threading.Event(), threading.Event()
        self._last_flush = 0.0
        self.last_error_line = ""  # the last non-blank stderr line, masked (says why it failed)
        self._thread = threading.Thread(target=self._flush_loop, daemon=True, name="run-log")

    @property
    def last_seq(self) -> int:
        return self._seq

    def start(self) -> LogWriter:
        self._thread.start()
        return self

    def write(self, stream: str, text: str) -> None:
        with self._lock:
            if self._seq > self._max_lines:
                return
            self._seq += 1
            if self._seq > self._max_lines:
                stream, text = "system", f"Output truncated: more than {self._max_lines} lines."
            clean = self._mask(text.replace("\x00", "\ufffd"))  # PostgreSQL text has no NUL
            if stream == "stderr" and clean.strip():
                self.last_error_line = clean.strip()[:ERROR_LINE_CHARS]
            self._buffer.append(
                {"seq": self._seq, "ts": datetime.now(UTC), "stream": stream[:8], "text": clean}
            )
            full = len(self._buffer) >= self._batch_lines
        if full:
            self.flush()
        elif time.monotonic() - self._last_flush >= self._flush_seconds:
            self._wake.set()  # the first line after a quiet spell goes out at once

    def flush(self) -> None:
        with self._flushing:
            with self._lock:
                rows, self._buffer = self._buffer, []
            if not rows:
                return
            self._last_flush = time.monotonic()
            try:
                with sync_tenant_session(self.org_id) as session:
                    self._insert(session, rows)
            except Exception:  # keep them for the next flush; the database may be back by then
                log.exception("storing %d log lines of run %s failed", len(rows), self.run_id)
                with self._lock:
                    self._buffer = rows + self._buffer
                return
            self._publish(rows)

    def _insert(self, session: Session, rows: list[dict]) -> None:
        session.execute(insert(RunLog), [{"run_id": self.run_id, **row} for row in rows])

    def stop(self) -> list[dict]:
        """Stop the timer and hand over the lines not stored yet, to be stored with the final
        status in one transaction (`store_with`)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
        with self._flushing, self._lock:
            rows, self._buffer = self._buffer, []
        return rows

    def store_with(self, session: Session, rows: list[dict]) -> None:
        """Store `rows` in `session`'s transaction; they are published once it commits."""
        if rows:
            self._insert(session, rows)
            events.after_commit(session, lambda: self._publish(rows))

    def _publish(self, rows: list[dict]) -> None:
        lines = [{**row, "ts": row["ts"].isoformat()} for row in rows]
        try:
            events.publish(events.log_channel(self.org_id, self.run_id), {"lines": lines})
        except Exception:  # stored already; viewers re-read the database when they hear nothing
            log.warning("publishing log lines of run %s failed", self.run_id, exc_info=True)

    def _flush_loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._flush_seconds)
            self._wake.clear()
            if self._stop.is_set():
                return  # close() or stop() stores what is left
            self.flush()

    def close(self) -> None:
        """Stop the timer and store what is left (call before recording the final status)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()
        self.flush()


# --- reading -----------------------------------------------------------------------------------


async def read_lines(
    *,
    session: AsyncSession,
    principal: Principal,
    run_id: int,
    after_seq: int = 0,
    limit: int = PAGE_LINES,
) -> tuple[list[LogLine], bool]:
    """Lines with seq > after_seq in order, and whether they are the last ones the run will have."""
    if not 1 <= limit <= MAX_PAGE_LINES:
        raise Invalid("limit", f"Choose between 1 and {MAX_PAGE_LINES} lines.")
    # The status first: a run ends only after its last lines are stored.
    run = await runs.get_run(session=session, principal=principal, run_id=run_id)
    rows = await session.execute(
        select(RunLog.seq, RunLog.ts, RunLog.stream, RunLog.text)
        .where(RunLog.run_id == run_id, RunLog.seq > after_seq)
        .order_by(RunLog.seq)
        .limit(limit)
    )
    lines = [LogLine(*row) for row in rows]
    return lines, run.status in runs.TERMINAL and len(lines) < limit


async def read_tail(
    *, session: AsyncSession, principal: Principal, run_id: int, limit: int = PAGE_LINES
) -> tuple[list[LogLine], int]:
    """The last `limit` lines in order, and the seq a live follow resumes after (0: none yet).

    A page opens a long log here instead of streaming it from line 1."""
    lines = await read_before(session=session, principal=principal, run_id=run_id, limit=limit)
    return lines, lines[-1].seq if lines else 0


async def read_before(
    *,
    session: AsyncSession,
    principal: Principal,
    run_id: int,
    before_seq: int | None = None,
    limit: int = PAGE_LINES,
) -> list[LogLine]:
    """The `limit` lines just before `before_seq` (default: the end), in order: paging back."""
    if not 1 <= limit <= MAX_PAGE_LINES:
        raise Invalid("limit", f"Choose between 1 and {MAX_PAGE_LINES} lines.")
    await runs.get_run(session=session, principal=principal, run_id=run_id)
    query = select(RunLog.seq, RunLog.ts, RunLog.stream, RunLog.text).where(RunLog.run_id == run_id)
    if before_seq is not None:
        query = query.where(RunLog.seq < before_seq)
    rows = await session.execute(query.order_by(RunLog.seq.desc()).limit(limit))
    return [LogLine(*row) for row in reversed(rows.all())]


def _published(message: dict | None) -> list[LogLine] | None:
    """The lines of a published batch; None for a timeout, the end marker or anything else."""
    if not message or message.get("type") != "message":
        return None
    data = json.loads(message["data"])
    if "lines" not in data:
        return None
    return [
        LogLine(line["seq"], datetime.fromisoformat(line["ts"]), line["stream"], line["text"])
        for line in data["lines"]
    ]


async def _read_page(principal: Principal, run_id: int, after_seq: int):
    async with tenant_session(principal.org_id) as session:
        return await read_lines(
            session=session, principal=principal, run_id=run_id, after_seq=after_seq
        )


async def _subscribed(pubsub, channel: str) -> None:
    """Subscribe and wait for Redis to confirm, so nothing published after this is missed."""
    await pubsub.subscribe(channel)
    for _ in range(50):
        message = await pubsub.get_message(timeout=0.1)
        if message and message.get("type") == "subscribe":
            return


async def follow(
    *,
    principal: Principal,
    run_id: int,
    after_seq: int = 0,
    recheck_seconds: float = RECHECK_SECONDS,
) -> AsyncIterator[list[LogLine]]:
    """Batches of lines with seq > after_seq, live, until the run has ended and all are given.

    NotFound / PermissionDenied are raised before anything is yielded."""
    await _read_page(principal, run_id, after_seq)  # refuse early: another tenant's run, a role
    pubsub = get_redis().pubsub()
    try:
        await _subscribed(pubsub, events.log_channel(principal.org_id, run_id))
        last, from_database = after_seq, True
        while True:
            if from_database:
                lines, done = await _read_page(principal, run_id, last)
                if lines:
                    last = lines[-1].seq
                    yield lines
                if done:
                    return
                from_database = len(lines) == PAGE_LINES  # more to catch up on
                continue
            message = await pubsub.get_message(
                ignore_subscribe_messages=True, timeout=recheck_seconds
            )
            batch = _published(message)
            fresh = [line for line in batch or [] if line.seq > last]
            if batch is None or (fresh and fresh[0].seq != last + 1):
                from_database = True  # quiet, ended, or a gap: the database is the truth
            elif fresh:
                last = fresh[-1].seq
                yield fresh
    finally:
        await pubsub.aclose()
