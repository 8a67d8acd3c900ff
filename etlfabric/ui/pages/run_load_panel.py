"""The run page's card for a pipeline run: rows loaded per table, the load id, the schema changes
against the previous run and any contract violations (shown only when the run has them)."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.state.run_detail import RunDetailState as R


def table_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row["table"]),
        rx.table.cell(row["rows"], text_align="right"),
    )


def load_card() -> rx.Component:
    tables = data_table(
        "Rows per table",
        header_row("Table", "Rows"),
        rx.table.body(rx.foreach(R.loaded_tables, table_row)),
        size="1",
        id="run-tables",
        max_width="32rem",
    )
    card = rx.card(
        rx.vstack(
            rx.heading("Loaded", as_="h2", size="4"),
            rx.cond(R.loaded_tables, tables),
            rx.el.ul(
                rx.foreach(R.load_notes, lambda note: rx.el.li(rx.text(note, size="2"))),
                id="run-load-notes",
                style={"margin": "0", "padding_left": "1.25rem"},
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )
    return rx.cond((R.loaded_tables.length() + R.load_notes.length()) > 0, card)
