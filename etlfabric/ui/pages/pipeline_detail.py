"""/pipelines/[pipeline_id]: one pipeline — what it loads from where to where, Run and Run with
full refresh (asked first), its recent runs (each a link to its live page), its dlt state with
"Reset state", the tables it loaded with their column types, and a preview of their first rows
with CSV / XLSX downloads. Write controls only for roles that may."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.analytics import target_analytics_card
from etlfabric.ui.components.confirm import confirm_button, delete_button
from etlfabric.ui.components.layout import data_table, header_row, missing_callout
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.pages.pipeline_data_panels import (
    can_write,
    fact,
    preview_card,
    state_card,
    tables_card,
)
from etlfabric.ui.pages.trigger_tokens_panel import trigger_tokens_card
from etlfabric.ui.state.analytics import TargetAnalyticsState
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.pipeline_detail import PipelineDetailState as S
from etlfabric.ui.state.trigger_tokens import TriggerTokensState

ROUTE = "/pipelines/[pipeline_id]"
TITLE = "Pipeline · ETL Fabric"
ON_LOAD = [
    AuthState.require_user,
    S.load,
    TriggerTokensState.load,
    TargetAnalyticsState.load_pipeline,
]


def can_run() -> rx.Var:
    return AuthState.allowed_actions.contains("runs.start")


def actions() -> rx.Component:
    full_refresh = confirm_button(
        rx.button(
            rx.icon("refresh-ccw", size=16, aria_hidden="true"),
            "Run full refresh",
            variant="soft",
            color_scheme="orange",
            type="button",
            disabled=S.starting,
        ),
        title="Run with a full refresh?",
        description="The tables this pipeline loaded are dropped and its state forgotten; "
        "then everything is loaded again from the source.",
        action="Drop and reload",
        on_confirm=S.run(True),
    )
    delete = delete_button(
        thing="pipeline",
        description="Its schedules stop finding it and its dependency edges go. "
        "Its runs and the data it loaded stay.",
        on_confirm=S.delete,
    )
    edit = rx.button(
        rx.link(
            rx.icon("pencil", size=16, aria_hidden="true"),
            "Edit",
            href=S.facts["edit_href"],
            underline="none",
        ),
        as_child=True,
        variant="soft",
    )
    run = rx.button(
        rx.icon("play", size=16, aria_hidden="true"),
        "Run",
        on_click=S.run(False),
        loading=S.starting,
        type="button",
        id="run-pipeline",
    )
    return rx.flex(
        rx.cond(can_run(), rx.hstack(run, full_refresh, spacing="2")),
        rx.cond(can_write(), rx.hstack(edit, delete, spacing="2")),
        rx.button(
            rx.icon("rotate-cw", size=16, aria_hidden="true"),
            "Refresh",
            on_click=S.refresh,
            variant="ghost",
            type="button",
        ),
        rx.spacer(),
        rx.cond(can_write(), text_link("Schedule it", S.facts["schedule_href"], size="2")),
        text_link("All pipelines", "/pipelines", size="2"),
        gap="0.75rem",
        wrap="wrap",
        align="center",
        width="100%",
    )


def facts_card() -> rx.Component:
    facts = S.facts
    return rx.card(
        rx.grid(
            rx.data_list.root(
                fact("Source", text_link(facts["source"], facts["source_href"])),
                fact("Destination", text_link(facts["destination"], facts["destination_href"])),
                fact("Dataset", rx.code(facts["dataset"], id="pipeline-dataset")),
                fact("Mode", facts["mode"]),
                fact(facts["reads_label"], rx.text(facts["reads"], id="pipeline-reads")),
                fact("Enabled", rx.cond(facts["enabled"], "Yes", "No — runs are refused")),
                size="2",
            ),
            rx.data_list.root(
                fact("Write disposition", facts["write_disposition"]),
                fact(
                    "Incremental cursor",
                    rx.cond(
                        facts["cursor"],
                        rx.code(facts["cursor"], id="pipeline-cursor"),
                        rx.text("— (every run reads the whole source)"),
                    ),
                ),
                fact("Primary key", facts["primary_key"]),
                fact("Schema contract", facts["contract"]),
                fact("Sensitive columns", facts["sensitive"]),
                size="2",
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
        ),
        size="2",
        width="100%",
    )


def run_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(text_link("#" + row["id"], row["href"])),
        rx.table.cell(status_badge(row["status"], row["status_label"])),
        rx.table.cell(row["trigger"]),
        rx.table.cell(row["queued"], white_space="nowrap"),
        rx.table.cell(row["duration"]),
        rx.table.cell(row["rows"], text_align="right"),
        rx.table.cell(rx.text(row["error"], size="1", color=rx.color("red", 11))),
    )


def runs_card() -> rx.Component:
    table = data_table(
        "Recent runs",
        header_row("Run", "Status", "Trigger", "Queued (UTC)", "Duration", "Rows", "Error"),
        rx.table.body(rx.foreach(S.runs, run_row)),
        size="1",
        id="pipeline-runs",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Recent runs", as_="h2", size="4"),
                rx.spacer(),
                text_link("All runs of this pipeline", S.facts["runs_href"], size="2"),
                width="100%",
                align="center",
            ),
            rx.cond(S.runs, table, muted("Not run yet.", id="no-runs")),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def details() -> rx.Component:
    return rx.vstack(
        actions(),
        facts_card(),
        runs_card(),
        target_analytics_card(TargetAnalyticsState),
        rx.grid(
            state_card(),
            tables_card(),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
            align="start",
        ),
        preview_card(),
        trigger_tokens_card(),
        spacing="4",
        width="100%",
    )


def not_found() -> rx.Component:
    return missing_callout(
        S.missing, back="Back to the pipelines", href="/pipelines", id="pipeline-missing"
    )


def page() -> rx.Component:
    return app_page(
        rx.cond(S.facts["name"], "Pipeline: " + S.facts["name"], "Pipeline"),
        rx.cond(S.missing, not_found(), rx.cond(S.loaded, details(), rx.spinner())),
    )
