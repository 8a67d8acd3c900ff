"""Any address the app does not know: says so and offers the way back, signed in or not (the
dashboard sends a visitor who is not signed in to sign in)."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.layout import centered_card
from etlfabric.ui.state.auth import HOME_ROUTE

ROUTE = "404"  # Reflex's slug for the page of unknown addresses
TITLE = "Page not found · ETL Fabric"
ON_LOAD = None


def page() -> rx.Component:
    return centered_card(
        rx.vstack(
            rx.icon("map-pin-off", size=28, color=rx.color("gray", 10), aria_hidden="true"),
            rx.heading("Page not found", as_="h1", size="6"),
            rx.text(
                "There is nothing at this address. It may have been mistyped, or what it "
                "showed was deleted.",
                color_scheme="gray",
            ),
            rx.button(
                rx.link(
                    rx.icon("arrow-left", size=16, aria_hidden="true"),
                    "Go to the dashboard",
                    href=HOME_ROUTE,
                    underline="none",
                ),
                as_child=True,
                size="3",
            ),
            spacing="3",
            align="start",
        ),
        label="Page not found",
    )
