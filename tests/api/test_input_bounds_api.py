"""What schemathesis found: input the database cannot hold is a 422 naming the field, not a 500;
the 422 body and the exports are described as they are sent."""

from tests.api.conftest import bearer, signup

TOO_BIG = "99999999999999999999999"


async def test_an_id_beyond_bigint_is_a_422_naming_it(client):
    token = (await signup(client))["access_token"]
    for path, field in (
        (f"/api/v1/scripts/{TOO_BIG}", "script_id"),
        (f"/api/v1/runs/{TOO_BIG}", "run_id"),
        (f"/api/v1/runs?target_id={TOO_BIG}", "target_id"),
        (f"/api/v1/scripts/1/versions/{2**31}", "number"),
    ):
        answer = await client.get(path, headers=bearer(token))
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["field"] == field


async def test_an_id_beyond_bigint_in_a_body_is_a_422_naming_it(client):
    token = (await signup(client))["access_token"]
    answer = await client.post(
        "/api/v1/schedules/disable", json={"ids": [1, int(TOO_BIG)]}, headers=bearer(token)
    )
    assert answer.status_code == 422 and answer.json()["field"] == "ids.1"


async def test_an_unknown_schedule_kind_is_a_422_naming_it(client):
    token = (await signup(client))["access_token"]
    answer = await client.get("/api/v1/schedules?kind=hourly", headers=bearer(token))
    assert answer.status_code == 422 and answer.json()["field"] == "kind"
    answer = await client.get("/api/v1/schedules?kind=cron", headers=bearer(token))
    assert answer.status_code == 200


async def test_the_schema_describes_the_error_body_and_the_exports(client):
    schema = (await client.get("/api/openapi.json")).json()
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {"detail", "field"}
    bad_input = schema["paths"]["/api/v1/runs"]["get"]["responses"]["422"]["content"]
    assert bad_input["application/json"]["schema"]["$ref"].endswith("/ErrorOut")
    export = schema["paths"]["/api/v1/runs/export"]["get"]["responses"]["200"]["content"]
    assert "text/csv" in export
    assert "404" in schema["paths"]["/api/v1/scripts/{script_id}"]["get"]["responses"]
