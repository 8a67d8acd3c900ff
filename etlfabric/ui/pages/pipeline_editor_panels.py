"""The pipeline editor's cards: what to load (the mode and its own inputs, REST resources as
rows), how to load it (write disposition, keys, schema contract, batch size, sensitive columns),
filters as rows, and the advanced dlt options as checked JSON. Every input shows its error."""

from __future__ import annotations

import reflex as rx

from etlfabric.services.pipeline_checks import CONTRACT_MODES, FILE_FORMATS, FILTER_OPS
from etlfabric.services.pipeline_options import ADVANCED_OPTIONS
from etlfabric.ui.components.forms import LABEL_STYLE, SELECT_STYLE, error_line
from etlfabric.ui.components.runs import muted
from etlfabric.ui.state import pipeline_form as pf
from etlfabric.ui.state.pipeline_editor import PipelineEditorState as S

CONTRACT_HELP = {
    "tables": "New tables:",
    "columns": "New columns:",
    "data_type": "Changed data types:",
}


def field_box(
    label: str, name: str, control: rx.Component, hint: str | rx.Var = ""
) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=name, style=LABEL_STYLE),
        control,
        muted(hint, size="1", id=f"{name}-hint")
        if isinstance(hint, rx.Var) or hint
        else rx.fragment(),
        error_line(S.errors.get(name, ""), id=f"{name}-error"),
        spacing="1",
        width="100%",
    )


def described(name: str) -> dict:
    return {
        "id": name,
        "aria_describedby": f"{name}-hint {name}-error",
        "aria_invalid": rx.cond(S.errors.get(name, ""), "true", "false"),
    }


def text_input(name: str, **props) -> rx.Component:
    return rx.input(
        value=S.values[name],
        on_change=lambda value: S.edit(name, value),
        width="100%",
        **described(name),
        **props,
    )


def select(name: str, options: list[tuple[str, str]], **props) -> rx.Component:
    return rx.el.select(
        *(rx.el.option(label, value=value) for value, label in options),
        value=S.values[name],
        on_change=lambda value: S.edit(name, value),
        style={**SELECT_STYLE, "width": "100%"},
        **described(name),
        **props,
    )


def field(label: str, name: str, hint: str = "", **props) -> rx.Component:
    return field_box(label, name, text_input(name, **props), hint)


def grid(*children: rx.Component) -> rx.Component:
    return rx.grid(
        *children, columns=rx.breakpoints(initial="1", md="2"), spacing="4", width="100%"
    )


def card(title: str, *children: rx.Component, **props) -> rx.Component:
    return rx.card(
        rx.vstack(rx.heading(title, as_="h2", size="4"), *children, spacing="3", width="100%"),
        size="2",
        width="100%",
        **props,
    )


def table_fields() -> rx.Component:
    return grid(
        field("Table", "table", "The table (or view) to load, e.g. customers."),
        field("Schema", "schema", "The source schema; the connection's default when empty."),
        field(
            "Incremental cursor column",
            "cursor_column",
            "Only rows with a larger value than last time are loaded (e.g. updated_at, id). "
            "Empty: every row, every run.",
        ),
        field(
            "Initial value",
            "initial_value",
            "Where the first run starts, e.g. 0 or 2024-01-01; empty: from the beginning.",
        ),
    )


def database_fields() -> rx.Component:
    return grid(
        field("Tables", "tables", "Comma-separated; empty loads every table of the schema."),
        field("Schema", "schema", "The source schema; the connection's default when empty."),
    )


def resource_input(index, row, key: str, label: str, width: str = "10rem") -> rx.Component:
    return rx.input(
        value=row[key],
        on_change=lambda value: S.edit_resource(index, key, value),
        placeholder=label,
        aria_label=label,
        id="resource-" + index.to_string() + "-" + key,
        width=width,
    )


def resource_row(row: rx.Var, index: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.flex(
            resource_input(index, row, "path", "Path", "14rem"),
            resource_input(index, row, "name", "Table name"),
            resource_input(index, row, "primary_key", "Primary key"),
            resource_input(index, row, "incremental_param", "Incremental parameter"),
            resource_input(index, row, "cursor_path", "Cursor path in a record"),
            resource_input(index, row, "params", "Params a=1, b=2"),
            rx.button(
                rx.icon("x", size=14, aria_hidden="true"),
                on_click=S.remove_resource(index),
                type="button",
                variant="ghost",
                color_scheme="gray",
                aria_label="Remove resource " + (index + 1).to_string(),
            ),
            gap="0.5rem",
            wrap="wrap",
            align="center",
        ),
        error_line(
            S.errors.get("resource-" + index.to_string(), ""),
            id="resource-" + index.to_string() + "-error",
        ),
        spacing="1",
        width="100%",
    )


def rest_fields() -> rx.Component:
    return rx.vstack(
        rx.text("Resources", style=LABEL_STYLE),
        muted(
            "One row per path under the connection's base URL; each becomes a table. "
            "An incremental load needs the query parameter and where the cursor is in a record.",
            size="1",
        ),
        rx.foreach(S.resources, resource_row),
        error_line(S.errors.get("resources", ""), id="resources-error"),
        rx.button(
            rx.icon("plus", size=14, aria_hidden="true"),
            "Add a resource",
            on_click=S.add_resource,
            type="button",
            variant="soft",
            size="1",
        ),
        spacing="2",
        width="100%",
    )


