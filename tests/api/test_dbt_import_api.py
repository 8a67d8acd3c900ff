"""dbt project import and export as a zip (issue #7): a realistic project imported into one
organisation, exported, imported into another, the two exports equal and the second project
builds with real dbt; files left out are reported with their reasons; unsafe zips are refused;
other organisations and viewers are kept out."""

import pytest

from etlfabric.models import RunStatus
from tests.api.conftest import bearer, join, signup
from tests.dbt_zips import SHOP, SHOP_RAW, make_zip, unzip
from tests.transformation_factories import execute, nodes, workload_sql

pytestmark = pytest.mark.usefixtures("clean_queues")
SHOP_CREATED = {"models": 4, "tests": 9, "sources": 2, "seeds": 1, "snapshots": 1}


async def account(client) -> dict:
    made = await signup(client)
    return {**made, "headers": bearer(made["access_token"]), "org_id": made["org"]["id"]}


async def upload(client, headers, data: bytes, name: str = "shop.zip"):
    return await client.post(
        "/api/v1/dbt/import", files={"file": (name, data, "application/zip")}, headers=headers
    )


async def export(client, headers) -> dict[str, str]:
    answer = await client.get("/api/v1/dbt/export", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    return unzip(answer.content)


async def test_round_trip_between_organisations_and_a_real_dbt_build(client):
    first, second = await account(client), await account(client)
    imported = await upload(client, first["headers"], make_zip(SHOP))
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"created": SHOP_CREATED, "skipped": []}
    exported = await export(client, first["headers"])
    assert "dbt_project/profiles.yml" not in exported
    assert not any("password" in text or "env_var" in text for text in exported.values())
    assert {path.split("/", 1)[1] for path in exported} >= {
        "dbt_project.yml",
        "models/staging/stg_orders.sql",
        "models/marts/schema.yml",
        "models/sources.yml",
        "seeds/country_codes.csv",
        "snapshots/customers_snapshot.sql",
    }
    again = await upload(client, second["headers"], make_zip(exported, folder=""))
    assert again.json() == {"created": SHOP_CREATED, "skipped": []}
    assert await export(client, second["headers"]) == exported

    org = second["org_id"]
    workload_sql(org, *(statement.format(raw=f"t{org}_raw") for statement in SHOP_RAW))
    run, log = execute(org, None, command="build")
    assert run.status is RunStatus.succeeded, (run.error, log)
    found = nodes(run)
    assert found["country_codes"]["rows_affected"] == 2
    assert found["customers_snapshot"]["status"] == "success"
    assert found["accepted_values_stg_orders_status__paid__open"]["status"] == "pass"
    assert workload_sql(
        org, f"select country_name, amount from t{org}_marts.orders_by_country order by 1"
    ) == [("France", 20), ("Germany", 15)]


async def test_the_same_import_twice_skips_what_exists_and_changes_nothing(client):
    owner = await account(client)
    await upload(client, owner["headers"], make_zip(SHOP))
    before = await export(client, owner["headers"])
    again = (await upload(client, owner["headers"], make_zip(SHOP))).json()
    assert again["created"] == dict.fromkeys(SHOP_CREATED, 0)
    reasons = {item["file"]: item["reason"] for item in again["skipped"]}
    assert "exists already" in reasons["models/staging/stg_orders.sql"]
    assert "declared already" in reasons["models/staging/_sources.yml"]
    assert await export(client, owner["headers"]) == before


