"""Checks on what a pipeline is made of: name, dataset, mode and its config, write disposition,
schema contract, filters, batch size, sensitive columns.

Pure functions without a database, so the editor can call them as the user types and the service
calls the very same ones on save. Each refusal is an `Invalid` naming the field (nested ones as
`config.table`, `filters[0].op`, `schema_contract.columns`) and saying what to fix. Whether the
connections exist and the dataset is one of the organisation's schemas is pipelines.py's job.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from etlfabric.errors import Invalid
from etlfabric.services.naming import require_identifier, require_text
from etlfabric.services.pipeline_options import (
    MAX_LIST,
    check_options,
    choice,
    flag,
    name,
    names,
    object_of,
    only,
    scalar,
    whole,
)

MODES = ("table", "database", "rest", "odata", "files", "advanced")
BASE_MODES = MODES[:-1]  # what an `advanced` config builds on
WRITE_DISPOSITIONS = ("append", "replace", "merge")
CONTRACT_ENTITIES = ("tables", "columns", "data_type")
CONTRACT_MODES = ("evolve", "freeze", "discard_value", "discard_row")
FILTER_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in")
LIST_OPS = ("in", "not_in")
FILE_FORMATS = ("csv", "jsonl", "parquet")
MAX_BATCH_SIZE = 1_000_000
FIELDS = (
    "name",
    "source_connection_id",
    "destination_connection_id",
    "dataset_name",
    "mode",
    "config",
    "write_disposition",
    "primary_key",
    "schema_contract",
    "filters",
    "batch_size",
    "sensitive_columns",
    "enabled",
)
REQUIRED = ("name", "source_connection_id", "destination_connection_id", "dataset_name", "mode")
DEFAULTS = {
    "config": {},
    "write_disposition": "append",
    "primary_key": [],
    "schema_contract": {},
    "filters": [],
    "batch_size": None,
    "sensitive_columns": [],
    "enabled": True,
}


def _relative_glob(field: str, value: object) -> str:
    glob = name(field, value)
    path = PurePosixPath(glob.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts:
        raise Invalid(field, f"{field} must stay inside the organisation's files folder.")
    return glob


# --- config per mode ------------------------------------------------------------------------


def _table_config(config: dict) -> dict:
    only("config", config, ("table", "schema", "incremental", "options"))
    clean = {"table": name("config.table", config.get("table"))}
    if config.get("schema") not in (None, ""):
        clean["schema"] = name("config.schema", config["schema"])
    incremental = object_of("config.incremental", config.get("incremental"))
    if incremental:
        only("config.incremental", incremental, ("cursor_column", "initial_value"))
        cursor = name("config.incremental.cursor_column", incremental.get("cursor_column"))
        initial = incremental.get("initial_value")
        if not scalar(initial):
            raise Invalid(
                "config.incremental.initial_value", "The initial value must be a single value."
            )
        clean["incremental"] = {"cursor_column": cursor, "initial_value": initial}
    return clean


def _database_config(config: dict) -> dict:
    only("config", config, ("tables", "schema", "options"))
    tables = config.get("tables")
    clean: dict = {"tables": None if tables is None else names("config.tables", tables)}
    if clean["tables"] == []:
        raise Invalid("config.tables", "List at least one table, or leave it empty for all.")
    if config.get("schema") not in (None, ""):
        clean["schema"] = name("config.schema", config["schema"])
    return clean


def _rest_resource(field: str, value: object) -> dict:
    resource = object_of(field, value)
    keys = ("path", "name", "primary_key", "incremental_param", "cursor_path", "params")
    only(field, resource, keys)
    path = name(f"{field}.path", resource.get("path"))
    default_name = path.strip("/").replace("/", "_").replace("-", "_").lower() or "resource"
    given = resource.get("name") or default_name
    clean = {"path": path, "name": require_identifier(f"{field}.name", given, max_length=63)}
    if resource.get("primary_key") not in (None, "", []):
        clean["primary_key"] = names(f"{field}.primary_key", resource["primary_key"])
    for key in ("incremental_param", "cursor_path"):
        if resource.get(key) not in (None, ""):
            clean[key] = name(f"{field}.{key}", resource[key])
    if ("incremental_param" in clean) != ("cursor_path" in clean):
        raise Invalid(
            f"{field}.cursor_path",
            "An incremental load needs both incremental_param (the query parameter) and "
            "cursor_path (where the cursor is in each record).",
        )
    params = object_of(f"{field}.params", resource.get("params"))
    if not all(isinstance(k, str) and scalar(v) for k, v in params.items()):
        raise Invalid(f"{field}.params", "Params must be name: single value pairs.")
    if params:
        clean["params"] = params
    return clean


def _rest_config(config: dict) -> dict:
    only("config", config, ("resources", "options"))
    resources = config.get("resources")
    if not isinstance(resources, list) or not resources or len(resources) > MAX_LIST:
        raise Invalid("config.resources", "List at least one resource (a path to load).")
    clean = [_rest_resource(f"config.resources[{i}]", r) for i, r in enumerate(resources)]
    names = [r["name"] for r in clean]
    if len(set(names)) != len(names):
        raise Invalid("config.resources", "Two resources have the same name; rename one.")
    return {"resources": clean}


def _odata_config(config: dict) -> dict:
    only("config", config, ("entity_set", "filter", "options"))
    clean = {"entity_set": name("config.entity_set", config.get("entity_set"))}
    odata_filter = config.get("filter")
    if odata_filter not in (None, ""):
        if not isinstance(odata_filter, str) or len(odata_filter) > 100_000:
            raise Invalid("config.filter", "The $filter must be text (at most 100,000 chars).")
        clean["filter"] = odata_filter
    return clean


def _files_config(config: dict) -> dict:
    only("config", config, ("glob", "format", "options"))
    clean = {}
    if config.get("glob") not in (None, ""):
        clean["glob"] = _relative_glob("config.glob", config["glob"])
    if config.get("format") not in (None, ""):
        clean["format"] = choice("config.format", config["format"], FILE_FORMATS)
    return clean


def _advanced_config(config: dict) -> dict:
    """A base mode's settings (flat, beside `base`) plus the raw dlt `options`."""
    base = choice("config.base", config.get("base"), BASE_MODES)
    rest = {k: v for k, v in config.items() if k != "base"}
    if not rest.get("options"):
        raise Invalid("config.options", "Advanced mode needs dlt options (a JSON object).")
    return {"base": base, **CONFIG_CHECKS[base](rest)}


