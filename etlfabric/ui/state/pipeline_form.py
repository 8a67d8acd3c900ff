"""The pipeline editor's form as plain strings, and the way to and from the pipelines service.

The editor keeps every input as a string in `values`, and the REST resources and filters as rows
of strings; `to_fields` turns them into the service's fields, and `error_target` says which
input (or which row) a service error names, so each message lands beside its field. Values of
the incremental start and of filters are read like JSON scalars: 42 is a number, true a boolean,
anything that does not parse is text ("2024-01-01"); quotes make a number text ("\"42\"").
"""

from __future__ import annotations

import json
import re

from etlfabric.errors import Invalid
from etlfabric.services.naming import require_text
from etlfabric.services.pipeline_checks import CONTRACT_ENTITIES, LIST_OPS

MODE_LABELS = {
    "table": "Single table",
    "database": "Whole database",
    "rest": "REST API resources",
    "odata": "OData entity set",
    "files": "Files",
}
WRITE_LABELS = {
    "append": "Append: add the new rows",
    "replace": "Replace: reload every table",
    "merge": "Merge: update rows by primary key",
}
OP_LABELS = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": "in",
    "not_in": "not in",
}
DEFAULTS: dict[str, str] = {
    "name": "",
    "source": "",
    "destination": "",
    "dataset_name": "raw",
    "mode": "table",
    "base": "",  # set when the saved pipeline is an `advanced` one: its base mode
    "table": "",
    "schema": "",
    "cursor_column": "",
    "initial_value": "",
    "tables": "",
    "entity_set": "",
    "odata_filter": "",
    "glob": "",
    "format": "",
    "write_disposition": "append",
    "primary_key": "",
    "contract_tables": "",
    "contract_columns": "",
    "contract_data_type": "",
    "batch_size": "",
    "sensitive_columns": "",
    "options": "",
    "enabled": "yes",
}
RESOURCE = {
    "path": "",
    "name": "",
    "primary_key": "",
    "incremental_param": "",
    "cursor_path": "",
    "params": "",
}
FILTER = {"column": "", "op": "eq", "value": ""}
# service field (first part) -> input
PLAIN_INPUTS = {
    "name": "name",
    "source_connection_id": "source",
    "destination_connection_id": "destination",
    "dataset_name": "dataset_name",
    "mode": "mode",
    "config": "mode",
    "write_disposition": "write_disposition",
    "primary_key": "primary_key",
    "batch_size": "batch_size",
    "sensitive_columns": "sensitive_columns",
    "filters": "filters",
    "enabled": "enabled",
}
CONFIG_INPUTS = {
    "base": "mode",
    "options": "options",
    "incremental": "cursor_column",
    "incremental.cursor_column": "cursor_column",
    "incremental.initial_value": "initial_value",
    "table": "table",
    "schema": "schema",
    "tables": "tables",
    "entity_set": "entity_set",
    "filter": "odata_filter",
    "glob": "glob",
    "format": "format",
    "resources": "resources",
}
_ROW = re.compile(r"^(?:config\.resources|filters)\[(\d+)\](?:\.(\w+))?")


def names(text: str) -> list[str]:
    """ "id, name" or one per line -> ["id", "name"]."""
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


def scalar(text: str):
    """A typed value: JSON numbers, true / false / null and "quoted" text; anything else is text."""
    text = (text or "").strip()
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if value is None or isinstance(value, (str, int, float, bool)) else text


def options(text: str) -> dict:
    """The advanced dlt options: a JSON object, or {} when empty."""
    if not (text or "").strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        message = f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        raise Invalid("config.options", message) from None
    if not isinstance(value, dict):
        raise Invalid("config.options", "The advanced options must be a JSON object: {...}.")
    return value


def _params(text: str, field: str) -> dict:
    found = {}
    for part in names(text.replace("&", ",")):
        key, equals, value = part.partition("=")
        if not equals or not key.strip():
            raise Invalid(field, f"'{part}': write each parameter as name=value.")
        found[key.strip()] = scalar(value)
    return found


