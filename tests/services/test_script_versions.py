"""Script versions: every save of code keeps one, restore makes a new one, drafts make none."""

import pytest
from sqlalchemy import select

from etlfabric.db import tenant_session
from etlfabric.errors import Conflict, Invalid, NotFound
from etlfabric.models import Script, ScriptVersion
from etlfabric.services import script_versions, scripts
from tests.factories import audit_rows, call


async def version_numbers(principal, script_id) -> list[int]:
    rows = await call(script_versions.versions, principal, script_id=script_id)
    return [row.number for row in rows]


async def test_every_save_of_code_keeps_a_version_and_restore_makes_a_new_one(owner):
    script = await call(scripts.create, owner, name="etl", content="print(1)\n")
    await call(scripts.update, owner, script_id=script.id, content="print(2)\n", message="two")
    await call(scripts.update, owner, script_id=script.id, requirements="requests\n")
    await call(scripts.update, owner, script_id=script.id, description="no new version")
    await call(scripts.update, owner, script_id=script.id, content="print(2)\n")  # unchanged
    assert await version_numbers(owner, script.id) == [3, 2, 1]
    second = await call(script_versions.get_version, owner, script_id=script.id, number=2)
    assert (second.content, second.message, second.author_id) == (
        "print(2)\n",
        "two",
        owner.user_id,
    )
    patch = await call(script_versions.diff, owner, script_id=script.id, a=1, b=3)
    assert "--- version 1/etl.py" in patch and "-print(1)\n+print(2)\n" in patch
    assert "+++ version 3/requirements.txt" in patch and "+requests\n" in patch
    restored = await call(script_versions.restore, owner, script_id=script.id, number=1)
    assert (restored.content, restored.requirements, restored.current_version) == (
        "print(1)\n",
        "",
        4,
    )
    latest = await call(script_versions.get_version, owner, script_id=script.id, number=4)
    assert latest.message == "Restored version 1"
    again = await call(script_versions.restore, owner, script_id=script.id, number=4)
    assert again.current_version == 4, "restoring the current version changes nothing"
    with pytest.raises(NotFound):
        await call(script_versions.get_version, owner, script_id=script.id, number=9)
    with pytest.raises(Invalid) as caught:
        await call(script_versions.diff, owner, script_id=script.id, a=1, b=9)
    assert caught.value.field == "b"


async def test_drafts_do_not_make_versions_or_audit_rows_and_a_save_clears_them(owner):
    script = await call(scripts.create, owner, name="draft", content="x = 1\n")
    before = len(await audit_rows(owner, "script", script.id))
    for number in range(5):
        drafted = await call(
            script_versions.save_draft, owner, script_id=script.id, content=f"x = {number} +"
        )
    assert drafted.draft_content == "x = 4 +" and drafted.draft_saved_at is not None
    assert drafted.content == "x = 1\n", "the saved code is untouched"
    assert await version_numbers(owner, script.id) == [1]
    assert len(await audit_rows(owner, "script", script.id)) == before
    saved = await call(scripts.update, owner, script_id=script.id, content="x = 5\n")
    assert saved.draft_content is None and saved.current_version == 2
    same = await call(script_versions.save_draft, owner, script_id=script.id, content="x = 5\n")
    assert same.draft_content is None, "a draft equal to the saved code is no draft"


async def test_saving_over_a_newer_version_is_a_conflict(owner):
    script = await call(scripts.create, owner, name="shared", content="a = 1\n")
    await call(scripts.update, owner, script_id=script.id, content="a = 2\n", base_version=1)
    with pytest.raises(Conflict, match="Version 2 was saved after version 1"):
        await call(scripts.update, owner, script_id=script.id, content="a = 3\n", base_version=1)


async def test_versions_rows_hold_the_text(owner):
    script = await call(scripts.create, owner, name="v", content="a = 1\n", requirements="rich\n")
    async with tenant_session(owner.org_id) as session:
        row = await session.scalar(
            select(ScriptVersion).where(ScriptVersion.script_id == script.id)
        )
        stored = await session.get(Script, script.id)
    assert (row.number, row.content, row.requirements, row.message) == (
        1,
        "a = 1\n",
        "rich\n",
        "Created",
    )
    assert stored.current_version == 1
