"""The run page's state (/runs/[run_id]): the run, its live log, search, download, cancel, rerun.

The page opens a long log at its end: the last TAIL_LINES lines (run_logs.read_tail), and "load
earlier lines" pages backwards. From there the log follows the run with a background event:
run_logs.follow (Redis pub/sub, with the database as the truth) feeds a queue; the loop takes a
batch at most every POLL seconds and also re-reads the run's status then, so lines appear well
within a second and the status never lags. The page keeps at most MAX_SHOWN lines (the download
has all of them); `last_seq` is where a follow resumes, so a reload or a second follow never shows
a line twice or misses one. The loop ends when the page is left (on_unmount), loaded again, or
its tab closes: Reflex cancels an on_load chain when its client disconnects, and a loop started
by "Resume live updates" gives up after GONE_AFTER seconds without the browser
(tests/ui/test_run_detail_page.py watches the Redis subscription go away).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.models import Run
from etlfabric.services import run_analytics, run_logs, run_starts, runs
from etlfabric.services.permissions import Principal
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal
from etlfabric.ui.state.run_format import ACTIVE, cpu, load_results, memory, run_row, when

log = logging.getLogger(__name__)

MAX_SHOWN = 5000
TAIL_LINES = 500  # what a page opens with
EARLIER_LINES = 500  # one "load earlier lines"
MAX_MATCHES = 1000
POLL = 0.25  # how often the loop looks for new lines
STATUS_EVERY = 1.0  # the status is re-read at least this often
GONE_AFTER = 30.0  # seconds without a connected browser before the loop gives up
READ_PAGE = run_logs.MAX_PAGE_LINES


def run_id_of(path: str) -> int | None:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else None


def line_row(line: run_logs.LogLine) -> dict[str, str]:
    return {
        "seq": str(line.seq),
        "time": line.ts.strftime("%H:%M:%S.%f")[:-3],
        "stream": line.stream,
        "text": line.text,
    }


def run_facts(run: Run, anomaly=None) -> dict[str, str]:
    facts = run_row(run, anomaly)
    facts |= {
        "peak_memory": memory(run.peak_memory_mb),
        "cpu_time": cpu(run.cpu_time_ms),
        "worker": run.worker or "",
        "queue": run.queue,
        "cancel_requested": when(run.cancel_requested_at),
        "retry_of": f"/runs/{run.retry_of_id}" if run.retry_of_id else "",
        "retried_as": f"/runs/{(run.details or {}).get('retried_as')}"
        if (run.details or {}).get("retried_as")
        else "",
    }
    return facts


async def client_connected(token: str) -> bool:
    """Whether the browser tab is still connected (to any web worker); True when unsure.

    Reflex has no public "client gone" signal yet (reflex-dev/reflex#5049). The token manager's
    check also sees a tab that reconnected to another web worker; where it is missing, the public
    `token_to_sid` (this worker's sockets) is the answer the Reflex maintainers point to.
    """
    try:
        from etlfabric.etlfabric import app  # the running app; imported late (it imports us)

        namespace = app.event_namespace
        if namespace is None:
            return True
        manager = getattr(namespace, "_token_manager", None)
        if manager is not None and hasattr(manager, "is_token_connected"):
            return await manager.is_token_connected(token)
        return token in namespace.token_to_sid
    except Exception:
        return True


async def _pump(principal: Principal, run_id: int, after: int, queue: asyncio.Queue) -> None:
    """Feed `queue` with batches of lines, then None once the run has ended and all are in."""
    try:
        async for batch in run_logs.follow(principal=principal, run_id=run_id, after_seq=after):
            await queue.put(batch)
    except Exception as exc:  # the loop shows it and stops following
        log.warning("following the log of run %s stopped", run_id, exc_info=True)
        await queue.put(exc)
        return
    await queue.put(None)


class RunDetailState(rx.State):
    run: dict[str, str] = {}
    loaded_tables: list[dict[str, str]] = []  # a pipeline run's rows per table
    load_notes: list[str] = []  # its load id, schema changes and contract violations
    missing: str = ""
    lines: list[dict[str, str]] = []  # {"seq", "time", "stream", "text"}
    earlier_lines: int = 0  # lines before the first one on the page (seqs run 1, 2, 3...)
    last_seq: int = 0  # the newest line on the page: where a follow resumes
    loading_earlier: bool = False
    following: bool = False
    follow_error: str = ""
    autoscroll: bool = True
    search: str = ""
    matches: list[dict[str, str]] = []
    matches_capped: bool = False
    searching: bool = False
    _run_id: int = 0
    _watch: int = 0  # bumped by every load: an older follow loop sees it and stops

    @rx.var
    def active(self) -> bool:
        return self.run.get("status", "") in ACTIVE

    @rx.var
    def earlier_room(self) -> int:
        """How many earlier lines one more "load earlier" may add (the page's cap allowing)."""
        return max(0, min(EARLIER_LINES, self.earlier_lines, MAX_SHOWN - len(self.lines)))

    def _add(self, batch: list[run_logs.LogLine]) -> None:
        fresh = [line_row(line) for line in batch if line.seq > self.last_seq]
        if not fresh:
            return
        self.last_seq = int(fresh[-1]["seq"])
        lines = self.lines + fresh
        if len(lines) > MAX_SHOWN:
            lines = lines[-MAX_SHOWN:]
        self.lines = lines
        self.earlier_lines = int(lines[0]["seq"]) - 1

    async def _read_tail(self, principal: Principal) -> None:
        async with tenant_session(principal.org_id) as session:
            tail, self.last_seq = await run_logs.read_tail(
                session=session, principal=principal, run_id=self._run_id, limit=TAIL_LINES
            )
        self.lines = [line_row(line) for line in tail]
        self.earlier_lines = tail[0].seq - 1 if tail else 0

    async def _read_run(self, principal: Principal) -> None:
        async with tenant_session(principal.org_id) as session:
            run = await runs.get_run(session=session, principal=principal, run_id=self._run_id)
            slow = await run_analytics.anomalous_runs(
                session=session, principal=principal, run_ids=[run.id]
            )
        self.run = run_facts(run, slow.get(run.id))
        self.loaded_tables, self.load_notes = load_results(run.details)

    @rx.event
    async def load(self):
        """on_load: the run and the end of its log, then the rest live while it runs."""
        self._watch += 1
        self.run, self.missing, self.lines, self.earlier_lines = {}, "", [], 0
        self.loaded_tables, self.load_notes = [], []
        self.search, self.matches, self.matches_capped, self.follow_error = "", [], False, ""
        self.autoscroll, self.last_seq, self.loading_earlier = True, 0, False
        principal = await acting_principal(self)
        if principal is None:
            return None
        self._run_id = run_id_of(self.router.url.path) or 0
        try:
            if not self._run_id:
                raise DomainError("There is no run at this address.")
            await self._read_run(principal)
            await self._read_tail(principal)
        except DomainError as exc:
            self.missing = exc.message
            return None
        return RunDetailState.follow

    @rx.event
    async def load_earlier(self):
        """The lines just before the first one on the page, put above it."""
        room = self.earlier_room
        if not self.lines or room <= 0:
            return None
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        self.loading_earlier = True
        try:
            async with tenant_session(principal.org_id) as session:
                earlier = await run_logs.read_before(
                    session=session,
                    principal=principal,
                    run_id=self._run_id,
                    before_seq=int(self.lines[0]["seq"]),
                    limit=room,
                )
        except DomainError as exc:
            self.loading_earlier = False
            return rx.toast.error(exc.message)
        self.lines = [line_row(line) for line in earlier] + self.lines
        self.earlier_lines = int(self.lines[0]["seq"]) - 1 if earlier else 0
        self.loading_earlier = False
        return None

    @rx.event(background=True)
    async def follow(self):
        """Live lines and status until the run ends, the page is left or loaded again, or the
        browser has been gone for a while (a later visit loads the page, and follows, anew)."""
        async with self:
            principal = await acting_principal(self)
            if principal is None or not self._run_id:
                return
            self.following, self.follow_error = True, ""
            watch, run_id, after = self._watch, self._run_id, self.last_seq
            token = self.router.session.client_token
        queue: asyncio.Queue = asyncio.Queue()
        pump = asyncio.create_task(_pump(principal, run_id, after, queue))
        try:
            await self._follow_loop(principal, queue, watch, token)
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pump
            async with self:
                if self._watch == watch:
                    self.following = False

    async def _follow_loop(self, principal: Principal, queue, watch: int, token: str) -> None:
        ended, last_read, last_check, away_since = False, 0.0, 0.0, None
        clock = asyncio.get_running_loop().time
        while not ended:
            try:
                batches = [await asyncio.wait_for(queue.get(), timeout=POLL)]
            except TimeoutError:
                batches = []
            while not queue.empty():  # whatever else arrived meanwhile, in one update
                batches.append(queue.get_nowait())
            now = clock()
            if not batches and now - last_read < STATUS_EVERY:
                continue
            if now - last_check >= STATUS_EVERY:  # is anybody still watching?
                away_since = None if await client_connected(token) else (away_since or now)
                last_check = now
                if now - (away_since or now) > GONE_AFTER:
                    return
            async with self:
                if self._watch != watch:
                    return  # the page was left or loaded again
                for batch in batches:
                    if isinstance(batch, Exception):
                        self.follow_error = "The live log stopped. Reload the page to resume."
                    if not isinstance(batch, list):
                        ended = True
                    else:
                        self._add(batch)
                # The status at least every STATUS_EVERY; at once while the page still says queued
                # (the first lines mean the run has started) and when the log has ended.
                stale = now - last_read >= STATUS_EVERY or self.run.get("status") == "queued"
                if stale or ended:
                    with contextlib.suppress(DomainError):
                        await self._read_run(principal)
                    last_read = now

    @rx.event
    def stop_following(self):
        """on_unmount of the log: the background loop ends at its next step."""
        self._watch += 1

    @rx.event
    def set_autoscroll(self, at_bottom: bool):
        """From the log's scroll position: following the end only while the user is there."""
        self.autoscroll = bool(at_bottom)

    @rx.event
    def resume_autoscroll(self):
        self.autoscroll = True

    async def _all_lines(self, principal: Principal):
        """Every line of the run in order, a page at a time."""
        after = 0
        while True:
            async with tenant_session(principal.org_id) as session:
                page, done = await run_logs.read_lines(
                    session=session,
                    principal=principal,
                    run_id=self._run_id,
                    after_seq=after,
                    limit=READ_PAGE,
                )
            for line in page:
                yield line
            if len(page) < READ_PAGE:
                return
            after = page[-1].seq

    @rx.event
    async def search_log(self, form_data: dict):
        """Lines of the whole log (not only those on the page) that contain the text, any case."""
        term = str(form_data.get("log_search") or "").strip()
        self.search, self.matches, self.matches_capped = term, [], False
        if not term:
            return None
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        self.searching = True
        folded, matches = term.casefold(), []
        async for line in self._all_lines(principal):
            if folded in line.text.casefold():
                matches.append(line_row(line))
                if len(matches) >= MAX_MATCHES:
                    self.matches_capped = True
                    break
        self.matches, self.searching = matches, False
        return None

    @rx.event
    def clear_search(self):
        self.search, self.matches, self.matches_capped = "", [], False

    @rx.event
    async def download_log(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        parts = []
        async for line in self._all_lines(principal):
            stamp = line.ts.isoformat(timespec="milliseconds")
            parts.append(f"{stamp} [{line.stream}] {line.text}\n")
        return rx.download(data="".join(parts), filename=f"run-{self._run_id}.txt")

    @rx.event
    async def cancel(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                run = await runs.request_cancel(
                    session=session, principal=principal, run_id=self._run_id
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.run = run_facts(run)
        message = (
            "Cancelled." if run.status.value == "cancelled" else "Cancelling: stopping the run…"
        )
        return rx.toast.info(message)

    @rx.event
    async def rerun(self):
        principal = await acting_principal(self)
        if principal is None:
            return SESSION_OVER
        try:
            async with tenant_session(principal.org_id) as session:
                run = await run_starts.rerun(
                    session=session, principal=principal, run_id=self._run_id
                )
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return rx.redirect(f"/runs/{run.id}")
