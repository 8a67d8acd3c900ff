"""/sign-up: a new account and the organisation it owns, by the service the REST sign-up uses."""

from __future__ import annotations

import logging

import reflex as rx

from etlfabric.errors import DomainError
from etlfabric.services import auth
from etlfabric.ui.components.layout import centered_card, form_field
from etlfabric.ui.state.auth import (
    HOME_ROUTE,
    SIGN_IN_ROUTE,
    SIGN_UP_ROUTE,
    AuthState,
    client_ip,
)

logger = logging.getLogger(__name__)

ROUTE = SIGN_UP_ROUTE
TITLE = "Sign up · ETL Fabric"
ON_LOAD = AuthState.leave_sign_in_page

FIELDS = ("name", "email", "password", "org_name")
UNAVAILABLE = "Signing up is not possible right now. Try again in a minute."


class SignUpState(rx.State):
    # field name -> its error; "" holds an error that belongs to no field
    errors: dict[str, str] = {}
    submitting: bool = False

    @rx.event
    async def submit(self, form_data: dict[str, str]):
        self.errors, self.submitting = {}, True
        yield  # show the busy button while the organisation is provisioned
        try:
            result = await auth.signup(
                name=form_data.get("name") or "",
                email=(form_data.get("email") or "").strip(),
                password=form_data.get("password") or "",
                org_name=form_data.get("org_name") or "",
                ip=client_ip(self.router),
            )
            session = await self.get_state(AuthState)
            await session.adopt(result.tokens)
        except DomainError as exc:
            field = exc.field if exc.field in FIELDS else ""
            self.errors, self.submitting = {field: exc.message}, False
            if field:
                yield rx.set_focus(field)
            return
        except Exception:
            logger.exception("sign-up failed unexpectedly")
            self.errors, self.submitting = {"": UNAVAILABLE}, False
            return
        self.submitting = False
        yield rx.redirect(HOME_ROUTE, replace=True)


def error_of(field: str) -> rx.Var:
    return SignUpState.errors.get(field, "")


def form_error() -> rx.Component:
    """Errors that name no field; always in the page so screen readers announce them."""
    return rx.box(
        rx.cond(
            error_of(""),
            rx.callout(error_of(""), icon="triangle_alert", color_scheme="red", size="1"),
        ),
        id="sign-up-error",
        aria_live="assertive",
        width="100%",
    )


def sign_up_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_field(
                "Your name",
                name="name",
                error=error_of("name"),
                auto_complete="name",
                required=True,
                auto_focus=True,
            ),
            form_field(
                "E-mail",
                name="email",
                error=error_of("email"),
                type="email",
                auto_complete="email",
                required=True,
            ),
            form_field(
                "Password",
                name="password",
                error=error_of("password"),
                hint="15+ characters recommended (8 to 128 allowed).",
                type="password",
                auto_complete="new-password",
                required=True,
            ),
            form_field(
                "Organisation name",
                name="org_name",
                error=error_of("org_name"),
                auto_complete="organization",
                required=True,
            ),
            form_error(),
            rx.button(
                "Create account",
                type="submit",
                size="3",
                width="100%",
                loading=SignUpState.submitting,
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=SignUpState.submit,
        reset_on_submit=False,
        aria_label="Sign up",
        width="100%",
    )


def page() -> rx.Component:
    return centered_card(
        rx.vstack(
            rx.heading("ETL Fabric", as_="h1", size="6"),
            rx.text("Create your account and your organisation.", color_scheme="gray"),
            sign_up_form(),
            rx.text(
                "Already have an account? ",
                rx.link("Sign in", href=SIGN_IN_ROUTE),
                size="2",
            ),
            spacing="4",
            width="100%",
        ),
        label="Sign up",
    )
