"""/invite/<token>: join an organisation from an invitation link, with or without an account."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import VISUALLY_HIDDEN, centered_card, form_field
from etlfabric.ui.state.auth import SIGN_IN_ROUTE
from etlfabric.ui.state.invite_accept import InviteAcceptState

# The argument's name becomes a var of the root state; the handler reads the token from the URL.
ROUTE = "/invite/[invite_token]"
TITLE = "Join an organisation · ETL Fabric"
ON_LOAD = InviteAcceptState.load


def error_of(field: str) -> rx.Var:
    return InviteAcceptState.errors.get(field, "")


def offer() -> rx.Component:
    return rx.data_list.root(
        rx.data_list.item(
            rx.data_list.label("Organisation"),
            rx.data_list.value(rx.text(InviteAcceptState.org_name, weight="bold")),
        ),
        rx.data_list.item(
            rx.data_list.label("Role"),
            rx.data_list.value(rx.badge(InviteAcceptState.role, variant="soft")),
        ),
        rx.data_list.item(
            rx.data_list.label("E-mail"), rx.data_list.value(InviteAcceptState.email)
        ),
        size="2",
    )


def password_field(autocomplete: str, hint: str | None = None) -> rx.Component:
    return form_field(
        "Password",
        name="password",
        error=error_of("password"),
        hint=hint,
        type="password",
        auto_complete=autocomplete,
        required=True,
    )


def new_account_fields() -> rx.Component:
    return rx.vstack(
        rx.text("Create your account to join.", size="2"),
        form_field(
            "Your name",
            name="name",
            error=error_of("name"),
            auto_complete="name",
            required=True,
            auto_focus=True,
        ),
        password_field("new-password", "15+ characters recommended (8 to 128 allowed)."),
        spacing="3",
        width="100%",
    )


def existing_account_fields() -> rx.Component:
    return rx.cond(
        InviteAcceptState.signed_in_as_invitee,
        rx.text("You are signed in as ", rx.text.strong(InviteAcceptState.email), ".", size="2"),
        rx.vstack(
            rx.text("You already have an account: confirm it is you.", size="2"),
            # The e-mail as a username for password managers; the invitation fixes it.
            rx.el.input(
                type="email",
                name="username",
                value=InviteAcceptState.email,
                auto_complete="username",
                read_only=True,
                tab_index=-1,
                aria_hidden="true",
                style=VISUALLY_HIDDEN,
            ),
            password_field("current-password"),
            spacing="3",
            width="100%",
        ),
    )


def accept_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.cond(InviteAcceptState.has_account, existing_account_fields(), new_account_fields()),
            form_error(error_of(""), id="invite-accept-error"),
            rx.button(
                rx.cond(
                    InviteAcceptState.has_account,
                    "Accept and join",
                    "Create account and join",
                ),
                type="submit",
                size="3",
                width="100%",
                loading=InviteAcceptState.submitting,
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=InviteAcceptState.accept,
        reset_on_submit=False,
        aria_label="Accept the invitation",
        width="100%",
    )


def ready() -> rx.Component:
    return rx.vstack(
        rx.heading("You are invited", as_="h1", size="6"),
        rx.text(
            "Join ",
            rx.text.strong(InviteAcceptState.org_name),
            " on ETL Fabric as ",
            InviteAcceptState.role,
            ".",
            color_scheme="gray",
        ),
        offer(),
        accept_form(),
        spacing="4",
        width="100%",
    )


def invalid() -> rx.Component:
    return rx.vstack(
        rx.heading("Invitation not valid", as_="h1", size="6"),
        rx.callout(
            InviteAcceptState.invalid_reason,
            icon="triangle_alert",
            color_scheme="red",
            id="invitation-invalid",
            role="alert",
        ),
        rx.text(
            "Ask the person who invited you for a new link, or ",
            rx.link("sign in", href=SIGN_IN_ROUTE),
            " if you already belong to the organisation.",
            size="2",
        ),
        spacing="4",
        width="100%",
    )


def page() -> rx.Component:
    return centered_card(
        rx.match(
            InviteAcceptState.status,
            ("ready", ready()),
            ("invalid", invalid()),
            rx.center(rx.spinner(size="3"), rx.el.span("Loading", style=VISUALLY_HIDDEN)),
        ),
        label="Accept an invitation",
    )
