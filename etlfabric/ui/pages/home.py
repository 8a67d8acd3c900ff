"""/: the dashboard — the organisation at a glance, its scripts with their last run and 7-day
success rate (and a run button), run counts, the most recent runs, and where to go next."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.analytics import trend_charts
from etlfabric.ui.components.shell import FOCUS_RING, app_page
from etlfabric.ui.pages.home_alerts import alerts
from etlfabric.ui.pages.home_runs import activity
from etlfabric.ui.state.alerts import AlertsState
from etlfabric.ui.state.analytics import DASHBOARD_DAYS, TrendState
from etlfabric.ui.state.auth import HOME_ROUTE, AuthState
from etlfabric.ui.state.dashboard import DashboardState

ROUTE = HOME_ROUTE
TITLE = "Dashboard · ETL Fabric"
SETTINGS_ROUTE = "/settings"


ON_LOAD = [AuthState.require_user, DashboardState.load, AlertsState.load, TrendState.load]


def fact(label: str, value: rx.Component) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label, color=rx.color("gray", 11)),
        rx.data_list.value(value),
    )


def organisation_card() -> rx.Component:
    return rx.card(
        rx.heading("Organisation", as_="h2", size="4", margin_bottom="0.75rem"),
        rx.data_list.root(
            fact("Name", rx.text(AuthState.org_name, weight="medium")),
            fact("Your role", rx.badge(AuthState.role, variant="soft", size="2")),
            fact("Members", rx.text(DashboardState.member_count_label, id="member-count")),
            size="2",
        ),
        size="3",
    )


def next_step(icon: str, title: str, description: str, href: str = SETTINGS_ROUTE) -> rx.Component:
    return rx.el.li(
        rx.link(
            rx.hstack(
                rx.icon(
                    icon, size=20, aria_hidden="true", color=rx.color("accent", 11), flex_shrink="0"
                ),
                rx.vstack(
                    rx.text(title, weight="medium", color=rx.color("gray", 12)),
                    rx.text(description, size="2", color=rx.color("gray", 11)),
                    spacing="1",
                ),
                align="start",
                spacing="3",
            ),
            href=href,
            underline="none",
            display="block",
            padding="0.75rem",
            border_radius="var(--radius-3)",
            _hover={"background_color": rx.color("gray", 3)},
            _focus_visible=FOCUS_RING,
        ),
        list_style="none",
    )


def getting_started() -> rx.Component:
    can = AuthState.allowed_actions.contains
    return rx.card(
        rx.heading("Getting started", as_="h2", size="4", margin_bottom="0.5rem"),
        rx.el.ul(
            rx.cond(
                can("resources.write"),
                rx.fragment(
                    next_step(
                        "plug",
                        "Connect a source",
                        "Connections: a database, an API or files to load data from.",
                        href="/connections",
                    ),
                    next_step(
                        "database-zap",
                        "Load it with a pipeline",
                        "Pipelines: copy tables from a connection into your warehouse.",
                        href="/pipelines",
                    ),
                    next_step(
                        "git-merge",
                        "Transform it with dbt",
                        "Transformations: SQL models on the loaded tables, tested and previewed.",
                        href="/transformations",
                    ),
                    next_step(
                        "file-code",
                        "Write a script",
                        "Scripts: create one by name, add its requirements and run it.",
                        href="/scripts",
                    ),
                ),
            ),
            rx.cond(
                can("members.invite"),
                next_step(
                    "user-plus",
                    "Invite your team",
                    "Settings → Members: send an invitation and choose each person's role.",
                ),
            ),
            rx.cond(
                can("api_keys.manage"),
                next_step(
                    "key-round",
                    "Create an API key",
                    "Settings → API keys: a key for scripts and tools that call the REST API.",
                ),
            ),
            next_step(
                "building-2",
                "Review your organisation",
                "Settings: the organisation's profile and who belongs to it.",
            ),
            padding="0",
            margin="0",
        ),
        rx.cond(
            ~can("members.invite"),
            rx.text(
                "Your role can look around but not invite people or create API keys; "
                "an admin or owner of this organisation can change your role.",
                size="2",
                color=rx.color("gray", 11),
                margin_top="0.5rem",
            ),
        ),
        size="3",
    )


def page() -> rx.Component:
    return app_page(
        "Dashboard",
        rx.text(
            "Welcome, ",
            rx.text.strong(AuthState.user_name),
            ". You are signed in to ",
            rx.text.strong(AuthState.org_name),
            ".",
            margin_bottom="1.25rem",
        ),
        alerts(),
        activity(),
        rx.card(
            rx.heading(f"Runs of the last {DASHBOARD_DAYS} days", as_="h2", size="4"),
            trend_charts(TrendState.days, prefix="dashboard"),
            size="3",
            margin_bottom="1rem",
        ),
        rx.grid(
            organisation_card(),
            getting_started(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            align="start",
        ),
    )
