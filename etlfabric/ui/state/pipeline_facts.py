"""What a pipeline page says a pipeline reads (its table, tables, entity set, resources or files)
and which incremental cursor it keeps, from the pipeline's saved config."""

from __future__ import annotations

import json

from etlfabric.models import Pipeline
from etlfabric.pipelines.spec import mode_and_config

READS_LABELS = {
    "table": "Table",
    "database": "Tables",
    "rest": "Resources",
    "odata": "Entity set",
    "files": "Files",
}


def reads(pipeline: Pipeline) -> tuple[str, str]:
    """(label, text) of what the pipeline reads from its source, e.g. ("Table", "customers")."""
    mode, config, _ = mode_and_config(pipeline)
    if mode == "table":
        text = config.get("table") or ""
    elif mode == "database":
        text = ", ".join(config.get("tables") or []) or "every table of the source"
    elif mode == "rest":
        text = ", ".join(str(r.get("name") or r.get("path")) for r in config.get("resources") or [])
    elif mode == "odata":
        text = config.get("entity_set") or ""
    else:
        text = config.get("glob") or "the connection's files"
    return READS_LABELS.get(mode, "Reads"), text or "—"


def configured_cursor(pipeline: Pipeline) -> str:
    """The incremental cursor the pipeline is set up with: `id (from 0)`, `orders: updated_at`
    for REST resources; "" for none (every run reads the whole source)."""
    mode, config, _ = mode_and_config(pipeline)
    if mode == "table":
        incremental = config.get("incremental") or {}
        column = incremental.get("cursor_column")
        if not column:
            return ""
        initial = incremental.get("initial_value")
        return column if initial in (None, "") else f"{column} (from {json.dumps(initial)})"
    if mode == "rest":
        return ", ".join(
            f"{r.get('name')}: {r['cursor_path']}"
            for r in config.get("resources") or []
            if r.get("cursor_path")
        )
    return ""
