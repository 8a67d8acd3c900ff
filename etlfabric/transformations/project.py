"""The organisation's dbt project on disk, generated from its rows (idempotent).

`render(rows)` turns plain rows into {relative path: text} (pure); `write(folder, files)` rewrites
only files whose text changed and removes stale ones under the folders it owns, so dbt's partial
parsing sees exactly what changed. No credentials are written: profiles.yml reads them from the
child's environment through env_var().
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PROFILE = "etlfabric"
EXPORT_NAME = "etlfabric_project"  # the same in every export, so two exports compare
OWNED_DIRS = ("models", "seeds", "snapshots", "macros")
TOP_FILES = ("dbt_project.yml", "profiles.yml")
# The child's environment carries these (environment.py); DBT_ENV_SECRET_ values are scrubbed
# from dbt's own logs.
ENV_HOST, ENV_PORT, ENV_USER, ENV_DB = "ETF_DBT_HOST", "ETF_DBT_PORT", "ETF_DBT_USER", "ETF_DBT_DB"
ENV_PASSWORD, ENV_SSLMODE = "DBT_ENV_SECRET_PASSWORD", "ETF_DBT_SSLMODE"

SCHEMA_MACRO = """\
{% macro generate_schema_name(custom_schema_name, node) -%}
  {#- ETL Fabric: a model's schema is exactly the one chosen, never target_schema prefixed -#}
  {%- if custom_schema_name is none -%}{{ target.schema }}
  {%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
"""


@dataclass
class ProjectRows:
    """What the project is made of: plain dicts of the tenant's rows (see rows.py)."""

    org_id: int
    transformations: list[dict] = field(default_factory=list)
    sources: list[dict] = field(default_factory=list)
    seeds: list[dict] = field(default_factory=list)
    snapshots: list[dict] = field(default_factory=list)


def physical(org_id: int, schema: str) -> str:
    """The PostgreSQL schema behind a data schema's short name (as services.tenancy names it)."""
    return f"t{int(org_id)}_{schema}"


def project_name(org_id: int) -> str:
    return f"etlfabric_t{int(org_id)}"


def _yaml(data) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


def _quoted(value: str) -> str:
    return json.dumps(value)  # a Jinja string literal; the values are checked names anyway


def dbt_project(name: str) -> str:
    return _yaml(
        {
            "name": name,
            "version": "1.0",
            "config-version": 2,
            "profile": PROFILE,
            "model-paths": ["models"],
            "seed-paths": ["seeds"],
            "snapshot-paths": ["snapshots"],
            "macro-paths": ["macros"],
            "test-paths": ["tests"],
            "analysis-paths": [],
            "clean-targets": [],
            "flags": {"send_anonymous_usage_stats": False, "use_colors": False},
        }
    )


def profiles(org_id: int) -> str:
    def env(name: str, suffix: str = "") -> str:
        return "{{ env_var('" + name + "'" + suffix + ") }}"

    return _yaml(
        {
            PROFILE: {
                "target": "workload",
                "outputs": {
                    "workload": {
                        "type": "postgres",
                        "host": env(ENV_HOST),
                        "port": "{{ env_var('" + ENV_PORT + "') | as_number }}",
                        "user": env(ENV_USER),
                        "password": env(ENV_PASSWORD),
                        "dbname": env(ENV_DB),
                        "sslmode": env(ENV_SSLMODE, ", 'prefer'"),
                        "schema": physical(org_id, "staging"),
                        "threads": 4,
                        "connect_timeout": 10,
                    }
                },
            }
        }
    )


def model_sql(place: Callable[[str], str], model: dict) -> str:
    options = [
        f"materialized={_quoted(model['materialization'])}",
        f"schema={_quoted(place(model['schema_name']))}",
    ]
    if model.get("unique_key"):
        keys = [k.strip() for k in model["unique_key"].split(",") if k.strip()]
        options.append(f"unique_key={json.dumps(keys[0] if len(keys) == 1 else keys)}")
    body = model.get("sql") or ""
    return "{{ config(" + ", ".join(options) + ") }}\n" + body.rstrip() + "\n"


def _test_entry(test: dict):
    kind = test["test"]
    if kind == "accepted_values":
        return {kind: {"arguments": {"values": list(test.get("values") or [])}}}
    if kind == "relationships":
        to = f"ref('{test['to']}')"
        return {kind: {"arguments": {"to": to, "field": test["field"]}}}
    return kind


def model_properties(model: dict) -> dict:
    """The model's entry of schema.yml: description, column docs, column tests."""
    columns: dict[str, dict] = {}
    for column in model.get("columns") or []:
        entry = {"name": column["name"]}
        if column.get("description"):
            entry["description"] = column["description"]
        columns[column["name"]] = entry
    for test in model.get("tests") or []:
        entry = columns.setdefault(test["column"], {"name": test["column"]})
        entry.setdefault("data_tests", []).append(_test_entry(test))
    out: dict = {"name": model["name"]}
    if model.get("description"):
        out["description"] = model["description"]
    if columns:
        out["columns"] = list(columns.values())
    return out


def _freshness(source: dict) -> dict | None:
    limits = {k: source[k] for k in ("warn_after", "error_after") if source.get(k)}
    return limits or None


def sources_yml(place: Callable[[str], str], sources: list[dict]) -> str:
    grouped: dict[str, dict] = {}
    for row in sorted(sources, key=lambda r: (r["source_name"], r["table_name"])):
        source = grouped.setdefault(
            row["source_name"],
            {
                "name": row["source_name"],
                "schema": place(row["schema_name"]),
                "tables": [],
            },
        )
        table: dict = {"name": row["table_name"]}
        if row.get("description"):
            table["description"] = row["description"]
        config: dict = {}
        if row.get("loaded_at_field"):
            config["loaded_at_field"] = row["loaded_at_field"]
        if freshness := _freshness(row):
            config["freshness"] = freshness
        if config:
            table["config"] = config
        source["tables"].append(table)
    return _yaml({"version": 2, "sources": list(grouped.values())})


def snapshot_sql(place: Callable[[str], str], snap: dict) -> str:
    options = {
        "target_schema": place(snap["schema_name"]),
        "unique_key": snap["unique_key"],
        "strategy": snap["strategy"],
    }
    if snap["strategy"] == "timestamp":
        options["updated_at"] = snap["updated_at_column"]
    else:
        options["check_cols"] = list(snap.get("check_cols") or []) or "all"
    config = ", ".join(f"{k}={json.dumps(v)}" for k, v in options.items())
    body = (snap.get("sql") or "").rstrip()
    head = f"{{% snapshot {snap['name']} %}}\n{{{{ config({config}) }}}}\n"
    return f"{head}{body}\n{{% endsnapshot %}}\n"


def render(rows: ProjectRows, *, portable: bool = False) -> dict[str, str]:
    """Every file of the project, by path relative to its folder. `portable`: the project as
    exported — schemas by their short names, no profiles.yml and no platform macro."""
    org = rows.org_id
    if portable:
        files, place = {"dbt_project.yml": dbt_project(EXPORT_NAME)}, str
    else:
        files = {
            "dbt_project.yml": dbt_project(project_name(org)),
            "profiles.yml": profiles(org),
            "macros/generate_schema_name.sql": SCHEMA_MACRO,
        }
        place = functools.partial(physical, org)
    by_schema: dict[str, list[dict]] = {}
    for model in sorted(rows.transformations, key=lambda m: m["name"]):
        files[f"models/{model['schema_name']}/{model['name']}.sql"] = model_sql(place, model)
        by_schema.setdefault(model["schema_name"], []).append(model_properties(model))
    for schema, models in by_schema.items():
        files[f"models/{schema}/schema.yml"] = _yaml({"version": 2, "models": models})
    if rows.sources:
        files["models/sources.yml"] = sources_yml(place, rows.sources)
    files |= _seed_files(place, rows.seeds) | _snapshot_files(place, rows.snapshots)
    return files


def _seed_files(place: Callable[[str], str], seeds: list[dict]) -> dict[str, str]:
    files, props = {}, []
    for seed in sorted(seeds, key=lambda s: s["name"]):
        text = seed.get("csv") or ""
        files[f"seeds/{seed['name']}.csv"] = text if text.endswith("\n") else text + "\n"
        entry = {"name": seed["name"], "config": {"schema": place(seed["schema_name"])}}
        if seed.get("description"):
            entry["description"] = seed["description"]
        props.append(entry)
    if props:
        files["seeds/seeds.yml"] = _yaml({"version": 2, "seeds": props})
    return files


def _snapshot_files(place: Callable[[str], str], snapshots: list[dict]) -> dict[str, str]:
    files, props = {}, []
    for snap in sorted(snapshots, key=lambda s: s["name"]):
        files[f"snapshots/{snap['name']}.sql"] = snapshot_sql(place, snap)
        if snap.get("description"):
            props.append({"name": snap["name"], "description": snap["description"]})
    if props:
        files["snapshots/snapshots.yml"] = _yaml({"version": 2, "snapshots": props})
    return files


def fingerprint(files: dict[str, str]) -> str:
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode() + b"\0" + files[path].encode() + b"\0")
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def locked(folder: Path):
    """One writer at a time per project folder (runs and the warm child of one machine)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write(folder: Path, files: dict[str, str]) -> list[str]:
    """Make `folder` hold exactly `files` (under the parts it owns); the paths it changed."""
    changed = []
    with locked(folder):
        for relative, text in files.items():
            path = folder / relative
            with contextlib.suppress(FileNotFoundError):
                if path.read_text() == text:
                    continue
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(text)
            os.replace(temporary, path)  # a parse running meanwhile sees the old or the new file
            changed.append(relative)
        for owned in OWNED_DIRS:
            for path in sorted((folder / owned).rglob("*"), reverse=True):
                relative = path.relative_to(folder).as_posix()
                if path.is_file() and relative not in files:
                    path.unlink()
                    changed.append(relative)
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
            if (folder / owned).is_dir() and not any((folder / owned).iterdir()):
                (folder / owned).rmdir()
    return changed
