import pytest

from tests.api.conftest import bearer, join, signup

CANARY = "canary-env-value-9f8e7d"


@pytest.fixture
async def owner(client):
    account = await signup(client)
    return {**account, "headers": bearer(account["access_token"])}


async def create(client, headers, **body):
    answer = await client.post("/api/v1/scripts", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_create_by_name_only_then_read_change_and_delete(client, owner):
    headers = owner["headers"]
    made = await create(client, headers, name="Data Backup Script!")
    assert made["safe_name"] == "data-backup-script" and made["type"] == "python"
    assert (made["timeout_seconds"], made["memory_limit_mb"], made["enabled"]) == (300, 512, True)
    assert (made["current_version"], made["env_var_names"], made["content"]) == (1, [], "")
    assert "env_vars" not in made and "env_vars_secret" not in made
    second = await create(client, headers, name="data backup script")
    assert second["safe_name"] == "data-backup-script-2"
    assert (await create(client, headers, name="API Call #1"))["safe_name"] == "api-call-1"
    by_name = await client.get("/api/v1/scripts/by-name/data-backup-script-2", headers=headers)
    assert by_name.status_code == 200 and by_name.json()["id"] == second["id"]
    changed = await client.patch(
        f"/api/v1/scripts/{made['id']}",
        json={"content": "print('hi')\n", "message": "first code", "timeout_seconds": 60},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["current_version"], changed.json()["timeout_seconds"]) == (2, 60)
    found = await client.get("/api/v1/scripts", params={"search": "api"}, headers=headers)
    assert [s["name"] for s in found.json()] == ["API Call #1"]
    assert (
        await client.delete(f"/api/v1/scripts/{made['id']}", headers=headers)
    ).status_code == 204
    assert (await client.get(f"/api/v1/scripts/{made['id']}", headers=headers)).status_code == 404
    reborn = await create(client, headers, name="Data Backup Script!")
    assert reborn["safe_name"] == "data-backup-script", "deleting freed the safe name"


async def test_bad_input_names_the_field_and_changes_nothing(client, owner):
    headers = owner["headers"]
    made = await create(client, headers, name="strict", content="x = 1\n")
    url = f"/api/v1/scripts/{made['id']}"
    cases = [
        ({"content": "def f(:\n    pass\n", "description": "new"}, "content", "Line 1, column 7"),
        ({"timeout_seconds": 0, "description": "new"}, "timeout_seconds", "from 1 to 86400"),
        ({"requirements": "ok\nnot valid\n"}, "requirements", "Line 2 ('not valid')"),
        ({"env_vars": {"ETLFABRIC_X": "1"}}, "env_vars", "reserved"),
        ({"name": "   "}, "name", "Name is required"),
        ({"type": "ruby"}, "type", "python, shell, batch"),
        ({"folder_id": 424242}, "folder_id", "does not exist"),
    ]
    for body, field, words in cases:
        answer = await client.patch(url, json=body, headers=headers)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["field"] == field and words in answer.json()["detail"], answer.text
    still = (await client.get(url, headers=headers)).json()
    assert (still["content"], still["description"], still["current_version"]) == ("x = 1\n", "", 1)
    empty = await client.post("/api/v1/scripts", json={"name": "?!"}, headers=headers)
    assert empty.status_code == 422 and empty.json()["field"] == "name"
    audit = await client.get("/api/v1/audit", params={"resource_type": "script"}, headers=headers)
    assert [row["action"] for row in audit.json()["items"]] == ["script.create"]


async def test_env_vars_go_in_and_never_come_out(client, owner):
    headers = owner["headers"]
    made = await create(
        client, headers, name="secretive", content="print(1)\n", env_vars={"TOKEN": CANARY}
    )
    script_id = made["id"]
    assert made["env_var_names"] == ["TOKEN"]
    keep = await client.patch(
        f"/api/v1/scripts/{script_id}",
        json={"env_vars": {"TOKEN": None, "OTHER": "x"}, "content": "print(2)\n"},
        headers=headers,
    )
    assert keep.json()["env_var_names"] == ["OTHER", "TOKEN"]
    responses = [
        keep,
        await client.get(f"/api/v1/scripts/{script_id}", headers=headers),
        await client.get("/api/v1/scripts", headers=headers),
        await client.get("/api/v1/scripts/by-name/secretive", headers=headers),
        await client.get(f"/api/v1/scripts/{script_id}/versions", headers=headers),
        await client.get(f"/api/v1/scripts/{script_id}/versions/1", headers=headers),
        await client.get(f"/api/v1/scripts/{script_id}/diff?a=1&b=2", headers=headers),
        await client.post(f"/api/v1/scripts/{script_id}/versions/1/restore", headers=headers),
        await client.put(
            f"/api/v1/scripts/{script_id}/draft", json={"content": "x"}, headers=headers
        ),
        await client.post(f"/api/v1/scripts/{script_id}/check", headers=headers),
        await client.get("/api/v1/audit", headers=headers),
    ]
    for answer in responses:
        assert answer.status_code < 300, answer.text
        assert CANARY not in answer.text and '"env_vars":' not in answer.text.replace(" ", "")
    spec = (await client.get("/api/openapi.json")).json()
    assert "env_vars" not in spec["components"]["schemas"]["ScriptOut"]["properties"]


async def test_versions_diff_restore_drafts_and_checks(client, owner):
    headers = owner["headers"]
    made = await create(client, headers, name="history", content="a = 1\n")
    url = f"/api/v1/scripts/{made['id']}"
    await client.patch(url, json={"content": "a = 2\n", "message": "two"}, headers=headers)
    stale = await client.patch(url, json={"content": "a = 3\n", "base_version": 1}, headers=headers)
    assert stale.status_code == 409 and "Version 2 was saved" in stale.json()["detail"]
    draft = await client.put(f"{url}/draft", json={"content": "a = 3 +"}, headers=headers)
    assert draft.json()["draft_content"] == "a = 3 +" and draft.json()["current_version"] == 2
    versions = (await client.get(f"{url}/versions", headers=headers)).json()
    assert [(v["number"], v["message"]) for v in versions] == [(2, "two"), (1, "Created")]
    assert versions[0]["author_id"] == owner["user"]["id"]
    detail = (await client.get(f"{url}/versions/1", headers=headers)).json()
    assert detail["content"] == "a = 1\n"
    diff = (await client.get(f"{url}/diff", params={"a": 1, "b": 2}, headers=headers)).json()
    assert "-a = 1\n+a = 2\n" in diff["diff"]
    missing = await client.get(f"{url}/diff", params={"a": 1, "b": 7}, headers=headers)
    assert missing.status_code == 422 and missing.json()["field"] == "b"
    assert (await client.get(f"{url}/versions/7", headers=headers)).status_code == 404
    restored = await client.post(f"{url}/versions/1/restore", headers=headers)
    assert restored.json()["content"] == "a = 1\n" and restored.json()["current_version"] == 3
    assert restored.json()["draft_content"] is None, "a real save clears the draft"
    check = await client.post(f"{url}/check", json={"content": "if x\n"}, headers=headers)
    assert check.json() == {
        "ok": False,
        "problems": [{"line": 1, "column": 5, "message": "expected ':'"}],
    }
    saved_ok = await client.post(f"{url}/check", headers=headers)
    assert saved_ok.json() == {"ok": True, "problems": []}
    await client.put(f"{url}/draft", json={"content": "zzz"}, headers=headers)
    assert (await client.delete(f"{url}/draft", headers=headers)).status_code == 204
    assert (await client.get(url, headers=headers)).json()["draft_content"] is None


async def test_upload_checks_size_extension_and_encoding(client, owner):
    headers = owner["headers"]

    async def upload(filename, data, **form):
        return await client.post(
            "/api/v1/scripts/upload",
            files={"file": (filename, data, "application/octet-stream")},
            data=form,
            headers=headers,
        )

    folder = (await client.post("/api/v1/folders", json={"name": "Ops"}, headers=headers)).json()
    made = await upload("Clean Up.sh", b"#!/bin/sh\necho clean\n", folder_id=str(folder["id"]))
    assert made.status_code == 201, made.text
    assert (made.json()["name"], made.json()["safe_name"], made.json()["type"]) == (
        "Clean Up",
        "clean-up",
        "shell",
    )
    assert made.json()["folder_id"] == folder["id"]
    for filename, data, words in (
        ("huge.py", b"#" * (10 * 1024 * 1024 + 1), "huge.py is larger than 10 MB"),
        ("readme.md", b"# hi", "only .py, .sh and .bat"),
        ("win.bat", "echo é".encode("cp1252"), "win.bat is not UTF-8"),
        ("bad.py", b"print(\n", "bad.py: Line 1"),
    ):
        answer = await upload(filename, data)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "file" and words in answer.json()["detail"]
    listed = (await client.get("/api/v1/scripts", headers=headers)).json()
    assert [s["name"] for s in listed] == ["Clean Up"]


async def test_runs_start_with_202_and_a_disabled_script_is_refused(client, owner):
    headers = owner["headers"]
    made = await create(client, headers, name="runner", content="print(1)\n")
    started = await client.post(
        f"/api/v1/scripts/{made['id']}/runs", json={"payload": {"n": 1}}, headers=headers
    )
    assert started.status_code == 202, started.text
    run = started.json()
    assert (run["status"], run["target_type"], run["target_id"]) == ("queued", "script", made["id"])
    assert (run["trigger"], run["attempt"], run["target_name"]) == ("manual", 1, "runner")
    key = await client.post(
        "/api/v1/api-keys", json={"name": "ci", "scopes": ["run"]}, headers=headers
    )
    by_key = await client.post(
        f"/api/v1/scripts/{made['id']}/runs", headers=bearer(key.json()["secret"])
    )
    assert by_key.status_code == 202 and by_key.json()["trigger"] == "api"
    await client.patch(f"/api/v1/scripts/{made['id']}", json={"enabled": False}, headers=headers)
    refused = await client.post(f"/api/v1/scripts/{made['id']}/runs", headers=headers)
    assert refused.status_code == 409 and "disabled" in refused.json()["detail"]


async def test_folders_nest_move_and_refuse_to_delete_when_not_empty(client, owner):
    headers = owner["headers"]
    top = (await client.post("/api/v1/folders", json={"name": "Top"}, headers=headers)).json()
    sub = await client.post(
        "/api/v1/folders", json={"name": "Sub", "parent_id": top["id"]}, headers=headers
    )
    assert sub.status_code == 201 and sub.json()["path"] == "Top/Sub"
    clash = await client.post("/api/v1/folders", json={"name": "top"}, headers=headers)
    assert clash.status_code == 409
    cycle = await client.patch(
        f"/api/v1/folders/{top['id']}", json={"parent_id": sub.json()["id"]}, headers=headers
    )
    assert cycle.status_code == 422 and cycle.json()["field"] == "parent_id"
    await create(client, headers, name="Inside", folder_id=sub.json()["id"])
    busy = await client.delete(f"/api/v1/folders/{sub.json()['id']}", headers=headers)
    assert busy.status_code == 409 and "1 script(s) (Inside)" in busy.json()["detail"]
    renamed = await client.patch(
        f"/api/v1/folders/{sub.json()['id']}", json={"name": "Child"}, headers=headers
    )
    assert renamed.json()["path"] == "Top/Child"
    moved = await client.patch(
        f"/api/v1/folders/{sub.json()['id']}", json={"parent_id": None}, headers=headers
    )
    assert (moved.json()["parent_id"], moved.json()["path"]) == (None, "Child")
    listed = (await client.get("/api/v1/folders", headers=headers)).json()
    assert [f["path"] for f in listed] == ["Child", "Top"]
    assert (await client.delete(f"/api/v1/folders/{top['id']}", headers=headers)).status_code == 204


async def test_viewer_reads_but_every_write_is_403(client, owner):
    headers = owner["headers"]
    made = await create(client, headers, name="shared", content="print(1)\n")
    folder = (await client.post("/api/v1/folders", json={"name": "F"}, headers=headers)).json()
    viewer = bearer((await join(client, owner["access_token"], "viewer"))["access_token"])
    url = f"/api/v1/scripts/{made['id']}"
    for path in (url, "/api/v1/scripts", f"{url}/versions", "/api/v1/folders"):
        assert (await client.get(path, headers=viewer)).status_code == 200
    assert (await client.post(f"{url}/check", headers=viewer)).status_code == 200
    writes = [
        ("POST", "/api/v1/scripts", {"name": "x"}),
        ("PATCH", url, {"description": "x"}),
        ("DELETE", url, None),
        ("POST", f"{url}/versions/1/restore", None),
        ("PUT", f"{url}/draft", {"content": "x"}),
        ("DELETE", f"{url}/draft", None),
        ("POST", f"{url}/runs", None),
        ("POST", "/api/v1/folders", {"name": "x"}),
        ("PATCH", f"/api/v1/folders/{folder['id']}", {"name": "x"}),
        ("DELETE", f"/api/v1/folders/{folder['id']}", None),
    ]
    for method, path, body in writes:
        answer = await client.request(method, path, json=body, headers=viewer)
        assert answer.status_code == 403, (method, path, answer.text)
    upload = await client.post(
        "/api/v1/scripts/upload", files={"file": ("a.py", b"print(1)")}, headers=viewer
    )
    assert upload.status_code == 403
    assert (await client.get(url, headers=headers)).json()["description"] == ""
    assert (await client.get("/api/v1/scripts")).status_code == 401
    assert (await client.get("/api/v1/folders")).status_code == 401


async def test_another_organisations_scripts_and_folders_answer_404(client, owner):
    stranger = await signup(client)
    theirs = bearer(stranger["access_token"])
    for number in range(3):  # ids count per organisation: make this one's higher than ours
        made = await create(client, theirs, name=f"theirs {number}", content="print(1)\n")
    folder = (await client.post("/api/v1/folders", json={"name": "T"}, headers=theirs)).json()
    await client.post("/api/v1/folders", json={"name": "U"}, headers=theirs)
    folder = (await client.post("/api/v1/folders", json={"name": "V"}, headers=theirs)).json()
    await create(client, owner["headers"], name="mine")
    url = f"/api/v1/scripts/{made['id']}"
    routes = [
        ("GET", url, None),
        ("PATCH", url, {"description": "taken over"}),
        ("DELETE", url, None),
        ("GET", f"{url}/versions", None),
        ("GET", f"{url}/versions/1", None),
        ("GET", f"{url}/diff?a=1&b=1", None),
        ("POST", f"{url}/versions/1/restore", None),
        ("POST", f"{url}/check", None),
        ("PUT", f"{url}/draft", {"content": "x"}),
        ("DELETE", f"{url}/draft", None),
        ("POST", f"{url}/runs", None),
        ("GET", "/api/v1/scripts/by-name/theirs-2", None),
        ("GET", f"/api/v1/folders/{folder['id']}", None),
        ("PATCH", f"/api/v1/folders/{folder['id']}", {"name": "mine"}),
        ("DELETE", f"/api/v1/folders/{folder['id']}", None),
    ]
    for method, path, body in routes:
        answer = await client.request(method, path, json=body, headers=owner["headers"])
        assert answer.status_code == 404, (method, path, answer.text)
    moved = await client.post(
        "/api/v1/scripts", json={"name": "x", "folder_id": folder["id"]}, headers=owner["headers"]
    )
    assert moved.status_code == 422 and moved.json()["field"] == "folder_id"
    still = (await client.get(url, headers=theirs)).json()
    assert (still["description"], still["current_version"]) == ("", 1)
    assert len((await client.get("/api/v1/folders", headers=theirs)).json()) == 3
