"""/schedules: every schedule — what it runs, its kind and timing in words, next and last run —
sortable by next run, creation or name; each with an enabled switch, and bulk enable / disable
of the checked rows. Write controls only for roles that may."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import action_row, data_table
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.schedules import SORTS
from etlfabric.ui.state.schedules import SchedulesState as S

ROUTE = "/schedules"
TITLE = "Schedules · ETL Fabric"
ON_LOAD = [AuthState.require_user, S.load]


def can_write() -> rx.Var:
    return AuthState.allowed_actions.contains("resources.write")


def sort_header(column: str, label: str) -> rx.Component:
    current = S.sort == column
    arrow = rx.cond(S.descending, "arrow-down", "arrow-up")
    return rx.table.column_header_cell(
        rx.el.button(
            label,
            rx.cond(current, rx.icon(arrow, size=14, aria_hidden="true")),
            on_click=S.sort_by(column),
            type="button",
            style={
                "display": "inline-flex",
                "gap": "0.25rem",
                "align_items": "center",
                "background": "none",
                "border": "none",
                "padding": "0",
                "font": "inherit",
                "color": "inherit",
                "cursor": "pointer",
            },
        ),
        aria_sort=rx.cond(current, rx.cond(S.descending, "descending", "ascending"), "none"),
    )


def schedule_row(row: rx.Var) -> rx.Component:
    last_run = rx.cond(
        row["last_run_href"],
        rx.vstack(
            text_link(row["last_run"], row["last_run_href"]),
            status_badge(row["last_status"], row["last_status_label"]),
            spacing="1",
        ),
        muted("—"),
    )
    return rx.table.row(
        rx.cond(
            can_write(),
            rx.table.cell(
                rx.checkbox(
                    checked=S.checked.contains(row["id"]),
                    on_change=lambda checked: S.check(row["id"], checked),
                    aria_label=f"Select the schedule of {row['target']}",
                )
            ),
        ),
        rx.table.row_header_cell(
            rx.vstack(
                text_link(row["target"], row["href"], weight="medium"),
                muted(row["target_kind"], size="1"),
                spacing="0",
            )
        ),
        rx.table.cell(row["kind"]),
        rx.table.cell(
            rx.vstack(
                rx.text(row["description"], size="2"),
                rx.cond(
                    row["disabled_reason"],
                    rx.text(row["disabled_reason"], size="1", color=rx.color("red", 11)),
                ),
                spacing="1",
            )
        ),
        rx.table.cell(row["next_run"], white_space="nowrap"),
        rx.table.cell(last_run, white_space="nowrap"),
        rx.table.cell(
            rx.el.label(
                rx.switch(
                    checked=row["enabled"] == "yes",
                    on_change=lambda on: S.toggle(row["id"], on),
                    disabled=~can_write(),
                    aria_label=f"Enabled: {row['target']}",
                ),
                rx.text(rx.cond(row["enabled"], "On", "Off"), size="2"),
                style={"display": "flex", "gap": "0.5rem", "align_items": "center"},
            )
        ),
    )


def schedules_table() -> rx.Component:
    check_all = rx.table.column_header_cell(
        rx.checkbox(
            checked=S.all_checked,
            on_change=S.check_all,
            aria_label="Select every schedule",
        )
    )
    return data_table(
        "Schedules",
        rx.table.row(
            rx.cond(can_write(), check_all),
            sort_header("name", "Target"),
            rx.table.column_header_cell("Kind"),
            rx.table.column_header_cell("When"),
            sort_header("next_run", "Next run (UTC)"),
            rx.table.column_header_cell("Last run (UTC)"),
            rx.table.column_header_cell("Enabled"),
        ),
        rx.table.body(rx.foreach(S.rows, schedule_row)),
        id="schedules-table",
    )


def toolbar() -> rx.Component:
    bulk = action_row(
        muted(S.checked_count.to_string() + " selected", id="checked-count", white_space="nowrap"),
        rx.button(
            "Enable selected",
            on_click=S.bulk(True),
            disabled=S.checked_count == 0,
            variant="soft",
            size="2",
        ),
        rx.button(
            "Disable selected",
            on_click=S.bulk(False),
            disabled=S.checked_count == 0,
            variant="soft",
            color_scheme="gray",
            size="2",
        ),
        gap="0.5rem",
    )
    sort = action_row(
        muted("Sort by", id="sort-label"),
        *(
            rx.button(
                label,
                on_click=S.sort_by(column),
                variant=rx.cond(S.sort == column, "solid", "soft"),
                size="1",
                type="button",
                aria_pressed=rx.cond(S.sort == column, "true", "false"),
            )
            for column, label in SORTS
        ),
        gap="0.5rem",
        role="group",
        aria_labelledby="sort-label",
    )
    return action_row(
        rx.cond(can_write(), bulk),
        sort,
        rx.spacer(),
        rx.cond(
            can_write(),
            rx.button(
                rx.link(
                    rx.icon("plus", size=16, aria_hidden="true"),
                    "New schedule",
                    href="/schedules/new",
                    underline="none",
                ),
                as_child=True,
            ),
        ),
        width="100%",
    )


def page() -> rx.Component:
    return app_page(
        "Schedules",
        rx.vstack(
            toolbar(),
            form_error(S.error, id="schedules-error"),
            muted(S.summary, id="schedules-summary", role="status"),
            rx.cond(
                S.rows,
                schedules_table(),
                rx.cond(
                    S.loaded,
                    rx.text(
                        "No schedules yet. Add one to run a script, pipeline or transformation "
                        "by itself.",
                        id="schedules-empty",
                    ),
                ),
            ),
            spacing="4",
            width="100%",
        ),
    )
