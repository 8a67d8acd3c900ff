import asyncio

import pytest
from sqlalchemy import text

from etlfabric.db import tenant_schema, tenant_session
from etlfabric.errors import Conflict, Invalid, NotFound, PermissionDenied
from etlfabric.models import Trigger
from etlfabric.services import folders, script_versions, scripts
from tests.factories import audit_rows, call, make_member, make_owned_org


async def version_numbers(principal, script_id) -> list[int]:
    rows = await call(script_versions.versions, principal, script_id=script_id)
    return [row.number for row in rows]


async def test_safe_names_follow_the_name_and_take_a_suffix_in_the_same_folder(owner):
    first = await call(scripts.create, owner, name="Data Backup Script!")
    api = await call(scripts.create, owner, name="API Call #1")
    again = await call(scripts.create, owner, name="data backup script")
    third = await call(scripts.create, owner, name="DATA   backup -- script")
    folder = await call(folders.create, owner, name="Nightly")
    elsewhere = await call(scripts.create, owner, name="Data Backup Script!", folder_id=folder.id)
    assert (first.safe_name, api.safe_name) == ("data-backup-script", "api-call-1")
    assert (again.safe_name, third.safe_name) == ("data-backup-script-2", "data-backup-script-3")
    assert elsewhere.safe_name == "data-backup-script"
    assert (first.type.value, first.timeout_seconds, first.memory_limit_mb) == ("python", 300, 512)
    assert first.current_version == 1 and first.enabled


async def test_unicode_and_empty_names(owner):
    accented = await call(scripts.create, owner, name="Café Ünïcode résumé")
    only_letters_without_ascii = await call(scripts.create, owner, name="報告")
    assert accented.safe_name == "cafe-unicode-resume"
    assert only_letters_without_ascii.safe_name == "script"
    for bad in ("", "   ", "!!!", "#@%", "x" * 201):
        with pytest.raises(Invalid) as caught:
            await call(scripts.create, owner, name=bad)
        assert caught.value.field == "name"
    assert [s.name for s in await call(scripts.list_scripts, owner)] == [
        "Café Ünïcode résumé",
        "報告",
    ]


async def test_concurrent_creates_never_share_a_safe_name(owner):
    made = await asyncio.gather(*(call(scripts.create, owner, name="Report") for _ in range(5)))
    names = sorted(script.safe_name for script in made)
    assert names == ["report", "report-2", "report-3", "report-4", "report-5"]


async def test_rename_and_move_recompute_the_safe_name_and_delete_frees_it(owner):
    folder = await call(folders.create, owner, name="Reports")
    script = await call(scripts.create, owner, name="Sales")
    await call(scripts.create, owner, name="Sales", folder_id=folder.id)
    renamed = await call(scripts.update, owner, script_id=script.id, name="Sales!")
    assert renamed.safe_name == "sales", "the same slug keeps the safe name"
    moved = await call(scripts.update, owner, script_id=script.id, folder_id=folder.id)
    assert moved.safe_name == "sales-2"
    renamed = await call(scripts.update, owner, script_id=script.id, name="Weekly Sales")
    assert renamed.safe_name == "weekly-sales"
    await call(scripts.delete, owner, script_id=script.id)
    with pytest.raises(NotFound):
        await call(scripts.get, owner, script_id=script.id)
    reborn = await call(scripts.create, owner, name="Weekly Sales", folder_id=folder.id)
    assert reborn.safe_name == "weekly-sales", "a deleted script's safe name is free again"
    found = await call(scripts.get_by_name, owner, safe_name="weekly-sales", folder_id=folder.id)
    assert found.id == reborn.id
    with pytest.raises(NotFound):
        await call(scripts.get_by_name, owner, safe_name="weekly-sales")  # not at the top level


