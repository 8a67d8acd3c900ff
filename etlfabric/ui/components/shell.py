"""The app shell every signed-in page lives in: sidebar, header (organisation switcher, user menu).

    def page() -> rx.Component:
        return app_page("Settings", rx.text("..."))

Pages guard themselves with `on_load=AuthState.require_user`; until that has run the shell shows a
spinner, so a signed-out visitor never sees a flash of the page before the redirect. From 992px
(Radix's md) up the sidebar shows icons and labels; below that (tablets) it shrinks to an icon
rail whose links keep their names for screen readers and as tooltips.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.layout import VISUALLY_HIDDEN
from etlfabric.ui.components.theme import account_theme
from etlfabric.ui.state.auth import HOME_ROUTE, AuthState

PLATFORM_ADMIN = "platform_admin"  # not a role's action: a flag of the user (AuthState)
# (label, route, lucide icon, the permission needed to see it or None)
NAV_LINKS = (
    ("Dashboard", HOME_ROUTE, "layout-dashboard", None),
    ("Connections", "/connections", "plug", None),
    ("Pipelines", "/pipelines", "database-zap", None),
    ("Transformations", "/transformations", "git-merge", None),
    ("Scripts", "/scripts", "file-code", None),
    ("Runs", "/runs", "activity", None),
    ("Schedules", "/schedules", "calendar-clock", None),
    ("Dependencies", "/dependencies", "network", None),
    ("Notifications", "/notifications", "bell", None),
    ("Settings", "/settings", "settings", None),
    ("Audit log", "/audit", "scroll-text", "audit.read"),
    ("System health", "/system", "heart-pulse", PLATFORM_ADMIN),
)
MAIN_ID = "main-content"
WIDE = rx.breakpoints(initial="none", md="inline")  # shown only where the sidebar has labels
GUTTER = rx.breakpoints(initial="1rem", sm="1.5rem")  # a phone keeps more of its width for the page
FOCUS_RING = {"outline": "2px solid var(--accent-9)", "outline_offset": "2px"}


def is_current(route: str) -> rx.Var:
    path = rx.State.router.url.path
    if route == HOME_ROUTE:
        return path == HOME_ROUTE
    return (path == route) | path.startswith(route + "/")


def nav_link(label: str, route: str, icon: str) -> rx.Component:
    current = is_current(route)
    return rx.el.li(
        rx.link(
            rx.icon(icon, size=18, aria_hidden="true", flex_shrink="0"),
            rx.el.span(label, display=WIDE),
            href=route,
            title=label,
            aria_label=label,
            aria_current=rx.cond(current, "page", "false"),
            underline="none",
            display="flex",
            align_items="center",
            justify_content=rx.breakpoints(initial="center", md="start"),
            gap="0.75rem",
            padding="0.5rem 0.75rem",
            border_radius="var(--radius-2)",
            font_weight=rx.cond(current, "600", "400"),
            color=rx.cond(current, rx.color("accent", 12), rx.color("gray", 12)),
            background_color=rx.cond(current, rx.color("accent", 4), "transparent"),
            _hover={"background_color": rx.color("gray", 4)},
            _focus_visible=FOCUS_RING,
        ),
        list_style="none",
    )


def sidebar() -> rx.Component:
    links = []
    for label, route, icon, permission in NAV_LINKS:
        link = nav_link(label, route, icon)
        if permission == PLATFORM_ADMIN:
            link = rx.cond(AuthState.platform_admin, link)
        elif permission:
            link = rx.cond(AuthState.allowed_actions.contains(permission), link)
        links.append(link)
    # The outer box stretches with the page (background and border); the nav inside stays in view.
    nav = rx.el.nav(
        rx.vstack(
            rx.hstack(
                rx.icon("workflow", size=22, color=rx.color("accent", 11), aria_hidden="true"),
                rx.text("ETL Fabric", weight="bold", size="4", display=WIDE),
                align="center",
                justify=rx.breakpoints(initial="center", md="start"),
                padding="0.25rem 0.75rem 1rem",
                width="100%",
            ),
            rx.el.ul(*links, padding="0", margin="0", display="grid", gap="0.25rem", width="100%"),
            width="100%",
            spacing="0",
        ),
        aria_label="Main",
        padding="1rem 0.5rem",
        position="sticky",
        top="0",
        max_height="100vh",
        overflow_y="auto",
    )
    return rx.box(
        nav,
        width=rx.breakpoints(initial="4.5rem", md="15rem"),
        flex_shrink="0",
        background_color=rx.color("gray", 2),
        border_right=f"1px solid {rx.color('gray', 6)}",
    )


def org_switcher() -> rx.Component:
    return rx.hstack(
        rx.el.label(
            "Organisation",
            html_for="org-switcher",
            display=WIDE,
            color=rx.color("gray", 11),
            font_size="var(--font-size-2)",
        ),
        rx.select.root(
            rx.select.trigger(id="org-switcher", aria_label="Organisation", min_width="12rem"),
            rx.select.content(
                rx.foreach(
                    AuthState.orgs,
                    lambda org: rx.select.item(org["name"], value=org["id"]),
                ),
            ),
            value=AuthState.org_key,
            on_change=AuthState.switch_org,
        ),
        align="center",
        spacing="2",
    )


def user_menu() -> rx.Component:
    dark = AuthState.theme == "dark"
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.avatar(fallback=AuthState.user_initials, size="1", radius="full"),
                rx.el.span(AuthState.user_name, display=WIDE),
                rx.icon("chevron-down", size=16, aria_hidden="true"),
                variant="ghost",
                color_scheme="gray",
                size="2",
                aria_label="Account menu",
                _focus_visible=FOCUS_RING,
            ),
        ),
        rx.menu.content(
            rx.box(
                rx.text(AuthState.user_name, weight="bold", size="2"),
                rx.text(AuthState.user_email, size="1", color=rx.color("gray", 11)),
                padding="0.25rem 0.75rem 0.5rem",
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.icon(rx.cond(dark, "sun", "moon"), size=16, aria_hidden="true"),
                rx.cond(dark, "Light theme", "Dark theme"),
                on_select=AuthState.toggle_theme,
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.icon("log-out", size=16, aria_hidden="true"),
                "Sign out",
                on_select=AuthState.sign_out,
            ),
            align="end",
        ),
    )


def header() -> rx.Component:
    return rx.el.header(
        rx.hstack(
            org_switcher(),
            rx.spacer(),
            user_menu(),
            align="center",
            width="100%",
        ),
        padding_y="0.75rem",
        padding_x=GUTTER,
        border_bottom=f"1px solid {rx.color('gray', 6)}",
        background_color=rx.color("gray", 1),
    )


def skip_link() -> rx.Component:
    """The first Tab stop: jumps past the navigation; visible only while focused."""
    return rx.el.a(
        "Skip to content",
        href=f"#{MAIN_ID}",
        position="absolute",
        left="0.5rem",
        top="-3rem",
        z_index="10",
        padding="0.5rem 0.75rem",
        background_color=rx.color("gray", 1),
        _focus={"top": "0.5rem", **FOCUS_RING},
    )


def loading() -> rx.Component:
    return rx.center(
        rx.spinner(size="3"),
        rx.el.span("Loading", style=VISUALLY_HIDDEN),
        role="status",
        min_height="100vh",
    )


def app_page(title: str, *children: rx.Component) -> rx.Component:
    """A signed-in page: `title` becomes its h1; `children` fill the main area."""
    frame = rx.flex(
        skip_link(),
        sidebar(),
        rx.flex(
            header(),
            rx.el.main(
                rx.heading(title, as_="h1", size="6", margin_bottom="1.25rem"),
                *children,
                id=MAIN_ID,
                tab_index=-1,
                padding=GUTTER,
                width="100%",
                max_width="72rem",
                outline="none",
            ),
            direction="column",
            flex="1",
            min_width="0",
        ),
        min_height="100vh",
        background_color=rx.color("gray", 1),
        color=rx.color("gray", 12),
    )
    return account_theme(rx.cond(AuthState.signed_in, frame, loading()))
