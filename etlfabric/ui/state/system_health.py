"""The system health page's state: one reading of services/system_health, refreshed every
REFRESH_SECONDS by a background loop while the page is open (on_unmount ends it)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import reflex as rx

from etlfabric.db import platform_session
from etlfabric.errors import DomainError
from etlfabric.services import system_health
from etlfabric.services.permissions import Principal
from etlfabric.ui.state.acting import acting_principal
from etlfabric.ui.state.run_detail import GONE_AFTER, client_connected

REFRESH_SECONDS = 3.0


def size(count: float) -> str:
    """Bytes as people read them: `512 B`, `3.4 MB`, `1.2 GB`."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1024 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return ""


def ago(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    return f"{seconds:.1f} s ago" if seconds < 120 else f"{seconds / 60:.0f} min ago"


def clock(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"


def reading(found: system_health.SystemHealth) -> dict:
    host, scheduler = found.host, found.scheduler
    return {
        "gauges": [
            {
                "label": "CPU",
                "value": round(host.cpu_percent),
                "text": f"{host.cpu_percent:.0f}% of {host.cpu_count} cores",
            },
            {
                "label": "Memory",
                "value": round(host.memory_percent),
                "text": f"{size(host.memory_used)} of {size(host.memory_total)}",
            },
            {
                "label": "Disk (data folder)",
                "value": round(host.disk_percent),
                "text": f"{size(host.disk_used)} of {size(host.disk_total)}",
            },
        ],
        "facts": {
            "database": size(found.database_bytes),
            "organizations": str(found.organizations),
            "leader": scheduler.leader or "No scheduler is leading",
            "last_tick": clock(scheduler.last_tick_at),
            "lag": ago(scheduler.lag_seconds),
            "lag_level": "ok"
            if scheduler.lag_seconds is not None and scheduler.lag_seconds < 30
            else "bad",
            "checked": clock(found.checked_at),
        },
        "queues": [{"name": name, "waiting": str(n)} for name, n in found.queues.items()],
        "workers": [
            {
                "name": w.name,
                "host": w.host,
                "queues": ", ".join(w.queues),
                "concurrency": str(w.concurrency),
                "seen": clock(datetime.fromtimestamp(w.seen_at, UTC)),
                "alive": "yes" if w.alive else "",
            }
            for w in found.workers
        ],
    }


class SystemHealthState(rx.State):
    gauges: list[dict] = []
    facts: dict[str, str] = {}
    queues: list[dict[str, str]] = []
    workers: list[dict[str, str]] = []
    denied: str = ""
    refreshes: int = 0
    _watch: int = 0

    @rx.var
    def alive_workers(self) -> int:
        return sum(1 for w in self.workers if w.get("alive"))

    async def _read(self, principal: Principal) -> None:
        async with platform_session() as session:
            found = await system_health.system_health(session=session, principal=principal)
        values = reading(found)
        self.gauges, self.facts = values["gauges"], values["facts"]
        self.queues, self.workers = values["queues"], values["workers"]
        self.refreshes += 1

    @rx.event
    async def load(self):
        self._watch += 1
        self.denied = ""
        principal = await acting_principal(self)
        if principal is None:
            return None
        try:
            await self._read(principal)
        except DomainError as exc:
            self.denied = exc.message
            return None
        return SystemHealthState.follow

    @rx.event(background=True)
    async def follow(self):
        """Read again every REFRESH_SECONDS until the page is left or loaded again."""
        async with self:
            principal = await acting_principal(self)
            if principal is None:
                return
            watch, token = self._watch, self.router.session.client_token
        loop_clock = asyncio.get_running_loop().time
        away_since = None
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            if not await client_connected(token):
                away_since = away_since or loop_clock()
                if loop_clock() - away_since > GONE_AFTER:
                    return
                continue
            away_since = None
            async with self:
                if self._watch != watch:
                    return
                try:
                    await self._read(principal)
                except DomainError as exc:
                    self.denied = exc.message
                    return

    @rx.event
    def stop_following(self):
        self._watch += 1