async def test_python_syntax_errors_name_line_and_column_and_change_nothing(owner):
    script = await call(scripts.create, owner, name="syntax", content="ok = 1\n")
    rows = len(await audit_rows(owner, "script", script.id))
    broken = "import os\n\nif True\n    pass\n"
    problems = scripts.check_syntax("python", broken)
    assert [(p.line, p.column) for p in problems] == [(3, 8)]
    assert str(problems[0]).startswith("Line 3, column 8: ")
    with pytest.raises(Invalid) as caught:
        await call(scripts.update, owner, script_id=script.id, content=broken, description="x")
    assert caught.value.field == "content" and caught.value.message.startswith("Line 3, column 8")
    with pytest.raises(Invalid, match="Line 1, column 1"):
        await call(scripts.update, owner, script_id=script.id, content="return 5\n")
    with pytest.raises(Invalid, match="Line 2, column"):
        await call(scripts.create, owner, name="bad", content="def f():\nreturn 1\n")
    unchanged = await call(scripts.get, owner, script_id=script.id)
    assert (unchanged.content, unchanged.description, unchanged.current_version) == (
        "ok = 1\n",
        "",
        1,
    )
    assert len(await audit_rows(owner, "script", script.id)) == rows
    assert [s.name for s in await call(scripts.list_scripts, owner)] == ["syntax"]
    assert scripts.check_syntax("shell", "if then fi ((") == []
    deep = scripts.check_syntax("python", "x = " + "+".join(["1"] * 200_000))
    assert [(p.line, p.column) for p in deep] == [(1, 1)] and "nested too deeply" in deep[0].message
    with pytest.raises(Invalid) as caught:
        await call(scripts.update, owner, script_id=script.id, type="python", content="\x00")
    assert caught.value.field == "content"


async def test_changing_the_type_rechecks_the_code(owner):
    shell = await call(scripts.create, owner, name="sh", type="shell", content="echo hi\n")
    assert shell.type.value == "shell"
    with pytest.raises(Invalid) as caught:
        await call(scripts.update, owner, script_id=shell.id, type="python")
    assert caught.value.field == "content"
    with pytest.raises(Invalid) as caught:
        await call(scripts.create, owner, name="x", type="powershell")
    assert caught.value.field == "type"


async def test_requirements_are_checked_line_by_line(owner):
    good = "requests>=2.31\n# comment\n\npandas[excel] ==2.2 ; python_version>'3.10'  # why\n"
    good += "-i https://pypi.example.com/simple\npkg @ https://example.com/pkg-1.0.whl\n"
    script = await call(scripts.create, owner, name="reqs", requirements=good)
    assert script.requirements == good
    for bad, line in (
        ("requests\nnot a requirement\n", 2),
        ("-e .\n", 1),
        ("ok\n\n-r other.txt\n", 3),
        ("./local/pkg\n", 1),
        ("--index-url file:///etc\n", 1),
    ):
        with pytest.raises(Invalid) as caught:
            await call(scripts.update, owner, script_id=script.id, requirements=bad)
        assert caught.value.field == "requirements"
        assert caught.value.message.startswith(f"Line {line} ("), caught.value.message


async def test_limits_are_checked(owner):
    script = await call(scripts.create, owner, name="limits", cpu_limit_seconds=60)
    for field, value in (
        ("timeout_seconds", 0),
        ("timeout_seconds", 86_401),
        ("memory_limit_mb", 63),
        ("memory_limit_mb", "512"),
        ("cpu_limit_seconds", 0),
        ("max_concurrent_runs", True),
        ("enabled", "yes"),
    ):
        with pytest.raises(Invalid) as caught:
            await call(scripts.update, owner, script_id=script.id, **{field: value})
        assert caught.value.field == field
    cleared = await call(
        scripts.update, owner, script_id=script.id, cpu_limit_seconds=None, timeout_seconds=86_400
    )
    assert (cleared.cpu_limit_seconds, cleared.timeout_seconds) == (None, 86_400)
    with pytest.raises(Invalid) as caught:
        await call(scripts.update, owner, script_id=script.id, env_vars_secret="x")
    assert caught.value.field == "env_vars_secret"


async def test_env_vars_are_encrypted_and_only_their_names_come_back(owner):
    canary = "s3cr3t-canary-value-42"
    script = await call(scripts.create, owner, name="env", env_vars={"API_TOKEN": canary})
    assert scripts.env_var_names(script) == ["API_TOKEN"]
    assert canary not in script.env_vars_secret and "API_TOKEN" not in script.env_vars_secret
    assert canary not in str(scripts.public_view(script))
    updated = await call(
        scripts.update, owner, script_id=script.id, env_vars={"API_TOKEN": None, "REGION": "eu"}
    )
    assert scripts.decrypted_env_vars(updated) == {"API_TOKEN": canary, "REGION": "eu"}
    await call(scripts.update, owner, script_id=script.id, env_vars={"API_TOKEN": "rotated-xyz"})
    untouched = await call(scripts.update, owner, script_id=script.id, env_vars=None)
    assert scripts.decrypted_env_vars(untouched) == {"API_TOKEN": "rotated-xyz"}
    final = await call(scripts.get, owner, script_id=script.id)
    assert scripts.decrypted_env_vars(final) == {"API_TOKEN": "rotated-xyz"}
    schema = tenant_schema(owner.org_id)
    async with tenant_session(owner.org_id) as session:
        stored = " ".join(await session.scalars(text(f"SELECT s::text FROM {schema}.scripts s")))
        audited = " ".join(await session.scalars(text(f"SELECT a::text FROM {schema}.audit_log a")))
    for value in (canary, "rotated-xyz", '"eu"'):
        assert value not in stored and value not in audited
    last = (await audit_rows(owner, "script", script.id))[-1]
    assert last.old_values == {"env_var_names": ["API_TOKEN", "REGION"]}
    cleared = await call(scripts.update, owner, script_id=script.id, env_vars={})
    assert cleared.env_vars_secret is None and scripts.env_var_names(cleared) == []
    assert last.new_values == {
        "env_var_names": ["API_TOKEN"],
        "env_var_values_changed": ["API_TOKEN"],
    }


