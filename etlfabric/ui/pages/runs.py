"""/runs: the run history — filters, sortable columns, pages, and export as CSV or XLSX."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import error_line, form_error
from etlfabric.ui.components.layout import VISUALLY_HIDDEN, action_row, data_table, pager
from etlfabric.ui.components.runs import muted, slow_badge, status_badge, text_link
from etlfabric.ui.components.shell import FOCUS_RING, app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.runs import (
    SORTABLE,
    STATUS_CHOICES,
    TARGET_CHOICES,
    TRIGGER_CHOICES,
    RunsState,
)

ROUTE = "/runs"
TITLE = "Runs · ETL Fabric"
ON_LOAD = [AuthState.require_user, RunsState.load]

CONTROL_STYLE = {
    "height": "var(--space-6)",
    "padding": "0 0.5rem",
    "border": f"1px solid {rx.color('gray', 7)}",
    "border_radius": "var(--radius-2)",
    "background_color": rx.color("gray", 1),
    "color": rx.color("gray", 12),
    "font_size": "var(--font-size-2)",
    "min_width": "9rem",
    "max_width": "100%",  # a target's long name must not widen the page on a phone
    "&:focus-visible": FOCUS_RING,
}


def labelled(label: str, name: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, font_size="var(--font-size-2)", font_weight="500"),
        control,
        error_line(RunsState.errors.get(name, ""), id=f"{name}-error"),
        spacing="1",
        max_width="100%",
    )


def choice(label: str, name: str, any_label: str, options) -> rx.Component:
    return labelled(
        label,
        name,
        rx.el.select(
            rx.el.option(any_label, value=""),
            *options,
            id=name,
            name=name,
            default_value=RunsState.filters[name],
            style=CONTROL_STYLE,
        ),
    )


def text_input(label: str, name: str, **props) -> rx.Component:
    return labelled(
        label,
        name,
        rx.el.input(
            id=name,
            name=name,
            default_value=RunsState.filters[name],
            aria_describedby=f"{name}-error",
            style=CONTROL_STYLE,
            **props,
        ),
    )


def filters() -> rx.Component:
    target_options = rx.foreach(
        RunsState.targets, lambda t: rx.el.option(t["label"], value=t["value"])
    )
    return rx.form(
        rx.flex(
            choice(
                "Status",
                "status",
                "Any status",
                [rx.el.option(text, value=v) for v, text in STATUS_CHOICES],
            ),
            choice(
                "Kind",
                "target_type",
                "Any kind",
                [rx.el.option(text, value=v) for v, text in TARGET_CHOICES],
            ),
            choice("Target", "target", "Any target", [target_options]),
            choice(
                "Trigger",
                "trigger",
                "Any trigger",
                [rx.el.option(text, value=v) for v, text in TRIGGER_CHOICES],
            ),
            text_input("From (UTC)", "since", type="date"),
            text_input("To (UTC)", "until", type="date"),
            text_input("Output contains", "search", type="search", placeholder="words in the log"),
            rx.hstack(
                rx.button("Apply filters", type="submit", size="2"),
                rx.button(
                    "Clear",
                    type="button",
                    size="2",
                    variant="soft",
                    color_scheme="gray",
                    on_click=RunsState.clear_filters,
                ),
                spacing="2",
                padding_bottom="0.25rem",
            ),
            wrap="wrap",
            gap="1rem",
            align="end",
        ),
        form_error(RunsState.errors.get("", ""), id="runs-error"),
        key=RunsState.form_key,
        on_submit=RunsState.apply_filters,
        reset_on_submit=False,
        aria_label="Filter the runs",
        margin_bottom="1rem",
    )


def sort_header(column: str, label: str) -> rx.Component:
    direction = RunsState.sort_directions[column]
    icon = rx.match(
        direction,
        ("ascending", rx.icon("arrow-up", size=14, aria_hidden="true")),
        ("descending", rx.icon("arrow-down", size=14, aria_hidden="true")),
        rx.icon("arrow-up-down", size=14, aria_hidden="true", opacity="0.5"),
    )
    return rx.table.column_header_cell(
        rx.el.button(
            label,
            icon,
            type="button",
            on_click=RunsState.sort_by(column),
            title=f"Sort by {label.lower()}",
            style={
                "display": "inline-flex",
                "align_items": "center",
                "gap": "0.25rem",
                "border": "none",
                "background": "none",
                "padding": "0",
                "font": "inherit",
                "font_weight": "600",
                "color": "inherit",
                "cursor": "pointer",
                "&:focus-visible": FOCUS_RING,
            },
        ),
        aria_sort=direction,
        white_space="nowrap",
    )


def run_row(row: rx.Var) -> rx.Component:
    target = rx.cond(
        row["target_href"], text_link(row["target_name"], row["target_href"]), row["target_name"]
    )
    return rx.table.row(
        rx.table.row_header_cell(
            text_link("#" + row["id"], row["href"], aria_label=f"Run {row['id']}")
        ),
        rx.table.cell(status_badge(row["status"], row["status_label"])),
        rx.table.cell(rx.vstack(target, muted(row["target_type"], size="1"), spacing="0")),
        rx.table.cell(row["trigger"]),
        rx.table.cell(row["queued"], white_space="nowrap"),
        rx.table.cell(
            rx.hstack(row["duration"], slow_badge(row["slow"]), spacing="2"), white_space="nowrap"
        ),
        rx.table.cell(row["attempt"], white_space="nowrap"),
        rx.table.cell(row["error"], max_width="20rem", overflow_wrap="anywhere"),
    )


def runs_table() -> rx.Component:
    return data_table(
        "Runs",
        rx.table.row(
            *(sort_header(column, label) for column, label in SORTABLE.items()),
            rx.table.column_header_cell("Attempt"),
            rx.table.column_header_cell("Error"),
        ),
        rx.table.body(rx.foreach(RunsState.rows, run_row)),
        size="1",
        id="runs-table",
    )


def export_buttons() -> rx.Component:
    def button(label: str, format: str, icon: str) -> rx.Component:
        return rx.button(
            rx.icon(icon, size=16, aria_hidden="true"),
            label,
            on_click=RunsState.export(format),
            loading=RunsState.exporting == format,
            variant="soft",
            size="2",
        )

    return action_row(
        rx.button(
            rx.icon("refresh-cw", size=16, aria_hidden="true"),
            "Refresh",
            on_click=RunsState.refresh,
            variant="ghost",
            size="2",
        ),
        button("Export CSV", "csv", "file-text"),
        button("Export XLSX", "xlsx", "file-spreadsheet"),
        rx.text("Exports hold every run that matches the filters.", style=VISUALLY_HIDDEN),
        gap="0.5rem",
    )


def page() -> rx.Component:
    empty = rx.cond(
        RunsState.filtered,
        "No runs match these filters.",
        "No runs yet: run a script, pipeline or transformation to see it here.",
    )
    return app_page(
        "Runs",
        action_row(
            muted(
                "Every run of every script, pipeline and transformation, newest first. "
                "Times are UTC."
            ),
            rx.spacer(),
            export_buttons(),
            width="100%",
            margin_bottom="1rem",
        ),
        filters(),
        rx.cond(
            RunsState.rows,
            runs_table(),
            rx.cond(RunsState.loaded, rx.text(empty, id="runs-empty", padding="1rem 0")),
        ),
        pager(RunsState, summary_id="runs-summary"),
    )
