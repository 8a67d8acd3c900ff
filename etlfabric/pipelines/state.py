"""A pipeline's dlt state as the platform shows it, and the "reset state" / "full refresh"
requests the next run carries out (the child needs the destination's credentials for both).

A request is a small marker file in the pipeline's dlt folder; the next run reads it and removes it
once that run succeeded. The service layer confirms and audits the action before calling these.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from etlfabric.config import get_settings
from etlfabric.pipelines.spec import pipeline_dir, pipeline_name

MARKER = "reset.json"
KINDS = ("state", "full_refresh")


def _folder(data_dir: Path | None, org_id: int, pipeline_id: int) -> Path:
    return pipeline_dir(data_dir or get_settings().data_dir, org_id, pipeline_id)


def request_reset(org_id: int, pipeline_id: int, *, kind: str = "state", data_dir=None) -> None:
    """Ask the next run to forget incremental cursors ("state") or to drop and reload every table
    ("full_refresh")."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    folder = _folder(data_dir, org_id, pipeline_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(json.dumps({"kind": kind}))


def pending_reset(data_dir: Path | None, org_id: int, pipeline_id: int) -> str | None:
    path = _folder(data_dir, org_id, pipeline_id) / MARKER
    try:
        return json.loads(path.read_text()).get("kind")
    except (OSError, ValueError):
        return None


def clear_reset(data_dir: Path | None, org_id: int, pipeline_id: int) -> None:
    (_folder(data_dir, org_id, pipeline_id) / MARKER).unlink(missing_ok=True)


def read_state(org_id: int, pipeline_id: int, *, data_dir=None) -> dict:
    """{"cursors": {resource: {column: last_value}}, "last_load_id", "last_load_at",
    "last_extracted_at", "reset_pending"} from the pipeline's local dlt state (empty before its
    first run), values as dlt holds them (datetime, Decimal...). The cursors are where the next
    run continues: none while a reset is pending."""
    from dlt.common import json as dlt_json  # dlt writes its state as typed JSON (dates...)

    folder = _folder(data_dir, org_id, pipeline_id) / pipeline_name(org_id, pipeline_id)
    try:
        raw = dlt_json.typed_loads((folder / "state.json").read_text())
    except (OSError, ValueError):
        raw = {}
    cursors: dict[str, dict] = {}
    for source in (raw.get("sources") or {}).values():
        for resource, values in (source.get("resources") or {}).items():
            incremental = values.get("incremental") or {}
            found = {column: info.get("last_value") for column, info in incremental.items()}
            if found:
                cursors[resource] = found
    pending = pending_reset(data_dir, org_id, pipeline_id)
    loaded = sorted((p.name for p in (folder / "load" / "loaded").glob("*")), key=_as_number)
    return {
        "cursors": {} if pending else cursors,
        "last_load_id": loaded[-1] if loaded else None,
        "last_load_at": load_time(loaded[-1]) if loaded else None,
        "last_extracted_at": (raw.get("_local") or {}).get("_last_extracted_at"),
        "reset_pending": pending,
    }


def load_time(load_id: str) -> datetime | None:
    """When a load started: dlt names each load after the Unix time it began."""
    try:
        return datetime.fromtimestamp(float(load_id), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def _as_number(name: str) -> float:
    try:
        return float(name)
    except ValueError:
        return 0.0
