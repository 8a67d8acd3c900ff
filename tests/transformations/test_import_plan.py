"""Reading a dbt project for import: config() over schema.yml over dbt_project.yml, physical
schema names mapped back, snapshots with the timestamp strategy, tests in every form."""

from __future__ import annotations

from etlfabric.transformations import import_plan

SCHEMAS = ["marts", "raw", "staging"]


def parse(files: dict[str, str]) -> import_plan.Plan:
    return import_plan.parse({k: v.encode() for k, v in files.items()}, SCHEMAS)


def test_config_in_sql_wins_over_schema_yml_and_dbt_project_yml():
    plan = parse(
        {
            "dbt_project.yml": "name: p\nmodels:\n  p:\n    +materialized: table\n"
            "    marts:\n      +schema: marts\n",
            "models/marts/a.sql": "{{ config(materialized='incremental', unique_key=['id', 'day'],"
            " tags=['x']) }}\nselect 1 as id",
            "models/marts/b.sql": "select 1 as id",
            "models/marts/c.sql": '{{ config(schema="t42_raw", enabled=false) }}\nselect 1',
            "models/marts/props.yml": "models:\n  - name: b\n    config: {materialized: view}\n",
        }
    )
    fields = {item.fields["name"]: item.fields for item in plan.models}
    assert fields["a"]["materialization"] == "incremental"
    assert (fields["a"]["unique_key"], fields["a"]["schema_name"]) == ("id,day", "marts")
    assert fields["a"]["sql"] == "select 1 as id"
    assert fields["b"]["materialization"] == "view"
    assert (fields["c"]["schema_name"], fields["c"]["enabled"]) == ("raw", False)
    assert plan.skipped == [
        {
            "file": "models/marts/a.sql",
            "reason": "imported without config tags (not kept by the platform)",
        }
    ]


def test_snapshots_tests_and_jinja_settings():
    plan = parse(
        {
            "snapshots/s.sql": "{% snapshot hist %}{{ config(target_schema='staging',"
            " unique_key='id', strategy='timestamp', updated_at='at') }}select 1"
            "{% endsnapshot %}",
            "snapshots/all.sql": "{% snapshot every %}{{ config(target_schema='staging',"
            " unique_key='id', strategy='check', check_cols='all') }}select 1{% endsnapshot %}",
            "models/m.sql": "{{ config(schema=var('where')) }}select 1",
            "models/n.sql": "select 1 as id",
            "models/n.yml": "models:\n  - name: n\n    columns:\n      - name: id\n"
            "        tests:\n          - accepted_values: {values: [1, 2]}\n"
            "          - relationships: {to: \"source('a', 'b')\", field: id}\n",
        }
    )
    by_name = {item.fields["name"]: item for item in plan.snapshots}
    assert sorted(by_name) == ["every", "hist"]
    snap, every = by_name["hist"], by_name["every"]
    assert every.fields["check_cols"] == "all"
    assert snap.fields | {"sql": None} == {
        "name": "hist",
        "schema_name": "staging",
        "sql": None,
        "strategy": "timestamp",
        "unique_key": "id",
        "updated_at_column": "at",
        "check_cols": None,
        "description": "",
    }
    (model,) = plan.models
    assert model.fields["tests"] == [{"column": "id", "test": "accepted_values", "values": [1, 2]}]
    reasons = {item["file"]: item["reason"] for item in plan.skipped}
    assert "snapshots/all.sql" not in reasons
    assert "computed with Jinja" in reasons["models/m.sql"]
    assert "only to: ref('model')" in reasons["models/n.yml"]
