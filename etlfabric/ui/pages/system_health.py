"""/system: the health of the platform for platform administrators — host CPU, memory and disk,
database size, queues, the scheduler leader and its last tick, workers and their queues. It
refreshes itself every few seconds while open."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.components.runs import muted
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.system_health import REFRESH_SECONDS
from etlfabric.ui.state.system_health import SystemHealthState as H

ROUTE = "/system"
TITLE = "System health · ETL Fabric"
ON_LOAD = [AuthState.require_user, H.load]


def gauge(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.text(item["label"], weight="medium"),
        rx.heading(item["value"].to(str) + "%", size="7", as_="p"),
        rx.progress(value=item["value"].to(int), max=100, aria_label=item["label"]),
        muted(item["text"]),
        size="2",
    )


def fact(label: str, value, **props) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label, color=rx.color("gray", 11)),
        rx.data_list.value(rx.text(value, **props)),
    )


def platform_card() -> rx.Component:
    return rx.card(
        rx.heading("Platform", as_="h2", size="4", margin_bottom="0.75rem"),
        rx.data_list.root(
            fact("Database size", H.facts["database"], id="database-size"),
            fact("Organisations", H.facts["organizations"]),
            fact("Scheduler leader", H.facts["leader"], id="scheduler-leader"),
            fact("Last tick", H.facts["last_tick"], id="scheduler-tick"),
            fact(
                "Scheduler lag",
                H.facts["lag"],
                color=rx.cond(H.facts["lag_level"] == "ok", rx.color("gray", 12), "var(--red-11)"),
            ),
            fact("Workers alive", H.alive_workers.to(str), id="workers-alive"),
            size="2",
        ),
        size="3",
    )


def queues_table() -> rx.Component:
    return data_table(
        "Queues",
        header_row("Queue", "Waiting"),
        rx.table.body(
            rx.foreach(
                H.queues,
                lambda q: rx.table.row(
                    rx.table.row_header_cell(q["name"]), rx.table.cell(q["waiting"])
                ),
            )
        ),
    )


def worker_row(w: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(w["name"]),
        rx.table.cell(
            rx.cond(
                w["alive"],
                rx.badge("Alive", color_scheme="green", variant="soft"),
                rx.badge("Gone", color_scheme="red", variant="soft"),
            )
        ),
        rx.table.cell(w["queues"]),
        rx.table.cell(w["concurrency"]),
        rx.table.cell(w["seen"]),
    )


def workers_table() -> rx.Component:
    headers = ("Worker", "State", "Queues", "Processes", "Last heartbeat")
    return rx.cond(
        H.workers,
        data_table(
            "Workers",
            header_row(*headers),
            rx.table.body(rx.foreach(H.workers, worker_row)),
        ),
        muted("No worker has reported in: start one with `etlfabric worker`.", id="no-workers"),
    )


def content() -> rx.Component:
    return rx.vstack(
        rx.text(
            "Updated ",
            rx.el.span(H.facts["checked"], id="health-checked"),
            f" · refreshes every {REFRESH_SECONDS:g} s",
            size="2",
            color=rx.color("gray", 11),
            role="status",
        ),
        rx.grid(
            rx.foreach(H.gauges, gauge),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="4",
            width="100%",
        ),
        platform_card(),
        rx.heading("Queues", as_="h2", size="4"),
        queues_table(),
        rx.heading("Workers", as_="h2", size="4"),
        workers_table(),
        spacing="4",
        width="100%",
        on_unmount=H.stop_following,
    )


def page() -> rx.Component:
    return app_page(
        "System health",
        rx.cond(
            H.denied,
            rx.callout(H.denied, icon="shield_alert", color_scheme="red", role="alert"),
            content(),
        ),
    )
