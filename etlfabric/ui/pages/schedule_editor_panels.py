"""The schedule editor's other cards: the live preview of fire times (the schedule's zone and the
viewer's), what happens on failure and overlap, and the facts of a saved schedule."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.layout import data_table
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.pages.schedule_timing_panel import choice, field_box, text_input
from etlfabric.ui.state import schedule_form as sf
from etlfabric.ui.state.schedule_editor import MAX_PREVIEW
from etlfabric.ui.state.schedule_editor import ScheduleEditorState as S


def preview_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row["n"]),
        rx.table.cell(rx.el.time(row["schedule"], date_time=row["iso"]), white_space="nowrap"),
        rx.table.cell(row["viewer"], white_space="nowrap"),
    )


def preview_card() -> rx.Component:
    table = data_table(
        "Next fire times",
        rx.table.row(
            rx.table.column_header_cell("#"),
            rx.table.column_header_cell("Schedule time (" + S.values["timezone"] + ")"),
            rx.table.column_header_cell(
                "Your time (" + rx.cond(S.viewer_zone, S.viewer_zone, "…") + ")"
            ),
        ),
        rx.table.body(rx.foreach(S.preview, preview_row)),
        size="1",
        id="schedule-preview",
    )
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Next runs", as_="h2", size="4"),
                rx.spacer(),
                rx.button(
                    rx.cond(S.preview_count < MAX_PREVIEW, f"Show {MAX_PREVIEW}", "Show 5"),
                    on_click=S.show_more,
                    variant="soft",
                    size="1",
                    type="button",
                ),
                align="center",
                width="100%",
            ),
            rx.cond(
                S.preview,
                table,
                muted(
                    rx.cond(
                        S.timing_problem,
                        "No fire times until the timing is fixed: " + S.timing_problem,
                        rx.cond(
                            S.values["kind"] == "startup",
                            "Startup schedules fire when the platform starts, not at set times.",
                            "No fire times: it never fires again (has the end date passed?).",
                        ),
                    ),
                    id="preview-empty",
                ),
            ),
            muted("Computed by the scheduler's own code as you type.", size="1"),
            spacing="3",
            width="100%",
            aria_live="polite",
        ),
        size="2",
        width="100%",
    )


def number(label: str, name: str, hint: str = "", width: str = "7rem") -> rx.Component:
    return field_box(label, name, text_input(name, type="number", min=0, width=width), hint=hint)


def policies_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Failures and overlaps", as_="h2", size="4"),
            rx.flex(
                number("Max attempts", "max_attempts", "1 = no retry"),
                number("Retry delay (seconds)", "retry_delay_seconds", "doubles each retry"),
                number("Timeout (seconds)", "timeout_seconds", "empty: the target's own"),
                number("Auto-disable after", "auto_disable_after", "failures in a row; 0 = never"),
                gap="1rem",
                wrap="wrap",
                align="start",
            ),
            rx.flex(
                field_box(
                    "If the previous run is still going",
                    "overlap",
                    choice("overlap", sf.OVERLAPS),
                ),
                field_box(
                    "After downtime (catch-up)",
                    "catch_up",
                    choice("catch_up", sf.CATCH_UPS),
                ),
                rx.cond(
                    S.values["catch_up"] == "all",
                    number("Catch up at most", "catch_up_limit", "missed runs"),
                ),
                number("Misfire grace (seconds)", "misfire_grace_seconds", "late fires still run"),
                gap="1rem",
                wrap="wrap",
                align="start",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def fact(label: str, value: rx.Component) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label, color=rx.color("gray", 11)), rx.data_list.value(value)
    )


def facts_card() -> rx.Component:
    facts = S.facts
    last_run = rx.cond(
        facts["last_run_href"],
        rx.hstack(
            text_link(facts["last_run"], facts["last_run_href"]),
            status_badge(facts["last_status"], facts["last_status_label"]),
            align="center",
        ),
        muted("Not run yet"),
    )
    return rx.card(
        rx.vstack(
            rx.cond(
                facts["disabled_reason"],
                rx.callout(
                    facts["disabled_reason"],
                    icon="triangle_alert",
                    color_scheme="red",
                    id="disabled-reason",
                    width="100%",
                ),
            ),
            rx.data_list.root(
                fact("Runs", rx.text(facts["description"], id="saved-description")),
                fact("Next run (UTC)", rx.text(facts["next_run"], id="next-run")),
                fact("Last run (UTC)", last_run),
                fact("Failures in a row", rx.text(facts["failures"])),
                size="2",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )
