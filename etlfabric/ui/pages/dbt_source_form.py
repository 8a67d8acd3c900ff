"""The sources page's dialog: declare a source table or edit one. Freshness is two thresholds
(a count and a period each) on the column that says when a row was loaded."""

from __future__ import annotations

import reflex as rx

from etlfabric.services.dbt_project import PERIODS
from etlfabric.ui.components.forms import (
    LABEL_STYLE,
    SELECT_STYLE,
    cancel_button,
    dialog_buttons,
    error_line,
    form_dialog,
    form_error,
    icon_button,
    select_field,
)
from etlfabric.ui.components.layout import form_field
from etlfabric.ui.state.dbt_sources import DbtSourcesState
from etlfabric.ui.state.source_form import SourceFormState as F


def _field(label: str, name: str, hint: str | None = None, **props) -> rx.Component:
    """An input prefilled from the form's values (empty when declaring a new source)."""
    return form_field(
        label,
        name=name,
        error=F.errors.get(name, ""),
        hint=hint,
        default_value=F.values.get(name, ""),
        auto_complete="off",
        **props,
    )


def threshold(label: str, prefix: str, hint: str) -> rx.Component:
    """A count input and a period select on one line, each with its own error underneath."""
    count, period = f"{prefix}_count", f"{prefix}_period"
    options = [rx.el.option("—", value="")] + [rx.el.option(f"{p}s", value=p) for p in PERIODS]
    return rx.el.fieldset(
        rx.el.legend(label, style=LABEL_STYLE),
        rx.text(hint, size="1", color=rx.color("gray", 11), margin_bottom="0.25rem"),
        rx.hstack(
            rx.vstack(
                rx.input(
                    id=count,
                    name=count,
                    type="number",
                    min=1,
                    default_value=F.values.get(count, ""),
                    aria_label=f"{label}: count",
                    aria_describedby=f"{count}-error",
                    aria_invalid=rx.cond(F.errors.get(count, ""), "true", "false"),
                    width="6rem",
                ),
                error_line(F.errors.get(count, ""), id=f"{count}-error"),
                spacing="1",
            ),
            rx.vstack(
                rx.el.select(
                    *options,
                    id=period,
                    name=period,
                    default_value=F.values.get(period, ""),
                    aria_label=f"{label}: period",
                    aria_describedby=f"{period}-error",
                    style={**SELECT_STYLE, "width": "8rem"},
                ),
                error_line(F.errors.get(period, ""), id=f"{period}-error"),
                spacing="1",
            ),
            align="start",
        ),
        style={"border": "none", "padding": 0, "margin": 0},
    )


def source_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            _field(
                "Source name",
                "source_name",
                "Used in {{ source('<name>', '<table>') }}; e.g. the schema, raw.",
                required=True,
            ),
            select_field(
                "Schema",
                name="schema_name",
                error=F.errors.get("schema_name", ""),
                default_value=F.values.get("schema_name", ""),
                options=[rx.foreach(DbtSourcesState.schemas, lambda s: rx.el.option(s, value=s))],
            ),
            _field("Table", "table_name", "The table as it is in the schema.", required=True),
            _field(
                "Loaded-at column",
                "loaded_at_field",
                "A timestamp column that says when each row arrived; freshness needs it.",
            ),
            threshold("Warn after", "warn", "Warn when the newest row is older than this."),
            threshold("Error after", "error", "An error when it is older than this."),
            _field("Description", "description"),
            form_error(F.errors.get("", ""), id="source-form-error"),
            dialog_buttons(
                cancel_button(),
                rx.button(
                    rx.cond(F.editing, "Save source", "Declare source"),
                    type="submit",
                    loading=F.saving,
                ),
            ),
            spacing="3",
        ),
        on_submit=F.save,
        reset_on_submit=False,
        key=F.editing,  # another source, fresh inputs (they are uncontrolled)
        aria_label=rx.cond(F.editing, "Edit a source", "Declare a source"),
    )


def source_dialog() -> rx.Component:
    return form_dialog(
        icon_button("plus", "Add source"),
        rx.cond(F.editing, "Edit the source", "Declare a source"),
        "A table your models read with source(); freshness is optional.",
        source_form(),
        width="32rem",
        open=F.open,
        on_open_change=F.set_open,
    )
