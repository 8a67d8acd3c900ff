"""The Members tab of /settings: the members table, the invite dialog, pending invitations."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import (
    SELECT_STYLE,
    cancel_button,
    copy_box,
    dialog_buttons,
    error_line,
    form_dialog,
    form_error,
    icon_button,
    role_options,
    select_field,
)
from etlfabric.ui.components.layout import data_table, form_field, header_row
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.invitations import InvitationsState
from etlfabric.ui.state.members import MembersState


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def role_cell(member: rx.Var) -> rx.Component:
    error_id = f"member-{member['user_id']}-error"
    selector = rx.vstack(
        rx.el.select(
            *role_options(AuthState.role == "owner"),
            value=member["role"],
            on_change=lambda role: MembersState.change_role(member["user_id"], role),
            aria_label=f"Role of {member['name']}",
            aria_describedby=error_id,
            style=SELECT_STYLE,
        ),
        rx.cond(
            MembersState.error_user_id == member["user_id"],
            error_line(MembersState.error, id=error_id),
        ),
        spacing="1",
    )
    badge = rx.badge(member["role"], variant="soft", size="2")
    return rx.table.cell(rx.cond(can("members.change_role"), selector, badge))


def remove_cell(member: rx.Var) -> rx.Component:
    button = rx.button(
        "Remove",
        on_click=MembersState.ask_remove(member["user_id"], member["email"]),
        aria_label=f"Remove {member['name']}",
        variant="soft",
        color_scheme="red",
        size="1",
    )
    return rx.table.cell(rx.cond(member["me"], rx.text("You", size="2"), button))


def member_row(member: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(member["name"]),
        rx.table.cell(member["email"]),
        role_cell(member),
        rx.table.cell(member["joined"], white_space="nowrap"),
        rx.cond(can("members.remove"), remove_cell(member)),
    )


def members_table() -> rx.Component:
    headers = ["Name", "E-mail", "Role", "Joined"]
    return data_table(
        "Members",
        header_row(*headers, actions=can("members.remove")),
        rx.table.body(rx.foreach(MembersState.rows, member_row)),
    )


def remove_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Remove member"),
            rx.alert_dialog.description(
                f"Remove {MembersState.removing_label} from {AuthState.org_name}? They lose "
                "access at once and their sessions in this organisation end."
            ),
            form_error(MembersState.remove_error, id="remove-error"),
            dialog_buttons(
                rx.alert_dialog.cancel(
                    rx.button("Cancel", variant="soft", color_scheme="gray", size="2")
                ),
                rx.button("Remove member", on_click=MembersState.remove, color_scheme="red"),
            ),
        ),
        open=MembersState.removing_user_id != "",
        on_open_change=MembersState.set_remove_open,
    )


def invite_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            form_field(
                "E-mail",
                name="invite_email",
                error=InvitationsState.errors.get("invite_email", ""),
                type="email",
                required=True,
                auto_focus=True,
            ),
            select_field(
                "Role",
                name="invite_role",
                error=InvitationsState.errors.get("invite_role", ""),
                options=role_options(AuthState.role == "owner"),
                default_value="editor",
            ),
            form_error(InvitationsState.errors.get("", ""), id="invite-error"),
            dialog_buttons(
                cancel_button(),
                rx.button(
                    "Send invitation", type="submit", size="2", loading=InvitationsState.inviting
                ),
            ),
            spacing="3",
        ),
        on_submit=InvitationsState.invite,
        reset_on_submit=False,
        aria_label="Invite a member",
    )


def invite_result() -> rx.Component:
    emailed = rx.text("An invitation was e-mailed to ", rx.text.strong(InvitationsState.emailed_to))
    link = rx.vstack(
        rx.text(
            "E-mail is not set up on this server, so send this link to the person yourself. "
            "It works once and expires in 7 days."
        ),
        copy_box(
            "Invitation link",
            InvitationsState.link,
            id="invitation-link",
            button="Copy link",
            copied="Invitation link copied.",
        ),
        spacing="3",
    )
    return rx.vstack(
        rx.cond(InvitationsState.link, link, emailed),
        dialog_buttons(cancel_button("Done")),
        spacing="3",
    )


def invite_dialog() -> rx.Component:
    return form_dialog(
        icon_button("user-plus", "Invite member"),
        "Invite a member",
        "They join this organisation with the role you choose.",
        rx.cond(
            InvitationsState.link | InvitationsState.emailed_to, invite_result(), invite_form()
        ),
        open=InvitationsState.dialog_open,
        on_open_change=InvitationsState.set_dialog_open,
    )


def pending_row(invitation: rx.Var) -> rx.Component:
    revoke = rx.button(
        "Revoke",
        on_click=InvitationsState.revoke(invitation["id"]),
        aria_label=f"Revoke the invitation for {invitation['email']}",
        variant="soft",
        color_scheme="red",
        size="1",
    )
    return rx.table.row(
        rx.table.row_header_cell(invitation["email"]),
        rx.table.cell(invitation["role"]),
        rx.table.cell(invitation["expires"], white_space="nowrap"),
        rx.cond(can("members.invite"), rx.table.cell(revoke)),
    )


def pending_invitations() -> rx.Component:
    headers = ["E-mail", "Role", "Expires"]
    table = data_table(
        "Pending invitations",
        header_row(*headers, actions=can("members.invite")),
        rx.table.body(rx.foreach(InvitationsState.pending, pending_row)),
    )
    return rx.vstack(
        rx.heading("Pending invitations", as_="h2", size="4"),
        form_error(InvitationsState.error, id="invitations-error"),
        rx.cond(
            InvitationsState.pending,
            table,
            rx.text("No pending invitations.", size="2", color=rx.color("gray", 11)),
        ),
        spacing="3",
        width="100%",
    )


def members_section() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Members", as_="h2", size="4"),
            rx.spacer(),
            rx.cond(can("members.invite"), invite_dialog()),
            align="center",
            width="100%",
        ),
        rx.cond(
            ~can("members.change_role"),
            rx.text(
                "Your role can see the members but not change them.",
                size="2",
                color=rx.color("gray", 11),
            ),
        ),
        form_error(MembersState.table_error, id="members-error"),
        members_table(),
        remove_dialog(),
        pending_invitations(),
        spacing="4",
        width="100%",
    )
