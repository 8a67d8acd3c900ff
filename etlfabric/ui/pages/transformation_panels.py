"""The editor's side panel: Compile, Preview, Run (with its selection) and Test, then the compiled
SQL, the first rows, or the run's status and per-test results (failing rows, compiled test SQL).
Each button saves the editor first; a spinner and a line say what the panel waits for."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.code_editor import code_editor
from etlfabric.ui.components.forms import LABEL_STYLE, SELECT_STYLE, form_error
from etlfabric.ui.components.layout import action_row, data_table, tab_list
from etlfabric.ui.components.runs import muted, status_badge, text_link
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.transformation_actions import TransformationActionsState as A
from etlfabric.ui.state.transformation_editor import TransformationEditorState as E

WAITING = {
    "compile": "Compiling on a worker…",
    "preview": "Running the preview on a worker…",
    "run": "Running the model…",
    "test": "Running the model's tests…",
}


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def action(label: str, icon: str, handler, what: str, **props) -> rx.Component:
    return rx.button(
        rx.icon(icon, size=16, aria_hidden="true"),
        label,
        type="button",
        on_click=handler,
        loading=A.busy == what,
        disabled=A.busy != "",
        size="2",
        **props,
    )


def run_selection() -> rx.Component:
    return rx.hstack(
        rx.el.label("Select", html_for="run-select", style=LABEL_STYLE),
        rx.el.select(
            rx.foreach(E.select_options, lambda option: rx.el.option(option, value=option)),
            id="run-select",
            value=rx.cond(A.selection, A.selection, E.name),
            on_change=A.set_selection,
            style=SELECT_STYLE,
            title="+model: with its upstream; model+: with its downstream",
        ),
        align="center",
        spacing="2",
        max_width="100%",
    )


def buttons() -> rx.Component:
    inspect = action_row(
        action("Compile", "code", A.compile, "compile", variant="soft"),
        action("Preview", "table", A.preview, "preview", variant="soft"),
        gap="0.5rem",
    )
    runs = action_row(
        run_selection(),
        action("Run", "play", A.run, "run", color_scheme="green"),
        action("Test", "flask-conical", A.test, "test", color_scheme="green", variant="soft"),
        gap="0.5rem",
    )
    return action_row(
        rx.cond(can("resources.read"), inspect),  # as the services: a viewer may compile
        rx.cond(can("runs.start"), runs),
    )


def waiting() -> rx.Component:
    return rx.box(
        rx.cond(
            A.busy,
            rx.hstack(
                rx.spinner(size="2"),
                muted(rx.match(A.busy, *WAITING.items(), "Working…")),
                align="center",
                spacing="2",
            ),
        ),
        id="panel-progress",
        role="status",
        aria_live="polite",
    )


def compiled_tab() -> rx.Component:
    return rx.cond(
        A.compiled_sql,
        code_editor(
            value=A.compiled_sql,
            key=A.compiled_sql,
            language="sql",
            label="Compiled SQL",
            id="compiled-sql",
            height="20rem",
            editable=False,
        ),
        muted("Compile to see the SQL dbt runs: refs and Jinja resolved.", id="compiled-empty"),
    )


def preview_tab() -> rx.Component:
    table = data_table(
        "Preview rows",
        rx.table.row(rx.foreach(A.preview_columns, rx.table.column_header_cell)),
        rx.table.body(
            rx.foreach(
                A.preview_rows,
                lambda row: rx.table.row(rx.foreach(row, rx.table.cell)),
            )
        ),
        size="1",
        id="preview-table",
        max_height="24rem",
        overflow_y="auto",
    )
    return rx.vstack(
        muted(A.preview_summary, id="preview-summary"),
        rx.cond(A.preview_columns, table, muted("Preview shows the model's first 100 rows.")),
        width="100%",
    )


def test_result(row: rx.Var) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            status_badge(row["status"], row["status_label"]),
            rx.code(row["name"], size="1", word_break="break-all"),
            rx.spacer(),
            rx.text(row["failures"] + " failing rows", size="2", white_space="nowrap"),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.cond(row["message"], muted(row["message"], size="1")),
        rx.el.details(
            rx.el.summary("Compiled test SQL", style={"cursor": "pointer"}),
            rx.el.pre(
                row["compiled_sql"],
                style={"white_space": "pre-wrap", "font_size": "var(--font-size-1)"},
            ),
        ),
        padding="0.5rem 0",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        list_style="none",
    )


def results_tab() -> rx.Component:
    tests = rx.el.ul(
        rx.foreach(A.test_rows, test_result),
        id="test-results",
        aria_label="Test results",
        padding="0",
        margin="0",
        width="100%",
    )
    run = rx.hstack(
        text_link("Run #" + A.run_id, "/runs/" + A.run_id, size="2"),
        muted(A.run_command),
        status_badge(A.run_status, A.run_status_label, id="run-status"),
        align="center",
        spacing="2",
    )
    return rx.vstack(
        rx.cond(A.run_id, run, muted("Run or test the model to see the results here.")),
        rx.cond(A.run_error, rx.text(A.run_error, size="2", color=rx.color("red", 11))),
        rx.cond(A.test_rows, tests),
        width="100%",
    )


def side_panel() -> rx.Component:
    tabs = rx.tabs.root(
        tab_list(
            rx.tabs.trigger("Compiled SQL", value="compiled"),
            rx.tabs.trigger("Preview", value="preview"),
            rx.tabs.trigger("Results", value="results"),
        ),
        rx.tabs.content(compiled_tab(), value="compiled", padding_top="0.75rem"),
        rx.tabs.content(preview_tab(), value="preview", padding_top="0.75rem"),
        rx.tabs.content(results_tab(), value="results", padding_top="0.75rem"),
        value=A.tab,
        on_change=A.set_tab,
        width="100%",
    )
    return rx.card(
        rx.vstack(
            buttons(),
            waiting(),
            form_error(A.problem, id="panel-problem"),
            tabs,
            spacing="3",
            width="100%",
        ),
        id="side-panel",
        width="100%",
        min_width="0",
        role="region",
        aria_label="Compile, preview and test",
        on_unmount=A.stop_following,
    )
