"""/transformations/sources: the dbt project's sources — name, schema.table, loaded-at column,
warn/error thresholds, freshness (badge, age of the newest row, when checked, a link to the
check's run) — with add / edit / delete, "Check freshness", and the tables pipelines loaded that
no source declares yet, each one click away from being a source."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import confirm_button
from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.components.runs import muted, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.pages.dbt_source_form import source_dialog
from etlfabric.ui.pages.dbt_source_panels import can, check_bar, freshness_badge, suggestions
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.dbt_sources import DbtSourcesState as S
from etlfabric.ui.state.source_check import SourceCheckState
from etlfabric.ui.state.source_form import SourceFormState as F

ROUTE = "/transformations/sources"
TITLE = "Sources · ETL Fabric"
ON_LOAD = [AuthState.require_user, S.load, SourceCheckState.resume]


def thresholds(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["warn_after"] | row["error_after"],
        rx.vstack(
            rx.cond(row["warn_after"], rx.text("Warn after ", row["warn_after"], size="2")),
            rx.cond(row["error_after"], rx.text("Error after ", row["error_after"], size="2")),
            spacing="0",
        ),
        muted("—"),
    )


def freshness(row: rx.Var) -> rx.Component:
    return rx.vstack(
        freshness_badge(row["status"], row["label"]),
        rx.cond(row["age"], muted(row["age"], size="1", title=row["max_loaded_at"])),
        rx.cond(row["message"], muted(row["message"], size="1", max_width="20rem")),
        spacing="1",
    )


def actions(row: rx.Var) -> rx.Component:
    edit = rx.button(
        rx.icon("pencil", size=14, aria_hidden="true"),
        "Edit",
        size="1",
        variant="soft",
        on_click=F.edit(row),
        aria_label="Edit " + row["name"],
    )
    delete = confirm_button(
        rx.button(
            rx.icon("trash-2", size=14, aria_hidden="true"),
            "Delete",
            size="1",
            variant="soft",
            color_scheme="red",
            aria_label="Delete " + row["name"],
        ),
        title="Delete this source?",
        description="Only the declaration goes (refused while a model reads it with source());"
        " the table itself stays.",
        action="Delete source",
        on_confirm=S.delete(row["id"]),
    )
    return rx.cond(can("resources.write"), rx.hstack(edit, delete, spacing="2"))


def source_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row["source_name"], weight="medium"),
                muted(row["description"], size="1"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.code(row["table"]), title=row["call"]),
        rx.table.cell(rx.cond(row["loaded_at_field"], rx.code(row["loaded_at_field"]), "—")),
        rx.table.cell(thresholds(row), white_space="nowrap"),
        rx.table.cell(freshness(row)),
        rx.table.cell(
            rx.cond(row["run_href"], text_link(row["checked"], row["run_href"], size="1"), "—"),
            white_space="nowrap",
        ),
        rx.table.cell(actions(row)),
    )


def sources_table() -> rx.Component:
    return data_table(
        "Sources",
        header_row(
            "Source",
            "Table",
            "Loaded-at column",
            "Thresholds",
            "Freshness",
            "Checked (UTC)",
            actions=True,
        ),
        rx.table.body(rx.foreach(S.rows, source_row)),
        id="sources-table",
    )


def toolbar() -> rx.Component:
    return rx.flex(
        muted(S.summary, id="sources-summary", role="status"),
        rx.spacer(),
        text_link("Transformations", "/transformations", size="2"),
        text_link("Lineage", "/lineage", size="2"),
        rx.cond(can("resources.write"), source_dialog()),
        wrap="wrap",
        gap="0.75rem",
        align="center",
        width="100%",
    )


def page() -> rx.Component:
    empty = rx.text(
        "No sources yet. Declare the tables your pipelines load, then read them in models with "
        "source().",
        id="sources-empty",
    )
    return app_page(
        "Sources",
        rx.vstack(
            toolbar(),
            form_error(S.error, id="sources-error"),
            check_bar(),
            rx.cond(S.rows, sources_table(), rx.cond(S.loaded, empty)),
            suggestions(),
            spacing="4",
            width="100%",
        ),
    )