def _resource(index: int, row: dict[str, str]) -> dict:
    resource = {"path": row.get("path", "").strip()}
    for key in ("name", "incremental_param", "cursor_path"):
        if row.get(key, "").strip():
            resource[key] = row[key].strip()
    if names(row.get("primary_key", "")):
        resource["primary_key"] = names(row["primary_key"])
    if row.get("params", "").strip():
        resource["params"] = _params(row["params"], f"config.resources[{index}].params")
    return resource


def _filter(row: dict[str, str]) -> dict:
    op = row.get("op", "eq")
    text = row.get("value", "")
    value = [scalar(v) for v in text.split(",") if v.strip()] if op in LIST_OPS else scalar(text)
    return {"column": row.get("column", "").strip(), "op": op, "value": value}


def mode_config(values: dict[str, str], resources: list[dict[str, str]]) -> tuple[str, dict]:
    mode, config = values.get("mode", "table"), {}
    if mode == "table":
        config["table"] = values.get("table", "").strip()
        initial = values.get("initial_value", "").strip()
        if values.get("cursor_column", "").strip() or initial:
            config["incremental"] = {
                "cursor_column": values.get("cursor_column", "").strip(),
                "initial_value": scalar(initial) if initial else None,  # empty: from the start
            }
    elif mode == "database":
        config["tables"] = names(values.get("tables", "")) or None
    elif mode == "rest":
        config["resources"] = [_resource(i, row) for i, row in enumerate(resources)]
    elif mode == "odata":
        config["entity_set"] = values.get("entity_set", "").strip()
        config["filter"] = values.get("odata_filter", "").strip() or None
    elif mode == "files":
        config |= {k: values.get(k, "").strip() or None for k in ("glob", "format")}
    if mode in ("table", "database") and values.get("schema", "").strip():
        config["schema"] = values["schema"].strip()
    config = {k: v for k, v in config.items() if v is not None}
    if extra := options(values.get("options", "")):
        config["options"] = extra
        if values.get("base"):  # an advanced pipeline stays one while it has options
            return "advanced", {"base": mode, **config}
    return mode, config


def connection_id(values: dict[str, str], key: str, field: str, what: str) -> int:
    text = values.get(key, "")
    if not text.isdigit():
        raise Invalid(field, f"Choose the {what} connection.")
    return int(text)


def to_fields(
    values: dict[str, str], resources: list[dict[str, str]], filters: list[dict[str, str]]
) -> dict:
    """Every field of pipelines.create / update from the form's strings (the name first, with
    the service's own check, so errors come in the order of the form)."""
    name = require_text("name", values.get("name"), max_length=200)
    mode, config = mode_config(values, resources)
    batch = values.get("batch_size", "").strip()
    if batch and not batch.isdigit():
        raise Invalid("batch_size", "The batch size is a whole number of rows (or empty).")
    contract = {e: values.get(f"contract_{e}", "") for e in CONTRACT_ENTITIES}
    return {
        "name": name,
        "source_connection_id": connection_id(values, "source", "source_connection_id", "source"),
        "destination_connection_id": connection_id(
            values, "destination", "destination_connection_id", "destination"
        ),
        "dataset_name": values.get("dataset_name", "").strip(),
        "mode": mode,
        "config": config,
        "write_disposition": values.get("write_disposition") or "append",
        "primary_key": names(values.get("primary_key", "")),
        "schema_contract": {entity: setting for entity, setting in contract.items() if setting},
        "filters": [_filter(row) for row in filters],
        "batch_size": int(batch) if batch else None,
        "sensitive_columns": names(values.get("sensitive_columns", "")),
        "enabled": values.get("enabled") == "yes",
    }