CONFIG_CHECKS: dict[str, Callable[[dict], dict]] = {
    "table": _table_config,
    "database": _database_config,
    "rest": _rest_config,
    "odata": _odata_config,
    "files": _files_config,
    "advanced": _advanced_config,
}


def mode_config(mode: object, config: object) -> tuple[str, dict]:
    """The mode and its config, checked; unknown keys are refused by name."""
    mode = choice("mode", mode, MODES)
    config = dict(object_of("config", config))
    options = check_options(config)
    clean = CONFIG_CHECKS[mode](config)
    if options:
        clean["options"] = options
    return mode, clean


# --- the rest -------------------------------------------------------------------------------


def schema_contract(value: object) -> dict:
    contract = object_of("schema_contract", value)
    for entity, setting in contract.items():
        if entity not in CONTRACT_ENTITIES:
            raise Invalid(
                f"schema_contract.{entity}",
                f"'{entity}' is not a contract entity; use: {', '.join(CONTRACT_ENTITIES)}.",
            )
        choice(f"schema_contract.{entity}", setting, CONTRACT_MODES)
    return dict(contract)


def filters(value: object) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise Invalid("filters", "filters must be a list of {column, op, value}.")
    clean = []
    for i, item in enumerate(value):
        field = f"filters[{i}]"
        item = object_of(field, item)
        only(field, item, ("column", "op", "value"))
        column = name(f"{field}.column", item.get("column"))
        op = choice(f"{field}.op", item.get("op"), FILTER_OPS)
        given = item.get("value")
        if op in LIST_OPS:
            if not isinstance(given, list) or not given or not all(map(scalar, given)):
                raise Invalid(f"{field}.value", f"'{op}' needs a non-empty list of values.")
        elif not scalar(given) or (given is None and op not in ("eq", "ne")):
            raise Invalid(f"{field}.value", f"'{op}' needs a single value.")
        clean.append({"column": column, "op": op, "value": given})
    return clean


def _connection_id(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid(field, f"{field} must be the id of a connection.")
    return value


def clean(values: dict) -> dict:
    """Every field of a whole pipeline, checked; also the rules across fields."""
    for key in values:
        if key not in FIELDS:
            raise Invalid(key, f"'{key}' is not a pipeline field.")
    for key in REQUIRED:
        if values.get(key) in (None, ""):
            raise Invalid(key, f"{key.replace('_', ' ').capitalize()} is required.")
    given = {**DEFAULTS, **values}
    out = {"name": require_text("name", given["name"], max_length=200)}
    for key in ("source_connection_id", "destination_connection_id"):
        out[key] = _connection_id(key, given[key])
    out["dataset_name"] = require_identifier("dataset_name", given["dataset_name"], max_length=63)
    out["mode"], out["config"] = mode_config(given["mode"], given["config"])
    out["write_disposition"] = choice(
        "write_disposition", given["write_disposition"] or "append", WRITE_DISPOSITIONS
    )
    out["primary_key"] = names("primary_key", given["primary_key"])
    out["schema_contract"] = schema_contract(given["schema_contract"])
    out["filters"] = filters(given["filters"])
    batch = given["batch_size"]
    out["batch_size"] = None if batch is None else whole("batch_size", batch, 1, MAX_BATCH_SIZE)
    out["sensitive_columns"] = names("sensitive_columns", given["sensitive_columns"])
    out["enabled"] = flag("enabled", given["enabled"])
    if out["write_disposition"] == "merge" and not _has_primary_key(out):
        raise Invalid(
            "primary_key", "Merge needs a primary key: name the column(s) that identify a row."
        )
    return out


def _has_primary_key(values: dict) -> bool:
    if values["primary_key"]:
        return True
    resources = values["config"].get("resources") or []
    return bool(resources) and all(r.get("primary_key") for r in resources)
