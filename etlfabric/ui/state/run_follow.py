"""Following a run from a page's background event: the run re-read every POLL seconds, in a
transaction of its own each time, until it ends or FOLLOW_SECONDS pass (a run still going then is
left to its own page). Used by the panels that start dbt runs and show their progress."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from etlfabric.db import tenant_session
from etlfabric.models import Run
from etlfabric.services import runs
from etlfabric.services.permissions import Principal
from etlfabric.ui.state.run_format import ACTIVE

POLL = 1.0
FOLLOW_SECONDS = 15 * 60


async def run_updates(principal: Principal, run_id: int) -> AsyncIterator[Run]:
    """The run after each POLL until it has ended (the last one yielded is the ended run);
    DomainError when it cannot be read (deleted, or the user lost access)."""
    for _ in range(int(FOLLOW_SECONDS / POLL)):
        await asyncio.sleep(POLL)
        async with tenant_session(principal.org_id) as session:
            run = await runs.get_run(session=session, principal=principal, run_id=run_id)
        yield run
        if run.status.value not in ACTIVE:
            return