def scalar_text(value) -> str:
    """The text `scalar` reads back as `value` ("42" the number, "\"42\"" the text)."""
    if isinstance(value, str) and value.strip() == value and scalar(value) == value:
        return value
    return json.dumps(value)


def resource_rows(config: dict) -> list[dict[str, str]]:
    return [
        RESOURCE
        | {
            "path": r.get("path", ""),
            "name": r.get("name", ""),
            "primary_key": ", ".join(r.get("primary_key") or []),
            "incremental_param": r.get("incremental_param", ""),
            "cursor_path": r.get("cursor_path", ""),
            "params": ", ".join(
                f"{k}={scalar_text(v)}" for k, v in (r.get("params") or {}).items()
            ),
        }
        for r in config.get("resources") or []
    ]


def filter_rows(filters: list[dict]) -> list[dict[str, str]]:
    return [
        {
            "column": f["column"],
            "op": f["op"],
            "value": ", ".join(scalar_text(v) for v in f["value"])
            if isinstance(f["value"], list)
            else scalar_text(f["value"]),
        }
        for f in filters
    ]


def from_view(view: dict) -> tuple[dict[str, str], list[dict[str, str]], list[dict[str, str]]]:
    """A stored pipeline (pipelines.public_view) as (values, resource rows, filter rows)."""
    config = dict(view.get("config") or {})
    values = dict(DEFAULTS)
    values |= {
        "name": view["name"],
        "source": str(view["source_connection_id"]),
        "destination": str(view["destination_connection_id"]),
        "dataset_name": view["dataset_name"],
        "mode": view["mode"],
        "write_disposition": view.get("write_disposition") or "append",
        "primary_key": ", ".join(view.get("primary_key") or []),
        "batch_size": "" if view.get("batch_size") is None else str(view["batch_size"]),
        "sensitive_columns": ", ".join(view.get("sensitive_columns") or []),
        "enabled": "yes" if view.get("enabled", True) else "",
    }
    if view["mode"] == "advanced":
        values["mode"] = values["base"] = config.pop("base", "table")
    incremental = config.get("incremental") or {}
    values |= {
        "table": config.get("table", ""),
        "schema": config.get("schema", ""),
        "cursor_column": incremental.get("cursor_column", ""),
        "initial_value": ""
        if incremental.get("initial_value") is None
        else scalar_text(incremental["initial_value"]),
        "tables": ", ".join(config.get("tables") or []),
        "entity_set": config.get("entity_set", ""),
        "odata_filter": config.get("filter", ""),
        "glob": config.get("glob", ""),
        "format": config.get("format", ""),
        "options": json.dumps(config["options"], indent=2) if config.get("options") else "",
    }
    for entity, mode in (view.get("schema_contract") or {}).items():
        values[f"contract_{entity}"] = mode
    return values, resource_rows(config), filter_rows(view.get("filters") or [])


def error_target(field: str | None) -> tuple[str, str]:
    """(error key, input id to focus) for a service error: "filters[1].op" -> ("filter-1",
    "filter-1-op"); "config.incremental.initial_value" -> ("initial_value", "initial_value");
    ("", "") for an error of no input."""
    name = field or ""
    row = _ROW.match(name)
    if row:
        kind = "resource" if name.startswith("config.") else "filter"
        key = f"{kind}-{row.group(1)}"
        part = row.group(2) or ("path" if kind == "resource" else "column")
        return key, f"{key}-{part}"
    if name.startswith("schema_contract"):
        entity = name.partition(".")[2] or "tables"
        key = f"contract_{entity}" if entity in CONTRACT_ENTITIES else "contract_tables"
        return key, key
    if name.startswith("config."):
        rest = re.sub(r"\[\d+\]$", "", name.removeprefix("config."))
        key = CONFIG_INPUTS.get(rest) or CONFIG_INPUTS.get(rest.split(".")[0], "")
        return key, key
    key = PLAIN_INPUTS.get(re.split(r"[.\[]", name)[0], "")
    return key, key
