"""Import and export of /transformations/project: the buttons (an import is a dropped zip, an
export a download made by the page's state) and the import's report: what was created per kind
and every file that was skipped, with its reason."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state.dbt_transfer import DbtTransferState as T

UPLOAD_ID = "import-upload"


def import_button() -> rx.Component:
    return rx.upload.root(
        rx.button(
            rx.icon("file-up", size=16, aria_hidden="true"),
            rx.cond(T.importing, "Importing…", "Import zip"),
            variant="soft",
            type="button",
            loading=T.importing,
            title="A zip of a dbt project folder (models, schema.yml, seeds, snapshots), ≤ 20 MB",
        ),
        id=UPLOAD_ID,
        multiple=False,
        on_drop=T.import_zip,
        border="none",
        padding="0",
    )


def export_button() -> rx.Component:
    return rx.button(
        rx.icon("file-down", size=16, aria_hidden="true"),
        "Export zip",
        on_click=T.export_zip,
        loading=T.exporting,
        variant="soft",
        title="The project as a standard dbt project (no credentials: bring your own profile)",
    )


def skipped_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.code(row["file"], word_break="break-all")),
        rx.table.cell(row["reason"]),
    )


def import_report() -> rx.Component:
    created = rx.el.ul(
        rx.foreach(
            T.created,
            lambda row: rx.el.li(
                rx.text(row["kind"] + ": " + row["count"], size="2"), list_style="none"
            ),
        ),
        id="import-created",
        aria_label="Created",
        style={"display": "flex", "gap": "1.25rem", "flex_wrap": "wrap", "padding": "0"},
    )
    skipped = data_table(
        "Skipped files",
        header_row("File", "Reason"),
        rx.table.body(rx.foreach(T.skipped, skipped_row)),
        size="1",
        id="import-skipped",
    )
    report = rx.card(
        rx.vstack(
            rx.heading("Import", as_="h2", size="4"),
            muted(T.import_summary, id="import-summary"),
            created,
            rx.cond(T.skipped, skipped, muted("Every file was imported.")),
            spacing="3",
            width="100%",
        ),
        id="import-report",
        width="100%",
    )
    return rx.fragment(
        form_error(T.import_error, id="import-error"),
        rx.cond(T.created, report),
    )
