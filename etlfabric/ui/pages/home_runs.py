"""The dashboard's activity: run counts, scripts with last run and success rate, recent runs."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.components.runs import muted, slow_badge, status_badge, text_link
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.dashboard import COUNT_TILES
from etlfabric.ui.state.dashboard import DashboardState as D


def count_tile(label: str, value: rx.Var, colour: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(value, size="7", weight="bold", color=rx.color(colour, 11)),
            muted(label),
            spacing="1",
        ),
        size="2",
        role="group",
        aria_label=label,
    )


def counts() -> rx.Component:
    tiles = [count_tile("Scripts", D.script_count, "gray")]
    for label, key, colour in COUNT_TILES:
        value = D.active_count if key == "active_count" else D.counts.get(key, 0)
        tiles.append(count_tile(label, value, colour))
    return rx.grid(
        *tiles,
        columns=rx.breakpoints(initial="2", sm="3", md="5"),
        spacing="3",
        width="100%",
        id="run-counts",
    )


def script_row(row: rx.Var) -> rx.Component:
    run = rx.button(
        rx.icon("play", size=14, aria_hidden="true"),
        "Run",
        on_click=D.run(row["id"]),
        loading=D.starting == row["id"],
        disabled=row["enabled"] == "",
        aria_label=f"Run {row['name']}",
        title=rx.cond(row["enabled"], "Run now", "Disabled: enable it in the editor first"),
        size="1",
        variant="soft",
        color_scheme="green",
    )
    last_run = rx.cond(
        row["last_run_href"], text_link(row["last_run"], row["last_run_href"]), muted("—")
    )
    return rx.table.row(
        rx.table.row_header_cell(text_link(row["name"], row["href"])),
        rx.table.cell(status_badge(row["status"], row["status_label"])),
        rx.table.cell(last_run, white_space="nowrap"),
        rx.table.cell(row["next_run"], white_space="nowrap"),
        rx.table.cell(row["success_rate"], white_space="nowrap"),
        rx.cond(AuthState.allowed_actions.contains("runs.start"), rx.table.cell(run)),
    )


def scripts_card() -> rx.Component:
    headers = ("Script", "Last status", "Last run (UTC)", "Next run (UTC)", "Success (7 days)")
    table = data_table(
        "Scripts overview",
        rx.table.row(
            *(rx.table.column_header_cell(h) for h in headers),
            rx.cond(
                AuthState.allowed_actions.contains("runs.start"),
                rx.table.column_header_cell("Run"),
            ),
        ),
        rx.table.body(rx.foreach(D.scripts, script_row)),
        size="1",
        id="dashboard-scripts",
    )
    return rx.card(
        rx.hstack(
            rx.heading("Scripts", as_="h2", size="4"),
            rx.spacer(),
            text_link("All scripts", "/scripts", size="2"),
            align="center",
            margin_bottom="0.75rem",
        ),
        rx.cond(D.scripts, table, muted("No scripts yet.", id="dashboard-no-scripts")),
        size="3",
        width="100%",
    )


def recent_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            text_link("#" + row["id"], row["href"], aria_label=f"Run {row['id']}")
        ),
        rx.table.cell(status_badge(row["status"], row["status_label"])),
        rx.table.cell(row["target_name"]),
        rx.table.cell(row["trigger"]),
        rx.table.cell(row["queued"], white_space="nowrap"),
        rx.table.cell(
            rx.hstack(row["duration"], slow_badge(row["slow"]), spacing="2"), white_space="nowrap"
        ),
    )


def recent_card() -> rx.Component:
    headers = ("Run", "Status", "Target", "Trigger", "Queued (UTC)", "Duration")
    table = data_table(
        "Recent runs",
        header_row(*headers),
        rx.table.body(rx.foreach(D.recent, recent_row)),
        size="1",
        id="dashboard-recent",
    )
    return rx.card(
        rx.hstack(
            rx.heading("Recent runs", as_="h2", size="4"),
            rx.spacer(),
            text_link("All runs", "/runs", size="2"),
            align="center",
            margin_bottom="0.75rem",
        ),
        rx.cond(D.recent, table, muted("No runs yet.")),
        size="3",
        width="100%",
    )


def activity() -> rx.Component:
    return rx.vstack(
        form_error(D.error, id="dashboard-error"),
        counts(),
        scripts_card(),
        recent_card(),
        spacing="4",
        width="100%",
        margin_bottom="1.25rem",
    )
