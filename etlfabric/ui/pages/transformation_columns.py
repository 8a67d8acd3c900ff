"""The editor's column docs and column tests: one row each, added and removed in place; a refusal
of the service shows on its row. Roles that may not write see the rows disabled, without the add
and remove buttons."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import SELECT_STYLE, error_line
from etlfabric.ui.components.layout import VISUALLY_HIDDEN
from etlfabric.ui.components.runs import muted
from etlfabric.ui.pages.transformation_panels import can
from etlfabric.ui.state.transformation_editor import TransformationEditorState as S
from etlfabric.ui.state.transformation_format import TEST_LABELS


def can_write() -> rx.Var:
    return can("resources.write")


def cell_input(kind: str, row: rx.Var, field: str, label: str, placeholder: str):
    input_id = f"{kind}-{field}-" + row["key"]
    return rx.box(
        rx.el.label(label, html_for=input_id, style=VISUALLY_HIDDEN),
        rx.input(
            id=input_id,
            default_value=row[field],
            key=S.form_key.to_string() + input_id,
            placeholder=placeholder,
            auto_complete="off",
            size="2",
            on_blur=lambda value: S.set_cell(kind, row["key"], field, value),
            disabled=~can_write(),
        ),
        width="100%",
    )


def remove(kind: str, row: rx.Var, what: rx.Var) -> rx.Component:
    button = rx.icon_button(
        rx.icon("x", size=14, aria_hidden="true"),
        type="button",
        variant="ghost",
        color_scheme="gray",
        size="1",
        aria_label="Remove " + what,
        on_click=S.remove_row(kind, row["key"]),
    )
    return rx.cond(can_write(), button)


def column_row(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            cell_input("columns", row, "name", "Column name", "column"),
            cell_input("columns", row, "description", "Column description", "what it holds"),
            remove("columns", row, "column " + row["name"]),
            width="100%",
            align="center",
        ),
        error_line(row["error"], id="columns-error-" + row["key"]),
        spacing="1",
        width="100%",
    )


def test_row(row: rx.Var) -> rx.Component:
    select_id = "tests-test-" + row["key"]
    kind = rx.box(
        rx.el.label("Test", html_for=select_id, style=VISUALLY_HIDDEN),
        rx.el.select(
            *[rx.el.option(label, value=value) for value, label in TEST_LABELS.items()],
            id=select_id,
            value=row["test"],
            on_change=lambda value: S.set_cell("tests", row["key"], "test", value),
            disabled=~can_write(),
            style=SELECT_STYLE,
        ),
    )
    return rx.vstack(
        rx.hstack(
            cell_input("tests", row, "column", "Tested column", "column"),
            kind,
            cell_input(
                "tests", row, "argument", "Values or model.field", "a, b, c  or  model.field"
            ),
            remove("tests", row, row["test"] + " test of " + row["column"]),
            width="100%",
            align="center",
        ),
        error_line(row["error"], id="tests-error-" + row["key"]),
        spacing="1",
        width="100%",
    )


def card(title: str, hint: str, rows, render, add, add_label: str, id: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, as_="h2", size="3"),
            muted(hint, size="1"),
            rx.foreach(rows, render),
            rx.cond(
                can_write(),
                rx.button(
                    rx.icon("plus", size=14, aria_hidden="true"),
                    add_label,
                    type="button",
                    variant="soft",
                    size="1",
                    on_click=add,
                ),
            ),
            spacing="2",
            width="100%",
        ),
        id=id,
        width="100%",
    )


def columns_card() -> rx.Component:
    return card(
        "Column docs",
        "Descriptions written to schema.yml; they show on the lineage page.",
        S.column_rows,
        column_row,
        S.add_column,
        "Add column",
        "columns-card",
    )


def tests_card() -> rx.Component:
    return card(
        "Column tests",
        "Accepted values: a comma-separated list. Relationship: the related model.field.",
        S.test_rows,
        test_row,
        S.add_test,
        "Add test",
        "tests-card",
    )
