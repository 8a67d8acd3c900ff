"""Pieces the run pages, the scripts list and the dashboard share: status badges, run tables."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.shell import FOCUS_RING

# status -> Radix colour; the badge always shows the word too.
STATUS_COLOURS = (
    ("queued", "gray"),
    ("running", "blue"),
    ("succeeded", "green"),
    ("failed", "red"),
    ("timed_out", "orange"),
    ("cancelled", "amber"),
    ("skipped", "gray"),
)
STATUS_ICONS = (
    ("queued", "clock"),
    ("running", "loader"),
    ("succeeded", "circle-check"),
    ("failed", "circle-x"),
    ("timed_out", "timer-off"),
    ("cancelled", "ban"),
    ("skipped", "skip-forward"),
)


def status_badge(status: rx.Var, label: rx.Var, **props) -> rx.Component:
    """Colour, icon and word: the status reads without colour as well."""
    colour = rx.match(status, *STATUS_COLOURS, "gray")
    return rx.badge(
        rx.match(
            status,
            *((value, rx.icon(icon, size=14, aria_hidden="true")) for value, icon in STATUS_ICONS),
            rx.icon("circle-dashed", size=14, aria_hidden="true"),
        ),
        label,
        color_scheme=colour,
        variant="soft",
        size="2",
        **props,
    )


def text_link(text: rx.Var | str, href: rx.Var | str, **props) -> rx.Component:
    return rx.link(text, href=href, _focus_visible=FOCUS_RING, **props)


def muted(text: rx.Var | str, **props) -> rx.Component:
    return rx.text(text, **{"size": "2", "color": rx.color("gray", 11), **props})


def slow_badge(reason: rx.Var, *, full: bool = False) -> rx.Component:
    """The anomaly flag: a run that took more than twice the usual p95 (reason says so)."""
    return rx.cond(
        reason,
        rx.badge(
            rx.icon("turtle", size=14, aria_hidden="true"),
            reason if full else "Slow",
            title=reason,
            color_scheme="amber",
            variant="soft",
            size="1",
            class_name="run-slow",
        ),
    )
