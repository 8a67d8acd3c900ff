"""/connections/[connection_id] (and /connections/new): one connection — its type (picked first
for a new one), name, direction and the inputs of its type with help text; secrets as password
inputs that are never filled from the server; "Test connection"; delete (asked first). The
managed Warehouse can only be renamed and tested. Roles that may not write see it read-only."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.confirm import delete_button
from etlfabric.ui.components.forms import SELECT_STYLE, form_error
from etlfabric.ui.components.layout import missing_callout
from etlfabric.ui.components.runs import muted, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.pages.connection_editor_panels import (
    can_write,
    field_box,
    files_card,
    test_result,
    type_fields,
    type_picker,
)
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.connection_editor import ConnectionEditorState as S

ROUTE = "/connections/[connection_id]"
TITLE = "Connection · ETL Fabric"
ON_LOAD = [AuthState.require_user, S.load]
DIRECTION_LABELS = {"source": "Source", "destination": "Destination", "both": "Both"}


def name_and_direction() -> rx.Component:
    name = rx.input(
        id="name",
        value=S.values["name"],
        on_change=lambda value: S.edit("name", value),
        aria_describedby="name-error",
        aria_invalid=rx.cond(S.errors.get("name", ""), "true", "false"),
        disabled=~can_write(),
        width="100%",
    )
    direction = rx.el.select(
        rx.foreach(
            S.directions,
            lambda d: rx.el.option(rx.match(d, *DIRECTION_LABELS.items(), d), value=d),
        ),
        id="direction",
        value=S.values["direction"],
        on_change=lambda value: S.edit("direction", value),
        aria_describedby="direction-hint direction-error",
        disabled=~can_write() | S.managed,
        style={**SELECT_STYLE, "width": "100%"},
    )
    return rx.grid(
        field_box("name", "Name", name, "How pipelines and people refer to it."),
        field_box(
            "direction",
            "Direction",
            direction,
            "Source: pipelines read from it. Destination: they load into it.",
        ),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )


def type_line() -> rx.Component:
    change = rx.button(
        "Change type",
        on_click=S.choose_type(""),
        type="button",
        variant="ghost",
        size="1",
    )
    return rx.hstack(
        rx.badge(S.kind_label, size="2", id="connection-type"),
        muted(S.exercised, size="1", id="exercised"),
        rx.spacer(),
        rx.cond(~S.connection_id, change),
        align="center",
        width="100%",
    )


def settings_card() -> rx.Component:
    managed_note = rx.callout(
        "The Warehouse is managed by the platform: pipelines load into the organisation's own "
        "schemas on it (raw, staging, marts). Only its name can change; it cannot be deleted.",
        icon="shield",
        size="1",
        id="managed-note",
    )
    return rx.card(
        rx.vstack(
            type_line(),
            name_and_direction(),
            rx.cond(S.managed, managed_note, type_fields()),
            spacing="4",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def buttons() -> rx.Component:
    delete = delete_button(
        thing="connection",
        description="Pipelines that use it must be changed or deleted first. "
        "Its stored credentials are erased.",
        on_confirm=S.delete,
    )
    save = rx.button(
        rx.icon("save", size=16, aria_hidden="true"),
        "Save connection",
        type="submit",
        loading=S.saving,
        id="save-connection",
    )
    test = rx.button(
        rx.icon("plug-zap", size=16, aria_hidden="true"),
        "Test connection",
        type="button",
        variant="soft",
        loading=S.testing,
        on_click=S.test,
        id="test-connection",
    )
    return rx.hstack(
        rx.cond(can_write(), save),
        rx.cond(can_write() | S.connection_id, test),
        rx.cond(can_write() & S.connection_id & ~S.managed, delete),
        rx.spacer(),
        text_link("Back to the connections", "/connections", size="2"),
        align="center",
        spacing="3",
        width="100%",
    )


def editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            settings_card(),
            rx.cond(S.uses_files, files_card()),
            test_result(),
            form_error(S.errors.get("", ""), id="connection-error"),
            buttons(),
            spacing="4",
            width="100%",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        aria_label="Connection",
        width="100%",
    )


def not_found() -> rx.Component:
    return missing_callout(
        S.missing, back="Back to the connections", href="/connections", id="connection-missing"
    )


def body() -> rx.Component:
    return rx.cond(
        S.kind,
        editor(),
        rx.vstack(
            type_picker(),
            text_link("Back to the connections", "/connections", size="2"),
            spacing="4",
            width="100%",
        ),
    )


def page() -> rx.Component:
    return app_page(
        S.heading,
        rx.cond(S.missing, not_found(), rx.cond(S.loaded, body(), rx.spinner())),
    )