async def test_env_var_names_are_checked(owner):
    script = await call(scripts.create, owner, name="env-names")
    for bad in ({"1ABC": "x"}, {"A-B": "x"}, {"ETLFABRIC_RUN_ID": "7"}, {"etlfabric_x": "y"},
                {"NEW": None}, {"OK": 5}, {"NUL": "a\x00b"}):  # fmt: skip
        with pytest.raises(Invalid) as caught:
            await call(scripts.update, owner, script_id=script.id, env_vars=bad)
        assert caught.value.field == "env_vars"
    assert (await call(scripts.get, owner, script_id=script.id)).env_vars_secret is None


async def test_upload_takes_name_and_type_from_the_file(owner):
    script = await call(
        scripts.upload,
        owner,
        filename="C:\\Users\\me\\Nightly Load.SH",
        data=b"echo 1\r\necho 2\r\n",
    )
    assert (script.name, script.safe_name, script.type.value) == (
        "Nightly Load",
        "nightly-load",
        "shell",
    )
    assert script.content == "echo 1\necho 2\n"
    batch = await call(scripts.upload, owner, filename="job.bat", data=b"\xef\xbb\xbfecho off\r\n")
    assert (batch.type.value, batch.content) == ("batch", "echo off\r\n")
    first = await call(script_versions.get_version, owner, script_id=batch.id, number=1)
    assert first.message == "Uploaded job.bat"
    for filename, data, words in (
        ("big.py", b"#" * (10 * 1024 * 1024 + 1), "larger than 10 MB"),
        ("notes.txt", b"print(1)", "only .py, .sh and .bat"),
        ("latin.py", "print('é')".encode("latin-1"), "latin.py is not UTF-8"),
        ("broken.py", b"def f(:\n", "broken.py: Line 1, column 7"),
        (".py", b"print(1)", "rename the file"),
    ):
        with pytest.raises(Invalid) as caught:
            await call(scripts.upload, owner, filename=filename, data=data)
        assert caught.value.field == "file" and words in caught.value.message, caught.value.message
    assert {s.name for s in await call(scripts.list_scripts, owner)} == {"Nightly Load", "job"}


async def test_list_filters_by_folder_and_searches(owner):
    folder = await call(folders.create, owner, name="Finance")
    await call(scripts.create, owner, name="Invoices", folder_id=folder.id, description="monthly")
    await call(scripts.create, owner, name="Cleanup", description="removes 100% of temp files")
    await call(scripts.create, owner, name="Payroll", folder_id=folder.id)

    async def names(**filters):
        return [s.name for s in await call(scripts.list_scripts, owner, **filters)]

    assert await names() == ["Cleanup", "Invoices", "Payroll"]
    assert await names(folder_id=folder.id) == ["Invoices", "Payroll"]
    assert await names(top_level_only=True) == ["Cleanup"]
    assert await names(search="MONTH") == ["Invoices"]
    assert await names(search="100%") == ["Cleanup"]
    assert await names(search="%") == ["Cleanup"], "% is a character, not a wildcard"
    with pytest.raises(Invalid) as caught:
        await call(scripts.create, owner, name="Lost", folder_id=999_999)
    assert caught.value.field == "folder_id"


