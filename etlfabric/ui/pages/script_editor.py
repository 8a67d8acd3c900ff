"""/scripts/[script_id]: the script editor — code, requirements, settings, env vars, history.

One form holds everything a Save sends; the code editors feed the state as the user types (and
auto-save a draft a moment after typing stops). Roles that may not write see the page read-only,
without Save or Run.
"""

from __future__ import annotations

import reflex as rx

from etlfabric.ui.components.analytics import target_analytics_card
from etlfabric.ui.components.code_editor import code_editor
from etlfabric.ui.components.forms import LABEL_STYLE, error_line, form_error
from etlfabric.ui.components.layout import action_row, form_field, missing_callout
from etlfabric.ui.components.runs import muted, text_link
from etlfabric.ui.components.shell import app_page
from etlfabric.ui.components.shortcuts import SaveShortcut
from etlfabric.ui.pages.script_editor_panels import env_vars_card, settings_card
from etlfabric.ui.pages.script_history_panel import history_card
from etlfabric.ui.pages.trigger_tokens_panel import trigger_tokens_card
from etlfabric.ui.state.analytics import TargetAnalyticsState
from etlfabric.ui.state.auth import AuthState
from etlfabric.ui.state.dependencies import DependenciesState
from etlfabric.ui.state.script_editor import ScriptEditorState as S
from etlfabric.ui.state.script_history import ScriptHistoryState
from etlfabric.ui.state.trigger_tokens import TriggerTokensState

ROUTE = "/scripts/[script_id]"
TITLE = "Script · ETL Fabric"
ON_LOAD = [
    AuthState.require_user,
    S.load,
    ScriptHistoryState.load,
    TriggerTokensState.load,
    TargetAnalyticsState.load_script,
]
AUTOSAVE_MS = 1500


def can(action: str) -> rx.Var:
    return AuthState.allowed_actions.contains(action)


def labelled_editor(
    label: str, *, name: str, hint: str, height: str, language, value, on_change
) -> rx.Component:
    hint_id, error_id = f"{name}-hint", f"{name}-error"
    return rx.vstack(
        rx.text(label, id=f"{name}-label", style=LABEL_STYLE),
        code_editor(
            value=value,
            key=S.editor_key,
            language=language,
            label=label,
            id=f"{name}-editor",
            height=height,
            editable=can("resources.write"),
            described_by=f"{hint_id} {error_id}",
            on_change=on_change,
        ),
        muted(hint, id=hint_id, size="1"),
        error_line(S.errors.get(name, ""), id=error_id),
        spacing="1",
        width="100%",
    )


def code_section() -> rx.Component:
    autosave = S.autosave.debounce(AUTOSAVE_MS)
    return rx.vstack(
        labelled_editor(
            "Code",
            name="content",
            hint="Tab indents; press Esc then Tab to move on. Changes are auto-saved as a draft.",
            height="26rem",
            language=S.language,
            value=S.loaded_code,
            on_change=[S.edit_code, autosave],
        ),
        labelled_editor(
            "Requirements",
            name="requirements",
            hint="requirements.txt: one package per line, e.g. requests>=2.31. "
            "They are installed into this script's own environment.",
            height="7rem",
            language="text",
            value=S.loaded_requirements,
            on_change=[S.edit_requirements, autosave],
        ),
        spacing="4",
        width="100%",
    )


def status_line() -> rx.Component:
    return rx.hstack(
        rx.badge(S.type_label, variant="soft", color_scheme="gray"),
        rx.code(S.safe_name, variant="ghost", size="2"),
        muted(S.version_label),
        rx.cond(S.dirty, rx.badge("Unsaved changes", color_scheme="amber", variant="soft")),
        muted(S.draft_status, id="draft-status"),
        role="status",
        align="center",
        spacing="3",
        wrap="wrap",
    )


def draft_notice() -> rx.Component:
    return rx.cond(
        S.draft_note,
        rx.callout(
            rx.hstack(
                rx.text(S.draft_note),
                rx.cond(
                    can("resources.write"),
                    rx.button(
                        "Discard draft",
                        type="button",
                        on_click=S.discard_draft,
                        variant="soft",
                        color_scheme="amber",
                        size="1",
                    ),
                ),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            icon="info",
            color_scheme="amber",
            id="draft-note",
            width="100%",
        ),
    )


def actions() -> rx.Component:
    save = action_row(
        rx.box(
            form_field(
                "Change message",
                name="message",
                error=S.errors.get("message", ""),
                placeholder="What changed (optional)",
                auto_complete="off",
            ),
            width="20rem",
            max_width="100%",
        ),
        rx.button(
            rx.icon("save", size=16, aria_hidden="true"),
            "Save",
            type="submit",
            id="save-button",
            title="Save (Ctrl+S / ⌘S)",
            loading=S.saving,
        ),
        align="end",
        gap="0.5rem",
        min_width="0",
    )
    run = rx.button(
        rx.icon("play", size=16, aria_hidden="true"),
        "Run",
        type="button",
        on_click=S.run,
        loading=S.running,
        color_scheme="green",
        title="Runs the saved version",
    )
    downstream = rx.button(
        rx.icon("workflow", size=16, aria_hidden="true"),
        "Run with downstream",
        type="button",
        on_click=DependenciesState.run_with_downstream("script:" + S.loaded_id.to_string()),
        loading=DependenciesState.starting,
        variant="soft",
        color_scheme="green",
        title="Runs the saved version, then everything that depends on it (Dependencies)",
    )
    return action_row(
        rx.cond(can("resources.write"), save),
        rx.spacer(),
        action_row(
            text_link("Runs of this script", f"/runs?target={S.loaded_id}", size="2"),
            rx.cond(
                can("resources.write"),
                text_link(
                    "Add a schedule", f"/schedules/new?target=script:{S.loaded_id}", size="2"
                ),
            ),
            rx.cond(can("runs.start"), downstream),
            rx.cond(can("runs.start"), run),
        ),
        align="end",
        width="100%",
    )


def run_hint() -> rx.Component:
    return rx.cond(
        S.dirty & can("runs.start"),
        muted(
            "Run uses the saved version; save first to run your changes.",
            id="run-hint",
        ),
    )


def editor() -> rx.Component:
    return rx.vstack(
        editor_form(),
        target_analytics_card(TargetAnalyticsState),
        history_card(),
        trigger_tokens_card(),
        spacing="4",
        width="100%",
    )


def editor_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            SaveShortcut.create(),  # Ctrl+S / Cmd+S = the Save button
            status_line(),
            draft_notice(),
            actions(),
            run_hint(),
            form_error(S.errors.get("", ""), id="save-error"),
            code_section(),
            rx.grid(
                settings_card(),
                env_vars_card(),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
                align="start",
            ),
            spacing="4",
            width="100%",
        ),
        # The history follows a save (a failed save leaves it as it was).
        on_submit=[S.save, ScriptHistoryState.load],
        reset_on_submit=False,
        aria_label="Script",
        width="100%",
    )


def not_found() -> rx.Component:
    return missing_callout(
        S.missing, back="Back to the scripts", href="/scripts", id="script-missing"
    )


def page() -> rx.Component:
    return app_page(
        rx.cond(S.name, S.name, "Script"),
        rx.cond(S.missing, not_found(), rx.cond(S.loaded_id, editor(), rx.spinner())),
    )
