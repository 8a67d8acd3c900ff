"""Targets: the whole dbt project (transformation:0) is live once the project has a model, seed or
snapshot, is offered by the target pickers, named by label(), found by name, and starts a run."""

from __future__ import annotations

import pytest

from etlfabric.db import tenant_session
from etlfabric.errors import NotFound
from etlfabric.models import RunStatus, TargetType, Transformation, Trigger
from etlfabric.services import run_starts, targets
from etlfabric.services.targets import PROJECT_NAME
from tests.factories import call
from tests.run_factories import make_script
from tests.transformation_factories import seed


async def add_model(org_id: int, name: str) -> Transformation:
    async with tenant_session(org_id) as session:
        model = Transformation(name=name, sql="select 1 as id", schema_name="staging")
        session.add(model)
        await session.flush()
        return model


async def live_name(org_id: int, target) -> str | None:
    async with tenant_session(org_id) as session:
        return await session.scalar(targets.live(*target))


async def test_the_project_is_a_choice_once_it_has_something_to_build(owner):
    script = await make_script(owner.org_id, name="Export")
    assert await call(targets.choices, owner) == [("script", script.id, "Export")]
    assert await live_name(owner.org_id, targets.PROJECT) is None
    model = await add_model(owner.org_id, "orders")
    assert await call(targets.choices, owner) == [
        ("transformation", 0, PROJECT_NAME),
        ("script", script.id, "Export"),
        ("transformation", model.id, "orders"),
    ]
    assert await live_name(owner.org_id, ("transformation", 0)) == PROJECT_NAME


async def test_a_seed_alone_makes_the_project_live(owner):
    seed(owner.org_id, "countries", "code\nfr\n")
    assert ("transformation", 0, PROJECT_NAME) in await call(targets.choices, owner)


def test_label_names_the_project_without_a_lookup():
    assert targets.label("transformation", 0, {}) == PROJECT_NAME
    assert targets.label(TargetType.transformation, 7, {}) == "transformation #7"
    assert targets.is_project("transformation", 0) and not targets.is_project("script", 0)
    assert targets.parse("transformation:0") == targets.PROJECT


async def test_the_project_is_found_by_name_and_started_like_any_target(owner):
    with pytest.raises(NotFound):
        await call(targets.find_by_name, owner, target_type="transformation", name=PROJECT_NAME)
    await add_model(owner.org_id, "orders")
    found = await call(targets.find_by_name, owner, target_type="transformation", name=PROJECT_NAME)
    assert found == 0
    run = await call(
        run_starts.start_target,
        owner,
        target_type="transformation",
        target_id=0,
        trigger=Trigger.url,
    )
    assert (run.target_id, run.target_name, run.payload) == (0, PROJECT_NAME, None)
    assert run.status in (RunStatus.queued, RunStatus.failed)  # failed: no worker in this test
