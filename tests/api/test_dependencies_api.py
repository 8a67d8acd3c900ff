"""The dependencies and flows REST API: edges, run with downstream, flows, tenancy."""

from etlfabric.models import Role
from etlfabric.services.permissions import Principal
from tests.api.conftest import bearer, join, signup
from tests.flow_factories import end


async def account_with_scripts(client, *names):
    account = await signup(client)
    headers = bearer(account["access_token"])
    made = {}
    for name in names:
        answer = await client.post("/api/v1/scripts", json={"name": name}, headers=headers)
        assert answer.status_code == 201, answer.text
        made[name] = answer.json()["id"]
    return account, headers, made


async def add_edge(client, headers, upstream_id, downstream_id):
    return await client.post(
        "/api/v1/dependencies",
        json={
            "upstream_type": "script",
            "upstream_id": upstream_id,
            "downstream_type": "script",
            "downstream_id": downstream_id,
        },
        headers=headers,
    )


async def test_edges_are_created_listed_refused_and_deleted(client):
    _, headers, ids = await account_with_scripts(client, "load", "clean", "report")
    first = await add_edge(client, headers, ids["load"], ids["clean"])
    assert first.status_code == 201, first.text
    edge = first.json()
    assert set(edge) == {
        "id", "upstream_type", "upstream_id", "upstream_name", "downstream_type",
        "downstream_id", "downstream_name", "created_at", "upstream_last_status",
        "downstream_last_status",
    }  # fmt: skip
    assert (edge["upstream_name"], edge["downstream_name"]) == ("load", "clean")
    assert (await add_edge(client, headers, ids["clean"], ids["report"])).status_code == 201
    cycle = await add_edge(client, headers, ids["report"], ids["load"])
    assert cycle.status_code == 409
    assert cycle.json()["detail"] == (
        "Adding this edge would make a cycle: report → load → clean → report."
    )
    assert (await add_edge(client, headers, ids["load"], ids["clean"])).status_code == 409
    self_edge = await add_edge(client, headers, ids["load"], ids["load"])
    assert (self_edge.status_code, self_edge.json()["field"]) == (422, "downstream_id")
    missing = await add_edge(client, headers, ids["load"], 999999)
    assert (missing.status_code, missing.json()["field"]) == (404, "downstream_id")
    listed = (await client.get("/api/v1/dependencies", headers=headers)).json()
    assert [(e["upstream_name"], e["downstream_name"]) for e in listed] == [
        ("load", "clean"),
        ("clean", "report"),
    ]
    graph = (await client.get("/api/v1/dependencies/graph", headers=headers)).json()
    assert sorted(n["name"] for n in graph["nodes"]) == ["clean", "load", "report"]
    assert graph["nodes"][0]["last_status"] is None and len(graph["edges"]) == 2
    gone = await client.delete(f"/api/v1/dependencies/{edge['id']}", headers=headers)
    assert gone.status_code == 204
    again = await client.delete(f"/api/v1/dependencies/{edge['id']}", headers=headers)
    assert again.status_code == 404
    assert len((await client.get("/api/v1/dependencies", headers=headers)).json()) == 1


async def test_run_with_downstream_returns_the_run_with_its_flow(client):
    account, headers, ids = await account_with_scripts(client, "a", "b")
    await add_edge(client, headers, ids["a"], ids["b"])
    plain = await client.post(f"/api/v1/scripts/{ids['a']}/runs", headers=headers)
    assert plain.status_code == 202 and plain.json()["flow_id"] is None
    answer = await client.post(
        f"/api/v1/scripts/{ids['a']}/runs", params={"downstream": "true"}, headers=headers
    )
    assert answer.status_code == 202, answer.text
    run = answer.json()
    assert run["flow_id"] is not None and run["status"] == "queued"
    owner = Principal(
        org_id=account["org"]["id"], role=Role.owner, user_id=account["user"]["id"], label="o"
    )
    end(owner, run["id"])
    flow = await client.get(f"/api/v1/flows/{run['flow_id']}", headers=headers)
    assert flow.status_code == 200, flow.text
    body = flow.json()
    assert (body["root_name"], body["status"], body["trigger"]) == ("a", "running", "manual")
    assert [(r["target_name"], r["status"]) for r in body["runs"]] == [
        ("a", "succeeded"),
        ("b", "queued"),
    ]
    assert [(n["name"], n["status"]) for n in body["nodes"]] == [
        ("a", "succeeded"),
        ("b", "queued"),
    ]
    assert body["edges"] == [
        {
            "upstream_type": "script",
            "upstream_id": ids["a"],
            "downstream_type": "script",
            "downstream_id": ids["b"],
        }
    ]
    recent = (await client.get("/api/v1/flows", headers=headers)).json()
    assert [f["id"] for f in recent] == [run["flow_id"]]
    runs_of_flow = await client.get(
        "/api/v1/runs", params={"flow_id": run["flow_id"]}, headers=headers
    )
    assert runs_of_flow.json()["total"] == 2


async def test_another_organisation_sees_none_of_it_and_a_viewer_cannot_change_it(client):
    _, headers, ids = await account_with_scripts(client, "a", "b")
    edge = (await add_edge(client, headers, ids["a"], ids["b"])).json()
    run = (
        await client.post(
            f"/api/v1/scripts/{ids['a']}/runs", params={"downstream": "true"}, headers=headers
        )
    ).json()
    stranger = bearer((await signup(client))["access_token"])
    assert (await client.get("/api/v1/dependencies", headers=stranger)).json() == []
    assert (await client.get("/api/v1/flows", headers=stranger)).json() == []
    for answer in (
        await client.get(f"/api/v1/flows/{run['flow_id']}", headers=stranger),
        await client.delete(f"/api/v1/dependencies/{edge['id']}", headers=stranger),
        await add_edge(client, stranger, ids["b"], ids["a"]),
    ):
        assert answer.status_code == 404, answer.text
    viewer = await join(client, headers["Authorization"].split()[1], "viewer")
    as_viewer = bearer(viewer["access_token"])
    assert len((await client.get("/api/v1/dependencies", headers=as_viewer)).json()) == 1
    refused = await client.delete(f"/api/v1/dependencies/{edge['id']}", headers=as_viewer)
    assert refused.status_code == 403
