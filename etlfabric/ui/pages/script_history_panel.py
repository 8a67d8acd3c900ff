"""The script editor's history panel: versions, a coloured unified diff of any two, restore."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import LABEL_STYLE, SELECT_STYLE, dialog_buttons, form_error
from etlfabric.ui.components.layout import data_table, header_row
from etlfabric.ui.components.runs import muted
from etlfabric.ui.pages.script_editor_panels import can_write, card
from etlfabric.ui.state.script_editor import ScriptEditorState as S
from etlfabric.ui.state.script_history import ScriptHistoryState as H

# kind of diff line -> (background, text colour); lines keep their +/- too, so colour is not the
# only sign of what was added or removed.
DIFF_COLOURS = {
    "added": (rx.color("green", 3), rx.color("green", 11)),
    "removed": (rx.color("red", 3), rx.color("red", 11)),
    "hunk": (rx.color("blue", 2), rx.color("blue", 11)),
    "file": (rx.color("gray", 3), rx.color("gray", 11)),
    "context": ("transparent", rx.color("gray", 12)),
}


def version_row(version: rx.Var) -> rx.Component:
    is_current = version["number"] == S.current_version.to_string()
    restore = rx.button(
        "Restore",
        type="button",
        on_click=H.ask_restore(version["number"]),
        aria_label=f"Restore version {version['number']}",
        variant="soft",
        size="1",
    )
    return rx.table.row(
        rx.table.row_header_cell(
            rx.hstack(
                rx.text(version["number"]),
                rx.cond(is_current, rx.badge("current", size="1", variant="soft")),
                spacing="2",
            )
        ),
        rx.table.cell(version["message"]),
        rx.table.cell(version["author"]),
        rx.table.cell(version["time"], white_space="nowrap"),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    version["number"] != "1",
                    rx.button(
                        "Changes",
                        type="button",
                        on_click=H.show_changes(version["number"]),
                        aria_label=f"Show the changes of version {version['number']}",
                        variant="ghost",
                        size="1",
                    ),
                ),
                rx.cond(can_write() & ~is_current, restore),
                spacing="2",
            )
        ),
    )


def version_select(label: str, name: str, value: rx.Var, on_change) -> rx.Component:
    return rx.hstack(
        rx.el.label(label, html_for=name, style=LABEL_STYLE),
        rx.el.select(
            rx.foreach(H.versions, lambda v: rx.el.option(v["number"], value=v["number"])),
            id=name,
            value=value,
            on_change=on_change,
            style=SELECT_STYLE,
        ),
        align="center",
        spacing="2",
    )


def diff_line(line: rx.Var) -> rx.Component:
    background = rx.match(line["kind"], *((k, v[0]) for k, v in DIFF_COLOURS.items()), "none")
    colour = rx.match(line["kind"], *((k, v[1]) for k, v in DIFF_COLOURS.items()), "inherit")
    return rx.el.div(
        line["text"],
        data_kind=line["kind"],
        style={
            "background_color": background,
            "color": colour,
            "white_space": "pre-wrap",
            "padding": "0 0.5rem",
            "min_height": "1.25em",
        },
    )


def diff_view() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            version_select("From", "compare_from", H.compare_from, H.set_compare_from),
            version_select("To", "compare_to", H.compare_to, H.set_compare_to),
            rx.button("Compare", type="button", on_click=H.compare, variant="soft", size="2"),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(
            H.diff_title,
            rx.vstack(
                rx.heading(H.diff_title, as_="h3", size="3"),
                rx.cond(
                    H.diff,
                    rx.box(
                        rx.foreach(H.diff, diff_line),
                        id="version-diff",
                        font_family="var(--code-font-family)",
                        font_size="var(--font-size-1)",
                        border=f"1px solid {rx.color('gray', 6)}",
                        border_radius="var(--radius-2)",
                        max_height="24rem",
                        overflow="auto",
                        width="100%",
                        role="region",
                        aria_label=H.diff_title,
                        tab_index=0,
                    ),
                    muted("These versions hold the same code and requirements.", id="diff-same"),
                ),
                spacing="2",
                width="100%",
            ),
        ),
        spacing="3",
        width="100%",
    )


def restore_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Restore version"),
            rx.alert_dialog.description(
                f"Restore version {H.restoring}? Its code and requirements become a new version; "
                "unsaved changes in the editors are discarded."
            ),
            dialog_buttons(
                rx.alert_dialog.cancel(
                    rx.button("Cancel", type="button", variant="soft", color_scheme="gray")
                ),
                rx.button("Restore", type="button", on_click=H.restore),
            ),
        ),
        open=H.restoring != "",
        on_open_change=H.set_restore_open,
    )


def history_card() -> rx.Component:
    versions = data_table(
        "Versions",
        header_row("Version", "Message", "Author", "Saved (UTC)", actions=True),
        rx.table.body(rx.foreach(H.versions, version_row)),
        size="1",
        id="versions",
        max_height="20rem",
        overflow_y="auto",
    )
    return card(
        "History",
        form_error(H.error, id="history-error"),
        rx.vstack(
            versions,
            rx.cond(H.versions.length() > 1, diff_view()),
            spacing="4",
            width="100%",
        ),
        restore_dialog(),
        id="history",
    )
