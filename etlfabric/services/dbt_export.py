"""Export the organisation's dbt project as a standard dbt project zip: models, schema.yml
files, sources, seeds, snapshots and dbt_project.yml, schemas by their short names. Never
profiles.yml or any credential: whoever runs it brings their own profile."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy.ext.asyncio import AsyncSession

from etlfabric.services import audit
from etlfabric.services.permissions import Principal, require
from etlfabric.transformations import project
from etlfabric.transformations.rows import load_rows

FOLDER = "dbt_project"
FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # the same rows give the same bytes


def zip_files(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{FOLDER}/{path}", date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[path], compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


async def export_zip(*, session: AsyncSession, principal: Principal) -> bytes:
    require(principal, "resources.read")
    org_id = principal.org_id
    rows = await session.run_sync(lambda sync: load_rows(sync, org_id))
    files = project.render(rows, portable=True)
    await audit.record(
        session=session,
        principal=principal,
        action="dbt.export",
        resource_type="dbt_project",
        new={
            "models": len(rows.transformations),
            "sources": len(rows.sources),
            "seeds": len(rows.seeds),
            "snapshots": len(rows.snapshots),
        },
    )
    return zip_files(files)
