"""Import and export on /transformations/project. Import takes a dropped dbt project zip and
shows what it created per kind and every file it skipped with the reason; export builds the zip
as the signed-in user (services/dbt_export.py, audited) and hands it to the browser through
rx.download: there is no URL that serves the project without the user's session."""

from __future__ import annotations

import reflex as rx

from etlfabric.db import tenant_session
from etlfabric.errors import DomainError, Invalid
from etlfabric.services import dbt_export, dbt_import
from etlfabric.transformations.archive import MAX_COMPRESSED
from etlfabric.ui.state.acting import SESSION_OVER, acting_principal
from etlfabric.ui.state.dbt_seeds import DbtSeedsState
from etlfabric.ui.state.dbt_snapshots import DbtSnapshotsState

KIND_LABELS = {
    "models": "Models",
    "tests": "Tests",
    "sources": "Sources",
    "seeds": "Seeds",
    "snapshots": "Snapshots",
}


def created_rows(created: dict) -> list[dict[str, str]]:
    return [{"kind": label, "count": str(created.get(k, 0))} for k, label in KIND_LABELS.items()]


class DbtTransferState(rx.State):
    importing: bool = False
    exporting: bool = False
    import_file: str = ""
    import_error: str = ""
    created: list[dict[str, str]] = []  # {"kind", "count"}
    skipped: list[dict[str, str]] = []  # {"file", "reason"}

    @rx.var
    def import_summary(self) -> str:
        if not self.created:
            return ""
        total = sum(int(row["count"]) for row in self.created if row["kind"] != "Tests")
        skipped = len(self.skipped)
        return f"{self.import_file}: {total} created, {skipped} file{'s' * (skipped != 1)} skipped."

    @rx.event
    def reset_transfer(self):
        self.importing = self.exporting = False
        self.import_file = self.import_error = ""
        self.created, self.skipped = [], []

    @rx.event
    async def import_zip(self, files: list[rx.UploadFile]):
        self.importing, self.import_error, self.created, self.skipped = True, "", [], []
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.importing = False
            yield SESSION_OVER
            return
        try:
            if len(files) != 1:
                raise Invalid("file", "Upload one zip file at a time.")
            filename = files[0].name or files[0].filename or "file"
            if not filename.lower().endswith(".zip"):
                raise Invalid("file", f"{filename} is not a zip: upload a .zip of a dbt project.")
            data = await files[0].read(MAX_COMPRESSED + 1)  # one byte more says "too big"
            async with tenant_session(principal.org_id) as session:
                result = await dbt_import.import_zip(
                    session=session, principal=principal, data=data, filename=filename
                )
        except DomainError as exc:
            self.importing, self.import_error = False, exc.message
            return
        self.import_file, self.created = filename, created_rows(result["created"])
        self.skipped = [{"file": s["file"], "reason": s["reason"]} for s in result["skipped"]]
        self.importing = False
        for state in (DbtSeedsState, DbtSnapshotsState):
            await (await self.get_state(state))._fetch(principal)

    @rx.event
    async def export_zip(self):
        self.exporting = True
        yield
        principal = await acting_principal(self)
        if principal is None:
            self.exporting = False
            yield SESSION_OVER
            return
        try:
            async with tenant_session(principal.org_id) as session:
                data = await dbt_export.export_zip(session=session, principal=principal)
        except DomainError as exc:
            self.exporting = False
            yield rx.toast.error(exc.message)
            return
        self.exporting = False
        yield rx.download(data=data, filename="dbt_project.zip", mime_type="application/zip")
