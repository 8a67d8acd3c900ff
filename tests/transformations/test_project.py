"""The generated dbt project: the files dbt reads, written idempotently, no secret on disk."""

from __future__ import annotations

import yaml

from etlfabric.transformations import project


def rows(**changes) -> project.ProjectRows:
    model = {
        "name": "orders",
        "sql": "select * from {{ ref('stg') }}",
        "schema_name": "marts",
        "materialization": "incremental",
        "unique_key": "id",
        "description": "Orders",
        "columns": [{"name": "id", "description": "Key"}],
        "tests": [
            {"column": "id", "test": "not_null"},
            {"column": "id", "test": "relationships", "to": "stg", "field": "id"},
            {"column": "state", "test": "accepted_values", "values": ["a", "b"]},
        ],
    }
    stg = {"name": "stg", "sql": "select 1 as id", "schema_name": "staging"}
    stg |= {"materialization": "view", "unique_key": None, "description": "", "columns": []}
    stg["tests"] = []
    values = {
        "org_id": 7,
        "transformations": [model, stg],
        "sources": [
            {
                "source_name": "shop",
                "schema_name": "raw",
                "table_name": "orders",
                "loaded_at_field": "at",
                "warn_after": {"count": 1, "period": "hour"},
                "error_after": None,
                "description": "",
            }
        ],
        "seeds": [{"name": "codes", "schema_name": "raw", "csv": "a,b\n1,2", "description": ""}],
        "snapshots": [],
    }
    return project.ProjectRows(**(values | changes))


def test_the_project_has_models_schema_yml_sources_seeds_and_the_schema_macro():
    files = project.render(rows())
    assert files["models/marts/orders.sql"].startswith(
        '{{ config(materialized="incremental", schema="t7_marts", unique_key="id") }}\n'
    )
    spec = yaml.safe_load(files["models/marts/schema.yml"])["models"][0]
    assert spec["description"] == "Orders"
    tests = spec["columns"][0]["data_tests"]
    assert tests[0] == "not_null"
    assert tests[1] == {"relationships": {"arguments": {"to": "ref('stg')", "field": "id"}}}
    assert spec["columns"][1]["data_tests"] == [
        {"accepted_values": {"arguments": {"values": ["a", "b"]}}}
    ]
    source = yaml.safe_load(files["models/sources.yml"])["sources"][0]
    assert source["schema"] == "t7_raw"
    assert source["tables"][0]["config"]["freshness"] == {
        "warn_after": {"count": 1, "period": "hour"}
    }
    assert files["seeds/codes.csv"] == "a,b\n1,2\n"
    assert "generate_schema_name" in files["macros/generate_schema_name.sql"]
    profile = yaml.safe_load(files["profiles.yml"])["etlfabric"]["outputs"]["workload"]
    assert profile["password"] == "{{ env_var('DBT_ENV_SECRET_PASSWORD') }}"


def test_writing_twice_changes_nothing_and_stale_files_go(tmp_path):
    first = project.write(tmp_path, project.render(rows()))
    assert "models/marts/orders.sql" in first
    before = (tmp_path / "models/marts/orders.sql").stat().st_mtime_ns
    assert project.write(tmp_path, project.render(rows())) == []
    assert (tmp_path / "models/marts/orders.sql").stat().st_mtime_ns == before
    changed = project.write(tmp_path, project.render(rows(seeds=[], sources=[])))
    assert sorted(changed) == ["models/sources.yml", "seeds/codes.csv", "seeds/seeds.yml"]
    assert not (tmp_path / "seeds").exists() and (tmp_path / "models/marts/orders.sql").exists()
