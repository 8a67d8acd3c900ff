"""/pipelines/new and /pipelines/[pipeline_id]/edit: the pipeline editor — name, source and
destination (only connections facing the right way), dataset (one of the organisation's schemas
on the Warehouse), what to load (mode-dependent inputs), how (write disposition, keys, schema
contract, batch size, sensitive columns), filters and advanced dlt options as checked JSON."""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.forms import SELECT_STYLE, form_error
from etlfabric.ui.components.layout import missing_callout
from etlfabric.ui.components.runs import text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.pages.pipeline_editor_panels import (
    advanced_card,
    card,
    described,
    field,
    field_box,
    filters_card,
    grid,
    how_card,
    load_card,
)
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.pipeline_editor import PipelineEditorState as S

ROUTES = ("/pipelines/new", "/pipelines/[pipeline_id]/edit")
ROUTE = ROUTES[0]
TITLE = "Pipeline editor · ETL Fabric"
ON_LOAD = [AuthState.require_user, S.load]


def connection_select(name: str, prompt: str, choices: rx.Var) -> rx.Component:
    return rx.el.select(
        rx.el.option(prompt, value=""),
        rx.foreach(choices, lambda c: rx.el.option(c["label"], value=c["id"])),
        value=S.values[name],
        on_change=lambda value: S.edit(name, value),
        style={**SELECT_STYLE, "width": "100%"},
        **described(name),
    )


def dataset_control() -> rx.Component:
    schemas = rx.el.select(
        rx.foreach(S.schemas, lambda s: rx.el.option(s, value=s)),
        value=S.values["dataset_name"],
        on_change=lambda value: S.edit("dataset_name", value),
        style={**SELECT_STYLE, "width": "100%"},
        **described("dataset_name"),
    )
    typed = rx.input(
        value=S.values["dataset_name"],
        on_change=lambda value: S.edit("dataset_name", value),
        width="100%",
        **described("dataset_name"),
    )
    return rx.cond(S.to_warehouse, schemas, typed)


def ends_card() -> rx.Component:
    enabled = rx.el.label(
        rx.switch(checked=S.values["enabled"] == "yes", on_change=S.set_enabled, id="enabled"),
        "Enabled",
        style={"display": "flex", "gap": "0.5rem", "align_items": "center"},
    )
    return card(
        "Source and destination",
        grid(
            field("Name", "name", "How runs, schedules and dependencies name it."),
            rx.vstack(enabled, justify="end", height="100%"),
            field_box(
                "Source connection",
                "source",
                connection_select("source", "Choose a source…", S.sources),
                "Connections that can be read from (source or both).",
            ),
            field_box(
                "Destination connection",
                "destination",
                connection_select("destination", "Choose a destination…", S.destinations),
                "Connections that can be written to (destination or both).",
            ),
            field_box(
                "Dataset (schema)",
                "dataset_name",
                dataset_control(),
                rx.cond(
                    S.to_warehouse,
                    "One of the organisation's schemas on the Warehouse.",
                    "The schema to load into: letters, digits and _.",
                ),
            ),
        ),
    )


def buttons() -> rx.Component:
    return rx.hstack(
        rx.button(
            rx.icon("save", size=16, aria_hidden="true"),
            "Save pipeline",
            type="submit",
            loading=S.saving,
            id="save-pipeline",
        ),
        rx.spacer(),
        text_link("Back without saving", S.back_href, size="2"),
        align="center",
        width="100%",
    )


def editor() -> rx.Component:
    return rx.form(
        rx.vstack(
            ends_card(),
            load_card(),
            how_card(),
            filters_card(),
            advanced_card(),
            form_error(S.errors.get("", ""), id="pipeline-error"),
            rx.cond(AuthState.allowed_actions.contains("resources.write"), buttons()),
            spacing="4",
            width="100%",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        aria_label="Pipeline",
        width="100%",
    )


def not_found() -> rx.Component:
    return missing_callout(
        S.missing, back="Back to the pipelines", href="/pipelines", id="pipeline-missing"
    )


def page() -> rx.Component:
    return app_page(
        S.heading,
        rx.cond(S.missing, not_found(), rx.cond(S.loaded, editor(), rx.spinner())),
    )
