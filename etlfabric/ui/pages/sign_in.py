"""/sign-in: e-mail and password, checked by the same service the REST login uses."""

from __future__ import annotations

import logging

import reflex as rx

from etlfabric.errors import DomainError
from etlfabric.services import auth
from etlfabric.ui.components.layout import centered_card, labelled_input
from etlfabric.ui.state.auth import (
    SIGN_IN_ROUTE,
    SIGN_UP_ROUTE,
    AuthState,
    client_ip,
)

logger = logging.getLogger(__name__)

ROUTE = SIGN_IN_ROUTE
TITLE = "Sign in · ETL Fabric"
ON_LOAD = AuthState.leave_sign_in_page

UNAVAILABLE = "Signing in is not possible right now. Try again in a minute."


class SignInState(rx.State):
    error: str = ""
    submitting: bool = False

    @rx.event
    async def submit(self, form_data: dict[str, str]):
        self.error, self.submitting = "", True
        yield  # show the busy button while the password is checked
        try:
            pair = await auth.login(
                email=(form_data.get("email") or "").strip(),
                password=form_data.get("password") or "",
                ip=client_ip(self.router),
            )
            session = await self.get_state(AuthState)
            await session.adopt(pair)
        except DomainError as exc:
            self.error, self.submitting = exc.message, False
            yield rx.set_focus("password")
            return
        except Exception:
            logger.exception("sign-in failed unexpectedly")
            self.error, self.submitting = UNAVAILABLE, False
            return
        self.submitting = False
        yield rx.redirect(session.next_route(), replace=True)


def error_area() -> rx.Component:
    """Always in the page, so screen readers announce the message when it appears."""
    return rx.box(
        rx.cond(
            SignInState.error,
            rx.callout(SignInState.error, icon="triangle_alert", color_scheme="red", size="1"),
        ),
        id="sign-in-error",
        aria_live="assertive",
        width="100%",
    )


def sign_in_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            labelled_input(
                "E-mail",
                name="email",
                type="email",
                auto_complete="username",
                required=True,
                auto_focus=True,
            ),
            labelled_input(
                "Password",
                name="password",
                type="password",
                auto_complete="current-password",
                required=True,
            ),
            error_area(),
            rx.button(
                "Sign in", type="submit", size="3", width="100%", loading=SignInState.submitting
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=SignInState.submit,
        reset_on_submit=False,
        aria_label="Sign in",
        width="100%",
    )


def page() -> rx.Component:
    return centered_card(
        rx.vstack(
            rx.heading("ETL Fabric", as_="h1", size="6"),
            rx.text("Sign in to your account.", color_scheme="gray"),
            sign_in_form(),
            rx.text(
                "New to ETL Fabric? ",
                rx.link("Create an account", href=SIGN_UP_ROUTE),
                size="2",
            ),
            spacing="4",
            width="100%",
        ),
        label="Sign in",
    )
