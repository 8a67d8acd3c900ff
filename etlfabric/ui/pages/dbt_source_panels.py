"""The sources page's side pieces: the freshness badge, the "Check freshness" bar that follows
the check's Run, and "Suggested from your pipelines" with a one-click Add per loaded table."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.dbt_sources import DbtSourcesState as S
from etlfabric.ui.state.source_check import SourceCheckState as C

# freshness status -> (Radix colour, icon); the badge always shows the word too.
FRESHNESS_STYLES = {
    "pass": ("green", "circle-check"),
    "warn": ("amber", "triangle-alert"),
    "error": ("red", "circle-x"),
    "runtime error": ("red", "octagon-alert"),
    "never": ("gray", "circle-dashed"),
    "unset": ("gray", "circle-minus"),
}


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def freshness_badge(status: rx.Var, label: rx.Var) -> rx.Component:
    styles = FRESHNESS_STYLES.items()
    return rx.badge(
        rx.match(
            status,
            *((k, rx.icon(icon, size=14, aria_hidden="true")) for k, (_, icon) in styles),
            rx.icon("circle-dashed", size=14, aria_hidden="true"),
        ),
        label,
        color_scheme=rx.match(status, *((k, colour) for k, (colour, _) in styles), "gray"),
        variant="soft",
        size="2",
        class_name="freshness-badge",
    )


def check_bar() -> rx.Component:
    """The Check freshness button (editors and up) and the latest check: status, link, error."""
    button = rx.button(
        rx.icon("refresh-cw", size=16, aria_hidden="true"),
        "Check freshness",
        on_click=C.check,
        loading=C.checking,
        disabled=rx.cond(S.rows, False, True),
    )
    latest = rx.hstack(
        muted("Latest check:"),
        status_badge(C.run_status, C.run_label, id="check-status"),
        text_link("Run #" + C.run_id, "/runs/" + C.run_id, size="2", id="check-run"),
        rx.cond(
            C.checking,
            rx.hstack(rx.spinner(size="2"), muted("Checking on a worker…"), id="check-progress"),
        ),
        align="center",
        wrap="wrap",
    )
    return rx.vstack(
        rx.hstack(
            rx.cond(can("runs.start"), button),
            rx.cond(C.run_id, latest, muted("Freshness has not been checked yet.")),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rx.cond(
            C.run_error & ~C.checking,
            muted(C.run_error, size="1", id="check-error"),
        ),
        rx.cond(C.problem, rx.callout(C.problem, icon="triangle_alert", color_scheme="red")),
        spacing="2",
        width="100%",
        on_unmount=C.stop_following,
    )


def suggestion_row(row: rx.Var) -> rx.Component:
    add = rx.button(
        rx.icon("plus", size=14, aria_hidden="true"),
        "Add",
        size="1",
        variant="soft",
        on_click=S.add_suggestion(row),
        loading=S.adding == row["key"],
        aria_label="Add " + row["key"],
    )
    return rx.table.row(
        rx.table.row_header_cell(rx.code(row["key"])),
        rx.table.cell(text_link(row["pipeline"], row["pipeline_href"])),
        rx.table.cell(rx.cond(can("resources.write"), add)),
    )


def suggestions() -> rx.Component:
    table = data_table(
        "Suggested from your pipelines",
        header_row("Table", "Loaded by", actions=True),
        rx.table.body(rx.foreach(S.suggestions, suggestion_row)),
        size="1",
        id="suggested-sources",
    )
    return rx.vstack(
        rx.heading("Suggested from your pipelines", as_="h2", size="4"),
        rx.cond(
            S.suggestions,
            rx.vstack(
                muted("Tables your pipelines loaded that no source declares yet."),
                table,
                spacing="2",
                width="100%",
            ),
            muted("Every table your pipelines loaded is declared.", id="no-suggestions"),
        ),
        spacing="2",
        width="100%",
    )