async def test_viewers_read_and_editors_write():
    org, _, _ = await make_owned_org()
    _, viewer = await make_member(org, "viewer")
    _, editor = await make_member(org, "editor")
    script = await call(scripts.create, editor, name="shared")
    assert (await call(scripts.get, viewer, script_id=script.id)).name == "shared"
    assert await version_numbers(viewer, script.id) == [1]
    writes = [
        (scripts.create, {"name": "nope"}),
        (scripts.update, {"script_id": script.id, "description": "nope"}),
        (scripts.delete, {"script_id": script.id}),
        (script_versions.save_draft, {"script_id": script.id, "content": "x"}),
        (script_versions.restore, {"script_id": script.id, "number": 1}),
        (scripts.upload, {"filename": "a.py", "data": b"print(1)"}),
        (scripts.run, {"script_id": script.id}),
        (folders.create, {"name": "nope"}),
    ]
    for function, kwargs in writes:
        with pytest.raises(PermissionDenied):
            await call(function, viewer, **kwargs)
    assert [s.name for s in await call(scripts.list_scripts, viewer)] == ["shared"]


async def test_another_organisations_script_is_not_found(owner):
    # Ids count per tenant schema: the stranger's only script has id 1, this one a higher id.
    for number in range(2):
        await call(scripts.create, owner, name=f"filler {number}")
    script = await call(scripts.create, owner, name="mine", content="print(1)\n")
    _, _, stranger = await make_owned_org()
    await call(scripts.create, stranger, name="theirs")
    reads_and_writes = [
        (scripts.get, {}),
        (scripts.update, {"content": "print(2)\n"}),
        (scripts.delete, {}),
        (scripts.run, {}),
        (script_versions.versions, {}),
        (script_versions.get_version, {"number": 1}),
        (script_versions.diff, {"a": 1, "b": 1}),
        (script_versions.restore, {"number": 1}),
        (script_versions.save_draft, {"content": "x"}),
    ]
    for function, kwargs in reads_and_writes:
        with pytest.raises(NotFound):
            await call(function, stranger, script_id=script.id, **kwargs)
    with pytest.raises(NotFound):
        await call(scripts.get_by_name, stranger, safe_name="mine")
    mine = await call(scripts.get, owner, script_id=script.id)
    assert (mine.content, mine.current_version) == ("print(1)\n", 1)


async def test_one_audit_row_per_change(owner):
    script = await call(scripts.create, owner, name="Audited", content="a = 1\n")
    await call(scripts.update, owner, script_id=script.id, content="a = 2\n", message="fix")
    await call(scripts.update, owner, script_id=script.id, enabled=True)  # no change, no row
    await call(scripts.update, owner, script_id=script.id, name="Audited Job", enabled=False)
    await call(script_versions.restore, owner, script_id=script.id, number=1)
    await call(scripts.delete, owner, script_id=script.id)
    rows = await audit_rows(owner, "script", script.id)
    assert [row.action for row in rows] == [
        "script.create",
        "script.update",
        "script.update",
        "script.restore",
        "script.delete",
    ]
    assert rows[0].new_values["safe_name"] == "audited" and rows[0].new_values["type"] == "python"
    assert rows[1].old_values == {"content": "6 characters", "current_version": 1}
    assert rows[1].new_values == {
        "content": "6 characters",
        "current_version": 2,
        "version_message": "fix",
    }
    assert rows[2].old_values == {"name": "Audited", "enabled": True, "safe_name": "audited"}
    assert rows[2].new_values == {
        "name": "Audited Job",
        "enabled": False,
        "safe_name": "audited-job",
    }
    assert rows[3].new_values["version_message"] == "Restored version 1"
    assert rows[4].old_values["safe_name"] == "audited-job"
    assert all(row.actor_user_id == owner.user_id for row in rows)


async def test_a_disabled_script_cannot_run(owner):
    script = await call(scripts.create, owner, name="Off", enabled=False)
    with pytest.raises(Conflict, match="Script 'Off' is disabled"):
        await call(scripts.run, owner, script_id=script.id)


async def test_run_queues_a_run_of_the_script_and_batch_goes_to_the_windows_queue(owner):
    script = await call(scripts.create, owner, name="Nightly", content="print('hi')\n")
    run = await call(scripts.run, owner, script_id=script.id, payload={"day": "mon"})
    assert (run.target_type.value, run.target_id, run.target_name) == (
        "script",
        script.id,
        "Nightly",
    )
    assert (run.status.value, run.trigger.value, run.queue) == ("queued", "manual", "default")
    assert run.payload == {"day": "mon"} and run.triggered_by_id == owner.user_id
    batch = await call(scripts.create, owner, name="Win", type="batch", content="echo off\r\n")
    windows = await call(scripts.run, owner, script_id=batch.id, trigger=Trigger.api)
    assert (windows.queue, windows.trigger.value) == ("windows", "api")
    assert windows.status.value == "failed" and "'windows' queue" in windows.error
