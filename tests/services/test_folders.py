import pytest
from sqlalchemy import select

from etlfabric.db import tenant_session
from etlfabric.errors import Conflict, Invalid, NotFound, PermissionDenied
from etlfabric.models import AuditLog
from etlfabric.services import folders, scripts
from tests.factories import call, make_member, make_owned_org


def shape(nodes):
    return [(node.name, node.path, shape(node.children)) for node in nodes]


async def test_nested_folders_form_a_tree_with_paths(owner):
    reports = await call(folders.create, owner, name="Reports")
    daily = await call(folders.create, owner, name="Daily", parent_id=reports.id)
    await call(folders.create, owner, name="Archive", parent_id=daily.id)
    await call(folders.create, owner, name="admin")
    tree = await call(folders.tree, owner)
    assert shape(tree) == [
        ("admin", "admin", []),
        (
            "Reports",
            "Reports",
            [("Daily", "Reports/Daily", [("Archive", "Reports/Daily/Archive", [])])],
        ),
    ]


async def test_names_are_checked_and_unique_among_siblings(owner):
    reports = await call(folders.create, owner, name="  Reports  ")
    assert reports.name == "Reports"
    for bad in ("", "   ", "a/b", "back\\slash", "tab\there", "x" * 201):
        with pytest.raises(Invalid) as caught:
            await call(folders.create, owner, name=bad)
        assert caught.value.field == "name"
    with pytest.raises(Conflict, match="already exists at the top level"):
        await call(folders.create, owner, name="reports")
    inside = await call(folders.create, owner, name="Reports", parent_id=reports.id)
    assert inside.parent_id == reports.id, "the same name is fine in another folder"
    with pytest.raises(Invalid) as caught:
        await call(folders.create, owner, name="Orphan", parent_id=999_999)
    assert caught.value.field == "parent_id"
    assert len(await call(folders.list_folders, owner)) == 2


async def test_rename_and_move_refuse_cycles_and_clashes(owner):
    top = await call(folders.create, owner, name="Top")
    middle = await call(folders.create, owner, name="Middle", parent_id=top.id)
    low = await call(folders.create, owner, name="Low", parent_id=middle.id)
    await call(folders.create, owner, name="Other")
    for target in (top.id, middle.id, low.id):
        with pytest.raises(Invalid, match="into itself or its subfolders"):
            await call(folders.move, owner, folder_id=top.id, parent_id=target)
    with pytest.raises(Conflict):
        await call(folders.rename, owner, folder_id=top.id, name="OTHER")
    moved = await call(folders.move, owner, folder_id=low.id, parent_id=None)
    renamed = await call(folders.rename, owner, folder_id=moved.id, name="Lowest")
    assert (renamed.parent_id, renamed.name) == (None, "Lowest")
    paths = folders.folder_paths(await call(folders.list_folders, owner))
    assert sorted(paths.values()) == ["Lowest", "Other", "Top", "Top/Middle"]


async def test_only_empty_folders_are_deleted_and_the_refusal_says_why(owner):
    finance = await call(folders.create, owner, name="Finance")
    await call(folders.create, owner, name="Old", parent_id=finance.id)
    script = await call(scripts.create, owner, name="Payroll", folder_id=finance.id)
    with pytest.raises(Conflict) as caught:
        await call(folders.delete, owner, folder_id=finance.id)
    assert caught.value.message == (
        "Folder 'Finance' is not empty: it holds 1 script(s) (Payroll) and 1 folder(s) (Old). "
        "Move or delete them first."
    )
    await call(scripts.delete, owner, script_id=script.id)  # a deleted script does not count
    old = [f for f in await call(folders.list_folders, owner) if f.name == "Old"][0]
    await call(folders.delete, owner, folder_id=old.id)
    await call(folders.delete, owner, folder_id=finance.id)
    with pytest.raises(NotFound):
        await call(folders.get, owner, folder_id=finance.id)
    again = await call(folders.create, owner, name="Finance")
    assert again.id != finance.id


async def test_roles_tenancy_and_audit():
    org, _, owner = await make_owned_org()
    _, viewer = await make_member(org, "viewer")
    folder = await call(folders.create, owner, name="Shared")
    await call(folders.update, owner, folder_id=folder.id, name="Shared")  # no change, no row
    await call(folders.update, owner, folder_id=folder.id, name="Team")
    assert [f.name for f in await call(folders.list_folders, viewer)] == ["Team"]
    for function, kwargs in (
        (folders.create, {"name": "x"}),
        (folders.rename, {"folder_id": folder.id, "name": "y"}),
        (folders.delete, {"folder_id": folder.id}),
    ):
        with pytest.raises(PermissionDenied):
            await call(function, viewer, **kwargs)
    _, _, stranger = await make_owned_org()
    for function, kwargs in (
        (folders.get, {}),
        (folders.rename, {"name": "mine now"}),
        (folders.delete, {}),
    ):
        with pytest.raises(NotFound):
            await call(function, stranger, folder_id=folder.id, **kwargs)
    await call(folders.delete, owner, folder_id=folder.id)
    async with tenant_session(org.id) as session:
        rows = list(
            await session.scalars(
                select(AuditLog).where(AuditLog.resource_type == "folder").order_by(AuditLog.id)
            )
        )
    assert [(r.action, r.old_values, r.new_values) for r in rows] == [
        ("folder.create", None, {"name": "Shared", "parent_id": None}),
        ("folder.update", {"name": "Shared"}, {"name": "Team"}),
        ("folder.delete", {"name": "Team", "parent_id": None}, None),
    ]
