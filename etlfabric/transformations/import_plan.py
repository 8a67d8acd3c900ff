"""What a dbt project zip would create (pure): models, sources, seeds and snapshots as the
fields the services take, and every file (or part of one) left out, with the reason. Nothing
here touches the database; services/dbt_import.py creates the rows through the services."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from etlfabric.transformations import import_parts as parts
from etlfabric.transformations.import_parts import NOT_PLAIN, ProjectConfig

SNAPSHOT = re.compile(
    r"\{%-?\s*snapshot\s+(\w+)\s*-?%\}(.*?)\{%-?\s*endsnapshot\s*-?%\}", re.DOTALL
)
MODEL_KEPT = {"materialized", "schema", "unique_key", "enabled"}
ELSEWHERE = {
    "profiles.yml": "connection profiles are never imported: dbt runs with this "
    "organisation's own warehouse credentials",
    "packages.yml": "packages are not installed (runs have no internet); models that use "
    "them will fail",
    "dependencies.yml": "packages are not installed (runs have no internet)",
    "package-lock.yml": "packages are not installed (runs have no internet)",
}
FOLDERS = {
    "macros": "macros are not imported",
    "tests": "singular tests are not imported; use not_null, unique, accepted_values or "
    "relationships in schema.yml",
    "analyses": "analyses are not imported",
}


@dataclass
class Item:
    file: str
    fields: dict


@dataclass
class Plan:
    models: list[Item] = field(default_factory=list)
    sources: list[Item] = field(default_factory=list)
    seeds: list[Item] = field(default_factory=list)
    snapshots: list[Item] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def skip(self, file: str, reason: str) -> None:
        self.skipped.append({"file": file, "reason": reason})


@dataclass
class Props:
    """schema.yml entries by node name: (file, entry)."""

    models: dict = field(default_factory=dict)
    seeds: dict = field(default_factory=dict)
    snapshots: dict = field(default_factory=dict)


def parse(files: dict[str, bytes], schemas: list[str]) -> Plan:
    plan = Plan()
    texts = _texts(files, plan)
    config = ProjectConfig()
    if "dbt_project.yml" in texts:
        try:
            config = parts.read_project_config(texts.pop("dbt_project.yml"))
        except ValueError as exc:
            plan.skip("dbt_project.yml", f"{exc}; folder configs (+schema) were not applied")
    kinds = _sort(texts, config, plan)
    props = Props()
    for path in kinds["yml"]:
        _properties(path, texts[path], schemas, props, plan)
    for path in kinds["model"]:
        _model(path, texts[path], config, schemas, props, plan)
    for path in kinds["seed"]:
        _seed(path, texts[path], config, schemas, props, plan)
    for path in kinds["snapshot"]:
        _snapshots(path, texts[path], config, schemas, props, plan)
    for kind, entries in (
        ("model", props.models),
        ("seed", props.seeds),
        ("snapshot", props.snapshots),
    ):
        for name, (path, _) in sorted(entries.items()):
            plan.skip(path, f"{kind} '{name}' is described here but has no file of its own")
    return plan


def _texts(files: dict[str, bytes], plan: Plan) -> dict[str, str]:
    texts = {}
    for path, data in sorted(files.items()):
        try:
            texts[path] = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            plan.skip(path, "not UTF-8 text")
    return texts


def _sort(texts: dict[str, str], config: ProjectConfig, plan: Plan) -> dict[str, list[str]]:
    """Each file to the kind of thing it is, or skipped with why."""
    kinds: dict[str, list[str]] = {"yml": [], "model": [], "seed": [], "snapshot": []}
    for path in texts:
        suffix = PurePosixPath(path).suffix.lower()
        kind = None
        if parts.under(path, config.model_paths) is not None:
            kind = {".sql": "model", ".yml": "yml", ".yaml": "yml"}.get(suffix)
            if suffix == ".py":
                plan.skip(path, "Python models are not supported; rewrite it as a SQL model")
                continue
        elif parts.under(path, config.seed_paths) is not None:
            kind = {".csv": "seed", ".yml": "yml", ".yaml": "yml"}.get(suffix)
        elif parts.under(path, config.snapshot_paths) is not None:
            kind = {".sql": "snapshot", ".yml": "yml", ".yaml": "yml"}.get(suffix)
        if kind is not None:
            kinds[kind].append(path)
        elif path in ELSEWHERE or PurePosixPath(path).parts[0] in FOLDERS:
            plan.skip(path, ELSEWHERE.get(path) or FOLDERS[PurePosixPath(path).parts[0]])
        else:
            plan.skip(path, "not a model, seed, snapshot or properties file of the project")
    return kinds


def _properties(path: str, text: str, schemas, props: Props, plan: Plan) -> None:
    try:
        doc = parts.load_yaml(text) or {}
    except ValueError as exc:
        plan.skip(path, str(exc))
        return
    if not isinstance(doc, dict):
        plan.skip(path, "not a dbt properties file (a mapping with models:, sources: ...)")
        return
    for key, value in doc.items():
        entries = value if isinstance(value, list) else []
        if key in ("models", "seeds", "snapshots"):
            named = {e["name"]: (path, e) for e in entries if isinstance(e, dict) and "name" in e}
            getattr(props, key).update(named)
        elif key == "sources":
            for source in entries:
                _source(path, source, schemas, plan)
        elif key != "version":
            plan.skip(path, f"{key}: are not imported")


def _freshness(own: dict, inherited: tuple):
    config = own.get("config") if isinstance(own.get("config"), dict) else {}
    loaded = config.get("loaded_at_field") or own.get("loaded_at_field") or inherited[0]
    fresh = inherited[1]
    for holder in (own, config):
        if "freshness" in holder:
            fresh = holder["freshness"]
    return loaded, fresh if isinstance(fresh, dict) else {}


def _source(path: str, source, schemas, plan: Plan) -> None:
    if not isinstance(source, dict) or not source.get("name"):
        plan.skip(path, "a source without a name")
        return
    name = str(source["name"])
    try:
        schema = parts.map_schema(source.get("schema") or name, schemas)
    except ValueError as exc:
        plan.skip(path, f"source '{name}': {exc}")
        return
    inherited = _freshness(source, (None, None))
    for table in source.get("tables") or []:
        if not isinstance(table, dict) or not table.get("name"):
            plan.skip(path, f"source '{name}': a table without a name")
            continue
        if table.get("identifier") not in (None, table["name"]):
            plan.skip(path, f"source '{name}.{table['name']}': identifier is not supported")
            continue
        loaded, fresh = _freshness(table, inherited)
        plan.sources.append(
            Item(
                path,
                {
                    "source_name": name,
                    "schema_name": schema,
                    "table_name": table["name"],
                    "description": table.get("description") or "",
                    "loaded_at_field": loaded,
                    "warn_after": fresh.get("warn_after"),
                    "error_after": fresh.get("error_after"),
                },
            )
        )


def _setting(settings: dict, key: str):
    value = settings.get(key)
    if value is NOT_PLAIN:
        raise ValueError(f"its {key} is computed with Jinja; give a plain value")
    return value


def _model(path, text, config: ProjectConfig, schemas, props: Props, plan: Plan) -> None:
    name = PurePosixPath(path).stem
    file, entry = props.models.pop(name, (None, {}))
    try:
        settings, sql = parts.split_config(text)
        yml_config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
        folders = parts.under(path, config.model_paths) or ()
        settings = config.folder("models", folders) | yml_config | settings
        schema = parts.map_schema(settings.get("schema"), schemas)
        unique_key = _setting(settings, "unique_key")
        enabled = _setting(settings, "enabled")
        materialized = _setting(settings, "materialized")
    except ValueError as exc:
        plan.skip(path, str(exc))
        return
    dropped = sorted(set(settings) - MODEL_KEPT)
    if dropped:
        plan.skip(path, f"imported without config {', '.join(dropped)} (not kept by the platform)")
    if isinstance(unique_key, list):
        unique_key = ",".join(str(key) for key in unique_key)
    columns, tests = _columns(file or path, name, entry, plan)
    fields = {"name": name, "sql": sql, "schema_name": schema, "materialization": materialized}
    fields |= {"unique_key": unique_key, "description": entry.get("description") or ""}
    fields |= {"columns": columns, "tests": tests, "enabled": enabled is not False}
    plan.models.append(Item(path, fields))


def _columns(file: str, name: str, entry: dict, plan: Plan) -> tuple[list, list]:
    columns, tests = [], []
    for key in ("tests", "data_tests"):
        for test in entry.get(key) or []:
            plan.skip(file, f"model '{name}': model-level test {test!r} is not supported")
    for column in entry.get("columns") or []:
        if not isinstance(column, dict) or not column.get("name"):
            plan.skip(file, f"model '{name}': a column without a name")
            continue
        column_name = str(column["name"])
        columns.append({"name": column_name, "description": column.get("description") or ""})
        entries = list(column.get("tests") or []) + list(column.get("data_tests") or [])
        found, problems = parts.column_tests(entries, column_name)
        tests += found
        for problem in problems:
            plan.skip(file, f"model '{name}', {problem}")
    return columns, tests


def _seed(path, text, config: ProjectConfig, schemas, props: Props, plan: Plan) -> None:
    name = PurePosixPath(path).stem
    _, entry = props.seeds.pop(name, (None, {}))
    yml_config = entry.get("config") if isinstance(entry.get("config"), dict) else {}
    folders = parts.under(path, config.seed_paths) or ()
    settings = config.folder("seeds", folders) | yml_config
    try:
        schema = parts.map_schema(settings.get("schema"), schemas)
    except ValueError as exc:
        plan.skip(path, str(exc))
        return
    fields = {"name": name, "schema_name": schema, "csv": text}
    plan.seeds.append(Item(path, fields | {"description": entry.get("description") or ""}))


def _snapshots(path, text, config: ProjectConfig, schemas, props: Props, plan: Plan) -> None:
    blocks = SNAPSHOT.findall(text)
    if not blocks:
        plan.skip(path, "no {% snapshot %} block (YAML-defined snapshots are not supported)")
    folders = parts.under(path, config.snapshot_paths) or ()
    for name, block in blocks:
        try:
            settings, sql = parts.split_config(block)
            settings = config.folder("snapshots", folders) | settings
            schema = parts.map_schema(
                settings.get("target_schema") or settings.get("schema"), schemas
            )
            check_cols = _setting(settings, "check_cols")  # a list, or 'all'
        except ValueError as exc:
            plan.skip(path, f"snapshot '{name}': {exc}")
            continue
        _, entry = props.snapshots.pop(name, (None, {}))
        fields = {"name": name, "schema_name": schema, "sql": sql.strip()}
        fields["description"] = entry.get("description") or ""
        fields |= {"strategy": settings.get("strategy"), "unique_key": settings.get("unique_key")}
        fields |= {"updated_at_column": settings.get("updated_at"), "check_cols": check_cols}
        plan.snapshots.append(Item(path, fields))