async def test_files_it_cannot_take_are_reported_with_reasons(client):
    owner = await account(client)
    files = {
        **SHOP,
        "models/finance/revenue.sql": "{{ config(schema='finance') }}\nselect 1 as id\n",
        "models/staging/scored.py": "def model(dbt, session):\n    return None\n",
        "models/staging/broken.yml": "version: 2\nmodels:\n  - name: [unclosed\n",
        "models/staging/looped_a.sql": "select * from {{ ref('looped_b') }}",
        "models/staging/looped_b.sql": "select * from {{ ref('looped_a') }}",
        "models/staging/needs_missing.sql": "select * from {{ ref('nowhere') }}",
        "models/staging/extra.yml": """\
version: 2
models:
  - name: stg_customers_extra
    data_tests:
      - dbt_utils.unique_combination_of_columns:
          combination_of_columns: [id, name]
    columns:
      - name: name
        data_tests: [dbt_utils.not_empty_string, not_null]
""",
        "models/staging/stg_customers_extra.sql": "select * from {{ ref('stg_customers') }}",
        "macros/cents.sql": "{% macro cents(x) %}{{ x }} * 100{% endmacro %}",
        "profiles.yml": "shop:\n  outputs: {}\n",
        "snapshots/every_column.sql": "{% snapshot every_column %}{{ config(target_schema="
        "'staging', unique_key='id', strategy='check', check_cols='all') }}"
        "select 1 as id{% endsnapshot %}",
    }
    answer = await upload(client, owner["headers"], make_zip(files))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["created"] == {**SHOP_CREATED, "models": 5, "tests": 10, "snapshots": 2}
    reasons: dict[str, list[str]] = {}
    for item in body["skipped"]:
        reasons.setdefault(item["file"], []).append(item["reason"])
    assert (
        "schema 'finance' is not one of this organisation's data schemas"
        in (reasons["models/finance/revenue.sql"][0])
    )
    assert "Python models are not supported" in reasons["models/staging/scored.py"][0]
    assert "YAML could not be read at line" in reasons["models/staging/broken.yml"][0]
    assert (
        "ref() cycle: looped_a → looped_b → looped_a" in reasons["models/staging/looped_a.sql"][0]
    )
    assert "ref('nowhere') names no model" in reasons["models/staging/needs_missing.sql"][0]
    extra = " | ".join(reasons["models/staging/extra.yml"])
    assert "dbt_utils.unique_combination_of_columns" in extra
    assert "test 'dbt_utils.not_empty_string' is not supported" in extra
    assert "macros are not imported" in reasons["macros/cents.sql"][0]
    assert "never imported" in reasons["profiles.yml"][0]
    listed = await client.get("/api/v1/transformations", headers=owner["headers"])
    names = {t["name"] for t in listed.json()}
    assert "stg_customers_extra" in names and not names & {"revenue", "looped_a", "scored"}
    snapshots = await client.get("/api/v1/dbt/snapshots", headers=owner["headers"])
    every = next(s for s in snapshots.json() if s["name"] == "every_column")
    assert (every["strategy"], every["check_cols"]) == ("check", [])  # [] is dbt's 'all'


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"not a zip at all", "not a zip"),
        (make_zip({"../../etc/cron.d/x": "boom"}, folder=""), "outside the project"),
        (make_zip({"/etc/passwd": "root"}, folder=""), "outside the project"),
    ],
)
async def test_bad_and_unsafe_zips_are_refused_naming_the_field(client, data, words):
    owner = await account(client)
    answer = await upload(client, owner["headers"], data)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "file" and words in answer.json()["detail"]
    assert (await client.get("/api/v1/transformations", headers=owner["headers"])).json() == []


async def test_viewers_cannot_import_other_organisations_are_untouched_and_it_is_audited(client):
    owner, stranger = await account(client), await account(client)
    viewer = bearer((await join(client, owner["access_token"], "viewer"))["access_token"])
    denied = await upload(client, viewer, make_zip(SHOP))
    assert denied.status_code == 403
    assert (await client.get("/api/v1/dbt/export", headers=viewer)).status_code == 200
    assert (await upload(client, owner["headers"], make_zip(SHOP))).status_code == 200
    assert (await client.get("/api/v1/transformations", headers=stranger["headers"])).json() == []
    stranger_export = await export(client, stranger["headers"])
    assert [path for path in stranger_export] == ["dbt_project/dbt_project.yml"]
    audit = await client.get("/api/v1/audit", headers=owner["headers"])
    actions = [row["action"] for row in audit.json()["items"]]
    assert {"dbt.import", "dbt.export", "transformation.create", "dbt_source.create"} <= set(
        actions
    )
