"""The "When" card of the schedule editor: the kind, the simple forms (daily, weekly, monthly),
the visual cron builder (presets, the five fields, the raw expression), intervals, one-off times,
the timezone and the start / end dates. Every input feeds the live preview as it changes."""

from __future__ import annotations

import zoneinfo

import reflex as rx

from etlfabric.ui.components.forms import LABEL_STYLE, SELECT_STYLE, error_line
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state import schedule_form as sf
from etlfabric.ui.state.schedule_editor import ScheduleEditorState as S

ZONES = sorted(zoneinfo.available_timezones())


def field_box(label: str, name: str, control: rx.Component, hint: str = "") -> rx.Component:
    """A label, its control, an optional hint and the control's error (announced)."""
    return rx.vstack(
        rx.el.label(label, html_for=name, style=LABEL_STYLE),
        control,
        muted(hint, size="1", id=f"{name}-hint") if hint else rx.fragment(),
        error_line(S.errors.get(name, ""), id=f"{name}-error"),
        spacing="1",
        align="start",
    )


def text_input(name: str, **props) -> rx.Component:
    return rx.input(
        id=name,
        value=S.values[name],
        on_change=lambda value: S.edit(name, value),
        aria_invalid=rx.cond(S.errors.get(name, ""), "true", "false"),
        aria_describedby=f"{name}-error",
        **props,
    )


def choice(name: str, options: tuple[tuple[str, str], ...], **props) -> rx.Component:
    return rx.el.select(
        *(rx.el.option(label, value=value) for value, label in options),
        id=name,
        value=S.values[name],
        on_change=lambda value: S.edit(name, value),
        aria_describedby=f"{name}-error",
        style={**SELECT_STYLE, **props.pop("style", {})},
        **props,
    )


def weekday_boxes() -> rx.Component:
    return rx.el.fieldset(
        rx.el.legend("Days", style=LABEL_STYLE),
        rx.hstack(
            *(
                rx.el.label(
                    rx.checkbox(
                        checked=S.chosen_days.contains(day),
                        on_change=lambda checked, day=day: S.toggle_day(day, checked),
                    ),
                    label,
                    style={"display": "flex", "gap": "0.25rem", "align_items": "center"},
                )
                for day, label in sf.WEEKDAYS
            ),
            wrap="wrap",
            spacing="3",
        ),
        id="days",
        style={"border": "none", "padding": "0", "margin": "0"},
    )


def simple_form() -> rx.Component:
    build = S.values["build"]
    return rx.vstack(
        rx.cond(build == "weekly", weekday_boxes()),
        rx.hstack(
            rx.cond(
                build == "monthly",
                field_box(
                    "Day of the month",
                    "day",
                    text_input("day", type="number", min=1, max=31, width="6rem"),
                ),
            ),
            field_box("At", "time", text_input("time", type="time", width="9rem")),
            rx.cond(
                (build == "monthly") & S.long_month_day,
                field_box(
                    "In months without that day",
                    "short_months",
                    choice("short_months", sf.SHORT_MONTHS),
                ),
            ),
            spacing="4",
            wrap="wrap",
            align="start",
        ),
        error_line(S.errors.get("form", ""), id="form-error"),
        rx.hstack(
            muted("As a cron expression: "),
            rx.code(S.form_cron, id="form-cron"),
            rx.button(
                "Edit in the cron builder",
                on_click=S.open_in_builder,
                variant="ghost",
                size="1",
                type="button",
            ),
            align="center",
            wrap="wrap",
        ),
        spacing="2",
        width="100%",
    )


def cron_builder() -> rx.Component:
    fields = [
        rx.vstack(
            rx.el.label(label, html_for=name, style=LABEL_STYLE),
            rx.input(
                id=name,
                value=S.cron_parts[index],
                on_change=lambda text, index=index: S.set_cron_part(index, text),
                aria_invalid=rx.cond(S.errors.get(name, ""), "true", "false"),
                aria_describedby=f"{name}-hint {name}-error",
                width="100%",
                font_family="var(--code-font-family)",
            ),
            muted(hint, size="1", id=f"{name}-hint"),
            error_line(S.errors.get(name, ""), id=f"{name}-error"),
            spacing="1",
            min_width="7rem",
            flex="1",
        )
        for index, (name, label, hint) in enumerate(sf.CRON_FIELDS)
    ]
    presets = rx.hstack(
        muted("Presets:"),
        *(
            rx.button(label, on_click=S.apply_preset(cron), variant="soft", size="1", type="button")
            for label, cron in sf.PRESETS
        ),
        wrap="wrap",
        spacing="2",
        align="center",
        role="group",
        aria_label="Cron presets",
    )
    return rx.vstack(
        presets,
        rx.flex(
            *fields, gap="0.5rem", wrap="wrap", width="100%", role="group", aria_label="Cron fields"
        ),
        field_box(
            "Cron expression",
            "cron",
            text_input("cron", width="16rem", font_family="var(--code-font-family)"),
            hint="minute hour day-of-month month day-of-week, e.g. 30 7 * * 1-5",
        ),
        spacing="3",
        width="100%",
    )


def interval_form() -> rx.Component:
    return rx.hstack(
        field_box(
            "Every",
            "interval_value",
            text_input("interval_value", type="number", min=1, width="7rem"),
        ),
        field_box(
            "Unit", "interval_unit", choice("interval_unit", tuple((u, u) for u in sf.UNITS))
        ),
        spacing="3",
        align="start",
    )


def repeating() -> rx.Component:
    return rx.vstack(
        field_box("Repeat", "build", choice("build", sf.BUILDS)),
        rx.cond(S.values["build"] == "cron", cron_builder(), simple_form()),
        spacing="3",
        width="100%",
    )


def timing_body() -> rx.Component:
    return rx.match(
        S.values["kind"],
        ("cron", repeating()),
        ("interval", interval_form()),
        (
            "once",
            field_box("Run at", "run_at", text_input("run_at", type="datetime-local")),
        ),
        ("startup", muted("Runs once each time the platform starts.")),
        rx.fragment(),
    )


def zone_and_window() -> rx.Component:
    return rx.flex(
        field_box(
            "Timezone",
            "timezone",
            rx.fragment(
                text_input("timezone", list="timezones", width="16rem", auto_complete="off"),
                rx.el.datalist(*(rx.el.option(value=zone) for zone in ZONES), id="timezones"),
            ),
            hint="IANA name, e.g. Europe/Lisbon; daylight saving is handled.",
        ),
        field_box("Start (optional)", "start_at", text_input("start_at", type="datetime-local")),
        field_box("End (optional)", "end_at", text_input("end_at", type="datetime-local")),
        gap="1rem",
        wrap="wrap",
        align="start",
    )


def timing_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("When", as_="h2", size="4"),
            field_box("Kind", "kind", choice("kind", sf.KINDS)),
            timing_body(),
            zone_and_window(),
            rx.hstack(
                rx.icon("calendar-clock", size=16, aria_hidden="true"),
                rx.text(S.description, id="schedule-description", weight="medium"),
                align="center",
                role="status",
            ),
            spacing="3",
            width="100%",
        ),
        size="2",
        width="100%",
    )
