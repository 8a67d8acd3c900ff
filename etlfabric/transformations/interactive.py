"""Compile, preview and lineage on a worker: the project written from the rows, then asked of
the organisation's warm dbt child (warm.py). Called by the Celery task tasks.dbt.interactive;
the answer is a plain dict ({"ok": False, "error", "field"} when dbt refused)."""

from __future__ import annotations

import os

from sqlalchemy import select

from etlfabric.db import sync_tenant_session
from etlfabric.models import Organization, Transformation
from etlfabric.transformations import environment, rows, warm

OPS = ("compile", "show", "lineage")
PREVIEW_ROWS = 100


def answer(org_id: int, op: str, transformation_id: int | None = None) -> dict:
    if op not in OPS:
        return {"ok": False, "error": f"Unknown operation '{op}'.", "field": "op"}
    with sync_tenant_session(org_id) as session:
        name = None
        if transformation_id is not None:
            name = session.scalar(
                select(Transformation.name).where(
                    Transformation.id == transformation_id,
                    Transformation.deleted_at.is_(None),
                    Transformation.enabled.is_(True),
                )
            )
            if name is None:
                return {"ok": False, "error": "Transformation not found.", "status": 404}
        folder, fingerprint = rows.sync_project(session, org_id)
        secrets = environment.credentials(session.get(Organization, org_id))
    home = rows.dbt_dir(org_id) / f"warm-{os.getpid()}"
    request = {"op": op, "name": name, "fingerprint": fingerprint, "limit": PREVIEW_ROWS}
    try:
        return warm.ask(org_id, folder, home, secrets, request)
    except warm.NoAnswer as exc:
        return {"ok": False, "error": str(exc), "status": 503}
