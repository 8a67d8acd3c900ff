"""/schedules/[schedule_id] (and /schedules/new): the schedule editor — what runs, when (simple
forms or the visual cron builder), the live preview of the next fire times, what happens on
failure; for a saved schedule also its facts and the month calendar of its runs. Roles that may
not write see it without Save and Delete."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import delete_button
from etlfabric.ui.components.forms import SELECT_STYLE, form_error
from etlfabric.ui.components.layout import missing_callout
from etlfabric.ui.components.runs import text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.pages.schedule_calendar_panel import calendar_card
from etlfabric.ui.pages.schedule_editor_panels import facts_card, policies_card, preview_card
from etlfabric.ui.pages.schedule_timing_panel import field_box, timing_card
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.schedule_editor import ScheduleEditorState as S

ROUTE = "/schedules/[schedule_id]"
TITLE = "Schedule · ETL Fabric"
ON_LOAD = [AuthState.require_user, S.load]


def can_write() -> rx.Var:
    return AuthState.allowed_actions.contains("resources.write")


def target_card() -> rx.Component:
    picker = rx.el.select(
        rx.el.option("Choose what to run…", value=""),
        rx.foreach(S.targets, lambda t: rx.el.option(t["label"], value=t["key"])),
        id="target",
        value=S.values["target"],
        on_change=lambda value: S.edit("target", value),
        aria_describedby="target-error",
        style={**SELECT_STYLE, "min_width": "18rem"},
    )
    enabled = rx.el.label(
        rx.switch(
            checked=S.values["enabled"] == "yes",
            on_change=S.set_enabled,
            id="enabled",
        ),
        "Enabled",
        style={"display": "flex", "gap": "0.5rem", "align_items": "center"},
    )
    return rx.card(
        rx.flex(
            field_box("Target", "target", picker),
            enabled,
            gap="1.5rem",
            align="center",
            wrap="wrap",
        ),
        size="2",
        width="100%",
    )


def buttons() -> rx.Component:
    delete = delete_button(
        thing="schedule",
        description="It stops firing at once. Its past runs stay in the run history.",
        on_confirm=S.delete,
    )
    return rx.hstack(
        rx.cond(
            can_write(),
            rx.hstack(
                rx.button(
                    rx.icon("save", size=16, aria_hidden="true"),
                    "Save schedule",
                    type="submit",
                    loading=S.saving,
                    id="save-schedule",
                ),
                rx.cond(S.schedule_id, delete),
                spacing="3",
            ),
        ),
        rx.spacer(),
        text_link("Back to the schedules", "/schedules", size="2"),
        align="center",
        width="100%",
    )


def editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(S.schedule_id, facts_card()),
            target_card(),
            rx.grid(
                timing_card(),
                preview_card(),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
                align="start",
            ),
            policies_card(),
            form_error(S.errors.get("", ""), id="schedule-error"),
            buttons(),
            rx.cond(S.schedule_id, calendar_card()),
            spacing="4",
            width="100%",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        aria_label="Schedule",
        width="100%",
    )


def not_found() -> rx.Component:
    return missing_callout(
        S.missing, back="Back to the schedules", href="/schedules", id="schedule-missing"
    )


def page() -> rx.Component:
    return app_page(
        S.heading,
        rx.cond(S.missing, not_found(), rx.cond(S.loaded, editor(), rx.spinner())),
    )
