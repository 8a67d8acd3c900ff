"""The month calendar card of a schedule's page: a table of weeks, each day coloured by how the
schedule's runs went and saying so in words, with Previous / Next month."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import error_line
from etlfabric.ui.components.layout import VISUALLY_HIDDEN
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state.schedule_calendar import WEEKDAYS
from etlfabric.ui.state.schedule_calendar import ScheduleCalendarState as C

# day state -> (Radix colour, icon): failures and successes differ in icon and words too
DAY_LOOKS = {
    "succeeded": ("green", "circle-check"),
    "failed": ("red", "circle-x"),
    "mixed": ("orange", "circle-alert"),
    "other": ("gray", "circle-dashed"),
}


def day_cell(cell: rx.Var) -> rx.Component:
    state = cell["state"]
    colour = rx.match(state, *((k, v[0]) for k, v in DAY_LOOKS.items()), "gray")
    has_runs = state != "none"
    icon = rx.match(
        state,
        *((k, rx.icon(v[1], size=14, aria_hidden="true")) for k, v in DAY_LOOKS.items()),
        rx.fragment(),
    )
    inside = rx.vstack(
        rx.hstack(
            rx.text(cell["day"], weight=rx.cond(cell["today"], "bold", "regular"), size="2"),
            icon,
            justify="between",
            width="100%",
        ),
        rx.text(cell["summary"], size="1", aria_hidden="true"),
        rx.el.span(cell["label"], style=VISUALLY_HIDDEN),
        spacing="0",
        align="start",
    )
    return rx.el.td(
        rx.cond(cell["in_month"], inside),
        data_date=cell["date"],
        data_state=state,
        aria_current=rx.cond(cell["today"], "date", "false"),
        style={
            "vertical_align": "top",
            "height": "3.75rem",
            "padding": "0.25rem 0.375rem",
            "border": f"1px solid {rx.color('gray', 5)}",
            "background_color": rx.cond(
                has_runs & cell["in_month"].to(bool),
                rx.color(colour, 3),
                rx.cond(cell["in_month"], rx.color("gray", 1), rx.color("gray", 2)),
            ),
            "color": rx.cond(has_runs, rx.color(colour, 11), rx.color("gray", 12)),
            "outline": rx.cond(cell["today"], f"2px solid {rx.color('accent', 9)}", "none"),
            "outline_offset": "-2px",
        },
    )


def month_table() -> rx.Component:
    return rx.el.table(
        rx.el.caption(C.month_label, " — runs of this schedule per day", style=VISUALLY_HIDDEN),
        rx.el.thead(
            rx.el.tr(
                *(
                    rx.el.th(day, scope="col", style={"font_weight": "500", "font_size": "12px"})
                    for day in WEEKDAYS
                )
            )
        ),
        rx.el.tbody(rx.foreach(C.weeks, lambda week: rx.el.tr(rx.foreach(week, day_cell)))),
        id="schedule-calendar",
        style={"width": "100%", "border_collapse": "collapse", "table_layout": "fixed"},
    )


def legend() -> rx.Component:
    items = (
        ("succeeded", "All succeeded"),
        ("failed", "All failed"),
        ("mixed", "Some failed"),
        ("other", "Cancelled, skipped or still running"),
    )
    return rx.hstack(
        *(
            rx.badge(
                rx.icon(DAY_LOOKS[state][1], size=12, aria_hidden="true"),
                text,
                color_scheme=DAY_LOOKS[state][0],
                variant="soft",
            )
            for state, text in items
        ),
        wrap="wrap",
        spacing="2",
    )


def calendar_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Runs by day", as_="h2", size="4"),
                rx.spacer(),
                rx.button(
                    rx.icon("chevron-left", size=16, aria_hidden="true"),
                    "Previous month",
                    on_click=C.previous_month,
                    variant="soft",
                    size="1",
                    type="button",
                ),
                rx.text(C.month_label, id="calendar-month", weight="medium", aria_live="polite"),
                rx.button(
                    "Next month",
                    rx.icon("chevron-right", size=16, aria_hidden="true"),
                    on_click=C.next_month,
                    variant="soft",
                    size="1",
                    type="button",
                ),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            muted(C.month_summary, id="calendar-summary"),
            month_table(),
            legend(),
            error_line(C.error, id="calendar-error"),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )
