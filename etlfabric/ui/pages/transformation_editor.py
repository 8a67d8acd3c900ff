"""/transformations/[transformation_id]: the dbt model editor — SQL with highlighting, the
materialization, unique key and description, column docs and tests — beside a panel with the
compiled SQL, preview rows and run/test results (transformation_panels.py), and the model's URL
triggers below. Roles that may not write see it read-only: every field disabled, no add, remove
or save buttons; they may still compile and preview."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.code_editor import code_editor
from etlfabric.ui.components.confirm import delete_button
from etlfabric.ui.components.forms import LABEL_STYLE, error_line, form_error, select_field
from etlfabric.ui.components.layout import missing_callout
from etlfabric.ui.components.runs import muted, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.pages.transformation_columns import columns_card, tests_card
from etlfabric.ui.pages.transformation_panels import side_panel
from etlfabric.ui.pages.trigger_tokens_panel import trigger_tokens_card
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.transformation_actions import TransformationActionsState
from etlfabric.ui.state.transformation_editor import TransformationEditorState as S
from etlfabric.ui.state.transformation_format import MATERIALIZATION_LABELS
from etlfabric.ui.state.trigger_tokens import TriggerTokensState

ROUTE = "/transformations/[transformation_id]"
TITLE = "Transformation · ETL Fabric"
ON_LOAD = [
    AuthState.require_user,
    S.load,
    TransformationActionsState.reset_panel,
    TriggerTokensState.load,
]


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def sql_section() -> rx.Component:
    hint_id, error_id = "sql-hint", "sql-error"
    return rx.vstack(
        rx.text("SQL", id="sql-label", style=LABEL_STYLE),
        code_editor(
            value=S.loaded_sql,
            key=S.editor_key,
            language="sql",
            label="SQL",
            id="sql-editor",
            height="20rem",
            editable=can("resources.write"),
            described_by=f"{hint_id} {error_id}",
            on_change=S.edit_sql,
        ),
        muted(
            "One SELECT; use {{ ref('model') }} and {{ source('name', 'table') }}. "
            "Press Esc then Tab to leave the editor.",
            id=hint_id,
            size="1",
        ),
        error_line(S.errors.get("sql", ""), id=error_id),
        spacing="1",
        width="100%",
    )


def settings_section() -> rx.Component:
    return rx.grid(
        select_field(
            "Materialization",
            name="materialization",
            error=S.errors.get("materialization", ""),
            options=[rx.el.option(v, value=k) for k, v in MATERIALIZATION_LABELS.items()],
            value=S.materialization,
            on_change=lambda value: S.set_field("materialization", value),
            disabled=~can("resources.write"),
        ),
        field_input("Unique key", "unique_key", S.unique_key, "Incremental only: id or a,b"),
        field_input("Description", "description", S.description, "What the model holds"),
        columns=rx.breakpoints(initial="1", md="3"),
        spacing="3",
        width="100%",
    )


def field_input(label: str, name: str, value: rx.Var, placeholder: str) -> rx.Component:
    error_id = f"{name}-error"
    return rx.vstack(
        rx.el.label(label, html_for=name, style=LABEL_STYLE),
        rx.input(
            id=name,
            default_value=value,
            key=S.form_key,
            placeholder=placeholder,
            aria_describedby=error_id,
            auto_complete="off",
            on_blur=lambda text: S.set_field(name, text),
            disabled=~can("resources.write"),
            width="100%",
        ),
        error_line(S.errors.get(name, ""), id=error_id),
        spacing="1",
        width="100%",
    )


def actions() -> rx.Component:
    save = rx.button(
        rx.icon("save", size=16, aria_hidden="true"),
        "Save",
        type="button",
        on_click=S.save,
        loading=S.saving,
        id="save-button",
    )
    remove = delete_button(
        thing="transformation",
        description="Its runs stay; the table or view it built stays in the warehouse. "
        "Models that ref() it must be changed first.",
        on_confirm=S.delete,
    )
    return rx.flex(
        rx.badge(rx.code(S.schema_name, variant="ghost"), variant="soft", color_scheme="gray"),
        muted(S.saved_note, id="saved-note", role="status"),
        rx.spacer(),
        text_link("Runs of this model", f"/runs?target={S.loaded_id}", size="2"),
        text_link("Lineage", "/lineage", size="2"),
        rx.cond(can("resources.write"), rx.hstack(remove, save, spacing="2")),
        wrap="wrap",
        gap="0.75rem",
        align="center",
        width="100%",
    )


def editor() -> rx.Component:
    form = rx.vstack(
        actions(),
        form_error(S.errors.get("", ""), id="save-error"),
        sql_section(),
        settings_section(),
        columns_card(),
        tests_card(),
        spacing="4",
        width="100%",
        min_width="0",
    )
    work = rx.grid(
        form,
        side_panel(),
        columns=rx.breakpoints(initial="1", lg="2"),
        spacing="5",
        width="100%",
        align="start",
    )
    return rx.vstack(work, trigger_tokens_card(), spacing="5", width="100%")


def page() -> rx.Component:
    missing = missing_callout(
        S.missing,
        back="Back to the transformations",
        href="/transformations",
        id="transformation-missing",
    )
    return app_page(
        rx.cond(S.name, S.name, "Transformation"),
        rx.cond(S.missing, missing, rx.cond(S.loaded_id, editor(), rx.spinner())),
    )