def odata_fields() -> rx.Component:
    return grid(
        field("Entity set", "entity_set", "e.g. Customers."),
        field(
            "$filter",
            "odata_filter",
            "An OData filter, e.g. Country eq 'PT'; long ones are sent with POST.",
        ),
    )


def files_fields() -> rx.Component:
    formats = [("", "The connection's format"), *((f, f) for f in FILE_FORMATS)]
    return grid(
        field("Files (glob)", "glob", "Narrows the connection's files, e.g. 2024/*.csv."),
        field_box("Format", "format", select("format", formats)),
    )


def load_card() -> rx.Component:
    mode = rx.el.select(
        rx.foreach(S.modes, lambda m: rx.el.option(m["label"], value=m["value"])),
        value=S.values["mode"],
        on_change=lambda value: S.edit("mode", value),
        style={**SELECT_STYLE, "width": "100%"},
        **described("mode"),
    )
    return card(
        "What to load",
        rx.box(
            field_box("Mode", "mode", mode, "The modes offered follow the source's type."),
            max_width="24rem",
            width="100%",
        ),
        rx.match(
            S.values["mode"],
            ("table", table_fields()),
            ("database", database_fields()),
            ("rest", rest_fields()),
            ("odata", odata_fields()),
            ("files", files_fields()),
            rx.fragment(),
        ),
        id="load-card",
    )


def contract_select(entity: str) -> rx.Component:
    name = f"contract_{entity}"
    options = [("", "dlt's default"), *((m, m) for m in CONTRACT_MODES)]
    return field_box(CONTRACT_HELP[entity], name, select(name, options))


def how_card() -> rx.Component:
    return card(
        "How to load",
        grid(
            field_box(
                "Write disposition",
                "write_disposition",
                select("write_disposition", list(pf.WRITE_LABELS.items())),
            ),
            field("Primary key", "primary_key", "Comma-separated columns; merge needs it."),
            field(
                "Batch size",
                "batch_size",
                "Rows per batch; empty: chosen for speed.",
                type="number",
            ),
            field(
                "Sensitive columns",
                "sensitive_columns",
                "Comma-separated; loaded, but never shown in previews or exports.",
            ),
        ),
        rx.el.fieldset(
            rx.el.legend("Schema contract", style=LABEL_STYLE),
            muted(
                "evolve: accept the change; freeze: fail the run and name it; discard_value / "
                "discard_row: drop the value or the row.",
                size="1",
            ),
            rx.grid(
                *(contract_select(entity) for entity in ("tables", "columns", "data_type")),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="4",
                width="100%",
                margin_top="0.5rem",
            ),
            id="schema-contract",
            style={"border": "none", "padding": "0", "margin": "0", "width": "100%"},
        ),
    )


def filter_row(row: rx.Var, index: rx.Var) -> rx.Component:
    number = (index + 1).to_string()
    return rx.vstack(
        rx.flex(
            rx.input(
                value=row["column"],
                on_change=lambda value: S.edit_filter(index, "column", value),
                placeholder="Column",
                aria_label="Filter " + number + " column",
                id="filter-" + index.to_string() + "-column",
                width="12rem",
            ),
            rx.el.select(
                *(rx.el.option(pf.OP_LABELS[op], value=op) for op in FILTER_OPS),
                value=row["op"],
                on_change=lambda value: S.edit_filter(index, "op", value),
                aria_label="Filter " + number + " operator",
                id="filter-" + index.to_string() + "-op",
                style=SELECT_STYLE,
            ),
            rx.input(
                value=row["value"],
                on_change=lambda value: S.edit_filter(index, "value", value),
                placeholder=rx.cond(
                    (row["op"] == "in") | (row["op"] == "not_in"), "a, b, c", "Value"
                ),
                aria_label="Filter " + number + " value",
                id="filter-" + index.to_string() + "-value",
                width="12rem",
            ),
            rx.button(
                rx.icon("x", size=14, aria_hidden="true"),
                on_click=S.remove_filter(index),
                type="button",
                variant="ghost",
                color_scheme="gray",
                aria_label="Remove filter " + number,
            ),
            gap="0.5rem",
            wrap="wrap",
            align="center",
        ),
        error_line(
            S.errors.get("filter-" + index.to_string(), ""),
            id="filter-" + index.to_string() + "-error",
        ),
        spacing="1",
        width="100%",
    )


def filters_card() -> rx.Component:
    return card(
        "Filters",
        muted(
            "Only rows matching every filter are loaded. 42 and true are compared as a number "
            'and a boolean; write "42" to compare as text; in / not in take a comma list.',
            size="1",
        ),
        rx.foreach(S.filters, filter_row),
        error_line(S.errors.get("filters", ""), id="filters-error"),
        rx.button(
            rx.icon("plus", size=14, aria_hidden="true"),
            "Add a filter",
            on_click=S.add_filter,
            type="button",
            variant="soft",
            size="1",
        ),
        id="filters-card",
    )


def advanced_card() -> rx.Component:
    allowed = ", ".join(ADVANCED_OPTIONS)
    editor = rx.text_area(
        value=S.values["options"],
        on_change=lambda value: S.edit("options", value),
        rows="5",
        placeholder='{"backend": "pyarrow", "extract_workers": 2}',
        font_family="var(--code-font-family)",
        width="100%",
        **described("options"),
    )
    return card(
        "Advanced dlt options",
        field_box(
            "Options (JSON)",
            "options",
            editor,
            f"Optional. A JSON object; allowed keys: {allowed}. Checked as you type.",
        ),
    )
