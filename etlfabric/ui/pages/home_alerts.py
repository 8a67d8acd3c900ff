"""The dashboard's alert list: each unacknowledged alert with a link to its schedule and an
Acknowledge button (for roles that may change schedules)."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.runs import muted, text_link
from etlfabric.ui.state.alerts import AlertsState as A
from etlfabric.ui.state.auth import AuthState


def alert_item(row: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.callout.root(
            rx.callout.icon(rx.icon("bell-ring")),
            rx.flex(
                rx.vstack(
                    rx.callout.text(row["message"]),
                    rx.hstack(
                        muted("Raised " + row["raised"], size="1"),
                        rx.cond(
                            row["schedule_href"],
                            text_link("Open the schedule", row["schedule_href"], size="1"),
                        ),
                        spacing="3",
                    ),
                    spacing="1",
                ),
                rx.spacer(),
                rx.cond(
                    AuthState.allowed_actions.contains("resources.write"),
                    rx.button(
                        "Acknowledge",
                        on_click=A.acknowledge(row["id"]),
                        variant="soft",
                        color_scheme="red",
                        size="1",
                        type="button",
                    ),
                ),
                gap="0.75rem",
                align="center",
                width="100%",
            ),
            color_scheme="red",
            role="alert",
            width="100%",
        ),
        list_style="none",
    )


def alerts() -> rx.Component:
    """Nothing at all when there is nothing to acknowledge."""
    return rx.cond(
        A.rows,
        rx.el.section(
            rx.heading("Alerts", as_="h2", size="4", margin_bottom="0.5rem"),
            rx.el.ul(
                rx.foreach(A.rows, alert_item),
                padding="0",
                margin="0",
                display="grid",
                gap="0.5rem",
            ),
            id="dashboard-alerts",
            aria_label="Alerts",
            width="100%",
            margin_bottom="1.25rem",
        ),
    )
