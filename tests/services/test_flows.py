"""The flow view and "run with downstream" (async services for REST and the UI)."""

import pytest

from etlfabric.db import tenant_session
from etlfabric.errors import Conflict, NotFound
from etlfabric.services import flows
from tests.factories import make_owned_org
from tests.flow_factories import end, link, run_flow, scripts_named

pytestmark = pytest.mark.usefixtures("clean_queues")


async def test_the_flow_view_lists_its_runs_and_subgraph_and_other_orgs_get_404(owner):
    made = await scripts_named(owner, "a", "b", "c")
    await link(owner, "a>b b>c", made)
    root = await run_flow(owner, made["a"])
    end(owner, root.id)
    async with tenant_session(owner.org_id) as session:
        view = await flows.get_flow(session=session, principal=owner, flow_id=root.flow_id)
        recent = await flows.list_flows(session=session, principal=owner)
    assert [(n.name, n.status) for n in view.nodes] == [
        ("a", "succeeded"),
        ("b", "queued"),
        ("c", None),
    ]
    assert [run.target_name for run in view.runs] == ["a", "b"]
    assert len(view.edges) == 2 and recent[0].id == root.flow_id
    _, _, stranger = await make_owned_org()
    async with tenant_session(stranger.org_id) as session:
        with pytest.raises(NotFound):
            await flows.get_flow(session=session, principal=stranger, flow_id=root.flow_id)
        assert await flows.list_flows(session=session, principal=stranger) == []


async def test_running_a_disabled_script_with_downstream_is_refused(owner):
    made = await scripts_named(owner, "off", enabled=False)
    with pytest.raises(Conflict, match="disabled"):
        await run_flow(owner, made["off"])
    async with tenant_session(owner.org_id) as session:
        assert await flows.list_flows(session=session, principal=owner) == []
