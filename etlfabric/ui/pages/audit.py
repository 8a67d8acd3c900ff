"""/audit: who changed what, when and from where; filters and pages (owners and admins)."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.layout import data_table, header_row, pager
from etlfabric.ui.components.shell import FOCUS_RING, app_page
from etlfabric.ui.state.audit import AuditState
from etlfabric.ui.state.auth import AuthState

ROUTE = "/audit"
TITLE = "Audit log · ETL Fabric"
ON_LOAD = [AuthState.require_user, AuditState.load]

CONTROL_STYLE = {
    "height": "var(--space-6)",
    "padding": "0 0.5rem",
    "border": f"1px solid {rx.color('gray', 7)}",
    "border_radius": "var(--radius-2)",
    "background_color": rx.color("gray", 1),
    "color": rx.color("gray", 12),
    "font_size": "var(--font-size-2)",
    "min_width": "10rem",
    "&:focus-visible": FOCUS_RING,
}


def labelled(label: str, name: str, control: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, font_size="var(--font-size-2)", font_weight="500"),
        control,
        spacing="1",
    )


def choice(label: str, name: str, any_label: str, options: rx.Var, option) -> rx.Component:
    """A native select: "any" first, then what the log holds."""
    return labelled(
        label,
        name,
        rx.el.select(
            rx.el.option(any_label, value=""),
            rx.foreach(options, option),
            id=name,
            name=name,
            style=CONTROL_STYLE,
        ),
    )


def day(label: str, name: str) -> rx.Component:
    return labelled(
        label,
        name,
        rx.el.input(
            type="date",
            id=name,
            name=name,
            aria_describedby="date-error",
            style=CONTROL_STYLE,
        ),
    )


def filters() -> rx.Component:
    return rx.form(
        rx.flex(
            choice(
                "Actor",
                "actor",
                "Anyone",
                AuditState.actor_options,
                lambda o: rx.el.option(o["label"], value=o["value"]),
            ),
            choice(
                "Action",
                "action",
                "Any action",
                AuditState.action_options,
                lambda a: rx.el.option(a, value=a),
            ),
            choice(
                "Resource type",
                "resource_type",
                "Any type",
                AuditState.resource_type_options,
                lambda t: rx.el.option(t, value=t),
            ),
            day("From (UTC)", "since"),
            day("To (UTC)", "until"),
            rx.hstack(
                rx.button("Apply filters", type="submit", size="2"),
                rx.button(
                    "Clear",
                    type="reset",
                    size="2",
                    variant="soft",
                    color_scheme="gray",
                    on_click=AuditState.clear_filters,
                ),
                align="end",
                spacing="2",
            ),
            wrap="wrap",
            gap="1rem",
            align="end",
        ),
        rx.text(AuditState.date_error, id="date-error", color=rx.color("red", 11), size="2"),
        on_submit=AuditState.apply_filters,
        reset_on_submit=False,
        aria_label="Filter the audit log",
        margin_bottom="1rem",
    )


def entry(row: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.el.time(row["time"], date_time=row["time"]), white_space="nowrap"),
        rx.table.cell(row["actor"]),
        rx.table.cell(rx.code(row["action"], variant="ghost")),
        rx.table.cell(row["resource"]),
        rx.table.cell(row["changes"], max_width="24rem", overflow_wrap="anywhere"),
        rx.table.cell(row["ip"]),
    )


def entries_table() -> rx.Component:
    headers = ("Time (UTC)", "Actor", "Action", "Resource", "Changes", "IP address")
    return data_table(
        "Audit log entries",
        header_row(*headers),
        rx.table.body(rx.foreach(AuditState.entries, entry)),
        size="1",
        id="audit-entries",
    )


def log_view() -> rx.Component:
    return rx.box(
        rx.text(
            "Every change in this organisation: who made it, what changed, when and from where. "
            "Secret values are masked.",
            color=rx.color("gray", 11),
            margin_bottom="1rem",
        ),
        filters(),
        rx.cond(
            AuditState.error,
            rx.callout(AuditState.error, icon="triangle_alert", color_scheme="red"),
        ),
        rx.cond(
            AuditState.entries,
            entries_table(),
            rx.text("No entries match these filters.", id="audit-empty", padding="1rem 0"),
        ),
        pager(AuditState, summary_id="audit-summary"),
    )


def refusal() -> rx.Component:
    return rx.callout(
        rx.text(
            "Your role (",
            AuthState.role,
            ") cannot see the audit log. Owners and admins can; ask one of them if you need it.",
        ),
        icon="lock",
        color_scheme="amber",
        id="audit-refused",
        role="status",
    )


def page() -> rx.Component:
    return app_page(
        "Audit log",
        rx.cond(AuthState.allowed_actions.contains("audit.read"), log_view(), refusal()),
    )
