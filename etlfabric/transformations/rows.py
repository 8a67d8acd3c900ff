"""The organisation's dbt project, from its database rows to its folder on this machine."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from etlfabric.config import get_settings
from etlfabric.models import DbtSeed, DbtSnapshot, DbtSource, Transformation
from etlfabric.transformations import project

MODEL_FIELDS = (
    "name",
    "sql",
    "schema_name",
    "materialization",
    "unique_key",
    "description",
    "columns",
    "tests",
)
SOURCE_FIELDS = (
    "source_name",
    "schema_name",
    "table_name",
    "loaded_at_field",
    "warn_after",
    "error_after",
    "description",
)
SEED_FIELDS = ("name", "schema_name", "csv", "description")
SNAPSHOT_FIELDS = (
    "name",
    "schema_name",
    "sql",
    "strategy",
    "unique_key",
    "updated_at_column",
    "check_cols",
    "description",
)


def dbt_dir(org_id: int) -> Path:
    """DATA_DIR/orgs/<org_id>/dbt: the project and the warm child's target folder."""
    return get_settings().data_dir / "orgs" / str(int(org_id)) / "dbt"


def project_dir(org_id: int) -> Path:
    return dbt_dir(org_id) / "project"


def _plain(row, fields) -> dict:
    return {name: getattr(row, name) for name in fields}


def load_rows(session: Session, org_id: int) -> project.ProjectRows:
    """Enabled, live transformations and every source, seed and snapshot of the tenant."""
    models = session.scalars(
        select(Transformation).where(
            Transformation.deleted_at.is_(None), Transformation.enabled.is_(True)
        )
    )
    return project.ProjectRows(
        org_id=org_id,
        transformations=[_plain(m, MODEL_FIELDS) for m in models],
        sources=[_plain(s, SOURCE_FIELDS) for s in session.scalars(select(DbtSource))],
        seeds=[_plain(s, SEED_FIELDS) for s in session.scalars(select(DbtSeed))],
        snapshots=[_plain(s, SNAPSHOT_FIELDS) for s in session.scalars(select(DbtSnapshot))],
    )


def sync_project(session: Session, org_id: int) -> tuple[Path, str]:
    """Write the project from the rows (only what changed); its folder and fingerprint."""
    files = project.render(load_rows(session, org_id))
    folder = project_dir(org_id)
    project.write(folder, files)
    return folder, project.fingerprint(files)
