"""The flow page's state (/flows/[flow_id]): one "run with downstream", its graph coloured by each
target's run in the flow, and every run of the flow (retries and skipped ones too).

While the flow is running a background loop re-reads it every POLL seconds; it stops when the flow
ends, the page is left or loaded again (`_watch`), or the browser has gone away.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError
from etlfabric.services import flows
from etlfabric.ui.state.acting import acting_principal
from etlfabric.ui.state.dependencies import graph_nodes, node_key
from etlfabric.ui.state.run_detail import GONE_AFTER, client_connected, run_id_of
from etlfabric.ui.state.run_format import TRIGGER_LABELS, run_row, target_href, when

POLL = 1.0
FLOW_LABELS = {
    "running": "Running",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


def flow_facts(view: flows.FlowView) -> dict[str, str]:
    flow = view.flow
    status = flow.status.value
    return {
        "id": str(flow.id),
        "root": flow.root_name or f"{flow.root_type.value} #{flow.root_id}",
        "root_href": target_href(flow.root_type.value, flow.root_id),
        "status": status,
        "status_label": FLOW_LABELS.get(status, status),
        "trigger": TRIGGER_LABELS.get(flow.trigger.value, flow.trigger.value),
        "started": when(flow.created_at),
        "finished": when(flow.finished_at),
        "progress": progress(view),
    }


def progress(view: flows.FlowView) -> str:
    done = sum(1 for node in view.nodes if node.status == "succeeded")
    return f"{done} of {len(view.nodes)} targets succeeded"


class FlowViewState(rx.State):
    flow: dict[str, str] = {}
    runs: list[dict[str, str]] = []
    nodes: list[dict] = []
    edges: list[dict] = []
    missing: str = ""
    _flow_id: int = 0
    _watch: int = 0

    @rx.var
    def running(self) -> bool:
        return self.flow.get("status", "") == "running"

    async def _read(self, principal) -> None:
        async with tenant_session(principal.org_id) as session:
            view = await flows.get_flow(session=session, principal=principal, flow_id=self._flow_id)
        pairs = [(node_key(*up), node_key(*down)) for up, down in view.edges]
        items = [(node_key(n.type, n.id), n.name, n.type, n.status) for n in view.nodes]
        self.flow = flow_facts(view)
        self.runs = [run_row(run) for run in view.runs]
        self.nodes = graph_nodes(items, pairs)
        self.edges = [
            {"id": f"{up}>{down}", "source": up, "target": down, "selected": False}
            for up, down in pairs
        ]

    @rx.event
    async def load(self):
        self._watch += 1
        self.flow, self.runs, self.nodes, self.edges, self.missing = {}, [], [], [], ""
        principal = await acting_principal(self)
        if principal is None:
            return None
        self._flow_id = run_id_of(self.router.url.path) or 0
        try:
            if not self._flow_id:
                raise DomainError("There is no flow at this address.")
            await self._read(principal)
        except DomainError as exc:
            self.missing = exc.message
            return None
        return FlowViewState.follow if self.running else None

    @rx.event(background=True)
    async def follow(self):
        """Re-read the flow every POLL seconds until it ends or nobody is watching."""
        async with self:
            principal = await acting_principal(self)
            if principal is None:
                return
            watch, token = self._watch, self.router.session.client_token
        clock = asyncio.get_running_loop().time
        away_since = None
        while True:
            await asyncio.sleep(POLL)
            if not await client_connected(token):
                away_since = away_since or clock()
                if clock() - away_since > GONE_AFTER:
                    return
            else:
                away_since = None
            async with self:
                if self._watch != watch:
                    return
                try:
                    await self._read(principal)
                except DomainError as exc:
                    self.missing = exc.message
                    return
                if not self.running:
                    return

    @rx.event
    def stop_following(self):
        self._watch += 1
