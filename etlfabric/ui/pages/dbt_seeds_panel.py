"""The seeds card of /transformations/project: each seed's schema, columns, rows and size, with
Load (a `dbt seed` run of it, its status in the row), Replace and Delete; the upload dialog."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import row_delete_button
from etlfabric.ui.components.forms import (
    cancel_button,
    dialog_buttons,
    form_dialog,
    form_error,
    select_field,
)
from etlfabric.ui.components.layout import data_table, form_field, header_row
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.dbt_project_runs import DbtProjectRunState as R
from etlfabric.ui.state.dbt_seeds import DbtSeedsState as S

UPLOAD_ID = "seed-upload"


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def seed_run(row: rx.Var) -> rx.Component:
    """The status of this seed's newest load started from the page, with its link."""
    run = R.seed_runs[row["name"]]
    return rx.cond(
        R.seed_runs.keys().contains(row["name"]),
        rx.hstack(
            status_badge(run["status"], run["status_label"]),
            text_link("Run #" + run["id"], "/runs/" + run["id"], size="1"),
            align="center",
            spacing="2",
        ),
    )


def seed_actions(row: rx.Var) -> rx.Component:
    load = rx.button(
        rx.icon("play", size=14, aria_hidden="true"),
        "Load",
        size="1",
        variant="soft",
        on_click=R.load_seed(row["name"]),
        aria_label="Load " + row["name"],
    )
    replace = rx.button(
        "Replace",
        size="1",
        variant="soft",
        color_scheme="gray",
        on_click=S.open_replace(row["id"]),
        aria_label="Replace " + row["name"],
    )
    delete = row_delete_button(
        thing="seed",
        name=row["name"],
        description="The CSV leaves the project; the table dbt loaded from it stays.",
        on_confirm=S.delete(row["id"]),
    )
    return rx.hstack(
        rx.cond(can("runs.start"), load),
        rx.cond(can("resources.write"), rx.fragment(replace, delete)),
        spacing="2",
    )


def seed_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(rx.vstack(rx.code(row["name"]), seed_run(row), spacing="1")),
        rx.table.cell(rx.code(row["schema"])),
        rx.table.cell(rx.text(row["columns"], size="2", word_break="break-word")),
        rx.table.cell(row["rows"], text_align="right"),
        rx.table.cell(row["size"], white_space="nowrap"),
        rx.table.cell(seed_actions(row)),
    )


def seeds_table() -> rx.Component:
    return data_table(
        "Seeds",
        header_row("Seed", "Schema", "Columns", "Rows", "Size", actions=True),
        rx.table.body(rx.foreach(S.rows, seed_row)),
        id="seeds-table",
    )


def file_picker() -> rx.Component:
    return rx.vstack(
        rx.upload.root(
            rx.button(
                rx.icon("upload", size=16, aria_hidden="true"),
                rx.cond(S.uploading, "Reading…", "Choose CSV file"),
                variant="soft",
                type="button",
                title="A .csv file with a header row, at most 5 MB",
            ),
            id=UPLOAD_ID,
            multiple=False,
            on_drop=S.upload,
            border="none",
            padding="0",
        ),
        rx.cond(
            S.file_name,
            muted(S.file_name + ": " + S.file_summary, id="seed-file"),
            muted("A .csv file with a header row, at most 5 MB.", id="seed-file"),
        ),
        rx.text(
            S.errors.get("file", ""),
            id="file-error",
            size="2",
            color=rx.color("red", 11),
            aria_live="polite",
        ),
        spacing="1",
        width="100%",
    )


def seed_dialog() -> rx.Component:
    errors = S.errors
    form = rx.vstack(
        file_picker(),
        form_field(
            "Seed name",
            name="seed_name",
            error=errors.get("seed_name", ""),
            hint="The table's name and its name in ref(); taken from the file name.",
            value=S.seed_name,
            on_change=S.set_seed_name,
            auto_complete="off",
        ),
        select_field(
            "Schema",
            name="seed_schema",
            error=errors.get("seed_schema", ""),
            options=[rx.foreach(S.schemas, lambda s: rx.el.option(s, value=s))],
            value=S.seed_schema,
            on_change=S.set_seed_schema,
        ),
        form_error(errors.get("", ""), id="seed-error"),
        dialog_buttons(
            cancel_button(),
            rx.button("Save seed", type="button", on_click=S.save, loading=S.saving),
        ),
        spacing="3",
    )
    return form_dialog(
        None,
        rx.cond(S.editing_id, "Replace seed", "New seed"),
        "dbt seed loads the CSV into a table of the schema.",
        form,
        width="32rem",
        open=S.dialog_open,
        on_open_change=S.set_dialog_open,
    )


def seeds_card() -> rx.Component:
    upload = rx.button(
        rx.icon("upload", size=16, aria_hidden="true"),
        "Upload seed",
        on_click=S.open_new,
        variant="soft",
    )
    empty = muted("No seeds yet: upload a CSV of reference data.", id="seeds-empty")
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Seeds", as_="h2", size="4"),
                rx.spacer(),
                rx.cond(can("resources.write"), upload),
                align="center",
                width="100%",
            ),
            muted("Small CSV files of reference data that dbt seed loads into a table."),
            form_error(S.error, id="seeds-error"),
            rx.cond(S.rows, seeds_table(), rx.cond(S.loaded, empty)),
            seed_dialog(),
            spacing="3",
            width="100%",
        ),
        id="seeds-card",
        width="100%",
    )
