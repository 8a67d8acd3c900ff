"""/flows/[flow_id]: one "run with downstream" — its status, its graph coloured by each target's
run in the flow, and every run of it linking to the run's page; live while the flow runs."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.dependency_graph import dependency_graph
from etlfabric.ui.components.layout import data_table, header_row, missing_callout
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.flow_view import FlowViewState as F

ROUTE = "/flows/[flow_id]"
TITLE = "Flow · ETL Fabric"
ON_LOAD = [AuthState.require_user, F.load]

FLOW_COLOURS = (("running", "blue"), ("succeeded", "green"), ("failed", "red"))


def fact(label: str, value: rx.Component) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label, color=rx.color("gray", 11)), rx.data_list.value(value)
    )


def summary() -> rx.Component:
    flow = F.flow
    return rx.card(
        rx.data_list.root(
            fact(
                "Status",
                rx.badge(
                    flow["status_label"],
                    color_scheme=rx.match(flow["status"], *FLOW_COLOURS, "gray"),
                    variant="soft",
                    size="2",
                    id="flow-status",
                ),
            ),
            fact("Started from", text_link(flow["root"], flow["root_href"])),
            fact("Progress", rx.text(flow["progress"], id="flow-progress")),
            fact("Trigger", rx.text(flow["trigger"])),
            fact("Started (UTC)", rx.text(flow["started"])),
            fact("Finished (UTC)", rx.text(rx.cond(flow["finished"], flow["finished"], "—"))),
            size="2",
        ),
        rx.cond(
            F.running,
            muted("Live: this page follows the flow until it ends.", margin_top="0.5rem"),
        ),
        role="status",
        size="2",
    )


def run_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            text_link("#" + row["id"], row["href"], aria_label=f"Run {row['id']}")
        ),
        rx.table.cell(row["target_name"]),
        rx.table.cell(status_badge(row["status"], row["status_label"])),
        rx.table.cell(row["trigger"]),
        rx.table.cell(row["attempt"]),
        rx.table.cell(row["queued"], white_space="nowrap"),
        rx.table.cell(row["duration"], white_space="nowrap"),
        rx.table.cell(row["error"], max_width="20rem"),
    )


def runs_table() -> rx.Component:
    headers = ("Run", "Target", "Status", "Trigger", "Attempt", "Queued (UTC)", "Duration", "Note")
    return data_table(
        "Runs of this flow",
        header_row(*headers),
        rx.table.body(rx.foreach(F.runs, run_row)),
        id="flow-runs",
    )


def flow_body() -> rx.Component:
    return rx.vstack(
        summary(),
        dependency_graph(
            nodes=F.nodes, edges=F.edges, label="Targets of this flow", height="22rem"
        ),
        rx.heading("Runs", as_="h2", size="4"),
        runs_table(),
        spacing="4",
        width="100%",
        on_unmount=F.stop_following,
    )


def not_found() -> rx.Component:
    return missing_callout(
        F.missing, back="Back to the dependencies", href="/dependencies", id="flow-missing"
    )


def page() -> rx.Component:
    return app_page(
        rx.cond(F.flow, "Flow #" + F.flow["id"] + ": " + F.flow["root"], "Flow"),
        rx.cond(F.missing, not_found(), rx.cond(F.flow, flow_body(), rx.spinner())),
    )
