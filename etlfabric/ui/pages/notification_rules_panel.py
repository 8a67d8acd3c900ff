"""The notifications page's rules: the table (with an on/off switch per rule) and the dialog
that adds one."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import confirm_button
from etlfabric.ui.components.forms import (
    cancel_button,
    dialog_buttons,
    form_dialog,
    form_error,
    icon_button,
    select_field,
)
from etlfabric.ui.components.layout import data_table, form_field, header_row
from etlfabric.ui.components.runs import muted
from etlfabric.ui.pages.notification_channel_form import can_write
from etlfabric.ui.state.notification_forms import EVENT_LABELS, WEEKDAYS
from etlfabric.ui.state.notifications import NotificationsState as State


def no_channel() -> rx.Var:
    """A rule sends through a channel: none yet, none can be added."""
    return State.channels.length() == 0


def rule_dialog() -> rx.Component:
    errors = State.rule_errors
    form = rx.form(
        rx.vstack(
            select_field(
                "Channel",
                name="rule_channel",
                error=errors.get("rule_channel", ""),
                options=[
                    rx.foreach(State.channels, lambda c: rx.el.option(c["name"], value=c["id"]))
                ],
            ),
            select_field(
                "When",
                name="rule_event",
                error=errors.get("rule_event", ""),
                options=[rx.el.option(text, value=value) for value, text in EVENT_LABELS.items()],
                value=State.rule_event,
                on_change=State.choose_event,
            ),
            select_field(
                "Target",
                name="rule_target",
                error=errors.get("rule_target", ""),
                options=[
                    rx.el.option("Every target", value=""),
                    rx.foreach(State.targets, lambda t: rx.el.option(t["label"], value=t["value"])),
                ],
            ),
            rx.cond(
                State.rule_event == "failure",
                form_field(
                    "Group repeats for (minutes)",
                    name="rule_group",
                    error=errors.get("rule_group", ""),
                    hint="At most one alert per target in this window; 0 sends every failure.",
                    default_value="15",
                ),
            ),
            rx.cond(
                State.rule_event.contains("digest"),
                form_field(
                    "Hour (organisation's time zone)",
                    name="rule_hour",
                    error=errors.get("rule_hour", ""),
                    hint="0 to 23.",
                    default_value="8",
                ),
            ),
            rx.cond(
                State.rule_event == "weekly_digest",
                select_field(
                    "Day",
                    name="rule_weekday",
                    error=errors.get("rule_weekday", ""),
                    options=[rx.el.option(day, value=str(n)) for n, day in enumerate(WEEKDAYS)],
                ),
            ),
            form_error(errors.get("", ""), id="rule-error"),
            dialog_buttons(cancel_button(), rx.button("Add rule", type="submit")),
            spacing="3",
        ),
        on_submit=State.create_rule,
        reset_on_submit=False,
        aria_label="Add a rule",
    )
    return form_dialog(
        icon_button(
            "plus",
            "Add rule",
            disabled=no_channel(),
            aria_describedby="rule-needs-channel",
        ),
        "Add a notification rule",
        "What is sent, about which target.",
        form,
        width="30rem",
        open=State.rule_open,
        on_open_change=State.set_rule_open,
    )


def rule_switch(row: rx.Var) -> rx.Component:
    return rx.el.label(
        rx.switch(
            checked=row["enabled"] == "yes",
            on_change=lambda on: State.switch_rule(row["id"], on),
            disabled=~can_write(),
            aria_label=f"Enabled: {row['event']} · {row['target']}",
        ),
        rx.text(row["state"], size="2"),
        style={"display": "flex", "gap": "0.5rem", "align_items": "center"},
    )


def rule_row(row: rx.Var) -> rx.Component:
    delete = confirm_button(
        rx.button("Delete", variant="soft", color_scheme="red", size="1"),
        title="Delete this rule?",
        description="Nothing more is sent for it.",
        action="Delete rule",
        on_confirm=State.delete_rule(row["id"]),
    )
    return rx.table.row(
        rx.table.row_header_cell(row["event"]),
        rx.table.cell(row["target"]),
        rx.table.cell(row["channel"]),
        rx.table.cell(row["detail"]),
        rx.table.cell(rule_switch(row)),
        rx.cond(can_write(), rx.table.cell(delete)),
        opacity=rx.cond(row["state"] == "On", "1", "0.55"),
    )


def rules_section() -> rx.Component:
    headers = ["When", "Target", "Channel", "Details", "Enabled"]
    return rx.vstack(
        rx.hstack(
            rx.heading("Rules", as_="h2", size="4"),
            rx.spacer(),
            rx.cond(
                can_write(),
                rx.hstack(
                    rx.cond(
                        no_channel(),
                        muted(
                            "Add a channel first: a rule sends through one.",
                            id="rule-needs-channel",
                        ),
                    ),
                    rule_dialog(),
                    align="center",
                    spacing="3",
                ),
            ),
            width="100%",
        ),
        rx.cond(
            State.rules,
            data_table(
                "Rules",
                header_row(*headers, actions=can_write()),
                rx.table.body(rx.foreach(State.rules, rule_row)),
            ),
            muted("No rules yet: nothing is sent.", id="rules-empty"),
        ),
        spacing="3",
        width="100%",
    )
