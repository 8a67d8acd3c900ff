"""/settings: the organisation's profile, its members and invitations, and its API keys.

Every control is shown only when the role may use it; the services check the role again.
"""

from __future__ import annotations

from zoneinfo import available_timezones

import reflex as rx

from etlfabric.ui.components.forms import form_error
from etlfabric.ui.components.layout import form_field, tab_list
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.pages.settings_api_keys import api_keys_section
from etlfabric.ui.pages.settings_members import members_section
from etlfabric.ui.state.api_keys import ApiKeysState
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.invitations import InvitationsState
from etlfabric.ui.state.members import MembersState
from etlfabric.ui.state.organization import OrgProfileState

ROUTE = "/settings"
TITLE = "Settings · ETL Fabric"
ON_LOAD = [
    AuthState.require_user,
    OrgProfileState.load,
    MembersState.load,
    InvitationsState.load,
    ApiKeysState.load,
]
TIMEZONES = sorted(available_timezones())


def error_of(field: str) -> rx.Var:
    return OrgProfileState.errors.get(field, "")


def profile_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_field(
                "Organisation name",
                name="org_name",
                error=error_of("org_name"),
                default_value=OrgProfileState.name,
                required=True,
                auto_complete="organization",
            ),
            form_field(
                "Default time zone",
                name="org_timezone",
                error=error_of("org_timezone"),
                hint="An IANA time zone such as Europe/Berlin; schedules use it by default.",
                default_value=OrgProfileState.timezone,
                required=True,
                custom_attrs={"list": "timezones"},
            ),
            rx.el.datalist(*(rx.el.option(value=zone) for zone in TIMEZONES), id="timezones"),
            form_error(error_of(""), id="profile-error"),
            rx.hstack(
                rx.button("Save profile", type="submit", size="2", loading=OrgProfileState.saving),
                rx.cond(
                    OrgProfileState.saved,
                    rx.text("Saved.", id="profile-saved", size="2", color=rx.color("green", 11)),
                ),
                align="center",
                spacing="3",
            ),
            spacing="4",
            max_width="28rem",
        ),
        # A new key remounts the inputs, so their defaults follow the loaded values.
        key=OrgProfileState.name + "|" + OrgProfileState.timezone,
        on_submit=OrgProfileState.save,
        reset_on_submit=False,
        aria_label="Organisation profile",
    )


def profile_facts() -> rx.Component:
    """What a role that cannot change the profile sees."""
    return rx.vstack(
        rx.data_list.root(
            rx.data_list.item(rx.data_list.label("Name"), rx.data_list.value(OrgProfileState.name)),
            rx.data_list.item(
                rx.data_list.label("Default time zone"),
                rx.data_list.value(OrgProfileState.timezone),
            ),
        ),
        rx.text("Owners and admins can change the profile.", size="2", color=rx.color("gray", 11)),
        spacing="3",
    )


def profile_section() -> rx.Component:
    return rx.vstack(
        rx.heading("Organisation profile", as_="h2", size="4"),
        rx.cond(AuthState.allowed_actions.contains("org.update"), profile_form(), profile_facts()),
        spacing="3",
        width="100%",
    )


def tab(label: str, value: str) -> rx.Component:
    return rx.tabs.trigger(label, value=value)


def page() -> rx.Component:
    can_see_keys = AuthState.allowed_actions.contains("api_keys.read")
    return app_page(
        "Settings",
        rx.tabs.root(
            tab_list(
                tab("Organisation", "organisation"),
                tab("Members", "members"),
                rx.cond(can_see_keys, tab("API keys", "api-keys")),
                aria_label="Settings sections",
            ),
            rx.tabs.content(profile_section(), value="organisation", padding_top="1.25rem"),
            rx.tabs.content(members_section(), value="members", padding_top="1.25rem"),
            rx.cond(
                can_see_keys,
                rx.tabs.content(api_keys_section(), value="api-keys", padding_top="1.25rem"),
            ),
            default_value="organisation",
        ),
    )
